/*
 * What a worker writes on its own scoreboard slot beside the plain
 * counters: each request slot's state (Apache's letters: a thread's in
 * mpm-threaded and mpm-event, the process's in mpm-prefork) and client, its
 * open connections by what they wait for, and how long requests took. Every
 * function takes a NULL slot (a unit test's connection) as "nowhere".
 */
#ifndef MPMD_BOARD_H
#define MPMD_BOARD_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol/scoreboard.h"

/* The process has N request slots, all starting; FLAGS: SB_SLOT_*. */
void board_start(struct sb_slot *slot, unsigned n, uint32_t flags);
/* The calling thread is request slot I of SLOT from now on. */
void board_bind(struct sb_slot *slot, unsigned i);
/* The calling thread's state (nothing when it is bound to none). */
void board_set(enum sb_thread t);
/* The client the calling thread serves: SA's address (none: not IP). */
struct sockaddr;
void board_set_client(const struct sockaddr *sa);
/* Waiting for work, or, DRAINING, for the process to finish. */
void board_set_idle(bool draining);
/* A connection moves from class FROM to TO (enum sb_conn, -1: none). */
void board_conn_move(struct sb_slot *slot, int from, int to);
/* A request's response went out (or was given up) after US microseconds. */
void board_request_done(struct sb_slot *slot, uint64_t us);

#endif
