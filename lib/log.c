#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"

#define LOG_LINE_MAX  2048
#define LOG_STAMP_MAX 32 /* "Sat Dec 05 06:19:10" */

static const char *const level_names[] = {
	"emerg",
	"alert",
	"crit",
	"error",
	"warn",
	"notice",
	"info",
	"debug",
};

static const char *log_ident = "mpmd";
static int log_fd = STDERR_FILENO;
static enum log_level log_max = LOG_LVL_INFO;

void
log_init(const char *ident, int fd, enum log_level level)
{
	log_ident = ident;
	log_fd = fd;
	log_max = level;
}

void
log_set_fd(int fd)
{
	log_fd = fd;
}

void
log_set_level(enum log_level level)
{
	log_max = level;
}

int
log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	return level_names[level];
}

/*
 * One write() per line, so lines from many processes never interleave.
 * The message is escaped (control and non-ASCII bytes as \xhh, '\' as
 * \\): whatever a client managed to get into it, it stays one line.
 */
static void __attribute__((format(printf, 3, 0)))
log_vwrite(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX], msg[LOG_LINE_MAX], stamp[LOG_STAMP_MAX];
	struct timeval tv;
	struct buf b;
	struct tm tm;
	int n;

	if (level > log_max)
		return;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%a %b %d %H:%M:%S", &tm);
	buf_fixed(&b, line, sizeof(line) - 1); /* room for the '\n' */
	buf_printf(&b, "[%s.%06ld %d] [%s:%s] [pid %ld] ", stamp,
	    (long)tv.tv_usec, tm.tm_year + 1900, log_ident, level_names[level],
	    (long)getpid());
	if ((n = vsnprintf(msg, sizeof(msg), fmt, ap)) > 0)
		buf_escaped_text(&b, msg,
		    (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1,
		    SIZE_MAX);
	if (errnum != 0) {
		buf_str(&b, ": ");
		buf_str(&b, strerror(errnum));
	}
	line[b.len++] = '\n';
	(void)!write(log_fd, line, b.len);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, 0, fmt, ap);
	va_end(ap);
}

#define LOG_WRAPPER(name, level, errnum)            \
	void name(const char *fmt, ...)             \
	{                                           \
		int saved = errno;                  \
		va_list ap;                         \
                                                    \
		va_start(ap, fmt);                  \
		log_vwrite(level, errnum, fmt, ap); \
		va_end(ap);                         \
		errno = saved;                      \
	}

LOG_WRAPPER(log_warn, LOG_LVL_WARN, saved)
LOG_WRAPPER(log_warnx, LOG_LVL_WARN, 0)
LOG_WRAPPER(log_notice, LOG_LVL_NOTICE, 0)
LOG_WRAPPER(log_info, LOG_LVL_INFO, 0)
LOG_WRAPPER(log_debug, LOG_LVL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_EMERG, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_EMERG, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
