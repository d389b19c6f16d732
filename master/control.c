/*
 * The control socket: mpmctl connects, sends one CTL_REQUEST and gets one
 * CTL_REPLY when the outcome is known (a graceful restart answers once the
 * new generation is ready or has failed; a stop once the master exits).
 * Only root and the master's own uid may connect (SO_PEERCRED).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "master/master.h"
#include "protocol/ctl.h"
#include "protocol/ipc.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define CONTROL_BACKLOG         16
#define CONTROL_REQUEST_TIMEOUT 5 /* seconds for a client to ask */
#define CONTROL_SEND_TIMEOUT    2 /* ... and to take each packet of a reply */
#define CONTROL_SOCKET_MODE     0600

struct control_client {
	struct master *m;
	int fd;
	struct event *ev;
};

void
control_send(int client, bool ok, const char *text, size_t len)
{
	static struct {
		struct ctl_reply hdr;
		char text[IPC_MAX_PAYLOAD - sizeof(struct ctl_reply)];
	} reply;
	size_t n, off = 0;

	if (client < 0)
		return;
	do {
		n = len - off < sizeof(reply.text) ? len - off
						   : sizeof(reply.text);
		reply.hdr.ok = ok;
		reply.hdr.more = off + n < len;
		memcpy(reply.text, text + off, n);
		if (ipc_send(client, IPC_CTL_REPLY, &reply,
			sizeof(reply.hdr) + n, NULL, 0) == -1) {
			if (errno != EPIPE)
				log_warn("answering on the control socket");
			break;
		}
		off += n;
	} while (off < len);
	close(client);
}

void
control_reply(int client, bool ok, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int n;

	if (client < 0)
		return;
	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		control_send(client, false, "out of memory for the answer",
		    strlen("out of memory for the answer"));
	else
		control_send(client, ok, text, (size_t)n);
	free(text);
}

/* Adds CLIENT (-1: a signal, nobody to answer) to W; false when full. */
bool
waiters_add(struct waiters *w, int client)
{
	if (client == -1)
		return true;
	if (w->n == MASTER_WAITERS)
		return false;
	w->fd[w->n++] = client;
	return true;
}

void
waiters_answer(struct waiters *w, bool ok, const char *text)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		control_reply(w->fd[i], ok, "%s", text);
	w->n = 0;
}

static void
control_dispatch(struct master *m, int fd, const struct ctl_request *req)
{
	char *cause = NULL;
	int verb = (int)req->verb;

	switch (verb) {
	case CTL_STATUS:
		if (req->flags & CTL_F_STARTED)
			startwait_add(m, fd);
		else
			report_status(m, fd, (req->flags & CTL_F_JSON) != 0);
		break;
	case CTL_GRACEFUL:
	case CTL_RESTART:
		reload_begin(m, verb, fd);
		break;
	case CTL_STOP:
	case CTL_GRACEFUL_STOP:
		if (m->stopping) {
			control_reply(fd, false, "mpmd is already stopping");
			break;
		}
		m->stop_client = fd;
		master_stop(m, verb == CTL_GRACEFUL_STOP);
		break;
	case CTL_UPGRADE:
		upgrade_begin(m, fd);
		break;
	case CTL_REOPEN_LOGS:
		if (logs_reopen(m, fd, &cause) == -1)
			control_reply(fd, false, "%s", cause);
		free(cause);
		break;
	default:
		control_reply(fd, false, "unknown request %d", verb);
		break;
	}
}

static void
control_on_request(evutil_socket_t fd, short what, void *arg)
{
	struct control_client *c = arg;
	struct ctl_request req;
	struct ipc_msg *msg;
	const char *cause = "timed out";
	struct master *m = c->m;
	int r = -1;

	event_free(c->ev);
	free(c);
	if ((msg = malloc(sizeof(*msg))) == NULL) {
		close(fd);
		return;
	}
	if ((what & EV_READ) &&
	    (r = ipc_recv(fd, IPC_FROM_CLIENT, msg, &cause)) == 1) {
		ipc_msg_close_fds(msg);
		memset(&req, 0, sizeof(req)); /* the flags may be left out */
		memcpy(&req, msg->payload,
		    msg->len < sizeof(req) ? msg->len : sizeof(req));
		free(msg);
		control_dispatch(m, fd, &req);
		return;
	}
	free(msg);
	if (r != 0)
		log_warnx("control socket: %s", cause);
	close(fd);
}

static bool
peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void
control_on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct timeval tv = { CONTROL_REQUEST_TIMEOUT, 0 };
	struct timeval send = { CONTROL_SEND_TIMEOUT, 0 };
	struct master *m = arg;
	struct control_client *c;
	int fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	/* A client that stops reading holds the master this long at most. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send, sizeof(send));
	if (!peer_allowed(fd)) {
		log_warnx(
		    "control socket: refused a peer that is neither root nor uid %ld",
		    (long)geteuid());
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->m = m;
	c->fd = fd;
	c->ev = event_new(m->base, fd, EV_READ, control_on_request, c);
	if (c->ev == NULL || event_add(c->ev, &tv) == -1) {
		close(fd);
		free(c);
	}
}

/* A socket file left by a master that died is removed; a live one stops us. */
static int
control_clear_stale(const char *path, char **cause)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		xasprintf(
		    cause, "ControlSocket %s exists and is not a socket", path);
		return -1;
	}
	if ((fd = ctl_connect(path)) != -1) {
		close(fd);
		xasprintf(
		    cause, "another mpmd answers on ControlSocket %s", path);
		return -1;
	}
	return unlink(path);
}

static int
control_bind(const char *path, char **cause)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd;

	if (ctl_sockaddr(path, &sun) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, CONTROL_SOCKET_MODE) == -1 ||
	    listen(fd, CONTROL_BACKLOG) == -1) {
		close(fd);
		unlink(path);
		return -1;
	}
	(void)cause;
	return fd;
}

int
control_open(struct master *m, const char *path, char **cause)
{
	m->ctl_fd = -1;
	if (control_clear_stale(path, cause) == -1 ||
	    (m->ctl_fd = control_bind(path, cause)) == -1) {
		if (*cause == NULL)
			xasprintf(cause, "ControlSocket %s: %s", path,
			    strerror(errno));
		return -1;
	}
	m->ctl_path = xstrdup(path);
	return 0;
}

int
control_start(struct master *m)
{
	m->ev_ctl = event_new(
	    m->base, m->ctl_fd, EV_READ | EV_PERSIST, control_on_accept, m);
	if (m->ev_ctl == NULL || event_add(m->ev_ctl, NULL) == -1)
		return -1;
	return 0;
}

/* The new master answers on the socket now: its file stays. */
void
control_hand_over(struct master *m)
{
	if (m->ev_ctl != NULL)
		event_free(m->ev_ctl);
	m->ev_ctl = NULL;
	if (m->ctl_fd != -1)
		close(m->ctl_fd);
	m->ctl_fd = -1;
}

/* Stops taking requests; the path goes so mpmctl sees no master. */
void
control_close(struct master *m)
{
	if (m->ev_ctl != NULL) {
		event_free(m->ev_ctl);
		m->ev_ctl = NULL;
	}
	if (m->ctl_fd != -1) {
		close(m->ctl_fd);
		m->ctl_fd = -1;
		unlink(m->ctl_path);
	}
}
