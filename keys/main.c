/*
 * mpmd-keys: the only unprivileged process that holds private keys
 * (SSLKeyIsolation). The master starts KeyProcesses of them per
 * generation, as KeyUser, a user no worker shares. Before any key
 * arrives each makes itself non-dumpable with no core file, so that
 * neither a worker nor anyone but root can read, trace or dump it; once
 * it has its keys it closes itself in a seccomp allowlist. Then it signs
 * handshake digests for the workers the master hands it (keyop.h), one
 * request of each worker in turn, so a worker that floods it delays the
 * others by one signature at most.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keys/sign.h"
#include "lib/child.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/ratelimit.h"
#include "lib/sandbox.h"
#include "lib/xmalloc.h"
#include "protocol/ipc.h"
#include "protocol/ipc_tls.h"
#include "protocol/keyop.h"

#define KEYS_EVENTS    64
#define KEYS_WARN_MS   1000 /* a line a second per kind of trouble */
#define KEYS_REPORT_MS 1000 /* counts to the master, when they moved */

/* A worker's socket, and what it asked of us. */
struct client {
	int fd;
	long pid;
	unsigned generation;
};

static struct sign_keys keys;
static struct ipc_keys_counts counts, reported;
static int64_t reported_at;
static int ep = -1;
static struct ratelimit warn_refused = RATELIMIT_INIT(KEYS_WARN_MS, 1);
static struct ratelimit warn_unread = RATELIMIT_INIT(KEYS_WARN_MS, 1);
static struct ratelimit warn_broken = RATELIMIT_INIT(KEYS_WARN_MS, 1);

/* Before any key arrives: no ptrace, no /proc/PID/mem, no core file. */
static void
harden(void)
{
	struct rlimit none = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_DUMPABLE)");
	if (setrlimit(RLIMIT_CORE, &none) == -1)
		fatal("setrlimit(RLIMIT_CORE)");
}

static void
recv_or_die(struct ipc_msg *msg)
{
	const char *cause;
	int r = ipc_recv(IPC_CHANNEL_FD, IPC_FROM_MASTER, msg, &cause);

	if (r == 0)
		fatalx("the master closed the channel");
	if (r == -1)
		fatalx("channel: %s", cause);
}

static void
decode_keys(struct ipc_tls_buf *parts, size_t n)
{
	const unsigned char *p;
	size_t i;

	for (i = 0; i < n; i++) {
		p = parts[i].data;
		keys.key[i] = d2i_AutoPrivateKey(NULL, &p, (long)parts[i].len);
		if (keys.key[i] == NULL)
			fatalx("key %zu does not decode", i);
	}
	keys.n = n;
}

/* HELLO, then SETUP (how many keys) and the keys; every copy wiped. */
static void
handshake(void)
{
	static struct ipc_msg msg;
	struct ipc_tls_buf parts[IPC_TLS_MAX_PAIRS];
	struct ipc_hello hello;
	struct ipc_setup setup;
	const char *cause;
	size_t n;

	memset(&hello, 0, sizeof(hello));
	hello.version = IPC_VERSION;
	hello.pid = (uint32_t)getpid();
	strncpy(hello.mpm, "keys", sizeof(hello.mpm) - 1);
	if (ipc_send(IPC_CHANNEL_FD, IPC_HELLO, &hello, sizeof(hello), NULL,
		0) == -1)
		fatal("sending HELLO");
	recv_or_die(&msg);
	if (msg.type != IPC_SETUP)
		fatalx(
		    "handshake: %s, expected SETUP", ipc_type_name(msg.type));
	memcpy(&setup, msg.payload, sizeof(setup));
	if (setup.ntls == 0 || setup.ntls > IPC_TLS_MAX_PAIRS ||
	    setup.ntls > SIGN_MAX_KEYS)
		fatalx("SETUP: %u keys", setup.ntls);
	n = setup.ntls;
	memset(parts, 0, sizeof(parts));
	while (!ipc_tls_complete(parts, n)) {
		recv_or_die(&msg);
		if (msg.type != IPC_TLS_KEY ||
		    ipc_tls_take(&msg, parts, n, &cause) == -1)
			fatalx("handshake: %s", msg.type != IPC_TLS_KEY
						    ? ipc_type_name(msg.type)
						    : cause);
	}
	explicit_bzero(&msg, sizeof(msg));
	decode_keys(parts, n);
	ipc_tls_free(parts, n);
}

static void
watch(int fd, void *ptr)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ptr };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		fatal("epoll_ctl");
}

static void
drop_client(struct client *c)
{
	close(c->fd); /* also leaves the epoll set */
	free(c);
}

static void
answer(struct client *c, const struct keyop_req *req, int reply_fd)
{
	static unsigned char sig[KEYOP_SIG_MAX];
	enum keyop_status st;
	const char *why = NULL;
	unsigned held;
	size_t len;

	st = sign_request(&keys, req, sig, &len, &why);
	if (st == KEYOP_OK)
		counts.signatures++;
	else
		counts.refused++;
	if (st != KEYOP_OK && ratelimit_pass(&warn_refused, &held))
		log_warnx(
		    "worker pid %ld (generation %u): %s of key %u refused: %s (%u more held back)",
		    c->pid, c->generation, keyop_scheme_name(req->scheme),
		    req->key, why, held);
	/* sendmsg(): whatever else the fd is (not a socket: ENOTSOCK) */
	if (keyop_send_reply(reply_fd, st, sig, len) == -1) {
		counts.unread++;
		if (ratelimit_pass(&warn_unread, &held))
			log_warnx(
			    "worker pid %ld (generation %u) does not take its replies (%u more held back)",
			    c->pid, c->generation, held);
	}
	OPENSSL_cleanse(sig, len);
}

/* One request of C's; a worker that breaks the framing goes. */
static void
serve(struct client *c)
{
	struct keyop_req req;
	unsigned held;
	int r, reply_fd = -1;

	if ((r = keyop_recv_request(c->fd, &req, &reply_fd)) == -1 &&
	    errno == EAGAIN)
		return;
	if (r <= 0) {
		if (r == -1 && ratelimit_pass(&warn_broken, &held))
			log_warnx(
			    "worker pid %ld (generation %u) sent a malformed key request: dropping its socket (%u more held back)",
			    c->pid, c->generation, held);
		drop_client(c);
		return;
	}
	answer(c, &req, reply_fd);
	close(reply_fd);
}

static void
add_client(struct ipc_msg *msg)
{
	struct ipc_keys_client who;
	struct client *c;

	memcpy(&who, msg->payload, sizeof(who));
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warnx("out of memory for worker pid %u", who.pid);
		ipc_msg_close_fds(msg);
		return;
	}
	c->fd = msg->fds[0];
	c->pid = (long)who.pid;
	c->generation = who.generation;
	watch(c->fd, c);
}

/* The master hands over workers' sockets; STOP or its going ends us. */
static void
on_channel(void)
{
	static struct ipc_msg msg;
	const char *cause;
	int r;

	r = ipc_recv(IPC_CHANNEL_FD, IPC_FROM_MASTER, &msg, &cause);
	if (r == -1 && errno == EAGAIN)
		return;
	if (r <= 0)
		_exit(0);
	switch (msg.type) {
	case IPC_KEYS_CLIENT:
		add_client(&msg);
		break;
	case IPC_STOP:
	case IPC_GRACEFUL_STOP:
		_exit(0); /* nothing to finish: a reply is one packet */
	default:
		ipc_msg_close_fds(&msg);
		log_warnx(
		    "unexpected %s from the master", ipc_type_name(msg.type));
		break;
	}
}

/* For /metrics: what we did, once a second at most, when it moved. */
static void
report(void)
{
	int64_t now = mono_ms();

	if (now - reported_at < KEYS_REPORT_MS ||
	    memcmp(&counts, &reported, sizeof(counts)) == 0)
		return;
	if (ipc_send(IPC_CHANNEL_FD, IPC_KEYS_COUNTS, &counts, sizeof(counts),
		NULL, 0) == -1)
		fatal("sending KEYS_COUNTS");
	reported = counts;
	reported_at = now;
}

/* How long epoll may wait: until counts that moved are due. */
static int
report_wait(void)
{
	int64_t left = reported_at + KEYS_REPORT_MS - mono_ms();

	if (memcmp(&counts, &reported, sizeof(counts)) == 0)
		return -1;
	return left > 0 ? (int)left : 0;
}

/* Keys in hand: everything OpenSSL sets up lazily is done, then closed. */
static void
confine(void)
{
	const char *why;

	if (sign_warm_up(&keys, &why) == -1)
		fatalx("a key cannot sign: %s", why);
	tzset(); /* the log's local time, read once while files open */
	log_info("%zu %s, signing for workers", keys.n,
	    keys.n == 1 ? "key" : "keys");
	if (sandbox_keys() == -1 && errno != ENOSYS)
		fatal("seccomp: the key process's allowlist");
}

int
main(void)
{
	struct epoll_event ev[KEYS_EVENTS];
	int i, n;

	harden();
	log_init("keys", STDERR_FILENO, LOG_LVL_INFO);
	signal(SIGPIPE, SIG_IGN);
	child_require_channel(IPC_CHANNEL_FD);
	child_require_unprivileged();
	handshake();
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	watch(IPC_CHANNEL_FD, NULL);
	confine();
	if (ipc_send(IPC_CHANNEL_FD, IPC_READY, NULL, 0, NULL, 0) == -1)
		fatal("sending READY");
	for (;;) {
		if ((n = epoll_wait(ep, ev, KEYS_EVENTS, report_wait())) ==
			-1 &&
		    errno != EINTR)
			fatal("epoll_wait");
		for (i = 0; i < n; i++) {
			if (ev[i].data.ptr == NULL)
				on_channel();
			else
				serve(ev[i].data.ptr);
		}
		report();
	}
}
