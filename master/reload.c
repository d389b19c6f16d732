/*
 * Start, graceful restart and restart all go the same way: the new config
 * is parsed and validated completely, a new generation is created (its
 * files opened, new Listen addresses bound) and its workers started. Only
 * when every one of them has said READY does it become the active
 * generation and the old one get GRACEFUL_STOP (graceful) or STOP
 * (restart). If anything fails on the way the new generation is taken
 * down and the old one keeps serving, untouched.
 */
#include "config.h"

#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master/master.h"
#include "protocol/ctl.h"
#include "lib/log.h"
#include "lib/plural.h"
#include "lib/xmalloc.h"

#define RELOAD_QUIET_MS 1000 /* for old workers to stop accepting */

const char *
reload_verb_name(int verb)
{
	return verb == 0 ? "start" : ctl_verb_name((unsigned)verb);
}

unsigned
reload_history_count(const struct master *m)
{
	return m->nhistory < MASTER_HISTORY ? m->nhistory : MASTER_HISTORY;
}

const struct reload_result *
reload_history_at(const struct master *m, unsigned i)
{
	return &m->history[(m->nhistory - 1 - i) % MASTER_HISTORY];
}

static enum sb_reload_verb
verb_index(int verb)
{
	if (verb == CTL_RESTART)
		return SB_RELOAD_RESTART;
	return verb == 0 ? SB_RELOAD_START : SB_RELOAD_GRACEFUL;
}

/* TOOK: milliseconds from the request to the outcome, -1 for none. */
static void
history_add(struct master *m, int verb, bool ok, int64_t took, const char *text)
{
	struct reload_result *r = &m->history[m->nhistory % MASTER_HISTORY];

	r->when = time(NULL);
	r->verb = verb;
	r->ok = ok;
	r->took_ms = took;
	snprintf(r->text, sizeof(r->text), "%s", text);
	m->nhistory++;
	m->counts.reloads[verb_index(verb)][ok]++;
	scoreboard_publish(m);
}

static void reload_start(struct master *m, int verb);

/* "WHAT: first line", then each further line of TEXT as a line of its own. */
static void
log_lines(enum log_level level, const char *what, const char *text)
{
	size_t n = strcspn(text, "\n");

	log_msg(level, "%s: %.*s", what, (int)n, text);
	while (text[n] == '\n') {
		text += n + 1;
		n = strcspn(text, "\n");
		log_msg(level, "%.*s", (int)n, text);
	}
}

static void
reload_run_pending(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;
	int verb = m->pending_verb;

	if (m->reload.active || verb == 0)
		return; /* the one that began meanwhile runs this at its end */
	m->pending_verb = 0;
	m->reload.waiters = m->pending;
	m->pending.n = 0;
	reload_start(m, verb);
}

/* Out of the current call chain, so a reload never starts inside one. */
static void
reload_schedule_pending(struct master *m)
{
	struct timeval now = { 0, 0 };

	if (m->pending_verb != 0 && !m->stopping &&
	    event_base_once(
		m->base, -1, EV_TIMEOUT, reload_run_pending, m, &now) == -1)
		log_warnx("cannot schedule the pending reload");
}

static void reload_finish(struct master *m, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Logs, records, answers whoever waits, tells systemd. */
static void
reload_finish(struct master *m, bool ok, const char *fmt, ...)
{
	char text[MASTER_RESULT_MAX];
	int verb = m->reload.verb;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_lines(
	    ok ? LOG_LVL_NOTICE : LOG_LVL_ERROR, reload_verb_name(verb), text);
	history_add(m, verb, ok, master_now() - m->reload.started, text);
	waiters_answer(&m->reload.waiters, ok, text);
	if (successor_waiting(m))
		successor_report(m, ok, text); /* systemd hears from the old */
	else
		notify_systemd("READY=1\nSTATUS=%s %s: %.200s",
		    reload_verb_name(verb), ok ? "succeeded" : "failed", text);
	probe_cancel(m);
	m->reload.active = false;
	m->reload.gen = NULL;
	reload_schedule_pending(m);
}

void
reload_abandon(struct master *m)
{
	free(m->reload.result);
	m->reload.result = NULL;
	waiters_answer(&m->reload.waiters, false, "mpmd is stopping");
	waiters_answer(&m->pending, false, "mpmd is stopping");
	m->pending_verb = 0;
	probe_cancel(m);
	m->reload.active = false;
	m->reload.gen = NULL;
}

static unsigned
draining_generations(struct master *m)
{
	struct generation *g;
	unsigned n = 0;

	TAILQ_FOREACH (g, &m->gens, entry)
		n += g->state == GEN_DRAINING;
	return n;
}

static void
retire_generation(struct master *m, struct generation *g, bool graceful)
{
	struct proc *p;

	g->state = GEN_DRAINING;
	g->drain_deadline =
	    master_now() + g->conf.graceful_shutdown_timeout * 1000;
	/* A key process serves the drain: it stops once its workers are gone.
	 */
	TAILQ_FOREACH (p, &m->procs, entry)
		if (p->gen == g && (!p->keys || !graceful))
			proc_send_stop(m, p, graceful);
}

/* Joins the config errors into one reply, one FILE:LINE message a line. */
static void
fail_config(struct master *m, struct conf_errors *errs)
{
	struct generation *old = generation_active(m);
	char text[MASTER_RESULT_MAX] = "";
	size_t i, n = 0;
	int w;

	for (i = 0; i < errs->count && n < sizeof(text); i++) {
		w = snprintf(
		    text + n, sizeof(text) - n, "\n  %s", errs->msg[i]);
		n += w > 0 ? (size_t)w : 0;
	}
	reload_finish(m, false,
	    "configuration has errors, nothing changed; still serving generation %u:%s",
	    old != NULL ? old->id : 0, text);
}

void
reload_launch(struct master *m, struct generation *g, int verb)
{
	int64_t now = master_now();

	if (!m->reload.active)
		m->reload.started =
		    now; /* the first start: no reload_start() */
	m->reload.active = true;
	m->reload.verb = verb;
	m->reload.gen = g;
	m->reload.probed = false;
	m->reload.deadline = now + MASTER_READY_TIMEOUT_MS;
	g->state = GEN_STARTING;
	keys_maintain(m, g);
	pool_spawn(m, g, (unsigned)g->conf.start_servers);
}

/* Another reload runs: this one follows it; a pending restart stays one. */
static void
reload_queue(struct master *m, int verb, int client)
{
	if (!waiters_add(&m->pending, client)) {
		control_reply(client, false,
		    "%d reloads already wait for the one in progress; try again when it ends",
		    MASTER_WAITERS);
		return;
	}
	if (m->pending_verb != CTL_RESTART)
		m->pending_verb = verb;
	log_notice("%s: queued until the reload in progress ends",
	    reload_verb_name(verb));
}

void
reload_begin(struct master *m, int verb, int client)
{
	if (m->stopping) {
		control_reply(client, false, "mpmd is stopping");
		return;
	}
	if (m->upgrade.phase != UPG_IDLE) {
		log_warnx("%s refused: an upgrade of the master is under way",
		    reload_verb_name(verb));
		control_reply(client, false,
		    "an upgrade of the master is under way; try again when it has finished");
		return;
	}
	if (m->reload.active) {
		reload_queue(m, verb, client);
		return;
	}
	m->reload.waiters.n = 0;
	(void)waiters_add(&m->reload.waiters, client);
	reload_start(m, verb);
}

/* Parses, validates and opens the new generation, then launches it. */
static void
reload_start(struct master *m, int verb)
{
	struct conf_errors errs;
	struct generation *g;
	struct conf conf;
	char *cause = NULL;

	m->reload.active = true;
	m->reload.verb = verb;
	m->reload.started = master_now();
	if (draining_generations(m) >= MASTER_MAX_DRAINING) {
		reload_finish(m, false,
		    "%u generation%s still draining; try again when one has finished",
		    draining_generations(m),
		    draining_generations(m) == 1 ? " is" : "s are");
		return;
	}
	notify_systemd(
	    "RELOADING=1\nMONOTONIC_USEC=%lld", (long long)master_now() * 1000);
	log_notice("%s: reading %s", reload_verb_name(verb), m->conf_path);
	memset(&errs, 0, sizeof(errs));
	conf_init(&conf);
	if (conf_load(&conf, m->conf_path, 0, &errs) == -1) {
		fail_config(m, &errs);
		conf_errors_free(&errs);
		conf_free(&conf);
		return;
	}
	conf_errors_free(&errs);
	if ((g = generation_new(m, &conf, &cause)) == NULL) {
		conf_free(&conf);
		reload_finish(m, false, "%s; nothing changed", cause);
		free(cause);
		listeners_close_unused(m);
		return;
	}
	reload_launch(m, g, verb);
}

static void
reload_fail(struct master *m, struct generation *g, const char *why)
{
	struct generation *old = generation_active(m);
	retire_generation(m, g, false);
	listeners_close_unused(m);
	if (old == NULL) {
		reload_finish(m, false,
		    "generation %u (MPM %s) failed: %s; nothing is serving",
		    g->id, generation_mpm(g), why);
		if (m->reload.verb == 0 || m->reload.verb == CTL_UPGRADE) {
			m->start_failed = true;
			master_stop(m, false);
		}
		return;
	}
	reload_finish(m, false,
	    "generation %u (MPM %s) failed: %s; still serving generation %u (MPM %s)",
	    g->id, generation_mpm(g), why, old->id, generation_mpm(old));
}

/*
 * Promoted: mpmctl hears of it once no worker of an older generation
 * accepts any more (ACCEPT_STOPPED, or gone), so that a connection made
 * after mpmctl returned is served with the new config. Bounded: a worker
 * busy in a blocking read takes a while to look at its channel.
 */
static void
reload_check_quiet(struct master *m)
{
	const struct proc *p;
	char *text = m->reload.result;

	TAILQ_FOREACH (p, &m->procs, entry) {
		if (p->gen == m->reload.gen || p->keys || !p->accepting ||
		    (p->state != PROC_DRAINING && p->state != PROC_STOPPING))
			continue;
		if (master_now() < m->reload.quiet_deadline) {
			master_wake_at(m, m->reload.quiet_deadline);
			return;
		}
		log_info(
		    "%s pid %ld still accepts %d ms after the reload: answering anyway",
		    proc_what(p), (long)p->pid, RELOAD_QUIET_MS);
		break;
	}
	m->reload.result = NULL;
	reload_finish(m, true, "%s", text);
	free(text);
}

static void
reload_promote(struct master *m, struct generation *g)
{
	struct reload r = m->reload;
	struct generation *old;
	unsigned draining = 0;

	m->previous = NULL;
	/* Active first: the old one's idle connections may be handed to it. */
	g->state = GEN_ACTIVE;
	g->promoted = master_now();
	tickets_follow(m, g);
	if (r.verb != 0)
		m->counts.promotions++;
	TAILQ_FOREACH (old, &m->gens, entry) {
		if (old == g || old->state != GEN_ACTIVE)
			continue;
		retire_generation(m, old, r.verb != CTL_RESTART);
		handoff_requeue(m, old);
		draining += old->nprocs;
		m->previous = old;
	}
	listeners_close_unused(m);
	logs_switch_error_log(m, g->conf.error_log);
	if (r.verb == CTL_UPGRADE)
		xasprintf(&m->reload.result,
		    "generation %u (MPM %s, %u worker%s) ready in %lld ms; the old master drains its own",
		    g->id, generation_mpm(g), g->nprocs, plural(g->nprocs),
		    (long long)(master_now() - r.started));
	else
		xasprintf(&m->reload.result,
		    "generation %u (MPM %s, %u worker%s) ready in %lld ms; %u old worker%s %s",
		    g->id, generation_mpm(g), g->nprocs, plural(g->nprocs),
		    (long long)(master_now() - r.started), draining,
		    plural(draining),
		    r.verb == CTL_RESTART ? "stopped" : "draining");
	m->reload.quiet_deadline = master_now() + RELOAD_QUIET_MS;
	reload_check_quiet(m);
}

/*
 * With an old generation to fall back on, every new worker must be READY
 * before the switch. With none (the first start), one READY worker is
 * enough to serve; the pool brings up the rest, and a worker dying on the
 * way only fails the start when no other one is left.
 */
void
reload_check(struct master *m)
{
	struct generation *g = m->reload.gen;
	/* The master being upgraded serves until this one is all ready. */
	bool fallback = generation_active(m) != NULL || successor_waiting(m);
	unsigned ready = 0, live = 0;
	struct proc *p;

	if (!m->reload.active || g == NULL)
		return;
	if (m->reload.result != NULL) {
		reload_check_quiet(m);
		return;
	}
	TAILQ_FOREACH (p, &m->procs, entry) {
		if (p->gen != g || p->keys || p->state == PROC_STOPPING)
			continue;
		live++;
		ready += p->state == PROC_READY;
	}
	if (!keys_ready(g))
		ready = 0; /* no handshake can be served yet */
	if (g->fail_reason != NULL && (fallback || live == 0)) {
		reload_fail(m, g, g->fail_reason);
		return;
	}
	if (ready >= (fallback ? (unsigned)g->conf.start_servers : 1)) {
		free(g->fail_reason);
		g->fail_reason = NULL;
		/* Nothing to fall back on at the start: nothing to probe for.
		 */
		if (fallback && g->conf.graceful_probe != NULL &&
		    !m->reload.probed) {
			if (m->reload.probes == NULL)
				probe_start(m, g);
			return;
		}
		reload_promote(m, g);
		return;
	}
	if (master_now() >= m->reload.deadline)
		reload_fail(m, g, "workers did not report READY in time");
}

void
reload_probed(struct master *m, struct generation *g, bool ok, const char *why)
{
	if (!m->reload.active || m->reload.gen != g)
		return;
	m->reload.probed = true;
	if (!ok) {
		reload_fail(m, g, why);
		return;
	}
	reload_check(m);
}

void
reload_end_probation(struct master *m)
{
	struct generation *g = generation_active(m);

	if (m->previous != NULL && g != NULL &&
	    master_now() - g->promoted >= MASTER_ROLLBACK_WINDOW_MS)
		m->previous = NULL;
}

/*
 * The previous generation still holds its config, binary and docroot:
 * make it active again (its listeners rebound if the new config dropped
 * them), the pool refills it, and the crash-looping one is stopped.
 */
void
reload_after_crash(struct master *m, struct generation *g)
{
	struct generation *old = m->previous;
	char text[MASTER_RESULT_MAX];
	char *cause = NULL;

	if (old == NULL || g->state != GEN_ACTIVE ||
	    master_now() - g->promoted >= MASTER_ROLLBACK_WINDOW_MS)
		return;
	/* Enough crashes, or none of its workers is left: nothing serves. */
	if (g->crash.count < MASTER_ROLLBACK_CRASHES &&
	    (g->nprocs > 0 || g->crash.count < (unsigned)g->conf.start_servers))
		return;
	if (listeners_open(m, &old->conf, &cause) == -1) {
		log_warnx(
		    "cannot roll back to generation %u: %s", old->id, cause);
		free(cause);
		return;
	}
	listeners_bind(m, old);
	m->previous = NULL;
	retire_generation(m, g, false);
	old->state = GEN_ACTIVE;
	old->crash.count = 0;
	old->drained = false;
	old->crash.until = 0;
	old->promoted = master_now();
	tickets_follow(m, old);
	listeners_close_unused(m);
	pool_maintain(m, old); /* its workers drained: new ones, now */
	snprintf(text, sizeof(text),
	    "generation %u (MPM %s) crashed %u time%s in its first %d s%s: rolled back to generation %u (MPM %s)",
	    g->id, generation_mpm(g), g->crash.count, plural(g->crash.count),
	    MASTER_ROLLBACK_WINDOW_MS / 1000,
	    g->nprocs == 0 ? ", none of its workers left" : "", old->id,
	    generation_mpm(old));
	log_msg(LOG_LVL_ERROR, "%s", text);
	m->counts.promotions++; /* another generation serves */
	history_add(m, CTL_GRACEFUL, false, -1, text);
}
