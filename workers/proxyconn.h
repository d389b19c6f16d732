/*
 * The PROXY protocol header of a connection on a "Listen ... proxy"
 * listener: read from the socket exactly, never a byte past its end, so
 * that what follows (the HTTP request, or the TLS ClientHello) stays in
 * the socket for the next stage. The header is parsed by
 * protocol/proxy.c; this file only moves its bytes and logs refusals.
 */
#ifndef MPMD_PROXYCONN_H
#define MPMD_PROXYCONN_H

#include <sys/socket.h>

#include <stddef.h>

#include "protocol/proxy.h"

enum proxyconn {
	PROXYCONN_WAIT,    /* the socket is empty and the header not whole */
	PROXYCONN_DONE,    /* H is the header; the socket holds what follows */
	PROXYCONN_REFUSED, /* not a valid header: logged, close */
	PROXYCONN_GONE,    /* closed or reset before a byte came: close */
};

/*
 * Reads more of the header from the non-blocking socket FD into BUF
 * (room for PROXY_HEADER_MAX bytes), which holds the *HAVE bytes of it
 * read by earlier calls; *HAVE grows by what this call took. PEER, the
 * socket's peer, is what a refusal logs.
 */
enum proxyconn proxyconn_read(int fd, const struct sockaddr *peer, char *buf,
    size_t *have, struct proxy_header *h);

/* Logs (at info, at most a burst a second) a connection closed for WHY. */
void proxyconn_refused(const struct sockaddr *peer, const char *why);
/* The same for one whose header was not whole within SECONDS. */
void proxyconn_expired(const struct sockaddr *peer, long seconds);

#endif
