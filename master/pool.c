/*
 * Keeps the active generation's pool between its spare bounds, as Apache
 * does: idle request slots below the minimum spawn processes (the rate
 * doubles each tick while the shortage lasts, up to 32), above the maximum
 * one process a tick is asked to stop gracefully.
 */
#include "config.h"

#include <event2/event.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "master/master.h"

struct pool_view {
	unsigned procs; /* live, not asked to stop */
	unsigned starting;
	uint32_t idle; /* free request slots in READY processes */
	struct proc *most_idle;
};

static void
pool_look(struct master *m, struct generation *g, struct pool_view *v)
{
	uint32_t busy, idle, best = 0;
	struct proc *p;

	v->procs = v->starting = g->spawn_wanted; /* as good as started */
	v->idle = 0;
	v->most_idle = NULL;
	TAILQ_FOREACH (p, &m->procs, entry) {
		if (p->gen != g || p->keys)
			continue;
		if (p->state == PROC_STARTING) {
			v->procs++;
			v->starting++;
			continue;
		}
		if (p->state != PROC_READY)
			continue;
		v->procs++;
		busy = scoreboard_busy(m, p->slot, p->capacity);
		idle = p->capacity - busy;
		v->idle += idle;
		if (v->most_idle == NULL || idle > best) {
			best = idle;
			v->most_idle = p;
		}
	}
}

static unsigned
pool_max_procs(const struct generation *g)
{
	long tpc = g->prefork ? 1 : g->conf.threads_per_child;
	long n = (g->conf.max_request_workers + tpc - 1) / tpc;

	return (unsigned)(n < g->conf.server_limit ? n : g->conf.server_limit);
}

static void
pool_spare_bounds(const struct generation *g, uint32_t *min, uint32_t *max)
{
	if (g->prefork) {
		*min = (uint32_t)g->conf.min_spare_servers;
		*max = (uint32_t)g->conf.max_spare_servers;
	} else {
		*min = (uint32_t)g->conf.min_spare_threads;
		*max = (uint32_t)g->conf.max_spare_threads;
	}
}

static void
pool_on_spawn(evutil_socket_t fd, short what, void *arg)
{
	struct timeval now = { 0, 0 };
	struct master *m = arg;
	struct generation *g;
	bool more = false;

	TAILQ_FOREACH (g, &m->gens, entry) {
		if (g->spawn_wanted == 0)
			continue;
		if (g->state == GEN_DRAINING || m->stopping) {
			g->spawn_wanted = 0;
			continue;
		}
		g->spawn_wanted--;
		if (proc_spawn(m, g) == -1) {
			g->spawn_wanted =
			    0; /* logged; the next tick tries again */
			if (g->state == GEN_STARTING && g->fail_reason == NULL)
				g->fail_reason =
				    xstrdup("cannot spawn workers");
		}
		more |= g->spawn_wanted > 0;
	}
	reload_check(m);
	if (more && evtimer_add(m->ev_spawn, &now) == -1)
		fatalx("cannot schedule the next spawn");
}

void
pool_spawn(struct master *m, struct generation *g, unsigned want)
{
	struct timeval now = { 0, 0 };

	g->spawn_wanted += want;
	if (m->ev_spawn == NULL &&
	    (m->ev_spawn = evtimer_new(m->base, pool_on_spawn, m)) == NULL)
		fatalx("cannot create the spawn timer");
	if (!evtimer_pending(m->ev_spawn, NULL) &&
	    evtimer_add(m->ev_spawn, &now) == -1)
		fatalx("cannot schedule a spawn");
}

static void
pool_grow(struct master *m, struct generation *g, unsigned want)
{
	if (want > 1)
		log_info("generation %u: spawning %u workers (%u running)",
		    g->id, want, g->nprocs);
	pool_spawn(m, g, want);
}

void
pool_maintain(struct master *m, struct generation *g)
{
	unsigned max = pool_max_procs(g), want;
	uint32_t spare_min, spare_max, per;
	struct pool_view v;

	if (m->stopping || g->state != GEN_ACTIVE)
		return;
	pool_look(m, g, &v);
	/* Backing off from crashes: still one process a tick, never none. */
	if (master_now() < g->crash.until) {
		if (v.procs == 0)
			pool_grow(m, g, 1);
		return;
	}
	pool_spare_bounds(g, &spare_min, &spare_max);
	per = g->prefork ? 1 : (uint32_t)g->conf.threads_per_child;
	if (v.procs < (unsigned)g->conf.start_servers && v.procs < max) {
		pool_grow(m, g, (unsigned)g->conf.start_servers - v.procs);
		return;
	}
	if (v.starting == 0 && v.idle < spare_min && v.procs < max) {
		want = g->spawn_rate;
		if (want > max - v.procs)
			want = max - v.procs;
		pool_grow(m, g, want);
		if (g->spawn_rate < MASTER_SPAWN_RATE_MAX)
			g->spawn_rate *= 2;
		return;
	}
	g->spawn_rate = 1;
	/* Retiring must not push idle below the minimum, or it would regrow. */
	if (v.idle > spare_max && v.idle - per >= spare_min &&
	    v.most_idle != NULL && v.procs > (unsigned)g->conf.start_servers)
		proc_send_stop(m, v.most_idle, true);
}
