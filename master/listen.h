#ifndef MPMD_LISTEN_H
#define MPMD_LISTEN_H

#include "conf/conf.h"

/*
 * Binds and listens on L: non-blocking, CLOEXEC, SO_REUSEADDR, IPV6_V6ONLY
 * for IPv6, and listen_tune()'s options. Returns the fd, or -1 with a
 * message naming the address in *cause (malloc'd).
 */
int listen_open(const struct conf_listen *l, int backlog, char **cause);

/*
 * TCP_DEFER_ACCEPT and TCP_NODELAY, which accepted sockets inherit; also
 * for sockets systemd passes. -1 with errno on failure.
 */
int listen_tune(int fd);

#endif
