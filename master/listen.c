/*
 * The listening sockets: binding and tuning them, adopting the ones
 * systemd passes, and the master's table of them, which outlives every
 * generation: an address the new config keeps keeps its socket, so no
 * queued connection is lost across a restart.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "master/listen.h"
#include "master/master.h"

#define SD_LISTEN_FDS_START 3 /* systemd passes sockets from fd 3 on */

static int
listen_fail(int fd, const struct conf_listen *l, const char *what, char **cause)
{
	int saved = errno;

	xasprintf(cause, "%s %s: %s", what, l->text, strerror(saved));
	if (fd != -1)
		close(fd);
	errno = saved;
	return -1;
}

/*
 * TCP_DEFER_ACCEPT: a connection is handed to accept() once its request
 * has arrived, so a worker reads it at once instead of waiting for it
 * (Apache's "AcceptFilter http data"). One second: a client that sends
 * nothing is accepted after one SYN-ACK retransmission and then meets
 * RequestReadTimeout as before.
 */
#define LISTEN_DEFER_SEC 1

/*
 * Accepted sockets inherit TCP_NODELAY: a response's last partial segment
 * must not wait for the ACK of the previous one (Nagle), which on a large
 * file costs a round trip per response.  MSG_MORE still coalesces a head
 * with its body.
 */
int
listen_tune(int fd)
{
	int on = 1, defer = LISTEN_DEFER_SEC;

	if (setsockopt(
		fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer)) == -1)
		return -1;
	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

int
listen_open(const struct conf_listen *l, int backlog, char **cause)
{
	int fd, on = 1;

	fd = socket(
	    l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return listen_fail(fd, l, "socket() for", cause);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		return listen_fail(fd, l, "SO_REUSEADDR on", cause);
	if (l->addr.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
		return listen_fail(fd, l, "IPV6_V6ONLY on", cause);
	if (listen_tune(fd) == -1)
		return listen_fail(fd, l, "TCP options on", cause);
	if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) == -1)
		return listen_fail(fd, l, "cannot bind", cause);
	if (listen(fd, backlog) == -1)
		return listen_fail(fd, l, "cannot listen on", cause);
	return fd;
}

static bool
same_address(const struct conf_listen *a, const struct sockaddr_storage *ss,
    socklen_t len)
{
	return a->addrlen == len && memcmp(&a->addr, ss, len) == 0;
}

static int
listener_find(const struct master *m, const struct conf_listen *l)
{
	size_t i;

	for (i = 0; i < m->nlisteners; i++)
		if (same_address(&m->listeners[i].addr, &l->addr, l->addrlen))
			return (int)i;
	return -1;
}

/* Binds every Listen of CONF that the master does not hold yet. */
int
listeners_open(struct master *m, const struct conf *conf, char **cause)
{
	size_t i;
	int fd;

	for (i = 0; i < conf->nlisten; i++) {
		if (listener_find(m, &conf->listen[i]) != -1)
			continue;
		if (m->nlisteners == MASTER_MAX_LISTENERS) {
			xasprintf(cause, "too many listening sockets");
			return -1;
		}
		fd = listen_open(
		    &conf->listen[i], (int)conf->listen_backlog, cause);
		if (fd == -1)
			return -1;
		m->listeners[m->nlisteners].fd = fd;
		m->listeners[m->nlisteners].addr = conf->listen[i];
		m->nlisteners++;
	}
	return 0;
}

static int
adopt_one(struct master *m, const struct conf *conf, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	size_t i;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	for (i = 0; i < conf->nlisten; i++) {
		if (!same_address(&conf->listen[i], &ss, len))
			continue;
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
		    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
		    listen_tune(fd) == -1)
			return -1;
		m->listeners[m->nlisteners].fd = fd;
		m->listeners[m->nlisteners].addr = conf->listen[i];
		m->nlisteners++;
		log_info("adopted socket %s from %s", conf->listen[i].text,
		    successor_started() ? "the old master" : "systemd");
		return 0;
	}
	return -1;
}

/*
 * Socket activation: LISTEN_FDS sockets from fd 3 on, for this pid. Each
 * must match a Listen line; others are closed and named in the log.
 */
int
listeners_adopt_systemd(struct master *m, const struct conf *conf, char **cause)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	long n, i;

	if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != getpid())
		return 0;
	n = strtol(fds, NULL, 10);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (n < 0 || n > CONF_MAX_LISTEN) {
		xasprintf(cause, "LISTEN_FDS=%s is out of range", fds);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (adopt_one(m, conf, SD_LISTEN_FDS_START + (int)i) == 0)
			continue;
		log_warnx(
		    "systemd passed fd %ld, which matches no Listen line: closing it",
		    SD_LISTEN_FDS_START + i);
		close(SD_LISTEN_FDS_START + (int)i);
	}
	return 0;
}

static bool
listener_in_use(const struct master *m, const struct listener *l)
{
	const struct generation *g;
	size_t i;

	TAILQ_FOREACH (g, &m->gens, entry) {
		if (g->state == GEN_DRAINING)
			continue;
		for (i = 0; i < g->conf.nlisten; i++)
			if (same_address(&g->conf.listen[i], &l->addr.addr,
				l->addr.addrlen))
				return true;
	}
	return false;
}

/*
 * A Listen dropped from the config: the master lets go of its socket.
 * Draining workers keep their own copies until they exit.
 */
void
listeners_close_unused(struct master *m)
{
	size_t i = 0;

	while (i < m->nlisteners) {
		if (listener_in_use(m, &m->listeners[i])) {
			i++;
			continue;
		}
		log_notice(
		    "no longer listening on %s", m->listeners[i].addr.text);
		close(m->listeners[i].fd);
		m->listeners[i] = m->listeners[--m->nlisteners];
	}
}

/* Workers hold their own copies: the port closes once they stop too. */
void
listeners_close_all(struct master *m)
{
	size_t i;

	for (i = 0; i < m->nlisteners; i++)
		close(m->listeners[i].fd);
	m->nlisteners = 0;
}

void
listeners_bind(struct master *m, struct generation *g)
{
	size_t i;
	int k;

	g->nlisten = 0;
	for (i = 0; i < g->conf.nlisten; i++)
		if ((k = listener_find(m, &g->conf.listen[i])) != -1)
			g->listen_fds[g->nlisten++] = m->listeners[k].fd;
}
