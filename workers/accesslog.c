/*
 * Common and Combined Log Format lines. Request data is escaped the way
 * Apache httpd escapes it (\" \\ \n \r \t \b \v, other control and
 * non-ASCII bytes as \xhh), so a line can neither be split nor forged
 * by a client, and every field is bounded so a line never exceeds
 * ACCESSLOG_LINE_MAX.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workers/accesslog.h"

#define ACCESSLOG_REQUEST_MAX 4096 /* escaped %r */
#define ACCESSLOG_HEADER_MAX  1536 /* escaped Referer, User-Agent each */
#define ACCESSLOG_TIME_LEN    64   /* "[10/Oct/2000:13:55:36 -0700]" */
#define ACCESSLOG_ESC_MAX     4    /* longest escape: "\xhh" */
#define SEC_PER_MIN           60
#define MIN_PER_HOUR          60
#define HOURS_MAX             100 /* two digits of UTC offset hours */
#define MONTHS                12
#define TM_YEAR_BASE          1900

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
		k = log_escape((unsigned char)s[i], e);
		if (used + k > max || k > b->cap - b->len)
			return;
		memcpy(b->p + b->len, e, k);
		b->len += k;
		used += k;
	}
}

/* "%h": the peer's address, "-" when it has none (a Unix socket). */
static void
lb_host(struct lbuf *b, const struct sockaddr *sa)
{
	char text[INET6_ADDRSTRLEN];
	const void *addr = NULL;

	if (sa != NULL && sa->sa_family == AF_INET)
		addr =
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa != NULL && sa->sa_family == AF_INET6)
		addr =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (addr == NULL ||
	    inet_ntop(sa->sa_family, addr, text, sizeof(text)) == NULL) {
		lb_str(b, "-");
		return;
	}
	lb_str(b, text);
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
	char proto[sizeof("HTTP/4294967295.4294967295")];
	size_t before = b->len, used, left;

	lb_str(b, "\"");
	if (e->method != NULL && e->target != NULL) {
		snprintf(
		    proto, sizeof(proto), "HTTP/%u.%u", e->major, e->minor);
		lb_escaped(
		    b, e->method, strlen(e->method), ACCESSLOG_REQUEST_MAX);
		lb_str(b, " ");
		used = b->len - before;
		left = used < ACCESSLOG_REQUEST_MAX
			   ? ACCESSLOG_REQUEST_MAX - used
			   : 0;
		lb_escaped(b, e->target, strlen(e->target),
		    left > sizeof(proto) ? left - sizeof(proto) : 0);
		lb_str(b, " ");
		lb_str(b, proto);
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

size_t
accesslog_format(char *out, size_t outsz, enum conf_log_format fmt,
    const struct accesslog_entry *e)
{
	struct lbuf b = { out, 0, outsz > 0 ? outsz - 1 : 0 };
	char num[sizeof(" -2147483648 -9223372036854775808")];

	if (outsz == 0)
		return 0;
	lb_host(&b, e->peer);
	lb_str(&b, " - - ");
	lb_time(&b, e->when);
	lb_str(&b, " ");
	lb_request(&b, e);
	if (e->bytes > 0)
		snprintf(num, sizeof(num), " %d %lld", e->status,
		    (long long)e->bytes);
	else
		snprintf(num, sizeof(num), " %d -", e->status);
	lb_str(&b, num);
	if (fmt == CONF_LOG_COMBINED) {
		lb_header(&b, e->referer);
		lb_header(&b, e->user_agent);
	}
	out[b.len++] = '\n';
	return b.len;
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
	len = accesslog_format(line, sizeof(line), fmt, e);
	/* A failed or short write loses one line; nothing better to do. */
	if (write(fd, line, len) < 0)
		return;
}
