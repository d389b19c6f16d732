/*
 * The master's event loop: signals, the maintenance tick, generations and
 * the listening sockets they share. The master serves no HTTP.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "master/listen.h"
#include "master/master.h"
#include "protocol/ctl.h"
#include "protocol/ipc.h"
#include "protocol/log.h"
#include "protocol/xmalloc.h"

#define ACCESSLOG_MODE 0640
#define ERRORLOG_MODE  0640

int64_t
master_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
listener_find(const struct master *m, const struct conf_listen *l)
{
	size_t i;

	for (i = 0; i < m->nlisteners; i++)
		if (m->listeners[i].addr.addrlen == l->addrlen &&
		    memcmp(&m->listeners[i].addr.addr, &l->addr, l->addrlen) ==
			0)
			return (int)i;
	return -1;
}

/* Binds every Listen of CONF that the master does not hold yet. */
int
master_open_listeners(struct master *m, const struct conf *conf, char **cause)
{
	size_t i;
	int fd;

	for (i = 0; i < conf->nlisten; i++) {
		if (listener_find(m, &conf->listen[i]) != -1)
			continue;
		if (m->nlisteners == MASTER_MAX_LISTENERS) {
			xasprintf(cause, "too many listening sockets");
			return -1;
		}
		fd = listen_open(
		    &conf->listen[i], (int)conf->listen_backlog, cause);
		if (fd == -1)
			return -1;
		m->listeners[m->nlisteners].fd = fd;
		m->listeners[m->nlisteners].addr = conf->listen[i];
		m->nlisteners++;
	}
	return 0;
}

#define SD_LISTEN_FDS_START 3

static int
adopt_one(struct master *m, const struct conf *conf, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	size_t i;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	for (i = 0; i < conf->nlisten; i++) {
		if (conf->listen[i].addrlen != len ||
		    memcmp(&conf->listen[i].addr, &ss, len) != 0)
			continue;
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
		    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
		    listen_tune(fd) == -1)
			return -1;
		m->listeners[m->nlisteners].fd = fd;
		m->listeners[m->nlisteners].addr = conf->listen[i];
		m->nlisteners++;
		log_info(
		    "adopted socket %s from systemd", conf->listen[i].text);
		return 0;
	}
	return -1;
}

/*
 * Socket activation: LISTEN_FDS sockets from fd 3 on, for this pid. Each
 * must match a Listen line; others are closed and named in the log.
 */
int
listen_adopt_systemd(struct master *m, const struct conf *conf, char **cause)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	long n, i;

	if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != getpid())
		return 0;
	n = strtol(fds, NULL, 10);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (n < 0 || n > CONF_MAX_LISTEN) {
		xasprintf(cause, "LISTEN_FDS=%s is out of range", fds);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (adopt_one(m, conf, SD_LISTEN_FDS_START + (int)i) == 0)
			continue;
		log_warnx("systemd passed fd %ld, which matches no Listen "
			  "line: closing it",
		    SD_LISTEN_FDS_START + i);
		close(SD_LISTEN_FDS_START + (int)i);
	}
	return 0;
}

static int
gen_identity(struct master *m, struct generation *g, char **cause)
{
	struct passwd *pw;
	struct group *gr;

	if (!m->as_root) {
		g->uid = getuid();
		g->gid = getgid();
		return 0;
	}
	if ((pw = getpwnam(g->conf.user)) == NULL) {
		xasprintf(cause, "User %s: no such user", g->conf.user);
		return -1;
	}
	if ((gr = getgrnam(g->conf.group)) == NULL) {
		xasprintf(cause, "Group %s: no such group", g->conf.group);
		return -1;
	}
	if (pw->pw_uid == 0 || gr->gr_gid == 0) {
		xasprintf(cause,
		    "refusing to run workers as root (User %s, "
		    "Group %s)",
		    g->conf.user, g->conf.group);
		return -1;
	}
	g->uid = pw->pw_uid;
	g->gid = gr->gr_gid;
	return 0;
}

static int
open_fail(char **cause, const char *what, const char *path)
{
	xasprintf(cause, "%s %s: %s", what, path, strerror(errno));
	return -1;
}

static int
gen_open_files(struct generation *g, char **cause)
{
	struct stat st;

	g->binary_fd = open(g->conf.mpm_path, O_PATH | O_CLOEXEC);
	if (g->binary_fd == -1)
		return open_fail(
		    cause, "cannot open MPM binary", g->conf.mpm_path);
	if (fstat(g->binary_fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 0111) == 0) {
		errno = EACCES;
		return open_fail(
		    cause, "MPM binary is not executable", g->conf.mpm_path);
	}
	g->docroot_fd =
	    open(g->conf.document_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (g->docroot_fd == -1)
		return open_fail(
		    cause, "cannot open DocumentRoot", g->conf.document_root);
	g->accesslog_fd = open(g->conf.custom_log,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    ACCESSLOG_MODE);
	if (g->accesslog_fd == -1)
		return open_fail(
		    cause, "cannot open CustomLog", g->conf.custom_log);
	return 0;
}

void
master_bind_generation(struct master *m, struct generation *g)
{
	size_t i;
	int k;

	g->nlisten = 0;
	for (i = 0; i < g->conf.nlisten; i++)
		if ((k = listener_find(m, &g->conf.listen[i])) != -1)
			g->listen_fds[g->nlisten++] = m->listeners[k].fd;
}

static void
gen_free(struct generation *g)
{
	if (g->binary_fd != -1)
		close(g->binary_fd);
	if (g->docroot_fd != -1)
		close(g->docroot_fd);
	if (g->accesslog_fd != -1)
		close(g->accesslog_fd);
	free(g->config_text);
	free(g->fail_reason);
	conf_free(&g->conf);
	free(g);
}

/* Takes CONF over (it is moved into the generation). */
struct generation *
master_generation_new(struct master *m, struct conf *conf, char **cause)
{
	struct generation *g = xcalloc(1, sizeof(*g));

	g->conf = *conf;
	memset(conf, 0, sizeof(*conf));
	g->binary_fd = g->docroot_fd = g->accesslog_fd = -1;
	if (gen_identity(m, g, cause) == -1 || gen_open_files(g, cause) == -1 ||
	    master_open_listeners(m, &g->conf, cause) == -1) {
		gen_free(g);
		return NULL;
	}
	master_bind_generation(m, g);
	g->config_text = conf_serialize(&g->conf, &g->config_len);
	g->prefork = conf_mpm_is_prefork(&g->conf);
	g->spawn_rate = 1;
	g->id = ++m->next_gen;
	g->state = GEN_STARTING;
	g->started = master_now();
	g->started_wall = time(NULL);
	TAILQ_INSERT_TAIL(&m->gens, g, entry);
	return g;
}

const char *
master_gen_mpm(const struct generation *g)
{
	return g->conf.mpm;
}

static bool
listener_in_use(const struct master *m, const struct listener *l)
{
	const struct generation *g;
	size_t i;

	TAILQ_FOREACH (g, &m->gens, entry) {
		if (g->state == GEN_DRAINING)
			continue;
		for (i = 0; i < g->conf.nlisten; i++)
			if (g->conf.listen[i].addrlen == l->addr.addrlen &&
			    memcmp(&g->conf.listen[i].addr, &l->addr.addr,
				l->addr.addrlen) == 0)
				return true;
	}
	return false;
}

/*
 * A Listen dropped from the config: the master lets go of its socket.
 * Draining workers keep their own copies until they exit.
 */
void
master_close_unused_listeners(struct master *m)
{
	size_t i = 0;

	while (i < m->nlisteners) {
		if (listener_in_use(m, &m->listeners[i])) {
			i++;
			continue;
		}
		log_notice(
		    "no longer listening on %s", m->listeners[i].addr.text);
		close(m->listeners[i].fd);
		m->listeners[i] = m->listeners[--m->nlisteners];
	}
}

/* Reopens PATH onto the error log's fd number, so every holder follows. */
static int
reopen_onto(int fd, const char *path, mode_t mode)
{
	int nfd = open(
	    path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);

	if (nfd == -1)
		return -1;
	if (dup3(nfd, fd, O_CLOEXEC) == -1) {
		close(nfd);
		return -1;
	}
	close(nfd);
	return 0;
}

void
master_switch_error_log(struct master *m, const char *path)
{
	if (m->errorlog_path != NULL && strcmp(m->errorlog_path, path) == 0)
		return;
	if (reopen_onto(m->errorlog_fd, path, ERRORLOG_MODE) == -1) {
		log_warn("cannot switch the error log to %s", path);
		return;
	}
	free(m->errorlog_path);
	m->errorlog_path = xstrdup(path);
}

static void
send_reopen(struct master *m, const struct generation *g)
{
	int fds[2] = { m->errorlog_fd, g->accesslog_fd };
	struct proc *p;

	TAILQ_FOREACH (p, &m->procs, entry)
		if (p->gen == g && p->channel != -1 &&
		    (p->state == PROC_READY || p->state == PROC_DRAINING) &&
		    ipc_send(p->channel, IPC_REOPEN_LOGS, NULL, 0, fds, 2) ==
			-1)
			log_warn(
			    "sending REOPEN_LOGS to pid %ld", (long)p->pid);
}

/* After logrotate renamed the files: reopen them and pass them on. */
int
master_reopen_logs(struct master *m, char **cause)
{
	struct generation *g;

	if (reopen_onto(m->errorlog_fd, m->errorlog_path, ERRORLOG_MODE) ==
	    -1) {
		xasprintf(cause, "cannot reopen ErrorLog %s: %s",
		    m->errorlog_path, strerror(errno));
		return -1;
	}
	TAILQ_FOREACH (g, &m->gens, entry) {
		if (reopen_onto(g->accesslog_fd, g->conf.custom_log,
			ACCESSLOG_MODE) == -1) {
			xasprintf(cause, "cannot reopen CustomLog %s: %s",
			    g->conf.custom_log, strerror(errno));
			return -1;
		}
		send_reopen(m, g);
	}
	log_notice("logs reopened");
	return 0;
}

/*
 * Reaps, checks deadlines and the reload in progress, drops drained
 * generations. Pool sizing happens only on the tick (TICK), never per
 * exit, so retiring one idle process cannot set off the next at once.
 */
void
master_maintain(struct master *m, bool tick)
{
	struct generation *g, *next;

	proc_reap(m);
	proc_check_deadlines(m);
	reload_check(m);
	for (g = TAILQ_FIRST(&m->gens); g != NULL; g = next) {
		next = TAILQ_NEXT(g, entry);
		if (tick)
			pool_maintain(m, g);
		if (g->state != GEN_DRAINING || g->nprocs > 0)
			continue;
		if (!g->drained) {
			log_info("generation %u finished draining", g->id);
			g->drained = true;
		}
		/* The previous generation stays, on hold for a rollback. */
		if (g != m->reload.gen && g != m->previous) {
			TAILQ_REMOVE(&m->gens, g, entry);
			gen_free(g);
		}
	}
	if (m->stopping && TAILQ_EMPTY(&m->procs))
		event_base_loopexit(m->base, NULL);
}

static void
master_on_tick(evutil_socket_t fd, short what, void *arg)
{
	reload_end_probation(arg);
	master_maintain(arg, true);
}

/* Workers hold their own copies: the port closes once they stop too. */
static void
master_close_listeners(struct master *m)
{
	size_t i;

	for (i = 0; i < m->nlisteners; i++)
		close(m->listeners[i].fd);
	m->nlisteners = 0;
}

void
master_stop(struct master *m, bool graceful)
{
	struct generation *g;
	struct proc *p;

	log_notice("%s: %s", graceful ? "graceful-stop" : "stop",
	    graceful ? "draining workers, then exiting"
		     : "stopping workers now");
	if (m->reload.active) {
		control_reply(m->reload.client, false, "mpmd is stopping");
		m->reload.active = false;
		m->reload.gen = NULL;
	}
	notify_systemd("STOPPING=1");
	m->stopping = true;
	m->previous = NULL;
	master_close_listeners(m);
	control_close(m);
	TAILQ_FOREACH (g, &m->gens, entry)
		g->state = GEN_DRAINING;
	TAILQ_FOREACH (p, &m->procs, entry)
		proc_send_stop(m, p, graceful);
	master_maintain(m, false);
}

/* Everything left once the loop is over, for a leak-free exit. */
void
master_free(struct master *m)
{
	struct generation *g;

	while ((g = TAILQ_FIRST(&m->gens)) != NULL) {
		TAILQ_REMOVE(&m->gens, g, entry);
		gen_free(g);
	}
	if (m->base != NULL)
		event_base_free(m->base);
	free(m->pid_file);
	free(m->ctl_path);
	free(m->errorlog_path);
}

static void
master_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct master *m = arg;

	switch (sig) {
	case SIGCHLD:
		master_maintain(m, false);
		break;
	case SIGTERM:
	case SIGINT:
		master_stop(m, false);
		break;
	case SIGWINCH:
		master_stop(m, true);
		break;
	case SIGHUP:
		reload_begin(m, CTL_RESTART, -1);
		break;
	case SIGUSR1:
		reload_begin(m, CTL_GRACEFUL, -1);
		break;
	}
}

static const int master_signals[] = {
	SIGCHLD,
	SIGTERM,
	SIGINT,
	SIGWINCH,
	SIGHUP,
	SIGUSR1,
};

void
master_run(struct master *m, struct generation *first)
{
	struct timeval tick = { MASTER_TICK_MS / 1000, 0 };
	struct event *ev[sizeof(master_signals) / sizeof(master_signals[0])];
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		ev[i] = evsignal_new(
		    m->base, master_signals[i], master_on_signal, m);
		if (ev[i] == NULL || event_add(ev[i], NULL) == -1)
			fatalx("cannot watch signal %d", master_signals[i]);
	}
	m->ev_tick = event_new(m->base, -1, EV_PERSIST, master_on_tick, m);
	if (m->ev_tick == NULL || event_add(m->ev_tick, &tick) == -1)
		fatalx("cannot start the maintenance timer");
	reload_launch(m, first, 0, -1);
	event_base_dispatch(m->base);
	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		event_free(ev[i]);
	event_free(m->ev_tick);
}
