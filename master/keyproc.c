/*
 * mpmd-keys: the only unprivileged process that holds private keys
 * (SSLKeyIsolation). The master starts one per generation with TLS,
 * without privilege and, once it has its keys, without a way to open a
 * socket (lib/sandbox.c). It gets the keys over its channel and then a
 * socketpair per worker, and does each handshake's private-key operation
 * for them. It never parses anything a client sent: workers hand it
 * digests and blocks whose lengths it checks.
 */
#include "config.h"

/*
 * The EC_KEY and RSA calls are deprecated in OpenSSL 3, but they are what
 * a key's operations run on short of a provider: workers use the same.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <sys/epoll.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/log.h"
#include "lib/sandbox.h"
#include "lib/xmalloc.h"
#include "protocol/ipc.h"
#include "protocol/ipc_tls.h"
#include "protocol/keyop.h"

#define KEYPROC_EVENTS 32

static EVP_PKEY *keys[IPC_TLS_MAX_PAIRS];
static size_t nkeys;
static int ep = -1;

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

/* HELLO, then SETUP (how many keys) and the keys, then READY. */
static void
handshake(void)
{
	static struct ipc_msg msg;
	struct ipc_tls_buf parts[IPC_TLS_MAX_PAIRS];
	const unsigned char *p;
	struct ipc_hello hello;
	struct ipc_setup setup;
	const char *cause;
	size_t i;

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
	if (setup.ntls == 0 || setup.ntls > IPC_TLS_MAX_PAIRS)
		fatalx("SETUP: %u keys", setup.ntls);
	nkeys = setup.ntls;
	memset(parts, 0, sizeof(parts));
	while (!ipc_tls_complete(parts, nkeys)) {
		recv_or_die(&msg);
		if (msg.type != IPC_TLS_KEY ||
		    ipc_tls_take(&msg, parts, nkeys, &cause) == -1)
			fatalx("handshake: %s", msg.type != IPC_TLS_KEY
						    ? ipc_type_name(msg.type)
						    : cause);
	}
	for (i = 0; i < nkeys; i++) {
		p = parts[i].data;
		keys[i] = d2i_AutoPrivateKey(NULL, &p, (long)parts[i].len);
		if (keys[i] == NULL)
			fatalx("key %zu does not decode", i);
	}
	ipc_tls_free(parts, nkeys);
}

static void
watch(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		fatal("epoll_ctl");
}

/* The operation REQ asks of its key into OUT; its length, or -1. */
static int
operate(const struct keyop_msg *req, unsigned char *out)
{
	const struct keyop_req *h = &req->h.req;
	EVP_PKEY *key = h->key < nkeys ? keys[h->key] : NULL;
	unsigned int siglen;
	int type = key != NULL ? EVP_PKEY_get_base_id(key) : 0;

	if (h->op == KEYOP_ECDSA_SIGN && type == EVP_PKEY_EC) {
		if ((size_t)ECDSA_size(EVP_PKEY_get0_EC_KEY(key)) >
			KEYOP_DATA_MAX ||
		    ECDSA_sign(0, req->data, (int)h->len, out, &siglen,
			(EC_KEY *)EVP_PKEY_get0_EC_KEY(key)) != 1)
			return -1;
		return (int)siglen;
	}
	if (type != EVP_PKEY_RSA ||
	    (size_t)RSA_size(EVP_PKEY_get0_RSA(key)) > KEYOP_DATA_MAX)
		return -1;
	if (h->op == KEYOP_RSA_PRIVATE_ENCRYPT)
		return RSA_private_encrypt((int)h->len, req->data, out,
		    (RSA *)EVP_PKEY_get0_RSA(key), h->padding);
	if (h->op == KEYOP_RSA_PRIVATE_DECRYPT)
		return RSA_private_decrypt((int)h->len, req->data, out,
		    (RSA *)EVP_PKEY_get0_RSA(key), h->padding);
	return -1;
}

/* One request from the worker on FD; a worker that breaks the rules goes. */
static void
serve(int fd)
{
	static struct keyop_msg req;
	static unsigned char out[KEYOP_DATA_MAX];
	struct keyop_rep rep;
	int n, r;

	if ((r = keyop_recv(fd, 'q', &req)) == -1 && errno == EAGAIN)
		return;
	if (r <= 0) {
		if (r == -1)
			log_warnx(
			    "a malformed key request: dropping its worker");
		close(fd); /* also leaves the epoll set */
		return;
	}
	n = operate(&req, out);
	memset(&rep, 0, sizeof(rep));
	rep.version = KEYOP_VERSION;
	rep.seq = req.h.req.seq;
	rep.ok = n >= 0;
	rep.len = n >= 0 ? (uint32_t)n : 0;
	if (keyop_send(fd, &rep, sizeof(rep), out, rep.len) == -1)
		close(fd);
	OPENSSL_cleanse(out, sizeof(out));
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
		exit(0);
	switch (msg.type) {
	case IPC_KEYS_CLIENT:
		watch(msg.fds[0]);
		break;
	case IPC_STOP:
	case IPC_GRACEFUL_STOP:
		exit(0);
	default:
		ipc_msg_close_fds(&msg);
		log_warnx(
		    "unexpected %s from the master", ipc_type_name(msg.type));
		break;
	}
}

int
main(void)
{
	struct epoll_event ev[KEYPROC_EVENTS];
	int i, n;

	log_init("keys", STDERR_FILENO, LOG_LVL_INFO);
	signal(SIGPIPE, SIG_IGN);
	child_require_channel(IPC_CHANNEL_FD);
	child_require_unprivileged();
	handshake();
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	watch(IPC_CHANNEL_FD);
	if (sandbox_no_network() == -1)
		fatal("seccomp: no network");
	if (ipc_send(IPC_CHANNEL_FD, IPC_READY, NULL, 0, NULL, 0) == -1)
		fatal("sending READY");
	for (;;) {
		if ((n = epoll_wait(ep, ev, KEYPROC_EVENTS, -1)) == -1 &&
		    errno != EINTR)
			fatal("epoll_wait");
		for (i = 0; i < n; i++) {
			if (ev[i].data.fd == IPC_CHANNEL_FD)
				on_channel();
			else
				serve(ev[i].data.fd);
		}
	}
}
