/*
 * Scoreboard: a sealed memfd of fixed size shared with every worker, one
 * cache line per slot. Workers write only their own slot; the master reads
 * it as untrusted numbers (clamped, never a pid or an index to act on) and
 * keeps its own authoritative process table.
 */
#ifndef MPMD_SCOREBOARD_H
#define MPMD_SCOREBOARD_H

#include <stdint.h>
#include <string.h>

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

/* Slot I of the board at H; the caller has checked I against the size. */
static inline struct sb_slot *
sb_slot_at(const struct sb_header *h, uint32_t i)
{
	return (struct sb_slot *)(uintptr_t)(h + 1) + i;
}

/*
 * Every field is shared with other processes: read and written only
 * through these, atomically and without ordering, as plain counters.
 */
#define sb_read(field) __atomic_load_n((field), __ATOMIC_RELAXED)
#define sb_add(field, n) \
	(void)__atomic_fetch_add((field), (n), __ATOMIC_RELAXED)
#define sb_sub(field, n) \
	(void)__atomic_fetch_sub((field), (n), __ATOMIC_RELAXED)
#define sb_write(field, v) __atomic_store_n((field), (v), __ATOMIC_RELAXED)

/*
 * A private copy of SLOT, each field read once: a plain untrusted number
 * the reader may show, sum or clamp, never use as a size, index or pid.
 */
static inline void
sb_copy(const struct sb_slot *slot, struct sb_slot *s)
{
	memset(s, 0, sizeof(*s));
	s->generation = sb_read(&slot->generation);
	s->state = sb_read(&slot->state);
	s->threads = sb_read(&slot->threads);
	s->busy = sb_read(&slot->busy);
	s->connections = sb_read(&slot->connections);
	s->requests = sb_read(&slot->requests);
	s->bytes = sb_read(&slot->bytes);
	s->accepted = sb_read(&slot->accepted);
	if (s->busy > s->threads)
		s->busy = s->threads;
}

/* A slot's state is published after the fields it describes. */
static inline void
sb_set_state(struct sb_slot *s, enum sb_state state)
{
	__atomic_store_n(&s->state, (uint32_t)state, __ATOMIC_RELEASE);
}

#endif
