/*
 * libFuzzer target for the IPC decoder: the input goes out verbatim as one
 * SOCK_SEQPACKET packet, without fds, with 2 and with IPC_FDS_FIXED (the
 * counts REOPEN_LOGS and FDS take), and ipc_recv() reads it as the master,
 * the worker, the master's control socket and mpmctl would. It must not
 * crash, and every fd that arrived must be closed again whatever the
 * verdict.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/ipc.h"
#include "contrib/fuzz/fuzz.h"

#define FUZZ_MAX_FDS IPC_FDS_FIXED /* the most fds one round attaches */

static const size_t fd_counts[] = { 0, 2, FUZZ_MAX_FDS };
static const int directions[] = { IPC_FROM_WORKER, IPC_FROM_MASTER,
	IPC_FROM_CLIENT, IPC_FROM_SERVER };

static struct ipc_msg msg; /* too big for the stack of a fuzzer thread */

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		abort();
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* Sends the input with NFDS copies of /dev/null; 0 if the kernel refused. */
static int
send_input(int sock, const uint8_t *data, size_t size, size_t nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * FUZZ_MAX_FDS)];
	struct iovec iov = { (void *)data, size };
	struct msghdr mh;
	struct cmsghdr *cm;
	int fds[FUZZ_MAX_FDS];
	size_t i;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	for (i = 0; i < nfds; i++)
		if ((fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
			abort();
	if (nfds > 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	return n == (ssize_t)size;
}

static void
one_round(const uint8_t *data, size_t size, size_t nfds, int from)
{
	const char *cause;
	int sv[2], r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
		0, sv) == -1)
		abort();
	if (send_input(sv[0], data, size, nfds)) {
		r = ipc_recv(sv[1], from, &msg, &cause);
		if (r == 1) {
			if (msg.len > IPC_MAX_PAYLOAD || msg.nfds > IPC_MAX_FDS)
				abort();
			ipc_msg_close_fds(&msg);
		} else if (r == -1 && (cause == NULL || msg.nfds != 0))
			abort();
	}
	close(sv[0]);
	close(sv[1]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int before = count_fds();
	size_t i, j;

	for (i = 0; i < sizeof(fd_counts) / sizeof(fd_counts[0]); i++)
		for (j = 0; j < sizeof(directions) / sizeof(directions[0]); j++)
			one_round(data, size, fd_counts[i], directions[j]);
	if (count_fds() != before) {
		fprintf(stderr, "fuzz_ipc: fd leak: %d open, was %d\n",
		    count_fds(), before);
		abort();
	}
	return 0;
}
