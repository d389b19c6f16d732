/* Check suite for lib/log.c: the error-log line and its escaping. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/ratelimit.h"
#include "tests/unit/ck.h"

#define LINE_MAX_READ 4096

static int pipefd[2];

static void
setup(void)
{
	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC | O_NONBLOCK), 0);
	log_init("check", pipefd[1], LOG_LVL_INFO);
}

static void
teardown(void)
{
	close(pipefd[0]);
	close(pipefd[1]);
}

/* What was logged since the last call, NUL-terminated. */
static const char *
logged(void)
{
	static char out[LINE_MAX_READ];
	ssize_t n = read(pipefd[0], out, sizeof(out) - 1);

	out[n > 0 ? n : 0] = '\0';
	return out;
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

START_TEST(test_line_shape)
{
	const char *s;

	log_notice("hello %d", 42);
	s = logged();
	ck_assert_int_eq(count_lines(s), 1);
	ck_assert_ptr_nonnull(strstr(s, "] [check:notice] [pid "));
	ck_assert_ptr_nonnull(strstr(s, "] hello 42\n"));
	log_debug("not at info");
	ck_assert_str_eq(logged(), "");
	errno = ENOENT;
	log_warn("open \"%s\"", "x");
	ck_assert_ptr_nonnull(
	    strstr(logged(), "open \"x\": No such file or directory\n"));
}
END_TEST

struct esc_row {
	int line;
	const char *arg; /* as a client could send it */
	const char *shown;
};

START_TEST(test_client_bytes_escaped)
{
	static const struct esc_row rows[] = {
		{ CK_ROW,
		    "/a\n[Sat Dec 05 06:00:00.000000 2026] [mpm-event:emerg] x",
		    "/a\\n[Sat Dec 05 06:00:00.000000 2026] [mpm-event:emerg] x" },
		{ CK_ROW, "/a\r\n", "/a\\r\\n" },
		{ CK_ROW, "\x1b[31mred", "\\x1b[31mred" },
		{ CK_ROW, "caf\xc3\xa9", "caf\\xc3\\xa9" },
		{ CK_ROW, "back\\slash \"q\"", "back\\\\slash \"q\"" },
	};
	const char *s;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		log_warnx("open \"%s\"", rows[i].arg);
		s = logged();
		ck_assert_msg(
		    count_lines(s) == 1, "row at line %d: %s", rows[i].line, s);
		ck_assert_msg(strstr(s, rows[i].shown) != NULL,
		    "row at line %d: %s", rows[i].line, s);
	}
}
END_TEST

START_TEST(test_long_message_cut)
{
	char big[LINE_MAX_READ];
	const char *s;

	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_warnx("%s", big);
	s = logged();
	ck_assert_int_eq(count_lines(s), 1);
	ck_assert_uint_le(strlen(s), 2048);
}
END_TEST

#define RL_BURST    3
#define RL_HOUR_MS  (3600 * 1000)
#define RL_SHORT_MS 20
#define RL_SLEEP_NS (60 * 1000 * 1000)

/* BURST lines an interval go out, the rest are counted for the next. */
START_TEST(test_ratelimit_burst)
{
	struct ratelimit rl = RATELIMIT_INIT(RL_HOUR_MS, RL_BURST);
	unsigned held = 99, i;

	for (i = 0; i < RL_BURST; i++) {
		ck_assert(ratelimit_pass(&rl, &held));
		ck_assert_uint_eq(held, 0);
	}
	for (i = 0; i < 5; i++)
		ck_assert(!ratelimit_pass(&rl, &held));
}
END_TEST

/* A new interval lets lines through again and says how many were held. */
START_TEST(test_ratelimit_new_interval)
{
	struct ratelimit rl = RATELIMIT_INIT(RL_SHORT_MS, 1);
	struct timespec ts = { 0, RL_SLEEP_NS };
	unsigned held = 99;

	ck_assert(ratelimit_pass(&rl, &held));
	ck_assert_uint_eq(held, 0);
	ck_assert(!ratelimit_pass(&rl, &held));
	ck_assert(!ratelimit_pass(&rl, &held));
	nanosleep(&ts, NULL);
	ck_assert(ratelimit_pass(&rl, &held));
	ck_assert_uint_eq(held, 2);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_line_shape);
	tcase_add_test(tc, test_client_bytes_escaped);
	tcase_add_test(tc, test_long_message_cut);
	tcase_add_test(tc, test_ratelimit_burst);
	tcase_add_test(tc, test_ratelimit_new_interval);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ck_run(log_suite());
}
