/*
 * One request/response exchange on a connection, private to workers/:
 * conn.c moves bytes, respond.c decides what to answer. An exchange
 * exists from the first byte of a request until its response is sent, so
 * an idle connection owns none.
 */
#ifndef MPMD_EXCH_H
#define MPMD_EXCH_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "protocol/http.h"
#include "workers/reply.h"

#define EXCH_PAGE_MAX 512 /* an error page */
#define EXCH_OUT_MAX  (REPLY_HEAD_MAX + EXCH_PAGE_MAX)

struct conn_ctx;

struct exch {
	struct http_request r;
	time_t started;        /* wall clock at the first byte, for the log */
	int64_t stage_started; /* mono_ms() the head or the body began */
	int64_t started_us;    /* mono_us() at the first byte: its duration */
	int status;
	bool keep_alive; /* what the response head says */
	bool has_body;   /* a request body is still to be discarded */
	bool last;       /* bodyless, and the client said it sends no more */
	bool logged;
	bool plain_on_tls; /* plain HTTP on an https listener: 400 */
	uint8_t cont_sent; /* bytes of the 100 (Continue) line sent */

	/* Sent in order: OUT (head, maybe a page), MEM, then the file. */
	char *out; /* the thread's buffer, or heap once it must wait */
	size_t outlen, outoff;
	bool out_heap;
	char *mem; /* heap body, e.g. the status page */
	size_t memlen, memoff;
	int file; /* -1 when none */
	int64_t fileoff, fileleft;
	int64_t bytes; /* body bytes of the response */

	/* For the access log: into the head, or into logsave once it is gone */
	const char *l_method, *l_target, *l_referer, *l_agent;
	char *logsave;
};

/*
 * Decides the answer to the parsed head of X and formats its head (and an
 * error page) into OUT. MAY_KEEP: the connection may stay open after it.
 */
void respond(struct exch *x, const struct conn_ctx *ctx,
    const struct sockaddr *peer, bool may_keep, char *out, size_t outsz);

/*
 * Replaces whatever X was going to send by an error page for STATUS. HEAD:
 * the head without the page.
 */
void respond_error(struct exch *x, int status, bool keep_alive, bool head,
    char *out, size_t outsz);

/* Drops the planned response: closes the file, frees heap bodies. */
void exch_drop_response(struct exch *x);

#endif
