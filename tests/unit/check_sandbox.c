/*
 * Check suite for lib/sandbox.c: the seccomp filter that keeps a process
 * (mpmd-keys) off the network. Every test runs in a process of its own
 * (Check's fork mode), so the filter it installs goes with it. Each denied
 * call is made once confined, expecting EACCES, and once not, expecting
 * success: the EACCES is the filter's, not the call's.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <linux/seccomp.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/sandbox.h"
#include "tests/unit/ck.h"

/* Sockets made before the filter, one for each call it denies. */
struct held {
	int pair[2];  /* SOCK_SEQPACKET, as the key process's channels */
	int other[2]; /* another pair, one end to pass over the first */
	int listener; /* listening, with one connection pending */
	int pending;  /* that connection */
	int fresh;    /* not connected: for connect() */
	int unbound;  /* for bind() */
	int bound;    /* bound, not listening: for listen() */
	struct sockaddr_un addr; /* the listener's */
	socklen_t addrlen;
};

/* An abstract AF_UNIX address of this process: nothing on disk. */
static socklen_t
abstract_addr(struct sockaddr_un *sun, const char *what)
{
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	n = snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1,
	    "check_sandbox.%ld.%s", (long)getpid(), what);
	ck_assert_int_lt(n, (int)sizeof(sun->sun_path) - 1);
	return (
	    socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static int
unix_socket(int type)
{
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	return fd;
}

static void
hold(struct held *h)
{
	struct sockaddr_un sun;
	socklen_t len;

	ck_assert_int_eq(
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, h->pair), 0);
	ck_assert_int_eq(
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, h->other), 0);
	h->addrlen = abstract_addr(&h->addr, "listener");
	h->listener = unix_socket(SOCK_STREAM | SOCK_NONBLOCK);
	ck_assert_int_eq(
	    bind(h->listener, (struct sockaddr *)&h->addr, h->addrlen), 0);
	ck_assert_int_eq(listen(h->listener, 4), 0);
	h->pending = unix_socket(SOCK_STREAM);
	ck_assert_int_eq(
	    connect(h->pending, (struct sockaddr *)&h->addr, h->addrlen), 0);
	h->fresh = unix_socket(SOCK_STREAM);
	h->unbound = unix_socket(SOCK_STREAM);
	h->bound = unix_socket(SOCK_STREAM);
	len = abstract_addr(&sun, "bound");
	ck_assert_int_eq(bind(h->bound, (struct sockaddr *)&sun, len), 0);
}

/* no_new_privs, as every child of the master has, then the filter. */
static void
confine(void)
{
	ck_assert_int_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	ck_assert_int_eq(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
	ck_assert_msg(sandbox_no_network() == 0, "sandbox_no_network: %s",
	    strerror(errno));
	ck_assert_int_eq(
	    prctl(PR_GET_SECCOMP, 0, 0, 0, 0), SECCOMP_MODE_FILTER);
}

enum net_call {
	CALL_SOCKET_INET,
	CALL_SOCKET_INET_DGRAM,
	CALL_SOCKET_UNIX,
	CALL_SOCKET_UNIX_SEQPACKET,
	CALL_CONNECT,
	CALL_BIND,
	CALL_LISTEN,
	CALL_ACCEPT,
	CALL_ACCEPT4,
};

static const struct call_row {
	int line;
	enum net_call call;
	const char *name;
} call_rows[] = {
	{ CK_ROW, CALL_SOCKET_INET, "socket(AF_INET, SOCK_STREAM)" },
	{ CK_ROW, CALL_SOCKET_INET_DGRAM, "socket(AF_INET, SOCK_DGRAM)" },
	{ CK_ROW, CALL_SOCKET_UNIX, "socket(AF_UNIX, SOCK_STREAM)" },
	{ CK_ROW, CALL_SOCKET_UNIX_SEQPACKET,
	    "socket(AF_UNIX, SOCK_SEQPACKET)" },
	{ CK_ROW, CALL_CONNECT, "connect()" },
	{ CK_ROW, CALL_BIND, "bind()" },
	{ CK_ROW, CALL_LISTEN, "listen()" },
	{ CK_ROW, CALL_ACCEPT, "accept()" },
	{ CK_ROW, CALL_ACCEPT4, "accept4()" },
};

/* The call of ROW on what H holds: its result, errno as it left it. */
static int
net_call(enum net_call call, const struct held *h)
{
	struct sockaddr_un sun;
	socklen_t len;

	switch (call) {
	case CALL_SOCKET_INET:
		return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	case CALL_SOCKET_INET_DGRAM:
		return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	case CALL_SOCKET_UNIX:
		return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	case CALL_SOCKET_UNIX_SEQPACKET:
		return socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	case CALL_CONNECT:
		return connect(
		    h->fresh, (const struct sockaddr *)&h->addr, h->addrlen);
	case CALL_BIND:
		len = abstract_addr(&sun, "bind");
		return bind(h->unbound, (struct sockaddr *)&sun, len);
	case CALL_LISTEN:
		return listen(h->bound, 1);
	case CALL_ACCEPT:
		return accept(h->listener, NULL, NULL);
	case CALL_ACCEPT4:
		return accept4(h->listener, NULL, NULL, SOCK_CLOEXEC);
	}
	return -2;
}

/* Check's fork mode is what keeps the filter out of the other tests. */
static void
require_fork(void)
{
	const char *mode = getenv("CK_FORK");

	ck_assert_msg(mode == NULL || strcmp(mode, "no") != 0,
	    "CK_FORK=no: the filter would outlive the test");
}

START_TEST(test_denied)
{
	const struct call_row *row = &call_rows[_i];
	struct held h;
	int r;

	hold(&h);
	confine();
	errno = 0;
	r = net_call(row->call, &h);
	ck_assert_msg(r == -1 && errno == EACCES,
	    "%s: %d (%s), want EACCES, row at line %d", row->name, r,
	    strerror(errno), row->line);
}
END_TEST

/* The same calls without the filter, to show they could succeed. */
START_TEST(test_allowed_unconfined)
{
	const struct call_row *row = &call_rows[_i];
	struct held h;
	int r;

	hold(&h);
	errno = 0;
	r = net_call(row->call, &h);
	ck_assert_msg(r >= 0, "%s: %s, row at line %d", row->name,
	    strerror(errno), row->line);
}
END_TEST

static void
send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { "f", 1 };
	struct msghdr mh;
	struct cmsghdr *cm;

	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	ck_assert_int_eq(sendmsg(sock, &mh, MSG_NOSIGNAL), 1);
}

static int
recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { &c, 1 };
	struct msghdr mh;
	struct cmsghdr *cm;
	int fd;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	ck_assert_int_eq(recvmsg(sock, &mh, MSG_CMSG_CLOEXEC), 1);
	cm = CMSG_FIRSTHDR(&mh);
	ck_assert_ptr_nonnull(cm);
	ck_assert_int_eq(cm->cmsg_type, SCM_RIGHTS);
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * What the process holds still works: its socketpair both ways, and a
 * socket passed over it (the key process gets each worker's so).
 */
START_TEST(test_held_sockets_work)
{
	struct held h;
	char c = 0;
	int fd;

	hold(&h);
	confine();
	ck_assert_int_eq(write(h.pair[0], "q", 1), 1);
	ck_assert_int_eq(read(h.pair[1], &c, 1), 1);
	ck_assert_int_eq(c, 'q');
	ck_assert_int_eq(send(h.pair[1], "r", 1, MSG_NOSIGNAL), 1);
	ck_assert_int_eq(recv(h.pair[0], &c, 1, 0), 1);
	ck_assert_int_eq(c, 'r');
	send_fd(h.pair[0], h.other[1]);
	close(h.other[1]);
	fd = recv_fd(h.pair[1]);
	ck_assert_int_eq(write(fd, "s", 1), 1);
	ck_assert_int_eq(read(h.other[0], &c, 1), 1);
	ck_assert_int_eq(c, 's');
	ck_assert_int_eq(write(h.other[0], "t", 1), 1);
	ck_assert_int_eq(read(fd, &c, 1), 1);
	ck_assert_int_eq(c, 't');
	/* a connection made before: still usable */
	ck_assert_int_eq(send(h.pending, "u", 1, MSG_NOSIGNAL), 1);
	close(fd);
}
END_TEST

/* Installed twice (a process confined already), it still denies. */
START_TEST(test_twice)
{
	struct held h;

	hold(&h);
	confine();
	ck_assert_int_eq(sandbox_no_network(), 0);
	errno = 0;
	ck_assert_int_eq(socket(AF_INET, SOCK_STREAM, 0), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(write(h.pair[0], "v", 1), 1);
}
END_TEST

#define NROWS(t) ((int)(sizeof(t) / sizeof((t)[0])))

static Suite *
sandbox_suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc;

	tc = tcase_create("no_network");
	tcase_add_checked_fixture(tc, require_fork, NULL);
	tcase_add_loop_test(tc, test_denied, 0, NROWS(call_rows));
	tcase_add_loop_test(tc, test_allowed_unconfined, 0, NROWS(call_rows));
	tcase_add_test(tc, test_held_sockets_work);
	tcase_add_test(tc, test_twice);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ck_run(sandbox_suite());
}
