/*
 * Access log: one line per request in Common or Combined Log Format,
 * written to an O_APPEND fd in whole lines, so lines from many processes
 * and threads never interleave: one write() per line, or per batch of
 * lines for a thread that buffers.
 */
#ifndef MPMD_ACCESSLOG_H
#define MPMD_ACCESSLOG_H

#include <sys/socket.h>

#include <stdatomic.h>
#include <stdbool.h>
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

/*
 * Buffering (logbuf.c). A thread that calls accesslog_buffered() collects
 * its lines and must call accesslog_flush() before it waits for long, and
 * once accesslog_due() reaches 0 (it says how many ms the oldest line may
 * still wait, -1 when none is waiting). accesslog_buffered() returns -1
 * when out of memory: lines are then written one by one.
 * accesslog_flush_all() writes every thread's lines: for exit paths (it
 * also runs at exit()).
 */
int accesslog_buffered(void);
void accesslog_flush(void);
int64_t accesslog_due(void);
void accesslog_flush_all(void);
/* For accesslog_write(): false when this thread does not buffer. */
bool logbuf_add(
    atomic_int *fdp, enum conf_log_format fmt, const struct accesslog_entry *e);

#endif
