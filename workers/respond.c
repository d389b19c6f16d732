/*
 * What to answer to a parsed request: the method, the path, the file, the
 * validators and the range decide the status; the result is a formatted
 * head (with an error page when there is one) and an open file to send.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "lib/log.h"
#include "protocol/uri.h"
#include "workers/conn.h"
#include "workers/exch.h"
#include "workers/static.h"
#include "workers/metrics.h"
#include "workers/scoreview.h"
#include "workers/status.h"

#define DEFAULT_TYPE "application/octet-stream"
/*
 * Bodies up to this size are sent from memory (respond_inline()). On
 * loopback, requests per CPU-second against send(MSG_MORE) + sendfile():
 * 1 KiB +9%, 2 KiB +2%, 3-4 KiB even, 8 KiB -8%.
 */
#define RESPOND_INLINE_MAX 2048
/* nginx answers the same mistake with its 497 */
#define RESPOND_PLAIN_ON_TLS \
	"This port speaks HTTPS: a plain HTTP request was sent to it."

void
exch_drop_response(struct exch *x)
{
	if (x->file != -1)
		close(x->file);
	x->file = -1;
	x->fileoff = x->fileleft = 0;
	if (x->out_heap)
		free(x->out);
	x->out = NULL;
	x->out_heap = false;
	x->outlen = x->outoff = 0;
	free(x->mem);
	x->mem = NULL;
	x->memlen = x->memoff = 0;
	x->bytes = 0;
}

/* Statuses after which the connection can carry another request. */
static bool
status_keeps_alive(int status)
{
	switch (status) {
	case 200:
	case 206:
	case 301:
	case 304:
	case 403:
	case 404:
	case 405:
	case 416:
		return true;
	default:
		return false;
	}
}

/* Formats RP (and PAGE unless HEAD) into OUT; 500 if the head won't fit. */
static void
respond_emit(struct exch *x, const struct reply *rp, const char *page,
    size_t pagelen, bool head, char *out, size_t outsz)
{
	size_t n;

	exch_drop_response(x);
	if ((n = reply_head(rp, out, outsz)) == 0 ||
	    (!head && pagelen > outsz - n)) {
		respond_error(x, 500, false, head, out, outsz);
		return;
	}
	if (!head && pagelen > 0) {
		memcpy(out + n, page, pagelen);
		x->bytes = (int64_t)pagelen;
	}
	x->status = rp->status;
	x->keep_alive = rp->keep_alive;
	x->out = out;
	x->outlen = n + (head ? 0 : pagelen);
}

void
respond_error(struct exch *x, int status, bool keep_alive, bool head, char *out,
    size_t outsz)
{
	char page[EXCH_PAGE_MAX];
	struct reply rp;
	size_t n, len;

	exch_drop_response(x);
	len = reply_error(&rp, status, keep_alive, NULL, page, sizeof(page));
	if ((n = reply_head(&rp, out, outsz)) == 0 || len > outsz - n) {
		/* cannot happen with EXCH_OUT_MAX: send nothing, close */
		x->status = status;
		x->keep_alive = false;
		return;
	}
	if (!head) {
		memcpy(out + n, page, len);
		x->bytes = (int64_t)len;
	}
	x->status = status;
	x->keep_alive = keep_alive;
	x->out = out;
	x->outlen = n + (head ? 0 : len);
}

/* An error page, with the extra fields some statuses carry. */
static void
respond_page(struct exch *x, struct reply *rp, int status, bool keep, bool head,
    char *out, size_t outsz)
{
	char page[EXCH_PAGE_MAX];
	size_t len;
	struct reply base = *rp;

	/* No use receiving a body we would refuse: answer now and close. */
	if (x->has_body && x->r.expect_continue)
		keep = false;
	len = reply_error(rp, status, keep && status_keeps_alive(status),
	    x->plain_on_tls ? RESPOND_PLAIN_ON_TLS : NULL, page, sizeof(page));
	rp->location = base.location;
	rp->location_query = base.location_query;
	rp->allow = (status == 405);
	rp->range_size = base.range_size;
	respond_emit(x, rp, page, len, head, out, outsz);
}

/* 200, 206 or 416 for the open file F, by Range and If-Range (GET only). */
static int
respond_range(const struct exch *x, const struct static_file *f, int64_t *first,
    int64_t *last)
{
	const struct http_request *r = &x->r;

	*first = 0;
	*last = f->size - 1;
	if (r->method != HTTP_GET || r->range == NULL)
		return 200;
	if (r->if_range != NULL &&
	    !static_if_range(f, r->if_range, (int64_t)x->started))
		return 200;
	switch (range_parse(r->range, f->size, first, last)) {
	case RANGE_OK:
		return 206;
	case RANGE_UNSATISFIABLE:
		return 416;
	default:
		*first = 0;
		*last = f->size - 1;
		return 200;
	}
}

/*
 * A small body is read into OUT behind the head and leaves with it in one
 * send(), instead of a send() of the head and a sendfile() of the body.
 * Closes FD.
 */
static void
respond_inline(
    struct exch *x, int fd, int64_t off, size_t len, char *out, size_t outsz)
{
	size_t got = 0;
	ssize_t n = 0;

	while (got < len) {
		n = pread(fd, out + x->outlen + got, len - got,
		    (off_t)off + (off_t)got);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0 || errno != EINTR)
			break;
	}
	close(fd);
	if (got < len) {
		if (n == 0)
			log_warnx("%s: file shrank while being read", __func__);
		else
			log_warn("%s: pread", __func__);
		respond_error(x, 500, false, false, out, outsz);
		return;
	}
	x->outlen += len;
	x->bytes = (int64_t)len;
}

/* A body already in memory: behind the head if it fits, else on the heap. */
static void
respond_copy(
    struct exch *x, const char *data, size_t len, char *out, size_t outsz)
{
	if (len <= outsz - x->outlen) {
		memcpy(out + x->outlen, data, len);
		x->outlen += len;
	} else if ((x->mem = malloc(len)) != NULL) {
		memcpy(x->mem, data, len);
		x->memlen = len;
	} else {
		log_warnx("%s: out of memory", __func__);
		respond_error(x, 500, false, false, out, outsz);
		return;
	}
	x->bytes = (int64_t)len;
}

/* The file F: 304, 416, or its (partial) content. */
static void
respond_file(struct exch *x, const struct conf *conf, const char *path,
    struct static_file *f, bool keep, char *out, size_t outsz)
{
	bool head = (x->r.method == HTTP_HEAD);
	const char *type;
	struct reply rp;
	int64_t first, last;
	int status;

	if ((status = static_not_modified(f, x->r.if_none_match,
		 x->r.if_modified_since, (int64_t)x->started)) == 0)
		status = respond_range(x, f, &first, &last);
	reply_init(&rp, status, keep);
	rp.etag = f->etag;
	rp.mtime = f->mtime;
	if (status == 416) {
		static_close(f);
		rp.range_size = f->size;
		respond_page(x, &rp, 416, keep, head, out, outsz);
		return;
	}
	if (status == 200 || status == 206) {
		type = mime_lookup(&conf->mime, path);
		rp.type = (type != NULL) ? type : DEFAULT_TYPE;
		rp.ranges = true;
		rp.length = last - first + 1;
		rp.range_first = first;
		rp.range_last = last;
		rp.range_size = f->size;
	}
	respond_emit(x, &rp, NULL, 0, true, out, outsz);
	if (x->status != status || head || status == 304 || rp.length <= 0) {
		static_close(f);
		return;
	}
	if (f->data != NULL) {
		respond_copy(x, f->data + first, (size_t)rp.length, out, outsz);
		return;
	}
	if (rp.length <= RESPOND_INLINE_MAX &&
	    (size_t)rp.length <= outsz - x->outlen) {
		respond_inline(x, f->fd, first, (size_t)rp.length, out, outsz);
		return;
	}
	x->file = f->fd;
	x->fileoff = first;
	x->fileleft = x->bytes = rp.length;
}

/* GET or HEAD of PATH beneath the document root. */
static void
respond_static(struct exch *x, const struct conn_ctx *ctx, char *path,
    const char *query, bool keep, char *out, size_t outsz)
{
	const struct conf *conf = ctx->conf;
	bool head = (x->r.method == HTTP_HEAD);
	struct static_file f;
	struct reply rp;
	int status;

	reply_init(&rp, 0, keep);
	if (!conf->serve_dot_files && static_hidden(path)) {
		respond_page(
		    x, &rp, 404, keep, head, out, outsz); /* as absent */
		return;
	}
	status = static_open(ctx->docroot, path, STATIC_PATH_MAX,
	    conf->directory_index, conf->ndirectory_index, &f);
	if (status == 301) {
		rp.location = path;
		rp.location_query = query;
	}
	if (status != 0) {
		respond_page(x, &rp, status, keep, head, out, outsz);
		return;
	}
	respond_file(x, conf, path, &f, keep, out, outsz);
}

/*
 * A 200 with BODY of LEN bytes, generated and malloc'd: the exchange owns
 * it now. Such pages are never to be cached.
 */
static void
respond_body(struct exch *x, const char *type, char *body, size_t len,
    bool keep, bool head, char *out, size_t outsz)
{
	struct reply rp;

	reply_init(&rp, 200, keep);
	rp.type = type;
	rp.length = (int64_t)len;
	rp.no_store = true;
	respond_emit(x, &rp, NULL, 0, true, out, outsz);
	if (x->status != 200 || head) {
		free(body);
		return;
	}
	x->mem = body;
	x->memlen = len;
	x->bytes = (int64_t)len;
}

/* The status page or the metrics: what the scoreboard shows. */
enum board_page {
	PAGE_STATUS,
	PAGE_METRICS,
};

static char *
board_render(const struct conn_ctx *ctx, enum board_page page,
    enum status_format fmt, const char *host, size_t *len)
{
	struct scoreview v;
	char *body = NULL;

	if (scoreview_read(&v, ctx->sb_all, ctx->sb_all_size) == 0)
		body = page == PAGE_METRICS ? metrics_render(&v, len)
					    : status_render(&v, fmt, host, len);
	scoreview_free(&v);
	return body;
}

/*
 * The server status page or the metrics, when PATH names one: for the
 * clients StatusAllow lets in.
 */
static bool
respond_board(struct exch *x, const struct conn_ctx *ctx,
    const struct sockaddr *peer, const char *path, const char *query, bool keep,
    char *out, size_t outsz)
{
	const struct conf *conf = ctx->conf;
	bool head = (x->r.method == HTTP_HEAD);
	enum status_format fmt = status_format_of(query);
	enum board_page page;
	struct reply rp;
	size_t len;
	char *body;

	if (conf->server_status != NULL &&
	    strcmp(path, conf->server_status) == 0)
		page = PAGE_STATUS;
	else if (conf->metrics_path != NULL &&
		 strcmp(path, conf->metrics_path) == 0)
		page = PAGE_METRICS;
	else
		return false;
	reply_init(&rp, 0, keep);
	if (!conf_cidr_match(conf->status_allow, conf->nstatus_allow, peer)) {
		respond_page(x, &rp, 403, keep, head, out, outsz);
		return true;
	}
	if ((body = board_render(ctx, page, fmt, x->r.host, &len)) == NULL) {
		respond_error(x, 500, false, head, out, outsz);
		return true;
	}
	respond_body(x,
	    page == PAGE_METRICS ? METRICS_CONTENT_TYPE
				 : status_content_type(fmt),
	    body, len, keep, head, out, outsz);
	return true;
}

void
respond(struct exch *x, const struct conn_ctx *ctx, const struct sockaddr *peer,
    bool may_keep, char *out, size_t outsz)
{
	char path[STATIC_PATH_MAX];
	bool keep = may_keep && x->r.keep_alive;
	struct reply rp;
	const char *query;
	int status;

	x->file = -1;
	reply_init(&rp, 0, keep);
	if (x->plain_on_tls) {
		respond_page(
		    x, &rp, 400, false, x->r.method == HTTP_HEAD, out, outsz);
		return;
	}
	if (x->r.method != HTTP_GET && x->r.method != HTTP_HEAD) {
		respond_page(x, &rp, 405, keep, false, out, outsz);
		return;
	}
	status = uri_to_path(
	    x->r.target, x->r.target_len, path, sizeof(path), &query);
	if (status != 0)
		respond_page(
		    x, &rp, status, keep, x->r.method == HTTP_HEAD, out, outsz);
	else if (!respond_board(x, ctx, peer, path, query, keep, out, outsz))
		respond_static(x, ctx, path, query, keep, out, outsz);
}
