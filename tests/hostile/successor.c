/*
 * A new master that fails an upgrade on purpose, for
 * tests/integration/test_upgrade.py: the test installs a script that runs
 * it with a KIND in place of mpmd, and the old master must go on serving
 * and tell mpmctl why. It inherits the upgrade socket like mpmd would.
 *
 *   skew     says HELLO in another upgrade protocol version
 *   crash    says HELLO, takes the state, then dies of SIGABRT
 *   garbage  sends bytes that are no message at all
 *   silent   says HELLO, takes the state, and never says READY
 */
#include "config.h"

#include <sys/socket.h>

#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/upgrade.h"

#define LIFE_MAX_S 120 /* no fake successor outlives this */
#define SKEW       (UPGRADE_VERSION + 98)

static void
send_hello(int sock)
{
	struct upgrade_hello h;

	memset(&h, 0, sizeof(h));
	h.pid = (uint32_t)getpid();
	snprintf(h.version, sizeof(h.version), "fake successor");
	if (upgrade_send(sock, UPGRADE_HELLO, &h, sizeof(h), -1) == -1)
		perror("successor: HELLO");
}

static void
send_skewed_hello(int sock)
{
	struct {
		struct upgrade_hdr h;
		struct upgrade_hello hello;
	} m;

	memset(&m, 0, sizeof(m));
	m.h.version = SKEW;
	m.h.type = UPGRADE_HELLO;
	m.h.len = sizeof(m.hello);
	m.hello.pid = (uint32_t)getpid();
	if (send(sock, &m, sizeof(m), MSG_NOSIGNAL) == -1)
		perror("successor: skewed HELLO");
}

/* STATE, after the COUNTERS and RELOADs that come before it. */
static void
wait_state(int sock)
{
	static struct upgrade_msg msg;
	struct pollfd pfd = { sock, POLLIN, 0 };

	do {
		if (poll(&pfd, 1, 5000) != 1 || upgrade_recv(sock, &msg) != 1) {
			fprintf(stderr, "successor: no STATE\n");
			exit(2);
		}
	} while (
	    msg.h.type == UPGRADE_COUNTERS || msg.h.type == UPGRADE_RELOAD);
	if (msg.h.type != UPGRADE_STATE) {
		fprintf(stderr, "successor: %s, not STATE\n",
		    upgrade_type_name(msg.h.type));
		exit(2);
	}
}

int
main(int argc, char **argv)
{
	const char *fd = getenv(UPGRADE_ENV_FD);
	const char *kind = argc > 1 ? argv[1] : "";
	int sock;

	if (fd == NULL) {
		fprintf(stderr, "successor: not started by an upgrade\n");
		return 2;
	}
	sock = atoi(fd);
	alarm(LIFE_MAX_S);
	if (strcmp(kind, "skew") == 0) {
		send_skewed_hello(sock);
		pause();
	} else if (strcmp(kind, "crash") == 0) {
		send_hello(sock);
		wait_state(sock);
		abort();
	} else if (strcmp(kind, "garbage") == 0) {
		if (send(sock, "junk", 4, MSG_NOSIGNAL) == -1)
			perror("successor: garbage");
		pause();
	} else if (strcmp(kind, "silent") == 0) {
		send_hello(sock);
		wait_state(sock);
		pause();
	}
	fprintf(stderr, "successor: unknown kind %s\n", kind);
	return 2;
}
