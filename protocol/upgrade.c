/* Framing of the master's hand-over to its successor: see upgrade.h. */
#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "protocol/ipc.h"
#include "protocol/upgrade.h"

int
upgrade_send(
    int sock, enum upgrade_type type, const void *payload, size_t len, int fd)
{
	struct upgrade_hdr h = { UPGRADE_VERSION, (uint32_t)type,
		(uint32_t)len };

	if (len > sizeof(((struct upgrade_msg *)0)->payload)) {
		errno = EMSGSIZE;
		return -1;
	}
	return ipc_sendmsg(
	    sock, &h, sizeof(h), payload, len, &fd, fd != -1 ? 1 : 0);
}

/* The payload each type must have: exactly, or at most. */
static int
upgrade_check(const struct upgrade_msg *m)
{
	const struct upgrade_conn *c = (const void *)m->payload;
	size_t len = m->h.len;

	switch (m->h.type) {
	case UPGRADE_HELLO:
		return len == sizeof(struct upgrade_hello) ? 0 : -1;
	case UPGRADE_STATE:
		return len == sizeof(struct upgrade_state) ? 0 : -1;
	case UPGRADE_READY:
	case UPGRADE_FAILED:
		return len <= UPGRADE_TEXT_MAX ? 0 : -1;
	case UPGRADE_RELEASE:
	case UPGRADE_TAKEN:
		return len == 0 ? 0 : -1;
	case UPGRADE_COUNTERS:
		return len == sizeof(struct upgrade_counters) ? 0 : -1;
	case UPGRADE_RELOAD:
		return len >= sizeof(struct upgrade_reload) &&
			       len <= sizeof(struct upgrade_reload) +
					  UPGRADE_TEXT_MAX
			   ? 0
			   : -1;
	case UPGRADE_CONN:
		if (m->fd == -1 || len < sizeof(*c) ||
		    c->peerlen > sizeof(c->peer) ||
		    c->nread != len - sizeof(*c))
			return -1;
		return 0;
	default:
		return -1;
	}
}

/* The one fd a message may carry; any other is closed. */
static int
upgrade_take_fd(struct msghdr *mh)
{
	struct cmsghdr *cmsg;
	int fd = -1, extra;
	size_t i, n;

	for (cmsg = CMSG_FIRSTHDR(mh); cmsg != NULL;
	     cmsg = CMSG_NXTHDR(mh, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&extra, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(int));
			if (fd == -1)
				fd = extra;
			else
				close(extra);
		}
	}
	return fd;
}

static int
upgrade_reject(struct upgrade_msg *msg, int err)
{
	if (msg->fd != -1)
		close(msg->fd);
	msg->fd = -1;
	errno = err;
	return -1;
}

int
upgrade_recv(int sock, struct upgrade_msg *msg)
{
	struct iovec iov = { msg, sizeof(msg->h) + sizeof(msg->payload) };
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} cm;
	struct msghdr mh;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	msg->fd = -1;
	do
		n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return (int)n;
	msg->fd = upgrade_take_fd(&mh);
	if ((size_t)n < sizeof(msg->h) ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return upgrade_reject(msg, EBADMSG);
	if (msg->h.version != UPGRADE_VERSION)
		return upgrade_reject(msg, EPROTO);
	if (msg->h.len != (size_t)n - sizeof(msg->h) ||
	    (msg->fd != -1 && msg->h.type != UPGRADE_CONN) ||
	    upgrade_check(msg) == -1)
		return upgrade_reject(msg, EBADMSG);
	return 1;
}

const char *
upgrade_type_name(uint32_t type)
{
	static const char *const names[] = { "?", "HELLO", "STATE", "READY",
		"FAILED", "RELEASE", "CONN", "TAKEN", "COUNTERS", "RELOAD" };

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}
