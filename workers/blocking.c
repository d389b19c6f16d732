/* Blocking service of one connection: see blocking.h. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <stdint.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "protocol/scoreboard.h"
#include "workers/accesslog.h"
#include "workers/blocking.h"
#include "workers/board.h"

static int
wait_ms(struct conn *c, const struct worker *w)
{
	int64_t left = conn_deadline(c) - mono_ms();
	int64_t drain = runtime_drain_left(w);
	int64_t log = accesslog_due();

	if (drain < left)
		left = drain;
	if (log >= 0 && log < left)
		left = log;
	return left < 0 ? 0 : (left > INT32_MAX ? INT32_MAX : (int)left);
}

/*
 * The channel is read here; any other watched fd (a thread pool's drain
 * eventfd) only says the drain began, which the wait bound now includes.
 */
static void
watch_readable(struct worker *w, struct pollfd *pfd)
{
	if (pfd->fd != w->channel || runtime_channel_read(w) == -1)
		pfd->fd = -1;
}

void
blocking_serve(struct worker *w, struct conn *c, int watch_fd)
{
	struct pollfd pfd[2];
	enum conn_io io;
	int n;

	pfd[1].fd = watch_fd;
	pfd[1].events = POLLIN;
	pfd[1].revents = 0;
	(void)accesslog_buffered(); /* else line by line */
	while ((io = conn_step(c)) != CONN_IO_CLOSE) {
		if (io == CONN_IO_READ && conn_idle(c) && runtime_handoff(w, c))
			break; /* a worker of the new generation has it now */
		pfd[0].fd = conn_wait_fd(c); /* the socket: no tls_async here */
		pfd[0].events = io == CONN_IO_WRITE ? POLLOUT : POLLIN;
		n = poll(pfd, watch_fd >= 0 ? 2 : 1, wait_ms(c, w));
		if (n == -1 && errno != EINTR)
			fatal("poll");
		if (accesslog_due() == 0)
			accesslog_flush();
		if (n > 0 && pfd[1].revents != 0)
			watch_readable(w, &pfd[1]);
		if (atomic_load(&w->stop) || runtime_drain_left(w) == 0)
			break;
		if (n == 0 && mono_ms() >= conn_deadline(c) &&
		    conn_expire(c) == CONN_IO_CLOSE)
			break;
	}
	conn_free(c);
}

void
blocking_serve_fd(struct worker *w, const struct accepted *conn, int watch_fd)
{
	struct conn *c;

	if ((c = runtime_conn_new(w, conn)) == NULL)
		return;
	sb_add(&w->sb->busy, 1);
	sb_add(&w->sb->connections, 1);
	blocking_serve(w, c, watch_fd);
	sb_sub(&w->sb->connections, 1);
	sb_sub(&w->sb->busy, 1);
	board_set_idle(atomic_load(&w->graceful));
}
