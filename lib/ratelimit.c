/* Log lines at most BURST an interval: see ratelimit.h. */
#include "config.h"

#include "lib/clock.h"
#include "lib/ratelimit.h"

bool
ratelimit_pass(struct ratelimit *r, unsigned *held)
{
	int64_t now = mono_ms();
	bool pass;

	pthread_mutex_lock(&r->lock);
	if (now - r->start >= r->interval_ms) {
		r->start = now;
		r->used = 0;
	}
	pass = r->used < r->burst;
	if (pass) {
		r->used++;
		*held = r->held;
		r->held = 0;
	} else
		r->held++;
	pthread_mutex_unlock(&r->lock);
	return pass;
}
