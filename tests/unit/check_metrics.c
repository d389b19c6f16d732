/*
 * Check suite for workers/metrics.c: the Prometheus text exposition of a
 * synthetic scoreboard (testboard.h), its shape line by line as the
 * format and `promtool check metrics` want it, and every value.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/scoreboard.h"
#include "workers/metrics.h"
#include "workers/scoreview.h"
#include "tests/unit/ck.h"
#include "tests/unit/testboard.h"

#define NAME_MAX_T 128
#define FAMILIES   64

static struct testboard board;

static void
setup(void)
{
	testboard_fill(&board);
}

static void
teardown(void)
{
}

static char *
render(void)
{
	struct scoreview v;
	size_t len;
	char *body;

	ck_assert_int_eq(scoreview_read(&v, &board.h, sizeof(board)), 0);
	body = metrics_render(&v, &len);
	scoreview_free(&v);
	ck_assert_ptr_nonnull(body);
	ck_assert_uint_eq(strlen(body), len);
	return body;
}

static bool
name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':' ||
	       (!first && isdigit((unsigned char)c));
}

/* The metric name at the start of LINE into OUT; its length. */
static size_t
metric_name(const char *line, char *out)
{
	size_t n = 0;

	while (n < NAME_MAX_T - 1 && name_char(line[n], n == 0))
		n++;
	memcpy(out, line, n);
	out[n] = '\0';
	return n;
}

/* SAMPLE belongs to FAMILY of TYPE: itself, or a histogram's parts. */
static bool
in_family(const char *sample, const char *family, const char *type)
{
	static const char *const parts[] = { "_bucket", "_sum", "_count" };
	size_t n = strlen(family), i;

	if (strcmp(type, "histogram") != 0)
		return strcmp(sample, family) == 0;
	for (i = 0; i < 3; i++)
		if (strncmp(sample, family, n) == 0 &&
		    strcmp(sample + n, parts[i]) == 0)
			return true;
	return false;
}

/* The value after NAME{...}: a number strtod() takes whole. */
static void
check_sample(const char *line, const char *name, int lineno)
{
	const char *p = line + strlen(name);
	char *end;

	if (*p == '{') {
		p = strchr(p, '}');
		ck_assert_msg(p != NULL, "line %d: no '}': %s", lineno, line);
		p++;
	}
	ck_assert_msg(*p == ' ', "line %d: no value: %s", lineno, line);
	(void)strtod(p + 1, &end);
	ck_assert_msg(
	    end != p + 1 && *end == '\0', "line %d: value: %s", lineno, line);
}

/* A HELP and a TYPE each family, once; samples only in their family. */
START_TEST(test_exposition_shape)
{
	char *body = render(), *line, *save, name[NAME_MAX_T];
	char family[NAME_MAX_T] = "", type[16] = "";
	char seen[FAMILIES][NAME_MAX_T];
	size_t nseen = 0, i;
	int lineno = 0;

	for (line = strtok_r(body, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (strncmp(line, "# HELP ", 7) == 0) {
			metric_name(line + 7, family);
			for (i = 0; i < nseen; i++)
				ck_assert_str_ne(seen[i], family);
			ck_assert_uint_lt(nseen, FAMILIES);
			strcpy(seen[nseen++], family);
			type[0] = '\0';
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			metric_name(line + 7, name);
			ck_assert_str_eq(name, family);
			ck_assert_int_eq(
			    sscanf(line + 7 + strlen(name), " %15s", type), 1);
			ck_assert_msg(strcmp(type, "counter") != 0 ||
					  strstr(name, "_total") ==
					      name + strlen(name) - 6,
			    "line %d: a counter without _total: %s", lineno,
			    name);
			continue;
		}
		ck_assert_msg(type[0] != '\0', "line %d: no TYPE before %s",
		    lineno, line);
		metric_name(line, name);
		ck_assert_msg(in_family(name, family, type),
		    "line %d: %s is not of family %s", lineno, name, family);
		check_sample(line, name, lineno);
	}
	ck_assert_uint_ge(nseen, 15);
	free(body);
}
END_TEST

struct value_row {
	int line;
	const char *sample; /* NAME{LABELS}, as printed */
	const char *value;
};

START_TEST(test_values)
{
	static const struct value_row rows[] = {
		{ CK_ROW,
		    "mpmd_info{version=\"" PACKAGE_VERSION "\",mpm=\"event\"}",
		    "1" },
		{ CK_ROW, "mpmd_start_time_seconds", "1700000000" },
		{ CK_ROW, "mpmd_config_generation", "4" },
		{ CK_ROW, "mpmd_requests_total", "1055" },
		{ CK_ROW, "mpmd_sent_bytes_total", "1034240" },
		{ CK_ROW,
		    "mpmd_cpu_seconds_total{process=\"master\",mode=\"user\"}",
		    "0.250000" },
		{ CK_ROW,
		    "mpmd_cpu_seconds_total{process=\"workers\",mode=\"system\"}",
		    "0.500000" },
		/* cumulative: 900 folded, 20 live, 99 folded, 1 slow */
		{ CK_ROW, "mpmd_request_duration_seconds_bucket{le=\"0.0005\"}",
		    "900" },
		{ CK_ROW, "mpmd_request_duration_seconds_bucket{le=\"0.001\"}",
		    "920" },
		{ CK_ROW, "mpmd_request_duration_seconds_bucket{le=\"0.005\"}",
		    "920" },
		{ CK_ROW, "mpmd_request_duration_seconds_bucket{le=\"0.01\"}",
		    "1019" },
		{ CK_ROW, "mpmd_request_duration_seconds_bucket{le=\"10\"}",
		    "1019" },
		{ CK_ROW, "mpmd_request_duration_seconds_bucket{le=\"+Inf\"}",
		    "1020" },
		{ CK_ROW, "mpmd_request_duration_seconds_count", "1020" },
		{ CK_ROW, "mpmd_request_duration_seconds_sum", "2.040000" },
		{ CK_ROW,
		    "mpmd_generation_info{generation=\"3\",mpm=\"prefork\","
		    "state=\"draining\"}",
		    "1" },
		{ CK_ROW,
		    "mpmd_generation_info{generation=\"4\",mpm=\"event\","
		    "state=\"active\"}",
		    "1" },
		{ CK_ROW,
		    "mpmd_generation_processes{generation=\"4\",mpm=\"event\"}",
		    "2" },
		{ CK_ROW,
		    "mpmd_generation_requests_total{generation=\"3\","
		    "mpm=\"prefork\"}",
		    "630" },
		{ CK_ROW,
		    "mpmd_generation_requests_total{generation=\"4\","
		    "mpm=\"event\"}",
		    "25" },
		{ CK_ROW, "mpmd_workers{state=\"busy\"}", "5" },
		{ CK_ROW, "mpmd_workers{state=\"idle\"}", "3" },
		{ CK_ROW, "mpmd_workers{state=\"graceful\"}", "0" },
		/* slot 1 and slot 4: open, 4 request slots each */
		{ CK_ROW, "mpmd_scoreboard{state=\"open\"}", "8" },
		{ CK_ROW, "mpmd_scoreboard{state=\"waiting\"}", "3" },
		{ CK_ROW, "mpmd_scoreboard{state=\"sending\"}", "1" },
		{ CK_ROW, "mpmd_scoreboard{state=\"keepalive\"}", "2" },
		{ CK_ROW, "mpmd_scoreboard{state=\"logging\"}", "1" },
		{ CK_ROW, "mpmd_processes{state=\"all\"}", "3" },
		{ CK_ROW, "mpmd_processes{state=\"stopping\"}", "1" },
		{ CK_ROW, "mpmd_connections{state=\"reading\"}", "1" },
		{ CK_ROW, "mpmd_connections{state=\"keepalive\"}", "3" },
		{ CK_ROW, "mpmd_connections{state=\"closing\"}", "1" },
		{ CK_ROW,
		    "mpmd_reloads_total{verb=\"graceful\",result=\"failed\"}",
		    "1" },
		{ CK_ROW, "mpmd_reloads_total{verb=\"graceful\",result=\"ok\"}",
		    "2" },
		{ CK_ROW,
		    "mpmd_reloads_total{verb=\"restart\",result=\"failed\"}",
		    "0" },
		{ CK_ROW, "mpmd_worker_crashes_total", "2" },
		{ CK_ROW, "mpmd_worker_restarts_total", "1" },
		{ CK_ROW, "mpmd_worker_starts_total", "9" },
		{ CK_ROW, "mpmd_handoffs_total", "7" },
	};
	char *body = render(), want[512];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(want, sizeof(want), "\n%s %s\n", rows[i].sample,
		    rows[i].value);
		ck_assert_msg(strstr(body, want) != NULL,
		    "row at line %d: no '%s' in\n%s", rows[i].line, want + 1,
		    body);
	}
	free(body);
}
END_TEST

/* The value of SAMPLE ("NAME{LABELS}") in BODY. */
static unsigned long long
value_of(const char *body, const char *sample)
{
	char pat[512];
	const char *p;

	snprintf(pat, sizeof(pat), "\n%s ", sample);
	p = strstr(body, pat);
	ck_assert_msg(p != NULL, "no %s", sample);
	return strtoull(p + strlen(pat), NULL, 10);
}

/* What the master does when a worker exits: add its slot, clear it. */
static void
fold_slot(int i, int gen)
{
	sb_counters_add(&board.h.folded, &board.s[i].c);
	sb_counters_add(&board.h.gens[gen].folded, &board.s[i].c);
	memset(&board.s[i], 0, sizeof(board.s[i]));
}

/* A worker's exit changes no counter, its generation's included. */
START_TEST(test_exit_changes_no_counter)
{
	static const char *const counters[] = { "mpmd_requests_total",
		"mpmd_sent_bytes_total", "mpmd_request_duration_seconds_count",
		"mpmd_generation_requests_total{generation=\"4\","
		"mpm=\"event\"}" };
	unsigned long long before[4];
	char *body = render();
	size_t i;

	for (i = 0; i < 4; i++)
		before[i] = value_of(body, counters[i]);
	free(body);
	fold_slot(0, 1);
	body = render();
	for (i = 0; i < 4; i++)
		ck_assert_msg(value_of(body, counters[i]) == before[i],
		    "%s went from %llu to %llu", counters[i], before[i],
		    value_of(body, counters[i]));
	ck_assert_uint_eq(value_of(body, "mpmd_processes{state=\"all\"}"), 2);
	free(body);
}
END_TEST

/* No byte a worker or the header holds reaches a label unsanitized. */
START_TEST(test_labels_sanitized)
{
	char *body;

	memcpy(board.h.gens[0].mpm, "a\"b\\c\nd}", 9);
	body = render();
	ck_assert_ptr_nonnull(strstr(body,
	    "mpmd_generation_processes{generation=\"3\",mpm=\"a_b_c_d_\"} 1"));
	free(body);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("exposition");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_exposition_shape);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_exit_changes_no_counter);
	tcase_add_test(tc, test_labels_sanitized);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ck_run(metrics_suite());
}
