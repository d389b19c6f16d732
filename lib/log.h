/* Error log: one line per event, "[time] [level] [pid N] message". */
#ifndef MPMD_LOG_H
#define MPMD_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_EMERG,
	LOG_LVL_ALERT,
	LOG_LVL_CRIT,
	LOG_LVL_ERROR,
	LOG_LVL_WARN,
	LOG_LVL_NOTICE,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

void log_init(const char *ident, int fd, enum log_level level);
void log_set_fd(int fd);
void log_set_level(enum log_level level);
int log_level_parse(const char *name); /* -1 when unknown */
const char *log_level_name(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* log_warn()/fatal() append strerror(errno); the *x variants do not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
