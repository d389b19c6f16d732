/*
 * The worker side of the handshake, shared by every MPM: say HELLO on fd 3,
 * receive SETUP, the serialized config, TLS (certificate chains, keys when
 * they are not isolated, ticket keys) and the fds, check every one of
 * them, refuse to serve with any privilege left.
 */
#include "config.h"

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/ktls.h"
#include "lib/log.h"
#include "lib/plural.h"
#include "lib/sandbox.h"
#include "lib/xmalloc.h"
#include "protocol/ipc.h"
#include "protocol/ipc_tls.h"
#include "workers/keyclient.h"
#include "workers/runtime.h"
#include "workers/tls.h"

static void
handshake_recv(struct worker *w, struct ipc_msg *msg, enum ipc_type want)
{
	const char *cause;
	int r;

	r = ipc_recv(w->channel, IPC_FROM_MASTER, msg, &cause);
	if (r == 0)
		fatalx("master closed the channel during the handshake");
	if (r == -1)
		fatalx("handshake: %s", cause);
	if (want != 0 && msg->type != want)
		fatalx("handshake: got %s, expected %s",
		    ipc_type_name(msg->type), ipc_type_name(want));
}

static void
recv_setup(struct worker *w, struct ipc_setup *setup)
{
	struct ipc_msg msg;

	handshake_recv(w, &msg, IPC_SETUP);
	memcpy(setup, msg.payload, sizeof(*setup));
	if (setup->nlisten == 0 || setup->nlisten > IPC_MAX_LISTEN ||
	    setup->nslots == 0 || setup->nslots > SB_MAX_SLOTS ||
	    setup->slot >= setup->nslots || setup->config_len == 0 ||
	    setup->config_len > IPC_MAX_CONFIG ||
	    setup->ntls > IPC_TLS_MAX_PAIRS)
		fatalx("SETUP out of range");
	w->slot = setup->slot;
	w->generation = setup->generation;
	if (setup->flags & IPC_SETUP_NONDUMPABLE)
		child_nondumpable();
}

static void
recv_config(struct worker *w, const struct ipc_setup *setup)
{
	struct conf_errors errs;
	struct ipc_msg msg;
	char *text = xmalloc(setup->config_len);
	size_t got = 0;

	while (got < setup->config_len) {
		handshake_recv(w, &msg, IPC_CONFIG);
		if (msg.len > setup->config_len - got)
			fatalx("CONFIG longer than announced");
		memcpy(text + got, msg.payload, msg.len);
		got += msg.len;
	}
	memset(&errs, 0, sizeof(errs));
	conf_init(&w->conf);
	if (conf_parse_string(
		&w->conf, text, got, "<master>", CONF_WORKER, &errs) == -1)
		fatalx("config from the master does not parse: %s",
		    errs.count > 0 ? errs.msg[0] : "?");
	conf_errors_free(&errs);
	free(text);
	log_set_level(w->conf.log_level);
}

static void
check_fd(int fd, int want_type, const char *what)
{
	struct stat st;

	if (fstat(fd, &st) == -1 ||
	    (want_type != 0 && (int)(st.st_mode & S_IFMT) != want_type))
		fatalx("FDS: %s is not what it should be", what);
}

static void
check_listener(int fd)
{
	int on = 0;
	socklen_t len = sizeof(on);

	check_fd(fd, S_IFSOCK, "a listener");
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == -1 || !on)
		fatalx("FDS: a listener is not listening");
}

/*
 * The header page is the master's: mapped read-only here, so no bug in a
 * worker can change what the others show (where pages are larger than
 * the header, it stays writable, and is still never trusted).
 */
static void
map_scoreboard(struct worker *w, int fd, uint32_t nslots)
{
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	void *p;

	if (fstat(fd, &st) == -1 || (uint64_t)st.st_size != sb_size(nslots) ||
	    (fcntl(fd, F_GET_SEALS) & F_SEAL_SHRINK) == 0)
		fatalx("FDS: the scoreboard is not the sealed size announced");
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (p == MAP_FAILED)
		fatal("mmap scoreboard");
	close(fd);
	if (page > 0 && SB_HEADER_SIZE % page == 0 &&
	    mprotect(p, SB_HEADER_SIZE, PROT_READ) == -1)
		fatal("mprotect scoreboard header");
	/* Its contents are no reason to stop: a hostile worker may write it. */
	w->sb_all = p;
	w->ctx.sb_all_size = (uint64_t)st.st_size;
	w->sb = sb_slot_at(w->sb_all, w->slot);
}

/* Listeners (each with its Listen line's options), docroot, logs, board. */
static void
take_fds(struct worker *w, const struct ipc_setup *setup, struct ipc_msg *msg)
{
	bool keys = setup->flags & IPC_SETUP_KEYS_SOCKET;
	size_t i;

	if (msg->nfds != setup->nlisten + IPC_FDS_FIXED + keys)
		fatalx("FDS: %zu fd%s, expected %u", msg->nfds,
		    plural(msg->nfds), setup->nlisten + IPC_FDS_FIXED + keys);
	if (setup->nlisten != w->conf.nlisten)
		fatalx("FDS: %u listeners for %zu Listen lines", setup->nlisten,
		    w->conf.nlisten);
	for (i = 0; i < setup->nlisten; i++) {
		check_listener(msg->fds[i]);
		w->listeners[i] = msg->fds[i];
		w->listen_flags[i] = w->conf.listen[i].flags;
	}
	w->nlisteners = setup->nlisten;
	check_fd(msg->fds[i], S_IFDIR, "the DocumentRoot");
	w->ctx.docroot = msg->fds[i++];
	check_fd(msg->fds[i], 0, "the access log");
	atomic_store(&w->accesslog, msg->fds[i++]);
	check_fd(msg->fds[i], S_IFSOCK, "the adopt queue");
	w->adopt_queue = msg->fds[i++];
	map_scoreboard(w, msg->fds[i++], setup->nslots);
	if (keys) {
		check_fd(msg->fds[i], S_IFSOCK, "the key process's socket");
		keyclient_set_socket(msg->fds[i]);
	}
}

/* Chains, keys (isolation off), ticket keys: all that comes before FDS. */
static void
recv_tls(struct worker *w, const struct ipc_setup *setup, struct ipc_msg *msg)
{
	struct ipc_tls_buf certs[IPC_TLS_MAX_PAIRS], keys[IPC_TLS_MAX_PAIRS];
	bool isolated = setup->flags & IPC_SETUP_KEYS_SOCKET;
	const char *cause = NULL;
	char *why;

	memset(certs, 0, sizeof(certs));
	memset(keys, 0, sizeof(keys));
	for (;;) {
		handshake_recv(w, msg, 0);
		if (msg->type == IPC_FDS)
			break;
		if (msg->type == IPC_TICKET_KEYS)
			tls_ticket_keys((const void *)msg->payload);
		else if (msg->type == IPC_TLS_CERT)
			(void)ipc_tls_take(msg, certs, setup->ntls, &cause);
		else if (msg->type == IPC_TLS_KEY && !isolated)
			(void)ipc_tls_take(msg, keys, setup->ntls, &cause);
		else
			cause = ipc_type_name(msg->type);
		if (cause != NULL)
			fatalx("handshake: TLS: %s", cause);
	}
	if (!ipc_tls_complete(certs, setup->ntls) ||
	    (!isolated && !ipc_tls_complete(keys, setup->ntls)))
		fatalx("handshake: TLS parts missing before FDS");
	if (setup->ntls > 0 &&
	    tls_setup(&w->conf.tls, certs, isolated ? NULL : keys, setup->ntls,
		&why) == -1)
		fatalx("TLS: %s", why);
	if (setup->ntls > 0)
		log_debug(
		    "TLS: %u certificate%s, keys %s; files go out with %s",
		    setup->ntls, plural(setup->ntls),
		    isolated ? "in the key process" : "here",
		    ktls_available() ? "sendfile() through kTLS"
				     : "SSL_write() (the kernel has no kTLS)");
	ipc_tls_free(certs, setup->ntls);
	ipc_tls_free(keys, setup->ntls);
}

void
runtime_init(struct worker *w, const char *mpm)
{
	static struct ipc_msg msg;
	struct ipc_setup setup;
	struct ipc_hello hello;

	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->accept_lock, NULL);
	w->mpm = mpm;
	if ((w->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		fatal("eventfd");
	w->channel = IPC_CHANNEL_FD;
	log_init(mpm, STDERR_FILENO, LOG_LVL_INFO);
	/* sendfile() has no MSG_NOSIGNAL: a vanished client must not kill us.
	 */
	signal(SIGPIPE, SIG_IGN);
	child_require_channel(IPC_CHANNEL_FD);
	child_require_unprivileged();
	memset(&hello, 0, sizeof(hello));
	hello.version = IPC_VERSION;
	hello.pid = (uint32_t)getpid();
	strncpy(hello.mpm, mpm, sizeof(hello.mpm) - 1);
	if (ipc_send(w->channel, IPC_HELLO, &hello, sizeof(hello), NULL, 0) ==
	    -1)
		fatal("sending HELLO");
	recv_setup(w, &setup);
	recv_config(w, &setup);
	recv_tls(w, &setup, &msg);
	take_fds(w, &setup, &msg);
	w->ctx.conf = &w->conf;
	w->ctx.accesslog = &w->accesslog;
	w->ctx.graceful = &w->graceful;
	w->ctx.handoff = &w->handoff;
	w->ctx.sb = w->sb;
	w->ctx.sb_all = w->sb_all;
	w->sb->generation = w->generation;
	sb_set_state(w->sb, SB_STARTING);
	if (sandbox_worker() == -1 && errno != ENOSYS)
		fatal("seccomp: the worker's filter");
}
