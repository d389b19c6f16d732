/*
 * Opening what a request path names, never outside the document root:
 * every open goes through openat2() relative to the DocumentRoot fd with
 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, so neither "..", an absolute
 * symlink nor a /proc magic link can lead out, whatever the encoding of
 * the request was. Symlinks that stay inside are followed.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "workers/fcache.h"
#include "workers/static.h"

/*
 * O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
 * writer; it changes nothing for the regular files we serve.
 */
#define STATIC_OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
#define STATIC_RESOLVE    (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
#define HEX_MAX           16 /* digits of a uint64_t */
#define HEX_SHIFT         4
#define HEX_MASK          0xf

/* Three numbers of HEX_MAX digits, '"', '"', '.', '-' and the NUL fit. */
_Static_assert(STATIC_ETAG_MAX >= 3 * HEX_MAX + 5, "STATIC_ETAG_MAX");

/* Returns an fd, or -1 with errno set. */
static int
static_openat2(int dirfd, const char *rel)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = STATIC_OPEN_FLAGS;
	how.resolve = STATIC_RESOLVE;
	return (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
}

/* The HTTP status for a failed open or fstat. */
static int
static_errno_status(int err, const char *path)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case EXDEV: /* RESOLVE_BENEATH: the path tried to leave the root */
	case ELOOP:
	case ENAMETOOLONG:
		return 404;
	case EACCES:
	case EPERM:
		return 403;
	default:
		errno = err;
		log_warn("%s: open \"%s\"", __func__, path);
		return 500;
	}
}

/* PATH without its leading '/', "." for the root itself. */
static const char *
static_relpath(const char *path)
{
	while (*path == '/')
		path++;
	return (*path == '\0') ? "." : path;
}

/* V in lowercase hex at P, which has room for HEX_MAX; returns the end. */
static char *
put_hex(char *p, uint64_t v)
{
	static const char digit[] = "0123456789abcdef";
	char d[HEX_MAX], *q = d + sizeof(d);

	do
		*--q = digit[v & HEX_MASK];
	while ((v >>= HEX_SHIFT) != 0);
	memcpy(p, q, (size_t)(d + sizeof(d) - q));
	return p + (d + sizeof(d) - q);
}

/* The strong validator "<mtime>.<nsec>-<size>" in hex, quoted. */
static void
static_fill(struct static_file *f, int fd, const struct stat *st)
{
	char *p = f->etag;

	f->fd = fd;
	f->data = NULL;
	f->size = (int64_t)st->st_size;
	f->mtime = (int64_t)st->st_mtim.tv_sec;
	f->mtime_nsec = st->st_mtim.tv_nsec;
	*p++ = '"';
	p = put_hex(p, (uint64_t)f->mtime);
	*p++ = '.';
	p = put_hex(p, (unsigned long)f->mtime_nsec);
	*p++ = '-';
	p = put_hex(p, (uint64_t)f->size);
	*p++ = '"';
	*p = '\0';
}

/*
 * Opens PATH and fstat()s it into ST. Returns the fd, or -1 with *STATUS
 * set.
 */
static int
static_open_stat(int docroot, const char *path, struct stat *st, int *status)
{
	int fd;

	if ((fd = static_openat2(docroot, static_relpath(path))) == -1) {
		*status = static_errno_status(errno, path);
		return -1;
	}
	if (fstat(fd, st) == -1) {
		*status = static_errno_status(errno, path);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * PATH names a directory and ends in '/': tries each DirectoryIndex name.
 * A name that is missing or not a regular file is skipped; no name
 * found gives 403, as Apache does without autoindex.
 */
static int
static_open_index(int docroot, char *path, size_t pathsz, char *const *index,
    size_t nindex, struct static_file *f)
{
	struct stat st;
	size_t base = strlen(path), i, n;
	int fd, status;

	for (i = 0; i < nindex; i++) {
		n = strlen(index[i]);
		if (n == 0 || base + n >= pathsz)
			continue;
		memcpy(path + base, index[i], n + 1);
		if ((fd = static_open_stat(docroot, path, &st, &status)) ==
		    -1) {
			if (status == 404)
				continue;
			path[base] = '\0';
			return status;
		}
		if (S_ISREG(st.st_mode)) {
			static_fill(f, fd, &st);
			return 0;
		}
		close(fd);
	}
	path[base] = '\0';
	return 403;
}

/* F is the small file ST describes, whose bytes DATA holds. */
static int
static_from_memory(
    struct static_file *f, const char *data, const struct stat *st)
{
	static_fill(f, -1, st);
	f->data = data;
	return 0;
}

int
static_open(int docroot, char *path, size_t pathsz, char *const *index,
    size_t nindex, struct static_file *f)
{
	struct stat st;
	size_t len = strlen(path);
	const char *data;
	int fd, status;

	f->fd = -1;
	f->data = NULL;
	if (len > 0 && path[len - 1] != '/' &&
	    (data = fcache_get(docroot, static_relpath(path), &st)) != NULL)
		return static_from_memory(f, data, &st);
	if ((fd = static_open_stat(docroot, path, &st, &status)) == -1)
		return status;
	if (S_ISREG(st.st_mode)) {
		if ((data = fcache_put(static_relpath(path), fd, &st)) !=
		    NULL) {
			close(fd);
			return static_from_memory(f, data, &st);
		}
		static_fill(f, fd, &st);
		return 0;
	}
	close(fd);
	if (!S_ISDIR(st.st_mode))
		return 403;
	if (len == 0 || path[len - 1] != '/')
		return 301;
	return static_open_index(docroot, path, pathsz, index, nindex, f);
}

#define WELL_KNOWN "/.well-known"

bool
static_hidden(const char *path)
{
	size_t n = sizeof(WELL_KNOWN) - 1;

	if (strncmp(path, WELL_KNOWN, n) == 0 &&
	    (path[n] == '/' || path[n] == '\0'))
		path += n;
	return strstr(path, "/.") != NULL;
}

void
static_close(struct static_file *f)
{
	if (f->fd != -1)
		close(f->fd);
	f->fd = -1;
}
