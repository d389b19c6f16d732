/*
 * Reading a connection's PROXY header exactly: see proxyconn.h.
 *
 * Each call peeks at what the socket holds, asks the parser how much of
 * it is header, and consumes exactly that much. While the header is not
 * whole, everything peeked belongs to it and is consumed, so the socket
 * is empty when the caller waits (level- and edge-triggered waits both
 * work); once it is whole, only its last bytes are consumed.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/plural.h"
#include "lib/ratelimit.h"
#include "workers/proxyconn.h"

#define PROXYCONN_LOG_EVERY_MS 1000
#define PROXYCONN_LOG_BURST    10
#define PEER_TEXT_MAX          (INET6_ADDRSTRLEN + sizeof("[]:65535"))
#define WHY_MAX                128

/* "192.0.2.1:5000", "[2001:db8::1]:5000", or "-" with no IP address. */
static void
peer_text(const struct sockaddr *sa, char *out, size_t outsz)
{
	const struct sockaddr_in *sin = (const void *)sa;
	const struct sockaddr_in6 *sin6 = (const void *)sa;
	char host[INET6_ADDRSTRLEN];

	if (sa != NULL && sa->sa_family == AF_INET &&
	    inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host)) != NULL)
		snprintf(out, outsz, "%s:%u", host, ntohs(sin->sin_port));
	else if (sa != NULL && sa->sa_family == AF_INET6 &&
		 inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host)) !=
		     NULL)
		snprintf(out, outsz, "[%s]:%u", host, ntohs(sin6->sin6_port));
	else
		snprintf(out, outsz, "-");
}

void
proxyconn_refused(const struct sockaddr *peer, const char *why)
{
	static struct ratelimit rl =
	    RATELIMIT_INIT(PROXYCONN_LOG_EVERY_MS, PROXYCONN_LOG_BURST);
	char text[PEER_TEXT_MAX];
	unsigned held;

	if (!ratelimit_pass(&rl, &held))
		return;
	peer_text(peer, text, sizeof(text));
	if (held > 0)
		log_info("PROXY protocol: closed the connection from %s: %s "
			 "(and %u more not logged)",
		    text, why, held);
	else
		log_info("PROXY protocol: closed the connection from %s: %s",
		    text, why);
}

void
proxyconn_expired(const struct sockaddr *peer, long seconds)
{
	char why[WHY_MAX];

	snprintf(why, sizeof(why),
	    "no whole PROXY header within %ld s (RequestReadTimeout handshake=)",
	    seconds);
	proxyconn_refused(peer, why);
}

static ssize_t
recv_intr(int fd, void *buf, size_t n, int flags)
{
	ssize_t r;

	do
		r = recv(fd, buf, n, flags | MSG_DONTWAIT);
	while (r == -1 && errno == EINTR);
	return r;
}

/* The socket said end of file or an error before the header was whole. */
static enum proxyconn
proxyconn_lost(const struct sockaddr *peer, size_t have, ssize_t n)
{
	char why[WHY_MAX];

	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return PROXYCONN_WAIT;
	if (have == 0)
		return PROXYCONN_GONE; /* a port scan, a TCP health check */
	snprintf(why, sizeof(why), "%s after %zu byte%s of the header",
	    n == 0 ? "end of file" : strerror(errno), have, plural(have));
	proxyconn_refused(peer, why);
	return PROXYCONN_REFUSED;
}

enum proxyconn
proxyconn_read(int fd, const struct sockaddr *peer, char *buf, size_t *have,
    struct proxy_header *h)
{
	enum proxy_status st;
	ssize_t n;
	size_t take;

	n = recv_intr(fd, buf + *have, PROXY_HEADER_MAX - *have, MSG_PEEK);
	if (n <= 0)
		return proxyconn_lost(peer, *have, n);
	st = proxy_parse(buf, *have + (size_t)n, h);
	if (st == PROXY_ERROR) {
		proxyconn_refused(peer, h->error);
		return PROXYCONN_REFUSED;
	}
	take = st == PROXY_DONE ? h->len - *have : (size_t)n;
	if (recv_intr(fd, buf + *have, take, 0) != (ssize_t)take) {
		proxyconn_refused(peer, "the header could not be read again");
		return PROXYCONN_REFUSED;
	}
	*have += take;
	return st == PROXY_DONE ? PROXYCONN_DONE : PROXYCONN_WAIT;
}
