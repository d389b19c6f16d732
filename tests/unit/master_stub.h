/* The fakes the master's unit suite links: see master_stub.c. */
#ifndef MPMD_MASTER_STUB_H
#define MPMD_MASTER_STUB_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define STUB_MAX_PROCS 256
#define STUB_PID_BASE  4000000 /* above any pid_max: never a real process */
#define STUB_EPOCH_MS  1000000 /* the fake clock starts here */

struct stub {
	int64_t now;     /* what master_now() says */
	bool fail_spawn; /* spawn_worker() fails */
	size_t nspawned;
	int worker_end[STUB_MAX_PROCS]; /* by spawn order */
	struct {
		pid_t pid;
		int sig;
	} signals[STUB_MAX_PROCS];
	size_t nsignals;
};

extern struct stub stub;

/* The worker's end of the channel of fake PID, or -1. */
int stub_worker_end(pid_t pid);
/* Closes every worker end, forgets everything, restarts the clock. */
void stub_reset(void);

#endif
