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

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "workers/accesslog.h"

#define ACCESSLOG_REQUEST_MAX 4096 /* escaped %r */
#define ACCESSLOG_HEADER_MAX  1536 /* escaped Referer, User-Agent each */
#define ACCESSLOG_TIME_LEN    64   /* "[10/Oct/2000:13:55:36 -0700]" */
/* What %r keeps after the target: " HTTP/M.m" and the closing quote */
#define ACCESSLOG_PROTO_MAX sizeof("HTTP/4294967295.4294967295")
#define SEC_PER_MIN         60
#define MIN_PER_HOUR        60
#define HOURS_MAX           100 /* two digits of UTC offset hours */
#define MONTHS              12
#define TM_YEAR_BASE        1900

/* Per thread: the formatted %t of the last second seen. */
static __thread time_t time_cached = -1;
static __thread char time_text[ACCESSLOG_TIME_LEN];

static const char *const months[MONTHS] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Dotted quad, as inet_ntop() writes it, without its sprintf(). */
static void
put_ipv4(struct buf *b, const struct in_addr *in)
{
	const unsigned char *o = (const unsigned char *)&in->s_addr;
	size_t i;

	for (i = 0; i < sizeof(in->s_addr); i++) {
		if (i > 0)
			buf_add(b, ".", 1);
		buf_dec(b, o[i]);
	}
}

/* "%h": the peer's address, "-" when it has none (a Unix socket). */
static void
put_host(struct buf *b, const struct sockaddr *sa)
{
	char text[INET6_ADDRSTRLEN];
	const struct in6_addr *in6;

	if (sa != NULL && sa->sa_family == AF_INET) {
		put_ipv4(b,
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr);
		return;
	}
	if (sa == NULL || sa->sa_family != AF_INET6) {
		buf_str(b, "-");
		return;
	}
	in6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	buf_str(b,
	    inet_ntop(AF_INET6, in6, text, sizeof(text)) != NULL ? text : "-");
}

/* "%t" in local time, formatted once per second per thread. */
static void
put_time(struct buf *b, time_t t)
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
	buf_str(b, time_cached == t ? time_text : "[-]");
}

/* "%r" between quotes. */
static void
put_request(struct buf *b, const struct accesslog_entry *e)
{
	size_t before = b->len, used, left;

	buf_str(b, "\"");
	if (e->method != NULL && e->target != NULL) {
		buf_escaped(
		    b, e->method, strlen(e->method), ACCESSLOG_REQUEST_MAX);
		buf_str(b, " ");
		used = b->len - before;
		left = used < ACCESSLOG_REQUEST_MAX
			   ? ACCESSLOG_REQUEST_MAX - used
			   : 0;
		buf_escaped(b, e->target, strlen(e->target),
		    left > ACCESSLOG_PROTO_MAX ? left - ACCESSLOG_PROTO_MAX
					       : 0);
		buf_str(b, " HTTP/");
		buf_dec(b, e->major);
		buf_str(b, ".");
		buf_dec(b, e->minor);
	} else if (e->line != NULL)
		buf_escaped(b, e->line, e->linelen, ACCESSLOG_REQUEST_MAX);
	else
		buf_str(b, "-");
	buf_str(b, "\"");
}

/* A request header between quotes, "-" when absent. */
static void
put_header(struct buf *b, const char *value)
{
	buf_str(b, " \"");
	if (value != NULL)
		buf_escaped(b, value, strlen(value), ACCESSLOG_HEADER_MAX);
	else
		buf_str(b, "-");
	buf_str(b, "\"");
}

/* "%>s": a status is an int; a negative one keeps its sign. */
static void
put_status(struct buf *b, int status)
{
	if (status < 0)
		buf_str(b, "-");
	buf_dec(b, status < 0 ? -(uint64_t)status : (uint64_t)status);
}

size_t
accesslog_format(char *out, size_t outsz, enum conf_log_format fmt,
    const struct accesslog_entry *e)
{
	struct buf b;

	if (outsz == 0)
		return 0;
	buf_fixed(&b, out, outsz - 1); /* room kept for the '\n' */
	put_host(&b, e->peer);
	buf_str(&b, " - - ");
	put_time(&b, e->when);
	buf_str(&b, " ");
	put_request(&b, e);
	buf_str(&b, " ");
	put_status(&b, e->status);
	if (e->bytes > 0) {
		buf_str(&b, " ");
		buf_dec(&b, (uint64_t)e->bytes);
	} else
		buf_str(&b, " -");
	if (fmt == CONF_LOG_COMBINED) {
		put_header(&b, e->referer);
		put_header(&b, e->user_agent);
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
	if (logbuf_add(fdp, fmt, e))
		return;
	len = accesslog_format(line, sizeof(line), fmt, e);
	/* A failed or short write loses one line; nothing better to do. */
	if (write(fd, line, len) < 0)
		return;
}
