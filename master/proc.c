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
_Static_assert(CONF_MAX_SERIALIZED <= IPC_MAX_CONFIG,
    "a config -t accepts that workers would refuse");

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
	char name[PROC_NAME_MAX];

	log_warnx("killing %s: %s", proc_name(p, name, sizeof(name)), why);
	master_signal(p->pid, SIGKILL);
	p->state = PROC_STOPPING;
	p->deadline = 0;
	channel_close(p);
}

/* A worker of G started: in place of one that exited unasked, maybe. */
static void
proc_count_spawn(struct master *m, struct generation *g)
{
	g->nprocs++;
	m->counts.spawns++;
	if (g->replace > 0) {
		g->replace--;
		m->counts.restarts++;
	}
}

/* Counts the exit of worker P: a CRASH, or one the pool will replace. */
static void
proc_count_exit(struct master *m, const struct proc *p, bool crash)
{
	if (p->keys)
		return;
	if (crash)
		m->counts.crashes++;
	if (!p->expected_exit && !m->stopping && p->gen->state == GEN_ACTIVE)
		p->gen->replace++;
}

static struct proc *
proc_start(struct master *m, struct generation *g, bool keys, unsigned index)
{
	struct spawn_args a = {
		.binary_fd = keys ? g->keys_binary_fd : g->binary_fd,
		.argv0 = keys ? PROC_KEYS_NAME : mpm_name_of(g),
		.errorlog_fd = m->errorlog_fd,
		.devnull_fd = m->devnull_fd,
		.drop_root = m->as_root,
		.uid = keys ? g->key_uid : g->uid,
		.gid = keys ? g->key_gid : g->gid,
	};
	uint32_t slot = SB_MAX_SLOTS; /* the key process has none */
	struct proc *p;

	if (!keys && scoreboard_claim(m, &slot) == -1) {
		log_warnx("no free scoreboard slot for a new worker");
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->master = m;
	p->gen = g;
	p->slot = slot;
	p->keys = keys;
	p->keys_index = index;
	p->keys_end = -1;
	p->capacity = g->prefork ? 1 : (uint32_t)g->conf.threads_per_child;
	if ((p->pid = spawn_worker(&a, &p->channel)) == -1) {
		log_warn("fork() failed while spawning \"%s\"", a.argv0);
		scoreboard_release(m, slot, NULL);
		free(p);
		return NULL;
	}
	p->state = PROC_STARTING;
	p->started = master_now();
	p->deadline = p->started + MASTER_READY_TIMEOUT_MS;
	TAILQ_INSERT_TAIL(&m->procs, p, entry);
	if (keys)
		g->keys[index] = p;
	else
		proc_count_spawn(m, g);
	scoreboard_publish(m);
	if (channel_open(m, p) == -1)
		fatal("cannot watch the channel of %s pid %ld", proc_what(p),
		    (long)p->pid);
	log_debug(
	    "spawned %s pid %ld (generation %u)", a.argv0, (long)p->pid, g->id);
	return p;
}

int
proc_spawn(struct master *m, struct generation *g)
{
	return proc_start(m, g, false, 0) != NULL ? 0 : -1;
}

int
proc_spawn_keys(struct master *m, struct generation *g, unsigned index)
{
	return proc_start(m, g, true, index) != NULL ? 0 : -1;
}

const char *
proc_name(const struct proc *p, char *buf, size_t size)
{
	if (p->keys)
		snprintf(buf, size,
		    "key process pid %ld (generation %u, %u of %u)",
		    (long)p->pid, p->gen->id, p->keys_index + 1, p->gen->nkeys);
	else
		snprintf(buf, size, "worker pid %ld (generation %u, slot %u)",
		    (long)p->pid, p->gen->id, p->slot);
	return buf;
}

const char *
proc_what(const struct proc *p)
{
	return p->keys ? "key process" : "worker";
}

const char *
proc_state_name(const struct proc *p)
{
	static const char *const names[] = {
		[PROC_STARTING] = "starting",
		[PROC_READY] = "ready",
		[PROC_DRAINING] = "draining",
		[PROC_STOPPING] = "stopping",
	};

	return names[p->state];
}

void
proc_send_stop(struct master *m, struct proc *p, bool graceful)
{
	enum ipc_type type = graceful ? IPC_GRACEFUL_STOP : IPC_STOP;
	int64_t bound = graceful ? p->gen->conf.graceful_shutdown_timeout * 1000
				 : MASTER_STOP_KILL_MS;
	struct ipc_stop stop;

	if (p->state == PROC_STOPPING ||
	    (graceful && p->state == PROC_DRAINING))
		return;
	stop.handoff = graceful && !p->keys && handoff_possible(m, p);
	p->expected_exit = true;
	if (p->channel != -1 && channel_send(p, type, &stop,
				    graceful ? sizeof(stop) : 0, NULL, 0) == -1)
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
}

void
proc_describe_exit(int status, char *why, size_t size)
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
	char why[96], name[PROC_NAME_MAX];

	proc_describe_exit(status, why, sizeof(why));
	proc_name(p, name, sizeof(name));
	if (p->expected_exit &&
	    (WIFEXITED(status) || WTERMSIG(status) == SIGTERM))
		log_debug("%s %s", name, why);
	else if (!p->keys && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_info("%s retired", name);
	else if (backoff > 0)
		log_msg(LOG_LVL_ERROR,
		    "%s %s; crashes repeat, replacing it in %lld ms", name, why,
		    (long long)backoff);
	else
		log_msg(LOG_LVL_ERROR, "%s %s; replacing it", name, why);
}

/* Consecutive crashes double the delay before the next spawn. */
int64_t
backoff_note(struct backoff *b, int64_t now)
{
	int64_t delay;

	if (now - b->last > MASTER_CRASH_FORGET_MS)
		b->count = 0;
	b->last = now;
	if (b->count++ == 0)
		return 0;
	delay = MASTER_BACKOFF_MIN_MS << (b->count < 8 ? b->count - 1 : 7);
	if (delay > MASTER_BACKOFF_MAX_MS)
		delay = MASTER_BACKOFF_MAX_MS;
	b->until = now + delay;
	return delay;
}

static void
proc_forget(struct master *m, struct proc *p, int status)
{
	struct generation *g = p->gen;
	bool keys = p->keys;
	unsigned index = p->keys_index;
	/* A key process is never done on its own: any exit not asked for. */
	bool crash = !p->expected_exit &&
		     (keys || !(WIFEXITED(status) && WEXITSTATUS(status) == 0));
	int64_t backoff =
	    crash ? backoff_note(
			keys ? &g->keys_crash[index] : &g->crash, master_now())
		  : 0;
	char why[96];

	proc_log_exit(p, status, backoff);
	if (g->state == GEN_STARTING && g->fail_reason == NULL) {
		proc_describe_exit(status, why, sizeof(why));
		xasprintf(&g->fail_reason,
		    "%s pid %ld %s before it was ready (its reason is in %s)",
		    proc_what(p), (long)p->pid, why, m->errorlog_path);
	}
	channel_drain(p);
	channel_close(p);
	if (p->keys_end != -1)
		close(p->keys_end);
	proc_count_exit(m, p, crash);
	/* Reaped: its CPU time is in the kernel's count of children now. */
	memset(p->cpu_us, 0, sizeof(p->cpu_us));
	scoreboard_release(m, p->slot, keys ? NULL : g);
	TAILQ_REMOVE(&m->procs, p, entry);
	free(p);
	if (keys) {
		g->keys[index] = NULL;
		keys_maintain(m, g); /* now, or once its backoff is over */
		return;
	}
	g->nprocs--;
	if (crash)
		reload_after_crash(m, g);
}

void
proc_exited(struct master *m, pid_t pid, int status)
{
	struct proc *p;

	if ((p = proc_by_pid(m, pid)) != NULL)
		proc_forget(m, p, status);
	else
		(void)upgrade_child_exited(m, pid, status);
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
