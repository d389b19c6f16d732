/* The text `mpmctl status` prints: generations, workers, recent reloads. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "master/master.h"
#include "protocol/ctl.h"
#include "protocol/ipc.h"

struct report {
	char buf[IPC_MAX_PAYLOAD - 64];
	size_t len;
};

static void report_add(struct report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
report_add(struct report *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->len >= sizeof(r->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->len, sizeof(r->buf) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len += (size_t)n;
	if (r->len >= sizeof(r->buf))
		r->len = sizeof(r->buf) - 1;
}

static void
add_age(struct report *r, int64_t ms)
{
	int64_t s = ms / 1000;

	if (s < 120)
		report_add(r, "%llds", (long long)s);
	else if (s < 7200)
		report_add(r, "%lldm", (long long)s / 60);
	else
		report_add(r, "%lldh%02lldm", (long long)s / 3600,
		    (long long)(s % 3600) / 60);
}

static void
add_crashes(struct report *r, const struct generation *g)
{
	int64_t now = master_now(), wait = g->respawn_after - now;

	if (g->crashes == 0 || now - g->last_crash > MASTER_CRASH_FORGET_MS)
		return;
	report_add(r, "  crashes: %u in a row, last %llds ago", g->crashes,
	    (long long)(now - g->last_crash) / 1000);
	if (wait > 0)
		report_add(
		    r, ", backing off: next spawn in %lld ms", (long long)wait);
	report_add(r, "\n");
}

static const char *const gen_states[] = {
	[GEN_STARTING] = "starting",
	[GEN_ACTIVE] = "active",
	[GEN_DRAINING] = "draining",
};

static void
add_generation(
    struct report *r, const struct master *m, const struct generation *g)
{
	const struct sb_slot *slots = (const struct sb_slot *)(m->sb + 1);
	uint64_t conns = 0;
	const struct proc *p;

	report_add(r, "generation %u: MPM %s, %s, age ", g->id,
	    generation_mpm(g), gen_states[g->state]);
	add_age(r, master_now() - g->started);
	report_add(r, ", %u workers:", g->nprocs);
	TAILQ_FOREACH (p, &m->procs, entry) {
		if (p->gen != g)
			continue;
		report_add(r, " %ld", (long)p->pid);
		if (p->slot < m->nslots)
			conns += __atomic_load_n(
			    &slots[p->slot].connections, __ATOMIC_RELAXED);
	}
	/* The count is what workers wrote: shown, never acted upon. */
	report_add(r, "\n  connections: %llu%s\n", (unsigned long long)conns,
	    g->state == GEN_DRAINING ? " (draining)" : "");
	add_crashes(r, g);
}

static void
add_history(struct report *r, const struct master *m)
{
	unsigned i,
	    n = m->nhistory < MASTER_HISTORY ? m->nhistory : MASTER_HISTORY;
	const struct reload_result *h;
	struct tm tm;
	char when[32];

	report_add(r, "recent reloads:%s\n", n == 0 ? " none" : "");
	for (i = 0; i < n; i++) {
		h = &m->history[(m->nhistory - 1 - i) % MASTER_HISTORY];
		localtime_r(&h->when, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		report_add(r, "  %s %s %s: %s\n", when,
		    h->verb == 0 ? "start" : ctl_verb_name((unsigned)h->verb),
		    h->ok ? "ok" : "FAILED", h->text);
	}
}

void
report_status(struct master *m, int client)
{
	static struct report r;
	const struct generation *g;

	r.len = 0;
	report_add(
	    &r, "mpmd %s, pid %ld, up ", PACKAGE_VERSION, (long)getpid());
	add_age(&r, (int64_t)(time(NULL) - m->started_wall) * 1000);
	report_add(&r, ", config %s%s\n", m->conf_path,
	    m->stopping ? ", STOPPING" : "");
	TAILQ_FOREACH (g, &m->gens, entry) {
		/* Drained, kept only in case the new one must be rolled back.
		 */
		if (g->state == GEN_DRAINING && g->nprocs == 0)
			continue;
		add_generation(&r, m, g);
	}
	add_history(&r, m);
	control_reply(client, true, "%.*s", (int)r.len, r.buf);
}
