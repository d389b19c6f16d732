/*
 * mpm-prefork: one connection at a time per process; the master sizes the
 * pool. An idle process waits in the acceptor (EPOLLEXCLUSIVE on the
 * shared listeners, plus the channel), serves one connection to its end
 * with blocking waits, and goes back.
 */
#include "config.h"

#include "workers/acceptor.h"
#include "workers/blocking.h"
#include "workers/board.h"
#include "workers/runtime.h"

static struct worker self; /* static: its allocations stay reachable */

int
main(void)
{
	struct accepted conn;
	struct acceptor a;

	runtime_init(&self, "prefork");
	acceptor_open(&a, &self, self.channel);
	board_start(self.sb, 1, 0);
	board_bind(self.sb, 0);
	runtime_ready(&self);
	board_set(SB_T_WAITING);
	while (!atomic_load(&self.graceful) && !runtime_recycle_due(&self)) {
		switch (acceptor_wait(&a, &self, &conn)) {
		case ACCEPTOR_CONN:
			blocking_serve_fd(&self, &conn, self.channel);
			break;
		case ACCEPTOR_EXTRA:
			runtime_channel_read(&self);
			break;
		case ACCEPTOR_AGAIN:
		case ACCEPTOR_PAUSE: /* never in a blocking wait */
			break;
		}
	}
	return 0;
}
