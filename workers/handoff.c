/* Connections handed between the event loops of a process: see handoff.h. */
#include "config.h"

#include <sys/eventfd.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workers/handoff.h"

#define INBOX_MIN 16

int
inbox_init(struct inbox *in)
{
	memset(in, 0, sizeof(*in));
	if ((in->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		return -1;
	pthread_mutex_init(&in->lock, NULL);
	return 0;
}

void
inbox_free(struct inbox *in)
{
	size_t i;

	for (i = 0; i < in->len; i++) {
		close(in->items[i].fd);
		free(in->items[i].pre);
	}
	free(in->items);
	close(in->efd);
	pthread_mutex_destroy(&in->lock);
}

void
inbox_wake(struct inbox *in)
{
	uint64_t one = 1;

	(void)!write(in->efd, &one, sizeof(one));
}

static int
inbox_grow(struct inbox *in)
{
	size_t cap = in->cap > 0 ? in->cap * 2 : INBOX_MIN;
	struct accepted *p;

	if ((p = reallocarray(in->items, cap, sizeof(*p))) == NULL)
		return -1;
	in->items = p;
	in->cap = cap;
	return 0;
}

int
inbox_push(struct inbox *in, const struct accepted *h)
{
	int r = 0;

	pthread_mutex_lock(&in->lock);
	if (in->len == in->cap && inbox_grow(in) == -1)
		r = -1;
	else
		in->items[in->len++] = *h;
	pthread_mutex_unlock(&in->lock);
	if (r == 0)
		inbox_wake(in);
	else
		errno = ENOMEM;
	return r;
}

size_t
inbox_take(struct inbox *in, struct accepted *out, size_t max)
{
	uint64_t count;
	size_t n;

	(void)!read(in->efd, &count, sizeof(count));
	pthread_mutex_lock(&in->lock);
	n = in->len < max ? in->len : max;
	if (n > 0) {
		memcpy(out, in->items, n * sizeof(*out));
		memmove(in->items, in->items + n, (in->len - n) * sizeof(*out));
		in->len -= n;
	}
	if (in->len > 0)
		inbox_wake(in);
	pthread_mutex_unlock(&in->lock);
	return n;
}
