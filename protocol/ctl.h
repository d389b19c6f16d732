/*
 * The control socket between mpmctl and the master: a SOCK_SEQPACKET Unix
 * socket at ControlSocket (mode 0600, peers checked with SO_PEERCRED),
 * carrying ipc.h messages (same header, version and checks): one
 * IPC_CTL_REQUEST, then one IPC_CTL_REPLY once the outcome is known.
 */
#ifndef MPMD_CTL_H
#define MPMD_CTL_H

#include <stdint.h>

enum ctl_verb {
	CTL_STATUS = 1,
	CTL_GRACEFUL,
	CTL_RESTART,
	CTL_STOP,
	CTL_GRACEFUL_STOP,
	CTL_REOPEN_LOGS,
	CTL_UPGRADE,
};

#define CTL_VERB_MAX CTL_UPGRADE

#define CTL_F_JSON    0x01 /* status: as one JSON object */
#define CTL_F_STARTED 0x02 /* status: once the first generation serves */

/* FLAGS may be left out (a request of the verb alone): none. */
struct ctl_request {
	uint32_t verb;  /* enum ctl_verb */
	uint32_t flags; /* CTL_F_* */
};

#define CTL_REQUEST_MIN sizeof(uint32_t) /* the verb alone */

/*
 * Followed by text (not NUL-terminated) up to the end. A reply longer
 * than a packet comes in several, each but the last with MORE set; the
 * text is theirs in order.
 */
struct ctl_reply {
	uint32_t ok;   /* 1: done as asked; 0: failed, the text says why */
	uint32_t more; /* 1: another packet of this reply follows */
};

struct sockaddr_un;

const char *ctl_verb_name(unsigned verb);
int ctl_verb_parse(const char *name); /* -1 when unknown */
/* -1 with ENAMETOOLONG when PATH does not fit. */
int ctl_sockaddr(const char *path, struct sockaddr_un *sun);
/* A connected control socket, or -1 with errno set. */
int ctl_connect(const char *path);

#endif
