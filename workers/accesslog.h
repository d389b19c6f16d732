/*
 * Access log: one line per request in Common or Combined Log Format,
 * written to an O_APPEND fd in whole lines, so lines from many processes
 * and threads never interleave: one write() per line, or per batch of
 * lines for a thread that buffers (conn_log_buffered() in conn.h).
 */
#ifndef MPMD_ACCESSLOG_H
#define MPMD_ACCESSLOG_H

#include <sys/socket.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf/conf.h"

#define ACCESSLOG_LINE_MAX 8192        /* longer fields are truncated */
#define ACCESSLOG_BUF_SIZE (32 * 1024) /* a buffering thread's lines */
#define ACCESSLOG_FLUSH_MS 100         /* the most a buffered line waits */

struct accesslog_entry {
	const struct sockaddr *peer; /* AF_INET/AF_INET6, else "-" */
	time_t when;                 /* request received */
	/* %r: "METHOD TARGET HTTP/M.m" when method is set, else LINE */
	const char *method;
	const char *target;
	unsigned major, minor;
	const char *line; /* raw request line (LINELEN bytes) or NULL: "-" */
	size_t linelen;
	const char *referer;    /* NULL: "-" */
	const char *user_agent; /* NULL: "-" */
	int status;
	int64_t bytes; /* body bytes; 0 gives "-" */
};

/* Formats the line, '\n' included, into OUT; returns its length. */
size_t accesslog_format(char *out, size_t outsz, enum conf_log_format fmt,
    const struct accesslog_entry *e);

/*
 * Formats and writes one line to *FDP (skipped when it is -1), or adds it
 * to the thread's buffer when the thread buffers.
 */
void accesslog_write(
    atomic_int *fdp, enum conf_log_format fmt, const struct accesslog_entry *e);

#endif
