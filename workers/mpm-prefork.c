/*
 * mpm-prefork: one connection at a time per process; the master sizes the
 * pool. An idle process waits in the acceptor (EPOLLEXCLUSIVE on the
 * shared listeners, plus the channel), serves one connection to its end
 * with blocking waits, and goes back.
 */
#include "config.h"

#include <unistd.h>

#include "protocol/log.h"
#include "workers/acceptor.h"
#include "workers/runtime.h"

static bool
recycle_due(const struct worker *w)
{
	long max = w->conf.max_connections_per_child;

	return max > 0 &&
	    __atomic_load_n(&w->sb->accepted, __ATOMIC_RELAXED) >=
	    (uint64_t)max;
}

static void
serve_one(struct worker *w, int fd, struct sockaddr_storage *peer,
    socklen_t len)
{
	struct conn *c;

	if ((c = conn_new(&w->ctx, fd, (struct sockaddr *)peer, len)) ==
	    NULL) {
		log_warnx("out of memory for a connection");
		close(fd);
		return;
	}
	__atomic_store_n(&w->sb->busy, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&w->sb->connections, 1, __ATOMIC_RELAXED);
	blocking_serve(w, c, w->channel);
	__atomic_store_n(&w->sb->connections, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&w->sb->busy, 0, __ATOMIC_RELAXED);
}

static struct worker self; /* static: its allocations stay reachable */

int
main(int argc, char **argv)
{
	struct sockaddr_storage peer;
	struct acceptor a;
	socklen_t len;
	int fd;

	runtime_init(&self, "prefork", argc, argv);
	acceptor_open(&a, &self, self.channel);
	self.sb->threads = 1;
	runtime_ready(&self);
	while (!atomic_load(&self.graceful) && !recycle_due(&self)) {
		switch (acceptor_wait(&a, &self, &fd, &peer, &len)) {
		case ACCEPTOR_CONN:
			serve_one(&self, fd, &peer, len);
			break;
		case ACCEPTOR_EXTRA:
			runtime_channel_read(&self);
			break;
		case ACCEPTOR_AGAIN:
			break;
		}
	}
	return 0;
}
