/*
 * A temporary document root for the suites that serve files from one
 * (check_conn, check_static), with a directory beside it that nothing
 * beneath the root may reach. docroot_create() fills the root with:
 *
 *   index.html "<p>root</p>\n"   hello.txt "hello world\n"   a b.txt
 *   page.html style.css app.js img.png noext (one MIME type each)
 *   empty.txt (0 bytes)          locked.txt (mode 000)
 *   big.bin (DOCROOT_BIG_SIZE bytes, byte i is 'a' + i % 26)
 *   sub/index.html "<p>sub</p>\n"   a dir/index.html "<p>a dir</p>\n"
 *   noindex/file.txt (no index)     alt/default.htm "alt\n"
 *   in.txt -> hello.txt             sub/up.txt -> ../hello.txt
 *   out.txt -> <outside>/secret.txt (absolute)
 *   rel-out.txt -> ../<outside>/secret.txt
 *   outdir -> <outside> (absolute)
 *   magic.txt -> /proc/self/root/etc/hostname
 *   fifo (a FIFO)
 */
#ifndef MPMD_TESTS_DOCROOT_H
#define MPMD_TESTS_DOCROOT_H

#include <sys/stat.h>

#include <stddef.h>

#define DOCROOT_NAME_MAX 64     /* the mkdtemp() names */
#define DOCROOT_BIG_SIZE 300000 /* more than a socketpair buffer holds */

struct docroot {
	char dir[DOCROOT_NAME_MAX];     /* the document root */
	char outside[DOCROOT_NAME_MAX]; /* beside it, holding secret.txt */
};

/* Makes both directories as /tmp/<PREFIX>.XXXXXX and fills them. */
void docroot_create(struct docroot *d, const char *prefix);

/* Removes both trees. */
void docroot_remove(const struct docroot *d);

/* stat() of REL beneath the root. */
void docroot_stat(const struct docroot *d, const char *rel, struct stat *st);

/* The strong ETag workers/static.c gives the file ST describes. */
void docroot_etag(const struct stat *st, char *etag, size_t etagsz);

#endif
