/* Check suite for protocol/uri.c: targets to paths, escaping. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "protocol/uri.h"
#include "tests/unit/ck.h"

#define OUT_MAX 256

struct path_row {
	int line;
	const char *target;
	int status;        /* 0 or the HTTP status expected */
	const char *path;  /* when status is 0 */
	const char *query; /* NULL when there is none */
};

static void
check_path_rows(const struct path_row *rows, size_t n)
{
	char out[OUT_MAX];
	const char *query;
	size_t i;
	int rv;

	for (i = 0; i < n; i++) {
		const struct path_row *row = &rows[i];

		memset(out, 'X', sizeof(out));
		rv = uri_to_path(
		    row->target, strlen(row->target), out, sizeof(out), &query);
		ck_assert_msg(rv == row->status,
		    "row at line %d: status %d, want %d", row->line, rv,
		    row->status);
		if (row->status != 0)
			continue;
		ck_assert_msg(strcmp(out, row->path) == 0,
		    "row at line %d: path \"%s\", want \"%s\"", row->line, out,
		    row->path);
		if (row->query == NULL)
			ck_assert_msg(
			    query == NULL, "row at line %d: query", row->line);
		else
			ck_assert_msg(
			    query != NULL && strcmp(query, row->query) == 0,
			    "row at line %d: query \"%s\"", row->line,
			    query != NULL ? query : "(null)");
	}
}

START_TEST(test_decode)
{
	static const struct path_row rows[] = {
		{ CK_ROW, "/", 0, "/", NULL },
		{ CK_ROW, "/index.html", 0, "/index.html", NULL },
		{ CK_ROW, "/a%20b", 0, "/a b", NULL },
		{ CK_ROW, "/%41%42%43", 0, "/ABC", NULL },
		{ CK_ROW, "/%c3%a9t%C3%A9", 0, "/\xc3\xa9t\xc3\xa9", NULL },
		{ CK_ROW, "/a%2Fb", 0, "/a/b", NULL },
		{ CK_ROW, "/a%2fb%2F", 0, "/a/b/", NULL },
		{ CK_ROW, "/a%5cb", 0, "/a\\b", NULL },
		{ CK_ROW, "/a\\b", 0, "/a\\b", NULL },
		{ CK_ROW, "/%25", 0, "/%", NULL },
		{ CK_ROW, "/%2525", 0, "/%25", NULL },
		{ CK_ROW, "/a+b", 0, "/a+b", NULL },
		{ CK_ROW, "/%3F", 0, "/?", NULL },
		/* invalid escapes */
		{ CK_ROW, "/%", 400, NULL, NULL },
		{ CK_ROW, "/%4", 400, NULL, NULL },
		{ CK_ROW, "/a%", 400, NULL, NULL },
		{ CK_ROW, "/%G1", 400, NULL, NULL },
		{ CK_ROW, "/%1G", 400, NULL, NULL },
		{ CK_ROW, "/%%41", 400, NULL, NULL },
		{ CK_ROW, "/% 1", 400, NULL, NULL },
		{ CK_ROW, "/%-1", 400, NULL, NULL },
		/* an encoded NUL would cut the path short */
		{ CK_ROW, "/%00", 400, NULL, NULL },
		{ CK_ROW, "/a%00.html", 400, NULL, NULL },
		/* not a request-target (RFC 9112 3.2) */
		{ CK_ROW, "/a#frag", 400, NULL, NULL },
		{ CK_ROW, "/a b", 400, NULL, NULL },
		{ CK_ROW, "/a\tb", 400, NULL, NULL },
		{ CK_ROW, "/\x7f", 400, NULL, NULL },
		{ CK_ROW, "/\x80", 400, NULL, NULL },
	};

	check_path_rows(rows, sizeof(rows) / sizeof(rows[0]));
}
END_TEST

START_TEST(test_dot_segments)
{
	/* RFC 3986 5.2.4 and the 5.4 examples, as paths from the root */
	static const struct path_row rows[] = {
		{ CK_ROW, "/a/b/c/./../../g", 0, "/a/g", NULL },
		{ CK_ROW, "/mid/content=5/../6", 0, "/mid/6", NULL },
		{ CK_ROW, "/b/c/g", 0, "/b/c/g", NULL },
		{ CK_ROW, "/b/c/./g", 0, "/b/c/g", NULL },
		{ CK_ROW, "/b/c/g/", 0, "/b/c/g/", NULL },
		{ CK_ROW, "/b/c/.", 0, "/b/c/", NULL },
		{ CK_ROW, "/b/c/./", 0, "/b/c/", NULL },
		{ CK_ROW, "/b/c/..", 0, "/b/", NULL },
		{ CK_ROW, "/b/c/../", 0, "/b/", NULL },
		{ CK_ROW, "/b/c/../g", 0, "/b/g", NULL },
		{ CK_ROW, "/b/c/../..", 0, "/", NULL },
		{ CK_ROW, "/b/c/../../", 0, "/", NULL },
		{ CK_ROW, "/b/c/../../g", 0, "/g", NULL },
		{ CK_ROW, "/b/c/../../../g", 0, "/g", NULL },
		{ CK_ROW, "/b/c/../../../../g", 0, "/g", NULL },
		{ CK_ROW, "/./g", 0, "/g", NULL },
		{ CK_ROW, "/../g", 0, "/g", NULL },
		{ CK_ROW, "/g.", 0, "/g.", NULL },
		{ CK_ROW, "/.g", 0, "/.g", NULL },
		{ CK_ROW, "/g..", 0, "/g..", NULL },
		{ CK_ROW, "/..g", 0, "/..g", NULL },
		{ CK_ROW, "/b/c/./../g", 0, "/b/g", NULL },
		{ CK_ROW, "/b/c/./g/.", 0, "/b/c/g/", NULL },
		{ CK_ROW, "/b/c/g/./h", 0, "/b/c/g/h", NULL },
		{ CK_ROW, "/b/c/g/../h", 0, "/b/c/h", NULL },
		{ CK_ROW, "/...", 0, "/...", NULL },
		{ CK_ROW, "/..", 0, "/", NULL },
		{ CK_ROW, "/.", 0, "/", NULL },
		{ CK_ROW, "/../../etc/passwd", 0, "/etc/passwd", NULL },
		/* dots and slashes decoded before the removal */
		{ CK_ROW, "/%2e%2e/etc/passwd", 0, "/etc/passwd", NULL },
		{ CK_ROW, "/a/%2E%2E/b", 0, "/b", NULL },
		{ CK_ROW, "/a/.%2e/b", 0, "/b", NULL },
		{ CK_ROW, "/a/%2e/b", 0, "/a/b", NULL },
		{ CK_ROW, "/a/b/%2e%2e", 0, "/a/", NULL },
		{ CK_ROW, "/a%2f..%2f..%2fetc", 0, "/etc", NULL },
		{ CK_ROW, "/a/..%2f..%2f..%2fetc%2fpasswd", 0, "/etc/passwd",
		    NULL },
		{ CK_ROW, "/%2e%2e%5c", 0, "/..\\", NULL },
		/* repeated slashes */
		{ CK_ROW, "//", 0, "/", NULL },
		{ CK_ROW, "//a//b", 0, "/a/b", NULL },
		{ CK_ROW, "/a///", 0, "/a/", NULL },
		{ CK_ROW, "/a/%2F/b", 0, "/a/b", NULL },
		{ CK_ROW, "//../a", 0, "/a", NULL },
	};

	check_path_rows(rows, sizeof(rows) / sizeof(rows[0]));
}
END_TEST

START_TEST(test_query_forms)
{
	static const struct path_row rows[] = {
		{ CK_ROW, "/a?b=c", 0, "/a", "b=c" },
		{ CK_ROW, "/a?", 0, "/a", "" },
		{ CK_ROW, "/?x?y", 0, "/", "x?y" },
		{ CK_ROW, "/a%3Fb?c", 0, "/a?b", "c" },
		{ CK_ROW, "/a?%zz", 0, "/a", "%zz" },
		{ CK_ROW, "/s/../t?/../u", 0, "/t", "/../u" },
		/* absolute-form, RFC 9112 3.2.2 */
		{ CK_ROW, "http://example.com/a/b", 0, "/a/b", NULL },
		{ CK_ROW, "HTTP://example.com/a", 0, "/a", NULL },
		{ CK_ROW, "https://example.com:8443/x?q", 0, "/x", "q" },
		{ CK_ROW, "http://[::1]:8080/", 0, "/", NULL },
		{ CK_ROW, "http://example.com", 0, "/", NULL },
		{ CK_ROW, "http://example.com?q=1", 0, "/", "q=1" },
		{ CK_ROW, "http://h/%2e%2e/x", 0, "/x", NULL },
		{ CK_ROW, "http:///a", 400, NULL, NULL },
		{ CK_ROW, "http://user@h/a", 400, NULL, NULL },
		{ CK_ROW, "ftp://h/a", 400, NULL, NULL },
		{ CK_ROW, "http:/a", 400, NULL, NULL },
		/* asterisk-form, authority-form, relative references */
		{ CK_ROW, "*", 400, NULL, NULL },
		{ CK_ROW, "example.com:443", 400, NULL, NULL },
		{ CK_ROW, "a/b", 400, NULL, NULL },
		{ CK_ROW, "", 400, NULL, NULL },
		{ CK_ROW, "?q", 400, NULL, NULL },
	};

	check_path_rows(rows, sizeof(rows) / sizeof(rows[0]));
}
END_TEST

START_TEST(test_out_size)
{
	static const struct {
		int line;
		const char *target;
		size_t outsz;
		int status;
	} rows[] = {
		{ CK_ROW, "/abc", 5, 0 }, /* "/abc" + NUL fits exactly */
		{ CK_ROW, "/abc", 4, 414 }, { CK_ROW, "/abc/", 6, 0 },
		{ CK_ROW, "/abc/", 5, 414 }, /* no room for the trailing '/' */
		{ CK_ROW, "/%41%42", 4, 0 }, /* decoded length counts */
		{ CK_ROW, "/%41%42", 3, 414 }, { CK_ROW, "/", 2, 0 },
		{ CK_ROW, "/", 1, 414 }, { CK_ROW, "/", 0, 414 },
		{ CK_ROW, "/a/..", 2, 414 }, /* "/a" is needed on the way */
	};
	char out[OUT_MAX];
	const char *query;
	size_t i;
	int rv;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(out, 'X', sizeof(out));
		rv = uri_to_path(rows[i].target, strlen(rows[i].target), out,
		    rows[i].outsz, &query);
		ck_assert_msg(rv == rows[i].status,
		    "row at line %d: status %d, want %d", rows[i].line, rv,
		    rows[i].status);
		ck_assert_msg(
		    rows[i].outsz >= sizeof(out) || out[rows[i].outsz] == 'X',
		    "row at line %d: wrote past OUT", rows[i].line);
	}
}
END_TEST

START_TEST(test_length_not_nul)
{
	char out[OUT_MAX];
	const char *query;
	const char target[] = "/ab/cd";

	/* only LEN bytes of the target count */
	ck_assert_int_eq(uri_to_path(target, 3, out, sizeof(out), &query), 0);
	ck_assert_str_eq(out, "/ab");
	ck_assert_ptr_null(query);
}
END_TEST

START_TEST(test_escape_path)
{
	static const struct {
		int line;
		const char *in;
		size_t outsz;
		int ret;
		const char *out;
	} rows[] = {
		{ CK_ROW, "/a/b.html", OUT_MAX, 9, "/a/b.html" },
		{ CK_ROW, "/a b", OUT_MAX, 6, "/a%20b" },
		{ CK_ROW, "/a?b#c%", OUT_MAX, 13, "/a%3Fb%23c%25" },
		{ CK_ROW, "/\xc3\xa9", OUT_MAX, 7, "/%C3%A9" },
		{ CK_ROW, "/-._~!$&'()*+,;=:@", OUT_MAX, 18,
		    "/-._~!$&'()*+,;=:@" },
		{ CK_ROW, "/\"<>\\", OUT_MAX, 13, "/%22%3C%3E%5C" },
		{ CK_ROW, "/\n\x7f", OUT_MAX, 7, "/%0A%7F" },
		{ CK_ROW, "", OUT_MAX, 0, "" },
		{ CK_ROW, "/ab", 4, 3, "/ab" },
		{ CK_ROW, "/ab", 3, -1, NULL },
		{ CK_ROW, "/ ", 5, 4, "/%20" },
		{ CK_ROW, "/ ", 4, -1, NULL },
		{ CK_ROW, "", 0, -1, NULL },
	};
	char out[OUT_MAX + 1]; /* one guard byte */
	size_t i;
	int rv;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(out, 'X', sizeof(out));
		rv = uri_escape_path(rows[i].in, out, rows[i].outsz);
		ck_assert_msg(
		    rv == rows[i].ret, "row at line %d: %d", rows[i].line, rv);
		if (rows[i].out != NULL)
			ck_assert_msg(strcmp(out, rows[i].out) == 0,
			    "row at line %d: \"%s\"", rows[i].line, out);
		ck_assert_msg(out[rows[i].outsz] == 'X',
		    "row at line %d: wrote past OUT", rows[i].line);
	}
}
END_TEST

static Suite *
uri_suite(void)
{
	Suite *s = suite_create("uri");
	TCase *tc;

	tc = tcase_create("to_path");
	tcase_add_test(tc, test_decode);
	tcase_add_test(tc, test_dot_segments);
	tcase_add_test(tc, test_query_forms);
	tcase_add_test(tc, test_out_size);
	tcase_add_test(tc, test_length_not_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("escape");
	tcase_add_test(tc, test_escape_path);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ck_run(uri_suite());
}
