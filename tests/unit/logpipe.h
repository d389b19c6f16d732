/*
 * A non-blocking pipe standing in for the access log, for check_conn and
 * check_accesslog: the code under test writes to FD, the suite reads back
 * what it wrote.
 */
#ifndef MPMD_TESTS_LOGPIPE_H
#define MPMD_TESTS_LOGPIPE_H

#include <stdatomic.h>
#include <stddef.h>

struct logpipe {
	atomic_int fd; /* the write end, as workers/ hold the log's fd */
	int rd;
};

void logpipe_open(struct logpipe *lp);
void logpipe_close(struct logpipe *lp);

/* What the pipe holds, at most OUTSZ - 1 bytes and a NUL; its length. */
size_t logpipe_read(const struct logpipe *lp, char *out, size_t outsz);

#endif
