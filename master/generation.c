/*
 * A generation: one parsed config with everything opened for it (the
 * worker binary, the DocumentRoot, the access log), the identity its
 * workers take, and its bookkeeping. Creating one is where a reload can
 * still fail without anything having changed.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/xmalloc.h"
#include "master/master.h"

#define ACCESSLOG_MODE    0640
#define ADOPT_QUEUE_BYTES (4 << 20) /* connections handed over at once */

static int
gen_identity(struct master *m, struct generation *g, char **cause)
{
	if (!m->as_root) {
		g->uid = g->key_uid = getuid();
		g->gid = g->key_gid = getgid();
		return 0;
	}
	if (conf_identity(&g->conf, &g->uid, &g->gid, cause) == -1)
		return -1;
	if (!conf_keys_isolated(&g->conf))
		return 0;
	return conf_key_identity(&g->conf, &g->key_uid, &g->key_gid, cause);
}

static int
open_fail(char **cause, const char *failed, const char *what, const char *path)
{
	xasprintf(cause, "%s %s %s: %s", failed, what, path, strerror(errno));
	return -1;
}

/* An executable regular file, opened O_PATH for execveat(). */
static int
open_binary(const char *path, const char *what, int *fd, char **cause)
{
	struct stat st;

	if ((*fd = open(path, O_PATH | O_CLOEXEC)) == -1)
		return open_fail(cause, "cannot open", what, path);
	if (fstat(*fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 0111) == 0) {
		errno = EACCES;
		return open_fail(cause, "cannot execute", what, path);
	}
	return 0;
}

/* The key process comes from WorkerDir, beside the MPMs. */
static int
open_keys_binary(struct generation *g, char **cause)
{
	char *path;
	int r;

	if (!g->tls_isolated)
		return 0;
	path = conf_path_join(g->conf.worker_dir, PROC_KEYS_NAME);
	r = open_binary(path, "the key process", &g->keys_binary_fd, cause);
	free(path);
	return r;
}

/*
 * The generation's adopt queue (see IPC_FDS_FIXED): the master writes,
 * workers only read. Its send buffer holds a burst of connections.
 */
static int
gen_open_adopt_queue(struct generation *g, char **cause)
{
	int size = ADOPT_QUEUE_BYTES;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
		0, g->adopt) == -1) {
		xasprintf(cause, "adopt queue: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(g->adopt[0], SOL_SOCKET, SO_SNDBUFFORCE, &size,
		sizeof(size)) == -1)
		(void)setsockopt(
		    g->adopt[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	/* Workers cannot write into it: the master never reads its end. */
	(void)shutdown(g->adopt[0], SHUT_RD);
	return 0;
}

static int
gen_open_files(struct generation *g, char **cause)
{
	if (open_binary(g->conf.mpm_path, "MPM binary", &g->binary_fd, cause) ==
		-1 ||
	    tls_generation_load(g, cause) == -1 ||
	    open_keys_binary(g, cause) == -1)
		return -1;
	g->docroot_fd =
	    open(g->conf.document_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (g->docroot_fd == -1)
		return open_fail(cause, "cannot open", "DocumentRoot",
		    g->conf.document_root);
	g->accesslog_fd = open(g->conf.custom_log,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    ACCESSLOG_MODE);
	if (g->accesslog_fd == -1)
		return open_fail(
		    cause, "cannot open", "CustomLog", g->conf.custom_log);
	return gen_open_adopt_queue(g, cause);
}

void
generation_free(struct generation *g)
{
	if (g->binary_fd != -1)
		close(g->binary_fd);
	if (g->keys_binary_fd != -1)
		close(g->keys_binary_fd);
	tls_generation_free(g);
	if (g->docroot_fd != -1)
		close(g->docroot_fd);
	if (g->accesslog_fd != -1)
		close(g->accesslog_fd);
	if (g->adopt[0] != -1)
		close(g->adopt[0]);
	if (g->adopt[1] != -1)
		close(g->adopt[1]);
	free(g->config_text);
	free(g->fail_reason);
	conf_free(&g->conf);
	free(g);
}

/* Takes CONF over (it is moved into the generation). */
struct generation *
generation_new(struct master *m, struct conf *conf, char **cause)
{
	struct generation *g = xcalloc(1, sizeof(*g));

	g->conf = *conf;
	memset(conf, 0, sizeof(*conf));
	g->binary_fd = g->docroot_fd = g->accesslog_fd = g->keys_binary_fd = -1;
	g->adopt[0] = g->adopt[1] = -1;
	if (gen_identity(m, g, cause) == -1 || gen_open_files(g, cause) == -1 ||
	    listeners_open(m, &g->conf, cause) == -1) {
		generation_free(g);
		return NULL;
	}
	listeners_bind(m, g);
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
generation_mpm(const struct generation *g)
{
	return g->conf.mpm;
}

struct generation *
generation_active(const struct master *m)
{
	struct generation *g;

	TAILQ_FOREACH (g, &m->gens, entry)
		if (g->state == GEN_ACTIVE)
			return g;
	return NULL;
}

bool
generation_has_ready(const struct master *m, const struct generation *g,
    const struct proc *except)
{
	const struct proc *p;

	TAILQ_FOREACH (p, &m->procs, entry)
		if (p->gen == g && p != except && !p->keys &&
		    p->state == PROC_READY)
			return true;
	return false;
}

bool
generation_listed(const struct generation *g)
{
	return g->state != GEN_DRAINING || g->nprocs > 0;
}

bool
generation_crashing(const struct generation *g, int64_t now)
{
	return g->crash.count > 0 &&
	       now - g->crash.last <= MASTER_CRASH_FORGET_MS;
}

const char *
generation_state(const struct generation *g)
{
	static const char *const names[] = {
		[GEN_STARTING] = "starting",
		[GEN_ACTIVE] = "active",
		[GEN_DRAINING] = "draining",
	};

	return names[g->state];
}
