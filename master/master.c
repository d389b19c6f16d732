/*
 * The master's event loop: signals, the maintenance tick, generations and
 * the listening sockets they share. The master serves no HTTP.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "master/listen.h"
#include "master/master.h"
#include "protocol/ctl.h"
#include "protocol/ipc.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

/*
 * Reaps, checks deadlines and the reload in progress, drops drained
 * generations. Pool sizing happens only on the tick (TICK), never per
 * exit, so retiring one idle process cannot set off the next at once.
 */
void
master_maintain(struct master *m, bool tick)
{
	struct generation *g, *next;

	proc_reap(m);
	proc_check_deadlines(m);
	logs_check_reopened(m);
	reload_check(m);
	startwait_check(m);
	for (g = TAILQ_FIRST(&m->gens); g != NULL; g = next) {
		next = TAILQ_NEXT(g, entry);
		if (tick)
			pool_maintain(m, g);
		keys_maintain(m, g);
		handoff_requeue(m, g);
		if (g->state != GEN_DRAINING || g->nprocs > 0 ||
		    keys_running(g))
			continue;
		if (!g->drained) {
			log_info("generation %u finished draining", g->id);
			g->drained = true;
		}
		/* The previous generation stays, on hold for a rollback. */
		if (g != m->reload.gen && g != m->previous) {
			TAILQ_REMOVE(&m->gens, g, entry);
			generation_free(g);
		}
	}
	scoreboard_publish(m);
	if (m->stopping && TAILQ_EMPTY(&m->procs) && !upgrade_confirming(m))
		event_base_loopexit(m->base, NULL);
}

static void
master_on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;

	m->wake_at = 0;
	master_maintain(m, false);
}

void
master_wake_at(struct master *m, int64_t when)
{
	int64_t delay = when - master_now();
	struct timeval tv;

	if (m->wake_at != 0 && m->wake_at <= when)
		return;
	if (m->ev_wake == NULL &&
	    (m->ev_wake = evtimer_new(m->base, master_on_wake, m)) == NULL)
		return; /* the tick comes anyway */
	if (delay < 0)
		delay = 0;
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	if (evtimer_add(m->ev_wake, &tv) == 0)
		m->wake_at = when;
}

static void
master_on_tick(evutil_socket_t fd, short what, void *arg)
{
	reload_end_probation(arg);
	cpu_sample(arg);
	master_maintain(arg, true);
}

/* Every generation drains (GRACEFUL) or stops; then the loop ends. */
static void
master_wind_down(struct master *m, bool graceful, const char *why)
{
	struct generation *g;
	struct proc *p;

	reload_abandon(m);
	waiters_answer(&m->reopen_waiters, false, why);
	m->stopping = true;
	m->previous = NULL;
	listeners_close_all(m);
	TAILQ_FOREACH (g, &m->gens, entry)
		g->state = GEN_DRAINING;
	TAILQ_FOREACH (p, &m->procs, entry)
		proc_send_stop(m, p, graceful);
	master_maintain(m, false);
}

void
master_stop(struct master *m, bool graceful)
{
	log_notice("%s: %s", graceful ? "graceful-stop" : "stop",
	    graceful ? "draining workers, then exiting"
		     : "stopping workers now");
	notify_systemd("STOPPING=1");
	control_close(m);
	master_wind_down(m, graceful, "mpmd is stopping");
}

/*
 * After an upgrade: the new master serves and answers the control
 * socket. This one only drains its workers, handing their idle
 * connections over, and exits; it tells systemd nothing more.
 */
void
master_retire(struct master *m)
{
	master_wind_down(m, true, "mpmd was upgraded");
}

void
master_init(struct master *m)
{
	memset(m, 0, sizeof(*m));
	TAILQ_INIT(&m->gens);
	TAILQ_INIT(&m->procs);
	m->sb_fd = m->ctl_fd = m->stop_client = m->devnull_fd = -1;
	m->upgrade.fd = m->upgrade.client = -1;
	m->successor.fd = m->successor.ctl_fd = -1;
}

/* Everything left once the loop is over, for a leak-free exit. */
void
master_free(struct master *m)
{
	struct generation *g;

	while ((g = TAILQ_FIRST(&m->gens)) != NULL) {
		TAILQ_REMOVE(&m->gens, g, entry);
		generation_free(g);
	}
	if (m->ev_spawn != NULL)
		event_free(m->ev_spawn);
	if (m->ev_wake != NULL)
		event_free(m->ev_wake);
	tickets_stop(m);
	upgrade_free(m);
	successor_free(m);
	if (m->base != NULL)
		event_base_free(m->base);
	free(m->pid_file);
	free(m->ctl_path);
	free(m->errorlog_path);
	free(m->self_path);
	free(m->conf_path);
}

static void
master_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct master *m = arg;

	switch (sig) {
	case SIGCHLD:
		master_maintain(m, false);
		break;
	case SIGTERM:
	case SIGINT:
		master_stop(m, false);
		break;
	case SIGWINCH:
		master_stop(m, true);
		break;
	case SIGHUP:
		reload_begin(m, CTL_RESTART, -1);
		break;
	case SIGUSR1:
		reload_begin(m, CTL_GRACEFUL, -1);
		break;
	case SIGUSR2:
		upgrade_begin(m, -1);
		break;
	}
}

static const int master_signals[] = {
	SIGCHLD,
	SIGTERM,
	SIGINT,
	SIGWINCH,
	SIGHUP,
	SIGUSR1,
	SIGUSR2,
};

void
master_run(struct master *m, struct generation *first)
{
	struct timeval tick = { MASTER_TICK_MS / 1000, 0 };
	struct event *ev[sizeof(master_signals) / sizeof(master_signals[0])];
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		ev[i] = evsignal_new(
		    m->base, master_signals[i], master_on_signal, m);
		if (ev[i] == NULL || event_add(ev[i], NULL) == -1)
			fatalx("cannot watch signal %d", master_signals[i]);
	}
	m->ev_tick = event_new(m->base, -1, EV_PERSIST, master_on_tick, m);
	if (m->ev_tick == NULL || event_add(m->ev_tick, &tick) == -1)
		fatalx("cannot start the maintenance timer");
	tickets_start(m);
	reload_launch(m, first, m->successor.fd != -1 ? CTL_UPGRADE : 0);
	event_base_dispatch(m->base);
	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		event_free(ev[i]);
	event_free(m->ev_tick);
}
