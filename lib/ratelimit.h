/*
 * Log lines a peer can cause at will (a failed accept(), a connection
 * without its PROXY header) go out at most BURST an interval, so a
 * flood cannot fill the error log; the next line that goes out says how
 * many were held back meanwhile. Safe from any thread.
 */
#ifndef MPMD_RATELIMIT_H
#define MPMD_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include <pthread.h>

struct ratelimit {
	pthread_mutex_t lock;
	int64_t interval_ms;
	unsigned burst; /* lines an interval */
	int64_t start;  /* mono_ms() the current interval began */
	unsigned used;  /* lines let through in it */
	unsigned held;  /* lines held back since the last one let through */
};

#define RATELIMIT_INIT(interval_ms, burst)                         \
	{                                                          \
		PTHREAD_MUTEX_INITIALIZER, (interval_ms), (burst), \
		    -(int64_t)(interval_ms), 0, 0                  \
	}

/*
 * Whether a line may go out now; when it may, *HELD is the number of
 * lines held back since the last one that went out.
 */
bool ratelimit_pass(struct ratelimit *r, unsigned *held);

#endif
