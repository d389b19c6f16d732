/*
 * Reading the scoreboard into a scoreview. Other processes write their
 * slots while we read and the master rewrites the header (and clears the
 * slot of a worker it has just summed into it) under a sequence lock: a
 * pass that saw the lock move is read again, a few times at most. Every
 * field is a plain untrusted number, loaded once.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "workers/scoreview.h"

/* Slots really mapped: never more than the header claims or SB_MAX_SLOTS. */
static uint32_t
view_nslots(const struct sb_header *sb, uint64_t size)
{
	uint64_t n, fit;

	if (sb == NULL || size < SB_HEADER_SIZE ||
	    sb_read(&sb->magic) != SB_MAGIC ||
	    sb_read(&sb->version) != SB_VERSION)
		return 0;
	n = sb_read(&sb->nslots);
	fit = (size - SB_HEADER_SIZE) / sizeof(struct sb_slot);
	if (n > fit)
		n = fit;
	return n > SB_MAX_SLOTS ? SB_MAX_SLOTS : (uint32_t)n;
}

static uint32_t
clamp32(uint32_t v, uint32_t max)
{
	return v > max ? max : v;
}

/* The header, with every number that bounds a loop clamped. */
static void
view_header(struct scoreview *v, const struct sb_header *sb, uint32_t nslots)
{
	struct sb_header *h = &v->h;
	uint32_t i;
	char *c;

	sb_load_words(h, sb, sizeof(*h));
	h->nslots = nslots;
	h->hwm = clamp32(h->hwm, nslots);
	h->server_limit = clamp32(h->server_limit, nslots);
	h->width = clamp32(h->width, SB_MAX_THREADS);
	h->ngens = clamp32(h->ngens, SB_MAX_GENS);
	for (i = 0; i < h->ngens; i++) {
		h->gens[i].mpm[SB_NAME_MAX - 1] = '\0';
		for (c = h->gens[i].mpm; *c != '\0'; c++)
			*c = sb_name_char(*c);
		v->gens[i].g = h->gens[i];
	}
}

static struct view_gen *
view_gen(struct scoreview *v, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < v->h.ngens; i++)
		if (v->gens[i].g.id == id)
			return &v->gens[i];
	return NULL;
}

/*
 * Apache's rules: a stopping process has neither busy nor idle workers,
 * and only the active generation's count as idle.
 */
static void
view_count_letters(struct scoreview *v, struct buf *letters,
    const struct sb_slot *s, bool active)
{
	uint32_t i;
	uint8_t t;
	char c;

	for (i = 0; i < s->threads; i++) {
		t = s->thread[i] < SB_T_COUNT ? s->thread[i] : SB_T_OPEN;
		v->letter[t]++;
		c = sb_thread_letter(t);
		buf_add(letters, &c, 1);
		if (t == SB_T_GRACEFUL)
			v->graceful++;
		else if (s->state == SB_DRAINING)
			continue;
		else if (t == SB_T_WAITING)
			v->idle += active;
		else if (t != SB_T_OPEN && t != SB_T_STARTING)
			v->busy++;
	}
}

/* Busy, or an mpm-event loop between events: its row shows a client. */
static bool
view_req_shown(const struct sb_slot *s, uint8_t t)
{
	if (t == SB_T_WAITING)
		return (s->flags & SB_SLOT_ASYNC) != 0;
	return t != SB_T_OPEN && t != SB_T_STARTING && t < SB_T_COUNT;
}

/* One more row; false when out of memory. */
static bool
view_add_req(struct scoreview *v, const struct view_req *r)
{
	struct view_req *p;
	size_t cap;

	if (v->nreqs == VIEW_REQS_MAX)
		return true;
	if (v->nreqs == v->reqs_cap) {
		cap = v->reqs_cap == 0 ? 64 : v->reqs_cap * 2;
		if ((p = realloc(v->reqs, cap * sizeof(*p))) == NULL)
			return false;
		v->reqs = p;
		v->reqs_cap = cap;
	}
	v->reqs[v->nreqs++] = *r;
	return true;
}

/*
 * The rows of slot SLOT: S is its private copy, SHARED the slot itself,
 * from which each client is read. An idle loop shows only a client.
 */
static bool
view_add_reqs(struct scoreview *v, uint32_t slot, const struct sb_slot *s,
    const struct sb_slot *shared)
{
	struct view_req r;
	uint32_t i;

	for (i = 0; i < s->threads; i++) {
		if (!view_req_shown(s, s->thread[i]))
			continue;
		memset(&r, 0, sizeof(r));
		r.slot = slot;
		r.thread = i;
		r.letter = sb_thread_letter(s->thread[i]);
		r.family = sb_read_client(shared, i, r.addr);
		if (s->thread[i] == SB_T_WAITING && r.family != AF_INET &&
		    r.family != AF_INET6)
			continue;
		if (!view_add_req(v, &r))
			return false;
	}
	return true;
}

static void
view_add_proc(struct scoreview *v, struct buf *letters, uint32_t slot,
    const struct sb_slot *s)
{
	struct view_proc *p = &v->procs[v->nprocs++];
	struct view_gen *g = view_gen(v, s->generation);
	int k;

	p->slot = slot;
	p->generation = s->generation;
	p->state = s->state;
	p->threads = s->threads;
	p->busy = s->busy;
	p->connections = s->connections;
	p->flags = s->flags;
	memcpy(p->conns, s->conns, sizeof(p->conns));
	p->c = s->c;
	sb_counters_add(&v->live, &s->c);
	if (g != NULL)
		sb_counters_add(&g->live, &s->c);
	v->processes++;
	v->stopping += s->state == SB_DRAINING;
	v->connections += s->connections;
	for (k = 0; k < SB_C_COUNT; k++) {
		v->conns[k] += s->conns[k];
		if (s->flags & SB_SLOT_ASYNC)
			v->async_conns[k] += s->conns[k];
	}
	view_count_letters(v, letters, s, s->generation == v->h.active);
}

/* An empty slot: Apache shows the request slots it would have open. */
static void
view_add_open(struct scoreview *v, struct buf *letters)
{
	uint32_t i;

	for (i = 0; i < v->h.width; i++)
		buf_add(letters, ".", 1);
	v->letter[SB_T_OPEN] += v->h.width;
}

/*
 * One pass over the board, with S (a slot's size: off the stack of a
 * request thread) for each slot's copy; -1 when out of memory.
 */
static int
view_pass(struct scoreview *v, const struct sb_header *sb, uint32_t nslots,
    struct sb_slot *s)
{
	struct buf letters;
	uint32_t i, shown;
	bool ok = true;

	view_header(v, sb, nslots);
	shown = v->h.hwm > v->h.server_limit ? v->h.hwm : v->h.server_limit;
	if ((v->procs = calloc(v->h.hwm + 1, sizeof(*v->procs))) == NULL)
		return -1;
	buf_init(&letters);
	for (i = 0; i < shown; i++) {
		if (i < v->h.hwm) {
			sb_copy(sb_slot_at(sb, i), s);
			sb_copy_threads(sb_slot_at(sb, i), s);
		}
		if (i >= v->h.hwm || s->state == SB_EMPTY) {
			view_add_open(v, &letters);
			continue;
		}
		view_add_proc(v, &letters, i, s);
		ok = ok && view_add_reqs(v, i, s, sb_slot_at(sb, i));
	}
	v->letters = buf_take(&letters, &v->nletters);
	return v->letters != NULL && ok ? 0 : -1;
}

static void
view_clear(struct scoreview *v)
{
	time_t now = v->now;
	double load[3];

	memcpy(load, v->load, sizeof(load));
	scoreview_free(v);
	memset(v, 0, sizeof(*v));
	v->now = now;
	memcpy(v->load, load, sizeof(load));
}

static void
view_finish(struct scoreview *v)
{
	int i;

	v->total = v->h.folded;
	sb_counters_add(&v->total, &v->live);
	for (i = 0; i < 2; i++)
		v->cpu_us[i] =
		    sb_sat_add(v->h.cpu_master_us[i], v->h.cpu_workers_us[i]);
}

int
scoreview_read(struct scoreview *v, const struct sb_header *sb, uint64_t size)
{
	uint32_t nslots = view_nslots(sb, size), seq;
	struct sb_slot *s;
	int tries;

	memset(v, 0, sizeof(*v));
	v->now = time(NULL);
	if (getloadavg(v->load, 3) != 3)
		v->load[0] = v->load[1] = v->load[2] = -1;
	if (nslots == 0)
		return 0;
	if ((s = malloc(sizeof(*s))) == NULL)
		return -1;
	for (tries = 0; tries < SB_READ_TRIES; tries++) {
		view_clear(v);
		seq = sb_seq_begin(&sb->seq);
		if (view_pass(v, sb, nslots, s) == -1) {
			view_clear(v);
			free(s);
			return -1;
		}
		if (sb_seq_ok(&sb->seq, seq))
			break;
	}
	free(s);
	view_finish(v);
	return 0;
}

void
scoreview_free(struct scoreview *v)
{
	free(v->procs);
	free(v->letters);
	free(v->reqs);
	v->procs = NULL;
	v->letters = NULL;
	v->reqs = NULL;
	v->nprocs = v->nletters = v->nreqs = v->reqs_cap = 0;
}

const char *
scoreview_client(const struct view_req *r, char *out, size_t size)
{
	int af = r->family == AF_INET    ? AF_INET
		 : r->family == AF_INET6 ? AF_INET6
					 : AF_UNSPEC;

	if (af == AF_UNSPEC || inet_ntop(af, r->addr, out, size) == NULL)
		return "-";
	return out;
}

uint64_t
scoreview_uptime(const struct scoreview *v)
{
	return v->now > v->h.started ? (uint64_t)(v->now - v->h.started) : 0;
}

const struct view_gen *
scoreview_active(const struct scoreview *v)
{
	uint32_t i;

	for (i = 0; i < v->h.ngens; i++)
		if (v->gens[i].g.id == v->h.active && v->h.active != 0)
			return &v->gens[i];
	return NULL;
}

const char *
scoreview_mpm(const struct scoreview *v)
{
	const struct view_gen *g = scoreview_active(v);

	return g != NULL && g->g.mpm[0] != '\0' ? g->g.mpm : "unknown";
}

struct sb_counters
scoreview_gen_total(const struct view_gen *g)
{
	struct sb_counters c = g->g.folded;

	sb_counters_add(&c, &g->live);
	return c;
}
