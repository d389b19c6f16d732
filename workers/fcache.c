#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "workers/fcache.h"

#define FCACHE_SLOTS      64 /* direct-mapped: a colliding path replaces */
#define FCACHE_PATH_MAX   256
#define FCACHE_SETTLE_SEC 1 /* younger changes may share a timestamp */
#define FNV_OFFSET_BASIS  0xcbf29ce484222325ULL
#define FNV_PRIME         0x100000001b3ULL

struct fentry {
	uint64_t hash;
	int64_t checked; /* fcache_now() the file was last seen unchanged */
	struct stat st;  /* what the file was when it was read */
	char *path;      /* after the bytes, NUL-terminated */
	char data[];
};

struct fcache {
	struct fentry *slot[FCACHE_SLOTS];
};

static int64_t (*fcache_now)(void) = mono_ms;
static pthread_once_t fcache_once = PTHREAD_ONCE_INIT;
static pthread_key_t fcache_key;
static __thread struct fcache *fcache_mine;

static void
fcache_free(void *arg)
{
	struct fcache *fc = arg;
	size_t i;

	for (i = 0; i < FCACHE_SLOTS; i++)
		free(fc->slot[i]);
	free(fc);
}

static void
fcache_init_once(void)
{
	if (pthread_key_create(&fcache_key, fcache_free) != 0)
		abort();
}

static struct fcache *
fcache_thread(void)
{
	struct fcache *fc;

	if (fcache_mine != NULL)
		return fcache_mine;
	pthread_once(&fcache_once, fcache_init_once);
	if ((fc = calloc(1, sizeof(*fc))) == NULL)
		return NULL;
	if (pthread_setspecific(fcache_key, fc) != 0) {
		free(fc);
		return NULL;
	}
	return fcache_mine = fc;
}

static uint64_t
fcache_hash(const char *s)
{
	uint64_t h = FNV_OFFSET_BASIS;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * FNV_PRIME;
	return h;
}

/* The same inode with the same size, content and metadata times. */
static bool
fcache_same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_mode == b->st_mode && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

const char *
fcache_get(int docroot, const char *rel, struct stat *st)
{
	struct fcache *fc = fcache_mine;
	struct fentry *e;
	uint64_t h;

	if (fc == NULL)
		return NULL;
	h = fcache_hash(rel);
	e = fc->slot[h % FCACHE_SLOTS];
	if (e == NULL || e->hash != h || strcmp(e->path, rel) != 0)
		return NULL;
	if (fcache_now() - e->checked < FCACHE_TRUST_MS) {
		*st = e->st; /* the snapshot the bytes are of */
		return e->data;
	}
	/*
	 * Symlinks are followed and RESOLVE_BENEATH is not needed: only the
	 * very inode that was opened beneath the root, unchanged, matches;
	 * wherever else the path leads now is a miss.
	 */
	if (fstatat(docroot, rel, st, 0) == -1 || !fcache_same(st, &e->st))
		return NULL;
	e->checked = fcache_now();
	return e->data;
}

void
fcache_set_clock(int64_t (*now)(void))
{
	fcache_now = now;
}

/*
 * A file changed within the last second is not kept: a second write in
 * the same clock tick could leave every timestamp as it was (the "racy
 * git" problem). Once settled, any change moves ctime past what we hold.
 */
static bool
fcache_settled(const struct stat *st)
{
	struct timespec now;

	if (clock_gettime(CLOCK_REALTIME, &now) == -1)
		return false;
	return now.tv_sec - st->st_ctim.tv_sec > FCACHE_SETTLE_SEC ||
	       (now.tv_sec - st->st_ctim.tv_sec == FCACHE_SETTLE_SEC &&
		   now.tv_nsec >= st->st_ctim.tv_nsec);
}

/* Reads all of FD into P; false if it is shorter or fails. */
static bool
fcache_read(int fd, char *p, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, p + got, len - got, (off_t)got);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0 || errno != EINTR)
			return false;
	}
	return true;
}

const char *
fcache_put(const char *rel, int fd, const struct stat *st)
{
	struct fcache *fc;
	struct fentry *e, **slot;
	size_t len, pathlen = strlen(rel);
	uint64_t h;

	if (!S_ISREG(st->st_mode) || st->st_size < 0 ||
	    st->st_size > FCACHE_FILE_MAX || pathlen >= FCACHE_PATH_MAX ||
	    !fcache_settled(st) || (fc = fcache_thread()) == NULL)
		return NULL;
	len = (size_t)st->st_size;
	if ((e = malloc(sizeof(*e) + len + pathlen + 1)) == NULL)
		return NULL;
	if (!fcache_read(fd, e->data, len)) {
		free(e);
		return NULL;
	}
	h = fcache_hash(rel);
	e->hash = h;
	e->checked = fcache_now();
	e->st = *st;
	e->path = e->data + len;
	memcpy(e->path, rel, pathlen + 1);
	slot = &fc->slot[h % FCACHE_SLOTS];
	free(*slot);
	*slot = e;
	return e->data;
}
