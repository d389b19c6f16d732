/*
 * What `mpmd -t` tells an administrator: one mistake gives one message,
 * at the line that holds it, in words. A typo of a directive's name is
 * said once (with the name it resembles), not again as the default it
 * left in place; a compiled-in default's error names no line 0; a
 * missing certificate or key is the system's words, no OpenSSL codes.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/parse.h"
#include "lib/plural.h"
#include "tests/unit/ck.h"
#include "tests/unit/conftree.h"

#define ROOT_TEMPLATE "/tmp/check_confmsg.XXXXXX"
#define TEXT_MAX      4096

static char root[sizeof(ROOT_TEMPLATE)];
static struct conf conf;
static struct conf_errors errs;

static const char *
subst(const char *text)
{
	return conftree_subst(root, text);
}

/* A ServerRoot with all an empty config needs but htdocs/. */
static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(strcpy(root, ROOT_TEMPLATE)));
	conftree_mkdir(root, "conf");
	conftree_mkdir(root, "bin");
	conftree_write(root, "conf/mime.types", "text/html html\n", 0644);
	conftree_write(root, "bin/mpm-event", "#!/bin/sh\n", 0755);
	memset(&conf, 0, sizeof(conf));
	memset(&errs, 0, sizeof(errs));
}

static void
teardown(void)
{
	conf_free(&conf);
	conf_errors_free(&errs);
	conftree_remove(root);
}

/* Loads TEXT as @/test.conf over defaults rooted at @ (no htdocs/). */
static int
load(const char *text)
{
	char path[TEXT_MAX];

	conf_free(&conf);
	conf_errors_free(&errs);
	conftree_write(root, "test.conf", text, 0644);
	snprintf(path, sizeof(path), "%s/test.conf", root);
	conftree_defaults(&conf, root);
	return conf_load(&conf, path, 0, &errs);
}

static const char *
all_errors(void)
{
	static char buf[TEXT_MAX * 2];
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < errs.count && n < sizeof(buf); i++)
		n += (size_t)snprintf(
		    buf + n, sizeof(buf) - n, "  %s\n", errs.msg[i]);
	return buf;
}

/* Exactly one error, WANT (with '@' for the root); LINE names the row. */
static void
one_error(int line, const char *text, const char *want)
{
	ck_assert_msg(load(text) == -1, "row at line %d: accepted", line);
	ck_assert_msg(errs.count == 1,
	    "row at line %d: %zu errors for one mistake:\n%s", line, errs.count,
	    all_errors());
	ck_assert_msg(strcmp(errs.msg[0], subst(want)) == 0,
	    "row at line %d: '%s', want '%s'", line, errs.msg[0], subst(want));
}

static const struct {
	int line;
	const char *text;
	const char *want;
} one_mistake[] = {
	/* the typo, not the DocumentRoot it left at its default */
	{ __LINE__, "ServerRoot @\nDocumentRot @\n",
	    "@/test.conf:2: unknown directive 'DocumentRot': did you mean "
	    "DocumentRoot?" },
	{ __LINE__, "DocumentRoot @\nLisen 8080\nListen 8081\n",
	    "@/test.conf:2: unknown directive 'Lisen': did you mean "
	    "Listen?" },
	{ __LINE__, "DocumentRoot @\nStartServer 2\n",
	    "@/test.conf:2: unknown directive 'StartServer': did you mean "
	    "StartServers?" },
	{ __LINE__, "DocumentRoot @\nFrobnicate on\n",
	    "@/test.conf:2: unknown directive 'Frobnicate'" },
	/* a refused ServerRoot: the paths under it are not said again */
	{ __LINE__, "ServerRoot relative/dir\n",
	    "@/test.conf:1: ServerRoot: 'relative/dir' is not an absolute "
	    "path" },
	/* a refused value: the checks across directives keep quiet */
	{ __LINE__, "DocumentRoot @\nMaxSpareServers many\n",
	    "@/test.conf:2: MaxSpareServers: 'many' is not a number" },
	/* a default's error: no line 0, and said to be the default */
	{ __LINE__, "",
	    "@/test.conf: DocumentRoot: @/htdocs: No such file or directory "
	    "(a compiled-in default: the file does not set it)" },
	{ __LINE__, "# nothing set\n",
	    "@/test.conf: DocumentRoot: @/htdocs: No such file or directory "
	    "(a compiled-in default: the file does not set it)" },
	/* the certificate's and the key's own lines, in the system's words */
	{ __LINE__,
	    "DocumentRoot @\nListen 8443 https\nSSLCertificateFile "
	    "@/missing.pem\n",
	    "@/test.conf:3: SSLCertificateFile: @/missing.pem: No such file or "
	    "directory" },
	{ __LINE__,
	    "DocumentRoot @\nSSLCertificateFile @/conf\n"
	    "SSLCertificateKeyFile @/missing.key\n",
	    "@/test.conf:2: SSLCertificateFile: @/conf: Is a directory" },
};

START_TEST(test_one_mistake_one_message)
{
	one_error(
	    one_mistake[_i].line, one_mistake[_i].text, one_mistake[_i].want);
}
END_TEST

/* No OpenSSL error code in any message about a missing file. */
START_TEST(test_no_openssl_codes)
{
	size_t i;

	ck_assert_int_eq(load("DocumentRoot @\nSSLCertificateFile @/a.pem\n"
			      "SSLCertificateFile @/b.pem\n"),
	    -1);
	ck_assert_uint_eq(errs.count, 2);
	for (i = 0; i < errs.count; i++) {
		ck_assert_msg(strstr(errs.msg[i], "error:") == NULL,
		    "an OpenSSL code in: %s", errs.msg[i]);
		ck_assert_msg(strstr(errs.msg[i], ":0:") == NULL,
		    "line 0 in: %s", errs.msg[i]);
	}
	ck_assert_str_eq(errs.msg[1],
	    subst("@/test.conf:3: SSLCertificateFile: @/b.pem: No such file "
		  "or directory"));
}
END_TEST

/* A typo after the directive was set keeps that line's value valid. */
START_TEST(test_typo_after_set)
{
	ck_assert_int_eq(load("DocumentRoot @\nDocumentRot @/nope\n"), -1);
	ck_assert_uint_eq(errs.count, 1);
	ck_assert_str_eq(conf.document_root, root);
}
END_TEST

START_TEST(test_plural)
{
	char text[64];
	unsigned n;

	for (n = 0; n < 3; n++) {
		snprintf(text, sizeof(text), "%u worker%s", n, plural(n));
		ck_assert_str_eq(text, n == 0   ? "0 workers"
				       : n == 1 ? "1 worker"
						: "2 workers");
	}
}
END_TEST

static Suite *
confmsg_suite(void)
{
	Suite *s = suite_create("confmsg");
	TCase *tc = tcase_create("messages");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_one_mistake_one_message, 0,
	    (int)(sizeof(one_mistake) / sizeof(one_mistake[0])));
	tcase_add_test(tc, test_no_openssl_codes);
	tcase_add_test(tc, test_typo_after_set);
	tcase_add_test(tc, test_plural);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ck_run(confmsg_suite());
}
