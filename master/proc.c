/*
 * The process table: spawning a worker, its handshake over the channel,
 * asking it to stop, reaping it. Nothing a worker sends is trusted: every
 * message is checked by ipc_recv() and against the state we expect, and a
 * worker that breaks the protocol is killed.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "master/master.h"
#include "master/spawn.h"
#include "protocol/ipc.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

/* Where the config meets the wire, the limits must agree. */
_Static_assert(
    CONF_MAX_LISTEN == IPC_MAX_LISTEN, "CONF_MAX_LISTEN != IPC_MAX_LISTEN");
_Static_assert(
    CONF_MAX_SERVERS <= SB_MAX_SLOTS, "a server without a scoreboard slot");

static const char *
mpm_name_of(const struct generation *g)
{
	const char *slash = strrchr(g->conf.mpm_path, '/');

	return slash != NULL ? slash + 1 : g->conf.mpm_path;
}

static struct proc *
proc_by_pid(struct master *m, pid_t pid)
{
	struct proc *p;

	TAILQ_FOREACH (p, &m->procs, entry)
		if (p->pid == pid)
			return p;
	return NULL;
}

void
proc_kill(struct proc *p, const char *why)
{
	log_warnx("killing worker pid %ld (generation %u, slot %u): %s",
	    (long)p->pid, p->gen->id, p->slot, why);
	master_signal(p->pid, SIGKILL);
	p->state = PROC_STOPPING;
	p->deadline = 0;
	channel_close(p);
}

int
proc_spawn(struct master *m, struct generation *g)
{
	struct spawn_args a = {
		.binary_fd = g->binary_fd,
		.argv0 = mpm_name_of(g),
		.errorlog_fd = m->errorlog_fd,
		.devnull_fd = m->devnull_fd,
		.drop_root = m->as_root,
		.uid = g->uid,
		.gid = g->gid,
	};
	struct proc *p;
	uint32_t slot;

	if (scoreboard_claim(m, &slot) == -1) {
		log_warnx("no free scoreboard slot for a new worker");
		return -1;
	}
	p = xcalloc(1, sizeof(*p));
	p->master = m;
	p->gen = g;
	p->slot = slot;
	p->capacity = g->prefork ? 1 : (uint32_t)g->conf.threads_per_child;
	if ((p->pid = spawn_worker(&a, &p->channel)) == -1) {
		log_warn("fork() failed while spawning \"%s\"", a.argv0);
		scoreboard_release(m, slot);
		free(p);
		return -1;
	}
	p->state = PROC_STARTING;
	p->started = master_now();
	p->deadline = p->started + MASTER_READY_TIMEOUT_MS;
	TAILQ_INSERT_TAIL(&m->procs, p, entry);
	g->nprocs++;
	if (channel_open(m, p) == -1)
		fatal(
		    "cannot watch the channel of worker pid %ld", (long)p->pid);
	log_debug("spawned %s pid %ld (generation %u, slot %u)", a.argv0,
	    (long)p->pid, g->id, slot);
	return 0;
}

void
proc_send_stop(struct master *m, struct proc *p, bool graceful)
{
	enum ipc_type type = graceful ? IPC_GRACEFUL_STOP : IPC_STOP;
	int64_t bound = graceful ? p->gen->conf.graceful_shutdown_timeout * 1000
				 : MASTER_STOP_KILL_MS;

	if (p->state == PROC_STOPPING ||
	    (graceful && p->state == PROC_DRAINING))
		return;
	p->expected_exit = true;
	if (p->channel != -1 && channel_send(p, type, NULL, 0, NULL, 0) == -1)
		return; /* the failed send killed it */
	/*
	 * A serving worker is told, not signalled: a kill could land between
	 * the kernel waking it for a connection and its accept(), and that
	 * connection would wait for the next arrival to wake anyone.
	 */
	if (p->state == PROC_STARTING || p->channel == -1)
		master_signal(p->pid, SIGTERM);
	p->state = graceful && p->state != PROC_STARTING ? PROC_DRAINING
							 : PROC_STOPPING;
	p->deadline = master_now() + bound;
	(void)m;
}

static void
describe_exit(int status, char *why, size_t size)
{
	const char *name;

	if (WIFSIGNALED(status)) {
		name = sigabbrev_np(WTERMSIG(status));
		snprintf(why, size, "killed by signal %d (SIG%s)%s",
		    WTERMSIG(status), name != NULL ? name : "?",
		    WCOREDUMP(status) ? ", core dumped" : "");
	} else
		snprintf(
		    why, size, "exited with status %d", WEXITSTATUS(status));
}

static void
proc_log_exit(const struct proc *p, int status, int64_t backoff)
{
	char why[96];

	describe_exit(status, why, sizeof(why));
	if (p->expected_exit &&
	    (WIFEXITED(status) || WTERMSIG(status) == SIGTERM))
		log_debug("worker pid %ld (generation %u, slot %u) %s",
		    (long)p->pid, p->gen->id, p->slot, why);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_info("worker pid %ld (generation %u, slot %u) retired",
		    (long)p->pid, p->gen->id, p->slot);
	else if (backoff > 0)
		log_msg(LOG_LVL_ERROR,
		    "worker pid %ld (generation %u, slot %u) %s; crashes repeat, replacing it in %lld ms",
		    (long)p->pid, p->gen->id, p->slot, why, (long long)backoff);
	else
		log_msg(LOG_LVL_ERROR,
		    "worker pid %ld (generation %u, slot %u) %s; replacing it",
		    (long)p->pid, p->gen->id, p->slot, why);
}

/* Consecutive crashes double the delay before the next spawn. */
static int64_t
proc_note_crash(struct generation *g, int64_t now)
{
	int64_t delay;

	if (now - g->last_crash > MASTER_CRASH_FORGET_MS)
		g->crashes = 0;
	g->last_crash = now;
	if (g->crashes++ == 0)
		return 0;
	delay = MASTER_BACKOFF_MIN_MS << (g->crashes < 8 ? g->crashes - 1 : 7);
	if (delay > MASTER_BACKOFF_MAX_MS)
		delay = MASTER_BACKOFF_MAX_MS;
	g->respawn_after = now + delay;
	return delay;
}

static void
proc_forget(struct master *m, struct proc *p, int status)
{
	struct generation *g = p->gen;
	bool crash = !p->expected_exit &&
		     !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	int64_t backoff = crash ? proc_note_crash(g, master_now()) : 0;
	char why[96];

	proc_log_exit(p, status, backoff);
	if (g->state == GEN_STARTING && g->fail_reason == NULL) {
		describe_exit(status, why, sizeof(why));
		xasprintf(&g->fail_reason,
		    "worker pid %ld %s before it was ready (its reason is in %s)",
		    (long)p->pid, why, m->errorlog_path);
	}
	channel_close(p);
	scoreboard_release(m, p->slot);
	TAILQ_REMOVE(&m->procs, p, entry);
	g->nprocs--;
	free(p);
	if (crash)
		reload_after_crash(m, g);
}

void
proc_exited(struct master *m, pid_t pid, int status)
{
	struct proc *p;

	if ((p = proc_by_pid(m, pid)) != NULL)
		proc_forget(m, p, status);
}

void
proc_reap(struct master *m)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		proc_exited(m, pid, status);
}

void
proc_check_deadlines(struct master *m)
{
	int64_t now = master_now();
	struct proc *p;

	TAILQ_FOREACH (p, &m->procs, entry) {
		if (channel_stalled(p, now))
			proc_kill(p, "its channel went unread for 2 s");
		if (p->deadline == 0 || now < p->deadline)
			continue;
		if (p->state == PROC_STARTING)
			proc_kill(p, "no READY within the startup timeout");
		else
			proc_kill(p, "did not exit within its bound");
	}
}
