/*
 * What every worker binary shares: the handshake with the master on fd 3,
 * the received config and fds, the privilege check, the stop flags.
 */
#ifndef MPMD_RUNTIME_H
#define MPMD_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "protocol/scoreboard.h"
#include "workers/conn.h"
#include "workers/handoff.h"

struct worker {
	const char *mpm;
	int channel;
	struct conf conf;
	uint32_t slot;
	uint32_t generation;
	int listeners[CONF_MAX_LISTEN];
	unsigned listen_flags[CONF_MAX_LISTEN]; /* CONF_LISTEN_*, each */
	size_t nlisteners;
	struct sb_header *sb_all;
	struct sb_slot *sb;
	struct conn_ctx ctx;
	atomic_int accesslog;
	atomic_ullong accepted; /* not read back from the board others reach */
	atomic_int graceful; /* GRACEFUL_STOP received, or the master is gone */
	atomic_int handoff;  /* ... and idle connections go to the master */
	atomic_int stop;     /* STOP received: exit now */
	int wake;            /* eventfd: readable once the process drains */
	int adopt_queue;     /* the generation's handed-over connections */
	/* Who is inside an acceptor, so the listeners close when none is. */
	pthread_mutex_t accept_lock;
	unsigned accepting;
	bool listeners_closed;
};

/* Handshake; fatal (logged, exit 1) on anything unexpected. */
void runtime_init(struct worker *w, const char *mpm);
/* Tells the master we serve; call once listeners are being watched. */
void runtime_ready(struct worker *w);
/*
 * Reads and acts on one channel message. Returns 0, or -1 when the master
 * is gone (graceful is then set: finish in-flight requests and exit).
 */
int runtime_channel_read(struct worker *w);
/* Stop accepting and start the GracefulShutdownTimeout clock (once). */
void runtime_begin_drain(struct worker *w);
/* Entering an acceptor: false once draining. Leaving: pair every true. */
bool runtime_accept_enter(struct worker *w);
void runtime_accept_leave(struct worker *w);
/* Begin the drain and wake every thread watching w->wake. */
void runtime_drain_and_wake(struct worker *w);
/*
 * The main thread of a thread pool: reads the channel until the process
 * drains (GRACEFUL_STOP, the master gone, or a thread's own drain), acts
 * on STOP at once, and returns with every thread woken.
 */
void runtime_watch_channel(struct worker *w);
/* STOP: exit once no thread is inside an acceptor (see acceptor.h). */
void runtime_stop_now(struct worker *w) __attribute__((noreturn));
/* Milliseconds left of GracefulShutdownTimeout since draining began. */
int64_t runtime_drain_left(const struct worker *w);
/*
 * Draining with GracefulHandoff: C, idle, goes to the master for a worker
 * of the new generation. True when it went (conn_free() it: our fd is
 * only a copy now); false to go on serving it here.
 */
bool runtime_handoff(struct worker *w, struct conn *c);
/*
 * A connection from the generation's adopt queue (see IPC_FDS_FIXED),
 * which every acceptor watches: true with A filled, false when another
 * worker took it first or none waits.
 */
bool runtime_take_adopted(struct worker *w, struct accepted *a);
/*
 * The connection A (accepted or adopted) with what was read of it: NULL,
 * logged and closed, when out of memory. A->pre is freed either way.
 */
struct conn *runtime_conn_new(struct worker *w, const struct accepted *a);
/* The CONF_LISTEN_* options of the listener LFD. */
unsigned runtime_listen_flags(const struct worker *w, int lfd);
/* MaxConnectionsPerChild reached: time to drain and let a new one come. */
bool runtime_recycle_due(const struct worker *w);
/*
 * The most connections this process holds open at once: the
 * MaxOpenConnectionsPerChild set, or what the open-file limit leaves
 * room for beside the fds the process itself needs (FIXED more of them).
 */
long runtime_conn_limit(const struct worker *w, long fixed);

#define RUNTIME_THREAD_STACK (256 * 1024) /* request threads use little */
void runtime_start_thread(pthread_t *tid, void *(*fn)(void *), void *arg);

#endif
