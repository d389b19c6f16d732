/*
 * Scoreboard: a sealed memfd of fixed size shared with every worker, one
 * cache line per slot. Workers write only their own slot; the master reads
 * it as untrusted numbers (clamped, never a pid or an index to act on) and
 * keeps its own authoritative process table.
 */
#ifndef MPMD_SCOREBOARD_H
#define MPMD_SCOREBOARD_H

#include <stdint.h>

#define SB_MAGIC     0x6d706d64u /* "mpmd" */
#define SB_MAX_SLOTS 4096

enum sb_state {
	SB_EMPTY = 0,
	SB_STARTING,
	SB_READY,
	SB_DRAINING,
};

struct sb_slot {
	uint32_t generation;
	uint32_t state;       /* enum sb_state */
	uint32_t threads;     /* request slots: 1 for prefork */
	uint32_t busy;        /* of those, serving a request now */
	uint32_t connections; /* open client connections */
	uint32_t pad;
	uint64_t requests; /* served since start */
	uint64_t bytes;    /* body bytes sent */
	uint64_t accepted; /* connections accepted */
	uint64_t spare[2];
} __attribute__((aligned(64)));

struct sb_header {
	uint32_t magic;
	uint32_t nslots;
	uint64_t pad[7];
} __attribute__((aligned(64)));

static inline uint64_t
sb_size(uint32_t nslots)
{
	return sizeof(struct sb_header) +
	       (uint64_t)nslots * sizeof(struct sb_slot);
}

#endif
