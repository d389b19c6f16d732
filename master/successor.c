/*
 * The new master's side of an upgrade: started by the old one with its
 * listening sockets (as systemd would pass them), its control socket and
 * an upgrade socket. It says HELLO, takes the state that must outlive the
 * old master, starts its first generation like any start, and reports
 * READY or FAILED. It answers mpmctl and writes PidFile only once the old
 * master has let go (RELEASE); after that it adopts the idle connections
 * the old master's draining workers hand over.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <event2/event.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/version.h"
#include "lib/xmalloc.h"
#include "master/master.h"
#include "protocol/upgrade.h"

#define SUCCESSOR_STATE_MS 5000 /* for the old master's STATE */

bool
successor_started(void)
{
	return getenv(UPGRADE_ENV_FD) != NULL;
}

/* The fd an environment variable names: a socket, or -1. */
static int
env_socket(const char *name)
{
	const char *v = getenv(name);
	struct stat st;
	char *end;
	long fd;

	if (v == NULL)
		return -1;
	fd = strtol(v, &end, 10);
	unsetenv(name);
	if (*end != '\0' || fd < 3 || fd > 1024 || fstat((int)fd, &st) == -1 ||
	    !S_ISSOCK(st.st_mode))
		return -1;
	return (int)fd;
}

static void
successor_take_state(struct master *m, const struct upgrade_state *st)
{
	uint32_t i;

	m->next_gen = st->next_gen;
	m->foreground = (st->flags & UPGRADE_FOREGROUND) != 0;
	m->started_wall = (time_t)st->started_wall;
	m->handoffs = st->handoffs;
	m->tickets.ring.n =
	    st->nticket < UPGRADE_TICKETS ? st->nticket : UPGRADE_TICKETS;
	for (i = 0; i < m->tickets.ring.n; i++)
		memcpy(&m->tickets.ring.keys[i], st->tickets[i],
		    sizeof(m->tickets.ring.keys[i]));
}

static int
successor_wait_state(struct master *m)
{
	struct pollfd pfd = { m->successor.fd, POLLIN, 0 };
	static struct upgrade_msg msg;
	int64_t deadline = mono_ms_precise() + SUCCESSOR_STATE_MS, left;
	struct upgrade_state st;
	int r;

	/* COUNTERS and the RELOADs (from a master that sends them), STATE */
	for (;;) {
		if ((left = deadline - mono_ms_precise()) <= 0 ||
		    poll(&pfd, 1, (int)left) != 1)
			return -1;
		if ((r = upgrade_recv(m->successor.fd, &msg)) != 1)
			return -1;
		if (msg.h.type == UPGRADE_STATE)
			break;
		if (carry_take(m, &msg) == -1)
			return -1;
	}
	memcpy(&st, msg.payload, sizeof(st)); /* the payload is unaligned */
	successor_take_state(m, &st);
	explicit_bzero(&st, sizeof(st));
	explicit_bzero(&msg, sizeof(msg));
	return 0;
}

/*
 * Before the config is read, so that its errors reach the old master.
 * -1: not started as a proper successor (the message is on stderr).
 */
int
successor_begin(struct master *m)
{
	struct upgrade_hello hello;

	m->successor.ctl_fd = env_socket(UPGRADE_ENV_CONTROL);
	if ((m->successor.fd = env_socket(UPGRADE_ENV_FD)) == -1 ||
	    m->successor.ctl_fd == -1) {
		fprintf(stderr,
		    "mpmd: %s and %s must name the sockets an upgrade passes\n",
		    UPGRADE_ENV_FD, UPGRADE_ENV_CONTROL);
		return -1;
	}
	m->successor.old_pid = getppid();
	memset(&hello, 0, sizeof(hello));
	hello.pid = (uint32_t)getpid();
	snprintf(hello.version, sizeof(hello.version), "%s", mpmd_version());
	if (upgrade_send(m->successor.fd, UPGRADE_HELLO, &hello, sizeof(hello),
		-1) == -1 ||
	    successor_wait_state(m) == -1) {
		fprintf(
		    stderr, "mpmd: no state from the master being upgraded\n");
		return -1;
	}
	return 0;
}

void
successor_fail(struct master *m, const char *text)
{
	size_t n = strlen(text);

	fprintf(stderr, "mpmd: %s\n", text);
	if (n > UPGRADE_TEXT_MAX)
		n = UPGRADE_TEXT_MAX;
	(void)upgrade_send(m->successor.fd, UPGRADE_FAILED, text, n, -1);
	exit(1);
}

/*
 * The control socket the old master listens on, when the config still
 * names it; otherwise one of our own at the new path.
 */
int
successor_adopt_control(struct master *m, const char *path, char **cause)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	int fd = m->successor.ctl_fd;

	m->successor.ctl_fd = -1;
	memset(&sun, 0, sizeof(sun));
	if (getsockname(fd, (struct sockaddr *)&sun, &len) == 0 &&
	    strncmp(sun.sun_path, path, sizeof(sun.sun_path)) == 0) {
		m->ctl_fd = fd;
		m->ctl_path = xstrdup(path);
		return 0;
	}
	close(fd);
	return control_open(m, path, cause);
}

bool
successor_waiting(const struct master *m)
{
	return m->successor.fd != -1 && !m->successor.released;
}

void
successor_report(struct master *m, bool ok, const char *text)
{
	size_t n = strlen(text);

	if (!successor_waiting(m))
		return;
	if (n > UPGRADE_TEXT_MAX)
		n = UPGRADE_TEXT_MAX;
	if (upgrade_send(m->successor.fd, ok ? UPGRADE_READY : UPGRADE_FAILED,
		text, n, -1) == -1)
		log_warn("upgrade: telling the old master (pid %ld)",
		    (long)m->successor.old_pid);
}

static const struct generation *
successor_active(const struct master *m)
{
	const struct generation *g = generation_active(m);

	return g != NULL ? g : TAILQ_FIRST(&m->gens);
}

/* The old master let go, or went: this one answers mpmctl from now on. */
static void
successor_take_over(struct master *m, bool released)
{
	const struct generation *g = successor_active(m);

	m->successor.released = true;
	if (control_start(m) == -1)
		log_warnx("upgrade: cannot watch the control socket");
	if (g != NULL)
		pidfile_write(m, g->conf.pid_file);
	if (released)
		log_notice(
		    "upgrade: took over from pid %ld as mpmd %s, pid %ld",
		    (long)m->successor.old_pid, mpmd_version(), (long)getpid());
	else
		log_warnx(
		    "upgrade: the old master (pid %ld) went away before it let go; serving on",
		    (long)m->successor.old_pid);
	notify_systemd("READY=1\nSTATUS=mpmd %s, pid %ld, serving",
	    mpmd_version(), (long)getpid());
	if (released &&
	    upgrade_send(m->successor.fd, UPGRADE_TAKEN, NULL, 0, -1) == -1)
		log_warn("upgrade: confirming to pid %ld",
		    (long)m->successor.old_pid);
}

static void
successor_on_message(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;
	static struct upgrade_msg msg;
	const struct upgrade_conn *c = (const void *)msg.payload;
	int r;

	if ((r = upgrade_recv(fd, &msg)) == -1 && errno == EAGAIN)
		return;
	if (r == 1 && msg.h.type == UPGRADE_RELEASE && !m->successor.released)
		successor_take_over(m, true);
	else if (r == 1 && msg.h.type == UPGRADE_CONN && m->successor.released)
		handoff_adopt(m, msg.fd, c, msg.payload + sizeof(*c));
	else if (r == 1) {
		log_warnx("upgrade: unexpected %s from the old master",
		    upgrade_type_name(msg.h.type));
		if (msg.fd != -1)
			close(msg.fd);
	} else {
		if (r == -1)
			log_warn("upgrade: the old master's socket");
		else
			log_info("upgrade: the old master, pid %ld, is done",
			    (long)m->successor.old_pid);
		if (!m->successor.released)
			successor_take_over(m, false);
		successor_free(m);
	}
}

int
successor_watch(struct master *m)
{
	m->successor.ev = event_new(m->base, m->successor.fd,
	    EV_READ | EV_PERSIST, successor_on_message, m);
	if (m->successor.ev == NULL || event_add(m->successor.ev, NULL) == -1)
		return -1;
	return 0;
}

void
successor_free(struct master *m)
{
	if (m->successor.ev != NULL)
		event_free(m->successor.ev);
	m->successor.ev = NULL;
	if (m->successor.fd != -1)
		close(m->successor.fd);
	m->successor.fd = -1;
	if (m->successor.ctl_fd != -1)
		close(m->successor.ctl_fd);
	m->successor.ctl_fd = -1;
}
