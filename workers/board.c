/* A worker's own scoreboard slot: see board.h. */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>

#include <string.h>

#include "workers/board.h"

/* The state byte of the calling thread's request slot, or NULL. */
static __thread uint8_t *board_cell;
/* Its client, and the count that guards it. */
static __thread struct sb_client *board_client;
static __thread uint32_t board_client_seq;

void
board_start(struct sb_slot *slot, unsigned n, uint32_t flags)
{
	unsigned i;

	if (n > SB_MAX_THREADS)
		n = SB_MAX_THREADS;
	for (i = 0; i < n; i++)
		sb_write(&slot->thread[i], (uint8_t)SB_T_STARTING);
	sb_write(&slot->flags, flags);
	sb_write(&slot->threads, (uint32_t)n);
}

void
board_bind(struct sb_slot *slot, unsigned i)
{
	bool ok = slot != NULL && i < SB_MAX_THREADS;

	board_cell = ok ? &slot->thread[i] : NULL;
	board_client = ok ? &slot->client[i] : NULL;
	/* our own cell: its count goes on from where the last writer left it */
	board_client_seq = ok ? sb_read(&slot->client[i].seq) & ~1u : 0;
}

void
board_set(enum sb_thread t)
{
	if (board_cell != NULL)
		sb_write(board_cell, (uint8_t)t);
}

void
board_set_client(const struct sockaddr *sa)
{
	uint8_t addr[16] = { 0 };
	uint32_t family = AF_UNSPEC;

	if (board_client == NULL)
		return;
	if (sa != NULL && sa->sa_family == AF_INET) {
		family = AF_INET;
		memcpy(addr,
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    sizeof(struct in_addr));
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		family = AF_INET6;
		memcpy(addr,
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    sizeof(struct in6_addr));
	}
	sb_write_client(board_client, &board_client_seq, family, addr);
}

void
board_set_idle(bool draining)
{
	board_set(draining ? SB_T_GRACEFUL : SB_T_WAITING);
}

void
board_conn_move(struct sb_slot *slot, int from, int to)
{
	if (slot == NULL || from == to)
		return;
	if (from >= 0 && from < SB_C_COUNT)
		sb_sub(&slot->conns[from], 1);
	if (to >= 0 && to < SB_C_COUNT)
		sb_add(&slot->conns[to], 1);
}

void
board_request_done(struct sb_slot *slot, uint64_t us)
{
	if (slot == NULL)
		return;
	sb_add(&slot->c.duration_us, us);
	sb_add(&slot->c.finished, 1);
	sb_add(&slot->c.buckets[sb_bucket_of(us)], 1);
}
