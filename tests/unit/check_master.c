/*
 * Check suite for the master's decisions: pool sizing, crash backoff and
 * rollback, and the reload state machine. The real master library runs
 * against tests/unit/master_stub.c: a fake clock, recorded signals and a
 * spawn that forks nothing. The test speaks for each worker on the real
 * channel, and the master's event base is run one turn at a time.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "master/master.h"
#include "protocol/ctl.h"
#include "protocol/ipc.h"
#include "lib/buf.h"
#include "tests/unit/ck.h"
#include "tests/unit/jsoncheck.h"
#include "tests/unit/master_stub.h"

#define CRASH_STATUS  (SIGSEGV) /* a wait status: killed by SIGSEGV */
#define RETIRE_STATUS 0         /* exited with status 0 */

static struct master m;

static void
setup(void)
{
	char *cause = NULL;

	stub_reset();
	master_init(&m);
	m.devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	m.errorlog_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	m.errorlog_path = xstrdup("/dev/null");
	ck_assert_int_ge(m.devnull_fd, 0);
	ck_assert_ptr_nonnull(m.base = event_base_new());
	ck_assert_msg(scoreboard_create(&m, &cause) == 0, "%s", cause);
	log_init("check_master", STDERR_FILENO, LOG_LVL_WARN);
}

static void
teardown(void)
{
	struct proc *p;

	while ((p = TAILQ_FIRST(&m.procs)) != NULL) {
		TAILQ_REMOVE(&m.procs, p, entry);
		channel_close(p);
		free(p);
	}
	munmap(m.sb, sb_size(m.nslots));
	close(m.sb_fd);
	close(m.devnull_fd);
	close(m.errorlog_fd);
	master_free(&m);
	stub_reset();
}

/* A generation as generation_new() would make it, without opening files. */
static struct generation *
gen_make(const char *mpm, long start, long threads)
{
	struct generation *g = xcalloc(1, sizeof(*g));

	conf_init(&g->conf);
	free(g->conf.mpm);
	g->conf.mpm = xstrdup(mpm);
	free(g->conf.error_log);
	g->conf.error_log = xstrdup("/dev/null");
	free(g->conf.custom_log);
	g->conf.custom_log = xstrdup("/dev/null");
	g->conf.start_servers = start;
	g->conf.threads_per_child = threads;
	/* Any open fd does: the master passes them on unlooked at. */
	g->binary_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	g->docroot_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	g->accesslog_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	g->keys_binary_fd = -1;
	g->config_text = conf_serialize(&g->conf, &g->config_len);
	g->prefork = conf_mpm_is_prefork(&g->conf);
	g->spawn_rate = 1;
	g->id = ++m.next_gen;
	g->state = GEN_STARTING;
	g->started = master_now();
	TAILQ_INSERT_TAIL(&m.gens, g, entry);
	return g;
}

#define TURNS     8  /* each reads one message per channel: more than enough */
#define TURNS_ALL 64 /* ... and the pool forks one process a turn */

/* Runs the master's event base until what was sent is read. */
static void
turn(void)
{
	int i;

	for (i = 0; i < TURNS; i++)
		event_base_loop(m.base, EVLOOP_NONBLOCK);
}

/* Enough turns for every spawn the pool asked for. */
static void
turn_all(void)
{
	int i;

	for (i = 0; i < TURNS_ALL; i++)
		event_base_loop(m.base, EVLOOP_NONBLOCK);
}

/* The worker PID says TYPE on its channel, and the master reads it. */
static void
worker_says(pid_t pid, enum ipc_type type)
{
	ck_assert_int_eq(
	    ipc_send(stub_worker_end(pid), type, NULL, 0, NULL, 0), 0);
	turn();
}

/* PID says HELLO as a worker would, then READY. */
static void
worker_ready(pid_t pid)
{
	struct ipc_hello hello;

	memset(&hello, 0, sizeof(hello));
	hello.version = IPC_VERSION;
	hello.pid = (uint32_t)pid;
	ck_assert_int_eq(ipc_send(stub_worker_end(pid), IPC_HELLO, &hello,
			     sizeof(hello), NULL, 0),
	    0);
	worker_says(pid, IPC_READY);
}

/* The last message the master sent to PID (0 for none), the rest dropped. */
static unsigned
master_said(pid_t pid)
{
	static struct ipc_msg msg;
	const char *cause;
	unsigned last = 0;

	while (ipc_recv(stub_worker_end(pid), IPC_FROM_MASTER, &msg, &cause) ==
	       1) {
		last = msg.type;
		ipc_msg_close_fds(&msg);
	}
	return last;
}

static unsigned
count_procs(const struct generation *g, int state)
{
	const struct proc *p;
	unsigned n = 0;

	TAILQ_FOREACH (p, &m.procs, entry)
		n += p->gen == g && (state < 0 || (int)p->state == state);
	return n;
}

static struct proc *
nth_proc(const struct generation *g, unsigned n)
{
	struct proc *p;

	TAILQ_FOREACH (p, &m.procs, entry)
		if (p->gen == g && n-- == 0)
			return p;
	return NULL;
}

/* Spawns N workers of G through the real proc_spawn() and makes them READY. */
static void
spawn_ready(struct generation *g, unsigned n, uint32_t busy)
{
	struct proc *p;
	unsigned i;

	for (i = 0; i < n; i++)
		ck_assert_int_eq(proc_spawn(&m, g), 0);
	TAILQ_FOREACH (p, &m.procs, entry) {
		if (p->gen != g || p->state != PROC_STARTING)
			continue;
		p->state = PROC_READY;
		p->deadline = 0;
		sb_write(&sb_slot_at(m.sb, p->slot)->threads, p->capacity);
		sb_write(&sb_slot_at(m.sb, p->slot)->busy, busy);
	}
}

static const struct reload_result *
last_result(void)
{
	ck_assert_uint_gt(m.nhistory, 0);
	return &m.history[(m.nhistory - 1) % MASTER_HISTORY];
}

/* ---------------------------------------------------------- pool sizing */

struct pool_row {
	int line;
	const char *mpm;
	long threads; /* ThreadsPerChild */
	long start, min_spare, max_spare, max_workers;
	unsigned ready;    /* READY processes ... */
	uint32_t busy;     /* ... each with this many busy slots */
	unsigned starting; /* processes still starting */
	unsigned rate;     /* the spawn rate before the tick */
	unsigned spawned;  /* what the tick spawns ... */
	unsigned stopped;  /* ... or asks to stop gracefully */
	unsigned rate_after;
};

static void
pool_row_run(const struct pool_row *r)
{
	struct generation *g = gen_make(r->mpm, r->start, r->threads);
	size_t before;
	unsigned i;

	g->state = GEN_ACTIVE;
	g->spawn_rate = r->rate;
	if (g->prefork) {
		g->conf.min_spare_servers = r->min_spare;
		g->conf.max_spare_servers = r->max_spare;
	} else {
		g->conf.min_spare_threads = r->min_spare;
		g->conf.max_spare_threads = r->max_spare;
	}
	g->conf.max_request_workers = r->max_workers;
	spawn_ready(g, r->ready, r->busy);
	for (i = 0; i < r->starting; i++)
		ck_assert_int_eq(proc_spawn(&m, g), 0);
	before = stub.nspawned;
	pool_maintain(&m, g);
	ck_assert_msg(g->spawn_wanted == r->spawned,
	    "row at line %d: %u wanted, want %u", r->line, g->spawn_wanted,
	    r->spawned);
	turn_all(); /* one fork a turn */
	ck_assert_msg(stub.nspawned - before == r->spawned,
	    "row at line %d: spawned %zu, want %u", r->line,
	    stub.nspawned - before, r->spawned);
	ck_assert_msg(count_procs(g, PROC_DRAINING) == r->stopped,
	    "row at line %d: stopped %u, want %u", r->line,
	    count_procs(g, PROC_DRAINING), r->stopped);
	ck_assert_msg(g->spawn_rate == r->rate_after,
	    "row at line %d: spawn rate %u, want %u", r->line, g->spawn_rate,
	    r->rate_after);
}

START_TEST(test_pool_sizing)
{
	static const struct pool_row rows[] = {
		/* prefork: idle processes between MinSpare and MaxSpare */
		{ CK_ROW, "prefork", 1, 2, 2, 8, 256, 2, 0, 0, 1, 0, 0, 1 },
		{ CK_ROW, "prefork", 1, 2, 2, 8, 256, 2, 1, 0, 1, 1, 0, 2 },
		/* the rate doubles each tick the shortage lasts, up to 32 */
		{ CK_ROW, "prefork", 1, 2, 2, 8, 256, 2, 1, 0, 4, 4, 0, 8 },
		{ CK_ROW, "prefork", 1, 2, 2, 8, 256, 2, 1, 0, 32, 32, 0, 32 },
		/* never beyond MaxRequestWorkers processes */
		{ CK_ROW, "prefork", 1, 2, 2, 8, 3, 2, 1, 0, 4, 1, 0, 8 },
		{ CK_ROW, "prefork", 1, 2, 2, 8, 2, 2, 1, 0, 4, 0, 0, 1 },
		/* a process still starting: wait for it before spawning more */
		{ CK_ROW, "prefork", 1, 2, 2, 8, 256, 2, 1, 1, 2, 0, 0, 1 },
		/* below StartServers: back up to it at once */
		{ CK_ROW, "prefork", 1, 4, 2, 8, 256, 1, 0, 0, 1, 3, 0, 1 },
		/* idle above MaxSpare: one retires per tick */
		{ CK_ROW, "prefork", 1, 2, 2, 8, 256, 10, 0, 0, 1, 0, 1, 1 },
		/* ... but never below StartServers processes */
		{ CK_ROW, "prefork", 1, 10, 2, 8, 256, 10, 0, 0, 1, 0, 0, 1 },
		/* threads: the same in request slots */
		{ CK_ROW, "threaded", 25, 3, 25, 75, 400, 3, 0, 0, 1, 0, 0, 1 },
		{ CK_ROW, "threaded", 25, 3, 25, 75, 400, 4, 0, 0, 1, 0, 1, 1 },
		{ CK_ROW, "threaded", 25, 2, 25, 75, 400, 2, 25, 0, 1, 1, 0,
		    2 },
		/* retiring must not push idle below MinSpare (it would regrow)
		 */
		{ CK_ROW, "event", 25, 1, 76, 90, 400, 4, 0, 0, 1, 0, 0, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		teardown();
		setup();
		pool_row_run(&rows[i]);
	}
}
END_TEST

START_TEST(test_pool_only_active)
{
	struct generation *g = gen_make("prefork", 2, 1);

	g->state = GEN_DRAINING;
	pool_maintain(&m, g);
	ck_assert_uint_eq(stub.nspawned, 0);
	g->state = GEN_ACTIVE;
	m.stopping = true;
	pool_maintain(&m, g);
	ck_assert_uint_eq(stub.nspawned, 0);
}
END_TEST

/* -------------------------------------------------------- crash backoff */

/* The Nth crash in a row delays the next spawn by this (0: at once). */
static const int64_t backoff_ms[] = { 0, 500, 1000, 2000, 4000, 8000, 16000,
	30000, 30000, 30000 };

/* A READY worker of G dies with STATUS; returns its pid. */
static pid_t
worker_dies(struct generation *g, int status)
{
	struct proc *p;
	pid_t pid;

	if (count_procs(g, PROC_READY) == 0)
		spawn_ready(g, 1, 0);
	p = nth_proc(g, 0);
	pid = p->pid;
	proc_exited(&m, pid, status);
	return pid;
}

START_TEST(test_crash_backoff)
{
	struct generation *g = gen_make("prefork", 1, 1);
	size_t i;

	g->state = GEN_ACTIVE;
	for (i = 0; i < sizeof(backoff_ms) / sizeof(backoff_ms[0]); i++) {
		stub.now += 10;
		worker_dies(g, CRASH_STATUS);
		ck_assert_uint_eq(g->crash.count, i + 1);
		ck_assert_msg(
		    i == 0 || g->crash.until - stub.now == backoff_ms[i],
		    "crash %zu: backoff %lld ms, want %lld", i + 1,
		    (long long)(g->crash.until - stub.now),
		    (long long)backoff_ms[i]);
	}
}
END_TEST

START_TEST(test_crash_backoff_spawns_one)
{
	struct generation *g = gen_make("prefork", 3, 1);
	size_t before;

	g->state = GEN_ACTIVE;
	spawn_ready(g, 3, 0);
	worker_dies(g, CRASH_STATUS);
	worker_dies(g, CRASH_STATUS); /* the second in a row backs off */
	ck_assert_int_gt(g->crash.until, stub.now);
	before = stub.nspawned;
	pool_maintain(&m, g); /* one left: no spawn while backing off */
	turn_all();
	ck_assert_uint_eq(stub.nspawned, before);
	worker_dies(g, CRASH_STATUS);
	pool_maintain(&m, g); /* none left: one a tick, never none */
	turn_all();
	ck_assert_uint_eq(stub.nspawned, before + 1);
	stub.now = g->crash.until;
	spawn_ready(g, 0, 0);
	nth_proc(g, 0)->state = PROC_READY;
	pool_maintain(&m, g); /* backoff over: back to StartServers */
	turn_all();
	ck_assert_uint_eq(count_procs(g, -1), 3);
}
END_TEST

START_TEST(test_crash_forgotten_after_calm)
{
	struct generation *g = gen_make("prefork", 1, 1);

	g->state = GEN_ACTIVE;
	worker_dies(g, CRASH_STATUS);
	worker_dies(g, CRASH_STATUS);
	ck_assert_uint_eq(g->crash.count, 2);
	stub.now += MASTER_CRASH_FORGET_MS + 1;
	worker_dies(g, CRASH_STATUS);
	ck_assert_uint_eq(g->crash.count, 1);
}
END_TEST

START_TEST(test_exit_zero_is_no_crash)
{
	struct generation *g = gen_make("prefork", 1, 1);
	struct proc *p;

	g->state = GEN_ACTIVE;
	worker_dies(g, RETIRE_STATUS); /* MaxConnectionsPerChild: retired */
	ck_assert_uint_eq(g->crash.count, 0);
	spawn_ready(g, 1, 0);
	p = nth_proc(g, 0);
	proc_send_stop(&m, p, true); /* asked to go: whatever it says is fine */
	proc_exited(&m, p->pid, SIGTERM); /* killed by SIGTERM */
	ck_assert_uint_eq(g->crash.count, 0);
	ck_assert_uint_eq(count_procs(g, -1), 0);
}
END_TEST

/* ----------------------------------------------------- reload machine */

/* An active generation with N READY workers. */
static struct generation *
serving(const char *mpm, unsigned n)
{
	struct generation *g = gen_make(mpm, n, 4);

	spawn_ready(g, n, 0);
	g->state = GEN_ACTIVE;
	g->promoted = master_now();
	return g;
}

/* reload_launch() and the loop turns in which its workers are forked. */
static void
launch(struct generation *g, int verb)
{
	reload_launch(&m, g, verb);
	turn_all();
}

/* Every worker of G says READY. */
static void
all_ready(struct generation *g)
{
	unsigned i, n = count_procs(g, PROC_STARTING);

	for (i = 0; i < n; i++)
		worker_ready(nth_proc(g, count_procs(g, -1) - n + i)->pid);
}

/* Every worker of G was last told TYPE. */
static void
all_told(const struct generation *g, unsigned type, const char *what)
{
	const struct proc *p;

	TAILQ_FOREACH (p, &m.procs, entry)
		if (p->gen == g)
			ck_assert_msg(master_said(p->pid) == type,
			    "%s: pid %ld was not told %s", what, (long)p->pid,
			    ipc_type_name(type));
}

START_TEST(test_graceful_promotes_when_all_ready)
{
	struct generation *old = serving("prefork", 2);
	struct generation *g = gen_make("event", 3, 4);

	launch(g, CTL_GRACEFUL);
	ck_assert_uint_eq(count_procs(g, PROC_STARTING), 3);
	worker_ready(nth_proc(g, 0)->pid);
	worker_ready(nth_proc(g, 1)->pid);
	ck_assert_int_eq(g->state, GEN_STARTING); /* all 3, not 2 of 3 */
	ck_assert_int_eq(old->state, GEN_ACTIVE);
	worker_ready(nth_proc(g, 2)->pid);
	ck_assert_int_eq(g->state, GEN_ACTIVE);
	ck_assert_int_eq(old->state, GEN_DRAINING);
	ck_assert_uint_eq(count_procs(old, PROC_DRAINING), 2);
	all_told(old, IPC_GRACEFUL_STOP, "the old generation");
	ck_assert_ptr_eq(m.previous, old);
	ck_assert(!m.reload.active);
	ck_assert(last_result()->ok);
	ck_assert_ptr_nonnull(strstr(last_result()->text, "ready in"));
}
END_TEST

START_TEST(test_restart_stops_old_now)
{
	struct generation *old = serving("threaded", 2);
	struct generation *g = gen_make("threaded", 1, 4);

	launch(g, CTL_RESTART);
	all_ready(g);
	ck_assert_int_eq(g->state, GEN_ACTIVE);
	ck_assert_uint_eq(count_procs(old, PROC_STOPPING), 2);
	all_told(old, IPC_STOP, "restart");
}
END_TEST

START_TEST(test_first_start_needs_one_ready)
{
	struct generation *g = gen_make("prefork", 4, 1);

	launch(g, 0);
	worker_ready(nth_proc(g, 2)->pid);
	ck_assert_int_eq(g->state, GEN_ACTIVE);
	ck_assert(last_result()->ok);
}
END_TEST

START_TEST(test_worker_death_fails_reload)
{
	struct generation *old = serving("prefork", 2);
	struct generation *g = gen_make("event", 2, 4);

	launch(g, CTL_GRACEFUL);
	worker_ready(nth_proc(g, 0)->pid);
	proc_exited(&m, nth_proc(g, 1)->pid, W_EXITCODE(1, 0));
	master_maintain(&m, false); /* what SIGCHLD runs after reaping */
	ck_assert(!m.reload.active);
	ck_assert_int_eq(old->state, GEN_ACTIVE);
	ck_assert_int_eq(g->state, GEN_DRAINING);
	ck_assert_uint_eq(count_procs(old, PROC_READY), 2);
	all_told(g, IPC_STOP, "the failed generation");
	ck_assert(!last_result()->ok);
	ck_assert_ptr_nonnull(strstr(
	    last_result()->text, "exited with status 1 before it was ready"));
	ck_assert_ptr_nonnull(
	    strstr(last_result()->text, "still serving generation 1"));
}
END_TEST

START_TEST(test_ready_timeout_fails_reload)
{
	struct generation *old = serving("prefork", 1);
	struct generation *g = gen_make("prefork", 2, 1);

	launch(g, CTL_GRACEFUL);
	worker_ready(nth_proc(g, 0)->pid);
	stub.now += MASTER_READY_TIMEOUT_MS - 1;
	reload_check(&m);
	ck_assert(m.reload.active);
	stub.now += 1;
	master_maintain(&m, false);
	ck_assert(!m.reload.active);
	ck_assert_int_eq(old->state, GEN_ACTIVE);
	ck_assert_ptr_nonnull(
	    strstr(last_result()->text, "did not report READY in time"));
}
END_TEST

START_TEST(test_spawn_failure_fails_reload)
{
	struct generation *old = serving("prefork", 1);
	struct generation *g = gen_make("prefork", 2, 1);

	stub.fail_spawn = true;
	launch(g, CTL_GRACEFUL);
	ck_assert(!m.reload.active);
	ck_assert_int_eq(old->state, GEN_ACTIVE);
	ck_assert_ptr_nonnull(strstr(last_result()->text, "cannot spawn"));
}
END_TEST

START_TEST(test_unexpected_message_kills_worker)
{
	struct generation *g = serving("prefork", 1);
	pid_t pid = nth_proc(g, 0)->pid;

	worker_says(pid, IPC_READY); /* READY twice */
	ck_assert_int_eq(nth_proc(g, 0)->state, PROC_STOPPING);
	ck_assert_uint_eq(stub.nsignals, 1);
	ck_assert_int_eq(stub.signals[0].pid, pid);
	ck_assert_int_eq(stub.signals[0].sig, SIGKILL);
}
END_TEST

START_TEST(test_signals_queue_during_reload)
{
	struct generation *g;

	serving("prefork", 1);
	g = gen_make("prefork", 1, 1);
	launch(g, CTL_GRACEFUL);
	reload_begin(&m, CTL_GRACEFUL, -1);
	ck_assert_int_eq(m.pending_verb, CTL_GRACEFUL);
	reload_begin(&m, CTL_RESTART, -1);
	ck_assert_int_eq(m.pending_verb, CTL_RESTART);
	reload_begin(&m, CTL_GRACEFUL, -1); /* a restart is not downgraded */
	ck_assert_int_eq(m.pending_verb, CTL_RESTART);
	ck_assert_ptr_eq(m.reload.gen, g);
}
END_TEST

/* A control connection as mpmctl holds it: our end, the master's end. */
static void
client_pair(int sv[2])
{
	ck_assert_int_eq(
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
}

/* The reply on our end of a control connection: 1 ok, 0 failed, -1 none. */
static int
client_reply(int fd, const char *want)
{
	static struct ipc_msg msg;
	struct ctl_reply r;
	const char *cause;

	if (ipc_recv(fd, IPC_FROM_SERVER, &msg, &cause) != 1)
		return -1;
	memcpy(&r, msg.payload, sizeof(r));
	ck_assert_msg(memmem(msg.payload + sizeof(r), msg.len - sizeof(r), want,
			  strlen(want)) != NULL,
	    "reply \"%.*s\" lacks \"%s\"", (int)(msg.len - sizeof(r)),
	    (const char *)msg.payload + sizeof(r), want);
	return (int)r.ok;
}

START_TEST(test_mpmctl_queues_during_reload)
{
	struct generation *g;
	int a[2], b[2];

	m.conf_path = xstrdup("/nonexistent/mpmd.conf");
	serving("prefork", 1);
	g = gen_make("prefork", 1, 1);
	launch(g, 0); /* the start, still settling */
	client_pair(a);
	client_pair(b);
	reload_begin(&m, CTL_GRACEFUL, a[1]);
	reload_begin(&m, CTL_RESTART, b[1]);
	ck_assert_int_eq(client_reply(a[0], ""), -1); /* waits, not refused */
	ck_assert_uint_eq(m.pending.n, 2);
	ck_assert_int_eq(m.pending_verb, CTL_RESTART);
	all_ready(g); /* the start ends, then the queued restart runs */
	turn();
	ck_assert_int_eq(client_reply(a[0], "configuration has errors"), 0);
	ck_assert_int_eq(client_reply(b[0], "/nonexistent/mpmd.conf"), 0);
	ck_assert(!m.reload.active);
	close(a[0]);
	close(b[0]);
}
END_TEST

START_TEST(test_stop_answers_waiters)
{
	struct generation *g;
	int a[2];

	m.conf_path = xstrdup("/nonexistent/mpmd.conf");
	serving("prefork", 1);
	g = gen_make("prefork", 1, 1);
	launch(g, CTL_GRACEFUL);
	client_pair(a);
	reload_begin(&m, CTL_GRACEFUL, a[1]);
	ck_assert_int_eq(client_reply(a[0], ""), -1);
	master_stop(&m, false);
	ck_assert_int_eq(client_reply(a[0], "mpmd is stopping"), 0);
	ck_assert_uint_eq(m.pending.n, 0);
	close(a[0]);
}
END_TEST

/* ------------------------------------------------------------ rollback */

START_TEST(test_crash_loop_rolls_back)
{
	struct generation *old = serving("prefork", 2);
	struct generation *g = gen_make("event", 2, 4);
	unsigned i;

	launch(g, CTL_GRACEFUL);
	all_ready(g);
	ck_assert_int_eq(g->state, GEN_ACTIVE);
	for (i = 0; i < MASTER_ROLLBACK_CRASHES - 1; i++) {
		stub.now += 100;
		spawn_ready(g, 1, 0); /* one always survives the crash */
		worker_dies(g, CRASH_STATUS);
	}
	ck_assert_int_eq(g->state, GEN_ACTIVE);
	worker_dies(g, CRASH_STATUS);
	ck_assert_int_eq(g->state, GEN_DRAINING);
	ck_assert_int_eq(old->state, GEN_ACTIVE);
	ck_assert_ptr_null(m.previous);
	ck_assert_ptr_nonnull(strstr(last_result()->text, "rolled back"));
}
END_TEST

START_TEST(test_all_workers_dead_rolls_back)
{
	struct generation *old = serving("prefork", 2);
	struct generation *g = gen_make("event", 2, 4);

	launch(g, CTL_GRACEFUL);
	all_ready(g);
	worker_dies(g, CRASH_STATUS);
	ck_assert_int_eq(g->state, GEN_ACTIVE); /* one still serves */
	worker_dies(g, CRASH_STATUS);
	ck_assert_int_eq(g->state, GEN_DRAINING);
	ck_assert_int_eq(old->state, GEN_ACTIVE);
	ck_assert_ptr_nonnull(
	    strstr(last_result()->text, "none of its workers left"));
	ck_assert_uint_eq(old->spawn_wanted, 2); /* refilled now, not later */
}
END_TEST

START_TEST(test_no_rollback_after_probation)
{
	struct generation *old = serving("prefork", 1);
	struct generation *g = gen_make("event", 1, 4);
	unsigned i;

	launch(g, CTL_GRACEFUL);
	all_ready(g);
	stub.now += MASTER_ROLLBACK_WINDOW_MS;
	reload_end_probation(&m);
	ck_assert_ptr_null(m.previous);
	for (i = 0; i < MASTER_ROLLBACK_CRASHES; i++)
		worker_dies(g, CRASH_STATUS);
	ck_assert_int_eq(g->state, GEN_ACTIVE);
	ck_assert_int_eq(old->state, GEN_DRAINING);
}
END_TEST

/* ------------------------------------------------------------ channel */

static const char chunk[IPC_MAX_PAYLOAD];

/* The master's writes to P until its socket is full and some wait. */
static void
fill_channel(struct proc *p)
{
	int i;

	for (i = 0; i < 1000 && p->out.count == 0; i++)
		ck_assert_int_eq(
		    channel_send(p, IPC_CONFIG, chunk, sizeof(chunk), NULL, 0),
		    0);
	ck_assert_uint_gt(p->out.count, 0);
}

START_TEST(test_unread_channel_never_blocks)
{
	struct generation *g = serving("prefork", 2);
	struct proc *p = nth_proc(g, 0);

	fill_channel(p); /* returned: the master did not block */
	stub.now += 1999;
	proc_check_deadlines(&m);
	ck_assert_int_eq(p->state, PROC_READY);
	stub.now += 1;
	proc_check_deadlines(&m);
	ck_assert_int_eq(p->state, PROC_STOPPING);
	ck_assert_int_eq(p->channel, -1);
	ck_assert_int_eq(stub.signals[0].sig, SIGKILL);
	ck_assert_int_eq(nth_proc(g, 1)->state, PROC_READY);
}
END_TEST

START_TEST(test_queue_drains_when_read)
{
	struct generation *g = serving("prefork", 1);
	struct proc *p = nth_proc(g, 0);

	fill_channel(p);
	while (master_said(p->pid) != 0 && p->out.count > 0)
		turn();
	ck_assert_uint_eq(p->out.count, 0);
	stub.now += 5000;
	proc_check_deadlines(&m);
	ck_assert_int_eq(p->state, PROC_READY);
}
END_TEST

START_TEST(test_queue_bound_kills)
{
	struct generation *g = serving("prefork", 1);
	struct proc *p = nth_proc(g, 0);
	int i;

	for (i = 0; i < 1000 && p->channel != -1; i++)
		channel_send(p, IPC_CONFIG, chunk, sizeof(chunk), NULL, 0);
	ck_assert_int_eq(p->state, PROC_STOPPING);
	ck_assert_uint_eq(p->out.count, 0); /* dropped with the channel */
}
END_TEST

struct msg_row {
	int line;
	int state;  /* the worker's state before it speaks */
	bool hello; /* it said HELLO already */
	uint16_t type;
	bool killed;
};

START_TEST(test_messages_out_of_place)
{
	static const struct msg_row rows[] = {
		{ CK_ROW, PROC_STARTING, false, IPC_READY, true },
		{ CK_ROW, PROC_STARTING, true, IPC_HELLO, true },
		{ CK_ROW, PROC_READY, true, IPC_READY, true },
		{ CK_ROW, PROC_READY, true, IPC_STOP, true },
		{ CK_ROW, PROC_READY, true, IPC_CTL_REPLY, true },
		{ CK_ROW, PROC_DRAINING, true, IPC_HELLO, true },
		{ CK_ROW, PROC_STARTING, true, IPC_READY, false },
		{ CK_ROW, PROC_READY, true, IPC_LOGS_REOPENED, true },
	};
	struct generation *g;
	struct proc *p;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		teardown();
		setup();
		g = serving("prefork", 1);
		p = nth_proc(g, 0);
		p->state = rows[i].state;
		p->hello_seen = rows[i].hello;
		worker_says(p->pid, rows[i].type);
		ck_assert_msg((p->state == PROC_STOPPING) == rows[i].killed,
		    "row at line %d: state %d", rows[i].line, p->state);
		ck_assert_msg(stub.nsignals == (rows[i].killed ? 1u : 0u),
		    "row at line %d: %zu signals", rows[i].line, stub.nsignals);
	}
}
END_TEST

START_TEST(test_second_fatal_kills)
{
	struct generation *g = serving("prefork", 1);
	struct proc *p = nth_proc(g, 0);
	int end = stub_worker_end(p->pid);

	ck_assert_int_eq(ipc_send(end, IPC_FATAL, "bye", 3, NULL, 0), 0);
	turn();
	ck_assert_int_eq(p->state, PROC_READY);
	ck_assert_int_eq(ipc_send(end, IPC_FATAL, "bye", 3, NULL, 0), 0);
	turn();
	ck_assert_int_eq(p->state, PROC_STOPPING);
}
END_TEST

START_TEST(test_reopen_waits_for_workers)
{
	struct generation *g = serving("threaded", 2);
	char *cause = NULL;
	int a[2], b[2];

	client_pair(a);
	ck_assert_int_eq(logs_reopen(&m, a[1], &cause), 0);
	ck_assert_uint_eq(master_said(nth_proc(g, 0)->pid), IPC_REOPEN_LOGS);
	ck_assert_int_eq(client_reply(a[0], ""), -1); /* not before them */
	worker_says(nth_proc(g, 0)->pid, IPC_LOGS_REOPENED);
	ck_assert_int_eq(client_reply(a[0], ""), -1);
	worker_says(nth_proc(g, 1)->pid, IPC_LOGS_REOPENED);
	ck_assert_int_eq(client_reply(a[0], "logs reopened"), 1);
	client_pair(b); /* one never confirms: answered at the bound */
	ck_assert_int_eq(logs_reopen(&m, b[1], &cause), 0);
	worker_says(nth_proc(g, 0)->pid, IPC_LOGS_REOPENED);
	stub.now += 1999;
	master_maintain(&m, false);
	ck_assert_int_eq(client_reply(b[0], ""), -1);
	stub.now += 1;
	master_maintain(&m, false);
	ck_assert_int_eq(
	    client_reply(b[0], "1 worker did not confirm within 2000 ms"), 1);
	close(a[0]);
	close(b[0]);
}
END_TEST

/* ------------------------------------------------------- scoreboard */

/* What a reader of the shared board sums: the header's and every slot's. */
static uint64_t
board_requests(void)
{
	struct sb_header h;
	uint64_t n;
	uint32_t i;

	sb_load_words(&h, m.sb, sizeof(h));
	ck_assert_int_eq(h.seq % 2, 0); /* nobody is changing it now */
	n = h.folded.requests;
	for (i = 0; i < h.hwm; i++)
		n += sb_read(&sb_slot_at(m.sb, i)->c.requests);
	return n;
}

/* Worker P counted N more requests (as its slot says). */
static void
worker_counts(const struct proc *p, uint64_t n)
{
	sb_add(&sb_slot_at(m.sb, p->slot)->c.requests, n);
	sb_add(&sb_slot_at(m.sb, p->slot)->c.finished, n);
}

struct exit_row {
	int line;
	int status;       /* how the worker ends */
	bool asked;       /* the master asked it to stop */
	uint64_t crashes; /* counted as a crash */
	unsigned replace; /* exits the pool is to make up for */
};

/* However a worker ends, what it counted stays counted, once. */
START_TEST(test_exit_folds_counters)
{
	static const struct exit_row rows[] = {
		{ CK_ROW, CRASH_STATUS, false, 1, 1 },
		{ CK_ROW, SIGKILL, false, 1, 1 },
		{ CK_ROW, RETIRE_STATUS, false, 0, 1 },
		{ CK_ROW, W_EXITCODE(1, 0), false, 1, 1 },
		{ CK_ROW, RETIRE_STATUS, true, 0, 0 },
		{ CK_ROW, SIGTERM, true, 0, 0 },
	};
	struct generation *g;
	struct proc *a, *b;
	uint32_t slot;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		teardown();
		setup();
		g = serving("prefork", 2);
		a = nth_proc(g, 0);
		b = nth_proc(g, 1);
		worker_counts(a, 10);
		worker_counts(b, 5);
		ck_assert_uint_eq(board_requests(), 15);
		if (rows[i].asked)
			proc_send_stop(&m, a, true);
		slot = a->slot;
		proc_exited(&m, a->pid, rows[i].status);
		ck_assert_msg(board_requests() == 15, "row at line %d: %llu",
		    rows[i].line, (unsigned long long)board_requests());
		ck_assert_uint_eq(sb_slot_at(m.sb, slot)->c.requests, 0);
		ck_assert_uint_eq(g->folded.requests, 10);
		ck_assert_uint_eq(g->folded.finished, 10);
		ck_assert_msg(m.counts.crashes == rows[i].crashes &&
				  g->replace == rows[i].replace,
		    "row at line %d: %llu crashes, %u to replace", rows[i].line,
		    (unsigned long long)m.counts.crashes, g->replace);
	}
}
END_TEST

/* Through crashes, a reload and new workers, the total only grows. */
START_TEST(test_totals_never_go_backwards)
{
	struct generation *old = serving("prefork", 2), *g;
	uint64_t seen = 0, now;
	unsigned i;

	for (i = 0; i < 6; i++) {
		worker_counts(nth_proc(old, 0), i + 1);
		now = board_requests();
		ck_assert_uint_ge(now, seen);
		seen = now;
		worker_dies(old, i % 2 ? CRASH_STATUS : RETIRE_STATUS);
		ck_assert_uint_eq(board_requests(), seen);
		spawn_ready(old, 1, 0);
		ck_assert_uint_eq(m.counts.restarts, i + 1); /* in its place */
	}
	g = gen_make("event", 1, 4);
	launch(g, CTL_GRACEFUL);
	worker_counts(nth_proc(g, 0), 7);
	all_ready(g);
	TAILQ_FOREACH (g, &m.gens, entry)
		while (count_procs(g, -1) > 0)
			proc_exited(&m, nth_proc(g, 0)->pid, SIGTERM);
	ck_assert_uint_eq(board_requests(), seen + 7);
	ck_assert_uint_eq(m.pub.folded.requests, seen + 7);
}
END_TEST

/* A hostile worker's numbers add up without wrapping around. */
START_TEST(test_fold_saturates)
{
	struct generation *g = serving("prefork", 2);

	worker_counts(nth_proc(g, 0), UINT64_MAX - 1);
	worker_counts(nth_proc(g, 1), 5);
	worker_dies(g, CRASH_STATUS);
	worker_dies(g, CRASH_STATUS);
	ck_assert_uint_eq(m.pub.folded.requests, UINT64_MAX);
	ck_assert_uint_eq(g->folded.requests, UINT64_MAX);
}
END_TEST

/* The header says what the master knows: generations, reloads, hwm. */
START_TEST(test_header_published)
{
	struct generation *old = serving("prefork", 2);
	struct generation *g = gen_make("threaded", 1, 8);
	struct sb_header h;

	launch(g, CTL_GRACEFUL);
	all_ready(g);
	sb_load_words(&h, m.sb, sizeof(h));
	ck_assert_uint_eq(h.magic, SB_MAGIC);
	ck_assert_uint_eq(h.active, g->id);
	ck_assert_uint_eq(h.width, 8);
	ck_assert_uint_eq(h.mpm_generation, 1);
	ck_assert_uint_eq(h.reloads[SB_RELOAD_GRACEFUL][1], 1);
	ck_assert_uint_eq(h.ngens, 2);
	ck_assert_uint_eq(h.gens[0].id, old->id);
	ck_assert_uint_eq(h.gens[0].state, SB_GEN_DRAINING);
	ck_assert_uint_eq(h.gens[1].state, SB_GEN_ACTIVE);
	ck_assert_uint_eq(h.gens[1].processes, 1);
	ck_assert_uint_eq(h.hwm, 3);
	ck_assert_uint_eq(h.spawns, 3);
	ck_assert_int_eq(last_result()->took_ms >= 0, 1);
}
END_TEST

/* ----------------------------------------------------------- report */

/* A master with history: a graceful, a crash, a failed reload. */
static void
with_history(void)
{
	struct generation *old = serving("prefork", 2), *g;

	m.conf_path = xstrdup("/etc/mpmd/\"odd\"\tname\x01.conf");
	m.started_wall = time(NULL) - 5;
	g = gen_make("event", 2, 4);
	launch(g, CTL_GRACEFUL);
	all_ready(g);
	worker_counts(nth_proc(g, 0), 3);
	worker_dies(g, CRASH_STATUS);
	(void)old;
	reload_begin(&m, CTL_RESTART, -1); /* the config cannot be read */
}

/* Every packet of the reply on FD, joined; returns ok. */
static bool
read_reply(int fd, struct buf *text)
{
	static struct ipc_msg msg;
	struct ctl_reply r;
	const char *cause;

	do {
		ck_assert_int_eq(
		    ipc_recv(fd, IPC_FROM_SERVER, &msg, &cause), 1);
		memcpy(&r, msg.payload, sizeof(r));
		buf_add(text, msg.payload + sizeof(r), msg.len - sizeof(r));
	} while (r.more);
	return r.ok;
}

START_TEST(test_status_json)
{
	static const char *const has[] = { "\"version\":\"" PACKAGE_VERSION,
		"\"config\":\"/etc/mpmd/\\\"odd\\\"\\tname\\u0001.conf\"",
		"{\"id\":1,\"mpm\":\"prefork\",\"state\":\"draining\"",
		"{\"id\":2,\"mpm\":\"event\",\"state\":\"active\"",
		"\"state\":\"ready\"", "\"crashes\":{\"in_a_row\":1,",
		"\"verb\":\"graceful\",\"outcome\":\"ok\",\"duration_ms\":",
		"\"verb\":\"restart\",\"outcome\":\"failed\"",
		"\"worker_crashes\":1", "\"exited_requests\":3" };
	struct buf r;
	size_t i;

	with_history();
	buf_init(&r);
	report_json(&m, &r);
	ck_assert(!r.failed);
	ck_assert_msg(
	    json_valid(r.p, r.len), "not JSON: %.*s", (int)r.len, r.p);
	for (i = 0; i < sizeof(has) / sizeof(has[0]); i++)
		ck_assert_msg(
		    memmem(r.p, r.len, has[i], strlen(has[i])) != NULL,
		    "no %s in %.*s", has[i], (int)r.len, r.p);
	buf_free(&r);
}
END_TEST

/* Longer than a packet: several, the text whole and still JSON. */
START_TEST(test_status_many_packets)
{
	struct buf text;
	unsigned i;
	int c[2];

	with_history();
	for (i = 0; i < MASTER_HISTORY; i++) {
		memset(m.history[i].text, '"', MASTER_RESULT_MAX - 1);
		m.history[i].text[MASTER_RESULT_MAX - 1] = '\0';
	}
	m.nhistory = MASTER_HISTORY * 2;
	spawn_ready(TAILQ_FIRST(&m.gens), STUB_MAX_PROCS - 8, 0);
	client_pair(c);
	report_status(&m, c[1], true);
	buf_init(&text);
	ck_assert(read_reply(c[0], &text));
	ck_assert_uint_gt(text.len, IPC_MAX_PAYLOAD);
	ck_assert_msg(json_valid(text.p, text.len), "not JSON");
	buf_free(&text);
	close(c[0]);
}
END_TEST

/* The text, as before, and the JSON flag on the control socket. */
START_TEST(test_status_over_control)
{
	struct buf text;
	int c[2];

	with_history();
	client_pair(c);
	report_status(&m, c[1], false);
	buf_init(&text);
	ck_assert(read_reply(c[0], &text));
	ck_assert_ptr_nonnull(
	    memmem(text.p, text.len, "generation 2: MPM event, active",
		strlen("generation 2: MPM event, active")));
	ck_assert(!json_valid(text.p, text.len));
	buf_free(&text);
	close(c[0]);
}
END_TEST

/* Counts in words: one worker is "1 worker", never "1 workers". */
START_TEST(test_status_plurals)
{
	struct buf text;
	int c[2];

	serving("event", 1);
	client_pair(c);
	report_status(&m, c[1], false);
	buf_init(&text);
	ck_assert(read_reply(c[0], &text));
	ck_assert_msg(memmem(text.p, text.len, ", 1 worker:", 11) != NULL,
	    "no '1 worker:' in %.*s", (int)text.len, text.p);
	ck_assert_msg(memmem(text.p, text.len, "1 workers", 9) == NULL,
	    "'1 workers' in %.*s", (int)text.len, text.p);
	buf_free(&text);
	close(c[0]);
}
END_TEST

static Suite *
master_suite(void)
{
	Suite *s = suite_create("master");
	TCase *tc;

	tc = tcase_create("pool");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pool_sizing);
	tcase_add_test(tc, test_pool_only_active);
	suite_add_tcase(s, tc);

	tc = tcase_create("crashes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_crash_backoff);
	tcase_add_test(tc, test_crash_backoff_spawns_one);
	tcase_add_test(tc, test_crash_forgotten_after_calm);
	tcase_add_test(tc, test_exit_zero_is_no_crash);
	tcase_add_test(tc, test_crash_loop_rolls_back);
	tcase_add_test(tc, test_all_workers_dead_rolls_back);
	tcase_add_test(tc, test_no_rollback_after_probation);
	suite_add_tcase(s, tc);

	tc = tcase_create("reload");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_graceful_promotes_when_all_ready);
	tcase_add_test(tc, test_restart_stops_old_now);
	tcase_add_test(tc, test_first_start_needs_one_ready);
	tcase_add_test(tc, test_worker_death_fails_reload);
	tcase_add_test(tc, test_ready_timeout_fails_reload);
	tcase_add_test(tc, test_spawn_failure_fails_reload);
	tcase_add_test(tc, test_unexpected_message_kills_worker);
	tcase_add_test(tc, test_signals_queue_during_reload);
	tcase_add_test(tc, test_mpmctl_queues_during_reload);
	tcase_add_test(tc, test_stop_answers_waiters);
	suite_add_tcase(s, tc);

	tc = tcase_create("channel");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unread_channel_never_blocks);
	tcase_add_test(tc, test_queue_drains_when_read);
	tcase_add_test(tc, test_queue_bound_kills);
	tcase_add_test(tc, test_messages_out_of_place);
	tcase_add_test(tc, test_second_fatal_kills);
	tcase_add_test(tc, test_reopen_waits_for_workers);
	suite_add_tcase(s, tc);

	tc = tcase_create("scoreboard");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_exit_folds_counters);
	tcase_add_test(tc, test_totals_never_go_backwards);
	tcase_add_test(tc, test_fold_saturates);
	tcase_add_test(tc, test_header_published);
	suite_add_tcase(s, tc);

	tc = tcase_create("report");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_status_json);
	tcase_add_test(tc, test_status_many_packets);
	tcase_add_test(tc, test_status_over_control);
	tcase_add_test(tc, test_status_plurals);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ck_run(master_suite());
}
