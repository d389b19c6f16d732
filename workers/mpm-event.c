/*
 * mpm-event: ThreadsPerChild event-loop threads per process on libevent.
 * Connections are non-blocking and cost no thread while idle, reading or
 * writing; every wait is an event with the connection's deadline as its
 * timeout.
 *
 * Accepting: loop 0 of each process watches an acceptor's epoll set (the
 * listeners registered EPOLLEXCLUSIVE) and accepts. It keeps a connection
 * when no loop has fewer, else hands it to the loop with the fewest
 * through that loop's pipe; so a lightly loaded process serves on one
 * thread with no switch per connection, as nginx's workers do. Why not
 * the listeners in every loop's base: libevent 2.1 cannot set
 * EPOLLEXCLUSIVE, and every loop of every process would wake for each
 * connection. Nested in libevent's epoll, the set is no longer exclusive
 * across processes either (the kernel wakes each nested set): each extra
 * process costs one wakeup that finds nothing to accept, against two
 * thread switches and a pipe round trip per connection with a separate
 * acceptor thread (a third of the CPU time of connection-per-request
 * load when measured).
 */
#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "workers/accesslog.h"
#include "workers/acceptor.h"
#include "workers/board.h"
#include "workers/handoff.h"
#include "workers/runtime.h"

#define EVENT_HANDOFF_BATCH 32
#define EVENT_ACCEPT_BATCH  32 /* then the loop serves what it has */

struct loop {
	struct event_base *base;
	struct event *ev_handoff;
	struct event *ev_drain;
	struct event *ev_flush; /* buffered access-log lines are due */
	bool flush_armed;
	struct inbox inbox; /* connections other loops pass us */
	atomic_uint nconns;
	TAILQ_HEAD(, econn) conns; /* for the handoff sweep of a drain */
	bool swept;
	struct evworker *proc;
	pthread_t tid;
};

struct econn {
	struct event ev;
	TAILQ_ENTRY(econn) entry;
	struct conn *c;
	struct loop *loop;
	short waiting; /* EV_READ or EV_WRITE, 0 before the first wait */
	int wait_fd;   /* the socket, or a handshake's key request */
	bool busy;     /* a request is in progress */
};

struct evworker {
	struct worker w;
	struct loop *loops;
	size_t nloops;
	atomic_bool acceptor_done; /* no more handoffs can come */
	struct acceptor acc;       /* loop 0's */
	struct event *ev_accept;
	struct event *ev_resume; /* out of fds: accept again after a pause */
	long max_conns;          /* connections held open at once */
	atomic_bool at_bound;    /* loop 0 waits for one to close */
};

static void econn_on_event(evutil_socket_t fd, short what, void *arg);
static void loop_arm_flush(struct loop *l);

/* Between events: the loop waits for work, or, draining, to finish. */
static void
loop_idle(struct loop *l)
{
	board_set_idle(atomic_load(&l->proc->w.graceful));
}

static long
process_conns(struct evworker *p)
{
	long n = 0;
	size_t i;

	for (i = 0; i < p->nloops; i++)
		n += atomic_load(&p->loops[i].nconns);
	return n;
}

/* Draining, empty, and the acceptor can hand over nothing more. */
static void
loop_exit_if_done(struct loop *l)
{
	if (atomic_load(&l->proc->acceptor_done) &&
	    atomic_load(&l->nconns) == 0)
		event_base_loopexit(l->base, NULL);
}

static void
econn_free(struct econn *e)
{
	struct loop *l = e->loop;

	if (e->busy)
		sb_sub(&l->proc->w.sb->busy, 1);
	if (e->waiting != 0)
		event_del(&e->ev);
	TAILQ_REMOVE(&l->conns, e, entry);
	conn_free(e->c);
	free(e);
	atomic_fetch_sub(&l->nconns, 1);
	sb_sub(&l->proc->w.sb->connections, 1);
	/* Room again under the bound: loop 0 accepts once it looks. */
	if (atomic_load(&l->proc->at_bound))
		inbox_wake(&l->proc->loops[0].inbox);
	loop_exit_if_done(l);
}

static void
econn_track_busy(struct econn *e)
{
	bool busy = !conn_idle(e->c);

	if (busy == e->busy)
		return;
	e->busy = busy;
	if (busy)
		sb_add(&e->loop->proc->w.sb->busy, 1);
	else
		sb_sub(&e->loop->proc->w.sb->busy, 1);
}

/* Waits for IO with the connection's deadline; re-adding only moves the timer.
 */
static void
econn_wait(struct econn *e, enum conn_io io)
{
	short want = io == CONN_IO_WRITE ? EV_WRITE : EV_READ;
	int fd = io == CONN_IO_ASYNC ? conn_wait_fd(e->c) : conn_fd(e->c);
	int64_t left = conn_deadline(e->c) - mono_ms();
	struct timeval tv;

	econn_track_busy(e);
	loop_arm_flush(e->loop); /* whatever it logged leaves when due */
	if (io == CONN_IO_READ && conn_idle(e->c) &&
	    runtime_handoff(&e->loop->proc->w, e->c))
		io = CONN_IO_CLOSE; /* a worker of the new generation has it */
	if (io == CONN_IO_CLOSE) {
		econn_free(e);
		return;
	}
	if (want != e->waiting || fd != e->wait_fd) {
		if (e->waiting != 0)
			event_del(&e->ev);
		event_assign(&e->ev, e->loop->base, fd, want | EV_PERSIST,
		    econn_on_event, e);
		e->waiting = want;
		e->wait_fd = fd;
	}
	if (left < 0)
		left = 0;
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	if (event_add(&e->ev, &tv) == -1) {
		log_warnx("event_add failed: closing a connection");
		econn_free(e);
	}
}

static void
loop_on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct loop *l = arg;

	l->flush_armed = false;
	accesslog_flush();
}

/* After any work: the access-log lines it buffered leave when due. */
static void
loop_arm_flush(struct loop *l)
{
	struct timeval tv;
	int64_t due;

	if (l->flush_armed || (due = accesslog_due()) < 0)
		return;
	tv.tv_sec = due / 1000;
	tv.tv_usec = (due % 1000) * 1000;
	if (event_add(l->ev_flush, &tv) == -1)
		accesslog_flush();
	else
		l->flush_armed = true;
}

static void
econn_on_event(evutil_socket_t fd, short what, void *arg)
{
	struct econn *e = arg;
	struct loop *l = e->loop;
	enum conn_io io;

	if (e->waiting != 0 && e->wait_fd != conn_fd(e->c)) {
		/* the key request's socket: the handshake closes it */
		event_del(&e->ev);
		e->waiting = 0;
	}
	if ((what & EV_TIMEOUT) && mono_ms() >= conn_deadline(e->c))
		io = conn_expire(e->c);
	else
		io = conn_step(e->c);
	econn_wait(e, io);
	loop_idle(l);
}

static void
loop_adopt(struct loop *l, const struct accepted *h)
{
	struct conn *c = runtime_conn_new(&l->proc->w, h);
	struct econn *e = c != NULL ? calloc(1, sizeof(*e)) : NULL;

	if (e == NULL) {
		if (c != NULL) {
			log_warnx("out of memory for a connection");
			conn_free(c);
		}
		atomic_fetch_sub(&l->nconns, 1);
		return;
	}
	e->c = c;
	e->loop = l;
	TAILQ_INSERT_TAIL(&l->conns, e, entry);
	sb_add(&l->proc->w.sb->connections, 1);
	econn_wait(e, conn_step(e->c));
	loop_idle(l);
}

static void loop_accept_resume(struct evworker *p);

/* The drain began (a wake tells every loop): hand the idle ones over. */
static void
loop_sweep(struct loop *l)
{
	struct econn *e, *next;

	if (l->swept || !atomic_load(&l->proc->w.graceful) ||
	    !atomic_load(&l->proc->w.handoff))
		return;
	l->swept = true;
	for (e = TAILQ_FIRST(&l->conns); e != NULL; e = next) {
		next = TAILQ_NEXT(e, entry);
		if (conn_idle(e->c) && runtime_handoff(&l->proc->w, e->c))
			econn_free(e);
	}
}

static void
loop_on_handoff(evutil_socket_t fd, short what, void *arg)
{
	struct accepted h[EVENT_HANDOFF_BATCH];
	struct loop *l = arg;
	size_t i, n;

	n = inbox_take(&l->inbox, h, EVENT_HANDOFF_BATCH);
	for (i = 0; i < n; i++)
		loop_adopt(l, &h[i]);
	loop_sweep(l);
	if (l == &l->proc->loops[0] && atomic_load(&l->proc->at_bound))
		loop_accept_resume(l->proc);
	loop_idle(l); /* a wake may be the drain's */
	loop_exit_if_done(l);
}

static void
loop_on_drain_bound(evutil_socket_t fd, short what, void *arg)
{
	struct loop *l = arg;

	if (runtime_drain_left(&l->proc->w) == 0)
		event_base_loopbreak(l->base);
}

static void *
loop_main(void *arg)
{
	struct loop *l = arg;
	struct timeval second = { 1, 0 };

	board_bind(l->proc->w.sb, (unsigned)(l - l->proc->loops));
	loop_idle(l);
	l->ev_drain =
	    event_new(l->base, -1, EV_PERSIST, loop_on_drain_bound, l);
	if (l->ev_drain == NULL || event_add(l->ev_drain, &second) == -1)
		fatalx("cannot start the drain timer");
	if (accesslog_buffered() == -1)
		log_warnx("no memory to buffer the access log: line by line");
	event_base_dispatch(l->base);
	accesslog_flush();
	board_set(SB_T_OPEN);
	return NULL;
}

static void
loop_init(struct evworker *p, struct loop *l)
{
	struct event_config *cfg = event_config_new();

	/* No changelist: a deferred EPOLL_CTL_DEL would follow the close. */
	if (cfg == NULL ||
	    event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK) == -1 ||
	    (l->base = event_base_new_with_config(cfg)) == NULL)
		fatalx("cannot create an event base");
	event_config_free(cfg);
	if (inbox_init(&l->inbox) == -1)
		fatal("eventfd");
	l->proc = p;
	TAILQ_INIT(&l->conns);
	l->ev_handoff = event_new(
	    l->base, l->inbox.efd, EV_READ | EV_PERSIST, loop_on_handoff, l);
	if (l->ev_handoff == NULL || event_add(l->ev_handoff, NULL) == -1)
		fatalx("cannot watch the handoff inbox");
	if ((l->ev_flush = evtimer_new(l->base, loop_on_flush, l)) == NULL)
		fatalx("cannot create the access-log timer");
}

static struct loop *
least_loaded(struct evworker *p)
{
	struct loop *best = &p->loops[0];
	size_t i;

	for (i = 1; i < p->nloops; i++)
		if (atomic_load(&p->loops[i].nconns) <
		    atomic_load(&best->nconns))
			best = &p->loops[i];
	return best;
}

static int
hand_off(struct loop *l, struct accepted *h)
{
	atomic_fetch_add(&l->nconns, 1);
	if (inbox_push(&l->inbox, h) == 0)
		return 0;
	atomic_fetch_sub(&l->nconns, 1);
	return -1;
}

/* Each loop looks at whether it is done. */
static void
wake_loops(struct evworker *p)
{
	size_t i;

	for (i = 0; i < p->nloops; i++)
		inbox_wake(&p->loops[i].inbox);
}

/* Loop 0 stops accepting for good: the process drains. */
static void
loop_stop_accepting(struct loop *l)
{
	struct evworker *p = l->proc;

	event_free(p->ev_accept);
	event_free(p->ev_resume);
	p->ev_accept = p->ev_resume = NULL;
	atomic_store(&p->at_bound, false);
	acceptor_close(&p->acc);
	atomic_store(&p->acceptor_done, true);
	wake_loops(p);
}

/* Keeps the connection unless another loop has fewer and takes it. */
static void
loop_place(struct loop *l, struct accepted *h)
{
	struct loop *to = least_loaded(l->proc);

	if (to != l && hand_off(to, h) == 0)
		return;
	atomic_fetch_add(&l->nconns, 1);
	loop_adopt(l, h);
}

/* Loop 0 stops watching the listeners for a while. */
static void
loop_accept_pause(struct evworker *p, bool at_bound)
{
	struct timeval tv = { 0, ACCEPTOR_PAUSE_MS * 1000 };

	event_del(p->ev_accept);
	if (!at_bound) {
		if (event_add(p->ev_resume, &tv) == -1)
			loop_accept_resume(p);
		return;
	}
	atomic_store(&p->at_bound, true); /* a closing one wakes us ... */
	if (process_conns(p) < p->max_conns)
		loop_accept_resume(p); /* ... unless it closed meanwhile */
}

static void
loop_accept_resume(struct evworker *p)
{
	if (p->ev_accept == NULL || process_conns(p) >= p->max_conns)
		return;
	atomic_store(&p->at_bound, false);
	if (event_add(p->ev_accept, NULL) == -1)
		fatalx("cannot watch the listeners");
}

static void
loop_on_resume(evutil_socket_t fd, short what, void *arg)
{
	loop_accept_resume(arg);
}

/* At the bound a connection waits in the backlog, not in our table. */
static void
loop_on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct loop *l = arg;
	struct evworker *p = l->proc;
	struct accepted h;
	int n;

	for (n = 0; n < EVENT_ACCEPT_BATCH; n++) {
		if (process_conns(p) >= p->max_conns) {
			loop_accept_pause(p, true);
			return;
		}
		memset(&h, 0, sizeof(h));
		switch (acceptor_wait(&p->acc, &p->w, &h)) {
		case ACCEPTOR_CONN:
			loop_place(l, &h);
			if (runtime_recycle_due(&p->w))
				runtime_drain_and_wake(&p->w);
			break;
		case ACCEPTOR_EXTRA:
			if (atomic_load(&p->w.graceful))
				loop_stop_accepting(l);
			return;
		case ACCEPTOR_PAUSE:
			loop_accept_pause(p, false);
			return;
		case ACCEPTOR_AGAIN:
			return;
		}
	}
}

/* Loop 0 watches the listeners. */
static void
loop_accept(struct evworker *p, struct loop *l)
{
	acceptor_open(&p->acc, &p->w, p->w.wake);
	p->ev_accept = event_new(l->base, acceptor_fd(&p->acc),
	    EV_READ | EV_PERSIST, loop_on_accept, l);
	p->ev_resume = evtimer_new(l->base, loop_on_resume, p);
	if (p->ev_accept == NULL || p->ev_resume == NULL ||
	    event_add(p->ev_accept, NULL) == -1)
		fatalx("cannot watch the listeners");
}

static struct evworker process; /* static: its allocations stay reachable */

int
main(void)
{
	struct evworker *p = &process;
	size_t i;

	runtime_init(&p->w, "event");
	p->w.ctx.tls_async = true; /* a handshake waiting for a key: an event */
	p->nloops = (size_t)p->w.conf.threads_per_child;
	p->loops = xcalloc(p->nloops, sizeof(*p->loops));
	board_start(p->w.sb, (unsigned)p->nloops, SB_SLOT_ASYNC);
	/* Each loop: its epoll, its inbox's eventfd, libevent's own. */
	p->max_conns = runtime_conn_limit(&p->w, 3 * (long)p->nloops);
	for (i = 0; i < p->nloops; i++)
		loop_init(p, &p->loops[i]);
	loop_accept(p, &p->loops[0]);
	for (i = 0; i < p->nloops; i++)
		runtime_start_thread(&p->loops[i].tid, loop_main, &p->loops[i]);
	runtime_ready(&p->w);
	runtime_watch_channel(&p->w);
	for (i = 0; i < p->nloops; i++)
		pthread_join(p->loops[i].tid, NULL);
	return 0;
}
