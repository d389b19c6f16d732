/*
 * Master <-> worker channel: framing, fd passing and the checks every
 * received message goes through before anyone looks at it.
 *
 * One message is one SOCK_SEQPACKET packet, so the kernel keeps message
 * boundaries and a packet either arrives whole or is flagged MSG_TRUNC.
 * The header is scattered into a local struct and the payload straight
 * into the caller's struct ipc_msg: nothing is allocated per message.
 *
 * Payloads are not NUL-terminated on the wire, text ones included (FATAL,
 * CONFIG): callers must use msg->len, never treat msg->payload as a string.
 * The fd count of IPC_FDS is only checked against its range here; the
 * caller checks the exact count, IPC_FDS_FIXED + ipc_setup.nlisten.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "protocol/ctl.h"
#include "protocol/ipc.h"
#include "lib/plural.h"

#define IPC_REOPEN_NFDS 2   /* error log, access log */
#define IPC_CAUSE_MAX   128 /* longest formatted rejection cause */

_Static_assert(IPC_FDS_FIXED + IPC_MAX_LISTEN + 1 <= IPC_MAX_FDS,
    "IPC_MAX_FDS cannot carry a full IPC_FDS message");

/* What one message type may look like, and who may send it. */
struct ipc_rule {
	uint16_t type;
	const char *name;
	int from; /* IPC_FROM_WORKER or IPC_FROM_MASTER */
	size_t min_len;
	size_t max_len;
	size_t min_fds;
	size_t max_fds;
};

static const struct ipc_rule ipc_rules[] = {
	{ IPC_HELLO, "HELLO", IPC_FROM_WORKER, sizeof(struct ipc_hello),
	    sizeof(struct ipc_hello), 0, 0 },
	{ IPC_READY, "READY", IPC_FROM_WORKER, 0, 0, 0, 0 },
	{ IPC_FATAL, "FATAL", IPC_FROM_WORKER, 1, IPC_FATAL_MAX, 0, 0 },
	{ IPC_LOGS_REOPENED, "LOGS_REOPENED", IPC_FROM_WORKER, 0, 0, 0, 0 },
	{ IPC_HANDOFF, "HANDOFF", IPC_FROM_WORKER, sizeof(struct ipc_conn),
	    IPC_MAX_PAYLOAD, 1, 1 },
	{ IPC_ACCEPT_STOPPED, "ACCEPT_STOPPED", IPC_FROM_WORKER, 0, 0, 0, 0 },
	{ IPC_KEYS_COUNTS, "KEYS_COUNTS", IPC_FROM_WORKER,
	    sizeof(struct ipc_keys_counts), sizeof(struct ipc_keys_counts), 0,
	    0 },
	{ IPC_SETUP, "SETUP", IPC_FROM_MASTER, sizeof(struct ipc_setup),
	    sizeof(struct ipc_setup), 0, 0 },
	{ IPC_CONFIG, "CONFIG", IPC_FROM_MASTER, 1, IPC_MAX_PAYLOAD, 0, 0 },
	{ IPC_FDS, "FDS", IPC_FROM_MASTER, 0, 0, IPC_FDS_FIXED,
	    IPC_FDS_FIXED + IPC_MAX_LISTEN + 1 },
	{ IPC_GRACEFUL_STOP, "GRACEFUL_STOP", IPC_FROM_MASTER, 0,
	    sizeof(struct ipc_stop), 0, 0 },
	{ IPC_STOP, "STOP", IPC_FROM_MASTER, 0, 0, 0, 0 },
	{ IPC_REOPEN_LOGS, "REOPEN_LOGS", IPC_FROM_MASTER, 0, 0,
	    IPC_REOPEN_NFDS, IPC_REOPEN_NFDS },
	{ IPC_TLS_CERT, "TLS_CERT", IPC_FROM_MASTER,
	    sizeof(struct ipc_tls_part) + 1, IPC_MAX_PAYLOAD, 0, 0 },
	{ IPC_TLS_KEY, "TLS_KEY", IPC_FROM_MASTER,
	    sizeof(struct ipc_tls_part) + 1, IPC_MAX_PAYLOAD, 0, 0 },
	{ IPC_TICKET_KEYS, "TICKET_KEYS", IPC_FROM_MASTER,
	    sizeof(struct ipc_ticket_keys), sizeof(struct ipc_ticket_keys), 0,
	    0 },
	{ IPC_KEYS_SOCKET, "KEYS_SOCKET", IPC_FROM_MASTER, 0, 0, 1, 1 },
	{ IPC_KEYS_CLIENT, "KEYS_CLIENT", IPC_FROM_MASTER,
	    sizeof(struct ipc_keys_client), sizeof(struct ipc_keys_client), 1,
	    1 },
	{ IPC_ADOPT, "ADOPT", IPC_FROM_MASTER, sizeof(struct ipc_conn),
	    IPC_MAX_PAYLOAD, 1, 1 },
	{ IPC_CTL_REQUEST, "CTL_REQUEST", IPC_FROM_CLIENT, CTL_REQUEST_MIN,
	    sizeof(struct ctl_request), 0, 0 },
	{ IPC_CTL_REPLY, "CTL_REPLY", IPC_FROM_SERVER, sizeof(struct ctl_reply),
	    IPC_MAX_PAYLOAD, 0, 0 },
};

static const char *const ipc_senders[] = {
	[IPC_FROM_WORKER] = "worker",
	[IPC_FROM_MASTER] = "master",
	[IPC_FROM_CLIENT] = "control client",
	[IPC_FROM_SERVER] = "master",
};

#define IPC_NRULES (sizeof(ipc_rules) / sizeof(ipc_rules[0]))

/* Room for one SCM_RIGHTS cmsg of IPC_MAX_FDS, suitably aligned. */
union ipc_cmsgbuf {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int) * IPC_MAX_FDS)];
};

/* One recvmsg() and what it returned. */
struct ipc_rx {
	struct ipc_hdr hdr;
	struct iovec iov[2];
	struct msghdr mh;
	size_t bytes;
	const char *cmsg_err;   /* control data we refuse, reported last */
	union ipc_cmsgbuf cbuf; /* last: clang sizes CMSG_SPACE() late */
};

/* Formatted causes live here until the next ipc_recv() in this thread. */
static _Thread_local char ipc_cause[IPC_CAUSE_MAX];

static const char *cause_fmt(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static const char *
cause_fmt(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(ipc_cause, sizeof(ipc_cause), fmt, ap);
	va_end(ap);
	errno = saved;
	return ipc_cause;
}

static const struct ipc_rule *
rule_find(unsigned type)
{
	size_t i;

	for (i = 0; i < IPC_NRULES; i++)
		if (ipc_rules[i].type == type)
			return &ipc_rules[i];
	return NULL;
}

const char *
ipc_type_name(unsigned type)
{
	const struct ipc_rule *r = rule_find(type);

	return r != NULL ? r->name : "unknown";
}

static void
attach_fds(
    struct msghdr *mh, union ipc_cmsgbuf *cbuf, const int *fds, size_t nfds)
{
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(*cbuf));
	mh->msg_control = cbuf->buf;
	mh->msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
}

int
ipc_sendmsg(int sock, const void *hdr, size_t hdrlen, const void *payload,
    size_t len, const int *fds, size_t nfds)
{
	struct iovec iov[2] = { { (void *)hdr, hdrlen },
		{ (void *)payload, len } };
	union ipc_cmsgbuf cbuf;
	struct msghdr mh;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = len > 0 ? 2 : 1;
	if (nfds > 0)
		attach_fds(&mh, &cbuf, fds, nfds);
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n != hdrlen + len) {
		errno = EMSGSIZE; /* SEQPACKET never sends part of a packet */
		return -1;
	}
	return 0;
}

int
ipc_send(int sock, enum ipc_type type, const void *payload, size_t len,
    const int *fds, size_t nfds)
{
	struct ipc_hdr hdr;

	if (len > IPC_MAX_PAYLOAD || nfds > IPC_MAX_FDS) {
		errno = EMSGSIZE;
		return -1;
	}
	if ((len > 0 && payload == NULL) || (nfds > 0 && fds == NULL)) {
		errno = EINVAL;
		return -1;
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.version = IPC_VERSION;
	hdr.type = (uint16_t)type;
	hdr.len = (uint32_t)len;
	return ipc_sendmsg(sock, &hdr, sizeof(hdr), payload, len, fds, nfds);
}

static ssize_t
rx_packet(int sock, struct ipc_rx *rx, struct ipc_msg *msg)
{
	ssize_t n;

	memset(rx, 0, sizeof(*rx));
	rx->iov[0].iov_base = &rx->hdr;
	rx->iov[0].iov_len = sizeof(rx->hdr);
	rx->iov[1].iov_base = msg->payload;
	rx->iov[1].iov_len = sizeof(msg->payload);
	rx->mh.msg_iov = rx->iov;
	rx->mh.msg_iovlen = 2;
	rx->mh.msg_control = rx->cbuf.buf;
	rx->mh.msg_controllen = sizeof(rx->cbuf.buf);
	do
		n = recvmsg(sock, &rx->mh, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n >= 0)
		rx->bytes = (size_t)n;
	return n;
}

/* Takes every fd of one SCM_RIGHTS cmsg into MSG, closing any overflow. */
static const char *
take_rights(
    const struct msghdr *mh, const struct cmsghdr *cm, struct ipc_msg *msg)
{
	const unsigned char *data = CMSG_DATA(cm);
	const unsigned char *end =
	    (const unsigned char *)mh->msg_control + mh->msg_controllen;
	const char *err = NULL;
	size_t bytes, i;
	int fd;

	bytes = cm->cmsg_len - CMSG_LEN(0);
	if (bytes > (size_t)(end - data)) {
		err = "control message overruns its buffer";
		bytes = (size_t)(end - data);
	}
	if (bytes % sizeof(int) != 0)
		err = "control message length is not a whole number of fds";
	for (i = 0; i + sizeof(int) <= bytes; i += sizeof(int)) {
		memcpy(&fd, data + i, sizeof(fd));
		if (msg->nfds < IPC_MAX_FDS)
			msg->fds[msg->nfds++] = fd;
		else {
			close(fd);
			err = "more fds than IPC_MAX_FDS";
		}
	}
	return err;
}

/*
 * Collects every fd that arrived, whatever else is wrong with the packet,
 * so that a rejected message can close them all.
 */
static const char *
collect_fds(struct msghdr *mh, struct ipc_msg *msg)
{
	struct cmsghdr *cm;
	const char *err = NULL, *e;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_len < CMSG_LEN(0))
			return "control message shorter than its header";
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS) {
			err = "control message is not SCM_RIGHTS";
			continue;
		}
		if ((e = take_rights(mh, cm, msg)) != NULL)
			err = e;
	}
	return err;
}

static const char *
check_fds(const struct ipc_rule *r, size_t nfds)
{
	if (nfds > 0 && r->max_fds == 0)
		return cause_fmt("%s carries %zu unexpected fd%s", r->name,
		    nfds, plural(nfds));
	if (nfds < r->min_fds || nfds > r->max_fds)
		return cause_fmt("%s carries %zu fd%s, expected %zu..%zu",
		    r->name, nfds, plural(nfds), r->min_fds, r->max_fds);
	return NULL;
}

static const char *
check_payload(const struct ipc_rule *r, size_t len)
{
	if (len < r->min_len)
		return cause_fmt("%s payload too short: %zu bytes, minimum %zu",
		    r->name, len, r->min_len);
	if (len > r->max_len)
		return cause_fmt("%s payload too large: %zu bytes, maximum %zu",
		    r->name, len, r->max_len);
	return NULL;
}

/* The checks, in order; returns why the message is refused, or NULL. */
static const char *
check_msg(const struct ipc_rx *rx, int from, size_t nfds)
{
	const struct ipc_rule *r;
	const char *err;
	size_t len;

	if (rx->mh.msg_flags & MSG_TRUNC)
		return "truncated message";
	if (rx->mh.msg_flags & MSG_CTRUNC)
		return "control data truncated";
	if (rx->bytes < sizeof(rx->hdr))
		return cause_fmt("short message: %zu bytes, header is %zu",
		    rx->bytes, sizeof(rx->hdr));
	len = rx->bytes - sizeof(rx->hdr);
	if (rx->hdr.len != len)
		return cause_fmt("header announces %u payload byte%s, got %zu",
		    (unsigned)rx->hdr.len, plural(rx->hdr.len), len);
	if (rx->hdr.version != IPC_VERSION)
		return cause_fmt("protocol version %u, expected %d",
		    (unsigned)rx->hdr.version, IPC_VERSION);
	if ((r = rule_find(rx->hdr.type)) == NULL)
		return cause_fmt(
		    "unknown message type %u", (unsigned)rx->hdr.type);
	if (r->from != from)
		return cause_fmt("%s is not a message the %s sends", r->name,
		    from >= IPC_FROM_WORKER && from <= IPC_FROM_SERVER
			? ipc_senders[from]
			: "peer");
	if ((err = check_payload(r, len)) != NULL)
		return err;
	if ((err = check_fds(r, nfds)) != NULL)
		return err;
	return rx->cmsg_err;
}

/*
 * A zero-length packet without control data reads exactly like end of
 * file on SOCK_SEQPACKET; a peer that sends one is treated as gone.
 */
int
ipc_recv(int sock, int from, struct ipc_msg *msg, const char **cause)
{
	struct ipc_rx rx;
	const char *err;

	msg->type = 0;
	msg->len = 0;
	msg->nfds = 0;
	if (rx_packet(sock, &rx, msg) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			errno = EAGAIN;
			*cause = "would block";
		} else if (errno == ECONNRESET) {
			return 0; /* the peer exited with our packets unread */
		} else
			*cause = cause_fmt("recvmsg: %s", strerror(errno));
		return -1;
	}
	if (rx.bytes == 0 && rx.mh.msg_controllen == 0 &&
	    (rx.mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) == 0)
		return 0;
	rx.cmsg_err = collect_fds(&rx.mh, msg);
	if ((err = check_msg(&rx, from, msg->nfds)) != NULL) {
		ipc_msg_close_fds(msg);
		*cause = err;
		errno = EBADMSG;
		return -1;
	}
	msg->type = rx.hdr.type;
	msg->len = rx.hdr.len;
	return 1;
}

void
ipc_msg_close_fds(struct ipc_msg *msg)
{
	size_t i;

	for (i = 0; i < msg->nfds && i < IPC_MAX_FDS; i++) {
		if (msg->fds[i] != -1)
			close(msg->fds[i]);
		msg->fds[i] = -1;
	}
	msg->nfds = 0;
}
