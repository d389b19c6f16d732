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

struct threaded {
	struct worker w;
	int wake; /* eventfd: readable once the process drains */
};

static void
start_drain(struct threaded *t)
{
	uint64_t one = 1;

	runtime_begin_drain(&t->w);
	(void)!write(t->wake, &one, sizeof(one));
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
			if (runtime_recycle_due(&t->w))
				start_drain(t);
			blocking_serve_fd(&t->w, fd, &peer, len, t->wake);
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
	size_t i;

	for (i = 0; i < n; i++)
		runtime_start_thread(&tids[i], thread_main, t);
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
		if (atomic_load(&t->w.stop)) {
			start_drain(t);
			runtime_stop_now(&t->w);
		}
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
