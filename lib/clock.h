/* Monotonic time in milliseconds, for deadlines and ages. */
#ifndef MPMD_CLOCK_H
#define MPMD_CLOCK_H

#include <stdint.h>

/*
 * CLOCK_MONOTONIC_COARSE: a tick's resolution, as libevent's timers use,
 * for the per-request deadlines of workers, where it costs a fraction of
 * a precise read several times per request.
 */
int64_t mono_ms(void);

/* CLOCK_MONOTONIC: for the master's bookkeeping, read seldom. */
int64_t mono_ms_precise(void);

/* CLOCK_MONOTONIC in microseconds: how long a request took. */
int64_t mono_us(void);

#endif
