/*
 * Check suite for workers/static.c and workers/cond.c, called directly:
 * static_open() against a temporary document root (statuses, validators,
 * DirectoryIndex, confinement beneath the root), the conditional-request
 * checks and the Range parser. How a connection answers with them is in
 * check_conn.c.
 */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/ck.h"
#include "tests/unit/docroot.h"

#include "workers/static.h"

#define NCASES(t) (sizeof(t) / sizeof((t)[0]))
#define INDEX_MAX 2
#define OUT       "{out}" /* in a row's path: the outside directory's name */

static struct docroot docroot;
static int rootfd = -1;

static void
setup(void)
{
	docroot_create(&docroot, "check_static");
	rootfd = open(docroot.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ne(rootfd, -1);
}

static void
teardown(void)
{
	close(rootfd);
	docroot_remove(&docroot);
}

/* --- static_open() --- */

static const struct open_row {
	int line;
	const char *path; /* absolute and decoded, as uri_to_path() makes it */
	const char *index[INDEX_MAX]; /* DirectoryIndex */
	int status;
	const char *file;  /* status 0: what was opened, relative to the root */
	const char *after; /* PATH afterwards; NULL: unchanged */
	bool needs_user;   /* root opens it anyway */
} open_rows[] = {
	{ CK_ROW, "/hello.txt", { "index.html" }, 0, "hello.txt", NULL, false },
	{ CK_ROW, "/empty.txt", { "index.html" }, 0, "empty.txt", NULL, false },
	{ CK_ROW, "/big.bin", { "index.html" }, 0, "big.bin", NULL, false },
	{ CK_ROW, "/a b.txt", { "index.html" }, 0, "a b.txt", NULL, false },
	{ CK_ROW, "//hello.txt", { "index.html" }, 0, "hello.txt", NULL,
	    false },
	/* symlinks and ".." that stay beneath the root are followed */
	{ CK_ROW, "/in.txt", { "index.html" }, 0, "hello.txt", NULL, false },
	{ CK_ROW, "/sub/up.txt", { "index.html" }, 0, "hello.txt", NULL,
	    false },
	{ CK_ROW, "/sub/../hello.txt", { "index.html" }, 0, "hello.txt", NULL,
	    false },
	{ CK_ROW, "/missing.txt", { "index.html" }, 404, NULL, NULL, false },
	{ CK_ROW, "/sub/missing.txt", { "index.html" }, 404, NULL, NULL,
	    false },
	{ CK_ROW, "/hello.txt/", { "index.html" }, 404, NULL, NULL, false },
	/* directories */
	{ CK_ROW, "/sub", { "index.html" }, 301, NULL, NULL, false },
	{ CK_ROW, "/a dir", { "index.html" }, 301, NULL, NULL, false },
	{ CK_ROW, "/noindex", { "index.html" }, 301, NULL, NULL, false },
	{ CK_ROW, "/sub/", { "index.html" }, 0, "sub/index.html",
	    "/sub/index.html", false },
	{ CK_ROW, "/", { "index.html" }, 0, "index.html", "/index.html",
	    false },
	{ CK_ROW, "/alt/", { "index.html", "default.htm" }, 0,
	    "alt/default.htm", "/alt/default.htm", false },
	{ CK_ROW, "/noindex/", { "index.html" }, 403, NULL, NULL, false },
	{ CK_ROW, "/alt/", { "index.html" }, 403, NULL, NULL, false },
	{ CK_ROW, "/sub/", { NULL }, 403, NULL, NULL, false },
	/* an index name that is a directory is skipped */
	{ CK_ROW, "/", { "sub" }, 403, NULL, NULL, false },
	/* RESOLVE_BENEATH: nothing leads out of the root */
	{ CK_ROW, "/../" OUT "/secret.txt", { "index.html" }, 404, NULL, NULL,
	    false },
	{ CK_ROW, "/sub/../../" OUT "/secret.txt", { "index.html" }, 404, NULL,
	    NULL, false },
	{ CK_ROW, "/out.txt", { "index.html" }, 404, NULL, NULL, false },
	{ CK_ROW, "/rel-out.txt", { "index.html" }, 404, NULL, NULL, false },
	{ CK_ROW, "/outdir/secret.txt", { "index.html" }, 404, NULL, NULL,
	    false },
	{ CK_ROW, "/outdir/", { "index.html" }, 404, NULL, NULL, false },
	{ CK_ROW, "/magic.txt", { "index.html" }, 404, NULL, NULL, false },
	/* neither a regular file nor a directory; must not wait for a writer */
	{ CK_ROW, "/fifo", { "index.html" }, 403, NULL, NULL, false },
	{ CK_ROW, "/locked.txt", { "index.html" }, 403, NULL, NULL, true },
};

/* The row's path, OUT replaced by the outside directory's name. */
static void
row_path(const char *tmpl, char *out, size_t outsz)
{
	const char *at = strstr(tmpl, OUT);

	if (at == NULL) {
		snprintf(out, outsz, "%s", tmpl);
		return;
	}
	snprintf(out, outsz, "%.*s%s%s", (int)(at - tmpl), tmpl,
	    strrchr(docroot.outside, '/') + 1, at + strlen(OUT));
}

/* F is FILE, open or from this thread's fcache, with FILE's validators. */
static void
check_opened(const struct open_row *t, const struct static_file *f)
{
	char etag[STATIC_ETAG_MAX];
	struct stat st, got;

	docroot_stat(&docroot, t->file, &st);
	docroot_etag(&st, etag, sizeof(etag));
	ck_assert_msg(f->size == (int64_t)st.st_size,
	    "row at line %d: size %lld", t->line, (long long)f->size);
	ck_assert_msg(f->mtime == (int64_t)st.st_mtim.tv_sec &&
			  f->mtime_nsec == st.st_mtim.tv_nsec,
	    "row at line %d: mtime %lld.%ld", t->line, (long long)f->mtime,
	    f->mtime_nsec);
	ck_assert_msg(strcmp(f->etag, etag) == 0, "row at line %d: ETag %s",
	    t->line, f->etag);
	ck_assert_msg((f->fd != -1) != (f->data != NULL),
	    "row at line %d: fd %d, data %p", t->line, f->fd,
	    (const void *)f->data);
	if (f->fd != -1) {
		ck_assert_int_eq(fstat(f->fd, &got), 0);
		ck_assert_msg(
		    got.st_dev == st.st_dev && got.st_ino == st.st_ino,
		    "row at line %d: another file is open", t->line);
	}
}

START_TEST(test_open)
{
	const struct open_row *t = &open_rows[_i];
	char path[STATIC_PATH_MAX], given[STATIC_PATH_MAX];
	struct static_file f;
	size_t nindex = 0;
	int status;

	if (t->needs_user && geteuid() == 0) {
		fprintf(stderr,
		    "check_static: row at line %d skipped: root reads "
		    "mode 000 files\n",
		    t->line);
		return;
	}
	while (nindex < INDEX_MAX && t->index[nindex] != NULL)
		nindex++;
	row_path(t->path, given, sizeof(given));
	memcpy(path, given, sizeof(path));
	memset(&f, 0x5a, sizeof(f));
	/* the names are only read; static.h takes them as conf stores them */
	status = static_open(
	    rootfd, path, sizeof(path), (char *const *)t->index, nindex, &f);
	ck_assert_msg(status == t->status, "row at line %d (%s): status %d",
	    t->line, given, status);
	if (status == 0)
		check_opened(t, &f);
	else
		ck_assert_msg(f.fd == -1, "row at line %d: fd %d left open",
		    t->line, f.fd);
	ck_assert_msg(strcmp(path, t->after != NULL ? t->after : given) == 0,
	    "row at line %d: path '%s'", t->line, path);
	static_close(&f);
	ck_assert_int_eq(f.fd, -1);
}
END_TEST

/* --- conditional requests: a file of known validators --- */

#define MTIME       946684800 /* 2000-01-01T00:00:00Z */
#define ETAG        "\"386d4380.0-c\""
#define DATE_AT     "Sat, 01 Jan 2000 00:00:00 GMT"
#define DATE_BEFORE "Fri, 31 Dec 1999 23:00:00 GMT"
#define DATE_AFTER  "Sat, 01 Jan 2000 01:00:00 GMT"
#define DATE_LATER  "Sat, 01 Jan 2000 03:00:00 GMT"
#define NOW         (MTIME + 7200) /* the server's clock: 02:00 */

static const struct static_file cond_file = {
	.fd = -1,
	.size = 12,
	.mtime = MTIME,
	.etag = ETAG,
};

START_TEST(test_not_modified)
{
	static const struct {
		int line;
		const char *inm, *ims; /* If-None-Match, If-Modified-Since */
		int want;
	} t[] = {
		{ CK_ROW, NULL, NULL, 0 },
		{ CK_ROW, ETAG, NULL, 304 },
		{ CK_ROW, "W/" ETAG, NULL, 304 },
		{ CK_ROW, "\"a\", " ETAG, NULL, 304 },
		{ CK_ROW, "*", NULL, 304 },
		{ CK_ROW, "\"other\"", NULL, 0 },
		/* If-None-Match decides alone when present */
		{ CK_ROW, "\"other\"", DATE_AT, 0 },
		{ CK_ROW, ETAG, DATE_BEFORE, 304 },
		{ CK_ROW, NULL, DATE_AT, 304 },
		{ CK_ROW, NULL, DATE_AFTER, 304 },
		{ CK_ROW, NULL, DATE_BEFORE, 0 },
		{ CK_ROW, NULL, "yesterday", 0 },
		/* later than the server's clock: invalid, ignored (Apache) */
		{ CK_ROW, NULL, DATE_LATER, 0 },
	};
	size_t i;
	int got;

	for (i = 0; i < NCASES(t); i++) {
		got = static_not_modified(&cond_file, t[i].inm, t[i].ims, NOW);
		ck_assert_msg(
		    got == t[i].want, "row at line %d: %d", t[i].line, got);
	}
}
END_TEST

START_TEST(test_if_range)
{
	static const struct {
		int line;
		const char *if_range;
		int64_t now;
		bool want;
	} t[] = {
		{ CK_ROW, ETAG, NOW, true },
		{ CK_ROW, "\"other\"", NOW, false },
		{ CK_ROW, "W/" ETAG, NOW,
		    false }, /* a weak tag never matches */
		{ CK_ROW, DATE_AT, NOW, true },
		{ CK_ROW, DATE_BEFORE, NOW, false },
		{ CK_ROW, DATE_AFTER, NOW, false },
		{ CK_ROW, "yesterday", NOW, false },
		{ CK_ROW, "", NOW, false },
		/* modified within the second of Date: a weak validator */
		{ CK_ROW, DATE_AT, MTIME, false },
		{ CK_ROW, DATE_AT, MTIME + 1, true },
		{ CK_ROW, ETAG, MTIME, true },
	};
	size_t i;

	for (i = 0; i < NCASES(t); i++)
		ck_assert_msg(static_if_range(&cond_file, t[i].if_range,
				  t[i].now) == t[i].want,
		    "row at line %d", t[i].line);
}
END_TEST

struct etag_case {
	int line;
	const char *list;
	const char *etag;
	bool want;
};

START_TEST(test_etag_list)
{
	static const struct etag_case t[] = {
		{ CK_ROW, "\"x\"", "\"x\"", true },
		{ CK_ROW, "W/\"x\"", "\"x\"", true },
		{ CK_ROW, " \"a\" , \"x\" ", "\"x\"", true },
		{ CK_ROW, ",,\"x\"", "\"x\"", true },
		{ CK_ROW, "*", "\"x\"", true },
		{ CK_ROW, "* ", "\"x\"", true },
		{ CK_ROW, "\"y\"", "\"x\"", false },
		{ CK_ROW, "\"x", "\"x\"", false },
		{ CK_ROW, "x", "\"x\"", false },
		{ CK_ROW, "\"x\"\"y\"", "\"y\"", false },
		{ CK_ROW, "*, \"x\"", "\"x\"", false },
		{ CK_ROW, "\"a b\", \"x\"", "\"x\"", false },
		{ CK_ROW, "", "\"x\"", false },
	};
	size_t i;

	for (i = 0; i < NCASES(t); i++)
		ck_assert_msg(
		    etag_list_match(t[i].list, t[i].etag) == t[i].want,
		    "row at line %d", t[i].line);
}
END_TEST

/* --- Range --- */

struct range_case {
	int line;
	const char *spec;
	int64_t size;
	enum range_result want;
	int64_t first, last;
};

static const struct range_case range_cases[] = {
	{ CK_ROW, "bytes=0-4", 12, RANGE_OK, 0, 4 },
	{ CK_ROW, "bytes=6-", 12, RANGE_OK, 6, 11 },
	{ CK_ROW, "bytes=-6", 12, RANGE_OK, 6, 11 },
	{ CK_ROW, "bytes=-100", 12, RANGE_OK, 0, 11 },
	{ CK_ROW, "bytes=0-100", 12, RANGE_OK, 0, 11 },
	{ CK_ROW, "bytes=11-11", 12, RANGE_OK, 11, 11 },
	{ CK_ROW, "BYTES=1-2", 12, RANGE_OK, 1, 2 },
	{ CK_ROW, "bytes= 1-2 ", 12, RANGE_OK, 1, 2 },
	{ CK_ROW, "bytes=1-2,", 12, RANGE_OK, 1, 2 },
	{ CK_ROW, "bytes=0-99999999999999999999999", 12, RANGE_OK, 0, 11 },
	{ CK_ROW, "bytes=12-", 12, RANGE_UNSATISFIABLE, 0, 0 },
	{ CK_ROW, "bytes=12-20", 12, RANGE_UNSATISFIABLE, 0, 0 },
	{ CK_ROW, "bytes=99999999999999999999-", 12, RANGE_UNSATISFIABLE, 0,
	    0 },
	{ CK_ROW, "bytes=-0", 12, RANGE_UNSATISFIABLE, 0, 0 },
	{ CK_ROW, "bytes=0-", 0, RANGE_UNSATISFIABLE, 0, 0 },
	{ CK_ROW, "bytes=-5", 0, RANGE_NONE, 0, 0 },
	{ CK_ROW, "bytes=5-3", 12, RANGE_NONE, 0, 0 },
	{ CK_ROW, "bytes=0-1,3-4", 12, RANGE_NONE, 0, 0 },
	{ CK_ROW, "bytes=0-1, -2", 12, RANGE_NONE, 0, 0 },
	{ CK_ROW, "bytes=", 12, RANGE_NONE, 0, 0 },
	{ CK_ROW, "bytes=-", 12, RANGE_NONE, 0, 0 },
	{ CK_ROW, "bytes=a-b", 12, RANGE_NONE, 0, 0 },
	{ CK_ROW, "bytes=1-2x", 12, RANGE_NONE, 0, 0 },
	{ CK_ROW, "bytes=+1-2", 12, RANGE_NONE, 0, 0 },
	{ CK_ROW, "bytes=1--2", 12, RANGE_NONE, 0, 0 },
	{ CK_ROW, "bytes 0-1", 12, RANGE_NONE, 0, 0 },
	{ CK_ROW, "items=0-1", 12, RANGE_NONE, 0, 0 },
	{ CK_ROW, "", 12, RANGE_NONE, 0, 0 },
};

START_TEST(test_range_parse)
{
	const struct range_case *t;
	int64_t first, last;
	enum range_result got;
	size_t i;

	for (i = 0; i < NCASES(range_cases); i++) {
		t = &range_cases[i];
		first = last = -7;
		got = range_parse(t->spec, t->size, &first, &last);
		ck_assert_msg(
		    got == t->want, "row at line %d: result %d", t->line, got);
		if (got == RANGE_OK)
			ck_assert_msg(first == t->first && last == t->last,
			    "row at line %d: %lld-%lld", t->line,
			    (long long)first, (long long)last);
	}
}
END_TEST

static Suite *
static_suite(void)
{
	Suite *s = suite_create("static");
	TCase *tc;

	tc = tcase_create("open");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_open, 0, (int)NCASES(open_rows));
	suite_add_tcase(s, tc);
	tc = tcase_create("conditionals");
	tcase_add_test(tc, test_not_modified);
	tcase_add_test(tc, test_if_range);
	tcase_add_test(tc, test_etag_list);
	suite_add_tcase(s, tc);
	tc = tcase_create("ranges");
	tcase_add_test(tc, test_range_parse);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ck_run(static_suite());
}
