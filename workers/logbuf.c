#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "workers/accesslog.h"

/*
 * Access-log lines buffered per thread. A thread that calls
 * accesslog_buffered() promises to call accesslog_flush() before any wait
 * that may be long; its lines then
 * collect in a buffer of its own and leave in one write() per
 * ACCESSLOG_BUF_SIZE or per ACCESSLOG_FLUSH_MS, always as whole lines.
 * Every buffer is on a list so that an exit can flush them all; each has
 * a lock for that case only, never contended otherwise.
 */
struct logbuf {
	pthread_mutex_t lock;
	struct logbuf *next;
	atomic_int *fdp; /* where the buffered lines go */
	int64_t first;   /* mono_ms() of the oldest buffered line */
	size_t len;
	char data[ACCESSLOG_BUF_SIZE];
};

static pthread_mutex_t logbufs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct logbuf *logbufs;
static pthread_once_t logbuf_once = PTHREAD_ONCE_INIT;
static pthread_key_t logbuf_key;
static __thread struct logbuf *logbuf_mine;

/* Whole lines only: at most MAX bytes, unless the first line alone is more. */
static size_t
log_chunk(const char *p, size_t len, size_t max)
{
	const char *nl;

	if (len <= max)
		return len;
	if ((nl = memrchr(p, '\n', max)) != NULL)
		return (size_t)(nl - p) + 1;
	return (nl = memchr(p, '\n', len)) != NULL ? (size_t)(nl - p) + 1 : len;
}

/*
 * Writes LEN bytes of whole lines. O_APPEND keeps a write() to a file in
 * one piece; a pipe only promises that up to PIPE_BUF bytes.
 */
static void
log_write_lines(int fd, const char *p, size_t len)
{
	struct stat st;
	size_t max = SIZE_MAX;
	ssize_t n;

	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
		max = PIPE_BUF;
	while (len > 0) {
		n = write(fd, p, log_chunk(p, len, max));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* lines lost: nothing better to do */
		p += n;
		len -= (size_t)n;
	}
}

static void
logbuf_flush_locked(struct logbuf *b)
{
	int fd;

	if (b->len > 0 && b->fdp != NULL && (fd = atomic_load(b->fdp)) >= 0)
		log_write_lines(fd, b->data, b->len);
	b->len = 0;
}

static void
logbuf_free(void *arg)
{
	struct logbuf *b = arg, **pp;

	pthread_mutex_lock(&logbufs_lock);
	for (pp = &logbufs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	pthread_mutex_unlock(&logbufs_lock);
	pthread_mutex_lock(&b->lock);
	logbuf_flush_locked(b);
	pthread_mutex_unlock(&b->lock);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

static void
logbuf_init_once(void)
{
	/* Threads flush as they end, the main thread as the process exits. */
	if (pthread_key_create(&logbuf_key, logbuf_free) != 0 ||
	    atexit(accesslog_flush_all) != 0)
		abort();
}

int
accesslog_buffered(void)
{
	struct logbuf *b;

	if (logbuf_mine != NULL)
		return 0;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -1;
	pthread_once(&logbuf_once, logbuf_init_once);
	pthread_mutex_init(&b->lock, NULL);
	if (pthread_setspecific(logbuf_key, b) != 0) {
		pthread_mutex_destroy(&b->lock);
		free(b);
		return -1;
	}
	pthread_mutex_lock(&logbufs_lock);
	b->next = logbufs;
	logbufs = b;
	pthread_mutex_unlock(&logbufs_lock);
	logbuf_mine = b;
	return 0;
}

void
accesslog_flush(void)
{
	struct logbuf *b = logbuf_mine;

	if (b == NULL)
		return;
	pthread_mutex_lock(&b->lock);
	logbuf_flush_locked(b);
	pthread_mutex_unlock(&b->lock);
}

int64_t
accesslog_due(void)
{
	struct logbuf *b = logbuf_mine;
	int64_t left = -1;

	if (b == NULL)
		return -1;
	pthread_mutex_lock(&b->lock);
	if (b->len > 0) {
		left = b->first + ACCESSLOG_FLUSH_MS - mono_ms();
		if (left < 0)
			left = 0;
	}
	pthread_mutex_unlock(&b->lock);
	return left;
}

void
accesslog_flush_all(void)
{
	struct logbuf *b;

	pthread_mutex_lock(&logbufs_lock);
	for (b = logbufs; b != NULL; b = b->next) {
		pthread_mutex_lock(&b->lock);
		logbuf_flush_locked(b);
		pthread_mutex_unlock(&b->lock);
	}
	pthread_mutex_unlock(&logbufs_lock);
}

bool
logbuf_add(
    atomic_int *fdp, enum conf_log_format fmt, const struct accesslog_entry *e)
{
	struct logbuf *b = logbuf_mine;
	int64_t now;

	if (b == NULL)
		return false;
	now = mono_ms();
	pthread_mutex_lock(&b->lock);
	if (b->fdp != fdp || sizeof(b->data) - b->len < ACCESSLOG_LINE_MAX ||
	    (b->len > 0 && now - b->first >= ACCESSLOG_FLUSH_MS))
		logbuf_flush_locked(b);
	if (b->len == 0)
		b->first = now;
	b->fdp = fdp;
	b->len +=
	    accesslog_format(b->data + b->len, ACCESSLOG_LINE_MAX, fmt, e);
	pthread_mutex_unlock(&b->lock);
	return true;
}
