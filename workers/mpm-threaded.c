/*
 * mpm-threaded (Apache's "worker"): ThreadsPerChild threads per process,
 * each serving one connection at a time with blocking waits. Every thread
 * waits in its own acceptor (EPOLLEXCLUSIVE), so one idle thread in the
 * whole pool wakes per connection. The main thread only reads the channel.
 */
#include "config.h"

#include <sys/eventfd.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "protocol/log.h"
#include "protocol/xmalloc.h"
#include "workers/acceptor.h"
#include "workers/runtime.h"

#define THREAD_STACK_SIZE (256 * 1024)

struct threaded {
	struct worker w;
	int wake; /* eventfd: readable once the process drains */
};

static void
start_drain(struct threaded *t)
{
	uint64_t one = 1;

	atomic_store(&t->w.graceful, 1);
	(void)!write(t->wake, &one, sizeof(one));
}

static bool
recycle_due(const struct worker *w)
{
	long max = w->conf.max_connections_per_child;

	return max > 0 &&
	    __atomic_load_n(&w->sb->accepted, __ATOMIC_RELAXED) >=
	    (uint64_t)max;
}

static void
serve_one(struct threaded *t, int fd, struct sockaddr_storage *peer,
    socklen_t len)
{
	struct worker *w = &t->w;
	struct conn *c;

	if (recycle_due(w))
		start_drain(t);
	if ((c = conn_new(&w->ctx, fd, (struct sockaddr *)peer, len)) ==
	    NULL) {
		log_warnx("out of memory for a connection");
		close(fd);
		return;
	}
	__atomic_fetch_add(&w->sb->busy, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&w->sb->connections, 1, __ATOMIC_RELAXED);
	blocking_serve(w, c, -1);
	__atomic_fetch_sub(&w->sb->connections, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&w->sb->busy, 1, __ATOMIC_RELAXED);
}

static void *
thread_main(void *arg)
{
	struct threaded *t = arg;
	struct sockaddr_storage peer;
	struct acceptor a;
	socklen_t len;
	int fd;

	acceptor_open(&a, &t->w, t->wake);
	while (!atomic_load(&t->w.graceful)) {
		switch (acceptor_wait(&a, &t->w, &fd, &peer, &len)) {
		case ACCEPTOR_CONN:
			serve_one(t, fd, &peer, len);
			break;
		case ACCEPTOR_EXTRA:
		case ACCEPTOR_AGAIN:
			break;
		}
	}
	acceptor_close(&a);
	return NULL;
}

static pthread_t *
start_threads(struct threaded *t, size_t n)
{
	pthread_t *tids = xcalloc(n, sizeof(*tids));
	pthread_attr_t attr;
	size_t i;
	int r;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK_SIZE);
	for (i = 0; i < n; i++)
		if ((r = pthread_create(&tids[i], &attr, thread_main, t)) != 0)
			fatalx("pthread_create: thread %zu of %zu: error %d", i,
			    n, r);
	pthread_attr_destroy(&attr);
	return tids;
}

/* The main thread reads the channel until the process has to drain. */
static void
watch_channel(struct threaded *t)
{
	struct pollfd pfd[2] = {
		{ .fd = t->w.channel, .events = POLLIN },
		{ .fd = t->wake, .events = POLLIN },
	};

	while (!atomic_load(&t->w.graceful)) {
		if (poll(pfd, 2, -1) == -1 && errno != EINTR)
			fatal("poll");
		if (pfd[0].revents != 0)
			runtime_channel_read(&t->w);
		if (atomic_load(&t->w.stop))
			_exit(0);
	}
	start_drain(t);
}

static struct threaded process; /* static: its allocations stay reachable */

int
main(int argc, char **argv)
{
	struct threaded *t = &process;
	size_t i, n;
	pthread_t *tids;

	runtime_init(&t->w, "threaded", argc, argv);
	if ((t->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		fatal("eventfd");
	n = (size_t)t->w.conf.threads_per_child;
	t->w.sb->threads = (uint32_t)n;
	tids = start_threads(t, n);
	runtime_ready(&t->w);
	watch_channel(t);
	for (i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	return 0;
}
