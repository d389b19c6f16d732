/*
 * The one string builder: bytes appended to a buffer that is either the
 * caller's fixed memory (never outgrown: what does not fit is cut and
 * the buffer marked failed) or the heap (grown as needed; failed when
 * memory runs out). Not NUL-terminated unless asked.
 */
#ifndef MPMD_BUF_H
#define MPMD_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char *p;
	size_t len;
	size_t cap;
	bool grows;  /* p is malloc'd and may be reallocated */
	bool failed; /* something was cut, or memory ran out */
};

#define BUF_ESC_MAX 4 /* longest escape of one byte: "\xhh" */

/* Over CAP bytes at MEM. */
static inline void
buf_fixed(struct buf *b, char *mem, size_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->grows = false;
	b->failed = false;
}

/* On the heap, empty; buf_free() or buf_take() when done. */
void buf_init(struct buf *b);
void buf_free(struct buf *b);
/* The heap bytes, NUL-terminated, now the caller's; NULL if it failed. */
char *buf_take(struct buf *b, size_t *len);

/* Room for N more bytes; false (and failed) when there is none. */
bool buf_reserve(struct buf *b, size_t n);

/* Appends N bytes, as many as fit of them in a fixed buffer. */
static inline void
buf_add(struct buf *b, const void *s, size_t n)
{
	if (n > b->cap - b->len && !buf_reserve(b, n))
		n = b->cap - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_dec(struct buf *b, uint64_t v);
void buf_int(struct buf *b, int64_t v);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * N bytes of untrusted S, escaped as Apache httpd escapes log fields
 * (\" \\ \b \n \r \t \v, other control and non-ASCII bytes as \xhh), in
 * at most MAX output bytes and never half an escape: nothing a client
 * sends can split a log line or forge one.
 */
void buf_escaped(struct buf *b, const char *s, size_t n, size_t max);
/* The same for free text, the error log's: '"' stays as it is. */
void buf_escaped_text(struct buf *b, const char *s, size_t n, size_t max);

#define BUF_JSON_ESC_MAX 6 /* longest JSON escape of one byte: "\u00hh" */

/*
 * N bytes of S as a JSON string, quotes included, in at most MAX bytes
 * between the quotes and never half an escape. '"', '\\' and control
 * bytes are escaped; so is every byte above 0x7e, as the code point of
 * that value (a Latin-1 reading), so whatever S holds the result is
 * valid JSON.
 */
void buf_json(struct buf *b, const char *s, size_t n, size_t max);

#endif
