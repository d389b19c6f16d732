/*
 * The master and the one that replaces it (`mpmctl upgrade`, SIGUSR2): a
 * SOCK_SEQPACKET socketpair, the successor's end on the fd that
 * MPMD_UPGRADE_FD names. It has a version of its own, which does not
 * change with IPC_VERSION: builds whose workers speak different
 * protocols still hand over to each other. Bump UPGRADE_VERSION only
 * when these messages change.
 *
 *   successor -> master: HELLO; then READY (it serves) or FAILED (why);
 *                        TAKEN once it answers the control socket and
 *                        PidFile names it
 *   master -> successor: after HELLO, COUNTERS and a RELOAD for each
 *                        reload it remembers (oldest first), then
 *                        STATE; RELEASE once it no longer answers the
 *                        control socket; then CONN for each idle
 *                        keep-alive connection its draining workers hand
 *                        over, until it exits
 *
 * COUNTERS and RELOAD were added without a new version: they come before
 * STATE, so a successor that knows them takes them, and one from a build
 * before them refuses the upgrade, which changes nothing; a master from
 * before them sends STATE alone, and its counters start again.
 */
#ifndef MPMD_UPGRADE_H
#define MPMD_UPGRADE_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/scoreboard.h"

#ifndef UPGRADE_VERSION
#define UPGRADE_VERSION 1
#endif
#define UPGRADE_ENV_FD      "MPMD_UPGRADE_FD"
#define UPGRADE_ENV_CONTROL "MPMD_CONTROL_FD"
#define UPGRADE_TEXT_MAX    4096  /* READY and FAILED text */
#define UPGRADE_READ_MAX    32768 /* bytes of a CONN read ahead */
#define UPGRADE_TICKETS     3
#define UPGRADE_TICKET_SIZE 80 /* name 16, AES 32, HMAC 32 */

enum upgrade_type {
	UPGRADE_HELLO = 1,    /* struct upgrade_hello */
	UPGRADE_STATE = 2,    /* struct upgrade_state */
	UPGRADE_READY = 3,    /* text: what it serves */
	UPGRADE_FAILED = 4,   /* text: why not, FILE:LINE for the config */
	UPGRADE_RELEASE = 5,  /* no payload */
	UPGRADE_CONN = 6,     /* struct upgrade_conn, bytes; fd: the client */
	UPGRADE_TAKEN = 7,    /* no payload */
	UPGRADE_COUNTERS = 8, /* struct upgrade_counters, before STATE */
	UPGRADE_RELOAD = 9,   /* struct upgrade_reload, text; before STATE */
};

struct upgrade_hdr {
	uint32_t version; /* UPGRADE_VERSION */
	uint32_t type;
	uint32_t len; /* payload bytes that follow */
};

struct upgrade_hello {
	uint32_t pid;
	char version[64]; /* "0.1.0 (build ...)", NUL-terminated */
};

#define UPGRADE_FOREGROUND 0x1 /* the old master ran with -D FOREGROUND */

/* What outlives the old master: numbering, age, session-ticket keys. */
struct upgrade_state {
	uint32_t next_gen;
	uint32_t flags; /* UPGRADE_FOREGROUND */
	int64_t started_wall;
	uint64_t handoffs;
	uint32_t nticket;
	uint32_t pad;
	uint8_t tickets[UPGRADE_TICKETS][UPGRADE_TICKET_SIZE];
};

/*
 * What the old master counted, all of it the new one goes on from, so
 * that no _total of /metrics and no count of the status goes down.
 */
struct upgrade_counters {
	uint64_t reloads[SB_RELOAD_VERBS][2]; /* [verb][ok] */
	uint64_t promotions;
	uint64_t crashes;
	uint64_t restarts;
	uint64_t spawns;
	uint64_t cpu_master_us[2];  /* user, system: its own and before */
	uint64_t cpu_workers_us[2]; /* its workers', live and exited */
	struct sb_counters served;  /* its workers', live and exited */
	uint64_t nhistory;          /* reloads it ever recorded */
	/* by key process index: what its key processes did */
	uint64_t key_signatures[SB_MAX_KEYS];
	uint64_t key_refused[SB_MAX_KEYS];
	uint64_t key_unread[SB_MAX_KEYS];
	uint64_t key_indices;
};

/* One reload the old master remembers; its text (no NUL) follows. */
struct upgrade_reload {
	int64_t when; /* Unix seconds */
	int64_t took_ms;
	uint32_t verb; /* enum ctl_verb, 0: the first start */
	uint32_t ok;
};

/* An idle connection of a draining worker of the old master. */
struct upgrade_conn {
	uint32_t nreq; /* responses it was given (MaxKeepAliveRequests) */
	uint32_t peerlen;
	uint8_t peer[128]; /* struct sockaddr_storage */
	uint32_t nread;    /* bytes that follow */
};

struct upgrade_msg {
	struct upgrade_hdr h;
	uint8_t payload[sizeof(struct upgrade_conn) + UPGRADE_READ_MAX];
	int fd; /* CONN's client, else -1 */
};

/* 0, or -1 with errno; FD (-1: none) goes along with CONN. */
int upgrade_send(
    int sock, enum upgrade_type type, const void *payload, size_t len, int fd);
/*
 * One message, checked: 1, 0 at end of file, -1 with errno (EAGAIN: none
 * yet; EPROTO: another UPGRADE_VERSION, in MSG->h.version; EBADMSG).
 */
int upgrade_recv(int sock, struct upgrade_msg *msg);
const char *upgrade_type_name(uint32_t type);

#endif
