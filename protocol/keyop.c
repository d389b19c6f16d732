/* Framing and checks of the key process's packets: see keyop.h. */
#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <string.h>

#include "protocol/ipc.h"
#include "protocol/keyop.h"

int
keyop_send(
    int sock, const void *hdr, size_t hdrlen, const void *data, size_t len)
{
	if (len > KEYOP_DATA_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	return ipc_sendmsg(sock, hdr, hdrlen, data, len, NULL, 0);
}

int
keyop_recv(int sock, int want, struct keyop_msg *msg)
{
	size_t hdrlen = want == 'q' ? sizeof(msg->h.req) : sizeof(msg->h.rep);
	struct iovec iov[2] = { { &msg->h, hdrlen },
		{ msg->data, sizeof(msg->data) } };
	struct msghdr mh;
	uint32_t len;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	do
		n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return (int)n;
	len = want == 'q' ? msg->h.req.len : msg->h.rep.len;
	/* Never fds (a SEQPACKET peer could attach some: MSG_CTRUNC) */
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n < hdrlen ||
	    msg->h.req.version != KEYOP_VERSION || len > KEYOP_DATA_MAX ||
	    (size_t)n != hdrlen + len) {
		errno = EBADMSG;
		return -1;
	}
	return 1;
}
