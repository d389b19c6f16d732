/*
 * Formatting response heads. Every response carries Date (formatted at
 * most once a second per thread) and Server; nothing a client sent is
 * copied into a head except the query of a redirect, which the parser
 * has already limited to visible ASCII.
 */
#include "config.h"

#include <stdarg.h>
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

/* Per thread: the Date value of the last second seen. */
static __thread time_t date_cached = -1;
static __thread char date_text[HTTP_DATE_LEN + 1];

static void ob_printf(struct obuf *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
ob_printf(struct obuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->full = true;
	else
		o->len += (size_t)n;
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

	ob_printf(o, "Location: ");
	if (o->full)
		return;
	n = uri_escape_path(rp->location, o->p + o->len, o->cap - o->len);
	if (n < 0) {
		o->full = true;
		return;
	}
	o->len += (size_t)n;
	ob_printf(o, "/%s%s\r\n", q != NULL ? "?" : "", q != NULL ? q : "");
}

static void
reply_validators(struct obuf *o, const struct reply *rp)
{
	char date[HTTP_DATE_LEN + 1];

	if (rp->mtime >= 0) {
		http_date(date, rp->mtime);
		date[HTTP_DATE_LEN] = '\0';
		ob_printf(o, "Last-Modified: %s\r\n", date);
	}
	if (rp->etag != NULL)
		ob_printf(o, "ETag: %s\r\n", rp->etag);
	if (rp->ranges)
		ob_printf(o, "Accept-Ranges: bytes\r\n");
	if (rp->status == 206)
		ob_printf(o, "Content-Range: bytes %lld-%lld/%lld\r\n",
		    (long long)rp->range_first, (long long)rp->range_last,
		    (long long)rp->range_size);
	else if (rp->status == 416 && rp->range_size >= 0)
		ob_printf(o, "Content-Range: bytes */%lld\r\n",
		    (long long)rp->range_size);
}

size_t
reply_head(const struct reply *rp, char *out, size_t outsz)
{
	struct obuf o = { out, 0, outsz, false };

	ob_printf(&o, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: %s\r\n",
	    rp->status, http_reason(rp->status), reply_date(), REPLY_SERVER);
	if (rp->location != NULL)
		reply_location(&o, rp);
	if (rp->allow)
		ob_printf(&o, "Allow: GET, HEAD\r\n");
	reply_validators(&o, rp);
	if (rp->no_store)
		ob_printf(&o, "Cache-Control: no-store\r\n");
	if (rp->type != NULL)
		ob_printf(&o, "Content-Type: %s%s\r\n", rp->type,
		    reply_type_charset(rp->type) ? REPLY_CHARSET : "");
	if (rp->length >= 0)
		ob_printf(
		    &o, "Content-Length: %lld\r\n", (long long)rp->length);
	ob_printf(&o, "Connection: %s\r\n\r\n",
	    rp->keep_alive ? "keep-alive" : "close");
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
