/*
 * A worker binary that attacks the master it is started by, for
 * tests/integration/test_hostile.py. It is one program installed under
 * many names (MPM /path/hostile-KIND): its argv[0] says what it does.
 * The master must stay up and responsive whatever it does.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "protocol/ipc.h"

/*
 * The scribbler pauses SCRIBBLE_US after each SCRIBBLE_CHUNK it writes:
 * what the whole board measured before it grew a page of header and the
 * request slots' states, so the CPU it burns stays what it was.
 */
#define FLOOD_MAX      100000 /* messages a flooder sends at the most */
#define SCRIBBLE_US    10000
#define SCRIBBLE_CHUNK (256 * 1024)
#define LIFE_MAX_S     120    /* no hostile worker outlives this */
#define CRASH_AFTER_US 300000 /* a crasher dies this soon after READY */
#define OVERSIZE       (IPC_MAX_PAYLOAD + 4096)

static int chan = IPC_CHANNEL_FD;

static void
say(enum ipc_type type, const void *p, size_t len, const int *fds, size_t n)
{
	if (ipc_send(chan, type, p, len, fds, n) == -1 && errno != EPIPE)
		perror("hostile: ipc_send");
}

static void
hello(void)
{
	struct ipc_hello h;

	memset(&h, 0, sizeof(h));
	h.version = IPC_VERSION;
	h.pid = (uint32_t)getpid();
	snprintf(h.mpm, sizeof(h.mpm), "hostile");
	say(IPC_HELLO, &h, sizeof(h), NULL, 0);
}

/* Reads the master's answer to HELLO; returns the scoreboard fd. */
static int
handshake(size_t *sb_size)
{
	static struct ipc_msg msg;
	struct ipc_setup setup;
	const char *cause;
	struct stat st;
	int sb = -1;

	hello();
	for (;;) {
		if (ipc_recv(chan, IPC_FROM_MASTER, &msg, &cause) != 1)
			exit(2);
		if (msg.type == IPC_SETUP)
			memcpy(&setup, msg.payload, sizeof(setup));
		if (msg.type != IPC_FDS)
			continue;
		sb = msg.fds[msg.nfds - 1];
		break;
	}
	if (fstat(sb, &st) == -1)
		exit(2);
	*sb_size = (size_t)st.st_size;
	return sb;
}

static void
ready(void)
{
	say(IPC_READY, NULL, 0, NULL, 0);
}

/* Waits for GRACEFUL_STOP or STOP, then does what KIND does then. */
static void
wait_for_stop(void (*on_stop)(void))
{
	static struct ipc_msg msg;
	const char *cause;

	for (;;) {
		if (ipc_recv(chan, IPC_FROM_MASTER, &msg, &cause) != 1)
			exit(0);
		ipc_msg_close_fds(&msg);
		if (msg.type == IPC_GRACEFUL_STOP || msg.type == IPC_STOP)
			on_stop();
	}
}

static void
stop_self(void)
{
	raise(SIGSTOP); /* mid-drain: the master must not wait forever */
	exit(0);
}

static void
kind_garbage(void)
{
	static const char junk[] = "\x13\x37this is not an ipc header at all";

	(void)!write(chan, junk, sizeof(junk));
}

static void
kind_oversized(void)
{
	static char big[OVERSIZE];

	memset(big, 'A', sizeof(big));
	(void)!send(chan, big, sizeof(big), MSG_NOSIGNAL);
}

static void
kind_fds(void)
{
	struct ipc_hello h;
	int fds[2] = { 0, 2 };

	memset(&h, 0, sizeof(h));
	h.version = IPC_VERSION;
	h.pid = (uint32_t)getpid();
	say(IPC_HELLO, &h, sizeof(h), fds, 2);
}

static void
kind_flood(void)
{
	size_t sb_size;
	int i;

	handshake(&sb_size);
	for (i = 0; i < FLOOD_MAX; i++)
		if (ipc_send(chan, IPC_FATAL, "flood", 5, NULL, 0) == -1)
			break;
}

static void
kind_scribbler(void)
{
	size_t sb_size, i;
	unsigned char *p;
	uint32_t x = (uint32_t)getpid();
	int sb = handshake(&sb_size);

	p = mmap(NULL, sb_size, PROT_READ | PROT_WRITE, MAP_SHARED, sb, 0);
	if (p == MAP_FAILED)
		exit(2);
	ready();
	for (;;) { /* until the master kills us: it ignores every stop */
		for (i = 0; i < sb_size; i++) {
			x = x * 1103515245u + 12345u;
			p[i] = (unsigned char)(x >> 16);
			if (i % SCRIBBLE_CHUNK == SCRIBBLE_CHUNK - 1)
				usleep(SCRIBBLE_US);
		}
		usleep(SCRIBBLE_US);
	}
}

static void
kind_early(void)
{
	ready(); /* READY before HELLO */
}

static void
kind_wrongway(void)
{
	say(IPC_STOP, NULL, 0, NULL, 0); /* a master's message */
}

static void
kind_deaf(void)
{
	hello(); /* and never reads its channel */
}

static void
kind_crasher(void)
{
	size_t sb_size;

	handshake(&sb_size);
	ready();
	usleep(CRASH_AFTER_US); /* long enough for its generation to go live */
	exit(3);
}

static void
kind_stopper(void)
{
	size_t sb_size;

	handshake(&sb_size);
	ready();
	wait_for_stop(stop_self);
}

static const struct {
	const char *name;
	void (*run)(void);
} kinds[] = {
	{ "garbage", kind_garbage },
	{ "oversized", kind_oversized },
	{ "fds", kind_fds },
	{ "early", kind_early },
	{ "wrongway", kind_wrongway },
	{ "deaf", kind_deaf },
	{ "flood", kind_flood },
	{ "scribbler", kind_scribbler },
	{ "crasher", kind_crasher },
	{ "stopper", kind_stopper },
};

int
main(int argc, char **argv)
{
	const char *kind = argc > 0 ? strrchr(argv[0], '-') : NULL;
	size_t i;

	alarm(LIFE_MAX_S);
	for (i = 0; kind != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind + 1, kinds[i].name) == 0) {
			kinds[i].run();
			pause(); /* the master decides when we go */
			return 0;
		}
	fprintf(stderr, "hostile: unknown kind %s\n", argv[0]);
	return 2;
}
