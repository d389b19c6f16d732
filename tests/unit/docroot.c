/* The temporary document root of check_conn and check_static. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/ck.h"
#include "tests/unit/docroot.h"

#define RM_FDS 16 /* nftw()'s open directories */

static void
put(const char *dir, const char *rel, const char *data, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd != -1, "create %s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void
put_str(const struct docroot *d, const char *rel, const char *data)
{
	put(d->dir, rel, data, strlen(data));
}

static void
mkdir_in(const struct docroot *d, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", d->dir, rel);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void
link_in(const struct docroot *d, const char *target, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", d->dir, rel);
	ck_assert_int_eq(symlink(target, path), 0);
}

static void
make_big(const struct docroot *d)
{
	char *data = malloc(DOCROOT_BIG_SIZE);
	size_t i;

	ck_assert_ptr_nonnull(data);
	for (i = 0; i < DOCROOT_BIG_SIZE; i++)
		data[i] = (char)('a' + i % 26);
	put(d->dir, "big.bin", data, DOCROOT_BIG_SIZE);
	free(data);
}

static void
make_tree(const struct docroot *d)
{
	char path[PATH_MAX], target[PATH_MAX];

	put_str(d, "index.html", "<p>root</p>\n");
	put_str(d, "hello.txt", "hello world\n");
	put_str(d, "a b.txt", "spaced\n");
	put_str(d, "page.html", "<p>page</p>\n");
	put_str(d, "style.css", "p{}\n");
	put_str(d, "app.js", "1;\n");
	put_str(d, "img.png", "PNG\n");
	put_str(d, "noext", "raw\n");
	put_str(d, "empty.txt", "");
	put_str(d, "locked.txt", "locked\n");
	mkdir_in(d, "sub");
	put_str(d, "sub/index.html", "<p>sub</p>\n");
	mkdir_in(d, "a dir");
	put_str(d, "a dir/index.html", "<p>a dir</p>\n");
	mkdir_in(d, "noindex");
	put_str(d, "noindex/file.txt", "file\n");
	mkdir_in(d, "alt");
	put_str(d, "alt/default.htm", "alt\n");
	make_big(d);
	link_in(d, "hello.txt", "in.txt");
	link_in(d, "../hello.txt", "sub/up.txt");
	snprintf(target, sizeof(target), "%s/secret.txt", d->outside);
	link_in(d, target, "out.txt");
	snprintf(target, sizeof(target), "../%s/secret.txt",
	    strrchr(d->outside, '/') + 1);
	link_in(d, target, "rel-out.txt");
	link_in(d, d->outside, "outdir");
	link_in(d, "/proc/self/root/etc/hostname", "magic.txt");
	snprintf(path, sizeof(path), "%s/fifo", d->dir);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	snprintf(path, sizeof(path), "%s/locked.txt", d->dir);
	ck_assert_int_eq(chmod(path, 0), 0);
}

void
docroot_create(struct docroot *d, const char *prefix)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/%s.XXXXXX", prefix);
	snprintf(d->outside, sizeof(d->outside), "/tmp/%s_out.XXXXXX", prefix);
	ck_assert_ptr_nonnull(mkdtemp(d->dir));
	ck_assert_ptr_nonnull(mkdtemp(d->outside));
	put(d->outside, "secret.txt", "secret\n", strlen("secret\n"));
	make_tree(d);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void
docroot_remove(const struct docroot *d)
{
	nftw(d->dir, rm_entry, RM_FDS, FTW_DEPTH | FTW_PHYS);
	nftw(d->outside, rm_entry, RM_FDS, FTW_DEPTH | FTW_PHYS);
}

void
docroot_stat(const struct docroot *d, const char *rel, struct stat *st)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", d->dir, rel);
	ck_assert_msg(
	    stat(path, st) == 0, "stat %s: %s", path, strerror(errno));
}

void
docroot_etag(const struct stat *st, char *etag, size_t etagsz)
{
	snprintf(etag, etagsz, "\"%llx.%lx-%llx\"",
	    (unsigned long long)st->st_mtim.tv_sec,
	    (unsigned long)st->st_mtim.tv_nsec,
	    (unsigned long long)st->st_size);
}
