/*
 * GracefulProbe: before the old generation drains, a real GET of the
 * probe path must be answered 2xx or 3xx by the new generation's
 * workers, once per kind of listener (plain, https). Listeners are
 * shared by both generations, so the probe cannot go through them: the
 * master hands a worker of the new generation one end of a socketpair,
 * as if accepted on such a listener, and speaks HTTP (over TLS for
 * https) on the other.
 */
#include "config.h"

#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/plural.h"
#include "lib/xmalloc.h"
#include "master/master.h"

#define PROBE_TIMEOUT_MS 5000
#define PROBE_KINDS      2   /* plain, https */
#define PROBE_LINE_MAX   256 /* enough of the answer for its status line */
#define PROBE_REQUEST                                                      \
	"GET %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: mpmd-probe\r\n" \
	"Connection: close\r\n\r\n"

struct probe {
	struct probes *all;
	unsigned flags; /* CONF_LISTEN_* it stands for */
	int fd;
	SSL *ssl;
	struct event *ev;
	char *req;
	size_t reqlen, sent;
	short waiting; /* EV_READ or EV_WRITE */
	char resp[PROBE_LINE_MAX];
	size_t resplen;
	int status; /* 0 until the status line came; -1 when it failed */
	const char *why;
};

struct probes {
	struct master *m;
	struct generation *g;
	struct probe p[PROBE_KINDS];
	size_t n;
	int64_t deadline;
	struct event *ev_timeout;
};

static SSL_CTX *probe_tls; /* a client; it needs no verification */

static void probe_on_io(evutil_socket_t fd, short what, void *arg);

/* Waits for WHAT, or what TLS says it needs instead. */
static int
probe_wait(struct probe *p, short what)
{
	if (p->ssl != NULL && SSL_want_read(p->ssl))
		what = EV_READ;
	else if (p->ssl != NULL && SSL_want_write(p->ssl))
		what = EV_WRITE;
	if (what == p->waiting)
		return 0;
	if (p->ev != NULL)
		event_free(p->ev);
	p->waiting = what;
	p->ev = event_new(
	    p->all->m->base, p->fd, what | EV_PERSIST, probe_on_io, p);
	return p->ev != NULL && event_add(p->ev, NULL) == 0 ? 0 : -1;
}

/* The kinds of listener G has: each is probed once. */
static size_t
probe_kinds(const struct generation *g, unsigned *kinds)
{
	size_t i, k, n = 0;
	unsigned f;

	for (i = 0; i < g->conf.nlisten; i++) {
		f = g->conf.listen[i].flags & CONF_LISTEN_HTTPS;
		for (k = 0; k < n && kinds[k] != f; k++)
			;
		if (k == n && n < PROBE_KINDS)
			kinds[n++] = f;
	}
	return n;
}

/* Queues its end for G's workers, as a connection on a FLAGS listener. */
static int
probe_adopt(const struct generation *g, int fd, unsigned flags)
{
	struct ipc_conn h;

	memset(&h, 0, sizeof(h));
	h.flags = flags;
	return ipc_send(g->adopt[0], IPC_ADOPT, &h, sizeof(h), &fd, 1);
}

static int
probe_open(struct probes *ps, struct probe *p, unsigned flags)
{
	int sv[2];

	p->all = ps;
	p->flags = flags;
	p->fd = -1;
	p->reqlen = (size_t)xasprintf(
	    &p->req, PROBE_REQUEST, ps->g->conf.graceful_probe);
	if (!generation_has_ready(ps->m, ps->g, NULL) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		sv) == -1)
		return -1;
	if (probe_adopt(ps->g, sv[1], flags) == -1) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[1]);
	p->fd = sv[0];
	if ((flags & CONF_LISTEN_HTTPS) &&
	    ((probe_tls == NULL &&
		 (probe_tls = SSL_CTX_new(TLS_client_method())) == NULL) ||
		(p->ssl = SSL_new(probe_tls)) == NULL ||
		SSL_set_fd(p->ssl, p->fd) != 1))
		return -1;
	if (p->ssl != NULL)
		SSL_set_connect_state(p->ssl);
	return probe_wait(p, EV_WRITE);
}

static void
probe_close(struct probe *p)
{
	free(p->req);
	p->req = NULL;
	if (p->ev != NULL)
		event_free(p->ev);
	if (p->ssl != NULL)
		SSL_free(p->ssl);
	if (p->fd != -1)
		close(p->fd);
	p->ev = NULL;
	p->ssl = NULL;
	p->fd = -1;
}

static void
probes_free(struct probes *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		probe_close(&ps->p[i]);
	if (ps->ev_timeout != NULL)
		event_free(ps->ev_timeout);
	free(ps);
}

/* Every probe answered, failed or ran out of time: the reload decides. */
static void
probes_settle(struct probes *ps, bool timed_out)
{
	struct master *m = ps->m;
	struct generation *g = ps->g;
	struct probe *bad = NULL;
	char why[MASTER_RESULT_MAX];
	size_t i;

	for (i = 0; i < ps->n; i++) {
		if (ps->p[i].status == 0 && !timed_out)
			return; /* still waiting */
		if (bad == NULL &&
		    (ps->p[i].status < 200 || ps->p[i].status > 399))
			bad = &ps->p[i];
	}
	if (bad == NULL)
		snprintf(why, sizeof(why), "ok");
	else if (bad->status > 0)
		snprintf(why, sizeof(why),
		    "GracefulProbe GET %s on an %s listener was answered %d",
		    g->conf.graceful_probe,
		    (bad->flags & CONF_LISTEN_HTTPS) ? "https" : "http",
		    bad->status);
	else
		snprintf(why, sizeof(why),
		    "GracefulProbe GET %s on an %s listener: %s",
		    g->conf.graceful_probe,
		    (bad->flags & CONF_LISTEN_HTTPS) ? "https" : "http",
		    bad->why != NULL ? bad->why : "no answer within 5 s");
	m->reload.probes = NULL;
	probes_free(ps);
	reload_probed(m, g, bad == NULL, why);
}

/* The status of a complete "HTTP/1.x NNN ..." line, or 0. */
static int
probe_status(const char *line, size_t len)
{
	int status = 0;

	if (len < 12 || memchr(line, '\n', len) == NULL ||
	    sscanf(line, "HTTP/1.%*1[01] %3d", &status) != 1)
		return 0;
	return status >= 100 && status <= 599 ? status : 0;
}

static ssize_t
probe_io(struct probe *p, bool write, void *buf, size_t n)
{
	int r;

	if (p->ssl == NULL)
		return write ? send(p->fd, buf, n, MSG_NOSIGNAL)
			     : recv(p->fd, buf, n, 0);
	ERR_clear_error();
	r = write ? SSL_write(p->ssl, buf, (int)n)
		  : SSL_read(p->ssl, buf, (int)n);
	if (r > 0)
		return r;
	switch (SSL_get_error(p->ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	default:
		errno = EPROTO;
		return r == 0 ? 0 : -1;
	}
}

static void
probe_fail(struct probe *p, const char *why)
{
	p->status = -1;
	p->why = why;
	probe_close(p);
	probes_settle(p->all, false);
}

static void
probe_on_io(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	ssize_t n;

	while (p->sent < p->reqlen) {
		n = probe_io(p, true, p->req + p->sent, p->reqlen - p->sent);
		if (n == -1 && errno == EAGAIN) {
			(void)probe_wait(p, EV_WRITE);
			return;
		}
		if (n <= 0) {
			probe_fail(p, "the worker closed the connection");
			return;
		}
		p->sent += (size_t)n;
	}
	n = probe_io(
	    p, false, p->resp + p->resplen, sizeof(p->resp) - 1 - p->resplen);
	if (n == -1 && errno == EAGAIN) {
		(void)probe_wait(p, EV_READ);
		return;
	}
	if (n <= 0) {
		probe_fail(p, "no status line before the connection closed");
		return;
	}
	p->resplen += (size_t)n;
	if ((p->status = probe_status(p->resp, p->resplen)) == 0 &&
	    p->resplen < sizeof(p->resp) - 1)
		return;
	if (p->status == 0) {
		probe_fail(p, "no status line in the answer");
		return;
	}
	probe_close(p);
	probes_settle(p->all, false);
}

static void
probes_on_timeout(evutil_socket_t fd, short what, void *arg)
{
	probes_settle(arg, true);
}

int
probe_start(struct master *m, struct generation *g)
{
	struct timeval tv = { PROBE_TIMEOUT_MS / 1000, 0 };
	unsigned kinds[PROBE_KINDS];
	struct probes *ps = xcalloc(1, sizeof(*ps));
	size_t i;

	ps->m = m;
	ps->g = g;
	ps->n = probe_kinds(g, kinds);
	m->reload.probes = ps;
	for (i = 0; i < ps->n; i++)
		if (probe_open(ps, &ps->p[i], kinds[i]) == -1) {
			ps->p[i].status = -1;
			ps->p[i].why = "cannot hand a worker the probe";
			probe_close(&ps->p[i]);
		}
	ps->ev_timeout = evtimer_new(m->base, probes_on_timeout, ps);
	if (ps->ev_timeout == NULL || evtimer_add(ps->ev_timeout, &tv) == -1)
		fatalx("cannot time the probe");
	log_info("generation %u: probing GET %s on %zu kind%s of listener",
	    g->id, g->conf.graceful_probe, ps->n, plural(ps->n));
	probes_settle(ps, false); /* when every one failed at once */
	return 0;
}

void
probe_cancel(struct master *m)
{
	if (m->reload.probes != NULL)
		probes_free(m->reload.probes);
	m->reload.probes = NULL;
}
