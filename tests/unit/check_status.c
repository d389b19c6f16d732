/*
 * Check suite for the status page (workers/scoreview.c, status.c,
 * status_html.c, status_json.c): a synthetic scoreboard, read as a worker
 * reads the shared one, rendered in each format. "?auto" is held to
 * Apache 2.4's mod_status key by key.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/scoreboard.h"
#include "workers/scoreview.h"
#include "workers/status.h"
#include "tests/unit/ck.h"
#include "tests/unit/jsoncheck.h"
#include "tests/unit/testboard.h"

#define NSLOTS     TESTBOARD_SLOTS
#define STARTED    TESTBOARD_STARTED
#define UP         3725 /* 1 hour 2 minutes 5 seconds */
#define LINE_MAX_T 4096

static struct testboard board;

static void
setup(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	testboard_fill(&board);
}

static void
teardown(void)
{
}

/* The view of the board, at STARTED + UP with fixed load averages. */
static void
view(struct scoreview *v)
{
	ck_assert_int_eq(scoreview_read(v, &board.h, sizeof(board)), 0);
	v->now = STARTED + UP;
	v->load[0] = 0.5;
	v->load[1] = 1.25;
	v->load[2] = 12;
}

static char *
render(enum status_format fmt, const char *host)
{
	struct scoreview v;
	size_t len;
	char *body;

	view(&v);
	body = status_render(&v, fmt, host, &len);
	scoreview_free(&v);
	ck_assert_ptr_nonnull(body);
	ck_assert_uint_eq(strlen(body), len);
	return body;
}

/* The value of KEY in an "?auto" body, into OUT; false when absent. */
static bool
auto_value(const char *body, const char *key, char *out, size_t size)
{
	char pat[LINE_MAX_T];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), "\n%s: ", key);
	if ((p = strstr(body, pat)) == NULL)
		return false;
	p += strlen(pat);
	n = strcspn(p, "\n");
	ck_assert_uint_lt(n, size);
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

/* Apache 2.4.71's keys for its event MPM, in its order. */
static const char *const apache_keys[] = { "ServerVersion", "ServerMPM",
	"Server Built", "CurrentTime", "RestartTime",
	"ParentServerConfigGeneration", "ParentServerMPMGeneration",
	"ServerUptimeSeconds", "ServerUptime", "Load1", "Load5", "Load15",
	"Total Accesses", "Total kBytes", "Total Duration", "CPUUser",
	"CPUSystem", "CPUChildrenUser", "CPUChildrenSystem", "CPULoad",
	"Uptime", "ReqPerSec", "BytesPerSec", "BytesPerReq", "DurationPerReq",
	"BusyWorkers", "GracefulWorkers", "IdleWorkers", "Processes",
	"Stopping", "ConnsTotal", "ConnsAsyncWaitIO", "ConnsAsyncWriting",
	"ConnsAsyncKeepAlive", "ConnsAsyncClosing", "Scoreboard" };

/* The host line, Apache's keys in their order, then mpmd's own. */
START_TEST(test_auto_keys_in_order)
{
	char *body = render(STATUS_TEXT, "example.org:8080"), *line, *save;
	size_t i = 0, nkeys = sizeof(apache_keys) / sizeof(apache_keys[0]);
	size_t extra = 0;

	line = strtok_r(body, "\n", &save);
	ck_assert_str_eq(line, "example.org");
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		ck_assert_msg(strstr(line, ": ") != NULL ||
				  strcmp(line, "ServerUptime:") == 0,
		    "not a key: value line: '%s'", line);
		if (i < nkeys) {
			ck_assert_msg(strncmp(line, apache_keys[i],
					  strlen(apache_keys[i])) == 0 &&
					  line[strlen(apache_keys[i])] == ':',
			    "line %zu is '%s', Apache has %s there", i + 2,
			    line, apache_keys[i]);
			i++;
		} else
			extra++;
	}
	ck_assert_uint_eq(i, nkeys);
	ck_assert_uint_gt(extra, 0);
	free(body);
}
END_TEST

struct value_row {
	int line;
	const char *key;
	const char *value;
};

START_TEST(test_auto_values)
{
	static const struct value_row rows[] = {
		{ CK_ROW, "ServerVersion", "mpmd/" PACKAGE_VERSION },
		{ CK_ROW, "ServerMPM", "event" },
		{ CK_ROW, "Server Built", MPMD_BUILT },
		{ CK_ROW, "CurrentTime", "Tuesday, 14-Nov-2023 23:15:25 UTC" },
		{ CK_ROW, "RestartTime", "Tuesday, 14-Nov-2023 22:13:20 UTC" },
		{ CK_ROW, "ParentServerConfigGeneration", "4" },
		{ CK_ROW, "ParentServerMPMGeneration", "3" },
		{ CK_ROW, "ServerUptimeSeconds", "3725" },
		{ CK_ROW, "ServerUptime", "1 hour 2 minutes 5 seconds" },
		{ CK_ROW, "Load1", "0.50" },
		{ CK_ROW, "Load5", "1.25" },
		{ CK_ROW, "Load15", "12.00" },
		/* 1000 folded + 20 + 5 + 30 live */
		{ CK_ROW, "Total Accesses", "1055" },
		{ CK_ROW, "Total kBytes", "1010" },
		{ CK_ROW, "Total Duration", "2040" },
		/* APR's %g: no 0 before the point */
		{ CK_ROW, "CPUUser", "1.25" },
		{ CK_ROW, "CPUSystem", ".625" },
		{ CK_ROW, "CPUChildrenUser", "0" },
		{ CK_ROW, "CPUChildrenSystem", "0" },
		{ CK_ROW, "CPULoad", ".0503356" },
		{ CK_ROW, "Uptime", "3725" },
		{ CK_ROW, "ReqPerSec", ".283221" },
		{ CK_ROW, "BytesPerSec", "277.648" },
		{ CK_ROW, "BytesPerReq", "980.322" },
		/* 2040 ms over the 1020 requests that finished */
		{ CK_ROW, "DurationPerReq", "2" },
		/* W R in slot 0, K L C in slot 2; slot 3 is stopping */
		{ CK_ROW, "BusyWorkers", "5" },
		{ CK_ROW, "GracefulWorkers", "0" },
		{ CK_ROW, "IdleWorkers", "3" },
		{ CK_ROW, "Processes", "3" },
		{ CK_ROW, "Stopping", "1" },
		{ CK_ROW, "ConnsTotal", "6" },
		{ CK_ROW, "ConnsAsyncWaitIO", "1" },
		{ CK_ROW, "ConnsAsyncWriting", "1" },
		{ CK_ROW, "ConnsAsyncKeepAlive", "2" },
		{ CK_ROW, "ConnsAsyncClosing", "1" },
		/* slot 1 free, slot 4 beyond the hwm: open, 4 wide each */
		{ CK_ROW, "Scoreboard", "W_R_...._KLCK...." },
		{ CK_ROW, "Generations", "2" },
		{ CK_ROW, "Generation[3]MPM", "prefork" },
		{ CK_ROW, "Generation[3]State", "draining" },
		{ CK_ROW, "Generation[3]Processes", "1" },
		{ CK_ROW, "Generation[3]Accesses", "630" },
		{ CK_ROW, "Generation[4]MPM", "event" },
		{ CK_ROW, "Generation[4]State", "active" },
		{ CK_ROW, "Generation[4]Accesses", "25" },
		{ CK_ROW, "ReloadsOK", "4" },
		{ CK_ROW, "ReloadsFailed", "1" },
		{ CK_ROW, "WorkerCrashes", "2" },
		{ CK_ROW, "WorkerRestarts", "1" },
		{ CK_ROW, "Handoffs", "7" },
	};
	char *body = render(STATUS_TEXT, NULL), got[LINE_MAX_T];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ck_assert_msg(auto_value(body, rows[i].key, got, sizeof(got)),
		    "row at line %d: no %s in\n%s", rows[i].line, rows[i].key,
		    body);
		ck_assert_msg(strcmp(got, rows[i].value) == 0,
		    "row at line %d: %s is '%s', want '%s'", rows[i].line,
		    rows[i].key, got, rows[i].value);
	}
	ck_assert_msg(strncmp(body, "localhost\n", 10) == 0, "%s", body);
	free(body);
}
END_TEST

struct uptime_row {
	int line;
	int64_t up;
	const char *text; /* the whole line */
};

/* Apache's show_time(): each unit when not 0, singular for 1. */
START_TEST(test_auto_uptime_words)
{
	static const struct uptime_row rows[] = {
		{ CK_ROW, 0, "ServerUptime:\n" },
		{ CK_ROW, 1, "ServerUptime: 1 second\n" },
		{ CK_ROW, 60, "ServerUptime: 1 minute\n" },
		{ CK_ROW, 3600 * 2 + 1, "ServerUptime: 2 hours 1 second\n" },
		{ CK_ROW, 86400 + 3600 + 61,
		    "ServerUptime: 1 day 1 hour 1 minute 1 second\n" },
		{ CK_ROW, 86400 * 400, "ServerUptime: 400 days\n" },
		/* a clock that went back: no negative uptime */
		{ CK_ROW, -5, "ServerUptime:\n" },
	};
	struct scoreview v;
	size_t i, len;
	char *body;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		view(&v);
		v.now = STARTED + rows[i].up;
		body = status_render(&v, STATUS_TEXT, NULL, &len);
		scoreview_free(&v);
		ck_assert_msg(strstr(body, rows[i].text) != NULL,
		    "row at line %d: no '%s' in\n%s", rows[i].line,
		    rows[i].text, body);
		free(body);
	}
}
END_TEST

struct host_row {
	int line;
	const char *host;
	const char *shown;
};

START_TEST(test_auto_host_line)
{
	static const struct host_row rows[] = {
		{ CK_ROW, NULL, "localhost" },
		{ CK_ROW, "example.org", "example.org" },
		{ CK_ROW, "example.org:8080", "example.org" },
		{ CK_ROW, "127.0.0.1:80", "127.0.0.1" },
		{ CK_ROW, "[::1]:8080", "[::1]" },
		{ CK_ROW, "", "localhost" },
		{ CK_ROW, ":80", "localhost" },
		/* whatever a client puts there, the page shows none of it */
		{ CK_ROW, "a<b>", "localhost" },
		{ CK_ROW, "a b", "localhost" },
		{ CK_ROW, "x\"y", "localhost" },
	};
	char out[STATUS_HOST_MAX];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_msg(
		    strcmp(status_host(rows[i].host, out, sizeof(out)),
			rows[i].shown) == 0,
		    "row at line %d", rows[i].line);
}
END_TEST

struct format_row {
	int line;
	const char *query;
	enum status_format fmt;
};

/* As Apache looks: "auto" anywhere in the query. */
START_TEST(test_format_of_query)
{
	static const struct format_row rows[] = {
		{ CK_ROW, NULL, STATUS_HTML },
		{ CK_ROW, "", STATUS_HTML },
		{ CK_ROW, "auto", STATUS_TEXT },
		{ CK_ROW, "auto&refresh=5", STATUS_TEXT },
		{ CK_ROW, "refresh=5&auto", STATUS_TEXT },
		{ CK_ROW, "json", STATUS_JSON },
		{ CK_ROW, "notable", STATUS_HTML },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_msg(status_format_of(rows[i].query) == rows[i].fmt,
		    "row at line %d", rows[i].line);
}
END_TEST

/* What a scribbling worker may leave: nothing read bounds a loop. */
START_TEST(test_hostile_board)
{
	struct scoreview v;
	char *body;
	size_t len;

	board.h.hwm = UINT32_MAX;
	board.h.server_limit = UINT32_MAX;
	board.h.width = UINT32_MAX;
	board.h.ngens = UINT32_MAX;
	memset(board.h.gens[0].mpm, '<', sizeof(board.h.gens[0].mpm));
	board.s[0].threads = UINT32_MAX;
	board.s[0].busy = UINT32_MAX;
	memset(board.s[0].thread, 0xff, sizeof(board.s[0].thread));
	memset(&board.s[2].c, 0xff, sizeof(board.s[2].c));
	memset(&board.s[3].c, 0xff, sizeof(board.s[3].c));
	view(&v);
	ck_assert_uint_eq(v.h.hwm, NSLOTS);
	ck_assert_uint_eq(v.h.ngens, SB_MAX_GENS);
	ck_assert_uint_eq(v.h.width, SB_MAX_THREADS);
	ck_assert_uint_le(v.nletters, (size_t)NSLOTS * SB_MAX_THREADS);
	ck_assert_uint_eq(v.total.requests, UINT64_MAX); /* saturated */
	ck_assert_ptr_null(strchr(v.gens[0].g.mpm, '<'));
	ck_assert_ptr_null(strpbrk(v.letters, "\xff?")); /* open, shown '.' */
	body = status_render(&v, STATUS_HTML, NULL, &len);
	ck_assert_ptr_nonnull(body);
	ck_assert_ptr_null(strstr(body, "<<"));
	free(body);
	scoreview_free(&v);
}
END_TEST

/* A board that is not one (no mapping, another layout): an empty view. */
START_TEST(test_no_board)
{
	struct scoreview v;
	char *body;
	size_t len;

	ck_assert_int_eq(scoreview_read(&v, NULL, 0), 0);
	ck_assert_uint_eq(v.nprocs, 0);
	body = status_render(&v, STATUS_TEXT, NULL, &len);
	ck_assert_ptr_nonnull(strstr(body, "\nTotal Accesses: 0\n"));
	ck_assert_ptr_nonnull(strstr(body, "\nScoreboard: \n"));
	free(body);
	scoreview_free(&v);
	board.h.version = SB_VERSION + 1;
	ck_assert_int_eq(scoreview_read(&v, &board.h, sizeof(board)), 0);
	ck_assert_uint_eq(v.nprocs, 0);
	scoreview_free(&v);
	/* shorter than the header: nothing is read */
	board.h.version = SB_VERSION;
	ck_assert_int_eq(scoreview_read(&v, &board.h, SB_HEADER_SIZE - 1), 0);
	ck_assert_uint_eq(v.nprocs, 0);
	scoreview_free(&v);
}
END_TEST

/* The master is always changing it (seq stays odd): still an answer. */
START_TEST(test_seq_never_settles)
{
	struct scoreview v;

	board.h.seq = 1;
	ck_assert_int_eq(scoreview_read(&v, &board.h, sizeof(board)), 0);
	ck_assert_uint_eq(v.total.requests, 1055);
	scoreview_free(&v);
}
END_TEST

START_TEST(test_json_shape)
{
	static const char *const has[] = { "\"server_version\":\"mpmd/",
		"\"total_accesses\":1055", "\"busy_workers\":5",
		"\"idle_workers\":3", "\"scoreboard\":\"W_R_...._KLCK....\"",
		"{\"id\":3,\"mpm\":\"prefork\",\"state\":\"draining\","
		"\"processes\":1,\"accesses\":630}",
		"\"reloads_ok\":4", "\"connections\":{\"total\":6," };
	char *body = render(STATUS_JSON, NULL);
	size_t i;

	ck_assert_msg(json_valid(body, strlen(body)), "not JSON: %s", body);
	for (i = 0; i < sizeof(has) / sizeof(has[0]); i++)
		ck_assert_msg(
		    strstr(body, has[i]) != NULL, "no %s in %s", has[i], body);
	free(body);
}
END_TEST

struct json_row {
	int line;
	const char *doc;
	bool valid;
};

/* The validator the JSON checks rely on refuses what it must. */
START_TEST(test_json_validator)
{
	static const struct json_row rows[] = {
		{ CK_ROW, "{\"a\":[1,-2.5e3,true,null,\"x\\u00e9\"]}", true },
		{ CK_ROW, " [ ] ", true },
		{ CK_ROW, "{\"a\":1,}", false },
		{ CK_ROW, "{\"a\" 1}", false },
		{ CK_ROW, "[01]", false },
		{ CK_ROW, "[.5]", false },
		{ CK_ROW, "[\"\\x41\"]", false },
		{ CK_ROW, "[\"a\nb\"]", false },
		{ CK_ROW, "[inf]", false },
		{ CK_ROW, "{} {}", false },
		{ CK_ROW, "[", false },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_msg(json_valid(rows[i].doc, strlen(rows[i].doc)) ==
				  rows[i].valid,
		    "row at line %d", rows[i].line);
}
END_TEST

START_TEST(test_html_shape)
{
	char *body = render(STATUS_HTML, "example.org");

	ck_assert_ptr_nonnull(strstr(body, "<h1>mpmd status for example.org"));
	ck_assert_ptr_nonnull(strstr(body, "<pre>W_R_...._KLCK....</pre>"));
	ck_assert_ptr_nonnull(strstr(body, "Total accesses: 1055"));
	ck_assert_ptr_nonnull(strstr(body, "</html>\n"));
	free(body);
}
END_TEST

/*
 * The request slots at work and their clients: slot 0 "W_R_" serves
 * 192.0.2.77 and 2001:db8::7, slot 2 "_KLC" has a garbage family on its
 * 'K' and an idle loop that served 198.51.100.9, slot 3 "K" none.
 */
static void
board_clients(void)
{
	testboard_client(&board.s[0], 0, AF_INET, "192.0.2.77");
	testboard_client(&board.s[0], 2, AF_INET6, "2001:db8::7");
	testboard_client(&board.s[2], 0, AF_INET, "198.51.100.9");
	testboard_client(&board.s[2], 1, 0x7777, NULL);
	memset(board.s[2].client[1].addr, 0x3c, 16); /* "<<<<" */
}

START_TEST(test_clients_json)
{
	static const char *const has[] = {
		"{\"slot\":0,\"thread\":0,\"state\":\"W\","
		"\"client\":\"192.0.2.77\"}",
		"{\"slot\":0,\"thread\":2,\"state\":\"R\","
		"\"client\":\"2001:db8::7\"}",
		"{\"slot\":2,\"thread\":0,\"state\":\"_\","
		"\"client\":\"198.51.100.9\"}",
		"{\"slot\":2,\"thread\":1,\"state\":\"K\",\"client\":\"-\"}",
		"{\"slot\":3,\"thread\":0,\"state\":\"K\",\"client\":\"-\"}",
	};
	char *body;
	size_t i;

	board_clients();
	body = render(STATUS_JSON, NULL);
	ck_assert_msg(json_valid(body, strlen(body)), "not JSON: %s", body);
	for (i = 0; i < sizeof(has) / sizeof(has[0]); i++)
		ck_assert_msg(
		    strstr(body, has[i]) != NULL, "no %s in %s", has[i], body);
	/* an idle loop that served no one */
	ck_assert_ptr_null(strstr(body, "\"slot\":0,\"thread\":1,"));
	free(body);
}
END_TEST

START_TEST(test_clients_html)
{
	char *body;

	board_clients();
	board.s[2].flags = 0; /* threads wait: an idle one serves no one */
	body = render(STATUS_HTML, NULL);
	ck_assert_ptr_nonnull(strstr(body,
	    "<tr><td>0</td><td>0</td><td>W</td><td>192.0.2.77</td></tr>"));
	ck_assert_ptr_nonnull(strstr(body,
	    "<tr><td>0</td><td>2</td><td>R</td><td>2001:db8::7</td></tr>"));
	ck_assert_ptr_nonnull(
	    strstr(body, "<tr><td>2</td><td>1</td><td>K</td><td>-</td></tr>"));
	ck_assert_ptr_null(strstr(body, "<<"));
	ck_assert_ptr_null(strstr(body, "198.51.100.9"));
	free(body);
}
END_TEST

/* A client being written (its count odd) is none; ?auto shows none. */
START_TEST(test_clients_torn)
{
	char *body;

	board_clients();
	board.s[0].client[0].seq = 7;
	body = render(STATUS_JSON, NULL);
	ck_assert_ptr_nonnull(strstr(body,
	    "{\"slot\":0,\"thread\":0,\"state\":\"W\",\"client\":\"-\"}"));
	free(body);
	body = render(STATUS_TEXT, NULL);
	ck_assert_ptr_null(strstr(body, "2001:db8"));
	ck_assert_ptr_null(strstr(body, "198.51.100.9"));
	free(body);
}
END_TEST

static Suite *
status_suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("auto");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_auto_keys_in_order);
	tcase_add_test(tc, test_auto_values);
	tcase_add_test(tc, test_auto_uptime_words);
	tcase_add_test(tc, test_auto_host_line);
	tcase_add_test(tc, test_format_of_query);
	suite_add_tcase(s, tc);
	tc = tcase_create("board");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_hostile_board);
	tcase_add_test(tc, test_no_board);
	tcase_add_test(tc, test_seq_never_settles);
	suite_add_tcase(s, tc);
	tc = tcase_create("formats");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_json_shape);
	tcase_add_test(tc, test_json_validator);
	tcase_add_test(tc, test_html_shape);
	tcase_add_test(tc, test_clients_json);
	tcase_add_test(tc, test_clients_html);
	tcase_add_test(tc, test_clients_torn);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ck_run(status_suite());
}
