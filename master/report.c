/* The text `mpmctl status` prints: generations, workers, recent reloads. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/plural.h"
#include "lib/sandbox.h"
#include "lib/version.h"
#include "master/master.h"
#include "protocol/ctl.h"
#include "protocol/ipc.h"

static void
add_age(struct buf *r, int64_t ms)
{
	int64_t s = ms / 1000;

	if (s < 120)
		buf_printf(r, "%llds", (long long)s);
	else if (s < 7200)
		buf_printf(r, "%lldm", (long long)s / 60);
	else
		buf_printf(r, "%lldh%02lldm", (long long)s / 3600,
		    (long long)(s % 3600) / 60);
}

static void
add_crashes(struct buf *r, const struct generation *g)
{
	int64_t now = master_now(), wait = g->crash.until - now;

	if (!generation_crashing(g, now))
		return;
	buf_printf(r, "  crashes: %u in a row, last %llds ago", g->crash.count,
	    (long long)(now - g->crash.last) / 1000);
	if (wait > 0)
		buf_printf(
		    r, ", backing off: next spawn in %lld ms", (long long)wait);
	buf_printf(r, "\n");
}

static void
add_tls(struct buf *r, const struct generation *g)
{
	unsigned i;

	buf_printf(r, "  tls: %zu certificate%s, keys %s", g->ntls,
	    plural(g->ntls),
	    g->tls_isolated ? "in key processes" : "in the workers");
	if (g->tls_isolated) {
		buf_printf(r, " (KeyUser %s:", g->conf.tls.key_user);
		for (i = 0; i < g->nkeys; i++)
			if (g->keys[i] != NULL)
				buf_printf(
				    r, " pid %ld", (long)g->keys[i]->pid);
			else
				buf_str(r, " (not running)");
		buf_str(r, ")");
	}
	buf_printf(r, "\n");
}

static void
add_generation(
    struct buf *r, const struct master *m, const struct generation *g)
{
	uint64_t conns = 0;
	const struct proc *p;
	struct sb_slot s;

	buf_printf(r, "generation %u: MPM %s, %s, age ", g->id,
	    generation_mpm(g), generation_state(g));
	add_age(r, master_now() - g->started);
	buf_printf(r, ", %u worker%s:", g->nprocs, plural(g->nprocs));
	TAILQ_FOREACH (p, &m->procs, entry) {
		if (p->gen != g || p->keys)
			continue;
		buf_printf(r, " %ld", (long)p->pid);
		if (scoreboard_copy(m, p->slot, &s) == 0)
			conns += s.connections;
	}
	/* The count is what workers wrote: shown, never acted upon. */
	buf_printf(r, "\n  connections: %llu%s\n", (unsigned long long)conns,
	    g->state == GEN_DRAINING ? " (draining)" : "");
	if (g->ntls > 0)
		add_tls(r, g);
	add_crashes(r, g);
}

static void
add_history(struct buf *r, const struct master *m)
{
	unsigned i, n = reload_history_count(m);
	const struct reload_result *h;
	struct tm tm;
	char when[32];

	buf_printf(r, "recent reloads:%s\n", n == 0 ? " none" : "");
	for (i = 0; i < n; i++) {
		h = reload_history_at(m, i);
		localtime_r(&h->when, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		buf_printf(r, "  %s %s %s: %s\n", when,
		    reload_verb_name(h->verb), h->ok ? "ok" : "FAILED",
		    h->text);
	}
}

static void
report_text(struct master *m, struct buf *r)
{
	const struct generation *g;

	buf_printf(r, "mpmd %s, pid %ld, up ", mpmd_version(), (long)getpid());
	add_age(r, (int64_t)(time(NULL) - m->started_wall) * 1000);
	buf_printf(r, ", config %s%s\n", m->conf_path,
	    m->stopping ? ", STOPPING" : "");
	buf_printf(r, "seccomp: %s\n", sandbox_describe());
	TAILQ_FOREACH (g, &m->gens, entry) {
		if (generation_listed(g))
			add_generation(r, m, g);
	}
	add_history(r, m);
}

void
report_status(struct master *m, int client, bool json)
{
	struct buf r;

	buf_init(&r);
	if (json)
		report_json(m, &r);
	else
		report_text(m, &r);
	if (r.failed)
		control_reply(client, false, "out of memory for the status");
	else
		control_send(client, true, r.p, r.len);
	buf_free(&r);
}
