/*
 * The master's own, authoritative state: generations (a config, its MPM
 * binary, its workers), the process table and the listening sockets. Only
 * this table names pids and slots the master acts on; the scoreboard only
 * feeds it clamped counters.
 */
#ifndef MPMD_MASTER_H
#define MPMD_MASTER_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "conf/conf.h"
#include "protocol/ipc_queue.h"
#include "protocol/scoreboard.h"

#define MASTER_READY_TIMEOUT_MS 10000 /* a worker must say READY by then */
#define MASTER_STOP_KILL_MS     5000  /* TERM, then KILL after this */
#define MASTER_TICK_MS          1000  /* pool maintenance period */
#define MASTER_SPAWN_RATE_MAX   32    /* Apache's cap on the doubling */
#define MASTER_BACKOFF_MIN_MS   250
#define MASTER_BACKOFF_MAX_MS   30000
#define MASTER_CRASH_FORGET_MS  30000 /* a calm period resets the backoff */
#define MASTER_MAX_LISTENERS    (2 * CONF_MAX_LISTEN)

struct event;
struct event_base;
struct probes;

enum proc_state {
	PROC_STARTING, /* forked, handshake under way */
	PROC_READY,    /* serving */
	PROC_DRAINING, /* GRACEFUL_STOP sent */
	PROC_STOPPING, /* STOP/TERM sent */
};

struct generation;

/* Crashes in a row: each one after the first delays the next spawn more. */
struct backoff {
	unsigned count;
	int64_t last;  /* when the last one was */
	int64_t until; /* no spawn before this */
};

struct proc {
	TAILQ_ENTRY(proc) entry;
	struct master *master;
	struct generation *gen;
	pid_t pid;
	uint32_t slot;
	int channel; /* -1 once closed */
	struct event *ev_channel;
	struct event *ev_write; /* armed while messages wait */
	struct ipc_queue out;   /* messages the socket did not take yet */
	int64_t out_since;      /* the queue last moved, or began */
	bool keys;              /* a key process of GEN, not a worker */
	unsigned keys_index;    /* which of GEN's key processes it is */
	struct ipc_keys_counts keys_counted; /* a key process's, as last said */
	int keys_end; /* the key process's end of this worker's socket,
			 until the key process has it; -1 */
	bool hello_seen;
	bool fatal_seen;
	bool reopen_pending; /* REOPEN_LOGS sent, LOGS_REOPENED not yet */
	bool accepting;      /* READY, and no ACCEPT_STOPPED since */
	enum proc_state state;
	uint32_t capacity; /* request slots: 1 for prefork, else threads */
	int64_t started;
	int64_t deadline;   /* READY or stop deadline, 0 = none */
	bool expected_exit; /* we asked it to go: exiting is no crash */
	uint64_t cpu_us[2]; /* user, system: /proc at the last tick */
};

enum gen_state {
	GEN_STARTING, /* workers starting; not serving until all are READY */
	GEN_ACTIVE,   /* the one generation that accepts */
	GEN_DRAINING, /* finishing in-flight requests, then gone */
};

#define MASTER_MAX_DRAINING       4     /* generations draining at once */
#define MASTER_ROLLBACK_WINDOW_MS 30000 /* a new generation on probation */
#define MASTER_ROLLBACK_CRASHES   5     /* crashes in it that roll back */
#define MASTER_HISTORY            8     /* reload results kept for status */
#define MASTER_RESULT_MAX         1024  /* text of one reload result */

struct generation {
	TAILQ_ENTRY(generation) entry;
	uint32_t id;
	enum gen_state state;
	struct conf conf;
	char *config_text;
	size_t config_len;
	int binary_fd;
	int docroot_fd;
	int accesslog_fd;
	int adopt[2]; /* its adopt queue: [0] the master writes, [1] workers */
	int listen_fds[CONF_MAX_LISTEN];
	size_t nlisten;
	bool prefork; /* one request slot per process */
	uid_t uid;
	gid_t gid;
	unsigned nprocs;
	unsigned spawn_wanted; /* asked of the pool, forked one a loop turn */
	unsigned spawn_rate;
	struct backoff crash;      /* of its workers */
	unsigned replace;          /* workers that exited unasked, to replace */
	struct sb_counters folded; /* what its exited workers counted */
	int64_t started;
	int64_t drain_deadline;
	int64_t promoted; /* became the active generation, 0 = not yet */
	bool drained;     /* its last worker is gone */
	time_t started_wall;
	char *fail_reason; /* why a STARTING generation cannot go on */

	/* TLS (tls.c): the pairs as read, and the key process (keys.c) */
	struct conf_tls_pair tls[CONF_MAX_CERTS];
	size_t ntls;       /* 0: no https listener */
	bool tls_isolated; /* ntls > 0 and SSLKeyIsolation on */
	int keys_binary_fd;
	unsigned nkeys; /* key processes it runs (KeyProcesses) */
	struct proc *keys[CONF_MAX_KEY_PROCESSES]; /* NULL while one is down */
	struct backoff keys_crash[CONF_MAX_KEY_PROCESSES];
	uid_t key_uid; /* KeyUser */
	gid_t key_gid;
};

#define MASTER_WAITERS 16 /* mpmctl clients waiting on one reload */

/* Control connections to answer with a reload's outcome. */
struct waiters {
	int fd[MASTER_WAITERS];
	size_t n;
};

/* A start, graceful or restart in progress, and who waits for it. */
struct reload {
	bool active;
	int verb; /* enum ctl_verb, 0 for the start */
	struct generation *gen;
	int64_t started;
	int64_t deadline;
	struct waiters waiters;
	struct probes *probes; /* GracefulProbe under way, or NULL */
	bool probed;           /* ... and passed */
	/* Promoted; answered once no old worker accepts (or the bound) */
	char *result;
	int64_t quiet_deadline;
};

struct reload_result {
	time_t when;
	int verb;
	bool ok;
	int64_t took_ms; /* from the request to the outcome; -1: none */
	char text[MASTER_RESULT_MAX];
};

/* What the master counts over its life, for the status and metrics. */
struct master_counts {
	uint64_t reloads[SB_RELOAD_VERBS][2]; /* [verb][ok] */
	uint64_t
	    promotions;    /* generations that became active after the first */
	uint64_t crashes;  /* workers that exited unasked, not cleanly */
	uint64_t restarts; /* workers started in place of an unasked exit */
	uint64_t spawns;   /* workers started */
	/* by key process index, every generation's and every replacement's */
	uint64_t key_signatures[SB_MAX_KEYS];
	uint64_t key_refused[SB_MAX_KEYS];
	uint64_t key_unread[SB_MAX_KEYS];
	uint32_t key_indices; /* the highest index that ever ran, plus 1 */
};

/* Counted by the masters an upgrade replaced: this one goes on from it. */
struct master_carried {
	uint64_t cpu_master_us[2]; /* user, system */
	uint64_t cpu_workers_us[2];
	struct sb_counters
	    served; /* the scoreboard's folded totals start here */
};

struct listener {
	int fd;
	struct conf_listen addr;
};

/* Session-ticket keys, the master's for every generation (tickets.c). */
struct tickets {
	struct ipc_ticket_keys ring; /* ring.keys[0] encrypts */
	int64_t rotated;
	long lifetime; /* s between rotations: the active
			  SSLSessionTicketLifetime */
	struct event *ev_rotate;
};

/* upgrade.c: `mpmctl upgrade` under way, seen from the master replaced */
enum upgrade_phase {
	UPG_IDLE,
	UPG_SPAWNED,     /* forked and exec'd: HELLO awaited */
	UPG_STARTING,    /* STATE sent: READY awaited */
	UPG_HANDED_OVER, /* it serves; this master drains and exits */
};

struct upgrade {
	enum upgrade_phase phase;
	pid_t pid; /* the new master, 0 once reaped */
	int fd;    /* -1 when none */
	struct event *ev_read;
	struct event *ev_timeout;
	int client; /* mpmctl waiting for the outcome, or -1 */
	int64_t began;
	bool gone;           /* its socket closed before READY */
	bool awaiting_taken; /* handed over, TAKEN not yet seen */
	char version[64];
	char
	    text[4097]; /* what its READY said (UPGRADE_TEXT_MAX), for mpmctl */
};

/* successor.c: this master was started by an upgrade, and takes over */
struct successor {
	int fd;     /* to the old master; -1 once it is gone, or never was */
	int ctl_fd; /* the control socket passed, until adopted; -1 */
	pid_t old_pid;
	bool released;
	struct event *ev;
};

struct master {
	struct event_base *base;
	char *conf_path; /* absolute: reloads run from "/" */
	char *self_path; /* the installed binary `mpmctl upgrade` runs */
	bool as_root;
	bool foreground;
	bool stopping;
	int64_t stop_deadline;
	uint32_t next_gen;
	TAILQ_HEAD(, generation) gens;
	TAILQ_HEAD(, proc) procs;
	struct listener listeners[MASTER_MAX_LISTENERS];
	size_t nlisteners;
	int errorlog_fd;
	char *errorlog_path;
	int devnull_fd;
	char *pid_file;
	int sb_fd;
	struct sb_header *sb; /* shared: the master only writes it */
	struct sb_header pub; /* what it last wrote there, its own copy */
	uint32_t nslots;
	uint8_t slot_used[SB_MAX_SLOTS];
	struct master_counts counts;
	struct master_carried carried;
	struct event *ev_tick;
	struct event *ev_spawn; /* the pool's next fork */
	struct event *ev_wake;  /* a maintenance pass due before the tick */
	int64_t wake_at;        /* ... and when, 0 = none */
	struct reload reload;
	int pending_verb;            /* a reload asked for during another */
	struct waiters pending;      /* ... and who asked for it */
	struct generation *previous; /* kept to roll back to, on probation */
	struct reload_result history[MASTER_HISTORY];
	unsigned nhistory;
	time_t started_wall;
	int ctl_fd;
	char *ctl_path;
	struct event *ev_ctl;
	int stop_client; /* answered when the master exits, or -1 */
	struct waiters reopen_waiters; /* mpmctl reopen-logs, until confirmed */
	struct tickets tickets;
	uint64_t handoffs; /* connections passed to the active generation */
	int64_t reopen_deadline;
	bool start_failed;
	struct waiters start_waiters; /* mpmctl start, until it serves */
	int64_t start_deadline; /* ... or serves short of workers this long */
	struct upgrade upgrade;
	struct successor successor;
};

/* master.c: the event loop, signals, the maintenance tick, stopping */
void master_init(struct master *m); /* empty, every fd -1 */
void master_run(struct master *m, struct generation *first);
void master_stop(struct master *m, bool graceful);
/* Handed over to a new master: drains the workers, then the loop ends. */
void master_retire(struct master *m);
void master_free(struct master *m);
/*
 * Reaps, checks deadlines and the reload in progress, drops drained
 * generations; on the tick (TICK) also sizes each pool.
 */
void master_maintain(struct master *m, bool tick);
/* A maintenance pass at WHEN (master_now() ms), not only on the tick. */
void master_wake_at(struct master *m, int64_t when);

/* os.c: the clock and signals, replaced by fakes in the unit suite */
int64_t master_now(void); /* monotonic milliseconds */
int master_signal(pid_t pid, int sig);

/* listen.c: the master's table of listening sockets */
int listeners_adopt_systemd(
    struct master *m, const struct conf *conf, char **cause);
/* Binds every Listen of CONF that the master does not hold yet. */
int listeners_open(struct master *m, const struct conf *conf, char **cause);
/* Points G's listen_fds at the master's sockets for its Listen lines. */
void listeners_bind(struct master *m, struct generation *g);
void listeners_close_unused(struct master *m);
void listeners_close_all(struct master *m);

/* generation.c: a config with its files opened, and its identity */
/* Takes CONF over (it is moved into the generation); NULL with *cause. */
struct generation *generation_new(
    struct master *m, struct conf *conf, char **cause);
void generation_free(struct generation *g);
const char *generation_mpm(const struct generation *g);
const char *generation_state(const struct generation *g);     /* "active"... */
struct generation *generation_active(const struct master *m); /* or NULL */
/* Whether a worker of G other than EXCEPT (may be NULL) is READY. */
bool generation_has_ready(const struct master *m, const struct generation *g,
    const struct proc *except);
/* Shown in the status: not drained (kept only in case of a rollback). */
bool generation_listed(const struct generation *g);
/* Its workers crashed lately (MASTER_CRASH_FORGET_MS) as of NOW. */
bool generation_crashing(const struct generation *g, int64_t now);

/* logs.c: the error log and the access logs */
void logs_switch_error_log(struct master *m, const char *path);
/*
 * After logrotate renamed the files: reopens them and passes them on;
 * CLIENT is answered once every worker confirmed it writes to the new
 * files (or LOGS_CONFIRM_MS passed). -1 with *CAUSE when a file fails.
 */
int logs_reopen(struct master *m, int client, char **cause);
/* A worker confirmed, or went: answers the waiting clients when all did. */
void logs_check_reopened(struct master *m);

/* reload.c: start, graceful and restart all bring up a new generation */
/*
 * Reads the config and brings up a new generation; during another reload
 * it is queued (CLIENT, -1 for a signal, waits for the outcome).
 */
void reload_begin(struct master *m, int verb, int client);
const char *reload_verb_name(int verb); /* "start", "graceful"... */
/* The reloads remembered, and the Ith of them, the newest first. */
unsigned reload_history_count(const struct master *m);
const struct reload_result *reload_history_at(
    const struct master *m, unsigned i);
/* Brings up G (already created) as the new active generation. */
void reload_launch(struct master *m, struct generation *g, int verb);
/* The master stops: whoever waits on a reload is told so. */
void reload_abandon(struct master *m);
void reload_check(struct master *m);
/* A worker of G crashed: a new generation that crash-loops is rolled back. */
void reload_after_crash(struct master *m, struct generation *g);
/* Lets go of the previous generation once the active one proved itself. */
void reload_end_probation(struct master *m);

/* handoff.c: GracefulHandoff, idle connections to the new generation */
/* A drain of FROM may hand connections over: someone can take them. */
bool handoff_possible(struct master *m, const struct proc *from);
/* A HANDOFF from worker FROM: checked, then given to an active worker. */
void handoff_route(
    struct master *m, struct proc *from, const struct ipc_msg *msg);

/* Connections still queued for G, which no longer serves, move on. */
void handoff_requeue(struct master *m, struct generation *g);
/* The new master passed on connection FD, C with BYTES read ahead. */
struct upgrade_conn;
void handoff_adopt(struct master *m, int fd, const struct upgrade_conn *c,
    const uint8_t *bytes);

/* upgrade.c: replacing this master with the binary at its own path */
void upgrade_begin(struct master *m, int client);
/* PID was the new master: its exit handled. */
bool upgrade_child_exited(struct master *m, pid_t pid, int status);
/* Handed over, mpmctl not yet told: the master waits before exiting. */
bool upgrade_confirming(const struct master *m);
/* Handed over: draining workers' connections go to the new master. */
bool upgrade_takes_connections(const struct master *m);
bool upgrade_forward(
    struct master *m, int fd, const struct ipc_conn *c, const uint8_t *bytes);
void upgrade_free(struct master *m);

/* successor.c: the new master's side of an upgrade */
/* Started by an upgrade: MPMD_UPGRADE_FD is set. */
bool successor_started(void);
/* HELLO, and the old master's STATE; -1 with a message on stderr. */
int successor_begin(struct master *m);
int successor_adopt_control(struct master *m, const char *path, char **cause);
int successor_watch(struct master *m); /* once the event base exists */
/* The first generation serves (OK), or could not start: tell the old one. */
void successor_report(struct master *m, bool ok, const char *text);
/* Before the event loop: the old master is told why, then we exit. */
void successor_fail(struct master *m, const char *text)
    __attribute__((noreturn));
/* Answered by the old master's RELEASE: this one is the master now. */
bool successor_waiting(const struct master *m);
void successor_free(struct master *m);

/* carry.c: the counters and reload history an upgrade hands over */
/* The old side: COUNTERS and a RELOAD each on FD; -1 with errno. */
int carry_send(struct master *m, int fd);
struct upgrade_msg;
/* The new side: one of them taken; -1 when MSG is neither. */
int carry_take(struct master *m, const struct upgrade_msg *msg);

/* pidfile.c */
int pidfile_read(const char *path, pid_t *pid);
void pidfile_write(struct master *m, const char *path);
/* Removes PidFile, unless another master (an upgrade's) wrote it since. */
void pidfile_remove(const struct master *m);

/* probe.c: GracefulProbe, before the old generation drains */
int probe_start(struct master *m, struct generation *g);
void probe_cancel(struct master *m);
/* reload.c: the probe's verdict; WHY says what it saw when not OK. */
void reload_probed(
    struct master *m, struct generation *g, bool ok, const char *why);

/* control.c: the control socket */
int control_open(struct master *m, const char *path, char **cause);
int control_start(struct master *m); /* once the event base exists */
/* The new master answers on the socket: stop, leaving its file in place. */
void control_hand_over(struct master *m);
void control_reply(int client, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* TEXT (LEN bytes) to CLIENT, in as many packets as it takes; closes it. */
void control_send(int client, bool ok, const char *text, size_t len);
void control_close(struct master *m);
/* Adds CLIENT (-1: a signal, nobody to answer) to W; false when full. */
bool waiters_add(struct waiters *w, int client);
/* Answers every client in W with OK and TEXT, and forgets them. */
void waiters_answer(struct waiters *w, bool ok, const char *text);

/* startwait.c: mpmctl start, answered once the first generation serves */
/* CLIENT gets the status once all StartServers are ready, or why not. */
void startwait_add(struct master *m, int client);
void startwait_check(struct master *m);

/* report.c: what `mpmctl status` shows; JSON: report_json.c's form */
void report_status(struct master *m, int client, bool json);
struct buf;
/* report_json.c: the same as one JSON object */
void report_json(struct master *m, struct buf *r);

/* notify.c: systemd's sd_notify datagrams, when NOTIFY_SOCKET is set */
void notify_systemd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* channel.c: the channel to each worker, never blocking the master */
int channel_open(struct master *m, struct proc *p);
void channel_close(struct proc *p);
/* P exited: the connections it handed over last are routed, not lost. */
void channel_drain(struct proc *p);
/* Queues a message and sends what the socket takes; -1 if P was killed. */
int channel_send(struct proc *p, enum ipc_type type, const void *payload,
    size_t len, const int *fds, size_t nfds);
/* A message has waited too long: the worker does not read its channel. */
bool channel_stalled(const struct proc *p, int64_t now);

/* proc.c: the process table */
#define PROC_KEYS_NAME "mpmd-keys" /* the key process's binary in WorkerDir */
#define PROC_NAME_MAX  96
int proc_spawn(struct master *m, struct generation *g);
int proc_spawn_keys(struct master *m, struct generation *g, unsigned index);
/* "worker pid N (generation G, slot S)" or "key process pid N (...)" */
const char *proc_name(const struct proc *p, char *buf, size_t size);
const char *proc_what(const struct proc *p);       /* "worker", "key process" */
const char *proc_state_name(const struct proc *p); /* "ready"... */
/* The worker broke the protocol or missed a deadline: it goes, now. */
void proc_kill(struct proc *p, const char *why);
void proc_send_stop(struct master *m, struct proc *p, bool graceful);
void proc_reap(struct master *m);
/* Counts a crash at NOW; returns the delay before the next spawn. */
int64_t backoff_note(struct backoff *b, int64_t now);
/* "exited with status N", "killed by signal N (SIGX)" */
void proc_describe_exit(int status, char *why, size_t size);
/* The worker PID ended with wait STATUS: log it, count a crash, forget it. */
void proc_exited(struct master *m, pid_t pid, int status);
void proc_check_deadlines(struct master *m);

/* cpu.c: CPU time of the master and its workers */
/* Each worker's and key process's time so far, from /proc: on the tick. */
void cpu_sample(struct master *m);
/* User and system microseconds: the master's, and its workers' (live
 * from the last sample, exited from the kernel's count). */
void cpu_totals(const struct master *m, uint64_t self[2], uint64_t workers[2]);

/* tls.c: a generation's certificates and keys */
int tls_generation_load(struct generation *g, char **cause);
void tls_generation_free(struct generation *g);
/* Chains, keys (SSLKeyIsolation off), ticket keys: -1 if P was killed. */
int tls_send_worker(struct master *m, struct proc *p);
/* SETUP and the keys, to a key process that said HELLO. */
int tls_send_keyproc(struct proc *p);

/* tickets.c: session-ticket keys for every worker of every generation */
void tickets_start(struct master *m);
/* G became active: its SSLSessionTicketLifetime sets the rotation. */
void tickets_follow(struct master *m, const struct generation *g);
void tickets_stop(struct master *m);
int tickets_send(struct master *m, struct proc *p);

/* keys.c: the key process of a generation with isolated keys */
/* Starts it when needed and due, stops it when its workers are gone. */
void keys_maintain(struct master *m, struct generation *g);
/* A socket to the key process for worker P; its fd for FDS, or -1. */
int keys_worker_socket(struct master *m, struct proc *p);
/* The key process said HELLO: its keys, then its workers' sockets. */
void keys_on_hello(struct proc *kp);
/* Every key process of G is ready to sign (true without isolation). */
bool keys_ready(const struct generation *g);
/* A key process of G still runs. */
bool keys_running(const struct generation *g);
/* KEYS_COUNTS from key process KP: its index's totals move on. */
void keys_on_counts(struct proc *kp, const void *payload);
/* KeyProcesses, or with 0 one per CPU up to a few. */
unsigned keys_count(const struct conf *conf);

/* pool.c: spare processes and threads of the active generation */
void pool_maintain(struct master *m, struct generation *g);
/*
 * Forks WANT workers for G, one per turn of the event loop: a burst of
 * spawns (a new generation, a pool a hostile worker's scoreboard made
 * look busy, a rollback) never keeps the master from its control socket
 * or its workers' channels.
 */
void pool_spawn(struct master *m, struct generation *g, unsigned want);

/* scoreboard.c: the shared memfd, read as untrusted counters */
int scoreboard_create(struct master *m, char **cause);
int scoreboard_claim(struct master *m, uint32_t *slot);
/*
 * SLOT's worker is gone: what it counted is added to the master's totals
 * (and G's, unless NULL) and the slot is cleared, in one step readers see
 * whole, so no total goes backwards.
 */
void scoreboard_release(struct master *m, uint32_t slot, struct generation *g);
/* Writes what the master knows into the header, for workers to show. */
void scoreboard_publish(struct master *m);
/* A copy of what the worker of SLOT wrote there; -1 (zeros) if no slot. */
int scoreboard_copy(const struct master *m, uint32_t slot, struct sb_slot *s);
/* The worker-written busy count of SLOT, clamped to LIMIT. */
uint32_t scoreboard_busy(const struct master *m, uint32_t slot, uint32_t limit);

#endif
