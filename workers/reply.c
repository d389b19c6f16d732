/*
 * Formatting response heads. Every response carries Date (formatted at
 * most once a second per thread) and Server; nothing a client sent is
 * copied into a head except the query of a redirect, which the parser
 * has already limited to visible ASCII.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "protocol/http.h"
#include "protocol/uri.h"
#include "workers/reply.h"

#define REPLY_CHARSET "; charset=utf-8"

struct obuf {
	char *p;
	size_t len, cap;
	bool full;
};

#define DEC_MAX sizeof("-9223372036854775808")

/* Per thread: the Date value of the last second seen. */
static __thread time_t date_cached = -1;
static __thread char date_text[HTTP_DATE_LEN + 1];
/* ... and the last Last-Modified value formatted. */
static __thread int64_t lm_cached = -1;
static __thread char lm_text[HTTP_DATE_LEN + 1];

/* Appends N bytes, or marks O full and leaves it as it was. */
static void
ob_add(struct obuf *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
ob_str(struct obuf *o, const char *s)
{
	ob_add(o, s, strlen(s));
}

/* V in decimal. */
static void
ob_int(struct obuf *o, int64_t v)
{
	char d[DEC_MAX], *p = d + sizeof(d);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	ob_add(o, p, (size_t)(d + sizeof(d) - p));
}

/* "NAME: VALUE\r\n" */
static void
ob_field(struct obuf *o, const char *name, const char *value)
{
	ob_str(o, name);
	ob_str(o, value);
	ob_add(o, "\r\n", 2);
}

static const char *
reply_date(void)
{
	time_t now = time(NULL);

	if (now != date_cached) {
		http_date(date_text, (int64_t)now);
		date_text[HTTP_DATE_LEN] = '\0';
		date_cached = now;
	}
	return date_text;
}

static const char *
reply_last_modified(int64_t mtime)
{
	if (mtime != lm_cached) {
		http_date(lm_text, mtime);
		lm_text[HTTP_DATE_LEN] = '\0';
		lm_cached = mtime;
	}
	return lm_text;
}

bool
reply_type_charset(const char *type)
{
	if (strchr(type, ';') != NULL)
		return false;
	return strncmp(type, "text/", strlen("text/")) == 0 ||
	       strcmp(type, "application/javascript") == 0;
}

void
reply_init(struct reply *rp, int status, bool keep_alive)
{
	memset(rp, 0, sizeof(*rp));
	rp->status = status;
	rp->keep_alive = keep_alive;
	rp->length = -1;
	rp->mtime = -1;
	rp->range_size = -1;
}

/* "Location: /escaped/path/?query" for a directory named without '/'. */
static void
reply_location(struct obuf *o, const struct reply *rp)
{
	const char *q = rp->location_query;
	int n;

	ob_str(o, "Location: ");
	if (o->full)
		return;
	n = uri_escape_path(rp->location, o->p + o->len, o->cap - o->len);
	if (n < 0) {
		o->full = true;
		return;
	}
	o->len += (size_t)n;
	ob_add(o, "/", 1);
	if (q != NULL) {
		ob_add(o, "?", 1);
		ob_str(o, q);
	}
	ob_add(o, "\r\n", 2);
}

static void
reply_validators(struct obuf *o, const struct reply *rp)
{
	if (rp->mtime >= 0)
		ob_field(o, "Last-Modified: ", reply_last_modified(rp->mtime));
	if (rp->etag != NULL)
		ob_field(o, "ETag: ", rp->etag);
	if (rp->ranges)
		ob_str(o, "Accept-Ranges: bytes\r\n");
	if (rp->status == 206) {
		ob_str(o, "Content-Range: bytes ");
		ob_int(o, rp->range_first);
		ob_add(o, "-", 1);
		ob_int(o, rp->range_last);
		ob_add(o, "/", 1);
		ob_int(o, rp->range_size);
		ob_add(o, "\r\n", 2);
	} else if (rp->status == 416 && rp->range_size >= 0) {
		ob_str(o, "Content-Range: bytes */");
		ob_int(o, rp->range_size);
		ob_add(o, "\r\n", 2);
	}
}

size_t
reply_head(const struct reply *rp, char *out, size_t outsz)
{
	struct obuf o = { out, 0, outsz, false };

	ob_str(&o, "HTTP/1.1 ");
	ob_int(&o, rp->status);
	ob_add(&o, " ", 1);
	ob_str(&o, http_reason(rp->status));
	ob_add(&o, "\r\n", 2);
	ob_field(&o, "Date: ", reply_date());
	ob_field(&o, "Server: ", REPLY_SERVER);
	if (rp->location != NULL)
		reply_location(&o, rp);
	if (rp->allow)
		ob_str(&o, "Allow: GET, HEAD\r\n");
	reply_validators(&o, rp);
	if (rp->no_store)
		ob_str(&o, "Cache-Control: no-store\r\n");
	if (rp->type != NULL) {
		ob_str(&o, "Content-Type: ");
		ob_str(&o, rp->type);
		if (reply_type_charset(rp->type))
			ob_str(&o, REPLY_CHARSET);
		ob_add(&o, "\r\n", 2);
	}
	if (rp->length >= 0) {
		ob_str(&o, "Content-Length: ");
		ob_int(&o, rp->length);
		ob_add(&o, "\r\n", 2);
	}
	ob_str(&o, rp->keep_alive ? "Connection: keep-alive\r\n\r\n"
				  : "Connection: close\r\n\r\n");
	return o.full ? 0 : o.len;
}

size_t
reply_error(
    struct reply *rp, int status, bool keep_alive, char *body, size_t bodysz)
{
	const char *reason = http_reason(status);
	int n;

	reply_init(rp, status, keep_alive);
	rp->type = "text/html";
	n = snprintf(body, bodysz,
	    "<!DOCTYPE html><html><head><title>%d %s</title></head>"
	    "<body><h1>%s</h1></body></html>\n",
	    status, reason, reason);
	if (n < 0 || (size_t)n >= bodysz)
		n = 0;
	rp->length = n;
	return (size_t)n;
}
