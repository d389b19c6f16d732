/*
 * Messages waiting to go out on a non-blocking channel, so that a sender
 * never blocks on a peer that does not read (tmux's proc.c keeps one
 * imsgbuf per peer the same way). The queue owns duplicates of the fds a
 * message carries until the message is sent or dropped.
 */
#ifndef MPMD_IPC_QUEUE_H
#define MPMD_IPC_QUEUE_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "protocol/ipc.h"

struct ipc_queued;

struct ipc_queue {
	TAILQ_HEAD(, ipc_queued) head;
	size_t count; /* messages waiting */
	size_t bytes; /* their payload bytes */
};

void ipc_queue_init(struct ipc_queue *q);
/* Drops every waiting message, closing the fds it holds. */
void ipc_queue_clear(struct ipc_queue *q);

/*
 * Appends a message; FDS are duplicated (CLOEXEC), the caller keeps its
 * own. -1 with errno (ENOMEM, EMFILE, EMSGSIZE) when it cannot.
 */
int ipc_queue_push(struct ipc_queue *q, enum ipc_type type, const void *payload,
    size_t len, const int *fds, size_t nfds);

/*
 * Sends what the socket SOCK takes now, in order. Returns 0 when the
 * queue is empty, 1 when messages wait for room (EAGAIN), -1 with errno
 * on an error (EPIPE: the peer is gone).
 */
int ipc_queue_flush(struct ipc_queue *q, int sock);

#endif
