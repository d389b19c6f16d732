/*
 * The worker side of the handshake, shared by every MPM: say HELLO on fd 3,
 * receive SETUP, the serialized config and the fds, check every one of
 * them, refuse to serve with any privilege left, then say READY.
 */
#include "config.h"

#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "protocol/ipc.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "workers/accesslog.h"
#include "workers/runtime.h"

_Static_assert(
    CONF_MAX_LISTEN == IPC_MAX_LISTEN, "CONF_MAX_LISTEN != IPC_MAX_LISTEN");

/* Set before graceful, so no thread sees a drain without its start time. */
static _Atomic int64_t drain_started;

static void
runtime_recv(struct worker *w, struct ipc_msg *msg, enum ipc_type want)
{
	const char *cause;
	int r;

	r = ipc_recv(w->channel, IPC_FROM_MASTER, msg, &cause);
	if (r == 0)
		fatalx("master closed the channel during the handshake");
	if (r == -1)
		fatalx("handshake: %s", cause);
	if (msg->type != want)
		fatalx("handshake: got %s, expected %s",
		    ipc_type_name(msg->type), ipc_type_name(want));
}

static void
check_channel(void)
{
	int type;
	socklen_t len = sizeof(type);

	if (getsockopt(IPC_CHANNEL_FD, SOL_SOCKET, SO_TYPE, &type, &len) ==
		-1 ||
	    type != SOCK_SEQPACKET)
		fatalx("fd %d is not the master's channel: run me from mpmd",
		    IPC_CHANNEL_FD);
}

/* The master meant to drop everything: if anything is left, don't serve. */
static void
check_unprivileged(void)
{
	uid_t ru, eu, su;
	cap_t now, none;
	int same;

	if (getresuid(&ru, &eu, &su) == -1 || ru == 0 || eu == 0 || su == 0)
		fatalx("refusing to serve as root");
	if ((now = cap_get_proc()) == NULL || (none = cap_init()) == NULL)
		fatal("cap_get_proc");
	same = cap_compare(now, none) == 0;
	cap_free(now);
	cap_free(none);
	if (!same)
		fatalx("refusing to serve with capabilities");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		fatalx("refusing to serve without no_new_privs");
}

static void
recv_setup(struct worker *w, struct ipc_setup *setup)
{
	struct ipc_msg msg;

	runtime_recv(w, &msg, IPC_SETUP);
	memcpy(setup, msg.payload, sizeof(*setup));
	if (setup->nlisten == 0 || setup->nlisten > IPC_MAX_LISTEN ||
	    setup->nslots == 0 || setup->nslots > SB_MAX_SLOTS ||
	    setup->slot >= setup->nslots || setup->config_len == 0 ||
	    setup->config_len > IPC_MAX_CONFIG)
		fatalx("SETUP out of range");
	w->slot = setup->slot;
	w->generation = setup->generation;
}

static void
recv_config(struct worker *w, const struct ipc_setup *setup)
{
	struct conf_errors errs;
	struct ipc_msg msg;
	char *text = xmalloc(setup->config_len);
	size_t got = 0;

	while (got < setup->config_len) {
		runtime_recv(w, &msg, IPC_CONFIG);
		if (msg.len > setup->config_len - got)
			fatalx("CONFIG longer than announced");
		memcpy(text + got, msg.payload, msg.len);
		got += msg.len;
	}
	memset(&errs, 0, sizeof(errs));
	conf_init(&w->conf);
	if (conf_parse_string(
		&w->conf, text, got, "<master>", CONF_WORKER, &errs) == -1)
		fatalx("config from the master does not parse: %s",
		    errs.count > 0 ? errs.msg[0] : "?");
	conf_errors_free(&errs);
	free(text);
	log_set_level(w->conf.log_level);
}

static void
check_fd(int fd, int want_type, const char *what)
{
	struct stat st;

	if (fstat(fd, &st) == -1 ||
	    (want_type != 0 && (int)(st.st_mode & S_IFMT) != want_type))
		fatalx("FDS: %s is not what it should be", what);
}

static void
check_listener(int fd)
{
	int on = 0;
	socklen_t len = sizeof(on);

	check_fd(fd, S_IFSOCK, "a listener");
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == -1 || !on)
		fatalx("FDS: a listener is not listening");
}

static void
map_scoreboard(struct worker *w, int fd, uint32_t nslots)
{
	struct stat st;
	void *p;

	if (fstat(fd, &st) == -1 || (uint64_t)st.st_size != sb_size(nslots) ||
	    (fcntl(fd, F_GET_SEALS) & F_SEAL_SHRINK) == 0)
		fatalx("FDS: the scoreboard is not the sealed size announced");
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (p == MAP_FAILED)
		fatal("mmap scoreboard");
	close(fd);
	w->sb_all = p;
	w->ctx.sb_all_size = (uint64_t)st.st_size;
	w->sb = sb_slot_at(w->sb_all, w->slot);
}

static void
recv_fds(struct worker *w, const struct ipc_setup *setup)
{
	struct ipc_msg msg;
	size_t i;

	runtime_recv(w, &msg, IPC_FDS);
	if (msg.nfds != setup->nlisten + IPC_FDS_FIXED)
		fatalx("FDS: %zu fds, expected %u", msg.nfds,
		    setup->nlisten + IPC_FDS_FIXED);
	for (i = 0; i < setup->nlisten; i++) {
		check_listener(msg.fds[i]);
		w->listeners[i] = msg.fds[i];
	}
	w->nlisteners = setup->nlisten;
	check_fd(msg.fds[i], S_IFDIR, "the DocumentRoot");
	w->ctx.docroot = msg.fds[i++];
	check_fd(msg.fds[i], 0, "the access log");
	atomic_store(&w->accesslog, msg.fds[i++]);
	map_scoreboard(w, msg.fds[i], setup->nslots);
}

void
runtime_init(struct worker *w, const char *mpm)
{
	struct ipc_setup setup;
	struct ipc_hello hello;

	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->accept_lock, NULL);
	w->mpm = mpm;
	if ((w->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		fatal("eventfd");
	w->channel = IPC_CHANNEL_FD;
	log_init(mpm, STDERR_FILENO, LOG_LVL_INFO);
	/* sendfile() has no MSG_NOSIGNAL: a vanished client must not kill us.
	 */
	signal(SIGPIPE, SIG_IGN);
	check_channel();
	check_unprivileged();
	memset(&hello, 0, sizeof(hello));
	hello.version = IPC_VERSION;
	hello.pid = (uint32_t)getpid();
	strncpy(hello.mpm, mpm, sizeof(hello.mpm) - 1);
	if (ipc_send(w->channel, IPC_HELLO, &hello, sizeof(hello), NULL, 0) ==
	    -1)
		fatal("sending HELLO");
	recv_setup(w, &setup);
	recv_config(w, &setup);
	recv_fds(w, &setup);
	w->ctx.conf = &w->conf;
	w->ctx.accesslog = &w->accesslog;
	w->ctx.graceful = &w->graceful;
	w->ctx.sb = w->sb;
	w->ctx.sb_all = w->sb_all;
	w->sb->generation = w->generation;
	sb_set_state(w->sb, SB_STARTING);
}

void
runtime_ready(struct worker *w)
{
	if (ipc_send(w->channel, IPC_READY, NULL, 0, NULL, 0) == -1)
		fatal("sending READY");
	sb_set_state(w->sb, SB_READY);
}

/*
 * The listeners close once draining and no thread is inside an acceptor:
 * a thread the kernel woke for a connection accepts it first (acceptor.h),
 * so no connection is left in a backlog with nobody woken for it. The
 * socket itself lives on in the master and the new generation; after a
 * graceful-stop it closes with the last worker, and the port refuses.
 */
static void
close_listeners_locked(struct worker *w)
{
	size_t i;

	if (w->listeners_closed || !atomic_load(&w->graceful) ||
	    w->accepting > 0)
		return;
	for (i = 0; i < w->nlisteners; i++)
		close(w->listeners[i]);
	w->listeners_closed = true;
}

bool
runtime_accept_enter(struct worker *w)
{
	bool ok;

	pthread_mutex_lock(&w->accept_lock);
	if ((ok = !atomic_load(&w->graceful)))
		w->accepting++;
	pthread_mutex_unlock(&w->accept_lock);
	return ok;
}

void
runtime_accept_leave(struct worker *w)
{
	pthread_mutex_lock(&w->accept_lock);
	w->accepting--;
	close_listeners_locked(w);
	pthread_mutex_unlock(&w->accept_lock);
}

void
runtime_begin_drain(struct worker *w)
{
	pthread_mutex_lock(&w->accept_lock);
	if (!atomic_load(&w->graceful)) {
		atomic_store(&drain_started, mono_ms());
		atomic_store(&w->graceful, 1);
		sb_set_state(w->sb, SB_DRAINING);
	}
	close_listeners_locked(w);
	pthread_mutex_unlock(&w->accept_lock);
}

void
runtime_drain_and_wake(struct worker *w)
{
	uint64_t one = 1;

	runtime_begin_drain(w);
	(void)!write(w->wake, &one, sizeof(one));
}

void
runtime_watch_channel(struct worker *w)
{
	struct pollfd pfd[2] = {
		{ .fd = w->channel, .events = POLLIN },
		{ .fd = w->wake, .events = POLLIN },
	};

	while (!atomic_load(&w->graceful)) {
		if (poll(pfd, 2, -1) == -1 && errno != EINTR)
			fatal("poll");
		if (pfd[0].revents != 0)
			runtime_channel_read(w);
		if (atomic_load(&w->stop)) {
			runtime_drain_and_wake(w);
			runtime_stop_now(w);
		}
	}
	runtime_drain_and_wake(w);
}

#define RUNTIME_STOP_WAIT_MS 1000 /* for acceptors to hand over wakeups */
#define RUNTIME_STOP_STEP_MS 2

/* In-flight requests are cut, but nothing queued is stranded. */
void
runtime_stop_now(struct worker *w)
{
	struct timespec step = { 0, RUNTIME_STOP_STEP_MS * 1000000L };
	int64_t until = mono_ms() + RUNTIME_STOP_WAIT_MS;
	bool closed = false;

	runtime_begin_drain(w);
	while (!closed && mono_ms() < until) {
		pthread_mutex_lock(&w->accept_lock);
		closed = w->listeners_closed;
		pthread_mutex_unlock(&w->accept_lock);
		if (!closed)
			nanosleep(&step, NULL);
	}
	accesslog_flush_all();
	_exit(0);
}

/* Swap in place with dup2(): threads writing the old fd never see a gap. */
static void
reopen_logs(struct worker *w, struct ipc_msg *msg)
{
	accesslog_flush_all(); /* what was logged before goes to the old file */
	if (dup2(msg->fds[0], STDERR_FILENO) == -1 ||
	    dup2(msg->fds[1], atomic_load(&w->accesslog)) == -1)
		log_warn("reopening logs");
	ipc_msg_close_fds(msg);
}

int
runtime_channel_read(struct worker *w)
{
	struct ipc_msg msg;
	const char *cause;
	int r;

	r = ipc_recv(w->channel, IPC_FROM_MASTER, &msg, &cause);
	if (r == -1 && errno == EAGAIN)
		return 0;
	if (r <= 0) {
		if (r == -1)
			log_warnx("channel: %s", cause);
		runtime_begin_drain(w);
		return -1;
	}
	switch (msg.type) {
	case IPC_GRACEFUL_STOP:
		runtime_begin_drain(w);
		break;
	case IPC_STOP:
		atomic_store(&w->stop, 1);
		runtime_begin_drain(w);
		break;
	case IPC_REOPEN_LOGS:
		reopen_logs(w, &msg);
		if (ipc_send(w->channel, IPC_LOGS_REOPENED, NULL, 0, NULL, 0) ==
		    -1)
			log_warn("confirming REOPEN_LOGS");
		break;
	default:
		log_warnx(
		    "unexpected %s from the master", ipc_type_name(msg.type));
		ipc_msg_close_fds(&msg);
		break;
	}
	return 0;
}

int64_t
runtime_drain_left(const struct worker *w)
{
	int64_t left;

	if (!atomic_load(&w->graceful))
		return INT64_MAX;
	left = atomic_load(&drain_started) +
	       w->conf.graceful_shutdown_timeout * 1000 - mono_ms();
	return left > 0 ? left : 0;
}

bool
runtime_recycle_due(const struct worker *w)
{
	long max = w->conf.max_connections_per_child;

	return max > 0 && sb_read(&w->sb->accepted) >= (uint64_t)max;
}

#define RUNTIME_FD_RESERVE   16 /* 0-3, docroot, log, epoll, eventfd, slack */
#define RUNTIME_FDS_PER_CONN 2  /* its socket and the file it sends */

long
runtime_conn_limit(const struct worker *w, long fixed)
{
	long set = w->conf.max_open_connections_per_child, room;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		return set > 0 ? set : LONG_MAX;
	room = ((long)rl.rlim_cur - RUNTIME_FD_RESERVE - fixed -
		   (long)w->nlisteners) /
	       RUNTIME_FDS_PER_CONN;
	if (room < 1)
		room = 1;
	if (set > room)
		log_warnx(
		    "MaxOpenConnectionsPerChild %ld: the open-file limit %ld leaves room for %ld; accept() will pause when fds run out",
		    set, (long)rl.rlim_cur, room);
	return set > 0 ? set : room;
}

void
runtime_start_thread(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int r;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, RUNTIME_THREAD_STACK);
	if ((r = pthread_create(tid, &attr, fn, arg)) != 0)
		fatalx("pthread_create: %s", strerror(r));
	pthread_attr_destroy(&attr);
}
