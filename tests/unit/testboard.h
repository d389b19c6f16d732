/*
 * A synthetic scoreboard for the suites that render one (check_status,
 * check_metrics), laid out as the shared memfd is. testboard_fill() makes:
 *
 *   the master started at TESTBOARD_STARTED; 1000 requests (1000 kB,
 *   2000 ms) folded from exited workers; generation 3 (prefork,
 *   draining, 600 folded) and 4 (event, active); reloads: start ok,
 *   graceful ok 2 and failed 1, restart ok; 2 crashes, 1 restart, 7
 *   handoffs; CPU 0.25 + 0.125 s (master), 1 + 0.5 s (workers)
 *   slot 0  event   "W_R_"  20 requests, 10 kB, 40 ms; 5 connections:
 *                            reading 1, writing 1, keep-alive 2, closing 1
 *   slot 1  free
 *   slot 2  event   "_KLC"  5 requests
 *   slot 3  prefork "K"     30 requests, draining; 1 keep-alive connection
 *   ServerLimit 5 x ThreadsPerChild 4; hwm 4
 */
#ifndef MPMD_TESTS_TESTBOARD_H
#define MPMD_TESTS_TESTBOARD_H

#include "protocol/scoreboard.h"

#define TESTBOARD_SLOTS   6
#define TESTBOARD_STARTED 1700000000 /* Tue, 14 Nov 2023 22:13:20 UTC */

struct testboard {
	struct sb_header h;
	char page[SB_HEADER_SIZE - sizeof(struct sb_header)];
	struct sb_slot s[TESTBOARD_SLOTS];
};

void testboard_fill(struct testboard *b);
/* Request slot I of S serves FAMILY's ADDR (inet_pton(); NULL: zeros). */
void testboard_client(
    struct sb_slot *s, unsigned i, uint32_t family, const char *addr);
/* Slot S's request slots in Apache's letters ("W_R_"). */
void testboard_letters(struct sb_slot *s, const char *letters);

#endif
