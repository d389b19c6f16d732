#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "master/listen.h"
#include "protocol/xmalloc.h"

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
