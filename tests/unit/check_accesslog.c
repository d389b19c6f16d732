/*
 * Check suite for workers/accesslog.c and workers/logbuf.c, called
 * directly: Common and Combined lines, their bound, and the per-thread
 * buffering (accesslog_buffered, _flush, _due, _flush_all) with a pipe as
 * the log. What a connection logs is in check_conn.c.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/ck.h"
#include "tests/unit/logpipe.h"

#include "conf/conf.h"
#include "workers/accesslog.h"

#define LOG_MAX   65536
#define PEER_ADDR "192.0.2.7"
#define PEER_PORT 4321
#define HELLO_LEN 12 /* the body bytes a buffered line reports */
#define NCASES(t) (sizeof(t) / sizeof((t)[0]))

static struct logpipe logpipe;
static struct sockaddr_in peer;

static void
setup(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	logpipe_open(&logpipe);
	memset(&peer, 0, sizeof(peer));
	peer.sin_family = AF_INET;
	peer.sin_port = htons(PEER_PORT);
	ck_assert_int_eq(inet_pton(AF_INET, PEER_ADDR, &peer.sin_addr), 1);
}

static void
teardown(void)
{
	logpipe_close(&logpipe);
}

/* An HTTP/1.1 entry from PEER_ADDR, every other field empty. */
static void
entry_init(struct accesslog_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->peer = (struct sockaddr *)&peer;
	e->major = e->minor = 1;
}

/* --- formatting --- */

struct fmt_case {
	int line;
	enum conf_log_format fmt;
	const char *method, *target, *raw;
	const char *referer, *agent;
	int status;
	int64_t bytes;
	const char *want;
};

START_TEST(test_accesslog_format)
{
	static const struct fmt_case t[] = {
		{ __LINE__, CONF_LOG_COMBINED, "GET", "/", NULL, NULL, NULL,
		    200, 5,
		    "192.0.2.7 - - [01/Jan/2000:00:00:00 +0000] "
		    "\"GET / HTTP/1.1\" 200 5 \"-\" \"-\"\n" },
		{ __LINE__, CONF_LOG_COMMON, NULL, NULL, NULL, NULL, NULL, 408,
		    0,
		    "192.0.2.7 - - [01/Jan/2000:00:00:00 +0000] \"-\" 408 "
		    "-\n" },
		{ __LINE__, CONF_LOG_COMMON, NULL, NULL, "A\"\\\n\r\x7f\x80",
		    NULL, NULL, 400, 10,
		    "192.0.2.7 - - [01/Jan/2000:00:00:00 +0000] "
		    "\"A\\\"\\\\\\n\\r\\x7f\\x80\" 400 10\n" },
		{ __LINE__, CONF_LOG_COMBINED, "GET", "/", NULL, "\b\v\x1b",
		    "\t", 304, 0,
		    "192.0.2.7 - - [01/Jan/2000:00:00:00 +0000] "
		    "\"GET / HTTP/1.1\" 304 - \"\\b\\v\\x1b\" \"\\t\"\n" },
	};
	struct accesslog_entry e;
	char out[ACCESSLOG_LINE_MAX];
	size_t i, n;

	for (i = 0; i < NCASES(t); i++) {
		entry_init(&e);
		e.when = 946684800; /* 2000-01-01T00:00:00Z */
		e.method = t[i].method;
		e.target = t[i].target;
		e.line = t[i].raw;
		e.linelen = t[i].raw ? strlen(t[i].raw) : 0;
		e.referer = t[i].referer;
		e.user_agent = t[i].agent;
		e.status = t[i].status;
		e.bytes = t[i].bytes;
		n = accesslog_format(out, sizeof(out), t[i].fmt, &e);
		ck_assert_msg(
		    n == strlen(t[i].want) && memcmp(out, t[i].want, n) == 0,
		    "row at line %d: '%.*s'", t[i].line, (int)n, out);
	}
}
END_TEST

/* Huge fields are cut, the line stays whole and bounded. */
START_TEST(test_accesslog_bound)
{
	struct accesslog_entry e;
	char *big = malloc(3 * ACCESSLOG_LINE_MAX), out[ACCESSLOG_LINE_MAX];
	size_t n;

	ck_assert_ptr_nonnull(big);
	memset(big, '"', 3 * ACCESSLOG_LINE_MAX - 1);
	big[3 * ACCESSLOG_LINE_MAX - 1] = '\0';
	memset(&e, 0, sizeof(e));
	e.method = "GET";
	e.target = big;
	e.major = e.minor = 1;
	e.referer = big;
	e.user_agent = big;
	e.status = 200;
	n = accesslog_format(out, sizeof(out), CONF_LOG_COMBINED, &e);
	ck_assert_uint_le(n, sizeof(out));
	ck_assert_int_eq(out[n - 1], '\n');
	ck_assert_ptr_null(memchr(out, '\n', n - 1));
	ck_assert_ptr_nonnull(strstr(out, " HTTP/1.1\" 200 - \""));
	n = accesslog_format(out, 16, CONF_LOG_COMBINED, &e);
	ck_assert_uint_eq(n, 16);
	ck_assert_int_eq(out[15], '\n');
	free(big);
}
END_TEST

/* --- buffered access log: each scenario runs on a thread of its own --- */

#define BUF_SCENARIO_MAX 4 /* checkpoints a scenario reports */
#define LONG_TARGET      1000
#define DUE_SLACK_MS     50 /* a clock tick or two past the due time */
#define NS_PER_MS        1000000L
#define TAG_MAX          32 /* "/m-<i>-" and the like */

struct buf_run {
	size_t requests;                /* how many lines to log */
	size_t target_len;              /* 0: /hello.txt, else /m-<i>-aaa... */
	size_t lines[BUF_SCENARIO_MAX]; /* complete lines read so far */
	bool whole[BUF_SCENARIO_MAX];   /* what was read ended on a '\n' */
	int64_t due[BUF_SCENARIO_MAX];  /* accesslog_due() at each point */
	char log[LOG_MAX];
	size_t loglen;
};

/* Reads what the pipe holds, appending; notes the state at point K. */
static void
buf_check(struct buf_run *br, int k)
{
	size_t i;

	br->loglen += logpipe_read(
	    &logpipe, br->log + br->loglen, sizeof(br->log) - br->loglen);
	br->lines[k] = 0;
	for (i = 0; i < br->loglen; i++)
		br->lines[k] += br->log[i] == '\n';
	br->whole[k] = br->loglen == 0 || br->log[br->loglen - 1] == '\n';
	br->due[k] = accesslog_due();
}

/* Logs request I of BR: a GET of /hello.txt or of /m-<I>-aaa... */
static void
buf_log(const struct buf_run *br, size_t i)
{
	char target[LONG_TARGET + TAG_MAX];
	struct accesslog_entry e;
	int n;

	if (br->target_len == 0)
		snprintf(target, sizeof(target), "/hello.txt");
	else {
		n = snprintf(target, sizeof(target), "/m-%zu-", i);
		memset(target + n, 'a', br->target_len);
		target[n + br->target_len] = '\0';
	}
	entry_init(&e);
	e.when = time(NULL);
	e.method = "GET";
	e.target = target;
	e.status = 200;
	e.bytes = HELLO_LEN;
	accesslog_write(&logpipe.fd, CONF_LOG_COMBINED, &e);
}

/* Every line is a whole line of ours, request I on line I. */
static bool
buf_in_order(const struct buf_run *br)
{
	char want[TAG_MAX];
	const char *p = br->log, *end = br->log + br->loglen, *nl;
	size_t i;

	for (i = 0; p < end; i++, p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    strncmp(p, PEER_ADDR " - - [", strlen(PEER_ADDR " - - [")))
			return false;
		snprintf(want, sizeof(want), "\"GET /m-%zu-", i);
		if (br->target_len > 0 &&
		    !memmem(p, (size_t)(nl - p), want, strlen(want)))
			return false;
	}
	return i == br->requests;
}

/* Points: 0 after the requests, 1 after accesslog_flush(). */
static void *
buf_flush_thread(void *arg)
{
	struct buf_run *br = arg;
	size_t i;

	ck_assert_int_eq(accesslog_buffered(), 0);
	for (i = 0; i < br->requests; i++)
		buf_log(br, i);
	buf_check(br, 0);
	accesslog_flush();
	buf_check(br, 1);
	return NULL;
}

/* Points: 0 after one request, 1 once it is due, 2 after a second one. */
static void *
buf_due_thread(void *arg)
{
	struct buf_run *br = arg;
	struct timespec ts = { 0,
		(ACCESSLOG_FLUSH_MS + DUE_SLACK_MS) * NS_PER_MS };

	ck_assert_int_eq(accesslog_buffered(), 0);
	buf_log(br, 0);
	buf_check(br, 0);
	nanosleep(&ts, NULL);
	buf_check(br, 1);
	buf_log(br, 1);
	buf_check(br, 2);
	return NULL;
}

static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cond = PTHREAD_COND_INITIALIZER;
static int park_step;

static void
park_set(int step)
{
	pthread_mutex_lock(&park_lock);
	park_step = step;
	pthread_cond_broadcast(&park_cond);
	pthread_mutex_unlock(&park_lock);
}

static void
park_wait(int step)
{
	pthread_mutex_lock(&park_lock);
	while (park_step < step)
		pthread_cond_wait(&park_cond, &park_lock);
	pthread_mutex_unlock(&park_lock);
}

/* Buffers lines, waits while another thread flushes all, then exits. */
static void *
buf_exit_thread(void *arg)
{
	struct buf_run *br = arg;
	size_t i;

	ck_assert_int_eq(accesslog_buffered(), 0);
	for (i = 0; i < br->requests; i++)
		buf_log(br, i);
	park_set(1);
	park_wait(2);
	for (i = 0; i < br->requests; i++)
		buf_log(br, i);
	return NULL; /* the thread's end writes the second batch */
}

static void
buf_thread(void *(*fn)(void *), struct buf_run *br)
{
	pthread_t tid;

	ck_assert_int_eq(pthread_create(&tid, NULL, fn, br), 0);
	ck_assert_int_eq(pthread_join(tid, NULL), 0);
}

/* Lines wait for a flush, or for room; they always leave whole. */
START_TEST(test_accesslog_buffered)
{
	static const struct {
		int line;
		size_t requests, target_len;
		size_t min_early, max_early; /* lines out before the flush */
	} t[] = {
		{ __LINE__, 1, 0, 0, 0 },
		{ __LINE__, 20, 0, 0, 0 },
		/* ~1 KiB lines: the buffer empties before it is full */
		{ __LINE__, 40, LONG_TARGET, 1, 39 },
	};
	struct buf_run *br = malloc(sizeof(*br));
	size_t i;

	ck_assert_ptr_nonnull(br);
	for (i = 0; i < NCASES(t); i++) {
		memset(br, 0, sizeof(*br));
		br->requests = t[i].requests;
		br->target_len = t[i].target_len;
		buf_thread(buf_flush_thread, br);
		ck_assert_msg(br->lines[0] >= t[i].min_early &&
				  br->lines[0] <= t[i].max_early &&
				  br->whole[0],
		    "row at line %d: %zu lines before the flush", t[i].line,
		    br->lines[0]);
		ck_assert_msg(br->due[0] >= 0 &&
				  br->due[0] <= ACCESSLOG_FLUSH_MS &&
				  br->due[1] == -1,
		    "row at line %d: due %lld, then %lld", t[i].line,
		    (long long)br->due[0], (long long)br->due[1]);
		ck_assert_msg(br->lines[1] == t[i].requests && br->whole[1],
		    "row at line %d: %zu lines after it", t[i].line,
		    br->lines[1]);
		ck_assert_msg(buf_in_order(br), "row at line %d: '%.60s'",
		    t[i].line, br->log);
	}
	free(br);
}
END_TEST

/* The oldest line is due after ACCESSLOG_FLUSH_MS: the next one sends it. */
START_TEST(test_accesslog_due)
{
	struct buf_run *br = calloc(1, sizeof(*br));

	ck_assert_ptr_nonnull(br);
	buf_thread(buf_due_thread, br);
	ck_assert_uint_eq(br->lines[0], 0);
	ck_assert_int_ge(br->due[0], 0);
	ck_assert_int_le(br->due[0], ACCESSLOG_FLUSH_MS);
	ck_assert_uint_eq(br->lines[1], 0);
	ck_assert_int_eq(br->due[1], 0);
	/* the second line is held, the first one went */
	ck_assert_uint_eq(br->lines[2], 1);
	ck_assert(br->whole[2]);
	ck_assert_int_ge(br->due[2], 0);
	free(br);
}
END_TEST

/* accesslog_flush_all() empties other threads' buffers; so does their end. */
START_TEST(test_accesslog_flush_all)
{
	struct buf_run *br = calloc(1, sizeof(*br));
	pthread_t tid;
	size_t n;

	ck_assert_ptr_nonnull(br);
	br->requests = 3;
	park_step = 0;
	ck_assert_int_eq(pthread_create(&tid, NULL, buf_exit_thread, br), 0);
	park_wait(1);
	ck_assert_uint_eq(logpipe_read(&logpipe, br->log, sizeof(br->log)), 0);
	accesslog_flush_all();
	n = logpipe_read(&logpipe, br->log, sizeof(br->log));
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(br->log[n - 1], '\n');
	ck_assert_ptr_nonnull(memchr(br->log, '\n', n));
	park_set(2);
	ck_assert_int_eq(pthread_join(tid, NULL), 0);
	n = logpipe_read(&logpipe, br->log, sizeof(br->log));
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(br->log[n - 1], '\n');
	free(br);
}
END_TEST

static Suite *
accesslog_suite(void)
{
	Suite *s = suite_create("accesslog");
	TCase *tc;

	tc = tcase_create("format");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_accesslog_format);
	tcase_add_test(tc, test_accesslog_bound);
	suite_add_tcase(s, tc);
	tc = tcase_create("buffered");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_accesslog_buffered);
	tcase_add_test(tc, test_accesslog_due);
	tcase_add_test(tc, test_accesslog_flush_all);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ck_run(accesslog_suite());
}
