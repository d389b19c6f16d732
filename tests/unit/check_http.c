/*
 * Check suite for protocol/http.c: strict request heads and bodies, every
 * smuggling vector the non-strict http-parser would let through, limits
 * at and one past their boundary, dates and reason phrases.
 *
 * Each head is parsed twice, all at once and byte by byte over the same
 * growing buffer, and both must give the same answer. Each body is
 * consumed in one call and byte by byte, and must stop exactly where the
 * next pipelined request begins.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/http.h"
#include "tests/unit/ck.h"

#define RAW(s)    s, sizeof(s) - 1
#define MIB       (1024 * 1024)
#define HEAD_MAX  HTTP_MAX_HEADER_SIZE /* http-parser's bound, see http.c */
#define BIG_FIELD 4000                 /* field value size in big heads */
#define NEXT      "GET /next HTTP/1.1\r\nHost: n\r\n\r\n"

static const struct http_limits lim_default = { 8190, 8190, 100, MIB };
static const struct http_limits lim_small = { 20, 20, 3, 10 };
static const struct http_limits lim_big = { 8190, 8190, 1000, 0 };
/* for bodies: the field line "Transfer-Encoding: chunked" is 26 bytes */
static const struct http_limits lim_body = { 8190, 26, 3, 10 };

static char *
copy(const char *raw, size_t n)
{
	char *buf = malloc(n > 0 ? n : 1);

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, raw, n);
	return buf;
}

static int
head_once(
    struct http_request *r, char *buf, size_t n, const struct http_limits *lim)
{
	http_request_init(r, lim != NULL ? lim : &lim_default);
	return http_parse_head(r, buf, n);
}

/* Feeds BUF one more byte per call, as a slow client would. */
static int
head_bytewise(
    struct http_request *r, char *buf, size_t n, const struct http_limits *lim)
{
	size_t len;
	int rv = HTTP_INCOMPLETE;

	http_request_init(r, lim != NULL ? lim : &lim_default);
	for (len = 1; len <= n && rv == HTTP_INCOMPLETE; len++)
		rv = http_parse_head(r, buf, len);
	return rv;
}

static bool
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* --- accepted heads --- */

struct accept_row {
	int line;
	const char *raw;
	const char *method;
	unsigned minor;
	const char *target;
	const char *host; /* NULL when absent */
	bool keep_alive;
	bool expect;
	bool chunked;
	int64_t cl;
	size_t head_len; /* 0: all of RAW */
};

static void
check_accepted(const struct accept_row *row, const struct http_request *r,
    int rv, const char *how)
{
	size_t head_len = row->head_len ? row->head_len : strlen(row->raw);

	ck_assert_msg(rv == HTTP_DONE, "row at line %d (%s): status %d",
	    row->line, how, rv);
	ck_assert_msg(same_str(r->method_name, row->method) && r->major == 1 &&
			  r->minor == row->minor,
	    "row at line %d (%s): method/version", row->line, how);
	ck_assert_msg(same_str(r->target, row->target) &&
			  r->target_len == strlen(row->target),
	    "row at line %d (%s): target \"%s\"", row->line, how, r->target);
	ck_assert_msg(same_str(r->host, row->host), "row at line %d (%s): host",
	    row->line, how);
	ck_assert_msg(r->keep_alive == row->keep_alive &&
			  r->expect_continue == row->expect &&
			  r->chunked == row->chunked,
	    "row at line %d (%s): keep-alive %d expect %d chunked %d",
	    row->line, how, r->keep_alive, r->expect_continue, r->chunked);
	ck_assert_msg(r->content_length == row->cl && r->head_len == head_len,
	    "row at line %d (%s): content-length %lld head_len %zu", row->line,
	    how, (long long)r->content_length, r->head_len);
}

static void
run_accept_rows(const struct accept_row *rows, size_t n)
{
	struct http_request r;
	size_t i, len;
	char *buf;
	int rv;

	for (i = 0; i < n; i++) {
		len = strlen(rows[i].raw);
		buf = copy(rows[i].raw, len);
		rv = head_once(&r, buf, len, NULL);
		check_accepted(&rows[i], &r, rv, "at once");
		free(buf);
		buf = copy(rows[i].raw, len);
		rv = head_bytewise(&r, buf, len, NULL);
		check_accepted(&rows[i], &r, rv, "bytewise");
		free(buf);
	}
}

START_TEST(test_accept_basic)
{
	static const struct accept_row rows[] = {
		{ CK_ROW, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET", 1, "/",
		    "a", true, false, false, -1, 0 },
		{ CK_ROW, "HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n", "HEAD", 1,
		    "/x", "a", true, false, false, -1, 0 },
		{ CK_ROW,
		    "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
		    "POST", 1, "/f", "a", true, false, false, 0, 0 },
		{ CK_ROW, "GET / HTTP/1.0\r\n\r\n", "GET", 0, "/", NULL, false,
		    false, false, -1, 0 },
		{ CK_ROW, "GET /a?b=c&d HTTP/1.0\r\nHost: h\r\n\r\n", "GET", 0,
		    "/a?b=c&d", "h", false, false, false, -1, 0 },
		{ CK_ROW, "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "OPTIONS", 1,
		    "*", "a", true, false, false, -1, 0 },
		{ CK_ROW, "M-SEARCH /x HTTP/1.1\r\nHost: a\r\n\r\n", "M-SEARCH",
		    1, "/x", "a", true, false, false, -1, 0 },
		{ CK_ROW, "DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n", "DELETE", 1,
		    "/x", "a", true, false, false, -1, 0 },
		{ CK_ROW, "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
		    "CONNECT", 1, "a:443", "a:443", true, false, false, -1, 0 },
		/* RFC 9112 3.2: printable bytes of the target pass as they are
		 */
		{ CK_ROW, "GET /a\"{}|\\^`<>%zz HTTP/1.1\r\nHost: a\r\n\r\n",
		    "GET", 1, "/a\"{}|\\^`<>%zz", "a", true, false, false, -1,
		    0 },
		/* absolute-form, RFC 9112 3.2.2 */
		{ CK_ROW,
		    "GET http://example.com/x?y HTTP/1.1\r\nHost: e\r\n\r\n",
		    "GET", 1, "http://example.com/x?y", "e", true, false, false,
		    -1, 0 },
		{ CK_ROW, "GET http://[::1]:80 HTTP/1.1\r\nHost: e\r\n\r\n",
		    "GET", 1, "http://[::1]:80", "e", true, false, false, -1,
		    0 },
		{ CK_ROW, "GET HTTPS://a.b?q HTTP/1.1\r\nHost: e\r\n\r\n",
		    "GET", 1, "HTTPS://a.b?q", "e", true, false, false, -1, 0 },
		/* RFC 9112 2.2: empty lines before the request line */
		{ CK_ROW, "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET", 1,
		    "/", "a", true, false, false, -1, 0 },
		{ CK_ROW, "\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		    "GET", 1, "/", "a", true, false, false, -1, 0 },
		/* pipelined: the head ends at the first empty line */
		{ CK_ROW,
		    "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\n",
		    "GET", 1, "/1", "a", true, false, false, -1, 28 },
		{ CK_ROW, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n\x01garbage",
		    "GET", 1, "/1", "a", true, false, false, -1, 28 },
	};

	run_accept_rows(rows, sizeof(rows) / sizeof(rows[0]));
}
END_TEST

START_TEST(test_accept_fields)
{
	static const struct accept_row rows[] = {
		/* field names are case-insensitive, values trimmed of OWS */
		{ CK_ROW, "GET / HTTP/1.1\r\nhOsT:   a.b  \r\n\r\n", "GET", 1,
		    "/", "a.b", true, false, false, -1, 0 },
		{ CK_ROW, "GET / HTTP/1.1\r\nHOST:\ta\t \r\n\r\n", "GET", 1,
		    "/", "a", true, false, false, -1, 0 },
		{ CK_ROW, "GET / HTTP/1.1\r\nHost:a\r\n\r\n", "GET", 1, "/",
		    "a", true, false, false, -1, 0 },
		{ CK_ROW, "GET / HTTP/1.1\r\nHost:\r\n\r\n", "GET", 1, "/", "",
		    true, false, false, -1, 0 },
		{ CK_ROW, "GET / HTTP/1.1\r\nHost:   \r\n\r\n", "GET", 1, "/",
		    "", true, false, false, -1, 0 },
		{ CK_ROW, "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", "GET",
		    1, "/", "[::1]:8080", true, false, false, -1, 0 },
		{ CK_ROW, "GET / HTTP/1.1\r\nHost: 10.0.0.1:\r\n\r\n", "GET", 1,
		    "/", "10.0.0.1:", true, false, false, -1, 0 },
		{ CK_ROW,
		    "GET / HTTP/1.1\r\nHost: a-b_c~d%41!$&'()*+,;=\r\n\r\n",
		    "GET", 1, "/", "a-b_c~d%41!$&'()*+,;=", true, false, false,
		    -1, 0 },
		{ CK_ROW,
		    "POST / HTTP/1.1\r\ncontent-LENGTH: 0042\r\nHost: "
		    "a\r\n\r\n",
		    "POST", 1, "/", "a", true, false, false, 42, 0 },
		{ CK_ROW,
		    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
		    "CHUNKED\r\n\r\n",
		    "POST", 1, "/", "a", true, false, true, -1, 0 },
		{ CK_ROW,
		    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\t "
		    "chunked  \r\n\r\n",
		    "POST", 1, "/", "a", true, false, true, -1, 0 },
		{ CK_ROW,
		    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\t5 \r\n\r\n",
		    "POST", 1, "/", "a", true, false, false, 5, 0 },
		/* names that only begin like a framing field */
		{ CK_ROW,
		    "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encodin: x\r\n"
		    "Content-Lengthy: x\r\nHosts: x\r\n\r\n",
		    "GET", 1, "/", "a", true, false, false, -1, 0 },
		/* obs-text in a value, tokens of every kind in names */
		{ CK_ROW,
		    "GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9 \x80\xff\r\n"
		    "!#$%&'*+-.^_`|~09azAZ: a \t b\r\n\r\n",
		    "GET", 1, "/", "a", true, false, false, -1, 0 },
		/* Expect (RFC 9110 10.1.1) */
		{ CK_ROW,
		    "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
		    "PUT", 1, "/", "a", true, true, false, -1, 0 },
		{ CK_ROW,
		    "PUT / HTTP/1.1\r\nHost: a\r\nexpect: 100-CONTINUE\r\n\r\n",
		    "PUT", 1, "/", "a", true, true, false, -1, 0 },
		{ CK_ROW, "PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n",
		    "PUT", 0, "/", NULL, false, false, false, -1, 0 },
	};

	run_accept_rows(rows, sizeof(rows) / sizeof(rows[0]));
}
END_TEST

START_TEST(test_accept_connection)
{
	static const struct accept_row rows[] = {
		{ CK_ROW,
		    "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
		    "GET", 1, "/", "a", false, false, false, -1, 0 },
		{ CK_ROW,
		    "GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n",
		    "GET", 1, "/", "a", false, false, false, -1, 0 },
		{ CK_ROW,
		    "GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, "
		    "close\r\n\r\n",
		    "GET", 1, "/", "a", false, false, false, -1, 0 },
		{ CK_ROW,
		    "GET / HTTP/1.1\r\nHost: a\r\nConnection: ,close,\r\n\r\n",
		    "GET", 1, "/", "a", false, false, false, -1, 0 },
		/* http-parser alone misses a close followed by HTAB */
		{ CK_ROW,
		    "GET / HTTP/1.1\r\nHost: a\r\nConnection:\tclose\t\r\n\r\n",
		    "GET", 1, "/", "a", false, false, false, -1, 0 },
		{ CK_ROW,
		    "GET / HTTP/1.1\r\nHost: a\r\nConnection: x\r\n"
		    "Connection: close\r\n\r\n",
		    "GET", 1, "/", "a", false, false, false, -1, 0 },
		{ CK_ROW,
		    "GET / HTTP/1.1\r\nHost: a\r\nConnection: "
		    "keep-alive\r\n\r\n",
		    "GET", 1, "/", "a", true, false, false, -1, 0 },
		{ CK_ROW,
		    "GET / HTTP/1.1\r\nHost: a\r\nConnection: xclose\r\n\r\n",
		    "GET", 1, "/", "a", true, false, false, -1, 0 },
		{ CK_ROW, "GET / HTTP/1.1\r\nHost: a\r\nConnection:\r\n\r\n",
		    "GET", 1, "/", "a", true, false, false, -1, 0 },
		{ CK_ROW, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		    "GET", 0, "/", NULL, true, false, false, -1, 0 },
		{ CK_ROW, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
		    "GET", 0, "/", NULL, true, false, false, -1, 0 },
		{ CK_ROW,
		    "GET / HTTP/1.0\r\nConnection: foo,keep-alive\r\n\r\n",
		    "GET", 0, "/", NULL, true, false, false, -1, 0 },
		{ CK_ROW,
		    "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
		    "GET", 0, "/", NULL, false, false, false, -1, 0 },
		{ CK_ROW, "GET / HTTP/1.0\r\nConnection: close\r\n\r\n", "GET",
		    0, "/", NULL, false, false, false, -1, 0 },
	};

	run_accept_rows(rows, sizeof(rows) / sizeof(rows[0]));
}
END_TEST

START_TEST(test_exposed_fields)
{
	static const char raw[] =
	    "GET /p?q HTTP/1.1\r\n"
	    "Host:  example.com:8080 \r\n"
	    "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	    "If-None-Match:\t\"a\", W/\"b\"\t\r\n"
	    "If-Range: \"a\"\r\n"
	    "Range: bytes=0-9\r\n"
	    "User-Agent: t/1.0 (x)\r\n"
	    "User-Agent: second\r\n"
	    "Referer: http://r/\r\n"
	    "Referer: second\r\n"
	    "X-Other: o\r\n"
	    "\r\n";
	struct http_request r;
	char *buf = copy(raw, sizeof(raw) - 1);

	ck_assert_int_eq(head_once(&r, buf, sizeof(raw) - 1, NULL), HTTP_DONE);
	ck_assert_int_eq(r.method, HTTP_GET);
	ck_assert_str_eq(r.method_name, "GET");
	ck_assert_str_eq(r.target, "/p?q");
	ck_assert_uint_eq(r.target_len, 4);
	ck_assert_str_eq(r.host, "example.com:8080");
	ck_assert_str_eq(r.if_modified_since, "Sun, 06 Nov 1994 08:49:37 GMT");
	ck_assert_str_eq(r.if_none_match, "\"a\", W/\"b\"");
	ck_assert_str_eq(r.if_range, "\"a\"");
	ck_assert_str_eq(r.range, "bytes=0-9");
	ck_assert_str_eq(r.user_agent, "t/1.0 (x)");
	ck_assert_str_eq(r.referer, "http://r/");
	ck_assert(!http_has_body(&r));
	/* the strings live in the buffer */
	ck_assert(r.target > buf && r.target < buf + sizeof(raw));
	ck_assert(r.host > buf && r.host < buf + sizeof(raw));
	free(buf);

	buf = copy(RAW("GET / HTTP/1.0\r\n\r\n"));
	ck_assert_int_eq(head_once(&r, buf, 18, NULL), HTTP_DONE);
	ck_assert_ptr_null(r.host);
	ck_assert_ptr_null(r.if_modified_since);
	ck_assert_ptr_null(r.if_none_match);
	ck_assert_ptr_null(r.if_range);
	ck_assert_ptr_null(r.range);
	ck_assert_ptr_null(r.user_agent);
	ck_assert_ptr_null(r.referer);
	free(buf);
}
END_TEST

START_TEST(test_pipelined_heads)
{
	static const char raw[] =
	    "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
	    "\r\n"
	    "HEAD /2 HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n"
	    "GET /3 HTTP/1.0\r\n\r\n";
	static const char *const targets[] = { "/1", "/2", "/3" };
	struct http_request r;
	char *buf = copy(raw, sizeof(raw) - 1);
	size_t off = 0, i;

	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(
		    head_once(&r, buf + off, sizeof(raw) - 1 - off, NULL),
		    HTTP_DONE);
		ck_assert_str_eq(r.target, targets[i]);
		ck_assert(!http_has_body(&r));
		off += r.head_len;
	}
	ck_assert_uint_eq(off, sizeof(raw) - 1);
	ck_assert(!r.keep_alive);
	free(buf);
}
END_TEST

START_TEST(test_incomplete)
{
	static const char raw[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	struct http_request r;
	char *buf = copy(raw, sizeof(raw) - 1);
	size_t len;

	/* every proper prefix of a valid head asks for more */
	for (len = 0; len < sizeof(raw) - 1; len++) {
		ck_assert_int_eq(
		    head_once(&r, buf, len, NULL), HTTP_INCOMPLETE);
		ck_assert_uint_eq(r.scanned, len);
	}
	/* and a rescan starts where the last call stopped */
	http_request_init(&r, &lim_default);
	ck_assert_int_eq(http_parse_head(&r, buf, 10), HTTP_INCOMPLETE);
	ck_assert_int_eq(http_parse_head(&r, buf, 10), HTTP_INCOMPLETE);
	ck_assert_int_eq(http_parse_head(&r, buf, sizeof(raw) - 1), HTTP_DONE);
	free(buf);
}
END_TEST

/* --- rejected heads --- */

struct reject_row {
	int line;
	const char *rfc; /* the rule the request breaks */
	const char *raw;
	size_t len;
	int status;
};

static void
run_reject_rows(
    const struct reject_row *rows, size_t n, const struct http_limits *lim)
{
	struct http_request r;
	char *buf;
	size_t i;
	int once, bytewise;

	for (i = 0; i < n; i++) {
		buf = copy(rows[i].raw, rows[i].len);
		once = head_once(&r, buf, rows[i].len, lim);
		free(buf);
		buf = copy(rows[i].raw, rows[i].len);
		bytewise = head_bytewise(&r, buf, rows[i].len, lim);
		free(buf);
		ck_assert_msg(once == rows[i].status && bytewise == once,
		    "row at line %d (%s): %d at once, %d bytewise, want %d",
		    rows[i].line, rows[i].rfc, once, bytewise, rows[i].status);
	}
}

#define H11 "GET / HTTP/1.1\r\nHost: a\r\n"
#define P11 "POST / HTTP/1.1\r\nHost: a\r\n"
#define P10 "POST / HTTP/1.0\r\n"

START_TEST(test_reject_request_line)
{
	static const struct reject_row rows[] = {
		{ CK_ROW, "2.2 leading SP", RAW(" GET / HTTP/1.1\r\n\r\n"),
		    400 },
		{ CK_ROW, "2.2 leading HTAB", RAW("\tGET / HTTP/1.1\r\n\r\n"),
		    400 },
		{ CK_ROW, "2.2 leading bare LF",
		    RAW("\nGET / HTTP/1.1\r\n\r\n"), 400 },
		{ CK_ROW, "2.2 leading bare CR", RAW("\r\rGET / HTTP/1.1\r\n"),
		    400 },
		{ CK_ROW, "2.2 too many empty lines",
		    RAW("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n"), 400 },
		{ CK_ROW, "2.2 bare LF ends request line",
		    RAW("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400 },
		{ CK_ROW, "2.2 bare CR in request line",
		    RAW("GET / HTTP/1.1\rHost: a\r\n\r\n"), 400 },
		{ CK_ROW, "2.2 CR CR LF", RAW("GET / HTTP/1.1\r\r\n"), 400 },
		{ CK_ROW, "3 two SP after method", RAW("GET  / HTTP/1.1\r\n"),
		    400 },
		{ CK_ROW, "3 two SP before version", RAW("GET /  HTTP/1.1\r\n"),
		    400 },
		{ CK_ROW, "3 HTAB separator", RAW("GET\t/ HTTP/1.1\r\n"), 400 },
		{ CK_ROW, "3 trailing SP", RAW("GET / HTTP/1.1 \r\n\r\n"),
		    400 },
		{ CK_ROW, "3 three parts", RAW("GET / x HTTP/1.1\r\n\r\n"),
		    400 },
		{ CK_ROW, "3 method only", RAW("GET\r\n\r\n"), 400 },
		{ CK_ROW, "3 HTTP/0.9 request line", RAW("GET /\r\n\r\n"),
		    400 },
		{ CK_ROW, "3 method not a token", RAW("G@T / HTTP/1.1\r\n"),
		    400 },
		{ CK_ROW, "3 NUL in request line",
		    RAW("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
		{ CK_ROW, "3 CTL in request line",
		    RAW("GET /\x01 HTTP/1.1\r\n"), 400 },
		{ CK_ROW, "3 DEL in target", RAW("GET /\x7f HTTP/1.1\r\n"),
		    400 },
		{ CK_ROW, "3.2 obs-text in target",
		    RAW("GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 UTF-8 in target",
		    RAW("GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 fragment in target",
		    RAW("GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 relative target",
		    RAW("GET a/b HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 escape as target",
		    RAW("GET %2F HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
		{ CK_ROW, "3.2.2 empty authority",
		    RAW("GET http:///a HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
		{ CK_ROW, "3.2.2 userinfo",
		    RAW("GET http://u@h/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
		{ CK_ROW, "3.2.2 bad authority byte",
		    RAW("GET http://a\"b/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
		{ CK_ROW, "3.2.2 scheme not ALPHA",
		    RAW("GET a+b://h/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
		{ CK_ROW, "3.2.3 CONNECT needs authority-form",
		    RAW("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
		{ CK_ROW, "3.2.4 asterisk only for OPTIONS",
		    RAW("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
		{ CK_ROW, "3.2.4 asterisk for M-SEARCH",
		    RAW("M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
		{ CK_ROW, "3.2.4 asterisk with more",
		    RAW("OPTIONS *a HTTP/1.1\r\nHost: a\r\n\r\n"), 400 },
		{ CK_ROW, "2.3 lowercase HTTP", RAW("GET / http/1.1\r\n\r\n"),
		    400 },
		{ CK_ROW, "2.3 two-digit minor", RAW("GET / HTTP/1.10\r\n\r\n"),
		    400 },
		{ CK_ROW, "2.3 two-digit major", RAW("GET / HTTP/11.1\r\n\r\n"),
		    400 },
		{ CK_ROW, "2.3 no minor", RAW("GET / HTTP/1\r\n\r\n"), 400 },
		{ CK_ROW, "2.3 letters", RAW("GET / HTTP/a.b\r\n\r\n"), 400 },
		{ CK_ROW, "2.3 HTTP/2.0",
		    RAW("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505 },
		{ CK_ROW, "2.3 HTTP/1.2", RAW("GET / HTTP/1.2\r\n\r\n"), 505 },
		{ CK_ROW, "2.3 HTTP/0.9", RAW("GET / HTTP/0.9\r\n\r\n"), 505 },
		{ CK_ROW, "2.3 h2 preface",
		    RAW("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 505 },
		{ CK_ROW, "RFC 9110 9.1 unknown method",
		    RAW("FOO / HTTP/1.1\r\nHost: a\r\n\r\n"), 501 },
		{ CK_ROW, "RFC 9110 9.1 methods are case-sensitive",
		    RAW("get / HTTP/1.1\r\nHost: a\r\n\r\n"), 501 },
		{ CK_ROW, "RFC 9110 9.1 method prefix",
		    RAW("GETX / HTTP/1.1\r\nHost: a\r\n\r\n"), 501 },
	};

	run_reject_rows(rows, sizeof(rows) / sizeof(rows[0]), NULL);
}
END_TEST

START_TEST(test_reject_field_syntax)
{
	static const struct reject_row rows[] = {
		{ CK_ROW, "5.1 whitespace before colon",
		    RAW(H11 "X : a\r\n\r\n"), 400 },
		{ CK_ROW, "5.1 whitespace before colon, Host",
		    RAW("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400 },
		{ CK_ROW, "5.1 whitespace before colon, Content-Length",
		    RAW(P11 "Content-Length : 5\r\n\r\nhello"), 400 },
		{ CK_ROW, "5.1 HTAB before colon, Transfer-Encoding",
		    RAW(P11 "Transfer-Encoding\t: chunked\r\n\r\n"), 400 },
		{ CK_ROW, "5.1 SP inside name", RAW(H11 "X Y: a\r\n\r\n"),
		    400 },
		{ CK_ROW, "5.1 empty name", RAW(H11 ": a\r\n\r\n"), 400 },
		{ CK_ROW, "5.1 no colon", RAW(H11 "X\r\n\r\n"), 400 },
		{ CK_ROW, "5.1 name not a token", RAW(H11 "X(Y): a\r\n\r\n"),
		    400 },
		{ CK_ROW, "5.1 quote in name", RAW(H11 "X\"Y: a\r\n\r\n"),
		    400 },
		{ CK_ROW, "5.1 CTL in name", RAW(H11 "X\x01Y: a\r\n\r\n"),
		    400 },
		{ CK_ROW, "5.1 NUL in name", RAW(H11 "X\0Y: a\r\n\r\n"), 400 },
		{ CK_ROW, "5.1 obs-text in name",
		    RAW(H11 "X-\xc3\xa9: x\r\n\r\n"), 400 },
		{ CK_ROW, "5.1 name http-parser takes for Transfer-Encoding",
		    RAW(H11 "Transfer-Encodingx: gzip\r\n\r\n"), 400 },
		{ CK_ROW, "5.1 name http-parser takes for Transfer-Encoding, 2",
		    RAW(P11 "transfer-encoding%2e: chunked\r\n\r\n0\r\n\r\n"),
		    400 },
		{ CK_ROW, "5.2 obs-fold", RAW(H11 "X: a\r\n b\r\n\r\n"), 400 },
		{ CK_ROW, "5.2 obs-fold with HTAB",
		    RAW(H11 "X: a\r\n\tb\r\n\r\n"), 400 },
		{ CK_ROW, "5.2 obs-fold on Transfer-Encoding",
		    RAW(P11 "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"),
		    400 },
		{ CK_ROW, "5.2 obs-fold on Transfer-Encoding value",
		    RAW(P11 "Transfer-Encoding: x\r\n chunked\r\n\r\n"), 400 },
		{ CK_ROW, "5.2 obs-fold on Content-Length",
		    RAW(P11 "Content-Length:\r\n 5\r\n\r\nhello"), 400 },
		{ CK_ROW, "2.2 whitespace before first field",
		    RAW("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400 },
		{ CK_ROW, "2.2 bare LF ends field",
		    RAW("GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n"), 400 },
		{ CK_ROW, "2.2 bare LF ends head", RAW(H11 "\n"), 400 },
		{ CK_ROW, "2.2 bare LF after field", RAW(H11 "X: a\r\n\n"),
		    400 },
		{ CK_ROW, "2.2 bare LF in value", RAW(H11 "X: a\nb\r\n\r\n"),
		    400 },
		{ CK_ROW, "2.2 bare CR in value", RAW(H11 "X: a\rb\r\n\r\n"),
		    400 },
		{ CK_ROW, "2.2 bare CR ends head", RAW(H11 "\r\r"), 400 },
		{ CK_ROW, "2.2 bare CR in name", RAW(H11 "X\r: a\r\n\r\n"),
		    400 },
		{ CK_ROW, "RFC 9110 5.5 NUL in value",
		    RAW(H11 "X: a\0b\r\n\r\n"), 400 },
		{ CK_ROW, "RFC 9110 5.5 NUL in Host",
		    RAW("GET / HTTP/1.1\r\nHost: a\0\r\n\r\n"), 400 },
		{ CK_ROW, "RFC 9110 5.5 CTL in value",
		    RAW(H11 "X: a\x1b[0m\r\n\r\n"), 400 },
		{ CK_ROW, "RFC 9110 5.5 DEL in value",
		    RAW(H11 "X: a\x7f\r\n\r\n"), 400 },
		{ CK_ROW, "RFC 9110 5.5 VT in value",
		    RAW(H11 "X: a\vb\r\n\r\n"), 400 },
	};

	run_reject_rows(rows, sizeof(rows) / sizeof(rows[0]), NULL);
}
END_TEST

START_TEST(test_reject_framing)
{
	static const struct reject_row rows[] = {
		{ CK_ROW, "6.3 Content-Length and Transfer-Encoding",
		    RAW(P11 "Content-Length: 5\r\nTransfer-Encoding: "
			    "chunked\r\n\r\n"),
		    400 },
		{ CK_ROW, "6.3 Transfer-Encoding and Content-Length",
		    RAW(P11 "Transfer-Encoding: chunked\r\nContent-Length: "
			    "5\r\n\r\n"),
		    400 },
		{ CK_ROW, "6.1 Transfer-Encoding in HTTP/1.0",
		    RAW(P10 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
		    400 },
		{ CK_ROW, "6.3 duplicate Content-Length, equal",
		    RAW(P11 "Content-Length: 5\r\nContent-Length: 5\r\n\r\n"),
		    400 },
		{ CK_ROW, "6.3 duplicate Content-Length, different",
		    RAW(P11 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"),
		    400 },
		{ CK_ROW, "6.3 Content-Length list",
		    RAW(P11 "Content-Length: 5, 5\r\n\r\n"), 400 },
		{ CK_ROW, "6.3 Content-Length list, no space",
		    RAW(P11 "Content-Length: 5,5\r\n\r\n"), 400 },
		{ CK_ROW, "RFC 9110 8.6 Content-Length with sign",
		    RAW(P11 "Content-Length: +5\r\n\r\n"), 400 },
		{ CK_ROW, "RFC 9110 8.6 negative Content-Length",
		    RAW(P11 "Content-Length: -1\r\n\r\n"), 400 },
		{ CK_ROW, "RFC 9110 8.6 hex Content-Length",
		    RAW(P11 "Content-Length: 0x5\r\n\r\n"), 400 },
		{ CK_ROW, "RFC 9110 8.6 Content-Length with inner SP",
		    RAW(P11 "Content-Length: 5 5\r\n\r\n"), 400 },
		{ CK_ROW, "RFC 9110 8.6 empty Content-Length",
		    RAW(P11 "Content-Length:\r\n\r\n"), 400 },
		{ CK_ROW, "RFC 9110 8.6 blank Content-Length",
		    RAW(P11 "Content-Length:  \r\n\r\n"), 400 },
		{ CK_ROW, "RFC 9110 8.6 Content-Length overflow",
		    RAW(P11 "Content-Length: 9223372036854775808\r\n\r\n"),
		    400 },
		{ CK_ROW, "RFC 9110 8.6 Content-Length far overflow",
		    RAW(P11 "Content-Length: 99999999999999999999999\r\n\r\n"),
		    400 },
		{ CK_ROW,
		    "RFC 9110 8.6 Content-Length then HTAB (http-parser "
		    "misreads)",
		    RAW(P11 "Content-Length: 5\t\r\n\r\nhello"), 400 },
		{ CK_ROW, "6.1 chunked then HTAB (http-parser misreads)",
		    RAW(P11 "Transfer-Encoding: chunked\t\r\n\r\n0\r\n\r\n"),
		    400 },
		{ CK_ROW, "6.1 duplicate Transfer-Encoding",
		    RAW(P11 "Transfer-Encoding: chunked\r\nTransfer-Encoding: "
			    "chunked\r\n\r\n"),
		    400 },
		{ CK_ROW, "6.1 chunked not last",
		    RAW(P11 "Transfer-Encoding: chunked, gzip\r\n\r\n"), 400 },
		{ CK_ROW, "6.1 chunked twice",
		    RAW(P11 "Transfer-Encoding: chunked, chunked\r\n\r\n"),
		    400 },
		{ CK_ROW, "6.1 empty coding",
		    RAW(P11 "Transfer-Encoding: chunked,\r\n\r\n"), 400 },
		{ CK_ROW, "6.1 leading comma",
		    RAW(P11 "Transfer-Encoding: ,chunked\r\n\r\n"), 400 },
		{ CK_ROW, "6.1 empty Transfer-Encoding",
		    RAW(P11 "Transfer-Encoding:\r\n\r\n"), 400 },
		{ CK_ROW, "6.1 coding not a token",
		    RAW(P11 "Transfer-Encoding: \"chunked\"\r\n\r\n"), 400 },
		{ CK_ROW, "6.1 SP inside coding",
		    RAW(P11 "Transfer-Encoding: chun ked\r\n\r\n"), 400 },
		{ CK_ROW, "6.1 parameter without value",
		    RAW(P11 "Transfer-Encoding: gzip;a=\r\n\r\n"), 400 },
		{ CK_ROW, "6.1 parameter without =",
		    RAW(P11 "Transfer-Encoding: gzip;a\r\n\r\n"), 400 },
		{ CK_ROW, "6.1 open quoted parameter",
		    RAW(P11 "Transfer-Encoding: gzip;a=\"b\r\n\r\n"), 400 },
		{ CK_ROW, "6.1 gzip, chunked not implemented",
		    RAW(P11 "Transfer-Encoding: gzip, chunked\r\n\r\n"), 501 },
		{ CK_ROW, "6.1 identity not implemented",
		    RAW(P11 "Transfer-Encoding: identity\r\n\r\n"), 501 },
		{ CK_ROW, "6.1 gzip not implemented",
		    RAW(P11 "Transfer-Encoding: gzip\r\n\r\n"), 501 },
		{ CK_ROW, "6.1 parameters not implemented",
		    RAW(P11 "Transfer-Encoding: x;a=b;c=\"d\\\"e\" , "
			    "chunked\r\n\r\n"),
		    501 },
		{ CK_ROW, "6.1 chunked with parameter",
		    RAW(P11 "Transfer-Encoding: chunked;a=b\r\n\r\n"), 501 },
		{ CK_ROW, "RFC 9110 9.3.6 CONNECT with content",
		    RAW("CONNECT a:443 HTTP/1.1\r\nHost: a\r\nContent-Length: "
			"1\r\n\r\n"),
		    400 },
		{ CK_ROW, "RFC 9110 9.3.6 CONNECT with chunked content",
		    RAW("CONNECT a:443 HTTP/1.1\r\nHost: "
			"a\r\nTransfer-Encoding: "
			"chunked\r\n\r\n"),
		    400 },
		{ CK_ROW, "RFC 9110 8.6 Content-Length over LimitRequestBody",
		    RAW(P11 "Content-Length: 1048577\r\n\r\n"), 413 },
	};

	run_reject_rows(rows, sizeof(rows) / sizeof(rows[0]), NULL);
}
END_TEST

START_TEST(test_reject_semantics)
{
	static const struct reject_row rows[] = {
		{ CK_ROW, "3.2 HTTP/1.1 without Host",
		    RAW("GET / HTTP/1.1\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 HTTP/1.1 without Host, absolute-form",
		    RAW("GET http://a/ HTTP/1.1\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 duplicate Host", RAW(H11 "Host: b\r\n\r\n"),
		    400 },
		{ CK_ROW, "3.2 duplicate Host, same value",
		    RAW(H11 "host: a\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 duplicate Host in 1.0",
		    RAW("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 Host with path",
		    RAW("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 Host with userinfo",
		    RAW("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 Host with SP",
		    RAW("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 Host with HTAB",
		    RAW("GET / HTTP/1.1\r\nHost: a\tb\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 Host with two ports",
		    RAW("GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 Host with long port",
		    RAW("GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 Host with letters in port",
		    RAW("GET / HTTP/1.1\r\nHost: a:8o\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 Host with port only",
		    RAW("GET / HTTP/1.1\r\nHost: :80\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 Host with open bracket",
		    RAW("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 Host with empty brackets",
		    RAW("GET / HTTP/1.1\r\nHost: []\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 Host with bad IPv6",
		    RAW("GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 Host with bad escape",
		    RAW("GET / HTTP/1.1\r\nHost: a%4\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 Host with quote",
		    RAW("GET / HTTP/1.1\r\nHost: \"a\"\r\n\r\n"), 400 },
		{ CK_ROW, "3.2 Host with obs-text",
		    RAW("GET / HTTP/1.1\r\nHost: \xc3\xa9\r\n\r\n"), 400 },
		{ CK_ROW, "RFC 9110 10.1.1 unknown expectation",
		    RAW(H11 "Expect: foo\r\n\r\n"), 417 },
		{ CK_ROW, "RFC 9110 10.1.1 expectation list",
		    RAW(H11 "Expect: 100-continue, foo\r\n\r\n"), 417 },
		{ CK_ROW, "RFC 9110 10.1.1 empty expectation",
		    RAW(H11 "Expect:\r\n\r\n"), 417 },
		{ CK_ROW, "RFC 9110 10.1.1 second expectation",
		    RAW(H11 "Expect: 100-continue\r\nExpect: 200-ok\r\n\r\n"),
		    417 },
		{ CK_ROW, "RFC 9110 10.1.1 unknown expectation in 1.0",
		    RAW("GET / HTTP/1.0\r\nExpect: foo\r\n\r\n"), 417 },
		{ CK_ROW, "RFC 9110 7.6.1 Connection not a token list",
		    RAW(H11 "Connection: close foo\r\n\r\n"), 400 },
		{ CK_ROW, "RFC 9110 7.6.1 Connection with quote",
		    RAW(H11 "Connection: \"close\"\r\n\r\n"), 400 },
		{ CK_ROW, "RFC 9110 5.3 duplicate Range",
		    RAW(H11 "Range: bytes=0-1\r\nRange: bytes=2-3\r\n\r\n"),
		    400 },
		{ CK_ROW, "RFC 9110 5.3 duplicate If-Modified-Since",
		    RAW(H11
			"If-Modified-Since: a\r\nIf-Modified-Since: b\r\n\r\n"),
		    400 },
		{ CK_ROW, "RFC 9110 5.3 duplicate If-None-Match",
		    RAW(H11 "If-None-Match: a\r\nIf-None-Match: b\r\n\r\n"),
		    400 },
		{ CK_ROW, "RFC 9110 5.3 duplicate If-Range",
		    RAW(H11 "If-Range: a\r\nIf-Range: b\r\n\r\n"), 400 },
	};

	run_reject_rows(rows, sizeof(rows) / sizeof(rows[0]), NULL);
}
END_TEST

/* --- limits, at and one past each boundary --- */

START_TEST(test_limits)
{
	/* lim_small: request line 20, field line 20, 3 fields, body 10 */
	static const struct reject_row rows[] = {
		{ CK_ROW, "request line of 20",
		    RAW("GET /012345 HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_DONE },
		{ CK_ROW, "request line of 21",
		    RAW("GET /0123456 HTTP/1.1\r\nHost: a\r\n\r\n"), 414 },
		{ CK_ROW, "request line of 21, no CRLF yet",
		    RAW("GET /0123456789012345"), 414 },
		{ CK_ROW, "long request line with an empty line before",
		    RAW("\r\nGET /01234567 HTTP/1.1\r\n"), 414 },
		{ CK_ROW, "field line of 20",
		    RAW("GET / HTTP/1.1\r\nHost: a\r\nX: "
			"34567890123456789\r\n\r\n"),
		    HTTP_DONE },
		{ CK_ROW, "field line of 21",
		    RAW("GET / HTTP/1.1\r\nHost: a\r\nX: "
			"345678901234567890\r\n\r\n"),
		    431 },
		{ CK_ROW, "field line of 21, no CRLF yet",
		    RAW("GET / HTTP/1.1\r\nHost: a\r\nX: 345678901234567890"),
		    431 },
		{ CK_ROW, "field line of 20 by its OWS",
		    RAW("GET / HTTP/1.1\r\nHost: a\r\nX: a                "
			"\r\n\r\n"),
		    HTTP_DONE },
		{ CK_ROW, "field line of 21 by its OWS",
		    RAW("GET / HTTP/1.1\r\nHost: a\r\nX: a                 "
			"\r\n\r\n"),
		    431 },
		{ CK_ROW, "3 fields",
		    RAW("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\n\r\n"),
		    HTTP_DONE },
		{ CK_ROW, "4 fields",
		    RAW("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\nZ: "
			"3\r\n\r\n"),
		    431 },
		{ CK_ROW, "Content-Length 10",
		    RAW("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "
			"10\r\n\r\n"),
		    HTTP_DONE },
		{ CK_ROW, "Content-Length 11",
		    RAW("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "
			"11\r\n\r\n"),
		    413 },
		{ CK_ROW, "4 empty lines",
		    RAW("\r\n\r\n\r\n\r\nGET / HTTP/1.0\r\n\r\n"), HTTP_DONE },
		{ CK_ROW, "5 empty lines",
		    RAW("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.0\r\n\r\n"), 400 },
	};

	run_reject_rows(rows, sizeof(rows) / sizeof(rows[0]), &lim_small);
}
END_TEST

START_TEST(test_limit_no_body_limit)
{
	static const struct reject_row rows[] = {
		{ CK_ROW, "largest Content-Length",
		    RAW(P11 "Content-Length: 9223372036854775807\r\n\r\n"),
		    HTTP_DONE },
		{ CK_ROW, "leading zeros",
		    RAW(P11 "Content-Length: "
			    "00000000000000000000000000001\r\n\r\n"),
		    HTTP_DONE },
	};

	run_reject_rows(rows, sizeof(rows) / sizeof(rows[0]), &lim_big);
}
END_TEST

/* A head of exactly TOTAL bytes, in fields of BIG_FIELD bytes or less. */
static size_t
big_head(char *buf, size_t total)
{
	static const char start[] = "GET / HTTP/1.1\r\nHost: a\r\n";
	size_t n = sizeof(start) - 1, v, k = 0;

	memcpy(buf, start, n);
	while (total - n > 2) {
		v = total - n - 2 - 5; /* "X: " + value + CRLF */
		if (v > BIG_FIELD)
			v = v > 2 * BIG_FIELD ? BIG_FIELD : v / 2;
		n += (size_t)sprintf(buf + n, "%c: ", 'A' + (int)(k++ % 26));
		memset(buf + n, 'v', v);
		n += v;
		memcpy(buf + n, "\r\n", 2);
		n += 2;
	}
	memcpy(buf + n, "\r\n", 2);
	return n + 2;
}

START_TEST(test_limit_head_size)
{
	static const struct {
		int line;
		size_t total;
		int status;
	} rows[] = {
		{ CK_ROW, HEAD_MAX - 1, HTTP_DONE },
		{ CK_ROW, HEAD_MAX, HTTP_DONE },
		{ CK_ROW, HEAD_MAX + 1, 431 },
		{ CK_ROW, HEAD_MAX + 2, 431 },
	};
	struct http_request r;
	char *buf = malloc(HEAD_MAX + 16);
	size_t i, n;

	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		n = big_head(buf, rows[i].total);
		ck_assert_uint_eq(n, rows[i].total);
		ck_assert_msg(head_once(&r, buf, n, &lim_big) == rows[i].status,
		    "row at line %d", rows[i].line);
		/* with an empty line in front, which http-parser is not fed */
		memcpy(buf, "\r\n", 2);
		n = big_head(buf + 2, rows[i].total) + 2;
		ck_assert_msg(
		    head_bytewise(&r, buf, n, &lim_big) == rows[i].status,
		    "row at line %d (bytewise)", rows[i].line);
	}
	free(buf);
}
END_TEST

/* --- bodies --- */

struct body_row {
	int line;
	const char *rfc;
	const char *raw; /* head, body, then maybe NEXT */
	size_t len;
	int status;  /* of http_parse_body */
	size_t used; /* body bytes, when DONE */
	const struct http_limits *lim;
};

/* Head of ROW in BUF; returns the head length. */
static size_t
body_head(const struct body_row *row, char *buf, struct http_request *r)
{
	int rv = head_once(r, buf, row->len, row->lim);

	ck_assert_msg(
	    rv == HTTP_DONE, "row at line %d: head %d", row->line, rv);
	return r->head_len;
}

static int
body_once(const struct body_row *row, size_t *used)
{
	struct http_request r;
	char *buf = copy(row->raw, row->len);
	size_t head = body_head(row, buf, &r);
	int rv;

	rv = http_parse_body(&r, buf + head, row->len - head, used);
	if (rv == HTTP_DONE && row->len > head + *used) {
		/* what follows must be the next request, whole */
		ck_assert_msg(head_once(&r, buf + head + *used,
				  row->len - head - *used, NULL) == HTTP_DONE &&
				  strcmp(r.target, "/next") == 0,
		    "row at line %d: next request", row->line);
	}
	free(buf);
	return rv;
}

static int
body_bytewise(const struct body_row *row, size_t *used)
{
	struct http_request r;
	char *buf = copy(row->raw, row->len);
	size_t head = body_head(row, buf, &r), i, u;
	int rv = HTTP_INCOMPLETE;

	*used = 0;
	for (i = head; i < row->len && rv == HTTP_INCOMPLETE; i++) {
		rv = http_parse_body(&r, buf + i, 1, &u);
		ck_assert_msg(rv > HTTP_DONE || u == 1,
		    "row at line %d: byte %zu not used", row->line, i - head);
		*used += u;
	}
	free(buf);
	return rv;
}

static void
run_body_rows(const struct body_row *rows, size_t n)
{
	size_t i, used, used1;
	int once, bytewise;

	for (i = 0; i < n; i++) {
		once = body_once(&rows[i], &used);
		bytewise = body_bytewise(&rows[i], &used1);
		ck_assert_msg(once == rows[i].status && bytewise == once,
		    "row at line %d (%s): %d at once, %d bytewise, want %d",
		    rows[i].line, rows[i].rfc, once, bytewise, rows[i].status);
		if (once == HTTP_DONE)
			ck_assert_msg(used == rows[i].used && used1 == used,
			    "row at line %d (%s): used %zu, bytewise %zu, "
			    "want %zu",
			    rows[i].line, rows[i].rfc, used, used1,
			    rows[i].used);
	}
}

#define CH    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
#define CL(n) "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " #n "\r\n\r\n"

START_TEST(test_body_accept)
{
	static const struct body_row rows[] = {
		{ CK_ROW, "6.2 Content-Length", RAW(CL(5) "hello" NEXT),
		    HTTP_DONE, 5, NULL },
		{ CK_ROW, "6.2 Content-Length, body looks like a request",
		    RAW(CL(31) NEXT NEXT), HTTP_DONE, 31, NULL },
		{ CK_ROW, "6.2 Content-Length, last", RAW(CL(3) "abc"),
		    HTTP_DONE, 3, NULL },
		{ CK_ROW, "6.2 Content-Length, short", RAW(CL(9) "abc"),
		    HTTP_INCOMPLETE, 0, NULL },
		{ CK_ROW, "7.1 one chunk",
		    RAW(CH "5\r\nhello\r\n0\r\n\r\n" NEXT), HTTP_DONE, 15,
		    NULL },
		{ CK_ROW, "7.1 chunks",
		    RAW(CH "3\r\nabc\r\na\r\n0123456789\r\n"
			   "0\r\n\r\n" NEXT),
		    HTTP_DONE, 28, NULL },
		{ CK_ROW, "7.1 upper-case hex",
		    RAW(CH "A\r\n0123456789\r\n0\r\n\r\n"), HTTP_DONE, 20,
		    NULL },
		{ CK_ROW, "7.1 leading zeros",
		    RAW(CH "0005\r\nhello\r\n0000\r\n\r\n"), HTTP_DONE, 21,
		    NULL },
		{ CK_ROW, "7.1 sixteen digits",
		    RAW(CH "0000000000000001\r\nx\r\n0\r\n\r\n"), HTTP_DONE, 26,
		    NULL },
		{ CK_ROW, "7.1 chunk data with CRLF in it",
		    RAW(CH "4\r\n\r\n\r\n\r\n0\r\n\r\n" NEXT), HTTP_DONE, 14,
		    NULL },
		{ CK_ROW, "7.1 chunk data that looks like a request",
		    RAW(CH "1f\r\n" NEXT "\r\n0\r\n\r\n" NEXT), HTTP_DONE, 42,
		    NULL },
		{ CK_ROW, "7.1.1 extensions",
		    RAW(CH "5;a=b;c\r\nhello\r\n0;last\r\n\r\n"), HTTP_DONE, 26,
		    NULL },
		{ CK_ROW, "7.1.1 extensions with BWS and quotes",
		    RAW(CH
			"5 ; a = \"q\\\"x;\" ;b\t;c=d\r\nhello\r\n0\r\n\r\n"),
		    HTTP_DONE, 37, NULL },
		{ CK_ROW, "7.1.2 trailer fields",
		    RAW(CH "1\r\nx\r\n0\r\nX-T: v\r\nY:\r\n\r\n" NEXT),
		    HTTP_DONE, 23, NULL },
		{ CK_ROW, "7.1 chunked, incomplete", RAW(CH "5\r\nhel"),
		    HTTP_INCOMPLETE, 0, NULL },
		{ CK_ROW, "7.1 chunked, no final CRLF", RAW(CH "0\r\n"),
		    HTTP_INCOMPLETE, 0, NULL },
		{ CK_ROW, "7.1 chunked up to the body limit",
		    RAW(CH "6\r\nabcdef\r\n4\r\nghij\r\n0\r\n\r\n"), HTTP_DONE,
		    25, &lim_body },
	};

	run_body_rows(rows, sizeof(rows) / sizeof(rows[0]));
}
END_TEST

START_TEST(test_body_reject)
{
	static const struct body_row rows[] = {
		{ CK_ROW, "7.1 whitespace before size",
		    RAW(CH " 5\r\nhello\r\n0\r\n\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1 whitespace after size",
		    RAW(CH "5 \r\nhello\r\n0\r\n\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1 plus sign", RAW(CH "+5\r\nhello\r\n0\r\n\r\n"),
		    400, 0, NULL },
		{ CK_ROW, "7.1 minus sign", RAW(CH "-5\r\nhello\r\n0\r\n\r\n"),
		    400, 0, NULL },
		{ CK_ROW, "7.1 0x prefix", RAW(CH "0x5\r\nhello\r\n0\r\n\r\n"),
		    400, 0, NULL },
		{ CK_ROW, "7.1 not hex", RAW(CH "g\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1 empty size", RAW(CH "\r\nhello\r\n"), 400, 0,
		    NULL },
		{ CK_ROW, "7.1 seventeen digits",
		    RAW(CH "00000000000000001\r\nx\r\n0\r\n\r\n"), 400, 0,
		    NULL },
		{ CK_ROW, "7.1 size overflow", RAW(CH "8000000000000000\r\n"),
		    400, 0, &lim_big },
		{ CK_ROW, "7.1 size overflow, 16 f",
		    RAW(CH "ffffffffffffffff\r\n"), 400, 0, &lim_big },
		{ CK_ROW, "7.1 largest chunk size",
		    RAW(CH "7fffffffffffffff\r\n"), HTTP_INCOMPLETE, 0,
		    &lim_big },
		{ CK_ROW, "7.1 bare LF after size",
		    RAW(CH "5\nhello\r\n0\r\n\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1 bare CR after size",
		    RAW(CH "5\rhello\r\n0\r\n\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1 no CRLF after data",
		    RAW(CH "5\r\nhelloXX0\r\n\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1 data longer than size",
		    RAW(CH "5\r\nhello!\r\n0\r\n\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1 bare LF after data",
		    RAW(CH "5\r\nhello\n0\r\n\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1 bare CR after data",
		    RAW(CH "5\r\nhello\r0\r\n\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1 bare LF after last chunk", RAW(CH "0\n\r\n"),
		    400, 0, NULL },
		{ CK_ROW, "7.1 bare LF ends body", RAW(CH "0\r\n\n"), 400, 0,
		    NULL },
		{ CK_ROW, "7.1 bare CR ends body", RAW(CH "0\r\n\r\r"), 400, 0,
		    NULL },
		{ CK_ROW, "7.1.1 empty extension name",
		    RAW(CH "5;\r\nhello\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1.1 empty extension value",
		    RAW(CH "5;a=\r\nhello\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1.1 value without name",
		    RAW(CH "5;=b\r\nhello\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1.1 open quoted value",
		    RAW(CH "5;a=\"b\r\nhello\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1.1 CTL in extension",
		    RAW(CH "5;a\x01\r\nhello\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1.1 bare LF in extension",
		    RAW(CH "5;a\nhello\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1.1 HTAB after size (http-parser refuses it)",
		    RAW(CH "5\t;a\r\nhello\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1.1 BWS then CRLF", RAW(CH "5;a \r\nhello\r\n"),
		    400, 0, NULL },
		{ CK_ROW, "7.1.2 trailer obs-fold",
		    RAW(CH "0\r\nX: a\r\n b\r\n\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1.2 trailer whitespace before colon",
		    RAW(CH "0\r\nX : a\r\n\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1.2 trailer bare LF", RAW(CH "0\r\nX: a\n\r\n"),
		    400, 0, NULL },
		{ CK_ROW, "7.1.2 trailer NUL", RAW(CH "0\r\nX: a\0\r\n\r\n"),
		    400, 0, NULL },
		{ CK_ROW, "7.1.2 trailer Content-Length",
		    RAW(CH "0\r\nContent-Length: 5\r\n\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1.2 trailer Transfer-Encoding",
		    RAW(CH "0\r\ntransfer-ENCODING: x\r\n\r\n"), 400, 0, NULL },
		{ CK_ROW, "7.1 sum over LimitRequestBody",
		    RAW(CH "6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n"), 413, 0,
		    &lim_body },
		{ CK_ROW, "7.1 one chunk over LimitRequestBody",
		    RAW(CH "b\r\n"), 413, 0, &lim_body },
		{ CK_ROW, "7.1.2 too many trailer fields",
		    RAW(CH "0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"), 431, 0,
		    &lim_body },
		{ CK_ROW, "7.1.2 trailer field of 27",
		    RAW(CH "0\r\nX: 345678901234567890123456\r\n\r\n"), 431, 0,
		    &lim_body },
	};

	run_body_rows(rows, sizeof(rows) / sizeof(rows[0]));
}
END_TEST

START_TEST(test_body_trailer_names)
{
	static const struct body_row rows[] = {
		/* names that only start like a banned one are fine */
		{ CK_ROW, "7.1.2 Content-Lengthy",
		    RAW(CH "0\r\nContent-Lengthy: 1\r\n"
			   "Content-Lengt: 2\r\n\r\n"),
		    HTTP_DONE, 43, NULL },
		{ CK_ROW, "7.1.2 three fields",
		    RAW(CH "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), HTTP_DONE, 23,
		    &lim_body },
		{ CK_ROW, "7.1.2 field of 26",
		    RAW(CH "0\r\nX: 34567890123456789012345\r\n\r\n"),
		    HTTP_DONE, 33, &lim_body },
	};

	run_body_rows(rows, sizeof(rows) / sizeof(rows[0]));
}
END_TEST

START_TEST(test_body_chunk_line_max)
{
	char *raw = malloc(sizeof(CH) + 8192);
	struct body_row row = { CK_ROW, "7.1.1 extensions too long", raw, 0,
		400, 0, NULL };
	size_t n = sizeof(CH) - 1, used;

	ck_assert_ptr_nonnull(raw);
	memcpy(raw, CH, n);
	memcpy(raw + n, "1;", 2);
	memset(raw + n + 2, 'e', 8000);
	memcpy(raw + n + 8002, "\r\nx\r\n0\r\n\r\n", 10);
	row.len = n + 8012;
	ck_assert_int_eq(body_once(&row, &used), 400);
	ck_assert_int_eq(body_bytewise(&row, &used), 400);
	free(raw);
}
END_TEST

/* A chunked request whose trailer section is TOTAL bytes. */
static size_t
big_trailer(char *buf, size_t total)
{
	size_t n = sizeof(CH) - 1, v, k = 0, end;

	memcpy(buf, CH "0\r\n", n + 3);
	n += 3;
	end = n + total;
	while (end - n > 2) {
		v = end - n - 2 - 5;
		if (v > BIG_FIELD)
			v = v > 2 * BIG_FIELD ? BIG_FIELD : v / 2;
		n += (size_t)sprintf(buf + n, "%c: ", 'A' + (int)(k++ % 26));
		memset(buf + n, 'v', v);
		n += v;
		memcpy(buf + n, "\r\n", 2);
		n += 2;
	}
	memcpy(buf + n, "\r\n", 2);
	return n + 2;
}

START_TEST(test_body_trailer_size)
{
	static const struct {
		int line;
		size_t total;
		int status;
	} rows[] = {
		{ CK_ROW, HEAD_MAX, HTTP_DONE },
		{ CK_ROW, HEAD_MAX + 1, 431 },
	};
	char *buf = malloc(HEAD_MAX + 256);
	struct body_row row = { 0, "7.1.2 trailer section size", buf, 0, 0, 0,
		&lim_big };
	size_t i, used;

	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		row.line = rows[i].line;
		row.len = big_trailer(buf, rows[i].total);
		ck_assert_msg(body_once(&row, &used) == rows[i].status,
		    "row at line %d", rows[i].line);
		ck_assert_msg(body_bytewise(&row, &used) == rows[i].status,
		    "row at line %d (bytewise)", rows[i].line);
	}
	free(buf);
}
END_TEST

START_TEST(test_body_split)
{
	static const char raw[] = CH "5;x=y\r\nhello\r\n10\r\n0123456789abcdef"
				     "\r\n0\r\nT: 1\r\n\r\n" NEXT;
	struct http_request r;
	char *buf;
	size_t head, cut, used, u, total = 0;
	int rv;

	/* any split point between two calls gives the same framing */
	for (cut = 0; cut < sizeof(raw) - 1; cut++) {
		buf = copy(raw, sizeof(raw) - 1);
		ck_assert_int_eq(
		    head_once(&r, buf, sizeof(raw) - 1, NULL), HTTP_DONE);
		head = r.head_len;
		if (cut < head) {
			free(buf);
			continue;
		}
		rv = http_parse_body(&r, buf + head, cut - head, &used);
		if (rv == HTTP_INCOMPLETE) {
			ck_assert_uint_eq(used, cut - head);
			rv = http_parse_body(
			    &r, buf + cut, sizeof(raw) - 1 - cut, &u);
			used += u;
		}
		ck_assert_int_eq(rv, HTTP_DONE);
		if (total == 0)
			total = used;
		ck_assert_uint_eq(used, total);
		ck_assert_uint_eq(head + used, sizeof(raw) - 1 - strlen(NEXT));
		/* a call after the end takes nothing */
		ck_assert_int_eq(http_parse_body(&r, buf, 1, &u), HTTP_DONE);
		ck_assert_uint_eq(u, 0);
		free(buf);
	}
}
END_TEST

START_TEST(test_has_body)
{
	static const struct {
		int line;
		const char *raw;
		bool body;
	} rows[] = {
		{ CK_ROW, "GET / HTTP/1.0\r\n\r\n", false },
		{ CK_ROW, CL(0), false },
		{ CK_ROW, CL(1), true },
		{ CK_ROW, CH, true },
	};
	struct http_request r;
	size_t i, used;
	char *buf;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		buf = copy(rows[i].raw, strlen(rows[i].raw));
		ck_assert_msg(head_once(&r, buf, strlen(rows[i].raw), NULL) ==
				      HTTP_DONE &&
				  http_has_body(&r) == rows[i].body,
		    "row at line %d", rows[i].line);
		if (!rows[i].body)
			ck_assert_msg(
			    http_parse_body(&r, buf, 0, &used) == HTTP_DONE &&
				used == 0,
			    "row at line %d: body", rows[i].line);
		free(buf);
	}
}
END_TEST

/* --- dates and reasons --- */

START_TEST(test_date_format)
{
	static const struct {
		int line;
		int64_t t;
		const char *s;
	} rows[] = {
		{ CK_ROW, 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
		{ CK_ROW, 784111777, "Sun, 06 Nov 1994 08:49:37 GMT" },
		{ CK_ROW, 951782400, "Tue, 29 Feb 2000 00:00:00 GMT" },
		{ CK_ROW, 1709210096, "Thu, 29 Feb 2024 12:34:56 GMT" },
		{ CK_ROW, 4102444799, "Thu, 31 Dec 2099 23:59:59 GMT" },
		{ CK_ROW, INT64_C(253402300799),
		    "Fri, 31 Dec 9999 23:59:59 GMT" },
		/* clamped to what IMF-fixdate can carry */
		{ CK_ROW, -1, "Thu, 01 Jan 1970 00:00:00 GMT" },
		{ CK_ROW, INT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT" },
	};
	char out[HTTP_DATE_LEN + 2];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(out, 'X', sizeof(out));
		http_date(out, rows[i].t);
		ck_assert_msg(strcmp(out, rows[i].s) == 0 &&
				  out[HTTP_DATE_LEN + 1] == 'X',
		    "row at line %d: \"%s\"", rows[i].line, out);
		if (rows[i].t >= 0 && rows[i].t <= INT64_C(253402300799))
			ck_assert_msg(http_date_parse(out) == rows[i].t,
			    "row at line %d: round trip", rows[i].line);
	}
}
END_TEST

START_TEST(test_date_round_trip)
{
	char out[HTTP_DATE_LEN + 1];
	int64_t t;

	/* every day from 1970 to 2200, at a changing time of day */
	for (t = 0; t < INT64_C(7258118400); t += 86400 + 3607) {
		http_date(out, t);
		ck_assert_msg(
		    http_date_parse(out) == t, "%lld: %s", (long long)t, out);
	}
}
END_TEST

START_TEST(test_date_parse)
{
	static const struct {
		int line;
		const char *s;
		int64_t t;
	} rows[] = {
		/* RFC 9110 5.6.7: the three forms */
		{ CK_ROW, "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 },
		{ CK_ROW, "Sunday, 06-Nov-94 08:49:37 GMT", 784111777 },
		{ CK_ROW, "Sun Nov  6 08:49:37 1994", 784111777 },
		{ CK_ROW, "Sun Nov 06 08:49:37 1994", 784111777 },
		{ CK_ROW, "Thu Feb 29 12:34:56 2024", 1709210096 },
		/* two-digit years up to 50 years ahead are in this century */
		{ CK_ROW, "Thursday, 01-Jan-70 00:00:00 GMT", 3155760000 },
		{ CK_ROW, "Wednesday, 31-Dec-69 23:59:59 GMT", 3155759999 },
		/* a leap second */
		{ CK_ROW, "Sat, 31 Dec 2016 23:59:60 GMT", 1483228800 },
		/* the day name is not checked against the date */
		{ CK_ROW, "Mon, 06 Nov 1994 08:49:37 GMT", 784111777 },
		/* malformed */
		{ CK_ROW, "", -1 },
		{ CK_ROW, "Sun", -1 },
		{ CK_ROW, "Sun, 06 Nov 1994 08:49:37", -1 },
		{ CK_ROW, "Sun, 06 Nov 1994 08:49:37 GMT ", -1 },
		{ CK_ROW, " Sun, 06 Nov 1994 08:49:37 GMT", -1 },
		{ CK_ROW, "sun, 06 Nov 1994 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun, 06 nov 1994 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun, 06 Nov 1994 08:49:37 gmt", -1 },
		{ CK_ROW, "Sun, 06 Nov 1994 08:49:37 UTC", -1 },
		{ CK_ROW, "Sun, 6 Nov 1994 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun,  6 Nov 1994 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun, 06 Nov 94 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun, 06 Nov 1994 8:49:37 GMT", -1 },
		{ CK_ROW, "Sun, 06 Nov 1994 08:49 GMT", -1 },
		{ CK_ROW, "Sun, 06 Nov 1994 08-49-37 GMT", -1 },
		{ CK_ROW, "Sun 06 Nov 1994 08:49:37 GMT", -1 },
		{ CK_ROW, "Sux, 06 Nov 1994 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun, 06 Nox 1994 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun, 0a Nov 1994 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun, 06 Nov 19a4 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun, 06 Nov 1994 08:49:37 GMT\n", -1 },
		{ CK_ROW, "Sun, 06 Nov 1994 08:49:3", -1 },
		{ CK_ROW, "Sun, 06 Nov 1994 08:49:37 GM", -1 },
		{ CK_ROW, "Sun, 06 Nov 1994", -1 },
		{ CK_ROW, "Sun, 06 Nov 1", -1 },
		{ CK_ROW, "Sun, 0", -1 },
		{ CK_ROW, "Sunday, 06-Nov-1994 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun, 06-Nov-94 08:49:37 GMT", -1 },
		{ CK_ROW, "Sunday, 06 Nov 94 08:49:37 GMT", -1 },
		{ CK_ROW, "Sunday, 6-Nov-94 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun Nov 6 08:49:37 1994", -1 },
		{ CK_ROW, "Sun Nov  6 08:49:37 94", -1 },
		{ CK_ROW, "Sun Nov  6 08:49:37 1994 GMT", -1 },
		{ CK_ROW, "Sun Nov   6 08:49:37 1994", -1 },
		/* out of range */
		{ CK_ROW, "Sun, 00 Nov 1994 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun, 31 Nov 1994 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun, 30 Feb 2000 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun, 29 Feb 1900 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun, 29 Feb 2100 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun, 29 Feb 2001 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun, 06 Nov 1994 24:00:00 GMT", -1 },
		{ CK_ROW, "Sun, 06 Nov 1994 08:60:00 GMT", -1 },
		{ CK_ROW, "Sun, 06 Nov 1994 08:49:61 GMT", -1 },
		{ CK_ROW, "Wed, 31 Dec 1969 23:59:59 GMT", -1 },
		{ CK_ROW, "Sun, 06 Nov 0000 08:49:37 GMT", -1 },
		{ CK_ROW, "Sun Nov  0 08:49:37 1994", -1 },
	};
	size_t i;
	int64_t t;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		t = http_date_parse(rows[i].s);
		ck_assert_msg(t == rows[i].t, "row at line %d: %lld",
		    rows[i].line, (long long)t);
	}
}
END_TEST

START_TEST(test_reason)
{
	static const struct {
		int line;
		int status;
		const char *reason;
	} rows[] = {
		{ CK_ROW, 100, "Continue" },
		{ CK_ROW, 200, "OK" },
		{ CK_ROW, 206, "Partial Content" },
		{ CK_ROW, 301, "Moved Permanently" },
		{ CK_ROW, 304, "Not Modified" },
		{ CK_ROW, 400, "Bad Request" },
		{ CK_ROW, 403, "Forbidden" },
		{ CK_ROW, 404, "Not Found" },
		{ CK_ROW, 405, "Method Not Allowed" },
		{ CK_ROW, 408, "Request Timeout" },
		{ CK_ROW, 413, "Content Too Large" },
		{ CK_ROW, 414, "URI Too Long" },
		{ CK_ROW, 416, "Range Not Satisfiable" },
		{ CK_ROW, 417, "Expectation Failed" },
		{ CK_ROW, 431, "Request Header Fields Too Large" },
		{ CK_ROW, 500, "Internal Server Error" },
		{ CK_ROW, 501, "Not Implemented" },
		{ CK_ROW, 503, "Service Unavailable" },
		{ CK_ROW, 505, "HTTP Version Not Supported" },
		{ CK_ROW, 0, "Unknown" },
		{ CK_ROW, 299, "Unknown" },
		{ CK_ROW, -1, "Unknown" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_msg(
		    strcmp(http_reason(rows[i].status), rows[i].reason) == 0,
		    "row at line %d", rows[i].line);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc;

	tc = tcase_create("accept");
	tcase_add_test(tc, test_accept_basic);
	tcase_add_test(tc, test_accept_fields);
	tcase_add_test(tc, test_accept_connection);
	tcase_add_test(tc, test_exposed_fields);
	tcase_add_test(tc, test_pipelined_heads);
	tcase_add_test(tc, test_incomplete);
	suite_add_tcase(s, tc);

	tc = tcase_create("reject");
	tcase_add_test(tc, test_reject_request_line);
	tcase_add_test(tc, test_reject_field_syntax);
	tcase_add_test(tc, test_reject_framing);
	tcase_add_test(tc, test_reject_semantics);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_limit_no_body_limit);
	tcase_add_test(tc, test_limit_head_size);
	suite_add_tcase(s, tc);

	tc = tcase_create("body");
	tcase_add_test(tc, test_body_accept);
	tcase_add_test(tc, test_body_reject);
	tcase_add_test(tc, test_body_trailer_names);
	tcase_add_test(tc, test_body_chunk_line_max);
	tcase_add_test(tc, test_body_trailer_size);
	tcase_add_test(tc, test_body_split);
	tcase_add_test(tc, test_has_body);
	suite_add_tcase(s, tc);

	tc = tcase_create("date");
	tcase_add_test(tc, test_date_format);
	tcase_add_test(tc, test_date_round_trip);
	tcase_add_test(tc, test_date_parse);
	tcase_add_test(tc, test_reason);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ck_run(http_suite());
}
