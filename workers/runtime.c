/*
 * What every worker binary shares once the handshake (handshake.c) is
 * done: READY, the channel while serving (stops, new logs, new session
 * ticket keys, a new socket to the key process), the drain and how long
 * it may take, and the limits on connections.
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

#include "lib/child.h"
#include "lib/clock.h"
#include "protocol/ipc.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "workers/accesslog.h"
#include "workers/keyclient.h"
#include "workers/runtime.h"
#include "workers/tls.h"

_Static_assert(
    CONF_MAX_LISTEN == IPC_MAX_LISTEN, "CONF_MAX_LISTEN != IPC_MAX_LISTEN");

/* Set before graceful, so no thread sees a drain without its start time. */
static _Atomic int64_t drain_started;

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
static bool
close_listeners_locked(struct worker *w)
{
	size_t i;

	if (w->listeners_closed || !atomic_load(&w->graceful) ||
	    w->accepting > 0)
		return false;
	for (i = 0; i < w->nlisteners; i++)
		close(w->listeners[i]);
	w->listeners_closed = true;
	return true;
}

/*
 * The master answers a graceful restart once every old worker said this:
 * from then on only the new generation takes connections.
 */
static void
say_accept_stopped(struct worker *w, bool closed)
{
	if (closed &&
	    ipc_send(w->channel, IPC_ACCEPT_STOPPED, NULL, 0, NULL, 0) == -1 &&
	    errno != EPIPE)
		log_warn("telling the master we accept no more");
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
	bool closed;

	pthread_mutex_lock(&w->accept_lock);
	w->accepting--;
	closed = close_listeners_locked(w);
	pthread_mutex_unlock(&w->accept_lock);
	say_accept_stopped(w, closed);
}

void
runtime_begin_drain(struct worker *w)
{
	bool closed;

	pthread_mutex_lock(&w->accept_lock);
	if (!atomic_load(&w->graceful)) {
		atomic_store(&drain_started, mono_ms());
		atomic_store(&w->graceful, 1);
		sb_set_state(w->sb, SB_DRAINING);
	}
	closed = close_listeners_locked(w);
	pthread_mutex_unlock(&w->accept_lock);
	say_accept_stopped(w, closed);
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

struct conn *
runtime_conn_new(struct worker *w, const struct accepted *a)
{
	struct conn *c;

	c = conn_new(&w->ctx, a->fd, (const struct sockaddr *)&a->peer,
	    a->peerlen, a->flags);
	if (c != NULL && conn_resume(c, a->pre, a->prelen, a->nreq) == -1) {
		conn_free(c);
		c = NULL;
	} else if (c == NULL)
		close(a->fd);
	if (c == NULL)
		log_warnx("out of memory for a connection");
	free(a->pre);
	return c;
}

/*
 * The next connection handed over to this generation, if no other worker
 * took it first: 1 (into A), 0 when none waits. It is past its start: a
 * PROXY header it had was read by the worker that accepted it, and the
 * client the header named came along as h.peer (the master's probe never
 * comes as a proxy connection). So no header is looked for again.
 */
bool
runtime_take_adopted(struct worker *w, struct accepted *a)
{
	struct ipc_msg *msg;
	struct ipc_conn h;
	const char *cause;
	int r;

	if ((msg = malloc(sizeof(*msg))) == NULL)
		return 0;
	r = ipc_recv(w->adopt_queue, IPC_FROM_MASTER, msg, &cause);
	if (r == 1 && (msg->type != IPC_ADOPT || msg->nfds != 1 ||
			  msg->len < sizeof(h))) {
		log_warnx(
		    "adopt queue: unexpected %s", ipc_type_name(msg->type));
		ipc_msg_close_fds(msg);
		r = 0;
	} else if (r == -1 && errno != EAGAIN)
		log_warnx("adopt queue: %s", cause);
	if (r == 1) {
		memcpy(&h, msg->payload, sizeof(h));
		memset(a, 0, sizeof(*a));
		a->fd = msg->fds[0];
		a->flags = h.flags & ~(uint32_t)CONF_LISTEN_PROXY;
		a->nreq = h.nreq;
		a->peerlen = h.peerlen <= sizeof(a->peer) ? h.peerlen : 0;
		memcpy(&a->peer, h.peer, a->peerlen);
		a->prelen = (uint32_t)(msg->len - sizeof(h));
		if (a->prelen > 0 && (a->pre = malloc(a->prelen)) == NULL) {
			log_warnx(
			    "no memory to adopt a connection: closing it");
			close(a->fd);
			r = 0;
		} else if (a->prelen > 0)
			memcpy(a->pre, msg->payload + sizeof(h), a->prelen);
	}
	free(msg);
	return r == 1;
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
		if (msg.len == sizeof(struct ipc_stop))
			atomic_store(&w->handoff,
			    ((const struct ipc_stop *)(const void *)msg.payload)
				    ->handoff != 0);
		runtime_begin_drain(w);
		break;
	case IPC_STOP:
		atomic_store(&w->stop, 1);
		runtime_begin_drain(w);
		break;
	case IPC_TICKET_KEYS:
		tls_ticket_keys((const void *)msg.payload);
		break;
	case IPC_KEYS_SOCKET:
		keyclient_set_socket(msg.fds[0]);
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
runtime_handoff(struct worker *w, struct conn *c)
{
	uint8_t buf[IPC_MAX_PAYLOAD];
	struct ipc_conn h;
	size_t n;
	int fd = conn_fd(c);

	if (!atomic_load(&w->handoff) || !atomic_load(&w->graceful) ||
	    conn_export(c, &h, buf + sizeof(h), IPC_CONN_READ_MAX, &n) == -1)
		return false;
	memcpy(buf, &h, sizeof(h));
	if (ipc_send(w->channel, IPC_HANDOFF, buf, sizeof(h) + n, &fd, 1) ==
	    -1) {
		atomic_store(&w->handoff, 0); /* the master is gone: serve on */
		return false;
	}
	return true;
}

unsigned
runtime_listen_flags(const struct worker *w, int lfd)
{
	size_t i;

	for (i = 0; i < w->nlisteners; i++)
		if (w->listeners[i] == lfd)
			return w->listen_flags[i];
	return 0;
}

bool
runtime_recycle_due(const struct worker *w)
{
	long max = w->conf.max_connections_per_child;

	return max > 0 && atomic_load(&w->accepted) >= (unsigned long long)max;
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
