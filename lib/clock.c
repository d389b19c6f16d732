#include "config.h"

#include <time.h>

#include "lib/clock.h"

#define MS_PER_SEC 1000
#define US_PER_SEC 1000000
#define NS_PER_MS  1000000
#define NS_PER_US  1000

static int64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * MS_PER_SEC + ts.tv_nsec / NS_PER_MS;
}

int64_t
mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC_COARSE);
}

int64_t
mono_ms_precise(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * US_PER_SEC + ts.tv_nsec / NS_PER_US;
}
