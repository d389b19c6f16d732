/*
 * The channel to each worker. Writes are queued and leave as the socket
 * takes them, so the master never blocks on a worker: one that leaves
 * its channel unread for PROC_STALL_MS, or lets too much pile up, is
 * killed. Every message a worker sends is checked by ipc_recv() and then
 * against the state we expect; a worker that breaks the protocol is
 * killed, with one log line.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/plural.h"
#include "master/master.h"
#include "protocol/ipc.h"

#define CHANNEL_STALL_MS 2000 /* a queued message may wait this long */
/* What may pile up for one worker: a whole config and then some. */
#define CHANNEL_DRAIN_MAX 4096 /* messages read from an exited worker */
#define CHANNEL_QUEUE_MAX (IPC_MAX_CONFIG + 4 * IPC_MAX_PAYLOAD)

static void channel_on_read(evutil_socket_t fd, short what, void *arg);
static void channel_on_write(evutil_socket_t fd, short what, void *arg);

int
channel_open(struct master *m, struct proc *p)
{
	ipc_queue_init(&p->out);
	if (fcntl(p->channel, F_SETFL, O_NONBLOCK) == -1)
		return -1;
	p->ev_channel = event_new(
	    m->base, p->channel, EV_READ | EV_PERSIST, channel_on_read, p);
	p->ev_write =
	    event_new(m->base, p->channel, EV_WRITE, channel_on_write, p);
	if (p->ev_channel == NULL || p->ev_write == NULL ||
	    event_add(p->ev_channel, NULL) == -1)
		return -1;
	return 0;
}

void
channel_close(struct proc *p)
{
	if (p->ev_channel != NULL)
		event_free(p->ev_channel);
	if (p->ev_write != NULL)
		event_free(p->ev_write);
	p->ev_channel = p->ev_write = NULL;
	ipc_queue_clear(&p->out);
	if (p->channel != -1)
		close(p->channel);
	p->channel = -1;
}

/* Sends what the socket takes; the rest waits for EV_WRITE. */
static void
channel_flush(struct proc *p)
{
	size_t before = p->out.count;
	int r = ipc_queue_flush(&p->out, p->channel);

	if (p->out.count < before)
		p->out_since = master_now();
	if (r == 1 && event_add(p->ev_write, NULL) == 0)
		return;
	if (r == -1 && errno == EPIPE) {
		ipc_queue_clear(&p->out); /* it exited: its status follows */
		return;
	}
	if (r != 0)
		proc_kill(p, "its channel failed");
}

static void
channel_on_write(evutil_socket_t fd, short what, void *arg)
{
	channel_flush(arg);
}

int
channel_send(struct proc *p, enum ipc_type type, const void *payload,
    size_t len, const int *fds, size_t nfds)
{
	char why[96];

	if (p->channel == -1)
		return -1;
	if (p->out.count == 0)
		p->out_since = master_now();
	if (ipc_queue_push(&p->out, type, payload, len, fds, nfds) == -1) {
		log_warn("queueing %s for worker pid %ld", ipc_type_name(type),
		    (long)p->pid);
		proc_kill(p, "cannot queue a message for it");
		return -1;
	}
	if (p->out.bytes > CHANNEL_QUEUE_MAX) {
		snprintf(why, sizeof(why),
		    "does not read its channel (%zu message%s waiting)",
		    p->out.count, plural(p->out.count));
		proc_kill(p, why);
		return -1;
	}
	channel_flush(p);
	return 0;
}

bool
channel_stalled(const struct proc *p, int64_t now)
{
	return p->channel != -1 && p->out.count > 0 &&
	       now - p->out_since >= CHANNEL_STALL_MS;
}

static int
send_config(struct proc *p)
{
	const struct generation *g = p->gen;
	size_t off, n;

	for (off = 0; off < g->config_len; off += n) {
		n = g->config_len - off;
		if (n > IPC_MAX_PAYLOAD)
			n = IPC_MAX_PAYLOAD;
		if (channel_send(
			p, IPC_CONFIG, g->config_text + off, n, NULL, 0) == -1)
			return -1;
	}
	return 0;
}

/* Listeners, docroot, access log, adopt queue, scoreboard, key socket. */
static void
send_fds(struct proc *p, int keys)
{
	const struct generation *g = p->gen;
	int fds[IPC_MAX_LISTEN + IPC_FDS_FIXED + 1];
	size_t n;

	for (n = 0; n < g->nlisten; n++)
		fds[n] = g->listen_fds[n];
	fds[n++] = g->docroot_fd;
	fds[n++] = g->accesslog_fd;
	fds[n++] = g->adopt[1];
	fds[n++] = p->master->sb_fd;
	if (keys != -1)
		fds[n++] = keys;
	channel_send(p, IPC_FDS, NULL, 0, fds, n);
}

/* SETUP, the config, TLS, the fds: all a worker needs, in that order. */
static void
send_handshake(struct proc *p)
{
	const struct generation *g = p->gen;
	struct ipc_setup setup;
	int keys = keys_worker_socket(p->master, p);

	memset(&setup, 0, sizeof(setup));
	setup.slot = p->slot;
	setup.generation = g->id;
	setup.nlisten = (uint32_t)g->nlisten;
	setup.nslots = p->master->nslots;
	setup.config_len = (uint32_t)g->config_len;
	setup.ntls = (uint32_t)g->ntls;
	setup.flags = (keys != -1 ? IPC_SETUP_KEYS_SOCKET : 0) |
		      (p->master->as_root ? IPC_SETUP_NONDUMPABLE : 0);
	if (channel_send(p, IPC_SETUP, &setup, sizeof(setup), NULL, 0) == 0 &&
	    send_config(p) == 0 && tls_send_worker(p->master, p) == 0)
		send_fds(p, keys);
	if (keys != -1)
		close(keys);
}

/* HELLO: check who it claims to be, then hand over config and fds. */
static void
channel_on_hello(struct proc *p, const struct ipc_msg *msg)
{
	struct ipc_hello hello;

	memcpy(&hello, msg->payload, sizeof(hello));
	hello.mpm[sizeof(hello.mpm) - 1] = '\0';
	if (hello.version != IPC_VERSION) {
		log_warnx(
		    "%s pid %ld speaks protocol version %u, this master speaks %u: is %s from another build?",
		    proc_what(p), (long)p->pid, hello.version, IPC_VERSION,
		    p->keys ? PROC_KEYS_NAME : p->gen->conf.mpm_path);
		proc_kill(p, "protocol version mismatch");
		return;
	}
	if ((pid_t)hello.pid != p->pid) {
		proc_kill(p, "HELLO names another pid");
		return;
	}
	p->hello_seen = true;
	if (p->keys)
		keys_on_hello(p);
	else
		send_handshake(p);
}

static void
channel_on_message(struct proc *p, struct ipc_msg *msg)
{
	switch (msg->type) {
	case IPC_HELLO:
		if (p->state == PROC_STARTING && !p->hello_seen)
			channel_on_hello(p, msg);
		else
			proc_kill(p, "unexpected HELLO");
		break;
	case IPC_READY:
		if (p->state != PROC_STARTING || !p->hello_seen) {
			proc_kill(p, "unexpected READY");
			break;
		}
		p->state = PROC_READY;
		p->accepting = true;
		p->deadline = 0;
		log_debug("%s pid %ld ready", proc_what(p), (long)p->pid);
		reload_check(p->master);
		startwait_check(p->master);
		break;
	case IPC_HANDOFF:
		if (p->keys || p->state == PROC_STARTING) {
			ipc_msg_close_fds(msg);
			proc_kill(
			    p, "HANDOFF from a process that serves nobody");
			break;
		}
		handoff_route(p->master, p, msg);
		break;
	case IPC_KEYS_COUNTS:
		/* a key process told to stop may have said it just before */
		if (!p->keys || p->state == PROC_STARTING) {
			proc_kill(
			    p, "KEYS_COUNTS from a process that signs nothing");
			break;
		}
		keys_on_counts(p, msg->payload);
		break;
	case IPC_ACCEPT_STOPPED:
		p->accepting = false;
		reload_check(p->master);
		break;
	case IPC_LOGS_REOPENED:
		if (!p->reopen_pending) {
			proc_kill(p, "LOGS_REOPENED it was not asked for");
			break;
		}
		p->reopen_pending = false;
		logs_check_reopened(p->master);
		break;
	case IPC_FATAL:
		/* Said once, as it exits: a second one is a flood. */
		if (p->fatal_seen) {
			proc_kill(p, "a second FATAL");
			break;
		}
		p->fatal_seen = true;
		log_msg(LOG_LVL_ERROR, "%s pid %ld: %.*s", proc_what(p),
		    (long)p->pid, (int)msg->len, (const char *)msg->payload);
		break;
	default:
		proc_kill(p, "message type not allowed from a worker");
		break;
	}
}

static void
channel_on_read(evutil_socket_t fd, short what, void *arg)
{
	static struct ipc_msg msg; /* the master is single-threaded */
	struct proc *p = arg;
	const char *cause;
	int r;

	r = ipc_recv(fd, IPC_FROM_WORKER, &msg, &cause);
	if (r == -1 && errno == EAGAIN)
		return;
	if (r == -1) {
		proc_kill(p, cause);
		return;
	}
	if (r == 0) {
		channel_close(p); /* its exit status follows via SIGCHLD */
		return;
	}
	if (msg.type != IPC_HANDOFF)
		ipc_msg_close_fds(&msg); /* only a handoff carries one */
	channel_on_message(p, &msg);
}

/*
 * The worker exited: connections it handed over just before, still in
 * its channel, go on to the new generation instead of being dropped
 * with the socket. Nothing else it said matters now; its pid is gone,
 * so nothing here may signal it.
 */
void
channel_drain(struct proc *p)
{
	static struct ipc_msg msg;
	const char *cause;
	int n;

	if (p->channel == -1)
		return;
	for (n = 0; n < CHANNEL_DRAIN_MAX; n++) {
		if (ipc_recv(p->channel, IPC_FROM_WORKER, &msg, &cause) != 1)
			break;
		if (msg.type == IPC_HANDOFF && !p->keys &&
		    p->state != PROC_STARTING)
			handoff_route(p->master, p, &msg);
		else
			ipc_msg_close_fds(&msg);
	}
}
