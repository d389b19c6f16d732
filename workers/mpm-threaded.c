/*
 * mpm-threaded (Apache's "worker"): ThreadsPerChild threads per process,
 * each serving one connection at a time with blocking waits. Every thread
 * waits in its own acceptor (EPOLLEXCLUSIVE), so one idle thread in the
 * whole pool wakes per connection. The main thread only reads the channel.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>

#include "lib/xmalloc.h"
#include "workers/acceptor.h"
#include "workers/blocking.h"
#include "workers/board.h"
#include "workers/runtime.h"

/* A thread and the request slot it is on the scoreboard. */
struct thread {
	pthread_t tid;
	struct worker *w;
	unsigned index;
};

static void *
thread_main(void *arg)
{
	struct thread *t = arg;
	struct worker *w = t->w;
	struct accepted conn;
	struct acceptor a;

	board_bind(w->sb, t->index);
	acceptor_open(&a, w, w->wake);
	board_set(SB_T_WAITING);
	while (!atomic_load(&w->graceful)) {
		switch (acceptor_wait(&a, w, &conn)) {
		case ACCEPTOR_CONN:
			if (runtime_recycle_due(w))
				runtime_drain_and_wake(w);
			blocking_serve_fd(w, &conn, w->wake);
			break;
		case ACCEPTOR_EXTRA:
		case ACCEPTOR_AGAIN:
		case ACCEPTOR_PAUSE: /* never in a blocking wait */
			break;
		}
	}
	acceptor_close(&a);
	board_set(SB_T_OPEN);
	return NULL;
}

static struct worker self; /* static: its allocations stay reachable */

int
main(void)
{
	struct thread *threads;
	size_t i, n;

	runtime_init(&self, "threaded");
	n = (size_t)self.conf.threads_per_child;
	board_start(self.sb, (unsigned)n, 0);
	threads = xcalloc(n, sizeof(*threads));
	for (i = 0; i < n; i++) {
		threads[i].w = &self;
		threads[i].index = (unsigned)i;
		runtime_start_thread(&threads[i].tid, thread_main, &threads[i]);
	}
	runtime_ready(&self);
	runtime_watch_channel(&self);
	for (i = 0; i < n; i++)
		pthread_join(threads[i].tid, NULL);
	free(threads);
	return 0;
}
