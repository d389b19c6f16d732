/*
 * Master <-> worker channel: a SOCK_SEQPACKET socketpair, one message per
 * packet, the worker's end on fd 3.
 *
 * Every packet is a struct ipc_hdr followed by hdr.len payload bytes, with
 * file descriptors attached as SCM_RIGHTS where the type allows them.
 * Payloads are plain values (fixed-width integers, text), never pointers.
 * Bump IPC_VERSION whenever a message or its payload changes.
 */
#ifndef MPMD_IPC_H
#define MPMD_IPC_H

#include <stddef.h>
#include <stdint.h>

#define IPC_VERSION     8
#define IPC_CHANNEL_FD  3
#define IPC_MAX_PAYLOAD 32768             /* fits any SEQPACKET socket buffer */
#define IPC_MAX_LISTEN  64                /* listening sockets in one FDS */
#define IPC_MAX_FDS     80                /* IPC_MAX_LISTEN listeners + a few */
#define IPC_MAX_CONFIG  (4 * 1024 * 1024) /* all CONFIG chunks together */

enum ipc_type {
	/* worker -> master: 1..63 */
	IPC_HELLO = 1, /* struct ipc_hello */
	IPC_READY = 2, /* no payload: serving */
	IPC_FATAL = 3, /* text: why the worker will exit; logged, then reaped */
	IPC_LOGS_REOPENED = 4, /* no payload: REOPEN_LOGS done, old fds shut */
	IPC_HANDOFF = 5, /* struct ipc_conn, bytes; fds: [an idle client] */
	IPC_ACCEPT_STOPPED = 6, /* no payload: draining, accepts no more */
	IPC_KEYS_COUNTS = 7,    /* key process: struct ipc_keys_counts */

	/* master -> worker: 64..127 */
	IPC_SETUP = 64,  /* struct ipc_setup */
	IPC_CONFIG = 65, /* a chunk of conf_serialize() text */
	IPC_FDS = 66,    /* no payload; fds: see struct ipc_setup */
	IPC_GRACEFUL_STOP =
	    67,               /* struct ipc_stop: stop accepting, drain, exit */
	IPC_STOP = 68,        /* exit now */
	IPC_REOPEN_LOGS = 69, /* fds: [error log, access log] */
	IPC_TLS_CERT = 70,    /* struct ipc_tls_part, then PEM certificates */
	IPC_TLS_KEY = 71,     /* struct ipc_tls_part, then a DER private key */
	IPC_TICKET_KEYS = 72, /* struct ipc_ticket_keys */
	IPC_KEYS_SOCKET = 73, /* fds: [a new socket to the key process] */
	IPC_KEYS_CLIENT = 74, /* struct ipc_keys_client; fds: [its socket] */
	IPC_ADOPT = 75, /* on the adopt queue, never the channel: see FDS */

	/* control socket, mpmctl -> master: 128..191 (protocol/ctl.h) */
	IPC_CTL_REQUEST = 128, /* struct ctl_request */

	/* control socket, master -> mpmctl: 192..255 */
	IPC_CTL_REPLY = 192, /* struct ctl_reply then text */
};

struct ipc_hdr {
	uint16_t version; /* IPC_VERSION */
	uint16_t type;    /* enum ipc_type */
	uint32_t len;     /* payload bytes that follow */
};

#define IPC_MPM_NAME_MAX 32

struct ipc_hello {
	uint32_t version; /* again, so a mismatch can be named in the log */
	uint32_t pid;
	char mpm[IPC_MPM_NAME_MAX]; /* NUL-terminated: "prefork", ... */
};

/*
 * IPC_FDS carries, in order: nlisten listening sockets, the DocumentRoot
 * directory, the access log, the scoreboard memfd.
 */
struct ipc_setup {
	uint32_t slot; /* scoreboard slot this worker writes */
	uint32_t generation;
	uint32_t nlisten;    /* <= IPC_MAX_LISTEN */
	uint32_t nslots;     /* scoreboard size the master mapped */
	uint32_t config_len; /* total bytes of the CONFIG chunks */
	uint32_t ntls;       /* certificate pairs: TLS_CERT (TLS_KEY) each */
	uint32_t flags;      /* IPC_SETUP_* */
};

#define IPC_SETUP_KEYS_SOCKET 0x01 /* FDS ends with the key process's */
/*
 * Become non-dumpable now, before the config and any key: set when the
 * worker runs as a user of its own (a root master), so that no other
 * process of that user (another worker) can read or trace it. A master
 * that is not root leaves its workers as traceable as itself, by you.
 */
#define IPC_SETUP_NONDUMPABLE 0x02

/* What a key process did since it started: each a running total. */
struct ipc_keys_counts {
	uint64_t signatures;
	uint64_t refused; /* requests it does not take */
	uint64_t unread;  /* replies its worker did not take */
};

/* To a key process: a worker's socket, and whom its log lines name. */
struct ipc_keys_client {
	uint32_t pid;
	uint32_t generation;
};

/*
 * Between CONFIG and FDS: one TLS_CERT per pair, a TLS_KEY per pair when
 * SSLKeyIsolation is off (the key process always gets them), and the
 * TICKET_KEYS when SSLSessionTickets is on. A part larger than a packet
 * comes in pieces, each naming its OFFSET into the TOTAL.
 */
struct ipc_tls_part {
	uint32_t index; /* the pair, as the config lists them */
	uint32_t type;  /* TLS_KEY: EVP_PKEY_RSA, EVP_PKEY_EC... */
	uint32_t total; /* bytes of the whole part */
	uint32_t offset;
};

#define IPC_TLS_PART_MAX  (1024 * 1024) /* a chain or key, all pieces */
#define IPC_TLS_MAX_PAIRS 16            /* certificate/key pairs */

#define IPC_TICKET_KEYS_MAX 3 /* the current one and those before it */
#define IPC_TICKET_NAME     16
#define IPC_TICKET_SECRET   32

struct ipc_ticket_key {
	uint8_t name[IPC_TICKET_NAME];
	uint8_t aes[IPC_TICKET_SECRET];
	uint8_t hmac[IPC_TICKET_SECRET];
};

/* keys[0] encrypts new tickets; all of them decrypt. */
struct ipc_ticket_keys {
	uint32_t n;
	uint32_t pad;
	struct ipc_ticket_key keys[IPC_TICKET_KEYS_MAX];
};

/*
 * A client connection changing hands (HANDOFF from an old generation's
 * worker, ADOPT to a new one's, or the master's own probe): what the
 * worker needs to go on with it. The bytes it had read already follow.
 */
struct ipc_conn {
	uint32_t flags; /* CONF_LISTEN_* of the listener it came in on */
	uint32_t nreq;  /* responses it was given (MaxKeepAliveRequests) */
	uint32_t peerlen;
	uint32_t nread; /* bytes that follow */
	/*
	 * struct sockaddr_storage: the client, which on a "Listen ...
	 * proxy" listener is the one its PROXY header named. A connection
	 * changing hands is past that header; the taker reads none.
	 */
	uint8_t peer[128];
};

#define IPC_CONN_READ_MAX (IPC_MAX_PAYLOAD - sizeof(struct ipc_conn))

/* How to drain: with HANDOFF, idle keep-alive connections go to the master. */
struct ipc_stop {
	uint32_t handoff;
};

/*
 * Docroot, access log, the generation's adopt queue, scoreboard. The
 * adopt queue is the read end of a SOCK_SEQPACKET socketpair that every
 * worker of a generation watches like a listener: the master writes an
 * ADOPT (struct ipc_conn, bytes; fds: [a client]) for each connection
 * handed over, and whichever worker is free first takes it.
 */
#define IPC_FDS_FIXED 4
/*
 * ipc_recv() only checks that IPC_FDS carries IPC_FDS_FIXED up to
 * IPC_FDS_FIXED + IPC_MAX_LISTEN + 1 fds; the receiver must check the
 * exact count, IPC_FDS_FIXED + ipc_setup.nlisten (+ 1 with a key socket).
 */

#define IPC_FATAL_MAX 1024 /* bytes of FATAL text; longer is refused */

/*
 * payload holds len bytes and no terminating NUL, text payloads (FATAL,
 * CONFIG) included: use len, never treat payload as a C string.
 */
struct ipc_msg {
	uint16_t type;
	uint32_t len;
	uint8_t payload[IPC_MAX_PAYLOAD];
	int fds[IPC_MAX_FDS];
	size_t nfds;
};

/*
 * Sends one message. Returns 0, or -1 with errno set (EAGAIN on a full
 * non-blocking socket, EMSGSIZE on an oversized payload or fd count).
 */
int ipc_send(int sock, enum ipc_type type, const void *payload, size_t len,
    const int *fds, size_t nfds);

/*
 * One SEQPACKET packet of any protocol: HDR (HDRLEN bytes), then LEN bytes
 * of PAYLOAD, with NFDS (at most IPC_MAX_FDS) fds. 0, or -1 with errno;
 * EMSGSIZE when it did not go whole. The caller has checked the sizes.
 */
int ipc_sendmsg(int sock, const void *hdr, size_t hdrlen, const void *payload,
    size_t len, const int *fds, size_t nfds);

/*
 * Receives and checks one message: byte count against the header, version,
 * a known type for this direction, payload size and fd count allowed for
 * that type, cmsg level/type/length, MSG_TRUNC and MSG_CTRUNC. Any fd that
 * arrived with a rejected message is closed. All received fds are CLOEXEC.
 * Returns 1 with MSG filled, 0 on end of file, -1 on error with a static
 * description in *cause (errno EAGAIN means: nothing to read yet).
 */
#define IPC_FROM_WORKER 1
#define IPC_FROM_MASTER 2
#define IPC_FROM_CLIENT 3 /* mpmctl on the control socket */
#define IPC_FROM_SERVER 4 /* the master answering on the control socket */
int ipc_recv(int sock, int from, struct ipc_msg *msg, const char **cause);

void ipc_msg_close_fds(struct ipc_msg *msg);
const char *ipc_type_name(unsigned type);

#endif
