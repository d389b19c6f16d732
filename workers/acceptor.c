/*
 * Waiting for connections on the shared listening sockets: see acceptor.h.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/ratelimit.h"
#include "workers/accesslog.h"
#include "workers/acceptor.h"

#define ACCEPTOR_EVENTS        8
#define ACCEPTOR_WARN_EVERY_MS 1000

void
acceptor_open(struct acceptor *a, const struct worker *w, int extra_fd)
{
	struct epoll_event ev;
	size_t i;

	a->extra_fd = extra_fd;
	a->timeout = -1;
	a->npending = 0;
	a->paused_until = 0;
	a->adopt_ready = false;
	a->adopt_fd = w->adopt_queue;
	if ((a->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	for (i = 0; i < w->nlisteners; i++) {
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.fd = w->listeners[i];
		if (epoll_ctl(a->ep, EPOLL_CTL_ADD, w->listeners[i], &ev) == -1)
			fatal("epoll_ctl listener");
	}
	/* Connections handed over to the generation queue up like these. */
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.fd = w->adopt_queue;
	if (epoll_ctl(a->ep, EPOLL_CTL_ADD, w->adopt_queue, &ev) == -1)
		fatal("epoll_ctl adopt queue");
	ev.events = EPOLLIN;
	ev.data.fd = extra_fd;
	if (extra_fd >= 0 &&
	    epoll_ctl(a->ep, EPOLL_CTL_ADD, extra_fd, &ev) == -1)
		fatal("epoll_ctl");
}

void
acceptor_close(struct acceptor *a)
{
	close(a->ep);
	a->ep = -1;
}

int
acceptor_fd(struct acceptor *a)
{
	a->timeout = 0;
	return a->ep;
}

/*
 * How long to wait: the thread's buffered access-log lines leave when due
 * rather than after every connection (a write and an fstat each).
 */
static int
acceptor_timeout(const struct acceptor *a)
{
	int64_t due;

	if (a->timeout != -1 || (due = accesslog_due()) < 0)
		return a->timeout;
	return due > INT32_MAX ? INT32_MAX : (int)due;
}

/* Paused (out of fds): waits on the extra fd alone until the pause ends. */
static bool
acceptor_poll_paused(struct acceptor *a, int64_t left)
{
	struct pollfd pfd = { .fd = a->extra_fd, .events = POLLIN };
	int timeout = acceptor_timeout(a);

	if (timeout < 0 || timeout > left)
		timeout = (int)left;
	if (poll(&pfd, a->extra_fd >= 0 ? 1 : 0, timeout) == -1 &&
	    errno != EINTR)
		fatal("poll");
	if (accesslog_due() == 0)
		accesslog_flush();
	return pfd.revents != 0;
}

/* Fills the pending list; returns true when the extra fd is readable. */
static bool
acceptor_poll(struct acceptor *a)
{
	struct epoll_event ev[ACCEPTOR_EVENTS];
	int64_t left = a->paused_until - mono_ms();
	bool extra = false;
	int n, i;

	a->npending = 0;
	if (left > 0)
		return acceptor_poll_paused(a, left);
	n = epoll_wait(a->ep, ev, ACCEPTOR_EVENTS, acceptor_timeout(a));
	a->npending = 0;
	if (n == -1 && errno != EINTR)
		fatal("epoll_wait");
	if (accesslog_due() == 0)
		accesslog_flush();
	for (i = 0; i < n; i++) {
		if (ev[i].data.fd == a->extra_fd)
			extra = true;
		else if (ev[i].data.fd == a->adopt_fd)
			a->adopt_ready = true;
		else if (a->npending <
			 (int)(sizeof(a->pending) / sizeof(a->pending[0])))
			a->pending[a->npending++] = ev[i].data.fd;
	}
	return extra;
}

/*
 * Out of fds: one warning a second at most, saying how often it
 * happened meanwhile, instead of one per failed accept() (thousands a
 * second with the listener still readable).
 */
static void
warn_out_of_fds(int err)
{
	static struct ratelimit rl = RATELIMIT_INIT(ACCEPTOR_WARN_EVERY_MS, 1);
	unsigned held;

	if (ratelimit_pass(&rl, &held))
		log_warnx(
		    "accept4: %s: not accepting for %d ms (%u more times since the last warning)",
		    strerror(err), ACCEPTOR_PAUSE_MS, held);
}

/* Accepts from the listeners the last poll reported, until they are dry. */
static bool
accept_pending(struct acceptor *a, struct worker *w, struct accepted *conn)
{
	int lfd;

	if (a->adopt_ready) {
		if (runtime_take_adopted(w, conn))
			return true;
		a->adopt_ready = false;
	}
	memset(conn, 0, sizeof(*conn));
	while (a->npending > 0) {
		lfd = a->pending[a->npending - 1];
		conn->peerlen = sizeof(conn->peer);
		conn->fd = accept4(lfd, (struct sockaddr *)&conn->peer,
		    &conn->peerlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (conn->fd != -1) {
			conn->flags = runtime_listen_flags(w, lfd);
			sb_add(&w->sb->c.accepted, 1);
			atomic_fetch_add(&w->accepted, 1);
			return true;
		}
		if (errno == EMFILE || errno == ENFILE) {
			warn_out_of_fds(errno);
			a->paused_until = mono_ms() + ACCEPTOR_PAUSE_MS;
			a->npending = 0;
			return false;
		}
		a->npending--; /* drained (EAGAIN) or failing: poll again */
	}
	return false;
}

/*
 * A connection is accepted before the extra fd is looked at: with
 * EPOLLEXCLUSIVE the kernel woke only us for it, and if we left without
 * accepting, it would wait in the backlog for the next arrival.
 */
enum acceptor_result
acceptor_wait(struct acceptor *a, struct worker *w, struct accepted *conn)
{
	bool extra = false, got;

	if (!runtime_accept_enter(w))
		return ACCEPTOR_EXTRA;
	if (a->npending == 0 && !a->adopt_ready)
		extra = acceptor_poll(a);
	got = accept_pending(a, w, conn);
	runtime_accept_leave(w);
	if (got)
		return ACCEPTOR_CONN;
	if (extra)
		return ACCEPTOR_EXTRA;
	return a->timeout == 0 && a->paused_until > mono_ms() ? ACCEPTOR_PAUSE
							      : ACCEPTOR_AGAIN;
}
