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

#include "lib/buf.h"
#include "protocol/http.h"
#include "protocol/uri.h"
#include "workers/reply.h"

#define REPLY_CHARSET "; charset=utf-8"

/* Per thread: the Date value of the last second seen. */
static __thread time_t date_cached = -1;
static __thread char date_text[HTTP_DATE_LEN + 1];
/* ... and the last Last-Modified value formatted. */
static __thread int64_t lm_cached = -1;
static __thread char lm_text[HTTP_DATE_LEN + 1];

/* "NAME: VALUE\r\n" */
static void
reply_field(struct buf *o, const char *name, const char *value)
{
	buf_str(o, name);
	buf_str(o, value);
	buf_add(o, "\r\n", 2);
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
reply_location(struct buf *o, const struct reply *rp)
{
	const char *q = rp->location_query;
	int n;

	buf_str(o, "Location: ");
	n = uri_escape_path(rp->location, o->p + o->len, o->cap - o->len);
	if (n < 0) {
		o->failed = true;
		return;
	}
	o->len += (size_t)n;
	buf_add(o, "/", 1);
	if (q != NULL) {
		buf_add(o, "?", 1);
		buf_str(o, q);
	}
	buf_add(o, "\r\n", 2);
}

static void
reply_validators(struct buf *o, const struct reply *rp)
{
	if (rp->mtime >= 0)
		reply_field(
		    o, "Last-Modified: ", reply_last_modified(rp->mtime));
	if (rp->etag != NULL)
		reply_field(o, "ETag: ", rp->etag);
	if (rp->ranges)
		buf_str(o, "Accept-Ranges: bytes\r\n");
	if (rp->status == 206) {
		buf_str(o, "Content-Range: bytes ");
		buf_int(o, rp->range_first);
		buf_add(o, "-", 1);
		buf_int(o, rp->range_last);
		buf_add(o, "/", 1);
		buf_int(o, rp->range_size);
		buf_add(o, "\r\n", 2);
	} else if (rp->status == 416 && rp->range_size >= 0) {
		buf_str(o, "Content-Range: bytes */");
		buf_int(o, rp->range_size);
		buf_add(o, "\r\n", 2);
	}
}

size_t
reply_head(const struct reply *rp, char *out, size_t outsz)
{
	struct buf o;

	buf_fixed(&o, out, outsz);

	buf_str(&o, "HTTP/1.1 ");
	buf_int(&o, rp->status);
	buf_add(&o, " ", 1);
	buf_str(&o, http_reason(rp->status));
	buf_add(&o, "\r\n", 2);
	reply_field(&o, "Date: ", reply_date());
	reply_field(&o, "Server: ", REPLY_SERVER);
	if (rp->location != NULL)
		reply_location(&o, rp);
	if (rp->allow)
		buf_str(&o, "Allow: GET, HEAD\r\n");
	reply_validators(&o, rp);
	if (rp->no_store)
		buf_str(&o, "Cache-Control: no-store\r\n");
	if (rp->type != NULL) {
		buf_str(&o, "Content-Type: ");
		buf_str(&o, rp->type);
		if (reply_type_charset(rp->type))
			buf_str(&o, REPLY_CHARSET);
		buf_add(&o, "\r\n", 2);
	}
	if (rp->length >= 0) {
		buf_str(&o, "Content-Length: ");
		buf_int(&o, rp->length);
		buf_add(&o, "\r\n", 2);
	}
	buf_str(&o, rp->keep_alive ? "Connection: keep-alive\r\n\r\n"
				   : "Connection: close\r\n\r\n");
	return o.failed ? 0 : o.len;
}

size_t
reply_error(struct reply *rp, int status, bool keep_alive, const char *detail,
    char *body, size_t bodysz)
{
	const char *reason = http_reason(status);
	int n;

	reply_init(rp, status, keep_alive);
	rp->type = "text/html";
	n = snprintf(body, bodysz,
	    "<!DOCTYPE html><html><head><title>%d %s</title></head>"
	    "<body><h1>%s</h1>%s%s%s</body></html>\n",
	    status, reason, reason, detail != NULL ? "<p>" : "",
	    detail != NULL ? detail : "", detail != NULL ? "</p>" : "");
	if (n < 0 || (size_t)n >= bodysz)
		n = 0;
	rp->length = n;
	return (size_t)n;
}
