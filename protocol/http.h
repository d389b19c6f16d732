/*
 * HTTP/1.1 request parsing (RFC 9112): http-parser does the parse, a strict
 * layer in front of it rejects everything the non-strict Debian build of
 * http-parser would let through. No I/O: bytes in, a request or an HTTP
 * status out. After any status >= 400 the caller answers once and closes;
 * it never feeds further bytes.
 */
#ifndef MPMD_HTTP_H
#define MPMD_HTTP_H

#include <http_parser.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_INCOMPLETE 0 /* need more bytes */
#define HTTP_DONE       1 /* head (or body) complete */

struct http_limits {
	size_t request_line; /* LimitRequestLine -> 414 */
	size_t field_size;   /* LimitRequestFieldSize -> 431 */
	size_t fields;       /* LimitRequestFields -> 431 */
	int64_t body;        /* LimitRequestBody -> 413; 0 = unlimited */
};

/* One field line being scanned, in the head or the trailer section. */
struct http_fline {
	int state;
	size_t len;         /* bytes so far, CRLF excluded */
	size_t name_len;    /* offsets from the start of the line */
	size_t value_start; /* value without its leading and trailing OWS */
	size_t value_end;
};

#define HTTP_FIELD_SLOTS 7 /* header fields the request exposes */

struct http_request {
	/* filled by http_parse_head() */
	enum http_method method; /* http-parser's enum */
	const char *method_name; /* NUL-terminated */
	unsigned major, minor;   /* 1.0 or 1.1 */
	const char *target;      /* raw request-target, NUL-terminated */
	size_t target_len;
	/* NUL-terminated header values, NULL when absent */
	const char *host;
	const char *if_modified_since;
	const char *if_none_match;
	const char *if_range;
	const char *range;
	const char *user_agent;
	const char *referer;
	bool keep_alive;        /* version default adjusted by Connection */
	bool expect_continue;   /* Expect: 100-continue (other Expect -> 417) */
	bool chunked;           /* Transfer-Encoding: chunked */
	int64_t content_length; /* -1 when absent */
	size_t head_len;        /* bytes of the head, final CRLF included */

	/* parser state: private to http.c */
	struct http_limits limits;
	http_parser hp;
	size_t scanned; /* bytes of the head already checked */
	int64_t body_seen;
	int body_state;
	uint64_t chunk_left;
	unsigned chunk_digits;
	size_t chunk_line;
	struct http_fline fline; /* field line being scanned */
	int head_state;
	unsigned empty_lines; /* CRLFs before the request line */
	unsigned seen;        /* header fields met so far */
	int pending;          /* first field error, answered at head end */
	size_t rl_start;      /* offset of the request line */
	size_t line_start;    /* offset of the line being scanned */
	size_t method_len;
	size_t target_off;
	size_t nfields;
	size_t slot_off[HTTP_FIELD_SLOTS]; /* exposed values, 0 = absent */
	size_t slot_len[HTTP_FIELD_SLOTS];
	bool conn_close;      /* Connection: close */
	bool conn_keep_alive; /* Connection: keep-alive */
	bool hp_done;         /* http-parser saw the message end */
	size_t hp_fields;     /* header fields http-parser saw */
	const char *hp_url;   /* request-target as http-parser saw it */
	size_t hp_url_len;
	size_t trailer_bytes;
	unsigned trailer_match; /* trailer names still matching a banned one */
};

void http_request_init(struct http_request *r, const struct http_limits *lim);

/*
 * BUF holds everything received since the request began (LEN bytes) and is
 * the storage the request's strings point into: the parser may write NUL
 * bytes into the head. Call again with the same BUF, grown, after
 * HTTP_INCOMPLETE. Returns HTTP_INCOMPLETE, HTTP_DONE (r->head_len set), or
 * an HTTP status to answer with before closing (400, 413, 414, 431, 501,
 * 505...).
 */
int http_parse_head(struct http_request *r, char *buf, size_t len);

/* True when a body follows the head (Content-Length > 0 or chunked). */
bool http_has_body(const struct http_request *r);

/*
 * Consumes body bytes (to be discarded) from BUF. *USED is set to how many
 * bytes belonged to the body. Returns HTTP_INCOMPLETE (all LEN used, more
 * needed), HTTP_DONE (body ended; bytes after *USED are the next request),
 * or a status (400 malformed chunk, 413 over LimitRequestBody).
 */
int http_parse_body(
    struct http_request *r, const char *buf, size_t len, size_t *used);

/* Reason phrase for a status code ("Not Found"); "Unknown" otherwise. */
const char *http_reason(int status);

/* IMF-fixdate of T into OUT (at least 30 bytes). */
#define HTTP_DATE_LEN 29
void http_date(char *out, int64_t t);
/* Parses IMF-fixdate, RFC 850 and asctime dates; -1 when invalid. */
int64_t http_date_parse(const char *s);

#endif
