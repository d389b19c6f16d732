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
#include "workers/runtime.h"

static void *
thread_main(void *arg)
{
	struct worker *w = arg;
	struct accepted conn;
	struct acceptor a;

	acceptor_open(&a, w, w->wake);
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
	return NULL;
}

static struct worker self; /* static: its allocations stay reachable */

int
main(void)
{
	pthread_t *tids;
	size_t i, n;

	runtime_init(&self, "threaded");
	n = (size_t)self.conf.threads_per_child;
	self.sb->threads = (uint32_t)n;
	tids = xcalloc(n, sizeof(*tids));
	for (i = 0; i < n; i++)
		runtime_start_thread(&tids[i], thread_main, &self);
	runtime_ready(&self);
	runtime_watch_channel(&self);
	for (i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	return 0;
}
