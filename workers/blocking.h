/*
 * Serving one connection with blocking waits: what a prefork process or
 * a threaded thread does with each connection its acceptor hands it.
 */
#ifndef MPMD_BLOCKING_H
#define MPMD_BLOCKING_H

#include <sys/socket.h>

#include "workers/acceptor.h"
#include "workers/runtime.h"

/*
 * Drives one connection to its end with blocking waits (prefork and
 * threaded). WATCH_FD, when >= 0, is the channel to keep reading while
 * serving, or an fd that becomes readable when the process starts to
 * drain. Frees the connection.
 */
void blocking_serve(struct worker *w, struct conn *c, int watch_fd);
/* The same for a fresh socket, counted busy in the scoreboard meanwhile. */
void blocking_serve_fd(
    struct worker *w, const struct accepted *conn, int watch_fd);

#endif
