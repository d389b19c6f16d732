/* Check suite for protocol/ipc.c: framing, fd passing, every rejection. */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "protocol/ctl.h"
#include "protocol/ipc.h"
#include "protocol/ipc_tls.h"
#include "tests/unit/ck.h"

#define W            IPC_FROM_WORKER
#define M            IPC_FROM_MASTER
#define FDS_MAX      (IPC_FDS_FIXED + IPC_MAX_LISTEN + 1) /* and a key socket */
#define CTRUNC_EXTRA 8 /* fds beyond IPC_MAX_FDS in the MSG_CTRUNC case */
#define HDR          sizeof(struct ipc_hdr)
#define V            IPC_VERSION
#define NEXT_V       "9" /* IPC_VERSION + 1, as text */
_Static_assert(IPC_VERSION == 8, "NEXT_V must follow IPC_VERSION");
#define RAW_MAX (HDR + IPC_MAX_PAYLOAD + 1)

/* The payload every test sends: a recognisable byte pattern. */
static uint8_t pattern[IPC_MAX_PAYLOAD + 1];
/* Big: one per test process, not on the stack. */
static struct ipc_msg msg;

static void
setup(void)
{
	size_t i;

	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 1);
	memset(&msg, 0, sizeof(msg));
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static void
channel(int sv[2])
{
	ck_assert_int_eq(
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

static void
close_pair(int sv[2])
{
	close(sv[0]);
	close(sv[1]);
}

/* N fds, all duplicates of one memfd so the receiver can identify them. */
static int
make_fds(int *fds, size_t n)
{
	int mfd = memfd_create("check_ipc", MFD_CLOEXEC);
	size_t i;

	ck_assert_int_ge(mfd, 0);
	for (i = 0; i < n; i++) {
		fds[i] = fcntl(mfd, F_DUPFD_CLOEXEC, 0);
		ck_assert_int_ge(fds[i], 0);
	}
	return mfd;
}

static void
close_fds(int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

static void
assert_same_file(int a, int b, int line)
{
	struct stat sa, sb;

	ck_assert_int_eq(fstat(a, &sa), 0);
	ck_assert_int_eq(fstat(b, &sb), 0);
	ck_assert_msg(sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino,
	    "fd %d is not the file sent, row at line %d", b, line);
	ck_assert_msg(fcntl(b, F_GETFD) & FD_CLOEXEC,
	    "fd %d lacks FD_CLOEXEC, row at line %d", b, line);
}

/* Sends raw bytes and fds, bypassing ipc_send() and all of its checks. */
static void
raw_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * (IPC_MAX_FDS + CTRUNC_EXTRA))];
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh;
	struct cmsghdr *cm;

	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		ck_assert_uint_le(nfds, IPC_MAX_FDS + CTRUNC_EXTRA);
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	ck_assert_int_eq(sendmsg(sock, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/* --- round trips of every type */

static const struct roundtrip_row {
	int line;
	enum ipc_type type;
	int from;
	size_t len;
	size_t nfds;
} roundtrip_rows[] = {
	{ CK_ROW, IPC_HELLO, W, sizeof(struct ipc_hello), 0 },
	{ CK_ROW, IPC_READY, W, 0, 0 },
	{ CK_ROW, IPC_FATAL, W, 1, 0 },
	{ CK_ROW, IPC_FATAL, W, IPC_FATAL_MAX, 0 },
	{ CK_ROW, IPC_SETUP, M, sizeof(struct ipc_setup), 0 },
	{ CK_ROW, IPC_CONFIG, M, 1, 0 },
	{ CK_ROW, IPC_CONFIG, M, IPC_MAX_PAYLOAD, 0 },
	{ CK_ROW, IPC_FDS, M, 0, IPC_FDS_FIXED },
	{ CK_ROW, IPC_FDS, M, 0, IPC_FDS_FIXED + 1 },
	{ CK_ROW, IPC_FDS, M, 0, FDS_MAX },
	{ CK_ROW, IPC_GRACEFUL_STOP, M, 0, 0 },
	{ CK_ROW, IPC_STOP, M, 0, 0 },
	{ CK_ROW, IPC_REOPEN_LOGS, M, 0, 2 },
	/* a control request with its flags, or of the verb alone */
	{ CK_ROW, IPC_CTL_REQUEST, IPC_FROM_CLIENT, sizeof(struct ctl_request),
	    0 },
	{ CK_ROW, IPC_CTL_REQUEST, IPC_FROM_CLIENT, CTL_REQUEST_MIN, 0 },
	{ CK_ROW, IPC_CTL_REPLY, IPC_FROM_SERVER, sizeof(struct ctl_reply), 0 },
	{ CK_ROW, IPC_CTL_REPLY, IPC_FROM_SERVER, IPC_MAX_PAYLOAD, 0 },
};

START_TEST(test_roundtrip)
{
	const struct roundtrip_row *row = &roundtrip_rows[_i];
	int sv[2], fds[IPC_MAX_FDS], mfd, before = count_fds();
	const char *cause = NULL;
	size_t i;

	channel(sv);
	mfd = make_fds(fds, row->nfds);
	ck_assert_msg(
	    ipc_send(sv[0], row->type, pattern, row->len, fds, row->nfds) == 0,
	    "send: %s, row at line %d", strerror(errno), row->line);
	close_fds(fds, row->nfds); /* the sender's copies */
	ck_assert_msg(ipc_recv(sv[1], row->from, &msg, &cause) == 1,
	    "recv: %s, row at line %d", cause, row->line);
	ck_assert_msg(msg.type == row->type && msg.len == row->len &&
			  memcmp(msg.payload, pattern, row->len) == 0 &&
			  msg.nfds == row->nfds,
	    "message differs, row at line %d", row->line);
	for (i = 0; i < msg.nfds; i++)
		assert_same_file(mfd, msg.fds[i], row->line);
	ipc_msg_close_fds(&msg);
	ck_assert_uint_eq(msg.nfds, 0);
	close(mfd);
	close_pair(sv);
	ck_assert_msg(
	    count_fds() == before, "fd leak, row at line %d", row->line);
}
END_TEST

/* A typed payload survives: HELLO with its text field. */
START_TEST(test_hello_payload)
{
	struct ipc_hello h, got;
	const char *cause = NULL;
	int sv[2];

	memset(&h, 0, sizeof(h));
	h.version = IPC_VERSION;
	h.pid = (uint32_t)getpid();
	snprintf(h.mpm, sizeof(h.mpm), "%s", "prefork");
	channel(sv);
	ck_assert_int_eq(ipc_send(sv[0], IPC_HELLO, &h, sizeof(h), NULL, 0), 0);
	ck_assert_int_eq(ipc_recv(sv[1], W, &msg, &cause), 1);
	ck_assert_uint_eq(msg.len, sizeof(got));
	memcpy(&got, msg.payload, sizeof(got));
	ck_assert_uint_eq(got.pid, h.pid);
	ck_assert_str_eq(got.mpm, "prefork");
	close_pair(sv);
}
END_TEST

/* --- fd passing: a pipe's two ends travel and still form a pipe */

START_TEST(test_pipe_fds)
{
	const char *cause = NULL;
	int sv[2], p[2], before = count_fds();
	char c = 0;

	channel(sv);
	ck_assert_int_eq(pipe(p), 0); /* no O_CLOEXEC: the receiver sets it */
	ck_assert_int_eq(ipc_send(sv[0], IPC_REOPEN_LOGS, NULL, 0, p, 2), 0);
	ck_assert_int_eq(ipc_recv(sv[1], M, &msg, &cause), 1);
	ck_assert_uint_eq(msg.nfds, 2);
	assert_same_file(p[0], msg.fds[0], __LINE__);
	assert_same_file(p[1], msg.fds[1], __LINE__);
	close(p[0]);
	close(p[1]);
	ck_assert_int_eq(write(msg.fds[1], "x", 1), 1);
	ck_assert_int_eq(read(msg.fds[0], &c, 1), 1);
	ck_assert_int_eq(c, 'x');
	ipc_msg_close_fds(&msg);
	close_pair(sv);
	ck_assert_int_eq(count_fds(), before);
}
END_TEST

/* A memfd written by the sender reads back through the received fd. */
START_TEST(test_memfd)
{
	static const char text[] = "scoreboard";
	char buf[sizeof(text)];
	const char *cause = NULL;
	int sv[2], fds[IPC_FDS_FIXED], mfd;

	channel(sv);
	mfd = make_fds(fds, IPC_FDS_FIXED);
	ck_assert_int_eq(write(mfd, text, sizeof(text)), (ssize_t)sizeof(text));
	ck_assert_int_eq(
	    ipc_send(sv[0], IPC_FDS, NULL, 0, fds, IPC_FDS_FIXED), 0);
	close_fds(fds, IPC_FDS_FIXED);
	close(mfd);
	ck_assert_int_eq(ipc_recv(sv[1], M, &msg, &cause), 1);
	ck_assert_int_eq(
	    pread(msg.fds[2], buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	ck_assert_str_eq(buf, text);
	ipc_msg_close_fds(&msg);
	close_pair(sv);
}
END_TEST

/* --- end of file, non-blocking, closed peer */

START_TEST(test_eof)
{
	const char *cause = NULL;
	int sv[2];

	channel(sv);
	ck_assert_int_eq(ipc_send(sv[0], IPC_STOP, NULL, 0, NULL, 0), 0);
	close(sv[0]);
	ck_assert_int_eq(ipc_recv(sv[1], M, &msg, &cause), 1);
	ck_assert_uint_eq(msg.type, IPC_STOP);
	ck_assert_int_eq(ipc_recv(sv[1], M, &msg, &cause), 0);
	ck_assert_int_eq(ipc_recv(sv[1], M, &msg, &cause), 0);
	close(sv[1]);
}
END_TEST

START_TEST(test_would_block)
{
	const char *cause = NULL;
	int sv[2];

	channel(sv);
	ck_assert_int_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	errno = 0;
	ck_assert_int_eq(ipc_recv(sv[1], M, &msg, &cause), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_str_eq(cause, "would block");
	close_pair(sv);
}
END_TEST

START_TEST(test_send_closed_peer)
{
	int sv[2];

	channel(sv);
	close(sv[1]);
	/* MSG_NOSIGNAL: EPIPE, and no SIGPIPE kills the test. */
	ck_assert_int_eq(ipc_send(sv[0], IPC_READY, NULL, 0, NULL, 0), -1);
	ck_assert_int_eq(errno, EPIPE);
	close(sv[0]);
}
END_TEST

/* --- rejects: forged packets */

static const struct reject_row {
	int line;
	int from;
	uint16_t version;
	uint16_t type;
	uint32_t hdr_len; /* what the header claims */
	size_t bytes;     /* what the packet holds, header included */
	size_t nfds;
	const char *cause; /* expected prefix */
} reject_rows[] = {
	/* framing */
	{ CK_ROW, M, V, IPC_STOP, 0, 1, 0, "short message: 1 bytes" },
	{ CK_ROW, M, V, IPC_STOP, 0, 7, 0, "short message: 7 bytes" },
	{ CK_ROW, M, V, IPC_STOP, 0, 4, 2, "short message: 4 bytes" },
	{ CK_ROW, M, V, IPC_CONFIG, 10, HDR + 5, 0,
	    "header announces 10 payload bytes, got 5" },
	{ CK_ROW, M, V, IPC_CONFIG, 5, HDR + 10, 0,
	    "header announces 5 payload bytes, got 10" },
	{ CK_ROW, M, V, IPC_STOP, 0, HDR + 1, 0,
	    "header announces 0 payload bytes, got 1" },
	{ CK_ROW, M, V, IPC_CONFIG, 0xffffffffu, HDR + 16, 1,
	    "header announces 4294967295 payload bytes, got 16" },
	{ CK_ROW, M, V, IPC_CONFIG, IPC_MAX_PAYLOAD + 1, RAW_MAX, 0,
	    "truncated message" },
	{ CK_ROW, M, V, IPC_FDS, IPC_MAX_PAYLOAD + 1, RAW_MAX, 3,
	    "truncated message" },
	/* version */
	{ CK_ROW, M, V + 1, IPC_STOP, 0, HDR, 0,
	    "protocol version " NEXT_V "," },
	{ CK_ROW, W, 0, IPC_HELLO, 0, HDR, 0, "protocol version 0," },
	{ CK_ROW, M, V + 1, IPC_FDS, 0, HDR, 3,
	    "protocol version " NEXT_V "," },
	/* type and direction */
	{ CK_ROW, W, V, 99, 0, HDR, 0, "unknown message type 99" },
	{ CK_ROW, W, V, 0, 0, HDR, 0, "unknown message type 0" },
	{ CK_ROW, M, V, 76, 0, HDR, 0, "unknown message type 76" },
	{ CK_ROW, M, V, 0xffff, 0, HDR, 1, "unknown message type 65535" },
	{ CK_ROW, M, V, IPC_READY, 0, HDR, 0,
	    "READY is not a message the master sends" },
	{ CK_ROW, W, V, IPC_STOP, 0, HDR, 0,
	    "STOP is not a message the worker sends" },
	{ CK_ROW, W, V, IPC_FDS, 0, HDR, 3,
	    "FDS is not a message the worker sends" },
	/* payload size for the type */
	{ CK_ROW, W, V, IPC_HELLO, sizeof(struct ipc_hello) + 1,
	    HDR + sizeof(struct ipc_hello) + 1, 0, "HELLO payload too large" },
	{ CK_ROW, W, V, IPC_HELLO, sizeof(struct ipc_hello) - 1,
	    HDR + sizeof(struct ipc_hello) - 1, 0, "HELLO payload too short" },
	{ CK_ROW, W, V, IPC_READY, 1, HDR + 1, 0, "READY payload too large" },
	{ CK_ROW, W, V, IPC_FATAL, 0, HDR, 0, "FATAL payload too short" },
	{ CK_ROW, W, V, IPC_FATAL, IPC_FATAL_MAX + 1, HDR + IPC_FATAL_MAX + 1,
	    0, "FATAL payload too large: 1025 bytes, maximum 1024" },
	{ CK_ROW, M, V, IPC_SETUP, 4, HDR + 4, 0, "SETUP payload too short" },
	{ CK_ROW, M, V, IPC_CONFIG, 0, HDR, 0, "CONFIG payload too short" },
	{ CK_ROW, M, V, IPC_FDS, 4, HDR + 4, 3, "FDS payload too large" },
	{ CK_ROW, M, V, IPC_STOP, 2, HDR + 2, 0, "STOP payload too large" },
	{ CK_ROW, IPC_FROM_CLIENT, V, IPC_CTL_REQUEST, 2, HDR + 2, 0,
	    "CTL_REQUEST payload too short: 2 bytes, minimum 4" },
	{ CK_ROW, IPC_FROM_CLIENT, V, IPC_CTL_REQUEST, 12, HDR + 12, 0,
	    "CTL_REQUEST payload too large: 12 bytes, maximum 8" },
	{ CK_ROW, IPC_FROM_SERVER, V, IPC_CTL_REPLY, 4, HDR + 4, 0,
	    "CTL_REPLY payload too short: 4 bytes, minimum 8" },
	/* fd count for the type */
	{ CK_ROW, W, V, IPC_READY, 0, HDR, 1, "READY carries 1 unexpected fd" },
	{ CK_ROW, W, V, IPC_HELLO, sizeof(struct ipc_hello),
	    HDR + sizeof(struct ipc_hello), 3,
	    "HELLO carries 3 unexpected fds" },
	{ CK_ROW, M, V, IPC_CONFIG, 3, HDR + 3, 1,
	    "CONFIG carries 1 unexpected fd" },
	{ CK_ROW, M, V, IPC_STOP, 0, HDR, 2, "STOP carries 2 unexpected fds" },
	{ CK_ROW, M, V, IPC_FDS, 0, HDR, 0,
	    "FDS carries 0 fds, expected 4..69" },
	{ CK_ROW, M, V, IPC_FDS, 0, HDR, IPC_FDS_FIXED - 1,
	    "FDS carries 3 fds, expected 4..69" },
	{ CK_ROW, M, V, IPC_FDS, 0, HDR, FDS_MAX + 1,
	    "FDS carries 70 fds, expected 4..69" },
	{ CK_ROW, M, V, IPC_FDS, 0, HDR, IPC_MAX_FDS,
	    "FDS carries 80 fds, expected 4..69" },
	{ CK_ROW, M, V, IPC_REOPEN_LOGS, 0, HDR, 0,
	    "REOPEN_LOGS carries 0 fds, expected 2..2" },
	{ CK_ROW, M, V, IPC_REOPEN_LOGS, 0, HDR, 1,
	    "REOPEN_LOGS carries 1 fd, expected 2..2" },
	{ CK_ROW, M, V, IPC_REOPEN_LOGS, 0, HDR, 3,
	    "REOPEN_LOGS carries 3 fds, expected 2..2" },
	/* control data beyond what the receiver has room for */
	{ CK_ROW, M, V, IPC_FDS, 0, HDR, IPC_MAX_FDS + 1,
	    "control data truncated" },
	{ CK_ROW, M, V, IPC_FDS, 0, HDR, IPC_MAX_FDS + CTRUNC_EXTRA,
	    "control data truncated" },
};

START_TEST(test_reject)
{
	static uint8_t raw[RAW_MAX];
	const struct reject_row *row = &reject_rows[_i];
	int sv[2], fds[IPC_MAX_FDS + CTRUNC_EXTRA], mfd, before = count_fds();
	const char *cause = NULL;
	struct ipc_hdr hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.version = row->version;
	hdr.type = row->type;
	hdr.len = row->hdr_len;
	memcpy(raw + HDR, pattern, sizeof(raw) - HDR);
	memcpy(raw, &hdr, sizeof(hdr));
	channel(sv);
	mfd = make_fds(fds, row->nfds);
	raw_send(sv[0], raw, row->bytes, fds, row->nfds);
	close_fds(fds, row->nfds);
	close(mfd);
	errno = 0;
	ck_assert_msg(ipc_recv(sv[1], row->from, &msg, &cause) == -1,
	    "accepted, row at line %d", row->line);
	ck_assert_msg(
	    errno == EBADMSG, "errno %d, row at line %d", errno, row->line);
	ck_assert_msg(strncmp(cause, row->cause, strlen(row->cause)) == 0,
	    "cause \"%s\", row at line %d", cause, row->line);
	ck_assert_msg(
	    msg.nfds == 0, "nfds %zu, row at line %d", msg.nfds, row->line);
	close_pair(sv);
	ck_assert_msg(count_fds() == before,
	    "fd leak (%d, was %d), row at line %d", count_fds(), before,
	    row->line);
}
END_TEST

/* A control message other than SCM_RIGHTS: credentials. */
START_TEST(test_reject_creds)
{
	const char *cause = NULL;
	int sv[2], on = 1;

	channel(sv);
	ck_assert_int_eq(
	    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
	ck_assert_int_eq(ipc_send(sv[0], IPC_READY, NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(ipc_recv(sv[1], W, &msg, &cause), -1);
	ck_assert_str_eq(cause, "control message is not SCM_RIGHTS");
	close_pair(sv);
}
END_TEST

/* A rejected message does not poison the channel: the next one is read. */
START_TEST(test_reject_then_next)
{
	const char *cause = NULL;
	int sv[2];

	channel(sv);
	ck_assert_int_eq(ipc_send(sv[0], IPC_STOP, NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(ipc_send(sv[0], IPC_READY, NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(ipc_recv(sv[1], W, &msg, &cause), -1);
	ck_assert_int_eq(ipc_recv(sv[1], W, &msg, &cause), 1);
	ck_assert_uint_eq(msg.type, IPC_READY);
	close_pair(sv);
}
END_TEST

/* --- ipc_send() refuses what no receiver would take */

static const struct send_row {
	int line;
	size_t len;
	size_t nfds;
	int err;
} send_rows[] = {
	{ CK_ROW, IPC_MAX_PAYLOAD + 1, 0, EMSGSIZE },
	{ CK_ROW, (size_t)-1, 0, EMSGSIZE },
	{ CK_ROW, 0, IPC_MAX_FDS + 1, EMSGSIZE },
	{ CK_ROW, 1, 0, EINVAL }, /* a length but no payload */
};

START_TEST(test_send_refuses)
{
	const struct send_row *row = &send_rows[_i];
	int sv[2], fds[IPC_MAX_FDS + 1], mfd;
	const uint8_t *payload = row->err == EINVAL ? NULL : pattern;
	char c;

	channel(sv);
	mfd = make_fds(fds, row->nfds);
	ck_assert_msg(ipc_send(sv[0], IPC_CONFIG, payload, row->len, fds,
			  row->nfds) == -1,
	    "sent, row at line %d", row->line);
	ck_assert_msg(
	    errno == row->err, "errno %d, row at line %d", errno, row->line);
	ck_assert_int_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(recv(sv[1], &c, 1, 0), -1); /* nothing sent */
	close_fds(fds, row->nfds);
	close(mfd);
	close_pair(sv);
}
END_TEST

/* --- names and fd cleanup */

static const struct name_row {
	int line;
	unsigned type;
	const char *name;
} name_rows[] = {
	{ CK_ROW, IPC_HELLO, "HELLO" },
	{ CK_ROW, IPC_READY, "READY" },
	{ CK_ROW, IPC_FATAL, "FATAL" },
	{ CK_ROW, IPC_SETUP, "SETUP" },
	{ CK_ROW, IPC_CONFIG, "CONFIG" },
	{ CK_ROW, IPC_FDS, "FDS" },
	{ CK_ROW, IPC_GRACEFUL_STOP, "GRACEFUL_STOP" },
	{ CK_ROW, IPC_STOP, "STOP" },
	{ CK_ROW, IPC_REOPEN_LOGS, "REOPEN_LOGS" },
	{ CK_ROW, IPC_LOGS_REOPENED, "LOGS_REOPENED" },
	{ CK_ROW, 0, "unknown" },
	{ CK_ROW, IPC_ACCEPT_STOPPED, "ACCEPT_STOPPED" },
	{ CK_ROW, IPC_KEYS_COUNTS, "KEYS_COUNTS" },
	{ CK_ROW, 8, "unknown" },
	{ CK_ROW, 63, "unknown" },
	{ CK_ROW, 76, "unknown" },
	{ CK_ROW, 65536 + IPC_HELLO, "unknown" },
};

START_TEST(test_type_name)
{
	const struct name_row *row = &name_rows[_i];

	ck_assert_msg(strcmp(ipc_type_name(row->type), row->name) == 0,
	    "got %s, row at line %d", ipc_type_name(row->type), row->line);
}
END_TEST

START_TEST(test_close_fds)
{
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	msg.fds[0] = fds[0];
	msg.fds[1] = fds[1];
	msg.nfds = 2;
	ipc_msg_close_fds(&msg);
	ck_assert_uint_eq(msg.nfds, 0);
	ck_assert_int_eq(msg.fds[0], -1);
	ck_assert_int_eq(msg.fds[1], -1);
	ck_assert_int_eq(fcntl(fds[0], F_GETFD), -1);
	ck_assert_int_eq(fcntl(fds[1], F_GETFD), -1);
	ipc_msg_close_fds(&msg); /* twice is harmless */
}
END_TEST

/* --- TLS parts in pieces (protocol/ipc_tls.c) */

#define TLS_PIECE_MAX (IPC_MAX_PAYLOAD - sizeof(struct ipc_tls_part))
#define TLS_BIG       (2 * TLS_PIECE_MAX + 100) /* three pieces */
#define TLS_NPARTS    3
#define TLS_TYPE      408 /* EVP_PKEY_EC, as a TLS_KEY would carry it */

/* MSG as ipc_recv() leaves it: a TLS_CERT with its header and N bytes. */
static void
tls_piece(struct ipc_msg *m, uint32_t index, uint32_t total, uint32_t offset,
    const uint8_t *data, size_t n)
{
	struct ipc_tls_part h = { .index = index,
		.type = TLS_TYPE,
		.total = total,
		.offset = offset };

	ck_assert_uint_le(sizeof(h) + n, IPC_MAX_PAYLOAD);
	m->type = IPC_TLS_CERT;
	m->len = (uint32_t)(sizeof(h) + n);
	memcpy(m->payload, &h, sizeof(h));
	memcpy(m->payload + sizeof(h), data, n);
}

static const struct tls_piece_row {
	int line;
	size_t len;
	size_t offset;
	size_t want;
} tls_piece_rows[] = {
	{ CK_ROW, 1, 0, 1 },
	{ CK_ROW, 100, 40, 60 },
	{ CK_ROW, TLS_PIECE_MAX - 1, 0, TLS_PIECE_MAX - 1 },
	{ CK_ROW, TLS_PIECE_MAX, 0, TLS_PIECE_MAX },
	{ CK_ROW, TLS_PIECE_MAX + 1, 0, TLS_PIECE_MAX },
	{ CK_ROW, TLS_PIECE_MAX + 1, TLS_PIECE_MAX, 1 },
	{ CK_ROW, TLS_BIG, TLS_PIECE_MAX, TLS_PIECE_MAX },
	{ CK_ROW, TLS_BIG, 2 * TLS_PIECE_MAX, 100 },
	{ CK_ROW, IPC_TLS_PART_MAX, 0, TLS_PIECE_MAX },
	{ CK_ROW, 100, 100, 0 },
};

/* A piece and its header fill a packet at most. */
START_TEST(test_tls_piece)
{
	const struct tls_piece_row *row = &tls_piece_rows[_i];

	ck_assert_msg(ipc_tls_piece(row->len, row->offset) == row->want,
	    "%zu, want %zu, row at line %d",
	    ipc_tls_piece(row->len, row->offset), row->want, row->line);
}
END_TEST

/*
 * Three parts, the last sent first, the big one in three pieces sized by
 * ipc_tls_piece(), all through ipc_send() and ipc_recv(): complete once
 * the last piece is in, each part its bytes.
 */
START_TEST(test_tls_reassemble)
{
	static const size_t sizes[TLS_NPARTS] = { TLS_BIG, 1, 5000 };
	static const uint32_t order[TLS_NPARTS] = { 2, 0, 1 };
	static uint8_t data[TLS_NPARTS][TLS_BIG], buf[IPC_MAX_PAYLOAD];
	struct ipc_tls_buf parts[TLS_NPARTS];
	struct ipc_tls_part h;
	const char *cause = NULL;
	size_t i, k, off, n, sent = 0;
	int sv[2];

	memset(parts, 0, sizeof(parts));
	for (i = 0; i < TLS_NPARTS; i++)
		for (k = 0; k < sizes[i]; k++)
			data[i][k] = (uint8_t)(k * 31 + i + 1);
	channel(sv);
	for (k = 0; k < TLS_NPARTS; k++) {
		i = order[k];
		for (off = 0; off < sizes[i]; off += n) {
			n = ipc_tls_piece(sizes[i], off);
			h = (struct ipc_tls_part){ .index = (uint32_t)i,
				.type = TLS_TYPE + (uint32_t)i,
				.total = (uint32_t)sizes[i],
				.offset = (uint32_t)off };
			memcpy(buf, &h, sizeof(h));
			memcpy(buf + sizeof(h), data[i] + off, n);
			ck_assert_int_eq(ipc_send(sv[0], IPC_TLS_CERT, buf,
					     sizeof(h) + n, NULL, 0),
			    0);
			ck_assert_int_eq(ipc_recv(sv[1], M, &msg, &cause), 1);
			ck_assert_int_eq(
			    ipc_tls_complete(parts, TLS_NPARTS), false);
			ck_assert_msg(
			    ipc_tls_take(&msg, parts, TLS_NPARTS, &cause) == 0,
			    "%s", cause);
			ck_assert_uint_eq(parts[i].len, off + n);
			sent++;
		}
	}
	ck_assert_uint_eq(sent, 5); /* 3 pieces of the big part, 1 each */
	ck_assert(ipc_tls_complete(parts, TLS_NPARTS));
	for (i = 0; i < TLS_NPARTS; i++) {
		ck_assert_uint_eq(parts[i].total, sizes[i]);
		ck_assert_uint_eq(parts[i].len, sizes[i]);
		ck_assert_uint_eq(parts[i].type, TLS_TYPE + i);
		ck_assert_msg(memcmp(parts[i].data, data[i], sizes[i]) == 0,
		    "part %zu differs", i);
	}
	ipc_tls_free(parts, TLS_NPARTS);
	for (i = 0; i < TLS_NPARTS; i++)
		ck_assert(parts[i].data == NULL && parts[i].len == 0 &&
			  parts[i].total == 0);
	ck_assert(!ipc_tls_complete(parts, TLS_NPARTS));
	ck_assert(ipc_tls_complete(parts, 0)); /* no pairs: nothing to wait */
	close_pair(sv);
}
END_TEST

/* A part with no piece yet, or only some, leaves the set incomplete. */
START_TEST(test_tls_incomplete)
{
	struct ipc_tls_buf parts[2];
	const char *cause = NULL;

	memset(parts, 0, sizeof(parts));
	tls_piece(&msg, 0, 10, 0, pattern, 10);
	ck_assert_int_eq(ipc_tls_take(&msg, parts, 2, &cause), 0);
	ck_assert(!ipc_tls_complete(parts, 2)); /* part 1 missing */
	ck_assert(ipc_tls_complete(parts, 1));
	tls_piece(&msg, 1, 10, 0, pattern, 9);
	ck_assert_int_eq(ipc_tls_take(&msg, parts, 2, &cause), 0);
	ck_assert(!ipc_tls_complete(parts, 2)); /* a byte short */
	tls_piece(&msg, 1, 10, 9, pattern + 9, 1);
	ck_assert_int_eq(ipc_tls_take(&msg, parts, 2, &cause), 0);
	ck_assert(ipc_tls_complete(parts, 2));
	ck_assert_mem_eq(parts[1].data, pattern, 10);
	ipc_tls_free(parts, 2);
}
END_TEST

#define TLS_PIECES_MAX 3

/* Pieces in order: all but the last taken, the last refused with CAUSE. */
static const struct tls_reject_row {
	int line;
	size_t npieces;
	struct {
		uint32_t index;
		uint32_t total;
		uint32_t offset;
		size_t n;
	} p[TLS_PIECES_MAX];
	const char *cause;
} tls_reject_rows[] = {
	/* range */
	{ CK_ROW, 1, { { 2, 10, 0, 10 } }, "a TLS part out of range" },
	{ CK_ROW, 1, { { 0xffffffffu, 10, 0, 10 } },
	    "a TLS part out of range" },
	{ CK_ROW, 1, { { 0, 0, 0, 1 } }, "a TLS part out of range" },
	{ CK_ROW, 1, { { 0, IPC_TLS_PART_MAX + 1, 0, 10 } },
	    "a TLS part out of range" },
	{ CK_ROW, 1, { { 1, 0xffffffffu, 0, 10 } }, "a TLS part out of range" },
	{ CK_ROW, 2, { { 0, IPC_TLS_PART_MAX, 0, 10 }, { 1, 10, 0, 11 } },
	    "a TLS piece out of order" },
	/* a first piece not at 0 */
	{ CK_ROW, 1, { { 0, 100, 10, 10 } },
	    "a TLS part that does not begin at 0" },
	{ CK_ROW, 1, { { 1, 100, 200, 10 } },
	    "a TLS part that does not begin at 0" },
	/* order */
	{ CK_ROW, 2, { { 0, 100, 0, 10 }, { 0, 100, 20, 10 } },
	    "a TLS piece out of order" },
	{ CK_ROW, 2, { { 0, 100, 0, 10 }, { 0, 100, 0, 10 } },
	    "a TLS piece out of order" },
	{ CK_ROW, 3,
	    { { 0, 100, 0, 10 }, { 0, 100, 10, 10 }, { 0, 100, 10, 10 } },
	    "a TLS piece out of order" },
	{ CK_ROW, 2, { { 0, 100, 0, 50 }, { 0, 100, 40, 10 } },
	    "a TLS piece out of order" },
	{ CK_ROW, 2, { { 0, 100, 0, 10 }, { 0, 100, 200, 10 } },
	    "a TLS piece out of order" },
	/* beyond the total */
	{ CK_ROW, 1, { { 0, 5, 0, 10 } }, "a TLS piece out of order" },
	{ CK_ROW, 2, { { 0, 100, 0, 60 }, { 0, 100, 60, 41 } },
	    "a TLS piece out of order" },
	{ CK_ROW, 2, { { 0, 100, 0, 100 }, { 0, 100, 100, 1 } },
	    "a TLS piece out of order" },
	/* a total that changes */
	{ CK_ROW, 2, { { 0, 100, 0, 10 }, { 0, 200, 10, 10 } },
	    "a TLS piece out of order" },
	{ CK_ROW, 2, { { 0, 100, 0, 10 }, { 0, 99, 10, 10 } },
	    "a TLS piece out of order" },
};

START_TEST(test_tls_reject)
{
	const struct tls_reject_row *row = &tls_reject_rows[_i];
	struct ipc_tls_buf parts[2], before;
	const char *cause = NULL;
	size_t i, last = row->npieces - 1;

	memset(parts, 0, sizeof(parts));
	for (i = 0; i < last; i++) {
		tls_piece(&msg, row->p[i].index, row->p[i].total,
		    row->p[i].offset, pattern, row->p[i].n);
		ck_assert_msg(ipc_tls_take(&msg, parts, 2, &cause) == 0,
		    "piece %zu refused (%s), row at line %d", i, cause,
		    row->line);
	}
	tls_piece(&msg, row->p[last].index, row->p[last].total,
	    row->p[last].offset, pattern, row->p[last].n);
	before = row->p[last].index < 2 ? parts[row->p[last].index] : parts[0];
	ck_assert_msg(ipc_tls_take(&msg, parts, 2, &cause) == -1,
	    "taken, row at line %d", row->line);
	ck_assert_msg(cause != NULL && strcmp(cause, row->cause) == 0,
	    "cause \"%s\", row at line %d", cause, row->line);
	if (row->p[last].index < 2 && before.data != NULL)
		ck_assert_msg(
		    parts[row->p[last].index].len == before.len &&
			parts[row->p[last].index].total == before.total,
		    "the refused piece changed its part, row at line %d",
		    row->line);
	ck_assert(!ipc_tls_complete(parts, 2));
	ipc_tls_free(parts, 2);
}
END_TEST

#define NROWS(t) ((int)(sizeof(t) / sizeof((t)[0])))

static TCase *
tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, NULL);
	return tc;
}

static Suite *
ipc_suite(void)
{
	Suite *s = suite_create("ipc");
	TCase *tc;

	tc = tcase("roundtrip");
	tcase_add_loop_test(tc, test_roundtrip, 0, NROWS(roundtrip_rows));
	tcase_add_test(tc, test_hello_payload);
	suite_add_tcase(s, tc);
	tc = tcase("fds");
	tcase_add_test(tc, test_pipe_fds);
	tcase_add_test(tc, test_memfd);
	tcase_add_test(tc, test_close_fds);
	suite_add_tcase(s, tc);
	tc = tcase("io");
	tcase_add_test(tc, test_eof);
	tcase_add_test(tc, test_would_block);
	tcase_add_test(tc, test_send_closed_peer);
	tcase_add_loop_test(tc, test_send_refuses, 0, NROWS(send_rows));
	suite_add_tcase(s, tc);
	tc = tcase("reject");
	tcase_add_loop_test(tc, test_reject, 0, NROWS(reject_rows));
	tcase_add_test(tc, test_reject_creds);
	tcase_add_test(tc, test_reject_then_next);
	suite_add_tcase(s, tc);
	tc = tcase("tls");
	tcase_add_loop_test(tc, test_tls_piece, 0, NROWS(tls_piece_rows));
	tcase_add_test(tc, test_tls_reassemble);
	tcase_add_test(tc, test_tls_incomplete);
	tcase_add_loop_test(tc, test_tls_reject, 0, NROWS(tls_reject_rows));
	suite_add_tcase(s, tc);
	tc = tcase("names");
	tcase_add_loop_test(tc, test_type_name, 0, NROWS(name_rows));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ck_run(ipc_suite());
}
