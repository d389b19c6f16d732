#ifndef MPMD_SPAWN_H
#define MPMD_SPAWN_H

#include <sys/types.h>

#include <stdbool.h>

struct spawn_args {
	int binary_fd; /* O_PATH fd of the worker binary */
	const char *argv0;
	int errorlog_fd; /* becomes the worker's fd 2 */
	int devnull_fd;  /* becomes fds 0 and 1 */
	bool drop_root;  /* master is root: switch to uid/gid */
	uid_t uid;
	gid_t gid;
};

/*
 * Forks a worker: fds 0-1 /dev/null, 2 the error log, 3 its end of a new
 * SOCK_SEQPACKET channel and nothing else; privileges dropped; then the
 * pre-opened binary exec'd. Returns the pid and the master's end of the
 * channel in *channel, or -1 with errno set.
 */
pid_t spawn_worker(const struct spawn_args *a, int *channel);

#endif
