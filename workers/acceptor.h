/*
 * Waiting for connections on the shared listening sockets without a
 * thundering herd: each waiter (a prefork process, a threaded thread,
 * loop 0 of an event-MPM process) has its own epoll set with the
 * listeners registered EPOLLEXCLUSIVE, so the kernel wakes one idle
 * waiter per new connection (an event loop, whose set is nested in
 * libevent's, is woken for each: see mpm-event.c). A waiter also watches
 * one extra fd (the channel, or an eventfd the process uses to wake its
 * threads for a graceful stop).
 */
#ifndef MPMD_ACCEPTOR_H
#define MPMD_ACCEPTOR_H

#include <sys/socket.h>

#include <stdbool.h>

#include "workers/handoff.h"
#include "workers/runtime.h"

#define ACCEPTOR_PAUSE_MS 250 /* no accept() for this long after EMFILE */

struct acceptor {
	int ep;
	int extra_fd;
	int adopt_fd;     /* the generation's adopt queue, watched */
	bool adopt_ready; /* ... and some may wait */
	int timeout;      /* of its epoll_wait(): -1, or 0 once acceptor_fd() */
	int pending[8];   /* listeners reported ready, not yet drained */
	int npending;
	int64_t paused_until; /* out of fds: mono_ms() to accept again */
};

void acceptor_open(struct acceptor *a, const struct worker *w, int extra_fd);
void acceptor_close(struct acceptor *a);

/*
 * For an event loop: the fd to watch for readiness. From then on
 * acceptor_wait() never blocks; ACCEPTOR_AGAIN means nothing more now.
 */
int acceptor_fd(struct acceptor *a);

enum acceptor_result {
	ACCEPTOR_CONN,  /* *fd is a new non-blocking client socket */
	ACCEPTOR_EXTRA, /* the extra fd is readable */
	ACCEPTOR_AGAIN, /* spurious wakeup or a transient error: call again */
	/*
	 * Out of file descriptors (EMFILE, ENFILE): an event loop stops
	 * watching acceptor_fd() for ACCEPTOR_PAUSE_MS. A blocking caller
	 * never sees it: its next wait watches the extra fd alone meanwhile.
	 */
	ACCEPTOR_PAUSE,
};

/* Blocks until a connection (into CONN) or the extra fd. */
enum acceptor_result acceptor_wait(
    struct acceptor *a, struct worker *w, struct accepted *conn);

#endif
