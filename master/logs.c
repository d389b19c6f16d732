/*
 * The log files the master opens for everyone: its error log (every
 * worker's fd 2 too) and each generation's access log, and reopening
 * them after logrotate renamed them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/plural.h"
#include "lib/xmalloc.h"
#include "master/master.h"
#include "protocol/ipc.h"

#define ACCESSLOG_MODE  0640
#define ERRORLOG_MODE   0640
#define LOGS_CONFIRM_MS 2000 /* for every worker to confirm a reopen */

/*
 * Reopens PATH onto the fd number FD, so the master's own references stay
 * valid. Workers hold copies of the old file: REOPEN_LOGS gives them the
 * new one.
 */
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
logs_switch_error_log(struct master *m, const char *path)
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

	TAILQ_FOREACH (p, &m->procs, entry) {
		if (p->gen != g || p->channel == -1 ||
		    (p->state != PROC_READY && p->state != PROC_DRAINING))
			continue;
		if (channel_send(p, IPC_REOPEN_LOGS, NULL, 0, fds, 2) == 0)
			p->reopen_pending = true;
	}
}

static unsigned
unconfirmed(const struct master *m)
{
	const struct proc *p;
	unsigned n = 0;

	TAILQ_FOREACH (p, &m->procs, entry)
		n += p->reopen_pending && p->channel != -1;
	return n;
}

void
logs_check_reopened(struct master *m)
{
	char text[96];
	unsigned n;

	if (m->reopen_waiters.n == 0)
		return;
	if ((n = unconfirmed(m)) > 0 && master_now() < m->reopen_deadline)
		return;
	if (n == 0)
		snprintf(text, sizeof(text), "logs reopened");
	else
		snprintf(text, sizeof(text),
		    "logs reopened; %u worker%s did not confirm within %d ms",
		    n, plural(n), LOGS_CONFIRM_MS);
	waiters_answer(&m->reopen_waiters, true, text);
}

int
logs_reopen(struct master *m, int client, char **cause)
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
	if (!waiters_add(&m->reopen_waiters, client)) {
		xasprintf(cause, "%d clients already wait for reopen-logs",
		    MASTER_WAITERS);
		return -1;
	}
	m->reopen_deadline = master_now() + LOGS_CONFIRM_MS;
	logs_check_reopened(m);
	return 0;
}
