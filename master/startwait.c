/*
 * `mpmctl start`: its answer once the first generation serves with every
 * one of its StartServers ready, as a graceful restart waits for them,
 * and then what `mpmctl status` prints; or why it did not come up. A
 * generation that serves but keeps some workers from becoming ready is
 * shown as it is when MASTER_READY_TIMEOUT_MS has passed.
 */
#include "config.h"

#include "master/master.h"
#include "protocol/ctl.h"

/* READY workers of G, its key process left out. */
static unsigned
ready_workers(const struct master *m, const struct generation *g)
{
	const struct proc *p;
	unsigned n = 0;

	TAILQ_FOREACH (p, &m->procs, entry)
		n += p->gen == g && !p->keys && p->state == PROC_READY;
	return n;
}

/* The text of the failed start, or NULL: the newest start in the history. */
static const char *
start_failure(const struct master *m)
{
	const struct reload_result *r;
	unsigned i;

	for (i = 0; i < reload_history_count(m); i++) {
		r = reload_history_at(m, i);
		if (r->verb == 0)
			return r->ok ? NULL : r->text;
	}
	return NULL;
}

void
startwait_check(struct master *m)
{
	const struct generation *g = generation_active(m);
	const char *why;
	size_t i;

	if (m->start_waiters.n == 0)
		return;
	if (m->stopping) {
		why = m->start_failed ? start_failure(m) : NULL;
		waiters_answer(&m->start_waiters, false,
		    why != NULL ? why : "mpmd is stopping");
		return;
	}
	if (g == NULL || (m->reload.active && m->reload.verb == 0))
		return; /* the first generation is on its way */
	if (ready_workers(m, g) < (unsigned)g->conf.start_servers &&
	    master_now() < m->start_deadline)
		return;
	for (i = 0; i < m->start_waiters.n; i++)
		report_status(m, m->start_waiters.fd[i], false);
	m->start_waiters.n = 0;
}

void
startwait_add(struct master *m, int client)
{
	if (!waiters_add(&m->start_waiters, client)) {
		control_reply(client, false,
		    "%d clients already wait for the start", MASTER_WAITERS);
		return;
	}
	if (m->start_deadline == 0) {
		m->start_deadline = master_now() + MASTER_READY_TIMEOUT_MS;
		master_wake_at(m, m->start_deadline);
	}
	startwait_check(m);
}
