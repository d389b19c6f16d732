/*
 * conf/mime.c: mime.types parsing, lookups by extension, duplicates, and
 * AddType over TypesConfig.
 */
#include "config.h"

#include <sys/stat.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "tests/unit/ck.h"

#define ROOT_TEMPLATE "/tmp/check_mime.XXXXXX"
#define PATH_BUF      4096
#define WANT_BUF      (2 * PATH_BUF)
#define NFTW_FDS      16

static char root[sizeof(ROOT_TEMPLATE)];
static struct mime_table table;

static const char *
path_of(const char *rel)
{
	static char path[PATH_BUF];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return path;
}

static void
write_file(const char *rel, const char *text, mode_t mode)
{
	FILE *f;

	ck_assert_ptr_nonnull(f = fopen(path_of(rel), "w"));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path_of(rel), mode), 0);
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(strcpy(root, ROOT_TEMPLATE)));
	memset(&table, 0, sizeof(table));
}

static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static void
teardown(void)
{
	mime_free(&table);
	nftw(root, remove_entry, NFTW_FDS, FTW_DEPTH | FTW_PHYS);
}

/* Loads TEXT as a mime.types file into table and sorts it. */
static void
load_types(const char *text)
{
	char *cause = NULL;

	write_file("mime.types", text, 0644);
	ck_assert_msg(
	    mime_load_file(&table, path_of("mime.types"), &cause) == 0, "%s",
	    cause);
	mime_finish(&table);
}

static const char lookup_types[] = "# comment line\n"
				   "\n"
				   "text/html\t\thtml htm\n"
				   "  text/css css   # trailing comment cssx\n"
				   "application/gzip gz tgz\r\n"
				   "image/png PNG\n"
				   "application/json json\n"
				   "text/plain txt\n"
				   "application/x-empty\n"
				   "text/x-c c\n"
				   "application/x-last last"; /* no final LF */

static const struct lookup_row {
	int line;
	const char *name;
	const char *type; /* NULL: unknown */
} lookup_rows[] = {
	{ CK_ROW, "index.html", "text/html" },
	{ CK_ROW, "INDEX.HTML", "text/html" },
	{ CK_ROW, "page.HtM", "text/html" },
	{ CK_ROW, "style.css", "text/css" },
	{ CK_ROW, "style.cssx", NULL },
	{ CK_ROW, "image.png", "image/png" },
	{ CK_ROW, "archive.tar.gz", "application/gzip" },
	{ CK_ROW, "a.b.c.json", "application/json" },
	{ CK_ROW, "a.json.txt", "text/plain" },
	{ CK_ROW, "a.txt.unknown", NULL },
	{ CK_ROW, "main.c", "text/x-c" },
	{ CK_ROW, "x.last", "application/x-last" },
	{ CK_ROW, "README", NULL },
	{ CK_ROW, "", NULL },
	{ CK_ROW, ".", NULL },
	{ CK_ROW, "..", NULL },
	{ CK_ROW, ".html", NULL }, /* a dotfile has no extension */
	{ CK_ROW, "..html", NULL },
	{ CK_ROW, ".config.json", "application/json" },
	{ CK_ROW, "name.", NULL }, /* trailing dot */
	{ CK_ROW, "name.html.", NULL },
	{ CK_ROW, "a..html", "text/html" },
	{ CK_ROW, "/docs/index.html", "text/html" },
	{ CK_ROW, "/v1.2/README", NULL }, /* dots in directory names */
	{ CK_ROW, "/site.html/", NULL },
	{ CK_ROW, "/a.b/c.d/e.css", "text/css" },
	{ CK_ROW, "/a.b/.htaccess", NULL },
	{ CK_ROW, "dir.json/file", NULL },
	{ CK_ROW, "x.h", NULL }, /* prefix of no extension */
	{ CK_ROW, "x.htmlx", NULL },
	{ CK_ROW, "x.ht", NULL },
	{ CK_ROW, "x.empty", NULL }, /* a type with no extensions */
	{ CK_ROW, "x.%", NULL },
};

START_TEST(test_lookup)
{
	const struct lookup_row *row = &lookup_rows[_i];
	const char *type;

	load_types(lookup_types);
	type = mime_lookup(&table, row->name);
	ck_assert_msg(row->type == NULL
			  ? type == NULL
			  : type != NULL && strcmp(type, row->type) == 0,
	    "row at line %d: '%s' gave %s", row->line, row->name,
	    type != NULL ? type : "NULL");
}
END_TEST

START_TEST(test_lookup_empty_table)
{
	ck_assert_ptr_null(mime_lookup(&table, "index.html"));
	mime_finish(&table);
	ck_assert_ptr_null(mime_lookup(&table, "index.html"));
}
END_TEST

START_TEST(test_duplicates_last_wins)
{
	load_types("text/plain txt log\n"
		   "text/x-log log\n"
		   "text/a dup\n"
		   "text/b dup\n"
		   "text/c dup\n");
	ck_assert_uint_eq(table.count, 3);
	ck_assert_str_eq(mime_lookup(&table, "a.log"), "text/x-log");
	ck_assert_str_eq(mime_lookup(&table, "a.txt"), "text/plain");
	ck_assert_str_eq(mime_lookup(&table, "a.dup"), "text/c");
}
END_TEST

START_TEST(test_add_after_finish)
{
	load_types("text/plain txt\n");
	ck_assert_int_eq(mime_add(&table, "text/x-over", ".TXT"), 0);
	ck_assert_int_eq(mime_add(&table, "text/x-new", "new"), 0);
	mime_finish(&table);
	ck_assert_uint_eq(table.count, 2);
	ck_assert_str_eq(mime_lookup(&table, "a.txt"), "text/x-over");
	ck_assert_str_eq(mime_lookup(&table, "a.NEW"), "text/x-new");
	ck_assert_str_eq(table.entries[0].ext, "new");
	ck_assert_str_eq(table.entries[1].ext, "txt");
}
END_TEST

/* Many entries in random order: the sort and the search agree. */
START_TEST(test_many)
{
	char ext[32], type[64], name[64];
	unsigned i, k;

	for (i = 0; i < 2000; i++) {
		k = (i * 7919u) % 2000u;
		snprintf(ext, sizeof(ext), "e%u", k);
		snprintf(type, sizeof(type), "x/t%u", k);
		ck_assert_int_eq(mime_add(&table, type, ext), 0);
	}
	mime_finish(&table);
	ck_assert_uint_eq(table.count, 2000);
	for (i = 0; i < table.count; i++) {
		snprintf(name, sizeof(name), "f.E%u", i);
		snprintf(type, sizeof(type), "x/t%u", i);
		ck_assert_str_eq(mime_lookup(&table, name), type);
		if (i > 0)
			ck_assert_int_lt(strcmp(table.entries[i - 1].ext,
					     table.entries[i].ext),
			    0);
	}
	ck_assert_ptr_null(mime_lookup(&table, "f.e2000"));
}
END_TEST

static const struct add_row {
	int line;
	const char *type;
	const char *ext;
	int result;
} add_rows[] = {
	{ CK_ROW, "text/html", "html", 0 },
	{ CK_ROW, "text/html", ".html", 0 },
	{ CK_ROW, "application/vnd.ms-excel", "xls", 0 },
	{ CK_ROW, "image/svg+xml", "svg", 0 },
	{ CK_ROW, "text/x-c++", "c++", 0 },
	{ CK_ROW, "application/x-foo", "cwl.json", 0 },
	{ CK_ROW, "text", "x", -1 },
	{ CK_ROW, "text/", "x", -1 },
	{ CK_ROW, "/html", "x", -1 },
	{ CK_ROW, "text/html/x", "x", -1 },
	{ CK_ROW, "text/html; charset=utf-8", "x", -1 },
	{ CK_ROW, "text/html;charset=utf-8", "x", -1 },
	{ CK_ROW, "#x/y", "x", -1 },
	{ CK_ROW, "text/html", "", -1 },
	{ CK_ROW, "text/html", ".", -1 },
	{ CK_ROW, "text/html", "..x", -1 },
	{ CK_ROW, "text/html", "a/b", -1 },
	{ CK_ROW, "text/html", "a b", -1 },
	{ CK_ROW, "text/html", "a\"b", -1 },
	{ CK_ROW, "text/html", "a\\b", -1 },
	{ CK_ROW, "text/html", "\xc3\xa9", -1 },
	{ CK_ROW, "text/html",
	    "x123456789012345678901234567890123456789012345678901234567890123"
	    "4",
	    -1 },
};

START_TEST(test_add)
{
	const struct add_row *row = &add_rows[_i];

	ck_assert_msg(mime_add(&table, row->type, row->ext) == row->result,
	    "row at line %d", row->line);
	ck_assert_uint_eq(table.count, row->result == 0 ? 1 : 0);
	if (row->result == 0)
		ck_assert_str_eq(table.entries[0].ext,
		    row->ext[0] == '.' ? row->ext + 1 : row->ext);
}
END_TEST

static const struct bad_file_row {
	int line;
	const char *text;
	const char *cause; /* after "PATH:" */
} bad_file_rows[] = {
	{ CK_ROW, "text/html html\nhtml text/html\n",
	    "2: 'html' is not a media type (type/subtype)" },
	{ CK_ROW, "# x\n\n\ntext/html a/b\n",
	    "4: 'a/b' is not a file extension" },
	{ CK_ROW, "text/html; charset=utf-8 html\n",
	    "1: 'text/html;' is not a media type" },
};

START_TEST(test_bad_file)
{
	const struct bad_file_row *row = &bad_file_rows[_i];
	char want[WANT_BUF], *cause = NULL;

	write_file("bad.types", row->text, 0644);
	ck_assert_int_eq(
	    mime_load_file(&table, path_of("bad.types"), &cause), -1);
	snprintf(want, sizeof(want), "%s:%s", path_of("bad.types"), row->cause);
	ck_assert_msg(strncmp(cause, want, strlen(want)) == 0,
	    "row at line %d: '%s', want '%s'", row->line, cause, want);
	free(cause);
}
END_TEST

START_TEST(test_missing_file)
{
	char want[WANT_BUF], *cause = NULL;

	ck_assert_int_eq(
	    mime_load_file(&table, path_of("none.types"), &cause), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory",
	    path_of("none.types"));
	ck_assert_str_eq(cause, want);
	free(cause);
	ck_assert_int_eq(mime_load_file(&table, root, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "Is a directory"));
	free(cause);
}
END_TEST

START_TEST(test_nul_in_file)
{
	static const char text[] = "text/html html\ntext/plain t\0xt\n";
	char *cause = NULL;
	FILE *f;

	ck_assert_ptr_nonnull(f = fopen(path_of("nul.types"), "w"));
	ck_assert_uint_eq(
	    fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	fclose(f);
	ck_assert_int_eq(
	    mime_load_file(&table, path_of("nul.types"), &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, ":2: NUL byte in line"));
	free(cause);
}
END_TEST

/* The source tree's directory of FILE, for the shipped conf/mime.types. */
static const char *
shipped(const char *file)
{
	static char path[PATH_BUF];
	const char *src = getenv("MPMD_SRCDIR");
	const char *tail;

	if (src != NULL)
		snprintf(path, sizeof(path), "%s/%s", src, file);
	else if ((tail = strstr(__FILE__, "tests/unit/")) != NULL)
		snprintf(path, sizeof(path), "%.*s%s", (int)(tail - __FILE__),
		    __FILE__, file);
	return path;
}

static const struct lookup_row shipped_rows[] = {
	{ CK_ROW, "index.html", "text/html" },
	{ CK_ROW, "a.htm", "text/html" },
	{ CK_ROW, "a.css", "text/css" },
	{ CK_ROW, "a.js", "text/javascript" },
	{ CK_ROW, "a.mjs", "text/javascript" },
	{ CK_ROW, "a.json", "application/json" },
	{ CK_ROW, "a.xml", "text/xml" },
	{ CK_ROW, "a.txt", "text/plain" },
	{ CK_ROW, "a.svg", "image/svg+xml" },
	{ CK_ROW, "a.png", "image/png" },
	{ CK_ROW, "a.JPG", "image/jpeg" },
	{ CK_ROW, "a.webp", "image/webp" },
	{ CK_ROW, "a.ico", "image/x-icon" },
	{ CK_ROW, "a.woff2", "font/woff2" },
	{ CK_ROW, "a.pdf", "application/pdf" },
	{ CK_ROW, "a.tar.gz", "application/gzip" },
	{ CK_ROW, "a.wasm", "application/wasm" },
	{ CK_ROW, "a.mp4", "video/mp4" },
	{ CK_ROW, "a.webm", "video/webm" },
	{ CK_ROW, "a.mp3", "audio/mpeg" },
	{ CK_ROW, "a.docx",
	    "application/vnd.openxmlformats-officedocument.wordprocessingml."
	    "document" },
	{ CK_ROW, "a.webmanifest", "application/manifest+json" },
	{ CK_ROW, "a.unknownext", NULL },
};

START_TEST(test_shipped_types)
{
	const struct lookup_row *row = &shipped_rows[_i];
	char *cause = NULL;
	const char *type;

	ck_assert_msg(
	    mime_load_file(&table, shipped("conf/mime.types"), &cause) == 0,
	    "%s", cause);
	mime_finish(&table);
	ck_assert_uint_ge(table.count, 120);
	type = mime_lookup(&table, row->name);
	ck_assert_msg(row->type == NULL
			  ? type == NULL
			  : type != NULL && strcmp(type, row->type) == 0,
	    "row at line %d: '%s' gave %s", row->line, row->name,
	    type != NULL ? type : "NULL");
}
END_TEST

/* AddType in mpmd.conf wins over TypesConfig, wherever it is written. */
static const struct precedence_row {
	int line;
	const char *conf;
	const char *name;
	const char *type;
} precedence_rows[] = {
	{ CK_ROW, "", "a.html", "text/html" },
	{ CK_ROW, "AddType text/x-mine html", "a.html", "text/x-mine" },
	{ CK_ROW, "AddType text/x-mine html\nTypesConfig types", "a.html",
	    "text/x-mine" },
	{ CK_ROW, "AddType text/x-a html\nAddType text/x-b .HTML", "a.html",
	    "text/x-b" },
	{ CK_ROW, "AddType text/x-mine new", "a.new", "text/x-mine" },
	{ CK_ROW, "AddType text/x-mine new", "a.htm", "text/html" },
};

START_TEST(test_addtype_precedence)
{
	const struct precedence_row *row = &precedence_rows[_i];
	char text[PATH_BUF];
	struct conf conf;
	struct conf_errors errs;
	const char *type;

	mkdir(path_of("htdocs"), 0755);
	write_file("mpm-event", "#!/bin/sh\n", 0755);
	write_file("types", "text/html html htm\n", 0644);
	snprintf(text, sizeof(text), "TypesConfig types\n%s\n", row->conf);
	write_file("mpmd.conf", text, 0644);
	conf_init(&conf);
	free(conf.server_root);
	conf.server_root = strdup(root);
	free(conf.worker_dir);
	conf.worker_dir = strdup(root);
	ck_assert_msg(conf_load(&conf, path_of("mpmd.conf"), 0, &errs) == 0,
	    "row at line %d: %s", row->line, errs.count > 0 ? errs.msg[0] : "");
	type = mime_lookup(&conf.mime, row->name);
	ck_assert_msg(type != NULL && strcmp(type, row->type) == 0,
	    "row at line %d: %s", row->line, type != NULL ? type : "NULL");
	conf_errors_free(&errs);
	conf_free(&conf);
}
END_TEST

/* A distribution's full table loads too, if this system has one. */
START_TEST(test_system_types)
{
	char *cause = NULL;

	if (access("/etc/mime.types", R_OK) != 0)
		return; /* nothing to check on this system */
	ck_assert_msg(mime_load_file(&table, "/etc/mime.types", &cause) == 0,
	    "%s", cause);
	mime_finish(&table);
	ck_assert_str_eq(mime_lookup(&table, "a.html"), "text/html");
}
END_TEST

static Suite *
mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc;

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))
	tc = tcase_create("lookup");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_lookup, 0, N(lookup_rows));
	tcase_add_test(tc, test_lookup_empty_table);
	tcase_add_test(tc, test_duplicates_last_wins);
	tcase_add_test(tc, test_add_after_finish);
	tcase_add_test(tc, test_many);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_add, 0, N(add_rows));
	tcase_add_loop_test(tc, test_bad_file, 0, N(bad_file_rows));
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_nul_in_file);
	tcase_add_loop_test(tc, test_shipped_types, 0, N(shipped_rows));
	tcase_add_test(tc, test_system_types);
	suite_add_tcase(s, tc);

	tc = tcase_create("addtype");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_addtype_precedence, 0, N(precedence_rows));
	suite_add_tcase(s, tc);
#undef N
	return s;
}

int
main(void)
{
	return ck_run(mime_suite());
}
