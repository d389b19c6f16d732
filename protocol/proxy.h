/*
 * The PROXY protocol, versions 1 (a text line) and 2 (binary), as
 * HAProxy's doc/proxy-protocol.txt defines them: the header a load
 * balancer sends first on a connection it relays, naming the client.
 *
 * No I/O. proxy_parse() is given every byte received so far, from the
 * first, and says whether they hold a whole header (and how long it is,
 * so that what follows stays for HTTP or TLS), the start of one, or
 * cannot be one. It rejects as early as the bytes allow: an HTTP request
 * or a TLS ClientHello fails at its first byte.
 */
#ifndef MPMD_PROXY_H
#define MPMD_PROXY_H

#include <sys/socket.h>

#include <netinet/in.h>

#include <stddef.h>

#define PROXY_V1_MAX     107  /* the longest line, CRLF included */
#define PROXY_V2_HEAD    16   /* signature, version/command, family, length */
#define PROXY_HEADER_MAX 4096 /* a v2 header with its TLVs, at most */

enum proxy_status {
	PROXY_NEED_MORE, /* the start of a header: call again with more */
	PROXY_DONE,      /* a whole header of h->len bytes */
	PROXY_ERROR, /* not a valid header (h->error): drop the connection */
};

enum proxy_command {
	PROXY_CMD_LOCAL, /* v2: the proxy's own connection, a health check */
	PROXY_CMD_PROXY, /* relayed for a client */
};

enum proxy_family {
	/*
	 * No address to use: v2 LOCAL, or a v2 family or transport other
	 * than TCP over IPv4/IPv6 (UNSPEC, UNIX, UDP), which the receiver
	 * may treat as UNSPEC.
	 */
	PROXY_FAM_UNSPEC,
	PROXY_FAM_UNKNOWN, /* v1 "PROXY UNKNOWN": likewise */
	PROXY_FAM_INET,    /* TCP over IPv4: src and dst are set */
	PROXY_FAM_INET6,   /* TCP over IPv6: src and dst are set */
};

union proxy_addr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

struct proxy_header {
	size_t len;       /* PROXY_DONE: bytes of the header */
	unsigned version; /* 1 or 2, once the first byte said which */
	enum proxy_command command;
	enum proxy_family family;
	union proxy_addr src, dst; /* the client, and the address it reached */
	const char *error;         /* PROXY_ERROR: why, a static string */
};

/* BUF holds the LEN bytes received so far; H is filled in every case. */
enum proxy_status proxy_parse(
    const void *buf, size_t len, struct proxy_header *h);

/*
 * The client's address in a parsed header, or NULL when it names none
 * (LOCAL, UNKNOWN, UNSPEC): then the connection's own peer stands.
 */
const struct sockaddr *proxy_client(const struct proxy_header *h);

#endif
