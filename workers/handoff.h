/*
 * Connections passed from the loop that accepted them to another event
 * loop of the same process. Each loop has an inbox: a locked, growing
 * queue and an eventfd that is readable while something waits in it. A
 * push never fails for want of room (the process's connection bound
 * bounds the queue), so no connection is ever dropped on the way.
 */
#ifndef MPMD_HANDOFF_H
#define MPMD_HANDOFF_H

#include <sys/socket.h>

#include <stdint.h>

#include <pthread.h>
#include <stddef.h>

/*
 * A connection as accepted: the socket, its peer, its listener's options;
 * or as adopted from another worker (its requests so far, and the bytes
 * it had read, which are now the taker's to free).
 */
struct accepted {
	int fd;
	unsigned flags; /* CONF_LISTEN_* of the listener */
	socklen_t peerlen;
	struct sockaddr_storage peer;
	uint32_t nreq; /* responses it had */
	uint32_t prelen;
	char *pre; /* malloc'd, NULL when none */
};

struct inbox {
	pthread_mutex_t lock;
	struct accepted *items;
	size_t len, cap;
	int efd; /* eventfd: watch it for reading */
};

int inbox_init(struct inbox *in); /* -1 with errno */
void inbox_free(struct inbox *in);
/* Queues H for the owner of IN and wakes it; -1 (ENOMEM) if it cannot. */
int inbox_push(struct inbox *in, const struct accepted *h);
/* Wakes the owner with nothing queued: it looks at whether it is done. */
void inbox_wake(struct inbox *in);
/*
 * Moves up to MAX queued handoffs, oldest first, into OUT and returns
 * how many; the eventfd stays readable while more wait.
 */
size_t inbox_take(struct inbox *in, struct accepted *out, size_t max);

#endif
