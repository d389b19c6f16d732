/*
 * Check suite for workers/fcache.c: within FCACHE_TRUST_MS of its last
 * check an entry answers as it was, bytes and metadata together; after
 * that, hits only for the unchanged file. The cache's clock is ours.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/ck.h"
#include "workers/fcache.h"

#define ROOT_MAX    64
#define SETTLE_US   1100000 /* past FCACHE_SETTLE_SEC */
#define ORIGINAL    "original bytes\n"
#define SAME_LENGTH "0riginal bytes\n"

static char root[ROOT_MAX];
static int rootfd = -1;
static int64_t fake_ms = 1000000;

static int64_t
fake_now(void)
{
	return fake_ms;
}

/* Past the time an entry is trusted without a look at the file. */
static void
trust_expires(void)
{
	fake_ms += FCACHE_TRUST_MS;
}

static void
write_file(const char *rel, const char *data, size_t len)
{
	int fd;

	fd =
	    openat(rootfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd != -1, "create %s: %s", rel, strerror(errno));
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Opens REL as the server would and offers it to the cache. */
static const char *
fill(const char *rel)
{
	struct stat st;
	const char *data;
	int fd;

	fd = openat(rootfd, rel, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd != -1, "open %s: %s", rel, strerror(errno));
	ck_assert_int_eq(fstat(fd, &st), 0);
	data = fcache_put(rel, fd, &st);
	close(fd);
	return data;
}

static void
setup(void)
{
	char big[FCACHE_FILE_MAX + 1];

	fcache_set_clock(fake_now);
	snprintf(root, sizeof(root), "/tmp/check_fcache.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ne(rootfd, -1);
	write_file("a.txt", ORIGINAL, strlen(ORIGINAL));
	write_file("other.txt", SAME_LENGTH, strlen(SAME_LENGTH));
	memset(big, 'b', sizeof(big));
	write_file("big.bin", big, sizeof(big));
	write_file("max.bin", big, FCACHE_FILE_MAX);
	ck_assert_int_eq(mkdirat(rootfd, "dir", 0755), 0);
	usleep(SETTLE_US);
}

static void
teardown(void)
{
	char cmd[ROOT_MAX + 16];

	close(rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	ck_assert_int_eq(system(cmd), 0);
}

/* --- what happens to a.txt after it was cached --- */

static void
change_nothing(void)
{
}

static void
change_rewrite(void)
{
	write_file("a.txt", SAME_LENGTH, strlen(SAME_LENGTH));
}

static void
change_rename_over(void)
{
	ck_assert_int_eq(renameat(rootfd, "other.txt", rootfd, "a.txt"), 0);
}

static void
change_chmod(void)
{
	ck_assert_int_eq(fchmodat(rootfd, "a.txt", 0600, 0), 0);
}

static void
change_remove(void)
{
	ck_assert_int_eq(unlinkat(rootfd, "a.txt", 0), 0);
}

static void
change_symlink(void)
{
	ck_assert_int_eq(unlinkat(rootfd, "a.txt", 0), 0);
	ck_assert_int_eq(symlinkat("other.txt", rootfd, "a.txt"), 0);
}

static void
change_touch(void)
{
	struct timespec ts[2] = { { 0, UTIME_NOW }, { 12345, 0 } };

	ck_assert_int_eq(utimensat(rootfd, "a.txt", ts, 0), 0);
}

static const struct {
	int line;
	const char *what;
	void (*change)(void);
	const char *want; /* the bytes of a hit, NULL for a miss */
} change_rows[] = {
	{ CK_ROW, "unchanged", change_nothing, ORIGINAL },
	{ CK_ROW, "rewritten, same length", change_rewrite, NULL },
	{ CK_ROW, "another file renamed over it", change_rename_over, NULL },
	{ CK_ROW, "chmod", change_chmod, NULL },
	{ CK_ROW, "removed", change_remove, NULL },
	{ CK_ROW, "now a symlink to another file", change_symlink, NULL },
	{ CK_ROW, "mtime set back", change_touch, NULL },
};

START_TEST(test_changes)
{
	const char *data;
	struct stat st;

	data = fill("a.txt");
	ck_assert_msg(
	    data != NULL && memcmp(data, ORIGINAL, strlen(ORIGINAL)) == 0,
	    "a settled small file is kept");
	change_rows[_i].change();
	/* within the trust: the bytes and the metadata read, together */
	data = fcache_get(rootfd, "a.txt", &st);
	ck_assert_msg(data != NULL && st.st_size == (off_t)strlen(ORIGINAL) &&
			  memcmp(data, ORIGINAL, strlen(ORIGINAL)) == 0,
	    "row at line %d (%s): not the snapshot within the trust",
	    change_rows[_i].line, change_rows[_i].what);
	trust_expires();
	data = fcache_get(rootfd, "a.txt", &st);
	if (change_rows[_i].want == NULL) {
		ck_assert_msg(data == NULL, "row at line %d (%s): a hit",
		    change_rows[_i].line, change_rows[_i].what);
		return;
	}
	ck_assert_msg(data != NULL, "row at line %d (%s): a miss",
	    change_rows[_i].line, change_rows[_i].what);
	ck_assert_int_eq(st.st_size, (off_t)strlen(change_rows[_i].want));
	ck_assert(memcmp(data, change_rows[_i].want, (size_t)st.st_size) == 0);
}
END_TEST

/* --- what is never kept --- */

START_TEST(test_not_kept)
{
	char longname[300];
	struct stat st;
	int fd;

	ck_assert_ptr_null(fcache_get(rootfd, "a.txt", &st)); /* never put */
	ck_assert_ptr_null(fill("big.bin"));
	ck_assert_ptr_nonnull(fill("max.bin"));
	fd = openat(rootfd, "dir", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_ptr_null(fcache_put("dir", fd, &st));
	close(fd);
	/* a path that long is not worth a slot */
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	fd = openat(rootfd, "a.txt", O_RDONLY | O_CLOEXEC);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_ptr_null(fcache_put(longname, fd, &st));
	close(fd);
}
END_TEST

START_TEST(test_unsettled)
{
	struct stat st;

	write_file("fresh.txt", ORIGINAL, strlen(ORIGINAL));
	ck_assert_msg(fill("fresh.txt") == NULL,
	    "a file changed this second is not kept");
	ck_assert_ptr_null(fcache_get(rootfd, "fresh.txt", &st));
}
END_TEST

/* A file reached through a symlink inside the root is kept too. */
START_TEST(test_through_symlink)
{
	struct stat st;
	const char *data;

	ck_assert_int_eq(symlinkat("a.txt", rootfd, "link.txt"), 0);
	ck_assert_ptr_nonnull(fill("link.txt"));
	data = fcache_get(rootfd, "link.txt", &st);
	ck_assert_msg(data != NULL, "a file behind a symlink is a miss");
	ck_assert(memcmp(data, ORIGINAL, strlen(ORIGINAL)) == 0);
	ck_assert_int_eq(unlinkat(rootfd, "link.txt", 0), 0);
	ck_assert_int_eq(symlinkat("other.txt", rootfd, "link.txt"), 0);
	trust_expires();
	ck_assert_ptr_null(fcache_get(rootfd, "link.txt", &st));
}
END_TEST

START_TEST(test_two_files)
{
	struct stat st;
	const char *a, *o;

	ck_assert_ptr_nonnull(fill("a.txt"));
	ck_assert_ptr_nonnull(fill("other.txt"));
	a = fcache_get(rootfd, "a.txt", &st);
	ck_assert(a != NULL && memcmp(a, ORIGINAL, strlen(ORIGINAL)) == 0);
	o = fcache_get(rootfd, "other.txt", &st);
	ck_assert(
	    o != NULL && memcmp(o, SAME_LENGTH, strlen(SAME_LENGTH)) == 0);
}
END_TEST

static Suite *
fcache_suite(void)
{
	Suite *s = suite_create("fcache");
	TCase *tc = tcase_create("fcache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_changes, 0,
	    (int)(sizeof(change_rows) / sizeof(change_rows[0])));
	tcase_add_test(tc, test_not_kept);
	tcase_add_test(tc, test_unsettled);
	tcase_add_test(tc, test_two_files);
	tcase_add_test(tc, test_through_symlink);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ck_run(fcache_suite());
}
