/*
 * `mpmctl upgrade` (or SIGUSR2), seen from the master being replaced: it
 * starts the mpmd installed at its own path with every listening socket
 * and the control socket, tells it what must outlive it, and waits. Only
 * when the new master serves does this one let go: it stops answering the
 * control socket, names the new pid to systemd, drains its workers (their
 * idle keep-alive connections go to the new master) and exits. Until
 * then nothing here has changed, so any failure of the new binary leaves
 * this master serving as before, and mpmctl is told why.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/version.h"
#include "master/master.h"
#include "protocol/upgrade.h"

#define UPGRADE_HELLO_MS 5000      /* from fork to the new master's HELLO */
#define UPGRADE_READY_MS 30000     /* from STATE to READY: a whole start */
#define UPGRADE_GONE_MS  1000      /* its socket closed, its exit not reaped */
#define UPGRADE_TAKEN_MS 5000      /* from RELEASE to the new master's TAKEN */
#define UPGRADE_SNDBUF   (8 << 20) /* handed-over connections in flight */

static void upgrade_on_message(evutil_socket_t fd, short what, void *arg);
static void upgrade_note_gone(struct master *m);
static void upgrade_unconfirmed(struct master *m, const char *what);

static void
upgrade_arm(struct master *m, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_add(m->upgrade.ev_timeout, &tv);
}

/* Whatever the upgrade holds; the new master, if still alive, is killed. */
static void
upgrade_reset(struct master *m)
{
	struct upgrade *u = &m->upgrade;

	if (u->pid > 0 && u->phase != UPG_HANDED_OVER)
		master_signal(u->pid, SIGKILL);
	if (u->ev_read != NULL)
		event_free(u->ev_read);
	if (u->ev_timeout != NULL)
		event_free(u->ev_timeout);
	if (u->fd != -1)
		close(u->fd);
	u->ev_read = u->ev_timeout = NULL;
	u->fd = -1;
	u->phase = UPG_IDLE;
	u->gone = false;
}

static void upgrade_fail(struct master *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
upgrade_fail(struct master *m, const char *fmt, ...)
{
	char why[UPGRADE_TEXT_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_msg(LOG_LVL_ERROR,
	    "upgrade to %s failed: %s; still serving as mpmd %s, pid %ld",
	    m->self_path, why, mpmd_version(), (long)getpid());
	control_reply(m->upgrade.client, false,
	    "upgrade failed: %s; still serving as mpmd %s, pid %ld", why,
	    mpmd_version(), (long)getpid());
	m->upgrade.client = -1;
	upgrade_reset(m);
}

static void
upgrade_on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;

	if (m->upgrade.phase == UPG_HANDED_OVER) {
		if (m->upgrade.awaiting_taken)
			upgrade_unconfirmed(
			    m, "did not confirm it serves within 5 s");
		return;
	}
	if (m->upgrade.gone) {
		upgrade_fail(
		    m, "the new mpmd closed its socket before it served");
		return;
	}
	upgrade_fail(m, "%s within %d s",
	    m->upgrade.phase == UPG_SPAWNED ? "the new mpmd did not say HELLO"
					    : "the new mpmd was not serving",
	    (m->upgrade.phase == UPG_SPAWNED ? UPGRADE_HELLO_MS
					     : UPGRADE_READY_MS) /
		1000);
}

/*
 * In the child: listeners on fds 3.. (systemd's LISTEN_FDS convention,
 * which the new master adopts as it would from systemd), then the
 * control socket, then its end of the upgrade socket; nothing else open.
 */
static void __attribute__((noreturn)) upgrade_exec(struct master *m, int sock)
{
	int src[MASTER_MAX_LISTENERS + 2], tmp[MASTER_MAX_LISTENERS + 2];
	size_t i, n = 0;
	char num[16];
	int first = 3;

	for (i = 0; i < m->nlisteners; i++)
		src[n++] = m->listeners[i].fd;
	src[n++] = m->ctl_fd;
	src[n++] = sock;
	for (i = 0; i < n; i++)
		if ((tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, first + (int)n)) ==
		    -1)
			_exit(126);
	for (i = 0; i < n; i++)
		if (dup2(tmp[i], first + (int)i) == -1)
			_exit(126);
	close_range((unsigned)first + (unsigned)n, ~0u, 0);
	signal(SIGPIPE, SIG_DFL);
	snprintf(num, sizeof(num), "%ld", (long)getpid());
	setenv("LISTEN_PID", num, 1);
	snprintf(num, sizeof(num), "%zu", m->nlisteners);
	setenv("LISTEN_FDS", num, 1);
	snprintf(num, sizeof(num), "%d", first + (int)n - 2);
	setenv(UPGRADE_ENV_CONTROL, num, 1);
	snprintf(num, sizeof(num), "%d", first + (int)n - 1);
	setenv(UPGRADE_ENV_FD, num, 1);
	execl(m->self_path, "mpmd", "-f", m->conf_path, (char *)NULL);
	_exit(127);
}

static const char *
upgrade_refusal(const struct master *m)
{
	if (m->stopping)
		return "mpmd is stopping";
	if (m->upgrade.phase != UPG_IDLE)
		return "an upgrade is already under way";
	if (m->successor.fd != -1 && !m->successor.released)
		return "this master is itself still taking over";
	if (m->reload.active)
		return "a reload is under way; try again when it has finished";
	if (m->self_path == NULL)
		return "the master does not know its own path";
	if (access(m->self_path, X_OK) == -1)
		return strerror(errno);
	return NULL;
}

void
upgrade_begin(struct master *m, int client)
{
	struct upgrade *u = &m->upgrade;
	const char *refused = upgrade_refusal(m);
	int sv[2], size = UPGRADE_SNDBUF;

	if (refused != NULL) {
		log_msg(LOG_LVL_ERROR, "upgrade to %s refused: %s",
		    m->self_path != NULL ? m->self_path : "?", refused);
		control_reply(client, false, "upgrade refused: %s: %s",
		    m->self_path != NULL ? m->self_path : "?", refused);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		control_reply(
		    client, false, "upgrade: socketpair: %s", strerror(errno));
		return;
	}
	if (setsockopt(
		sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) == -1)
		(void)setsockopt(
		    sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	log_notice("upgrade: starting %s to replace mpmd %s, pid %ld",
	    m->self_path, mpmd_version(), (long)getpid());
	if ((u->pid = fork()) == 0)
		upgrade_exec(m, sv[1]);
	close(sv[1]);
	u->fd = sv[0];
	u->client = client;
	u->began = master_now();
	u->phase = UPG_SPAWNED;
	u->ev_read = event_new(
	    m->base, u->fd, EV_READ | EV_PERSIST, upgrade_on_message, m);
	u->ev_timeout = evtimer_new(m->base, upgrade_on_timeout, m);
	if (u->pid == -1 || u->ev_read == NULL || u->ev_timeout == NULL ||
	    event_add(u->ev_read, NULL) == -1) {
		upgrade_fail(m, "cannot start it: %s", strerror(errno));
		return;
	}
	upgrade_arm(m, UPGRADE_HELLO_MS);
}

static void
upgrade_send_state(struct master *m, const struct upgrade_hello *hello)
{
	struct upgrade *u = &m->upgrade;
	struct upgrade_state st;
	uint32_t i;

	if (hello->pid != (uint32_t)u->pid) {
		upgrade_fail(m,
		    "HELLO from pid %u, but the new mpmd is pid %ld",
		    hello->pid, (long)u->pid);
		return;
	}
	snprintf(u->version, sizeof(u->version), "%.*s",
	    (int)strnlen(hello->version, sizeof(hello->version)),
	    hello->version);
	memset(&st, 0, sizeof(st));
	st.next_gen = m->next_gen;
	st.flags = m->foreground ? UPGRADE_FOREGROUND : 0;
	st.started_wall = m->started_wall;
	st.handoffs = m->handoffs;
	st.nticket = m->tickets.ring.n;
	for (i = 0; i < st.nticket && i < UPGRADE_TICKETS; i++)
		memcpy(st.tickets[i], &m->tickets.ring.keys[i],
		    UPGRADE_TICKET_SIZE);
	if (carry_send(m, u->fd) == -1 ||
	    upgrade_send(u->fd, UPGRADE_STATE, &st, sizeof(st), -1) == -1) {
		upgrade_fail(m, "sending it the state: %s", strerror(errno));
		explicit_bzero(&st, sizeof(st));
		return;
	}
	explicit_bzero(&st, sizeof(st));
	u->phase = UPG_STARTING;
	upgrade_arm(m, UPGRADE_READY_MS);
}

/*
 * The new master serves: this one stops taking requests on the control
 * socket (its file stays, the new master answers on it now), lets go of
 * the listening sockets, and drains its workers.
 */
static void
upgrade_hand_over(struct master *m, const char *what)
{
	struct upgrade *u = &m->upgrade;

	control_hand_over(m);
	notify_systemd("MAINPID=%ld\nSTATUS=upgraded to mpmd %s, pid %ld",
	    (long)u->pid, u->version, (long)u->pid);
	if (upgrade_send(u->fd, UPGRADE_RELEASE, NULL, 0, -1) == -1)
		log_warn("upgrade: telling pid %ld to take over", (long)u->pid);
	u->phase = UPG_HANDED_OVER;
	u->awaiting_taken = true;
	snprintf(u->text, sizeof(u->text), "%s", what);
	upgrade_arm(m, UPGRADE_TAKEN_MS);
	master_retire(m);
}

/* TAKEN: mpmctl is told once the new master answers it and PidFile. */
static void
upgrade_taken(struct master *m)
{
	struct upgrade *u = &m->upgrade;
	long long took = (long long)(master_now() - u->began);

	event_del(u->ev_timeout);
	log_notice(
	    "upgrade: mpmd %s, pid %ld handed over to mpmd %s, pid %ld in %lld ms: %s",
	    mpmd_version(), (long)getpid(), u->version, (long)u->pid, took,
	    u->text);
	control_reply(u->client, true,
	    "upgraded: mpmd %s, pid %ld -> mpmd %s, pid %ld in %lld ms: %s",
	    mpmd_version(), (long)getpid(), u->version, (long)u->pid, took,
	    u->text);
	u->client = -1;
	u->awaiting_taken = false;
	master_maintain(m, false); /* drained already: exit now */
}

/* Handed over, and the new master went quiet or away: say so, only. */
static void
upgrade_unconfirmed(struct master *m, const char *what)
{
	struct upgrade *u = &m->upgrade;

	log_msg(LOG_LVL_ERROR,
	    "upgrade: mpmd %s, pid %ld, was handed over but %s; this master drains and exits",
	    u->version, (long)u->pid, what);
	control_reply(u->client, false,
	    "upgrade: mpmd %s, pid %ld, was handed over but %s; see %s",
	    u->version, (long)u->pid, what, m->errorlog_path);
	u->client = -1;
	u->awaiting_taken = false;
	master_maintain(m, false);
}

static void
upgrade_after_hand_over(struct master *m, int r, const struct upgrade_msg *msg)
{
	struct upgrade *u = &m->upgrade;

	if (r == 1 && msg->h.type == UPGRADE_TAKEN && u->awaiting_taken) {
		upgrade_taken(m);
		return;
	}
	if (r == 1 || (r == -1 && errno == EAGAIN)) {
		log_warnx("upgrade: unexpected %s from pid %ld",
		    upgrade_type_name(msg->h.type), (long)u->pid);
		return;
	}
	/* It went; what it does is its own business now. */
	if (u->awaiting_taken)
		upgrade_unconfirmed(m, "closed its socket before confirming");
	event_del(u->ev_read);
	event_del(u->ev_timeout);
	close(u->fd);
	u->fd = -1;
}

/* READY's or FAILED's text, as a string. */
static const char *
upgrade_text(struct upgrade_msg *msg)
{
	static char text[UPGRADE_TEXT_MAX + 1];

	memcpy(text, msg->payload, msg->h.len);
	text[msg->h.len] = '\0';
	return text;
}

static void
upgrade_on_message(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;
	struct upgrade *u = &m->upgrade;
	static struct upgrade_msg msg;
	int r;

	if ((r = upgrade_recv(fd, &msg)) == -1 && errno == EAGAIN)
		return;
	if (u->phase == UPG_HANDED_OVER)
		upgrade_after_hand_over(m, r, &msg);
	else if (r == 1 && msg.h.type == UPGRADE_HELLO &&
		 u->phase == UPG_SPAWNED)
		upgrade_send_state(m, (const void *)msg.payload);
	else if (r == 1 && msg.h.type == UPGRADE_READY &&
		 u->phase == UPG_STARTING)
		upgrade_hand_over(m, upgrade_text(&msg));
	else if (r == 1 && msg.h.type == UPGRADE_FAILED)
		upgrade_fail(m, "%s", upgrade_text(&msg));
	else if (r == -1 && errno == EPROTO)
		upgrade_fail(m,
		    "the new mpmd speaks upgrade protocol %u, this one %u: stop this one and start the new one instead",
		    msg.h.version, UPGRADE_VERSION);
	else if (r == 0)
		upgrade_note_gone(m);
	else
		upgrade_fail(m, "protocol error: %s%s%s",
		    r == 1 ? "unexpected " : strerror(errno),
		    r == 1 ? upgrade_type_name(msg.h.type) : "",
		    r == 1 ? " message" : "");
}

/* Its socket closed before it served: its exit status says more. */
static void
upgrade_note_gone(struct master *m)
{
	event_del(m->upgrade.ev_read);
	upgrade_arm(m, UPGRADE_GONE_MS);
	m->upgrade.gone = true;
}

bool
upgrade_child_exited(struct master *m, pid_t pid, int status)
{
	struct upgrade *u = &m->upgrade;
	char why[128];

	if (u->pid <= 0 || pid != u->pid)
		return false;
	u->pid = 0;
	proc_describe_exit(status, why, sizeof(why));
	if (u->phase == UPG_HANDED_OVER && u->awaiting_taken)
		upgrade_unconfirmed(m, why);
	else if (u->phase == UPG_HANDED_OVER)
		log_warnx("the new master, pid %ld, %s", (long)pid, why);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		upgrade_fail(m, "cannot execute %s", m->self_path);
	else if (u->phase != UPG_IDLE)
		upgrade_fail(m, "the new mpmd %s before it served", why);
	return true;
}

/* A draining worker's idle connection, for a worker of the new master. */
bool
upgrade_forward(
    struct master *m, int fd, const struct ipc_conn *c, const uint8_t *bytes)
{
	static struct {
		struct upgrade_conn h;
		uint8_t bytes[UPGRADE_READ_MAX];
	} out;
	struct upgrade *u = &m->upgrade;

	if (u->phase != UPG_HANDED_OVER || u->fd == -1 ||
	    c->nread > sizeof(out.bytes) || c->peerlen > sizeof(out.h.peer))
		return false;
	out.h.nreq = c->nreq;
	out.h.peerlen = c->peerlen;
	memcpy(out.h.peer, c->peer, sizeof(out.h.peer));
	out.h.nread = c->nread;
	memcpy(out.bytes, bytes, c->nread);
	return upgrade_send(u->fd, UPGRADE_CONN, &out, sizeof(out.h) + c->nread,
		   fd) == 0;
}

bool
upgrade_confirming(const struct master *m)
{
	return m->upgrade.phase == UPG_HANDED_OVER && m->upgrade.awaiting_taken;
}

bool
upgrade_takes_connections(const struct master *m)
{
	return m->upgrade.phase == UPG_HANDED_OVER && m->upgrade.fd != -1;
}

void
upgrade_free(struct master *m)
{
	upgrade_reset(m); /* a successor it handed over to is not killed */
}
