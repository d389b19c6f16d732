#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/buf.h"

#define BUF_MIN     256
#define BUF_DEC_MAX 20 /* digits of a uint64_t */

void
buf_init(struct buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->grows = true;
	b->failed = false;
}

void
buf_free(struct buf *b)
{
	if (b->grows)
		free(b->p);
	buf_init(b);
}

char *
buf_take(struct buf *b, size_t *len)
{
	char *p;

	if (b->failed || !buf_reserve(b, 1)) {
		buf_free(b);
		return NULL;
	}
	b->p[b->len] = '\0';
	p = b->p;
	*len = b->len;
	buf_init(b);
	return p;
}

bool
buf_reserve(struct buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (n <= b->cap - b->len)
		return true;
	if (!b->grows || b->failed || n > SIZE_MAX / 2 - b->len) {
		b->failed = true;
		return false;
	}
	for (cap = b->cap > 0 ? b->cap : BUF_MIN; cap - b->len < n; cap *= 2)
		;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void
buf_dec(struct buf *b, uint64_t v)
{
	char d[BUF_DEC_MAX], *p = d + sizeof(d);

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	buf_add(b, p, (size_t)(d + sizeof(d) - p));
}

void
buf_int(struct buf *b, int64_t v)
{
	if (v < 0)
		buf_add(b, "-", 1);
	buf_dec(b, v < 0 ? -(uint64_t)v : (uint64_t)v);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	/* vsnprintf() wants room for a NUL it writes after the text. */
	(void)buf_reserve(b, (size_t)n + 1);
	room = b->cap - b->len;
	if (room == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, room, fmt, ap);
	va_end(ap);
	b->len += (size_t)n < room ? (size_t)n : room - 1;
}

/* Printable ASCII that needs no escape; QUOTE: '"' needs one. */
static bool
plain(unsigned char c, bool quote)
{
	return c >= 0x20 && c < 0x7f && (c != '"' || !quote) && c != '\\';
}

static const char hex[] = "0123456789abcdef";

/*
 * The two-byte escape of C into E when it has one: \" and \\, or the
 * letter NAMES gives C in NAMED. Returns its length, 0 when none.
 */
static size_t
backslash(unsigned char c, const char *named, const char *names, char *e)
{
	const char *n;

	e[0] = '\\';
	if (c == '"' || c == '\\') {
		e[1] = (char)c;
		return 2;
	}
	if (c != '\0' && (n = strchr(named, c)) != NULL) {
		e[1] = names[n - named];
		return 2;
	}
	return 0;
}

/* The escape of C into E (BUF_ESC_MAX bytes); returns its length. */
static size_t
escape(unsigned char c, char *e)
{
	size_t k = backslash(c, "\b\n\r\t\v", "bnrtv", e);

	if (k > 0)
		return k;
	e[1] = 'x';
	e[2] = hex[c >> 4];
	e[3] = hex[c & 0xf];
	return 4;
}

/* C as the log shows it, into E; QUOTE: '"' is escaped too. */
static size_t
log_char(unsigned char c, char *e, bool quote)
{
	if (!plain(c, quote))
		return escape(c, e);
	e[0] = (char)c;
	return 1;
}

static size_t
log_quoted(unsigned char c, char *e)
{
	return log_char(c, e, true);
}

static size_t
log_text(unsigned char c, char *e)
{
	return log_char(c, e, false);
}

/* C inside a JSON string (RFC 8259), into E (BUF_JSON_ESC_MAX bytes). */
static size_t
json_char(unsigned char c, char *e)
{
	size_t k;

	if (plain(c, true)) {
		e[0] = (char)c;
		return 1;
	}
	if ((k = backslash(c, "\b\f\n\r\t", "bfnrt", e)) > 0)
		return k;
	memcpy(e + 1, "u00", 3);
	e[4] = hex[c >> 4];
	e[5] = hex[c & 0xf];
	return 6;
}

typedef size_t escape_fn(unsigned char c, char *e);

static void
escaped(struct buf *b, const char *s, size_t n, size_t max, escape_fn *fn)
{
	char e[BUF_JSON_ESC_MAX];
	size_t i, k, used = 0;

	for (i = 0; i < n; i++) {
		k = fn((unsigned char)s[i], e);
		if (used + k > max ||
		    (k > b->cap - b->len && !buf_reserve(b, k)))
			return;
		memcpy(b->p + b->len, e, k);
		b->len += k;
		used += k;
	}
}

void
buf_escaped(struct buf *b, const char *s, size_t n, size_t max)
{
	escaped(b, s, n, max, log_quoted);
}

void
buf_escaped_text(struct buf *b, const char *s, size_t n, size_t max)
{
	escaped(b, s, n, max, log_text);
}

void
buf_json(struct buf *b, const char *s, size_t n, size_t max)
{
	buf_add(b, "\"", 1);
	escaped(b, s, n, max, json_char);
	buf_add(b, "\"", 1);
}
