/*
 * The master's event loop: signals, the maintenance tick, generations and
 * the listening sockets they share. The master serves no HTTP.
 */
#include "config.h"

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
#include "protocol/log.h"
#include "protocol/xmalloc.h"

#define ACCESSLOG_MODE 0640

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
master_open_listeners(struct master *m, const struct conf *conf,
    char **cause)
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
		fd = listen_open(&conf->listen[i], (int)conf->listen_backlog,
		    cause);
		if (fd == -1)
			return -1;
		m->listeners[m->nlisteners].fd = fd;
		m->listeners[m->nlisteners].addr = conf->listen[i];
		m->nlisteners++;
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
		xasprintf(cause, "refusing to run workers as root (User %s, "
		    "Group %s)", g->conf.user, g->conf.group);
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
		return open_fail(cause, "cannot open MPM binary",
		    g->conf.mpm_path);
	if (fstat(g->binary_fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 0111) == 0) {
		errno = EACCES;
		return open_fail(cause, "MPM binary is not executable",
		    g->conf.mpm_path);
	}
	g->docroot_fd = open(g->conf.document_root,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (g->docroot_fd == -1)
		return open_fail(cause, "cannot open DocumentRoot",
		    g->conf.document_root);
	g->accesslog_fd = open(g->conf.custom_log, O_WRONLY | O_APPEND |
	    O_CREAT | O_CLOEXEC | O_NOFOLLOW, ACCESSLOG_MODE);
	if (g->accesslog_fd == -1)
		return open_fail(cause, "cannot open CustomLog",
		    g->conf.custom_log);
	return 0;
}

static void
gen_bind_listeners(struct master *m, struct generation *g)
{
	size_t i;
	int k;

	g->nlisten = 0;
	for (i = 0; i < g->conf.nlisten; i++)
		if ((k = listener_find(m, &g->conf.listen[i])) != -1)
			g->listen_fds[g->nlisten++] = m->listeners[k].fd;
}

static bool
mpm_is_prefork(const struct conf *conf)
{
	const char *slash = strrchr(conf->mpm_path, '/');
	const char *name = slash != NULL ? slash + 1 : conf->mpm_path;

	return strcmp(conf->mpm, "prefork") == 0 ||
	    strcmp(name, "mpm-prefork") == 0;
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
	if (gen_identity(m, g, cause) == -1 ||
	    gen_open_files(g, cause) == -1 ||
	    master_open_listeners(m, &g->conf, cause) == -1) {
		gen_free(g);
		return NULL;
	}
	gen_bind_listeners(m, g);
	g->config_text = conf_serialize(&g->conf, &g->config_len);
	g->prefork = mpm_is_prefork(&g->conf);
	g->spawn_rate = 1;
	g->id = ++m->next_gen;
	g->state = GEN_ACTIVE;
	g->started = master_now();
	TAILQ_INSERT_TAIL(&m->gens, g, entry);
	return g;
}

static void
master_maintain(struct master *m)
{
	struct generation *g, *next;

	proc_reap(m);
	proc_check_deadlines(m);
	for (g = TAILQ_FIRST(&m->gens); g != NULL; g = next) {
		next = TAILQ_NEXT(g, entry);
		pool_maintain(m, g);
		if (g->state == GEN_DRAINING && g->nprocs == 0) {
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
	master_maintain(arg);
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
	    graceful ? "draining workers, then exiting" :
	    "stopping workers now");
	m->stopping = true;
	master_close_listeners(m);
	TAILQ_FOREACH(g, &m->gens, entry)
		g->state = GEN_DRAINING;
	TAILQ_FOREACH(p, &m->procs, entry)
		proc_send_stop(m, p, graceful);
	master_maintain(m);
}

static void
master_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct master *m = arg;

	switch (sig) {
	case SIGCHLD:
		master_maintain(m);
		break;
	case SIGTERM:
	case SIGINT:
		master_stop(m, false);
		break;
	case SIGWINCH:
		master_stop(m, true);
		break;
	case SIGHUP:
	case SIGUSR1:
		log_warnx("signal %d: restarts are not implemented yet", sig);
		break;
	}
}

static const int master_signals[] = {
	SIGCHLD, SIGTERM, SIGINT, SIGWINCH, SIGHUP, SIGUSR1,
};

void
master_run(struct master *m)
{
	struct timeval tick = { MASTER_TICK_MS / 1000, 0 };
	struct event *ev[sizeof(master_signals) / sizeof(master_signals[0])];
	struct generation *g;
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		ev[i] = evsignal_new(m->base, master_signals[i],
		    master_on_signal, m);
		if (ev[i] == NULL || event_add(ev[i], NULL) == -1)
			fatalx("cannot watch signal %d", master_signals[i]);
	}
	m->ev_tick = event_new(m->base, -1, EV_PERSIST, master_on_tick, m);
	if (m->ev_tick == NULL || event_add(m->ev_tick, &tick) == -1)
		fatalx("cannot start the maintenance timer");
	TAILQ_FOREACH(g, &m->gens, entry)
		pool_maintain(m, g);
	event_base_dispatch(m->base);
	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		event_free(ev[i]);
	event_free(m->ev_tick);
}
