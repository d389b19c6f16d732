/*
 * One client connection: the HTTP state machine shared by every MPM.
 *
 * The socket is non-blocking. conn_step() reads, parses, answers and sends
 * as far as the socket allows and says what it waits for next; the MPM
 * only decides how to wait (poll() in a blocking thread, a libevent event
 * in mpm-event). No MPM parses or writes HTTP itself.
 */
#ifndef MPMD_CONN_H
#define MPMD_CONN_H

#include <sys/socket.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct conf;
struct sb_header;
struct sb_slot;

/* What a worker process shares with all its connections. */
struct conn_ctx {
	const struct conf *conf;
	int docroot;           /* O_DIRECTORY fd from the master */
	atomic_int *accesslog; /* the access-log fd (reopened onto it) */
	atomic_int *graceful;  /* nonzero: answer with Connection: close */
	atomic_int *handoff;   /* ... unless idle ones are handed over */
	struct sb_slot *sb;    /* own scoreboard slot, or NULL */
	const struct sb_header
	    *sb_all;          /* whole scoreboard for the status page */
	uint64_t sb_all_size; /* bytes mapped at sb_all */
	bool tls_async; /* handshakes may answer CONN_IO_ASYNC (mpm-event) */
};

enum conn_io {
	/*
	 * Wait until readable (or the deadline). Only said once a read found
	 * the socket empty (EAGAIN or a short read), so an edge-triggered
	 * wait is enough: whatever arrives later is a new edge.
	 */
	CONN_IO_READ,
	CONN_IO_WRITE, /* wait until writable (or the deadline) */
	CONN_IO_CLOSE, /* done: conn_free() it */
	/*
	 * Wait until conn_wait_fd() is readable (or the deadline): a TLS
	 * handshake waits for the key process. Only with tls_async set.
	 */
	CONN_IO_ASYNC,
};

struct conn;

/* NULL on allocation failure (the caller closes FD). */
/* LISTEN_FLAGS: the listener's CONF_LISTEN_* (https: TLS first). */
struct conn *conn_new(const struct conn_ctx *ctx, int fd,
    const struct sockaddr *peer, socklen_t peerlen, unsigned listen_flags);
void conn_free(struct conn *c); /* closes the socket and any open file */
/*
 * A connection taken over from another worker: it had NREQ responses,
 * and PRE (LEN bytes) read from it are the start of what comes next.
 * -1 when out of memory.
 */
int conn_resume(struct conn *c, const char *pre, size_t len, uint32_t nreq);
int conn_fd(const struct conn *c);
/* What the current wait is on: the socket, or for CONN_IO_ASYNC another. */
int conn_wait_fd(const struct conn *c);

enum conn_io conn_step(struct conn *c);
/* mono_ms() by which the current wait must end. */
int64_t conn_deadline(const struct conn *c);
/* The deadline passed: 408 when a request was partly read, else close. */
enum conn_io conn_expire(struct conn *c);
/*
 * An idle plain connection as another worker can take it over: its peer,
 * responses so far and the bytes read of its next request (at most MAX,
 * into READ, *N of them). -1 when it is not idle, is TLS (its keys cannot
 * move), or holds more than MAX.
 */
struct ipc_conn;
int conn_export(const struct conn *c, struct ipc_conn *h, uint8_t *read,
    size_t max, size_t *n);
/* Waiting for the first byte of a request (a kept-alive idle connection). */
bool conn_idle(const struct conn *c);

#endif
