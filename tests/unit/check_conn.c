/*
 * Check suite for workers/conn.c, the per-connection HTTP state machine,
 * driven over a socketpair: real struct conn objects serving a temporary
 * document root, a pipe as the access log.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/ck.h"
#include "tests/unit/logpipe.h"
#include "tests/unit/docroot.h"

#include "conf/conf.h"
#include "lib/clock.h"
#include "protocol/http.h"
#include "protocol/ipc.h"
#include "protocol/scoreboard.h"
#include "workers/board.h"
#include "workers/conn.h"
#include "workers/static.h"

#define RESP_MAX       (1024 * 1024)
#define LOG_MAX        65536
#define REQ_MAX        8192
#define VALUE_MAX      1024
#define MAX_SPINS      10000
#define PEER_ADDR      "192.0.2.7"
#define OTHER_ADDR     "198.51.100.1"
#define PEER_PORT      4321
#define HOUR           3600
#define SB_TEST_SLOTS  2
#define NOBODY_UID     65534
#define QUERY_LEN      6000 /* a redirect head bigger than a small SO_SNDBUF */
#define TESTS_PER_CASE 10

static struct docroot docroot;
static struct conf conf;
static struct conn_ctx ctx;
static atomic_int graceful;
static struct logpipe logpipe;
static struct sb_slot own_slot;
static struct {
	struct sb_header h;
	char page[SB_HEADER_SIZE - sizeof(struct sb_header)];
	struct sb_slot s[SB_TEST_SLOTS];
} board;

/* Validators of hello.txt, for the conditional cases. */
static char hello_etag[STATIC_ETAG_MAX];
static char hello_lm[HTTP_DATE_LEN + 1];
static char hello_old[HTTP_DATE_LEN + 1];
static char hello_new[HTTP_DATE_LEN + 1];
static char date_future[HTTP_DATE_LEN + 1]; /* later than the server's clock */

/* --- fixture: a document root, a configuration, a log pipe --- */

static void
hello_validators(void)
{
	struct timespec two_hours_ago[2] = { { time(NULL) - 2 * HOUR, 0 },
		{ time(NULL) - 2 * HOUR, 0 } };
	struct stat st;
	char path[sizeof(docroot.dir) + sizeof("/hello.txt")];

	/* Old enough for its Last-Modified to be a strong validator. */
	snprintf(path, sizeof(path), "%s/hello.txt", docroot.dir);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, two_hours_ago, 0), 0);
	docroot_stat(&docroot, "hello.txt", &st);
	docroot_etag(&st, hello_etag, sizeof(hello_etag));
	http_date(hello_lm, st.st_mtim.tv_sec);
	http_date(hello_old, st.st_mtim.tv_sec - HOUR);
	http_date(hello_new, st.st_mtim.tv_sec + HOUR);
	hello_lm[HTTP_DATE_LEN] = hello_old[HTTP_DATE_LEN] = '\0';
	hello_new[HTTP_DATE_LEN] = '\0';
	http_date(date_future, time(NULL) + HOUR);
	date_future[HTTP_DATE_LEN] = '\0';
}

static void
set_index(const char *a, const char *b)
{
	while (conf.ndirectory_index > 0)
		free(conf.directory_index[--conf.ndirectory_index]);
	conf.directory_index[conf.ndirectory_index++] = strdup(a);
	if (b != NULL)
		conf.directory_index[conf.ndirectory_index++] = strdup(b);
}

static void
setup_conf(void)
{
	static const char *const types[][2] = {
		{ "text/html", "html" },
		{ "text/plain", "txt" },
		{ "text/css", "css" },
		{ "image/png", "png" },
		{ "application/javascript", "js" },
		{ "text/html", "htm" },
	};
	size_t i;

	conf_init(&conf);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		ck_assert_int_eq(
		    mime_add(&conf.mime, types[i][0], types[i][1]), 0);
	mime_finish(&conf.mime);
	set_index("index.html", NULL);
	conf.custom_log_format = CONF_LOG_COMBINED;
	conf.keepalive = true;
	conf.max_keepalive_requests = 100;
}

static void
setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	setenv("TZ", "UTC", 1);
	tzset();
	docroot_create(&docroot, "check_conn");
	hello_validators();
	setup_conf();
	logpipe_open(&logpipe);
	atomic_store(&graceful, 0);
	memset(&own_slot, 0, sizeof(own_slot));
	memset(&ctx, 0, sizeof(ctx));
	ctx.conf = &conf;
	ctx.docroot = open(docroot.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ne(ctx.docroot, -1);
	ctx.accesslog = &logpipe.fd;
	ctx.graceful = &graceful;
	ctx.sb = &own_slot;
}

static void
teardown(void)
{
	close(ctx.docroot);
	logpipe_close(&logpipe);
	conf_free(&conf);
	docroot_remove(&docroot);
}

/* --- a client on the other end of a socketpair --- */

struct client {
	struct conn *c;
	int fd;
	char *buf;
	size_t len, off; /* received; parsed */
	enum conn_io io;
};

/* A connection from ADDR on a listener with FLAGS (CONF_LISTEN_*). */
static void
cl_open_on(struct client *cl, const char *addr, unsigned flags)
{
	struct sockaddr_in peer;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX,
			     SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
	    0);
	memset(&peer, 0, sizeof(peer));
	peer.sin_family = AF_INET;
	peer.sin_port = htons(PEER_PORT);
	ck_assert_int_eq(inet_pton(AF_INET, addr, &peer.sin_addr), 1);
	memset(cl, 0, sizeof(*cl));
	cl->c = conn_new(
	    &ctx, sv[0], (struct sockaddr *)&peer, sizeof(peer), flags);
	ck_assert_ptr_nonnull(cl->c);
	cl->fd = sv[1];
	cl->buf = malloc(RESP_MAX);
	ck_assert_ptr_nonnull(cl->buf);
}

static void
cl_open_from(struct client *cl, const char *addr)
{
	cl_open_on(cl, addr, 0);
}

static void
cl_open(struct client *cl)
{
	cl_open_from(cl, PEER_ADDR);
}

static void
cl_close(struct client *cl)
{
	conn_free(cl->c);
	if (cl->fd != -1)
		close(cl->fd);
	free(cl->buf);
}

static void
cl_drain(struct client *cl)
{
	ssize_t n;

	while (cl->len < RESP_MAX &&
	       (n = read(cl->fd, cl->buf + cl->len, RESP_MAX - cl->len)) > 0)
		cl->len += (size_t)n;
}

/* Steps the connection until it waits for input or is done. */
static enum conn_io
cl_run(struct client *cl)
{
	int spins = 0;

	ck_assert_ptr_nonnull(cl->c);
	do {
		cl->io = conn_step(cl->c);
		cl_drain(cl);
	} while (cl->io == CONN_IO_WRITE && ++spins < MAX_SPINS);
	if (cl->io == CONN_IO_CLOSE) {
		conn_free(cl->c);
		cl->c = NULL;
	}
	return cl->io;
}

static void
cl_write(struct client *cl, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(cl->fd, data, len);
		if (n == -1 && errno == EAGAIN) {
			cl_run(cl);
			continue;
		}
		ck_assert_int_gt(n, 0);
		data += n;
		len -= (size_t)n;
	}
}

/* Replaces {etag} {lm} {old} {new} in a request template. */
static void
expand(const char *tmpl, char *out, size_t outsz)
{
	static const struct {
		const char *name;
		const char *value;
	} vars[] = {
		{ "{etag}", hello_etag },
		{ "{lm}", hello_lm },
		{ "{old}", hello_old },
		{ "{new}", hello_new },
		{ "{future}", date_future },
	};
	size_t i, len = 0, n;

	while (*tmpl != '\0') {
		for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
			if (strncmp(tmpl, vars[i].name, strlen(vars[i].name)) ==
			    0)
				break;
		if (i < sizeof(vars) / sizeof(vars[0])) {
			n = strlen(vars[i].value);
			ck_assert_uint_lt(len + n, outsz);
			memcpy(out + len, vars[i].value, n);
			len += n;
			tmpl += strlen(vars[i].name);
		} else {
			ck_assert_uint_lt(len + 1, outsz);
			out[len++] = *tmpl++;
		}
	}
	out[len] = '\0';
}

static void
cl_send(struct client *cl, const char *tmpl)
{
	char req[REQ_MAX];

	expand(tmpl, req, sizeof(req));
	cl_write(cl, req, strlen(req));
}

/* --- responses --- */

struct resp {
	int status;
	const char *head; /* status line through the blank line */
	size_t headlen;
	const char *body;
	size_t bodylen;
};

/* Value of header NAME into OUT; false when absent. */
static bool
resp_get(const struct resp *r, const char *name, char *out, size_t outsz)
{
	const char *p = r->head, *end = r->head + r->headlen, *eol, *v;
	size_t n = strlen(name), len;

	while ((eol = memmem(p, (size_t)(end - p), "\r\n", 2)) != NULL &&
	       eol > p) {
		if ((size_t)(eol - p) > n && p[n] == ':' &&
		    strncasecmp(p, name, n) == 0) {
			for (v = p + n + 1; *v == ' '; v++)
				;
			len = (size_t)(eol - v);
			if (len >= outsz)
				len = outsz - 1;
			memcpy(out, v, len);
			out[len] = '\0';
			return true;
		}
		p = eol + 2;
	}
	return false;
}

/* Parses the next response; HEAD_REQ: it answers a HEAD (no body). */
static bool
cl_next(struct client *cl, bool head_req, struct resp *r)
{
	const char *p = cl->buf + cl->off, *end;
	char value[VALUE_MAX];
	size_t left = cl->len - cl->off;
	long len = 0;

	memset(r, 0, sizeof(*r));
	if ((end = memmem(p, left, "\r\n\r\n", 4)) == NULL)
		return false;
	r->head = p;
	r->headlen = (size_t)(end + 4 - p);
	if (sscanf(p, "HTTP/1.1 %3d ", &r->status) != 1)
		return false;
	if (resp_get(r, "Content-Length", value, sizeof(value)))
		len = atol(value);
	if (head_req || r->status == 304 || r->status < 200)
		len = 0;
	if ((size_t)len > left - r->headlen)
		return false;
	r->body = p + r->headlen;
	r->bodylen = (size_t)len;
	cl->off += r->headlen + (size_t)len;
	return true;
}

static bool
resp_has(const struct resp *r, const char *name, const char *value)
{
	char got[VALUE_MAX];

	return resp_get(r, name, got, sizeof(got)) && strcmp(got, value) == 0;
}

/* Every response carries Date and Server. */
static void
resp_common(const struct resp *r, int line)
{
	char value[VALUE_MAX];

	ck_assert_msg(resp_get(r, "Date", value, sizeof(value)) &&
			  http_date_parse(value) > 0,
	    "row at line %d: no valid Date", line);
	ck_assert_msg(
	    resp_has(r, "Server", "mpmd"), "row at line %d: no Server", line);
}

/* Sends one request on a fresh connection and parses the answer. */
static void
exchange(
    struct client *cl, const char *req, bool head_req, struct resp *r, int line)
{
	cl_open(cl);
	cl_send(cl, req);
	cl_run(cl);
	ck_assert_msg(cl_next(cl, head_req, r),
	    "row at line %d: no complete response in %zu bytes: %.*s", line,
	    cl->len, (int)cl->len, cl->buf);
	resp_common(r, line);
}

struct case_ {
	int line;
	const char *req;
	int status;
	const char *h1, *v1; /* expected header, or NULL */
	const char *h2, *v2;
	const char *body;   /* expected body, or NULL */
	const char *absent; /* header that must be missing, or NULL */
};

static void
run_case(const struct case_ *t, bool head_req)
{
	struct client cl;
	struct resp r;
	char got[VALUE_MAX];

	exchange(&cl, t->req, head_req, &r, t->line);
	ck_assert_msg(r.status == t->status, "row at line %d: status %d",
	    t->line, r.status);
	if (t->h1 != NULL)
		ck_assert_msg(resp_has(&r, t->h1, t->v1),
		    "row at line %d: %s is '%s'", t->line, t->h1,
		    resp_get(&r, t->h1, got, sizeof(got)) ? got : "(none)");
	if (t->h2 != NULL)
		ck_assert_msg(resp_has(&r, t->h2, t->v2),
		    "row at line %d: %s is '%s'", t->line, t->h2,
		    resp_get(&r, t->h2, got, sizeof(got)) ? got : "(none)");
	if (t->body != NULL)
		ck_assert_msg(r.bodylen == strlen(t->body) &&
				  memcmp(r.body, t->body, r.bodylen) == 0,
		    "row at line %d: body '%.*s'", t->line, (int)r.bodylen,
		    r.body);
	if (t->absent != NULL)
		ck_assert_msg(!resp_get(&r, t->absent, got, sizeof(got)),
		    "row at line %d: unexpected %s", t->line, t->absent);
	cl_close(&cl);
}

static void
run_cases(const struct case_ *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		run_case(&t[i], strncmp(t[i].req, "HEAD ", 5) == 0);
}

#define GET(path) "GET " path " HTTP/1.1\r\nHost: x\r\n\r\n"
#define TEXT      "text/plain; charset=utf-8"
#define HTML      "text/html; charset=utf-8"
#define NCASES(t) (sizeof(t) / sizeof((t)[0]))

/* --- path mapping --- */

static const struct case_ path_cases[] = {
	{ __LINE__, GET("/hello.txt"), 200, "Content-Type", TEXT,
	    "Content-Length", "12", "hello world\n", NULL },
	{ __LINE__, GET("/a%20b.txt"), 200, NULL, NULL, NULL, NULL, "spaced\n",
	    NULL },
	{ __LINE__, GET("/%68ello.txt"), 200, NULL, NULL, NULL, NULL,
	    "hello world\n", NULL },
	{ __LINE__, GET("/sub/../hello.txt"), 200, NULL, NULL, NULL, NULL,
	    "hello world\n", NULL },
	{ __LINE__, GET("/./sub/./../hello.txt"), 200, NULL, NULL, NULL, NULL,
	    "hello world\n", NULL },
	{ __LINE__, GET("/../../hello.txt"), 200, NULL, NULL, NULL, NULL,
	    "hello world\n", NULL },
	{ __LINE__, GET("/%2e%2e/%2e%2e/etc/passwd"), 404, "Content-Type", HTML,
	    NULL, NULL, NULL, NULL },
	{ __LINE__, GET("//hello.txt"), 200, NULL, NULL, NULL, NULL,
	    "hello world\n", NULL },
	{ __LINE__, GET("/in.txt"), 200, NULL, NULL, NULL, NULL,
	    "hello world\n", NULL },
	{ __LINE__, GET("/sub/up.txt"), 200, NULL, NULL, NULL, NULL,
	    "hello world\n", NULL },
	{ __LINE__, GET("/out.txt"), 404, NULL, NULL, NULL, NULL, NULL, NULL },
	{ __LINE__, GET("/rel-out.txt"), 404, NULL, NULL, NULL, NULL, NULL,
	    NULL },
	{ __LINE__, GET("/outdir/secret.txt"), 404, NULL, NULL, NULL, NULL,
	    NULL, NULL },
	{ __LINE__, GET("/magic.txt"), 404, NULL, NULL, NULL, NULL, NULL,
	    NULL },
	{ __LINE__, GET("/missing.txt"), 404, "Connection", "keep-alive", NULL,
	    NULL, NULL, NULL },
	{ __LINE__, GET("/hello.txt/"), 404, NULL, NULL, NULL, NULL, NULL,
	    NULL },
	{ __LINE__, GET("/fifo"), 403, "Connection", "keep-alive", NULL, NULL,
	    NULL, NULL },
	{ __LINE__, GET("/bad%zz"), 400, "Connection", "close", NULL, NULL,
	    NULL, NULL },
	{ __LINE__, GET("/nul%00.txt"), 400, NULL, NULL, NULL, NULL, NULL,
	    NULL },
	{ __LINE__, "GET http://x/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 200,
	    NULL, NULL, NULL, NULL, "hello world\n", NULL },
	{ __LINE__, GET("/hello.txt?a=b"), 200, NULL, NULL, NULL, NULL,
	    "hello world\n", NULL },
	{ __LINE__, GET("/page.html"), 200, "Content-Type", HTML, NULL, NULL,
	    "<p>page</p>\n", NULL },
	{ __LINE__, GET("/style.css"), 200, "Content-Type",
	    "text/css; charset=utf-8", NULL, NULL, NULL, NULL },
	{ __LINE__, GET("/app.js"), 200, "Content-Type",
	    "application/javascript; charset=utf-8", NULL, NULL, NULL, NULL },
	{ __LINE__, GET("/img.png"), 200, "Content-Type", "image/png", NULL,
	    NULL, NULL, NULL },
	{ __LINE__, GET("/noext"), 200, "Content-Type",
	    "application/octet-stream", NULL, NULL, NULL, NULL },
	{ __LINE__, GET("/empty.txt"), 200, "Content-Length", "0", NULL, NULL,
	    "", NULL },
	{ __LINE__, GET("/hello.txt"), 200, "ETag", "{etag}", "Accept-Ranges",
	    "bytes", NULL, NULL },
};

START_TEST(test_paths)
{
	struct case_ t[NCASES(path_cases)];
	size_t i;

	memcpy(t, path_cases, sizeof(t));
	for (i = 0; i < NCASES(t); i++)
		if (t[i].v1 != NULL && strcmp(t[i].v1, "{etag}") == 0)
			t[i].v1 = hello_etag;
	run_cases(t, NCASES(t));
}
END_TEST

START_TEST(test_last_modified)
{
	static const struct case_ t[] = {
		{ __LINE__, GET("/hello.txt"), 200, NULL, NULL, NULL, NULL,
		    NULL, NULL },
	};
	struct case_ c = t[0];

	c.h1 = "Last-Modified";
	c.v1 = hello_lm;
	run_case(&c, false);
}
END_TEST

/*
 * Root reads mode 000 files, so as root the case runs with the effective
 * uid of nobody (this forked test only), which also drops the effective
 * capabilities; the saved uid brings root back for the teardown.
 */
START_TEST(test_unreadable)
{
	static const struct case_ t[] = {
		{ __LINE__, GET("/locked.txt"), 403, "Connection", "keep-alive",
		    NULL, NULL, NULL, NULL },
		{ __LINE__, GET("/hello.txt"), 200, NULL, NULL, NULL, NULL,
		    "hello world\n", NULL },
	};
	bool root_user = (geteuid() == 0);

	if (root_user) {
		ck_assert_int_eq(chmod(docroot.dir, 0755), 0);
		ck_assert_msg(
		    seteuid(NOBODY_UID) == 0, "seteuid: %s", strerror(errno));
	}
	run_cases(t, NCASES(t));
	if (root_user)
		ck_assert_int_eq(seteuid(0), 0);
}
END_TEST

/* --- directories --- */

static const struct case_ dir_cases[] = {
	{ __LINE__, GET("/sub"), 301, "Location", "/sub/", "Content-Type", HTML,
	    NULL, NULL },
	{ __LINE__, GET("/sub?x=1&y"), 301, "Location", "/sub/?x=1&y", NULL,
	    NULL, NULL, NULL },
	{ __LINE__, GET("/a%20dir"), 301, "Location", "/a%20dir/", NULL, NULL,
	    NULL, NULL },
	{ __LINE__, "HEAD /sub HTTP/1.1\r\nHost: x\r\n\r\n", 301, "Location",
	    "/sub/", NULL, NULL, "", NULL },
	{ __LINE__, GET("/sub/"), 200, "Content-Type", HTML, NULL, NULL,
	    "<p>sub</p>\n", NULL },
	{ __LINE__, GET("/a%20dir/"), 200, NULL, NULL, NULL, NULL,
	    "<p>a dir</p>\n", NULL },
	{ __LINE__, GET("/"), 200, NULL, NULL, NULL, NULL, "<p>root</p>\n",
	    NULL },
	{ __LINE__, GET("/noindex/"), 403, "Connection", "keep-alive", NULL,
	    NULL, NULL, NULL },
	{ __LINE__, GET("/noindex/file.txt"), 200, NULL, NULL, NULL, NULL,
	    "file\n", NULL },
	{ __LINE__, GET("/alt/"), 403, NULL, NULL, NULL, NULL, NULL, NULL },
	{ __LINE__, GET("/outdir/"), 404, NULL, NULL, NULL, NULL, NULL, NULL },
};

START_TEST(test_dirs)
{
	run_cases(dir_cases, NCASES(dir_cases));
}
END_TEST

START_TEST(test_directory_index)
{
	static const struct case_ t[] = {
		{ __LINE__, GET("/alt/"), 200, "Content-Type", HTML, NULL, NULL,
		    "alt\n", NULL },
		{ __LINE__, GET("/sub/"), 200, NULL, NULL, NULL, NULL,
		    "<p>sub</p>\n", NULL },
		{ __LINE__, GET("/noindex/"), 403, NULL, NULL, NULL, NULL, NULL,
		    NULL },
	};

	set_index("index.html", "default.htm");
	run_cases(t, NCASES(t));
}
END_TEST

/* --- methods --- */

static const struct case_ method_cases[] = {
	{ __LINE__, "POST /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 405, "Allow",
	    "GET, HEAD", "Content-Type", HTML, NULL, NULL },
	{ __LINE__, "DELETE /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 405,
	    "Allow", "GET, HEAD", "Connection", "keep-alive", NULL, NULL },
	{ __LINE__,
	    "PUT /new.txt HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 3\r\n\r\nabc",
	    405, "Allow", "GET, HEAD", NULL, NULL, NULL, NULL },
	{ __LINE__, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 405, "Allow",
	    "GET, HEAD", NULL, NULL, NULL, NULL },
	{ __LINE__, "HEAD /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 200,
	    "Content-Length", "12", "Content-Type", TEXT, "", NULL },
	{ __LINE__, "HEAD /missing HTTP/1.1\r\nHost: x\r\n\r\n", 404,
	    "Content-Type", HTML, NULL, NULL, "", NULL },
};

START_TEST(test_methods)
{
	run_cases(method_cases, NCASES(method_cases));
}
END_TEST

/* HEAD: the same head as GET, no body, the connection stays usable. */
START_TEST(test_head_like_get)
{
	struct client cl;
	struct resp a, b, c;
	char la[VALUE_MAX], lb[VALUE_MAX];

	cl_open(&cl);
	cl_send(&cl, "HEAD /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"
		     "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"
		     "HEAD /missing HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_eq(cl_run(&cl), CONN_IO_READ);
	ck_assert(cl_next(&cl, true, &a));
	ck_assert(cl_next(&cl, false, &b));
	ck_assert(cl_next(&cl, true, &c));
	ck_assert_int_eq(cl.off, cl.len);
	ck_assert(resp_get(&a, "Content-Length", la, sizeof(la)));
	ck_assert(resp_get(&b, "Content-Length", lb, sizeof(lb)));
	ck_assert_str_eq(la, lb);
	ck_assert(resp_has(&a, "ETag", hello_etag));
	ck_assert_int_eq(c.status, 404);
	ck_assert_mem_eq(b.body, "hello world\n", b.bodylen);
	cl_close(&cl);
}
END_TEST

/* --- ranges --- */

#define RANGE(r)     "GET /hello.txt HTTP/1.1\r\nHost: x\r\nRange: " r "\r\n\r\n"
#define RANGE_BIG(r) "GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: " r "\r\n\r\n"

static const struct case_ range_http_cases[] = {
	{ __LINE__, RANGE("bytes=0-4"), 206, "Content-Range", "bytes 0-4/12",
	    "Content-Length", "5", "hello", NULL },
	{ __LINE__, RANGE("bytes=6-"), 206, "Content-Range", "bytes 6-11/12",
	    NULL, NULL, "world\n", NULL },
	{ __LINE__, RANGE("bytes=-6"), 206, "Content-Range", "bytes 6-11/12",
	    NULL, NULL, "world\n", NULL },
	{ __LINE__, RANGE("bytes=20-"), 416, "Content-Range", "bytes */12",
	    "Connection", "keep-alive", NULL, NULL },
	{ __LINE__, RANGE("bytes=0-1,3-4"), 200, "Content-Length", "12", NULL,
	    NULL, "hello world\n", "Content-Range" },
	{ __LINE__, RANGE("bytes=x"), 200, NULL, NULL, NULL, NULL,
	    "hello world\n", "Content-Range" },
	{ __LINE__, RANGE("lines=1-2"), 200, NULL, NULL, NULL, NULL,
	    "hello world\n", NULL },
	{ __LINE__,
	    "HEAD /hello.txt HTTP/1.1\r\nHost: x\r\n"
	    "Range: bytes=0-4\r\n\r\n",
	    200, "Content-Length", "12", NULL, NULL, "", "Content-Range" },
	{ __LINE__,
	    "GET /hello.txt HTTP/1.1\r\nHost: x\r\n"
	    "Range: bytes=0-4\r\nIf-Range: {etag}\r\n\r\n",
	    206, "Content-Range", "bytes 0-4/12", NULL, NULL, "hello", NULL },
	{ __LINE__,
	    "GET /hello.txt HTTP/1.1\r\nHost: x\r\n"
	    "Range: bytes=0-4\r\nIf-Range: \"other\"\r\n\r\n",
	    200, NULL, NULL, NULL, NULL, "hello world\n", NULL },
	{ __LINE__,
	    "GET /hello.txt HTTP/1.1\r\nHost: x\r\n"
	    "Range: bytes=0-4\r\nIf-Range: W/{etag}\r\n\r\n",
	    200, NULL, NULL, NULL, NULL, "hello world\n", NULL },
	{ __LINE__,
	    "GET /hello.txt HTTP/1.1\r\nHost: x\r\n"
	    "Range: bytes=0-4\r\nIf-Range: {lm}\r\n\r\n",
	    206, NULL, NULL, NULL, NULL, "hello", NULL },
	{ __LINE__,
	    "GET /hello.txt HTTP/1.1\r\nHost: x\r\n"
	    "Range: bytes=0-4\r\nIf-Range: {old}\r\n\r\n",
	    200, NULL, NULL, NULL, NULL, "hello world\n", NULL },
	{ __LINE__,
	    "GET /empty.txt HTTP/1.1\r\nHost: x\r\n"
	    "Range: bytes=0-\r\n\r\n",
	    416, "Content-Range", "bytes */0", NULL, NULL, NULL, NULL },
};

START_TEST(test_ranges)
{
	run_cases(range_http_cases, NCASES(range_http_cases));
}
END_TEST

/* A range of a file too big for the socket buffer, sent over many steps. */
START_TEST(test_big_file)
{
	static const struct {
		int line;
		const char *req;
		int status;
		size_t first, len;
	} t[] = {
		{ __LINE__, GET("/big.bin"), 200, 0, DOCROOT_BIG_SIZE },
		{ __LINE__, RANGE_BIG("bytes=100000-249999"), 206, 100000,
		    150000 },
		{ __LINE__, RANGE_BIG("bytes=-10"), 206, DOCROOT_BIG_SIZE - 10,
		    10 },
	};
	struct client cl;
	struct resp r;
	size_t i, k;

	for (i = 0; i < NCASES(t); i++) {
		exchange(&cl, t[i].req, false, &r, t[i].line);
		ck_assert_msg(r.status == t[i].status, "row at line %d: %d",
		    t[i].line, r.status);
		ck_assert_msg(r.bodylen == t[i].len, "row at line %d: %zu",
		    t[i].line, r.bodylen);
		for (k = 0; k < r.bodylen; k++)
			ck_assert_msg(
			    r.body[k] == (char)('a' + (t[i].first + k) % 26),
			    "row at line %d: byte %zu", t[i].line, k);
		ck_assert_int_eq(cl.io, CONN_IO_READ);
		cl_close(&cl);
	}
}
END_TEST

/* --- conditionals --- */

#define COND(h) "GET /hello.txt HTTP/1.1\r\nHost: x\r\n" h "\r\n"

static const struct case_ cond_cases[] = {
	{ __LINE__, COND("If-None-Match: {etag}\r\n"), 304, "ETag", "{etag}",
	    "Last-Modified", "{lm}", "", "Content-Length" },
	{ __LINE__, COND("If-None-Match: \"nope\"\r\n"), 200, NULL, NULL, NULL,
	    NULL, "hello world\n", NULL },
	{ __LINE__, COND("If-None-Match: \"a\", {etag}, \"b\"\r\n"), 304, NULL,
	    NULL, NULL, NULL, "", NULL },
	{ __LINE__, COND("If-None-Match: \"a\",\"b\"\r\n"), 200, NULL, NULL,
	    NULL, NULL, "hello world\n", NULL },
	{ __LINE__, COND("If-None-Match: *\r\n"), 304, NULL, NULL, NULL, NULL,
	    "", NULL },
	{ __LINE__, COND("If-None-Match: W/{etag}\r\n"), 304, NULL, NULL, NULL,
	    NULL, "", NULL },
	{ __LINE__, COND("If-None-Match: garbage, {etag}\r\n"), 200, NULL, NULL,
	    NULL, NULL, NULL, NULL },
	{ __LINE__, COND("If-Modified-Since: {lm}\r\n"), 304, "ETag", "{etag}",
	    NULL, NULL, "", "Content-Type" },
	{ __LINE__, COND("If-Modified-Since: {new}\r\n"), 304, NULL, NULL, NULL,
	    NULL, "", NULL },
	{ __LINE__, COND("If-Modified-Since: {old}\r\n"), 200, NULL, NULL, NULL,
	    NULL, "hello world\n", NULL },
	/* later than the server's clock: invalid, ignored (Apache) */
	{ __LINE__, COND("If-Modified-Since: {future}\r\n"), 200, NULL, NULL,
	    NULL, NULL, "hello world\n", NULL },
	{ __LINE__, COND("If-Modified-Since: yesterday\r\n"), 200, NULL, NULL,
	    NULL, NULL, "hello world\n", NULL },
	{ __LINE__,
	    COND("If-None-Match: \"nope\"\r\n"
		 "If-Modified-Since: {lm}\r\n"),
	    200, NULL, NULL, NULL, NULL, "hello world\n", NULL },
	{ __LINE__,
	    COND("If-None-Match: {etag}\r\n"
		 "If-Modified-Since: {old}\r\n"),
	    304, NULL, NULL, NULL, NULL, "", NULL },
	{ __LINE__,
	    "HEAD /hello.txt HTTP/1.1\r\nHost: x\r\n"
	    "If-None-Match: {etag}\r\n\r\n",
	    304, "Connection", "keep-alive", NULL, NULL, "", NULL },
	{ __LINE__, COND("If-None-Match: {etag}\r\nRange: bytes=0-1\r\n"), 304,
	    NULL, NULL, NULL, NULL, "", NULL },
};

static const char *
cond_value(const char *v)
{
	if (v != NULL && strcmp(v, "{etag}") == 0)
		return hello_etag;
	if (v != NULL && strcmp(v, "{lm}") == 0)
		return hello_lm;
	return v;
}

START_TEST(test_conditionals)
{
	struct case_ t[NCASES(cond_cases)];
	size_t i;

	memcpy(t, cond_cases, sizeof(t));
	for (i = 0; i < NCASES(t); i++) {
		t[i].v1 = cond_value(t[i].v1);
		t[i].v2 = cond_value(t[i].v2);
	}
	run_cases(t, NCASES(t));
}
END_TEST

/* --- keep-alive, pipelining, bodies --- */

struct flow_case {
	int line;
	const char *req;
	int status[4];         /* expected responses in order, 0-terminated */
	const char *conn_last; /* Connection of the last one */
	enum conn_io io;       /* what the connection waits for after */
};

static void
run_flow(const struct flow_case *t)
{
	struct client cl;
	struct resp r;
	size_t k;

	cl_open(&cl);
	cl_send(&cl, t->req);
	cl_run(&cl);
	ck_assert_msg(cl.io == t->io, "row at line %d: io %d", t->line, cl.io);
	for (k = 0; t->status[k] != 0; k++) {
		ck_assert_msg(cl_next(&cl, false, &r),
		    "row at line %d: response %zu missing", t->line, k);
		resp_common(&r, t->line);
		ck_assert_msg(r.status == t->status[k],
		    "row at line %d: response %zu is %d", t->line, k, r.status);
	}
	ck_assert_msg(cl.off == cl.len, "row at line %d: extra bytes '%.*s'",
	    t->line, (int)(cl.len - cl.off), cl.buf + cl.off);
	ck_assert_msg(resp_has(&r, "Connection", t->conn_last),
	    "row at line %d: Connection", t->line);
	if (cl.io == CONN_IO_READ && strcmp(t->conn_last, "close") == 0) {
		/* lingering: ends when the client closes its side */
		shutdown(cl.fd, SHUT_WR);
		ck_assert_msg(cl_run(&cl) == CONN_IO_CLOSE,
		    "row at line %d: no close after linger", t->line);
		ck_assert_msg(cl.len == cl.off,
		    "row at line %d: answered after close", t->line);
	}
	cl_close(&cl);
}

static const struct flow_case flow_cases[] = {
	{ __LINE__, GET("/hello.txt") GET("/sub/"), { 200, 200 }, "keep-alive",
	    CONN_IO_READ },
	{ __LINE__, GET("/hello.txt") GET("/missing") GET("/sub"),
	    { 200, 404, 301 }, "keep-alive", CONN_IO_READ },
	/* input after a close: lingering, so it cannot reset the answer */
	{ __LINE__,
	    "GET /hello.txt HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n" GET("/hello.txt"),
	    { 200 }, "close", CONN_IO_READ },
	/* the client closes and sent nothing more: closed at once */
	{ __LINE__,
	    "GET /hello.txt HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n",
	    { 200 }, "close", CONN_IO_CLOSE },
	/* the body is discarded, never parsed as a request */
	{ __LINE__,
	    "POST /hello.txt HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 34\r\n\r\n"
	    "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n" GET("/hello.txt"),
	    { 405, 200 }, "keep-alive", CONN_IO_READ },
	{ __LINE__,
	    "POST / HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "5\r\nGET /\r\n0\r\n\r\n" GET("/hello.txt"),
	    { 405, 200 }, "keep-alive", CONN_IO_READ },
	{ __LINE__,
	    "GET /hello.txt HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 4\r\n\r\nabcd" GET("/sub/"),
	    { 200, 200 }, "keep-alive", CONN_IO_READ },
	{ __LINE__,
	    "POST / HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "zz\r\n" GET("/hello.txt"),
	    { 400 }, "close", CONN_IO_READ },
	/* parse errors: answered, then nothing more is read or answered */
	{ __LINE__,
	    "GET / HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n" GET(
		"/hello.txt"),
	    { 400 }, "close", CONN_IO_READ },
	{ __LINE__, "GET / HTTP/2.0\r\nHost: x\r\n\r\n" GET("/hello.txt"),
	    { 505 }, "close", CONN_IO_READ },
	{ __LINE__, "GET / HTTP/1.1\r\n\r\n" GET("/hello.txt"), { 400 },
	    "close", CONN_IO_READ },
	{ __LINE__, "GET / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n",
	    { 417 }, "close", CONN_IO_READ },
	{ __LINE__,
	    "GET / HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n\r\n",
	    { 501 }, "close", CONN_IO_READ },
	{ __LINE__,
	    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	    { 400 }, "close", CONN_IO_READ },
	{ __LINE__,
	    "POST / HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 2000000\r\n\r\n",
	    { 413 }, "close", CONN_IO_READ },
	{ __LINE__,
	    "GET / HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 2000000\r\n\r\n",
	    { 413 }, "close", CONN_IO_READ },
	/* HTTP/1.0 */
	{ __LINE__, "GET /hello.txt HTTP/1.0\r\n\r\n", { 200 }, "close",
	    CONN_IO_CLOSE },
	{ __LINE__,
	    "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" GET(
		"/hello.txt"),
	    { 200, 200 }, "keep-alive", CONN_IO_READ },
	/* 100-continue with the body already there: no 100 */
	{ __LINE__,
	    "GET /hello.txt HTTP/1.1\r\nHost: x\r\n"
	    "Expect: 100-continue\r\nContent-Length: 2\r\n\r\nab",
	    { 200 }, "keep-alive", CONN_IO_READ },
	/* 100-continue for a refused request: answered at once, closed */
	{ __LINE__,
	    "POST /hello.txt HTTP/1.1\r\nHost: x\r\n"
	    "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n",
	    { 405 }, "close", CONN_IO_READ },
};

START_TEST(test_flows)
{
	size_t i;

	for (i = 0; i < NCASES(flow_cases); i++)
		run_flow(&flow_cases[i]);
}
END_TEST

START_TEST(test_request_line_limit)
{
	char req[REQ_MAX], target[REQ_MAX / 2];
	struct flow_case t = { __LINE__, req, { 414 }, "close", CONN_IO_READ };

	conf.limit_request_line = 256;
	memset(target, 'a', 300);
	target[300] = '\0';
	snprintf(
	    req, sizeof(req), "GET /%s HTTP/1.1\r\nHost: x\r\n\r\n", target);
	run_flow(&t);
}
END_TEST

/* A head that stays within every field limit but not the buffer cap. */
START_TEST(test_head_buffer_cap)
{
	struct flow_case t = { __LINE__, NULL, { 431 }, "close", CONN_IO_READ };
	struct client cl;
	struct resp r;
	char field[1024];
	int i;

	conf.limit_request_fields = 1000;
	memset(field, 'v', sizeof(field));
	memcpy(field, "X-Pad: ", 7);
	memcpy(field + sizeof(field) - 2, "\r\n", 2);
	cl_open(&cl);
	cl_send(&cl, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (i = 0; i < 80 && cl.c != NULL && cl.len == 0; i++) {
		cl_write(&cl, field, sizeof(field));
		cl_run(&cl);
	}
	ck_assert_msg(cl_next(&cl, false, &r), "row at line %d", t.line);
	ck_assert_int_eq(r.status, 431);
	ck_assert(resp_has(&r, "Connection", "close"));
	cl_close(&cl);
}
END_TEST

START_TEST(test_continue)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct client cl;
	struct resp r;

	cl_open(&cl);
	cl_send(&cl, "GET /hello.txt HTTP/1.1\r\nHost: x\r\n"
		     "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n");
	ck_assert_int_eq(cl_run(&cl), CONN_IO_READ);
	ck_assert_uint_eq(cl.len, strlen(cont));
	ck_assert_mem_eq(cl.buf, cont, strlen(cont));
	cl.off = cl.len;
	cl_send(&cl, "ab");
	ck_assert_int_eq(cl_run(&cl), CONN_IO_READ);
	ck_assert_uint_eq(cl.off, cl.len);
	cl_send(&cl, "cde" GET("/sub/"));
	ck_assert_int_eq(cl_run(&cl), CONN_IO_READ);
	ck_assert(cl_next(&cl, false, &r));
	ck_assert_int_eq(r.status, 200);
	ck_assert_mem_eq(r.body, "hello world\n", r.bodylen);
	ck_assert(cl_next(&cl, false, &r));
	ck_assert_int_eq(r.status, 200);
	ck_assert(resp_has(&r, "Connection", "keep-alive"));
	cl_close(&cl);
}
END_TEST

/* Requests trickling in a byte at a time, pipelined, over many steps. */
START_TEST(test_byte_at_a_time)
{
	static const char req[] = "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"
				  "POST / HTTP/1.1\r\nHost: x\r\n"
				  "Transfer-Encoding: chunked\r\n\r\n"
				  "3\r\nabc\r\n0\r\n\r\n" GET("/sub/");
	static const int want[] = { 200, 405, 200 };
	struct client cl;
	struct resp r;
	size_t i;

	cl_open(&cl);
	for (i = 0; i < sizeof(req) - 1; i++) {
		cl_write(&cl, req + i, 1);
		ck_assert_int_eq(cl_run(&cl), CONN_IO_READ);
	}
	for (i = 0; i < NCASES(want); i++) {
		ck_assert_msg(cl_next(&cl, false, &r), "response %zu", i);
		ck_assert_int_eq(r.status, want[i]);
	}
	ck_assert_uint_eq(cl.off, cl.len);
	cl_close(&cl);
}
END_TEST

/*
 * Another connection runs on this thread and overwrites the scratch
 * buffers with a request and a head at least as long as the test's.
 */
static void
run_other(void)
{
	char req[REQ_MAX], query[QUERY_LEN + QUERY_LEN / 10];
	struct client other;
	struct resp r;

	memset(query, 'z', sizeof(query) - 1);
	query[sizeof(query) - 1] = '\0';
	snprintf(
	    req, sizeof(req), "GET /sub?%s HTTP/1.1\r\nHost: x\r\n\r\n", query);
	cl_open(&other);
	cl_write(&other, req, strlen(req));
	cl_run(&other);
	ck_assert(cl_next(&other, false, &r));
	ck_assert_int_eq(r.status, 301);
	cl_close(&other);
}

/*
 * A response head bigger than the socket buffer and a pipelined request
 * behind it: both must survive a wait during which another connection
 * reuses the thread's buffers.
 */
START_TEST(test_state_across_waits)
{
	char req[REQ_MAX], query[QUERY_LEN + 1], want[QUERY_LEN + 16];
	char got[REQ_MAX];
	struct client cl;
	struct resp r;
	int one = 1;

	memset(query, 'q', QUERY_LEN);
	query[QUERY_LEN] = '\0';
	snprintf(req, sizeof(req),
	    "GET /sub?%s HTTP/1.1\r\nHost: x\r\n\r\n" GET("/hello.txt"), query);
	snprintf(want, sizeof(want), "/sub/?%s", query);
	cl_open(&cl);
	ck_assert_int_eq(
	    setsockopt(conn_fd(cl.c), SOL_SOCKET, SO_SNDBUF, &one, sizeof(one)),
	    0);
	cl_write(&cl, req, strlen(req));
	ck_assert_int_eq(conn_step(cl.c), CONN_IO_WRITE);
	run_other();
	ck_assert_int_eq(cl_run(&cl), CONN_IO_READ);
	ck_assert(cl_next(&cl, false, &r));
	ck_assert_int_eq(r.status, 301);
	ck_assert(resp_get(&r, "Location", got, sizeof(got)));
	ck_assert_str_eq(got, want);
	ck_assert(cl_next(&cl, false, &r));
	ck_assert_int_eq(r.status, 200);
	ck_assert_mem_eq(r.body, "hello world\n", r.bodylen);
	ck_assert_uint_eq(cl.off, cl.len);
	cl_close(&cl);
}
END_TEST

/* The client goes away in the middle of a file: closed, nothing else. */
START_TEST(test_client_gone)
{
	struct client cl;
	enum conn_io io;
	int i;

	cl_open(&cl);
	cl_send(&cl, GET("/big.bin"));
	ck_assert_int_eq(conn_step(cl.c), CONN_IO_WRITE);
	close(cl.fd);
	cl.fd = -1;
	for (i = 0; i < MAX_SPINS; i++)
		if ((io = conn_step(cl.c)) != CONN_IO_WRITE)
			break;
	ck_assert_int_eq(io, CONN_IO_CLOSE);
	cl_close(&cl);
}
END_TEST

/* Connection: of responses 1..n on one connection under a setting. */
static void
run_keepalive(int line, const char *const *want, size_t n)
{
	struct client cl;
	struct resp r;
	size_t i;

	cl_open(&cl);
	for (i = 0; i < n; i++)
		cl_send(&cl, GET("/hello.txt"));
	cl_run(&cl);
	for (i = 0; i < n && want[i] != NULL; i++) {
		ck_assert_msg(cl_next(&cl, false, &r),
		    "row at line %d: response %zu", line, i);
		ck_assert_msg(resp_has(&r, "Connection", want[i]),
		    "row at line %d: response %zu not %s", line, i, want[i]);
	}
	ck_assert_msg(cl.off == cl.len, "row at line %d: extra response", line);
	cl_close(&cl);
}

START_TEST(test_keepalive_settings)
{
	static const char *const max2[] = { "keep-alive", "close", NULL };
	static const char *const max1[] = { "close", NULL, NULL };
	static const char *const unlimited[] = { "keep-alive", "keep-alive",
		"keep-alive" };

	conf.max_keepalive_requests = 2;
	run_keepalive(__LINE__, max2, NCASES(max2));
	conf.max_keepalive_requests = 1;
	run_keepalive(__LINE__, max1, NCASES(max1));
	conf.max_keepalive_requests = 0;
	run_keepalive(__LINE__, unlimited, NCASES(unlimited));
	conf.keepalive = false;
	run_keepalive(__LINE__, max1, NCASES(max1));
}
END_TEST

START_TEST(test_graceful)
{
	struct client cl;
	struct resp r;

	cl_open(&cl);
	cl_send(&cl, GET("/hello.txt"));
	ck_assert_int_eq(cl_run(&cl), CONN_IO_READ);
	ck_assert(cl_next(&cl, false, &r));
	ck_assert(resp_has(&r, "Connection", "keep-alive"));
	/* an idle connection is not cut by the drain: it waits */
	atomic_store(&graceful, 1);
	ck_assert_int_eq(cl_run(&cl), CONN_IO_READ);
	ck_assert(conn_idle(cl.c));
	cl_send(&cl, GET("/hello.txt"));
	ck_assert_int_eq(cl_run(&cl), CONN_IO_READ);
	ck_assert(cl_next(&cl, false, &r));
	ck_assert_int_eq(r.status, 200);
	ck_assert(resp_has(&r, "Connection", "close"));
	ck_assert(!conn_idle(cl.c));
	shutdown(cl.fd, SHUT_WR);
	ck_assert_int_eq(cl_run(&cl), CONN_IO_CLOSE);
	cl_close(&cl);
}
END_TEST

/* --- timeouts --- */

START_TEST(test_expire)
{
	static const struct {
		int line;
		const char *req;
		int status; /* 0: closed silently */
	} t[] = {
		{ __LINE__, "", 0 },
		{ __LINE__, "GET /hel", 408 },
		{ __LINE__, "GET /hello.txt HTTP/1.1\r\nHost: x\r\n", 408 },
		{ __LINE__,
		    "POST / HTTP/1.1\r\nHost: x\r\n"
		    "Content-Length: 10\r\n\r\nabc",
		    408 },
		{ __LINE__, GET("/hello.txt"), 0 },
	};
	struct client cl;
	struct resp r;
	size_t i;
	int64_t now;

	for (i = 0; i < NCASES(t); i++) {
		cl_open(&cl);
		now = mono_ms();
		ck_assert_msg(
		    conn_deadline(cl.c) > now, "row at line %d", t[i].line);
		cl_send(&cl, t[i].req);
		cl_run(&cl);
		cl.off = cl.len; /* only what expiry sends counts */
		cl.io = conn_expire(cl.c);
		if (t[i].status == 0) {
			ck_assert_msg(cl.io == CONN_IO_CLOSE,
			    "row at line %d: io %d", t[i].line, cl.io);
			cl_drain(&cl);
			ck_assert_msg(cl.len == cl.off,
			    "row at line %d: sent something", t[i].line);
			conn_free(cl.c);
			cl.c = NULL;
			cl_close(&cl);
			continue;
		}
		cl_drain(&cl);
		if (cl.io == CONN_IO_WRITE)
			cl_run(&cl);
		ck_assert_msg(
		    cl_next(&cl, false, &r), "row at line %d", t[i].line);
		ck_assert_msg(r.status == t[i].status,
		    "row at line %d: status %d", t[i].line, r.status);
		ck_assert(resp_has(&r, "Connection", "close"));
		/* then the lingering close, which expires too */
		ck_assert_int_eq(conn_expire(cl.c), CONN_IO_CLOSE);
		conn_free(cl.c);
		cl.c = NULL;
		cl_close(&cl);
	}
}
END_TEST

START_TEST(test_deadlines)
{
	struct client cl;
	int64_t before;

	conf.read_header.timeout = 7;
	conf.keepalive_timeout = 3;
	conf.timeout = 11;
	before = mono_ms();
	cl_open(&cl);
	ck_assert_int_ge(conn_deadline(cl.c), before + 7000);
	ck_assert_int_le(conn_deadline(cl.c), mono_ms() + 7000);
	cl_send(&cl, GET("/hello.txt"));
	cl_run(&cl);
	before = mono_ms();
	ck_assert_int_le(conn_deadline(cl.c), before + 3000);
	ck_assert_int_ge(conn_deadline(cl.c), before + 3000 - 1000);
	cl_close(&cl);
}
END_TEST

/* --- access log --- */

/* The line without its "[date]" so rows need not know the time. */
static void
strip_time(char *line)
{
	char *a = strchr(line, '['), *b = a ? strchr(a, ']') : NULL;

	ck_assert_ptr_nonnull(b);
	memmove(a, b + 1, strlen(b + 1) + 1);
}

struct log_case {
	int line;
	enum conf_log_format fmt;
	const char *req;
	const char *want; /* whole log output, times removed */
};

static const struct log_case log_cases[] = {
	{ __LINE__, CONF_LOG_COMBINED,
	    "GET /hello.txt HTTP/1.1\r\nHost: x\r\nReferer: http://r/\r\n"
	    "User-Agent: ua \"q\" \\ \t\xc3\xa9\r\n\r\n",
	    "192.0.2.7 - -  \"GET /hello.txt HTTP/1.1\" 200 12 \"http://r/\" "
	    "\"ua \\\"q\\\" \\\\ \\t\\xc3\\xa9\"\n" },
	{ __LINE__, CONF_LOG_COMMON,
	    "GET /hello.txt HTTP/1.1\r\nHost: x\r\nReferer: http://r/\r\n\r\n",
	    "192.0.2.7 - -  \"GET /hello.txt HTTP/1.1\" 200 12\n" },
	{ __LINE__, CONF_LOG_COMBINED, GET("/missing"),
	    "192.0.2.7 - -  \"GET /missing HTTP/1.1\" 404 " },
	{ __LINE__, CONF_LOG_COMBINED,
	    "HEAD /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n",
	    "192.0.2.7 - -  \"HEAD /hello.txt HTTP/1.1\" 200 - \"-\" \"-\"\n" },
	{ __LINE__, CONF_LOG_COMMON, "GET /a%22b?x=%0a HTTP/1.0\r\n\r\n",
	    "192.0.2.7 - -  \"GET /a%22b?x=%0a HTTP/1.0\" 404 " },
	{ __LINE__, CONF_LOG_COMMON, GET("/hello.txt") GET("/empty.txt"),
	    "192.0.2.7 - -  \"GET /hello.txt HTTP/1.1\" 200 12\n"
	    "192.0.2.7 - -  \"GET /empty.txt HTTP/1.1\" 200 -\n" },
	/* rejected by the parser: the line as received */
	{ __LINE__, CONF_LOG_COMMON,
	    "GET /x HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n",
	    "192.0.2.7 - -  \"GET /x HTTP/1.1\" 400 " },
	{ __LINE__, CONF_LOG_COMMON, "GET /\x01 HTTP/1.1\r\n\r\n",
	    "192.0.2.7 - -  \"GET /\\x01 HTTP/1.1\" 400 " },
	{ __LINE__, CONF_LOG_COMBINED,
	    "POST /p HTTP/1.1\r\nHost: x\r\nUser-Agent: u\r\n"
	    "Content-Length: 3\r\n\r\nabc",
	    "192.0.2.7 - -  \"POST /p HTTP/1.1\" 405 " },
};

START_TEST(test_accesslog)
{
	const struct log_case *t;
	char log[LOG_MAX], *p;
	struct client cl;
	size_t i;

	for (i = 0; i < NCASES(log_cases); i++) {
		t = &log_cases[i];
		conf.custom_log_format = t->fmt;
		cl_open(&cl);
		cl_send(&cl, t->req);
		cl_run(&cl);
		cl_close(&cl);
		logpipe_read(&logpipe, log, sizeof(log));
		for (p = log; (p = strchr(p, '[')) != NULL; p++)
			strip_time(p);
		ck_assert_msg(strncmp(log, t->want, strlen(t->want)) == 0,
		    "row at line %d: '%s'", t->line, log);
	}
}
END_TEST

/* The body of a request still arriving when logged: fields survive. */
START_TEST(test_accesslog_slow_body)
{
	char log[LOG_MAX];
	struct client cl;

	cl_open(&cl);
	cl_send(&cl, "POST /p HTTP/1.1\r\nHost: x\r\nReferer: http://r/\r\n"
		     "User-Agent: agent\r\nContent-Length: 3\r\n\r\na");
	ck_assert_int_eq(cl_run(&cl), CONN_IO_READ);
	ck_assert_uint_eq(logpipe_read(&logpipe, log, sizeof(log)), 0);
	/* another connection on this thread reuses the scratch buffers */
	{
		struct client other;

		cl_open(&other);
		cl_send(&other,
		    "GET /zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz HTTP/1.1"
		    "\r\nHost: x\r\nUser-Agent: zzzzzzzzz\r\n\r\n");
		cl_run(&other);
		cl_close(&other);
		logpipe_read(&logpipe, log, sizeof(log));
	}
	cl_send(&cl, "bc");
	ck_assert_int_eq(cl_run(&cl), CONN_IO_READ);
	logpipe_read(&logpipe, log, sizeof(log));
	strip_time(log);
	ck_assert_msg(
	    strncmp(log, "192.0.2.7 - -  \"POST /p HTTP/1.1\" 405 ",
		strlen("192.0.2.7 - -  \"POST /p HTTP/1.1\" 405 ")) == 0,
	    "'%s'", log);
	ck_assert_msg(
	    strstr(log, " \"http://r/\" \"agent\"\n") != NULL, "'%s'", log);
	cl_close(&cl);
}
END_TEST

/* --- scoreboard and status page --- */

static uint64_t
bucket_sum(const struct sb_slot *slot)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < SB_NBUCKETS; i++)
		n += slot->c.buckets[i];
	return n;
}

START_TEST(test_scoreboard_counts)
{
	struct client cl;

	cl_open(&cl);
	cl_send(&cl, GET("/hello.txt") "HEAD /hello.txt HTTP/1.1\r\n"
				       "Host: x\r\n\r\n" GET("/missing"));
	cl_run(&cl);
	ck_assert_uint_eq(own_slot.c.requests, 3);
	ck_assert_uint_ge(own_slot.c.bytes, 12 + 1);
	/* each finished, with its duration, in a bucket */
	ck_assert_uint_eq(own_slot.c.finished, 3);
	ck_assert_uint_eq(bucket_sum(&own_slot), 3);
	cl_close(&cl);
}
END_TEST

/* Where the thread is and what the connection waits for, as it goes. */
START_TEST(test_scoreboard_states)
{
	struct client cl;
	struct resp r;
	int k;

	board_bind(&own_slot, 1);
	cl_open(&cl);
	ck_assert_uint_eq(own_slot.conns[SB_C_READING], 1); /* a new one */
	cl_send(&cl, GET("/hello.txt"));
	cl_run(&cl);
	ck_assert(cl_next(&cl, false, &r));
	ck_assert_uint_eq(own_slot.conns[SB_C_KEEPALIVE], 1);
	ck_assert_uint_eq(own_slot.conns[SB_C_READING], 0);
	ck_assert_uint_eq(own_slot.thread[1], SB_T_KEEPALIVE);
	cl_send(&cl, "GET /hello.txt HTTP/1.1\r\n"); /* half a head */
	cl_run(&cl);
	ck_assert_uint_eq(own_slot.conns[SB_C_READING], 1);
	ck_assert_uint_eq(own_slot.conns[SB_C_KEEPALIVE], 0);
	ck_assert_uint_eq(own_slot.thread[1], SB_T_READING);
	cl_close(&cl);
	for (k = 0; k < SB_C_COUNT; k++)
		ck_assert_uint_eq(own_slot.conns[k], 0);
	/* the half-read request was never logged: no duration for it */
	ck_assert_uint_eq(own_slot.c.finished, 1);
	board_bind(NULL, 0);
}
END_TEST

static void
setup_status(void)
{
	conf.server_status = strdup("/server-status");
	conf.metrics_path = strdup("/metrics");
	conf.status_allow[0].family = AF_INET;
	inet_pton(AF_INET, "192.0.2.0", conf.status_allow[0].addr);
	conf.status_allow[0].prefix = 24;
	conf.nstatus_allow = 1;
	memset(&board, 0, sizeof(board));
	board.h.magic = SB_MAGIC;
	board.h.version = SB_VERSION;
	board.h.nslots = 1000; /* lies: only what is mapped is read */
	board.h.hwm = 1000;
	board.h.active = 3;
	board.h.folded.requests = 100;
	board.s[0].state = SB_READY;
	board.s[0].generation = 3;
	board.s[0].threads = 4;
	board.s[0].busy = 1;
	board.s[0].c.requests = 42;
	board.s[0].c.bytes = 4096;
	board.s[0].thread[0] = SB_T_SENDING;
	board.s[0].thread[1] = SB_T_WAITING;
	board.s[0].thread[2] = SB_T_KEEPALIVE;
	board.s[0].thread[3] = SB_T_READING;
	board.s[1].state = SB_DRAINING;
	board.s[1].generation = 2;
	board.s[1].threads = 4;
	board.s[1].busy = 9; /* more than threads: clamped */
	board.s[1].c.requests = 8;
	board.s[1].thread[0] = SB_T_GRACEFUL;
	ctx.sb_all = &board.h;
	ctx.sb_all_size = sizeof(board);
}

START_TEST(test_status_page)
{
	static const struct case_ t[] = {
		{ __LINE__, GET("/server-status?auto"), 200, "Content-Type",
		    TEXT, "Cache-Control", "no-store", NULL, NULL },
		{ __LINE__, GET("/server-status?json"), 200, "Content-Type",
		    "application/json", NULL, NULL, NULL, NULL },
		{ __LINE__, GET("/server-status"), 200, "Content-Type", HTML,
		    "Cache-Control", "no-store", NULL, NULL },
		{ __LINE__, "HEAD /server-status HTTP/1.1\r\nHost: x\r\n\r\n",
		    200, NULL, NULL, NULL, NULL, "", NULL },
		{ __LINE__, GET("/server-status/x"), 404, NULL, NULL, NULL,
		    NULL, NULL, NULL },
		{ __LINE__, GET("/metrics"), 200, "Content-Type",
		    "text/plain; version=0.0.4; charset=utf-8", "Cache-Control",
		    "no-store", NULL, NULL },
		{ __LINE__, GET("/metrics?x=1"), 200, NULL, NULL, NULL, NULL,
		    NULL, NULL },
		{ __LINE__, "POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 405,
		    "Allow", "GET, HEAD", NULL, NULL, NULL, NULL },
	};
	struct client cl;
	struct resp r;

	static const char *const in_auto[] = { "\nTotal Accesses: 150\n",
		"\nTotal kBytes: 4\n", "\nBusyWorkers: 3\n",
		"\nGracefulWorkers: 1\n", "\nIdleWorkers: 1\n",
		"\nProcesses: 2\n", "\nStopping: 1\n",
		"\nScoreboard: W_KRG...\n" };
	size_t i;

	setup_status();
	run_cases(t, NCASES(t));
	exchange(&cl, GET("/server-status?auto"), false, &r, __LINE__);
	for (i = 0; i < sizeof(in_auto) / sizeof(in_auto[0]); i++)
		ck_assert_msg(memmem(r.body, r.bodylen, in_auto[i],
				  strlen(in_auto[i])) != NULL,
		    "no %s in %.*s", in_auto[i], (int)r.bodylen, r.body);
	cl_close(&cl);
	exchange(&cl, GET("/server-status?json"), false, &r, __LINE__);
	ck_assert_ptr_nonnull(memmem(r.body, r.bodylen,
	    "\"total_accesses\":150", strlen("\"total_accesses\":150")));

	ck_assert_ptr_nonnull(memmem(r.body, r.bodylen,
	    "\"state\":\"draining\"", strlen("\"state\":\"draining\"")));
	cl_close(&cl);
	exchange(&cl, GET("/metrics"), false, &r, __LINE__);
	ck_assert_ptr_nonnull(
	    memmem(r.body, r.bodylen, "\nmpmd_requests_total 150\n",
		strlen("\nmpmd_requests_total 150\n")));
	cl_close(&cl);
}
END_TEST

START_TEST(test_status_denied)
{
	struct client cl;
	struct resp r;

	setup_status();
	cl_open_from(&cl, OTHER_ADDR);
	cl_send(&cl, GET("/server-status?auto") GET("/metrics"));
	cl_run(&cl);
	ck_assert(cl_next(&cl, false, &r));
	ck_assert_int_eq(r.status, 403);
	ck_assert(cl_next(&cl, false, &r)); /* StatusAllow: the metrics too */
	ck_assert_int_eq(r.status, 403);
	cl_close(&cl);
	/* no mapping at all: an empty page, not a crash */
	ctx.sb_all = NULL;
	ctx.sb_all_size = 0;
	exchange(&cl, GET("/server-status?auto"), false, &r, __LINE__);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(memmem(r.body, r.bodylen, "Total Accesses: 0",
	    strlen("Total Accesses: 0")));
	cl_close(&cl);
}
END_TEST

/* --- the PROXY protocol ("Listen ... proxy") --- */

#define B(s)   s, sizeof(s) - 1
#define PP_V1  "PROXY TCP4 203.0.113.9 192.0.2.1 5000 80\r\n"
#define PP_SIG "\r\n\r\n\0\r\nQUIT\n"
#define PP_ADDRS4          \
	"\xCB\x00\x71\x09" \
	"\xC0\x00\x02\x01" \
	"\x13\x88"         \
	"\x00\x50"
#define PP_CLIENT  "203.0.113.9 - - "
#define PP_PROXY   "192.0.2.7 - - " /* the socket's peer: PEER_ADDR */
#define PP_GET     GET("/hello.txt")
#define PP_LOG_GET "\"GET /hello.txt HTTP/1.1\" 200 12 "

struct proxy_case {
	int line;
	unsigned flags; /* of the listener */
	const char *in; /* sent first: a header, then a request */
	size_t inlen;
	const char *want; /* the access log's line begins so; NULL: closed
			     without a byte of answer, nothing logged */
};

static const struct proxy_case proxy_cases[] = {
	{ CK_ROW, CONF_LISTEN_PROXY, B(PP_V1 PP_GET), PP_CLIENT },
	{ CK_ROW, CONF_LISTEN_PROXY,
	    B("PROXY TCP6 2001:db8::9 2001:db8::1 5000 80\r\n" PP_GET),
	    "2001:db8::9 - - " },
	{ CK_ROW, CONF_LISTEN_PROXY, B("PROXY UNKNOWN\r\n" PP_GET), PP_PROXY },
	{ CK_ROW, CONF_LISTEN_PROXY,
	    B(PP_SIG "\x21\x11\x00\x0C" PP_ADDRS4 PP_GET), PP_CLIENT },
	{ CK_ROW, CONF_LISTEN_PROXY,
	    B(PP_SIG "\x21\x11\x00\x11" PP_ADDRS4 "\x04\x00\x02hi" PP_GET),
	    PP_CLIENT },
	{ CK_ROW, CONF_LISTEN_PROXY,
	    B(PP_SIG "\x21\x21\x00\x24"
		     "\x20\x01\x0D\xB8\0\0\0\0\0\0\0\0\0\0\0\x09"
		     "\x20\x01\x0D\xB8\0\0\0\0\0\0\0\0\0\0\0\x01"
		     "\x13\x88\x00\x50" PP_GET),
	    "2001:db8::9 - - " },
	/* a health check: the proxy's own address stands */
	{ CK_ROW, CONF_LISTEN_PROXY,
	    B(PP_SIG "\x20\x11\x00\x0C" PP_ADDRS4 PP_GET), PP_PROXY },
	{ CK_ROW, CONF_LISTEN_PROXY, B(PP_SIG "\x21\x00\x00\x00" PP_GET),
	    PP_PROXY },
	/* no valid header: closed, not answered */
	{ CK_ROW, CONF_LISTEN_PROXY, B(PP_GET), NULL },
	{ CK_ROW, CONF_LISTEN_PROXY, B("\x16\x03\x01\x02\x00\x01\x00"), NULL },
	{ CK_ROW, CONF_LISTEN_PROXY,
	    B("PROXY TCP4 203.0.113.9 192.0.2.1 5000 080\r\n" PP_GET), NULL },
	{ CK_ROW, CONF_LISTEN_PROXY, B(PP_SIG "\x31\x11\x00\x0C" PP_ADDRS4),
	    NULL },
	/* no "proxy" on the listener: a PROXY line is a bad request */
	{ CK_ROW, 0, B(PP_V1 PP_GET), PP_PROXY " \"PROXY TCP4 " },
	{ CK_ROW, 0, B(PP_SIG "\x21\x11\x00\x0C" PP_ADDRS4 PP_GET),
	    PP_PROXY " \"\\x00\" 400 " },
};

/* The request slot's client is the one a PROXY header names. */
START_TEST(test_proxy_board_client)
{
	struct client cl;
	uint8_t addr[16], want[4];

	board_bind(&own_slot, 2);
	cl_open_on(&cl, PEER_ADDR, CONF_LISTEN_PROXY);
	cl_send(&cl, PP_V1 "GET /hello.txt HTTP/1.1\r\n"); /* half a head */
	cl_run(&cl);
	ck_assert_uint_eq(own_slot.thread[2], SB_T_READING);
	ck_assert_uint_eq(sb_read_client(&own_slot, 2, addr), AF_INET);
	ck_assert_int_eq(inet_pton(AF_INET, "203.0.113.9", want), 1);
	ck_assert_mem_eq(addr, want, sizeof(want));
	cl_close(&cl);
	board_bind(NULL, 0);
}
END_TEST

/* What T's connection answered and logged, its input sent as STEP says:
 * all at once (0) or STEP bytes at a time with the machine run between. */
static void
proxy_run(const struct proxy_case *t, size_t step)
{
	char log[LOG_MAX];
	struct client cl;
	struct resp r;
	size_t off, n;

	cl_open_on(&cl, PEER_ADDR, t->flags);
	for (off = 0; off < t->inlen && cl.c != NULL; off += n) {
		n = step == 0 || t->inlen - off < step ? t->inlen - off : step;
		cl_write(&cl, t->in + off, n);
		cl_run(&cl);
	}
	logpipe_read(&logpipe, log, sizeof(log));
	if (t->want == NULL) {
		ck_assert_msg(cl.c == NULL && cl.len == 0 && log[0] == '\0',
		    "row at line %d, step %zu: %zu bytes answered, log '%s'",
		    t->line, step, cl.len, log);
		cl_close(&cl);
		return;
	}
	ck_assert_msg(cl_next(&cl, false, &r),
	    "row at line %d, step %zu: "
	    "no response in '%.*s'",
	    t->line, step, (int)cl.len, cl.buf);
	strip_time(log);
	ck_assert_msg(strncmp(log, t->want, strlen(t->want)) == 0,
	    "row at line %d, step %zu: '%s'", t->line, step, log);
	ck_assert_msg(t->flags == 0 || strstr(log, PP_LOG_GET) != NULL,
	    "row at line %d, step %zu: '%s'", t->line, step, log);
	cl_close(&cl);
}

/* At once, a byte at a time, and in pieces that split header from request. */
START_TEST(test_proxy_header)
{
	static const size_t steps[] = { 0, 1, 5, 16, 29 };
	size_t i, k;

	for (i = 0; i < NCASES(proxy_cases); i++)
		for (k = 0; k < NCASES(steps); k++)
			proxy_run(&proxy_cases[i], steps[k]);
}
END_TEST

/* StatusAllow judges the client the header names, not the proxy. */
START_TEST(test_proxy_status_allow)
{
	static const struct {
		int line;
		const char *proxy, *header;
		int status;
	} t[] = {
		{ CK_ROW, OTHER_ADDR,
		    "PROXY TCP4 192.0.2.50 192.0.2.1 5000 80\r\n", 200 },
		{ CK_ROW, PEER_ADDR,
		    "PROXY TCP4 198.51.100.9 192.0.2.1 5000 80\r\n", 403 },
		{ CK_ROW, PEER_ADDR, "PROXY UNKNOWN\r\n", 200 },
	};
	struct client cl;
	struct resp r;
	size_t i;

	setup_status();
	for (i = 0; i < NCASES(t); i++) {
		cl_open_on(&cl, t[i].proxy, CONF_LISTEN_PROXY);
		cl_send(&cl, t[i].header);
		cl_send(&cl, GET("/server-status?auto"));
		cl_run(&cl);
		ck_assert_msg(
		    cl_next(&cl, false, &r) && r.status == t[i].status,
		    "row at line %d: status %d", t[i].line, r.status);
		cl_close(&cl);
	}
}
END_TEST

/* A header not whole by handshake= is closed, unanswered. */
START_TEST(test_proxy_expire)
{
	char log[LOG_MAX];
	struct client cl;
	int64_t before = mono_ms();

	conf.read_handshake.timeout = 4;
	conf.read_header.timeout = 9;
	cl_open_on(&cl, PEER_ADDR, CONF_LISTEN_PROXY);
	ck_assert_int_ge(conn_deadline(cl.c), before + 4000);
	ck_assert_int_le(conn_deadline(cl.c), mono_ms() + 4000);
	cl_send(&cl, "PROXY TCP4 203.0.113.9 ");
	ck_assert_int_eq(cl_run(&cl), CONN_IO_READ);
	ck_assert(!conn_idle(cl.c));
	ck_assert_int_eq(conn_expire(cl.c), CONN_IO_CLOSE);
	conn_free(cl.c);
	cl.c = NULL;
	ck_assert_uint_eq(cl.len, 0);
	ck_assert_uint_eq(logpipe_read(&logpipe, log, sizeof(log)), 0);
	cl_close(&cl);
	/* once the header is in, the request has header= from then on */
	cl_open_on(&cl, PEER_ADDR, CONF_LISTEN_PROXY);
	cl_send(&cl, PP_V1);
	ck_assert_int_eq(cl_run(&cl), CONN_IO_READ);
	ck_assert(conn_idle(cl.c));
	ck_assert_int_ge(conn_deadline(cl.c), before + 9000);
	cl_close(&cl);
}
END_TEST

/* Handed to another worker, an idle connection takes its client along. */
START_TEST(test_proxy_export)
{
	uint8_t read[REQ_MAX];
	struct sockaddr_in sin;
	struct ipc_conn h;
	struct client cl;
	struct resp r;
	size_t n;

	cl_open_on(&cl, PEER_ADDR, CONF_LISTEN_PROXY);
	cl_send(&cl, "PROXY TCP4 203.0.113");
	cl_run(&cl);
	ck_assert_int_eq(conn_export(cl.c, &h, read, sizeof(read), &n), -1);
	cl_send(&cl, ".9 192.0.2.1 5000 80\r\n" GET("/hello.txt"));
	cl_run(&cl);
	ck_assert(cl_next(&cl, false, &r));
	ck_assert(conn_idle(cl.c));
	ck_assert_int_eq(conn_export(cl.c, &h, read, sizeof(read), &n), 0);
	ck_assert_uint_eq(h.peerlen, sizeof(sin));
	memcpy(&sin, h.peer, sizeof(sin));
	ck_assert_int_eq(sin.sin_family, AF_INET);
	ck_assert_uint_eq(ntohl(sin.sin_addr.s_addr), 0xCB007109);
	ck_assert_uint_eq(ntohs(sin.sin_port), 5000);
	cl_close(&cl);
}
END_TEST

static Suite *
conn_suite(void)
{
	Suite *s = suite_create("conn");
	struct {
		const char *name;
		const TTest *tests[TESTS_PER_CASE];
	} groups[] = {
		{ "paths",
		    { test_paths, test_last_modified, test_unreadable } },
		{ "dirs", { test_dirs, test_directory_index } },
		{ "methods", { test_methods, test_head_like_get } },
		{ "ranges", { test_ranges, test_big_file } },
		{ "conditionals", { test_conditionals } },
		{ "connection",
		    { test_flows, test_request_line_limit, test_head_buffer_cap,
			test_continue, test_byte_at_a_time,
			test_keepalive_settings, test_graceful,
			test_state_across_waits, test_client_gone } },
		{ "timeouts", { test_expire, test_deadlines } },
		{ "accesslog", { test_accesslog, test_accesslog_slow_body } },
		{ "status", { test_scoreboard_counts, test_scoreboard_states,
				test_status_page, test_status_denied } },
		{ "proxy", { test_proxy_header, test_proxy_status_allow,
			       test_proxy_expire, test_proxy_export,
			       test_proxy_board_client } },
	};
	size_t i, j;
	TCase *tc;

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		tc = tcase_create(groups[i].name);
		tcase_add_checked_fixture(tc, setup, teardown);
		for (j = 0; j < TESTS_PER_CASE && groups[i].tests[j] != NULL;
		     j++)
			tcase_add_test(tc, groups[i].tests[j]);
		suite_add_tcase(s, tc);
	}
	return s;
}

int
main(void)
{
	return ck_run(conn_suite());
}
