/* The synthetic scoreboard of testboard.h. */
#include "config.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "tests/unit/testboard.h"

void
testboard_letters(struct sb_slot *s, const char *letters)
{
	static const char map[] = ".S_RWKLCG";
	size_t i;

	s->threads = (uint32_t)strlen(letters);
	for (i = 0; letters[i] != '\0'; i++)
		s->thread[i] = (uint8_t)(strchr(map, letters[i]) - map);
}

void
testboard_client(
    struct sb_slot *s, unsigned i, uint32_t family, const char *addr)
{
	uint8_t bytes[16] = { 0 };
	uint32_t seq = 0;

	if (addr != NULL)
		inet_pton((int)family, addr, bytes);
	sb_write_client(&s->client[i], &seq, family, bytes);
}

static void
gen(struct sb_gen *g, uint32_t id, uint32_t state, const char *mpm,
    uint32_t procs, uint64_t folded)
{
	g->id = id;
	g->state = state;
	g->processes = procs;
	snprintf(g->mpm, sizeof(g->mpm), "%s", mpm);
	g->folded.requests = folded;
}

static void
header(struct sb_header *h)
{
	h->magic = SB_MAGIC;
	h->version = SB_VERSION;
	h->nslots = TESTBOARD_SLOTS;
	h->hwm = 4;
	h->active = 4;
	h->server_limit = 5;
	h->width = 4;
	h->started = TESTBOARD_STARTED;
	h->mpm_generation = 3;
	h->reloads[SB_RELOAD_START][1] = 1;
	h->reloads[SB_RELOAD_GRACEFUL][1] = 2;
	h->reloads[SB_RELOAD_GRACEFUL][0] = 1;
	h->reloads[SB_RELOAD_RESTART][1] = 1;
	h->crashes = 2;
	h->restarts = 1;
	h->spawns = 9;
	h->handoffs = 7;
	h->cpu_master_us[0] = 250000;
	h->cpu_master_us[1] = 125000;
	h->cpu_workers_us[0] = 1000000;
	h->cpu_workers_us[1] = 500000;
	h->folded.requests = 1000;
	h->folded.bytes = 1024 * 1000;
	h->folded.duration_us = 2000000;
	h->folded.finished = 1000;
	h->folded.buckets[0] = 900;        /* <= 0.5 ms */
	h->folded.buckets[4] = 99;         /* <= 10 ms */
	h->folded.buckets[SB_BUCKETS] = 1; /* > 10 s */
	h->ngens = 2;
	gen(&h->gens[0], 3, SB_GEN_DRAINING, "prefork", 1, 600);
	gen(&h->gens[1], 4, SB_GEN_ACTIVE, "event", 2, 0);
}

void
testboard_fill(struct testboard *b)
{
	struct sb_slot *s = b->s;

	memset(b, 0, sizeof(*b));
	header(&b->h);
	s[0].state = SB_READY;
	s[0].generation = 4;
	s[0].flags = SB_SLOT_ASYNC;
	s[0].connections = 5;
	s[0].conns[SB_C_READING] = 1;
	s[0].conns[SB_C_WRITING] = 1;
	s[0].conns[SB_C_KEEPALIVE] = 2;
	s[0].conns[SB_C_CLOSING] = 1;
	s[0].c.requests = 20;
	s[0].c.bytes = 10 * 1024;
	s[0].c.duration_us = 40000;
	s[0].c.finished = 20;
	s[0].c.buckets[1] = 20; /* <= 1 ms */
	testboard_letters(&s[0], "W_R_");
	s[2].state = SB_READY;
	s[2].generation = 4;
	s[2].flags = SB_SLOT_ASYNC;
	s[2].c.requests = 5;
	testboard_letters(&s[2], "_KLC");
	s[3].state = SB_DRAINING;
	s[3].generation = 3;
	s[3].connections = 1;
	s[3].conns[SB_C_KEEPALIVE] = 1; /* not async: prefork */
	s[3].c.requests = 30;
	testboard_letters(&s[3], "K");
}
