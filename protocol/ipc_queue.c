#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/ipc_queue.h"

struct ipc_queued {
	TAILQ_ENTRY(ipc_queued) entry;
	enum ipc_type type;
	size_t len;
	size_t nfds;
	int fds[IPC_MAX_FDS];
	uint8_t payload[]; /* LEN bytes */
};

void
ipc_queue_init(struct ipc_queue *q)
{
	TAILQ_INIT(&q->head);
	q->count = q->bytes = 0;
}

static void
queued_free(struct ipc_queue *q, struct ipc_queued *m)
{
	size_t i;

	TAILQ_REMOVE(&q->head, m, entry);
	q->count--;
	q->bytes -= m->len;
	for (i = 0; i < m->nfds; i++)
		close(m->fds[i]);
	explicit_bzero(m->payload, m->len); /* private keys pass through */
	free(m);
}

void
ipc_queue_clear(struct ipc_queue *q)
{
	while (!TAILQ_EMPTY(&q->head))
		queued_free(q, TAILQ_FIRST(&q->head));
}

int
ipc_queue_push(struct ipc_queue *q, enum ipc_type type, const void *payload,
    size_t len, const int *fds, size_t nfds)
{
	struct ipc_queued *m;
	int saved;

	if (len > IPC_MAX_PAYLOAD || nfds > IPC_MAX_FDS) {
		errno = EMSGSIZE;
		return -1;
	}
	if ((m = malloc(sizeof(*m) + len)) == NULL)
		return -1;
	m->type = type;
	m->len = len;
	if (len > 0)
		memcpy(m->payload, payload, len);
	for (m->nfds = 0; m->nfds < nfds; m->nfds++) {
		m->fds[m->nfds] = fcntl(fds[m->nfds], F_DUPFD_CLOEXEC, 0);
		if (m->fds[m->nfds] == -1) {
			saved = errno;
			while (m->nfds > 0)
				close(m->fds[--m->nfds]);
			free(m);
			errno = saved;
			return -1;
		}
	}
	TAILQ_INSERT_TAIL(&q->head, m, entry);
	q->count++;
	q->bytes += len;
	return 0;
}

int
ipc_queue_flush(struct ipc_queue *q, int sock)
{
	struct ipc_queued *m;

	while ((m = TAILQ_FIRST(&q->head)) != NULL) {
		if (ipc_send(sock, m->type, m->payload, m->len, m->fds,
			m->nfds) == -1)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -1;
		queued_free(q, m);
	}
	return 0;
}
