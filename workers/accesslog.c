/*
 * Common and Combined Log Format lines. Request data is escaped the way
 * Apache httpd escapes it (\" \\ \n \r \t \b \v, other control and
 * non-ASCII bytes as \xhh), so a line can neither be split nor forged
 * by a client, and every field is bounded so a line never exceeds
 * ACCESSLOG_LINE_MAX.
 */
#include "config.h"

#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "workers/accesslog.h"
#include "workers/conn.h"

#define ACCESSLOG_REQUEST_MAX 4096 /* escaped %r */
#define ACCESSLOG_HEADER_MAX  1536 /* escaped Referer, User-Agent each */
#define ACCESSLOG_TIME_LEN    64   /* "[10/Oct/2000:13:55:36 -0700]" */
#define ACCESSLOG_ESC_MAX     4    /* longest escape: "\xhh" */
#define ACCESSLOG_DEC_MAX     20   /* digits of a uint64_t */
/* What %r keeps after the target: " HTTP/M.m" and the closing quote */
#define ACCESSLOG_PROTO_MAX sizeof("HTTP/4294967295.4294967295")
#define SEC_PER_MIN         60
#define MIN_PER_HOUR        60
#define HOURS_MAX           100 /* two digits of UTC offset hours */
#define MONTHS              12
#define TM_YEAR_BASE        1900

struct lbuf {
	char *p;
	size_t len, cap; /* cap excludes the room kept for the '\n' */
};

/* Per thread: the formatted %t of the last second seen. */
static __thread time_t time_cached = -1;
static __thread char time_text[ACCESSLOG_TIME_LEN];

static const char *const months[MONTHS] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static void
lb_add(struct lbuf *b, const char *s, size_t n)
{
	if (n > b->cap - b->len)
		n = b->cap - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
lb_str(struct lbuf *b, const char *s)
{
	lb_add(b, s, strlen(s));
}

/* V in decimal. */
static void
lb_dec(struct lbuf *b, uint64_t v)
{
	char d[ACCESSLOG_DEC_MAX], *p = d + sizeof(d);

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	lb_add(b, p, (size_t)(d + sizeof(d) - p));
}

/* Printable ASCII that needs no escape. */
static bool
log_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Escape of byte C into E (at least ACCESSLOG_ESC_MAX); returns its length. */
static size_t
log_escape(unsigned char c, char *e)
{
	static const char hex[] = "0123456789abcdef";
	static const char named[] = "\b\n\r\t\v", names[] = "bnrtv";
	const char *n;

	if (c == '"' || c == '\\') {
		e[0] = '\\';
		e[1] = (char)c;
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		e[0] = (char)c;
		return 1;
	}
	if (c != '\0' && (n = strchr(named, c)) != NULL) {
		e[0] = '\\';
		e[1] = names[n - named];
		return 2;
	}
	e[0] = '\\';
	e[1] = 'x';
	e[2] = hex[c >> 4];
	e[3] = hex[c & 0xf];
	return 4;
}

/* Adds N bytes of S escaped, at most MAX output bytes, never half an escape. */
static void
lb_escaped(struct lbuf *b, const char *s, size_t n, size_t max)
{
	char e[ACCESSLOG_ESC_MAX];
	size_t i, k, used = 0;

	for (i = 0; i < n; i++) {
		if (log_plain((unsigned char)s[i])) {
			if (used == max || b->len == b->cap)
				return;
			b->p[b->len++] = s[i];
			used++;
			continue;
		}
		k = log_escape((unsigned char)s[i], e);
		if (used + k > max || k > b->cap - b->len)
			return;
		memcpy(b->p + b->len, e, k);
		b->len += k;
		used += k;
	}
}

/* Dotted quad, as inet_ntop() writes it, without its sprintf(). */
static void
lb_ipv4(struct lbuf *b, const struct in_addr *in)
{
	const unsigned char *o = (const unsigned char *)&in->s_addr;
	size_t i;

	for (i = 0; i < sizeof(in->s_addr); i++) {
		if (i > 0)
			lb_add(b, ".", 1);
		lb_dec(b, o[i]);
	}
}

/* "%h": the peer's address, "-" when it has none (a Unix socket). */
static void
lb_host(struct lbuf *b, const struct sockaddr *sa)
{
	char text[INET6_ADDRSTRLEN];
	const struct in6_addr *in6;

	if (sa != NULL && sa->sa_family == AF_INET) {
		lb_ipv4(b,
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr);
		return;
	}
	if (sa == NULL || sa->sa_family != AF_INET6) {
		lb_str(b, "-");
		return;
	}
	in6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	lb_str(b,
	    inet_ntop(AF_INET6, in6, text, sizeof(text)) != NULL ? text : "-");
}

/* "%t" in local time, formatted once per second per thread. */
static void
lb_time(struct lbuf *b, time_t t)
{
	struct tm tm;
	long off;
	int hh, mm;

	if (t != time_cached && localtime_r(&t, &tm) != NULL) {
		off = tm.tm_gmtoff / SEC_PER_MIN;
		hh = (int)((off < 0 ? -off : off) / MIN_PER_HOUR % HOURS_MAX);
		mm = (int)((off < 0 ? -off : off) % MIN_PER_HOUR);
		snprintf(time_text, sizeof(time_text),
		    "[%02d/%s/%04d:%02d:%02d:%02d %c%02d%02d]", tm.tm_mday,
		    months[tm.tm_mon % MONTHS], tm.tm_year + TM_YEAR_BASE,
		    tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', hh,
		    mm);
		time_cached = t;
	}
	lb_str(b, time_cached == t ? time_text : "[-]");
}

/* "%r" between quotes. */
static void
lb_request(struct lbuf *b, const struct accesslog_entry *e)
{
	size_t before = b->len, used, left;

	lb_str(b, "\"");
	if (e->method != NULL && e->target != NULL) {
		lb_escaped(
		    b, e->method, strlen(e->method), ACCESSLOG_REQUEST_MAX);
		lb_str(b, " ");
		used = b->len - before;
		left = used < ACCESSLOG_REQUEST_MAX
			   ? ACCESSLOG_REQUEST_MAX - used
			   : 0;
		lb_escaped(b, e->target, strlen(e->target),
		    left > ACCESSLOG_PROTO_MAX ? left - ACCESSLOG_PROTO_MAX
					       : 0);
		lb_str(b, " HTTP/");
		lb_dec(b, e->major);
		lb_str(b, ".");
		lb_dec(b, e->minor);
	} else if (e->line != NULL)
		lb_escaped(b, e->line, e->linelen, ACCESSLOG_REQUEST_MAX);
	else
		lb_str(b, "-");
	lb_str(b, "\"");
}

/* A request header between quotes, "-" when absent. */
static void
lb_header(struct lbuf *b, const char *value)
{
	lb_str(b, " \"");
	if (value != NULL)
		lb_escaped(b, value, strlen(value), ACCESSLOG_HEADER_MAX);
	else
		lb_str(b, "-");
	lb_str(b, "\"");
}

/* "%>s": a status is an int; a negative one keeps its sign. */
static void
lb_status(struct lbuf *b, int status)
{
	if (status < 0)
		lb_str(b, "-");
	lb_dec(b, status < 0 ? -(uint64_t)status : (uint64_t)status);
}

size_t
accesslog_format(char *out, size_t outsz, enum conf_log_format fmt,
    const struct accesslog_entry *e)
{
	struct lbuf b = { out, 0, outsz > 0 ? outsz - 1 : 0 };

	if (outsz == 0)
		return 0;
	lb_host(&b, e->peer);
	lb_str(&b, " - - ");
	lb_time(&b, e->when);
	lb_str(&b, " ");
	lb_request(&b, e);
	lb_str(&b, " ");
	lb_status(&b, e->status);
	if (e->bytes > 0) {
		lb_str(&b, " ");
		lb_dec(&b, (uint64_t)e->bytes);
	} else
		lb_str(&b, " -");
	if (fmt == CONF_LOG_COMBINED) {
		lb_header(&b, e->referer);
		lb_header(&b, e->user_agent);
	}
	out[b.len++] = '\n';
	return b.len;
}

/*
 * Buffering. A thread that calls conn_log_buffered() promises to call
 * conn_flush_log() before any wait that may be long; its lines then
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
	    atexit(conn_flush_all_logs) != 0)
		abort();
}

int
conn_log_buffered(void)
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
conn_flush_log(void)
{
	struct logbuf *b = logbuf_mine;

	if (b == NULL)
		return;
	pthread_mutex_lock(&b->lock);
	logbuf_flush_locked(b);
	pthread_mutex_unlock(&b->lock);
}

int64_t
conn_log_due(void)
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
conn_flush_all_logs(void)
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

/* Adds a line to this thread's buffer, making room first. */
static void
logbuf_add(struct logbuf *b, atomic_int *fdp, enum conf_log_format fmt,
    const struct accesslog_entry *e)
{
	int64_t now = mono_ms();

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
}

void
accesslog_write(
    atomic_int *fdp, enum conf_log_format fmt, const struct accesslog_entry *e)
{
	char line[ACCESSLOG_LINE_MAX];
	size_t len;
	int fd;

	if (fdp == NULL || (fd = atomic_load(fdp)) < 0)
		return;
	if (logbuf_mine != NULL) {
		logbuf_add(logbuf_mine, fdp, fmt, e);
		return;
	}
	len = accesslog_format(line, sizeof(line), fmt, e);
	/* A failed or short write loses one line; nothing better to do. */
	if (write(fd, line, len) < 0)
		return;
}
