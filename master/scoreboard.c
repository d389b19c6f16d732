/*
 * The scoreboard, the master's side: slots claimed and released, worker
 * counters read as untrusted numbers, and the header page, which only the
 * master writes. The master never reads the header back: its own copy
 * (m->pub) and its own counts are what it writes there.
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "master/master.h"
#include "lib/xmalloc.h"

/*
 * Sealed against shrinking so no worker can make the master's reads fault
 * (SIGBUS), against growing so the size stays what both sides mapped.
 */
#define SB_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

#define MPM_PREFIX "mpm-"

static void publish_locked(struct master *m);

int
scoreboard_create(struct master *m, char **cause)
{
	uint64_t size = sb_size(SB_MAX_SLOTS);
	void *p;
	int fd;

	fd = memfd_create("mpmd-scoreboard", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd == -1) {
		xasprintf(cause, "memfd_create: %s", strerror(errno));
		return -1;
	}
	if (ftruncate(fd, (off_t)size) == -1 ||
	    fcntl(fd, F_ADD_SEALS, SB_SEALS) == -1) {
		xasprintf(cause, "scoreboard setup: %s", strerror(errno));
		close(fd);
		return -1;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		xasprintf(cause, "scoreboard mmap: %s", strerror(errno));
		close(fd);
		return -1;
	}
	m->sb_fd = fd;
	m->sb = p;
	m->nslots = SB_MAX_SLOTS;
	memset(&m->pub, 0, sizeof(m->pub));
	m->pub.magic = SB_MAGIC;
	m->pub.version = SB_VERSION;
	m->pub.nslots = SB_MAX_SLOTS;
	m->pub.started = (int64_t)time(NULL);
	m->pub.folded = m->carried.served; /* what came before an upgrade */
	scoreboard_publish(m);
	return 0;
}

static struct sb_slot *
slot_at(const struct master *m, uint32_t slot)
{
	return sb_slot_at(m->sb, slot);
}

static void
set_hwm(struct master *m)
{
	uint32_t n = m->nslots;

	while (n > 0 && !m->slot_used[n - 1])
		n--;
	m->pub.hwm = n;
}

int
scoreboard_claim(struct master *m, uint32_t *slot)
{
	uint32_t i;

	for (i = 0; i < m->nslots; i++) {
		if (m->slot_used[i])
			continue;
		m->slot_used[i] = 1;
		memset(slot_at(m, i), 0, sizeof(struct sb_slot));
		*slot = i;
		return 0; /* published once the worker is in the table */
	}
	return -1;
}

void
scoreboard_release(struct master *m, uint32_t slot, struct generation *g)
{
	struct sb_slot s;

	if (slot >= m->nslots)
		return;
	if (g != NULL) {
		sb_copy(slot_at(m, slot), &s);
		sb_counters_add(&m->pub.folded, &s.c);
		sb_counters_add(&g->folded, &s.c);
	}
	m->slot_used[slot] = 0;
	sb_seq_enter(&m->sb->seq, &m->pub.seq);
	memset(slot_at(m, slot), 0, sizeof(struct sb_slot));
	publish_locked(m);
	sb_seq_leave(&m->sb->seq, &m->pub.seq);
}

int
scoreboard_copy(const struct master *m, uint32_t slot, struct sb_slot *s)
{
	if (slot >= m->nslots) {
		memset(s, 0, sizeof(*s));
		return -1;
	}
	sb_copy(slot_at(m, slot), s);
	return 0;
}

uint32_t
scoreboard_busy(const struct master *m, uint32_t slot, uint32_t limit)
{
	struct sb_slot s;

	if (scoreboard_copy(m, slot, &s) == -1)
		return limit;
	return s.busy > limit ? limit : s.busy;
}

/* The MPM's name as workers show it: "event" for .../mpm-event. */
static void
gen_name(const struct generation *g, char *out, size_t size)
{
	const char *slash = strrchr(g->conf.mpm_path, '/');
	const char *name = slash != NULL ? slash + 1 : g->conf.mpm_path;
	size_t i;

	if (strncmp(name, MPM_PREFIX, strlen(MPM_PREFIX)) == 0 &&
	    name[strlen(MPM_PREFIX)] != '\0')
		name += strlen(MPM_PREFIX);
	memset(out, 0, size);
	for (i = 0; i + 1 < size && name[i] != '\0'; i++)
		out[i] = sb_name_char(name[i]);
}

static const uint32_t gen_states[] = {
	[GEN_STARTING] = SB_GEN_STARTING,
	[GEN_ACTIVE] = SB_GEN_ACTIVE,
	[GEN_DRAINING] = SB_GEN_DRAINING,
};

static void
describe_gens(struct master *m)
{
	const struct generation *g;
	struct sb_gen *d;

	m->pub.ngens = 0;
	m->pub.active = 0;
	TAILQ_FOREACH (g, &m->gens, entry) {
		if (g->state == GEN_ACTIVE) {
			m->pub.active = g->id;
			m->pub.server_limit = (uint32_t)g->conf.server_limit;
			m->pub.width =
			    g->prefork ? 1
				       : (uint32_t)g->conf.threads_per_child;
		}
		if (!generation_listed(g) || m->pub.ngens == SB_MAX_GENS)
			continue;
		d = &m->pub.gens[m->pub.ngens++];
		memset(d, 0, sizeof(*d));
		d->id = g->id;
		d->state = gen_states[g->state];
		d->processes = g->nprocs;
		gen_name(g, d->mpm, sizeof(d->mpm));
		d->folded = g->folded;
	}
}

/* Between sb_seq_enter() and sb_seq_leave(): the header, brought up to date. */
static void
publish_locked(struct master *m)
{
	struct sb_header *h = &m->pub;

	describe_gens(m);
	set_hwm(m);
	memcpy(h->reloads, m->counts.reloads, sizeof(h->reloads));
	h->mpm_generation = m->counts.promotions;
	h->crashes = m->counts.crashes;
	h->restarts = m->counts.restarts;
	h->spawns = m->counts.spawns;
	h->handoffs = m->handoffs;
	h->key_indices = m->counts.key_indices;
	memcpy(h->key_signatures, m->counts.key_signatures,
	    sizeof(h->key_signatures));
	memcpy(h->key_refused, m->counts.key_refused, sizeof(h->key_refused));
	memcpy(h->key_unread, m->counts.key_unread, sizeof(h->key_unread));
	cpu_totals(m, h->cpu_master_us, h->cpu_workers_us);
	/* pub.seq is the odd count sb_seq_enter() just stored. */
	sb_store_words(m->sb, h, sizeof(*h));
}

void
scoreboard_publish(struct master *m)
{
	if (m->sb == NULL)
		return;
	sb_seq_enter(&m->sb->seq, &m->pub.seq);
	publish_locked(m);
	sb_seq_leave(&m->sb->seq, &m->pub.seq);
}
