/*
 * Scoreboard: a sealed memfd of fixed size shared with every worker.
 *
 * A header page that only the master writes (workers map it read-only):
 * what the master knows and workers show, among it the totals of every
 * worker that exited, so that no count goes backwards when one does. Then
 * one slot per worker process, which only that worker writes: its
 * counters, its connections by state, one state byte per request slot
 * (thread), Apache's scoreboard letters, and the client each request slot
 * serves now or served last.
 *
 * Every reader treats what it reads as untrusted numbers: each field is
 * read once, atomically, clamped where it bounds anything, and never used
 * as a pointer, a size to allocate or a pid to act on. The master keeps
 * its own authoritative process table and its own copy of the header.
 */
#ifndef MPMD_SCOREBOARD_H
#define MPMD_SCOREBOARD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SB_MAGIC     0x6d706d64u /* "mpmd" */
#define SB_VERSION   4           /* bump with any change of the layout */
#define SB_MAX_SLOTS 4096
#define SB_MAX_THREADS                                                       \
	1024                /* request slots of one process: ThreadsPerChild \
			     */
#define SB_HEADER_SIZE 4096 /* one page, mapped read-only by workers */
#define SB_MAX_GENS    8    /* generations the header describes */
#define SB_MAX_KEYS    16   /* key processes a generation runs at most */
#define SB_NAME_MAX    16   /* an MPM's name, NUL-padded */
#define SB_BUCKETS     14   /* finite request-duration buckets ... */
#define SB_NBUCKETS    (SB_BUCKETS + 1) /* ... and +Inf */
#define SB_READ_TRIES  4 /* passes a reader makes for a consistent view */

/* A worker process, as it says itself. */
enum sb_state {
	SB_EMPTY = 0,
	SB_STARTING,
	SB_READY,
	SB_DRAINING,
};

/* What one request slot (a thread, a process in prefork) does. */
enum sb_thread {
	SB_T_OPEN = 0,  /* '.' no thread */
	SB_T_STARTING,  /* 'S' */
	SB_T_WAITING,   /* '_' for a connection */
	SB_T_READING,   /* 'R' a request */
	SB_T_SENDING,   /* 'W' the reply */
	SB_T_KEEPALIVE, /* 'K' for the next request */
	SB_T_LOGGING,   /* 'L' */
	SB_T_CLOSING,   /* 'C' lingering close */
	SB_T_GRACEFUL,  /* 'G' draining, nothing left to do but finish */
	SB_T_COUNT
};

/* Apache's letter for a state byte; anything else is an open slot. */
static inline char
sb_thread_letter(uint8_t t)
{
	static const char letters[SB_T_COUNT + 1] = ".S_RWKLCG";

	return t < SB_T_COUNT ? letters[t] : '.';
}

/* What a client connection waits for: each is counted in one class. */
enum sb_conn {
	SB_C_READING,   /* a request (or its first byte, or a handshake) */
	SB_C_WRITING,   /* room to send */
	SB_C_KEEPALIVE, /* the next request, after a response */
	SB_C_CLOSING,   /* the client's EOF, in a lingering close */
	SB_C_COUNT
};

/* A slot's flags. */
#define SB_SLOT_ASYNC 0x01 /* connections wait without a thread (event) */

/*
 * Request durations in microseconds: the upper bound of bucket I < SB_BUCKETS
 * (bucket SB_BUCKETS is +Inf). Prometheus' defaults, from 5 ms to 10 s,
 * with three below them: a static file is often served in less.
 */
static inline uint64_t
sb_bucket_bound_us(unsigned i)
{
	static const uint64_t bound[SB_BUCKETS] = { 500, 1000, 2500, 5000,
		10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
		5000000, 10000000 };

	return i < SB_BUCKETS ? bound[i] : UINT64_MAX;
}

/* The bucket a request of US microseconds falls in. */
static inline unsigned
sb_bucket_of(uint64_t us)
{
	unsigned i;

	for (i = 0; i < SB_BUCKETS && us > sb_bucket_bound_us(i); i++)
		;
	return i;
}

/* What a process counts, and the master sums when it exits. */
struct sb_counters {
	uint64_t requests;             /* responses logged */
	uint64_t bytes;                /* body bytes of them */
	uint64_t accepted;             /* connections accepted */
	uint64_t duration_us;          /* of the finished requests ... */
	uint64_t finished;             /* ... as many as this */
	uint64_t buckets[SB_NBUCKETS]; /* finished, by duration (not summed) */
};

/*
 * The client of a request slot: an address without its port. Only the
 * slot's own thread writes it, under a sequence count of its own (odd
 * while it writes); a reader that saw the count move shows none.
 */
struct sb_client {
	uint32_t seq;
	uint32_t family;  /* AF_INET, AF_INET6; anything else: none */
	uint32_t addr[4]; /* the address's bytes, as in_addr or in6_addr */
};

struct sb_slot {
	uint32_t generation;
	uint32_t state;             /* enum sb_state */
	uint32_t threads;           /* request slots: 1 for prefork */
	uint32_t busy;              /* of those, serving a connection now */
	uint32_t connections;       /* open client connections */
	uint32_t flags;             /* SB_SLOT_* */
	uint32_t conns[SB_C_COUNT]; /* the connections, by enum sb_conn */
	uint64_t pad;
	struct sb_counters c;
	uint8_t thread[SB_MAX_THREADS]; /* enum sb_thread, per request slot */
	struct sb_client
	    client[SB_MAX_THREADS]; /* pages used by slots in use */
} __attribute__((aligned(64)));

/* A generation as the master describes it. */
enum sb_gen_state {
	SB_GEN_STARTING = 1,
	SB_GEN_ACTIVE,
	SB_GEN_DRAINING,
};

struct sb_gen {
	uint32_t id;
	uint32_t state;     /* enum sb_gen_state */
	uint32_t processes; /* its workers */
	uint32_t pad;
	char mpm[SB_NAME_MAX];     /* [A-Za-z0-9._-], NUL-padded */
	struct sb_counters folded; /* of its workers that exited */
};

/* Reloads by verb: the first start, graceful, restart. */
enum sb_reload_verb {
	SB_RELOAD_START,
	SB_RELOAD_GRACEFUL,
	SB_RELOAD_RESTART,
	SB_RELOAD_VERBS
};

struct sb_header {
	uint32_t magic;
	uint32_t version;
	uint32_t nslots;
	uint32_t seq;          /* odd while the master changes what follows */
	uint32_t hwm;          /* no slot at or above it is in use */
	uint32_t active;       /* the active generation's id, 0: none */
	uint32_t server_limit; /* of the active generation: the Scoreboard */
	uint32_t width;        /* line's shape, slots x request slots */
	uint32_t ngens;
	uint32_t pad;
	int64_t started;         /* the master's start, Unix seconds */
	uint64_t mpm_generation; /* reloads that brought a new generation */
	uint64_t reloads[SB_RELOAD_VERBS][2]; /* [verb][0 failed, 1 ok] */
	uint64_t crashes;  /* workers that exited unasked, not cleanly */
	uint64_t restarts; /* workers started in place of such an exit */
	uint64_t spawns;   /* workers started */
	uint64_t handoffs; /* idle connections passed on a reload */
	uint64_t cpu_master_us[2];  /* the master's own, user and system */
	uint64_t cpu_workers_us[2]; /* its workers', live and exited */
	struct sb_counters folded;  /* every worker that exited */
	struct sb_gen gens[SB_MAX_GENS];
	/* Key processes by index (1 of KeyProcesses, ...), all generations */
	uint32_t key_indices; /* indices below this have run */
	uint32_t pad2;
	uint64_t key_signatures[SB_MAX_KEYS];
	uint64_t key_refused[SB_MAX_KEYS];
	uint64_t key_unread[SB_MAX_KEYS];
};

/* The header has a page of its own; the slots follow it. */
_Static_assert(sizeof(struct sb_header) <= SB_HEADER_SIZE,
    "the scoreboard header outgrew its page");
_Static_assert(sizeof(struct sb_header) % 8 == 0, "header unaligned");
_Static_assert(sizeof(struct sb_slot) % 64 == 0, "slots share cache lines");
_Static_assert(sizeof(struct sb_counters) % 8 == 0, "counters unaligned");

static inline uint64_t
sb_size(uint32_t nslots)
{
	return SB_HEADER_SIZE + (uint64_t)nslots * sizeof(struct sb_slot);
}

/* Slot I of the board at H; the caller has checked I against the size. */
static inline struct sb_slot *
sb_slot_at(const struct sb_header *h, uint32_t i)
{
	return (struct sb_slot *)((uintptr_t)h + SB_HEADER_SIZE) + i;
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
 * SIZE bytes (a multiple of 8) from shared SRC, word by word, atomically.
 * Each word goes through memcpy(): DST is a struct of other types.
 */
static inline void
sb_load_words(void *dst, const void *src, size_t size)
{
	const uint64_t *s = src;
	uint64_t w;
	size_t i;

	for (i = 0; i < size / sizeof(w); i++) {
		w = sb_read(&s[i]);
		memcpy((char *)dst + i * sizeof(w), &w, sizeof(w));
	}
}

/* The same into shared DST, for the master's header. */
static inline void
sb_store_words(void *dst, const void *src, size_t size)
{
	uint64_t *d = dst;
	uint64_t w;
	size_t i;

	for (i = 0; i < size / sizeof(w); i++) {
		memcpy(&w, (const char *)src + i * sizeof(w), sizeof(w));
		sb_write(&d[i], w);
	}
}

/* The fixed part of a slot: everything before the state bytes. */
#define SB_SLOT_FIXED offsetof(struct sb_slot, thread)
_Static_assert(SB_SLOT_FIXED % 8 == 0, "slot counters unaligned");

/*
 * A private copy of SLOT's counters and states (not the request slots'
 * state bytes), each field read once: plain untrusted numbers the reader
 * may show, sum or clamp, never use as a size, index or pid.
 */
static inline void
sb_copy(const struct sb_slot *slot, struct sb_slot *s)
{
	sb_load_words(s, slot, SB_SLOT_FIXED);
	if (s->threads > SB_MAX_THREADS)
		s->threads = SB_MAX_THREADS;
	if (s->busy > s->threads)
		s->busy = s->threads;
}

/* After sb_copy(): the state bytes of the request slots S claims. */
static inline void
sb_copy_threads(const struct sb_slot *slot, struct sb_slot *s)
{
	uint32_t i;

	for (i = 0; i < s->threads; i++)
		s->thread[i] = sb_read(&slot->thread[i]);
}

/*
 * A sequence lock on the word at SEQ: the writer makes it odd, changes
 * what it guards, makes it even. The header has one (the master's: it
 * also zeroes the slot whose counters it just added to the header), each
 * request slot's client another (its thread's). A reader that saw the
 * word change reads again, at most SB_READ_TRIES times for the header: a
 * hostile worker may scribble on the page too.
 */
static inline uint32_t
sb_seq_begin(const uint32_t *seq)
{
	return __atomic_load_n(seq, __ATOMIC_ACQUIRE);
}

/* True when what was read since sb_seq_begin() returned WAS is whole. */
static inline int
sb_seq_ok(const uint32_t *seq, uint32_t was)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return (was & 1) == 0 && __atomic_load_n(seq, __ATOMIC_RELAXED) == was;
}

/*
 * The writer around its changes. COUNT is its own copy of the word, even
 * between changes, never read back from the page.
 */
static inline void
sb_seq_enter(uint32_t *seq, uint32_t *count)
{
	__atomic_store_n(seq, ++*count, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void
sb_seq_leave(uint32_t *seq, uint32_t *count)
{
	__atomic_store_n(seq, ++*count, __ATOMIC_RELEASE);
}

/*
 * Request slot I's client, after sb_copy() (which clamps threads), in
 * FAMILY and ADDR (16 bytes): 0 when there is none or it was being
 * written. FAMILY is an untrusted number: compare it, never index by it.
 */
static inline uint32_t
sb_read_client(const struct sb_slot *slot, uint32_t i, uint8_t *addr)
{
	const struct sb_client *c = &slot->client[i];
	uint32_t seq, family, w[4];
	int k;

	seq = sb_seq_begin(&c->seq);
	family = sb_read(&c->family);
	for (k = 0; k < 4; k++)
		w[k] = sb_read(&c->addr[k]);
	if (!sb_seq_ok(&c->seq, seq))
		return 0;
	memcpy(addr, w, sizeof(w));
	return family;
}

/*
 * The writer's side: FAMILY and the 16 bytes at ADDR into C. COUNT is the
 * writing thread's own copy of the record's sequence word.
 */
static inline void
sb_write_client(
    struct sb_client *c, uint32_t *count, uint32_t family, const uint8_t *addr)
{
	uint32_t w[4];
	int k;

	memcpy(w, addr, sizeof(w));
	*count &= ~1u;
	sb_seq_enter(&c->seq, count);
	sb_write(&c->family, family);
	for (k = 0; k < 4; k++)
		sb_write(&c->addr[k], w[k]);
	sb_seq_leave(&c->seq, count);
}

/* A slot's state is published after the fields it describes. */
static inline void
sb_set_state(struct sb_slot *s, enum sb_state state)
{
	__atomic_store_n(&s->state, (uint32_t)state, __ATOMIC_RELEASE);
}

/* A byte of an MPM's name as the header carries it: others become '_'. */
static inline char
sb_name_char(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
		return c;
	return '_';
}

/* A + B, saturating: counters summed from untrusted slots never wrap. */
static inline uint64_t
sb_sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* Adds every counter of FROM to TO, saturating. */
static inline void
sb_counters_add(struct sb_counters *to, const struct sb_counters *from)
{
	uint64_t *t = (uint64_t *)(void *)to;
	const uint64_t *f = (const uint64_t *)(const void *)from;
	size_t i;

	for (i = 0; i < sizeof(*to) / sizeof(uint64_t); i++)
		t[i] = sb_sat_add(t[i], f[i]);
}

#endif
