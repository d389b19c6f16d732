/*
 * A private, consistent copy of the scoreboard and the sums every status
 * format needs (the status page, the metrics): read once per request,
 * under the header's sequence lock, every number clamped where it bounds
 * anything. Nothing in it points into the shared mapping.
 */
#ifndef MPMD_SCOREVIEW_H
#define MPMD_SCOREVIEW_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "protocol/scoreboard.h"

/* One worker process, as its slot said. */
struct view_proc {
	uint32_t slot;
	uint32_t generation;
	uint32_t state; /* enum sb_state */
	uint32_t threads;
	uint32_t busy;
	uint32_t connections;
	uint32_t flags; /* SB_SLOT_* */
	uint32_t conns[SB_C_COUNT];
	struct sb_counters c;
};

/*
 * A request slot at work (a busy letter; in mpm-event, whose loops wait
 * for no connection, also an idle loop), and the client it serves now
 * or served last.
 */
struct view_req {
	uint32_t slot;   /* the process's */
	uint32_t thread; /* the request slot's, in it */
	uint32_t family; /* as the slot said: shown only if AF_INET(6) */
	uint8_t addr[16];
	char letter; /* Apache's */
};

#define VIEW_REQS_MAX 16384 /* rows kept: a hostile board claims them all */
#define VIEW_ADDR_MAX 46    /* INET6_ADDRSTRLEN */

/* A generation: the header's entry, and what its live workers counted. */
struct view_gen {
	struct sb_gen g; /* mpm NUL-terminated, sanitized */
	struct sb_counters live;
};

struct scoreview {
	struct sb_header h; /* the master's header, clamped */
	struct view_proc *procs;
	size_t nprocs;
	struct view_gen gens[SB_MAX_GENS];
	char *letters; /* the Scoreboard line, Apache's letters */
	size_t nletters;
	struct view_req *reqs;
	size_t nreqs, reqs_cap;

	struct sb_counters live;       /* the processes that run */
	struct sb_counters total;      /* ... and every one that exited */
	uint64_t letter[SB_T_COUNT];   /* the Scoreboard line's letters, each */
	uint64_t busy, idle, graceful; /* as Apache counts its workers */
	uint64_t processes, stopping, connections;
	uint64_t conns[SB_C_COUNT];       /* every connection, by class */
	uint64_t async_conns[SB_C_COUNT]; /* those no thread waits on */
	uint64_t cpu_us[2];               /* user, system: all of mpmd */

	time_t now;
	double load[3]; /* getloadavg(), or -1 each */
};

/*
 * Reads the board mapped at SB (SIZE bytes; SB may be NULL: an empty
 * view). Returns 0, or -1 when out of memory (V is then empty).
 */
int scoreview_read(
    struct scoreview *v, const struct sb_header *sb, uint64_t size);
void scoreview_free(struct scoreview *v);

/* R's client in OUT (SIZE bytes, VIEW_ADDR_MAX do) from inet_ntop(), or "-". */
const char *scoreview_client(const struct view_req *r, char *out, size_t size);
/* Seconds since the master started, 0 if the clock says otherwise. */
uint64_t scoreview_uptime(const struct scoreview *v);
/* The active generation's entry, or NULL. */
const struct view_gen *scoreview_active(const struct scoreview *v);
/* Its MPM's name, or "unknown". */
const char *scoreview_mpm(const struct scoreview *v);
/* What G's workers counted, those that run and those that exited. */
struct sb_counters scoreview_gen_total(const struct view_gen *g);

#endif
