/*
 * libFuzzer target for protocol/http.c and protocol/uri.c.
 *
 * The first input byte steers the run: its low 2 bits pick the limits (those
 * of tests/unit/check_http.c, so its rows reach their boundaries), the other
 * 6 where the input is cut in two. The rest is a request, parsed twice: all
 * at once, and in two calls split at that point (the head, then the body).
 * Both runs have to give the same answer, every status has to be one the
 * parser may return, and a body never reaches past its input.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/http.h"
#include "protocol/uri.h"
#include "contrib/fuzz/fuzz.h"

#define FUZZ_PATH_MAX 512

/* default, small (413/414/431 with short inputs), body, no body limit */
static const struct http_limits fuzz_limits[] = {
	{ 8190, 8190, 100, 1 << 20 },
	{ 20, 20, 3, 10 },
	{ 8190, 26, 3, 10 },
	{ 8190, 8190, 1000, 0 },
};

struct outcome {
	int head;
	size_t head_len;
	enum http_method method;
	unsigned minor;
	size_t target_len;
	bool keep_alive, chunked, expect_continue;
	int64_t content_length;
	int body;
	size_t used;
};

static bool
head_status_ok(int st)
{
	return st == HTTP_INCOMPLETE || st == HTTP_DONE || st == 400 ||
	       st == 413 || st == 414 || st == 417 || st == 431 || st == 501 ||
	       st == 505;
}

static bool
body_status_ok(int st)
{
	return st == HTTP_INCOMPLETE || st == HTTP_DONE || st == 400 ||
	       st == 413 || st == 431;
}

/* What a worker would do next with the target: it must stay beneath '/'. */
static void
check_target(const struct http_request *r, const char *buf, size_t len)
{
	char path[FUZZ_PATH_MAX];
	const char *query;
	int st;

	CHECK(r->target >= buf && r->target + r->target_len < buf + len);
	CHECK(strlen(r->target) == r->target_len);
	CHECK(strlen(r->method_name) > 0);
	st = uri_to_path(r->target, r->target_len, path, sizeof(path), &query);
	CHECK(st == 0 || st == 400 || st == 414);
	if (st == 0)
		fuzz_check_path(path, sizeof(path));
}

/* Body of R from BUF (LEN bytes), in one call or two split at CUT. */
static void
run_body(struct http_request *r, const char *buf, size_t len, size_t cut,
    struct outcome *o)
{
	size_t used;

	o->body = http_parse_body(r, buf, cut < len ? cut : len, &o->used);
	CHECK(body_status_ok(o->body));
	if (o->body == HTTP_INCOMPLETE)
		CHECK(o->used == (cut < len ? cut : len));
	if (o->body == HTTP_INCOMPLETE && cut < len) {
		o->body = http_parse_body(r, buf + cut, len - cut, &used);
		CHECK(body_status_ok(o->body) && used <= len - cut);
		o->used += used;
	}
	CHECK(o->used <= len);
	if (o->body > HTTP_DONE)
		o->used = 0; /* after a status, the caller closes: no meaning */
}

static void
run(const uint8_t *data, size_t len, const struct http_limits *lim, size_t cut,
    struct outcome *o)
{
	struct http_request r;
	char *buf = malloc(len);

	CHECK(buf != NULL);
	memcpy(buf, data, len);
	memset(o, 0, sizeof(*o));
	http_request_init(&r, lim);
	o->head = http_parse_head(&r, buf, cut);
	if (o->head == HTTP_INCOMPLETE)
		o->head = http_parse_head(&r, buf, len);
	CHECK(head_status_ok(o->head));
	if (o->head == HTTP_DONE) {
		CHECK(r.head_len > 0 && r.head_len <= len);
		CHECK(r.major == 1 && r.minor <= 1);
		CHECK(!r.chunked || r.content_length == -1);
		CHECK(r.content_length >= -1);
		check_target(&r, buf, len);
		o->head_len = r.head_len;
		o->method = r.method;
		o->minor = r.minor;
		o->target_len = r.target_len;
		o->keep_alive = r.keep_alive;
		o->chunked = r.chunked;
		o->expect_continue = r.expect_continue;
		o->content_length = r.content_length;
		if (http_has_body(&r))
			run_body(&r, buf + r.head_len, len - r.head_len,
			    cut > r.head_len ? cut - r.head_len : len, o);
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct http_limits *lim;
	struct outcome whole, split;
	size_t cut;

	if (size < 2)
		return 0;
	lim = &fuzz_limits[data[0] & 3];
	cut = (size_t)(data[0] >> 2) * (size - 1) / 63;
	data++;
	size--;
	run(data, size, lim, size, &whole);
	run(data, size, lim, cut, &split);
	CHECK(memcmp(&whole, &split, sizeof(whole)) == 0);
	return 0;
}
