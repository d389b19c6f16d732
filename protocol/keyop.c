/* The key process's signing requests and replies: see keyop.h. */
#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <openssl/evp.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "protocol/keyop.h"

size_t
keyop_hash_len(unsigned hash)
{
	switch (hash) {
	case KEYOP_SHA256:
		return 32;
	case KEYOP_SHA384:
		return 48;
	case KEYOP_SHA512:
		return 64;
	default:
		return 0;
	}
}

const char *
keyop_scheme_name(unsigned scheme)
{
	switch (scheme) {
	case KEYOP_ECDSA:
		return "ECDSA";
	case KEYOP_RSA_PSS:
		return "RSA-PSS";
	case KEYOP_RSA_PKCS1:
		return "RSA PKCS#1 v1.5";
	default:
		return "an unknown scheme";
	}
}

const char *
keyop_refusal(const struct keyop_req *req, int key_type)
{
	size_t want = keyop_hash_len(req->hash);

	if (key_type == 0)
		return "no such key";
	if (req->scheme != KEYOP_ECDSA && req->scheme != KEYOP_RSA_PSS &&
	    req->scheme != KEYOP_RSA_PKCS1)
		return "not a signature scheme the service offers";
	if ((req->scheme == KEYOP_ECDSA) != (key_type == EVP_PKEY_EC))
		return "the scheme does not fit the key";
	if (want == 0)
		return "an unknown hash";
	if (req->len != want)
		return "the digest's length is not its hash's";
	return NULL;
}

/* One packet and at most one fd; MSG_DONTWAIT: a full peer is an error. */
static int
keyop_sendmsg(int sock, const void *p, size_t len, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct iovec iov = { (void *)p, len };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd != -1) {
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int
keyop_send_request(int sock, const struct keyop_req *req, int reply_fd)
{
	return keyop_sendmsg(sock, req, sizeof(*req), reply_fd);
}

int
keyop_send_reply(
    int sock, enum keyop_status status, const void *sig, size_t len)
{
	struct keyop_rep rep;
	int r;

	if (len > KEYOP_SIG_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(&rep, 0, KEYOP_REP_HEAD);
	rep.version = KEYOP_VERSION;
	rep.status = (uint16_t)status;
	rep.len = (uint32_t)len;
	if (len > 0)
		memcpy(rep.sig, sig, len);
	r = keyop_sendmsg(sock, &rep, KEYOP_REP_HEAD + len, -1);
	explicit_bzero(rep.sig, len);
	return r;
}

/* The one fd MH carries, -1 if none; any other is closed. */
static int
keyop_take_fd(struct msghdr *mh, int *count)
{
	struct cmsghdr *cm;
	int fd = -1, got;
	size_t i, n;

	*count = 0;
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(
			    &got, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			(*count)++;
			if (fd == -1)
				fd = got;
			else
				close(got);
		}
	}
	return fd;
}

int
keyop_recv_request(int sock, struct keyop_req *req, int *reply_fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct iovec iov = { req, sizeof(*req) };
	struct msghdr mh;
	ssize_t n;
	int count;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof(cbuf.buf);
	do
		n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return (int)n;
	*reply_fd = keyop_take_fd(&mh, &count);
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (size_t)n != sizeof(*req) || req->version != KEYOP_VERSION ||
	    count != 1) {
		if (*reply_fd != -1)
			close(*reply_fd);
		*reply_fd = -1;
		errno = EBADMSG;
		return -1;
	}
	return 1;
}

int
keyop_recv_reply(int sock, struct keyop_rep *rep)
{
	ssize_t n;

	do
		n = recv(sock, rep, sizeof(*rep), MSG_DONTWAIT | MSG_TRUNC);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return (int)n;
	if ((size_t)n > sizeof(*rep) || (size_t)n < KEYOP_REP_HEAD ||
	    rep->version != KEYOP_VERSION || rep->len > KEYOP_SIG_MAX ||
	    (size_t)n != KEYOP_REP_HEAD + rep->len) {
		errno = EBADMSG;
		return -1;
	}
	return 1;
}
