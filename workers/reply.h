/*
 * Response heads: the status line and header fields of one response, and
 * the short HTML page errors carry. Formatting only: no I/O.
 */
#ifndef MPMD_REPLY_H
#define MPMD_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REPLY_HEAD_MAX 16384 /* room for a head with a long Location */
#define REPLY_SERVER   "mpmd"

struct reply {
	int status;
	bool keep_alive;     /* Connection: keep-alive, else close */
	const char *type;    /* Content-Type, NULL for none */
	int64_t length;      /* Content-Length, -1 for none */
	const char *etag;    /* NULL for none */
	int64_t mtime;       /* Last-Modified, -1 for none */
	bool ranges;         /* Accept-Ranges: bytes */
	int64_t range_first; /* 206: Content-Range first-last/size */
	int64_t range_last;
	int64_t range_size;         /* 206, 416 (bytes * /size) */
	const char *location;       /* 301: decoded path; '/' and query added */
	const char *location_query; /* raw query without '?', or NULL */
	bool allow;                 /* 405: Allow: GET, HEAD */
	bool no_store;              /* Cache-Control: no-store */
};

/* A reply with only the fields every response has. */
void reply_init(struct reply *rp, int status, bool keep_alive);

/*
 * Writes the head, blank line included, into OUT. Returns its length, or
 * 0 when it does not fit in OUTSZ.
 */
size_t reply_head(const struct reply *rp, char *out, size_t outsz);

/*
 * An error response for STATUS: reply fields and the HTML page, with a
 * sentence of DETAIL (our text, never a client's) when not NULL (written
 * to BODY, length returned; the page is empty when it does not fit).
 */
size_t reply_error(struct reply *rp, int status, bool keep_alive,
    const char *detail, char *body, size_t bodysz);

/*
 * Whether "; charset=utf-8" follows TYPE in Content-Type: for text types
 * and JavaScript that carry no parameter of their own.
 */
bool reply_type_charset(const char *type);

#endif
