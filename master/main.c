/*
 * mpmd: the privileged master. Parses and validates the config, binds the
 * ports, opens logs, the DocumentRoot and the worker binary, then runs
 * generations of unprivileged worker processes.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "master/listen.h"
#include "master/master.h"
#include "master/privdrop.h"
#include "protocol/ipc.h"
#include "lib/ktls.h"
#include "lib/sandbox.h"
#include "lib/log.h"
#include "lib/version.h"
#include "lib/xmalloc.h"

#define ERRORLOG_MODE 0640

struct options {
	const char *conf_path;
	bool foreground;
	bool test_only;
	const char *signal_verb;
};

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr,
	    "usage: mpmd [-f FILE] [-D FOREGROUND] [-t] [-V] [-k start|stop|restart|graceful|graceful-stop|upgrade]\n");
	exit(1);
}

static void
print_version(void)
{
	printf("mpmd version %s\n", mpmd_version());
	printf("protocol:    ipc version %d\n", IPC_VERSION);
	printf("build:       %s\n", MPMD_BUILD_OPTIONS);
	printf("TLS:         %s; kTLS %s\n", OpenSSL_version(OPENSSL_VERSION),
	    ktls_available()
		? "available: files go out with sendfile() through the kernel"
		: "not in this kernel (no tls ULP): files go out with SSL_write()");
	printf("seccomp:     %s\n", sandbox_describe());
	printf("WorkerDir:   %s\n", MPMD_WORKER_DIR);
	printf("ServerRoot:  %s\n", MPMD_SERVER_ROOT);
	printf("config file: %s\n", MPMD_CONF_FILE);
	/* what an empty config uses; relative paths are under ServerRoot */
	printf("defaults:    DocumentRoot %s\n", MPMD_DEFAULT_DOCROOT);
	printf("defaults:    DirectoryIndex %s\n", MPMD_DEFAULT_INDEX);
	printf("defaults:    TypesConfig %s\n", MPMD_DEFAULT_TYPES);
	printf("defaults:    ErrorLog %s/error.log\n", MPMD_DEFAULT_LOGDIR);
	printf("defaults:    CustomLog %s/access.log\n", MPMD_DEFAULT_LOGDIR);
	printf("defaults:    PidFile %s/mpmd.pid\n", MPMD_DEFAULT_RUNDIR);
	printf(
	    "defaults:    ControlSocket %s/mpmd.sock\n", MPMD_DEFAULT_RUNDIR);
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->conf_path = MPMD_CONF_FILE;
	while ((ch = getopt(argc, argv, "f:D:tVk:h")) != -1) {
		switch (ch) {
		case 'f':
			o->conf_path = optarg;
			break;
		case 'D':
			if (strcmp(optarg, "FOREGROUND") != 0) {
				fprintf(
				    stderr, "mpmd: unknown -D %s\n", optarg);
				usage();
			}
			o->foreground = true;
			break;
		case 't':
			o->test_only = true;
			break;
		case 'V':
			print_version();
			exit(0);
		case 'k':
			o->signal_verb = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
}

/* fds 0-2 must be open before anything else is, or they get reused. */
static int
ensure_std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1 && fd <= 2)
		if (fcntl(fd, F_SETFD, 0) == -1)
			return -1;
	return fd;
}

static const struct {
	const char *verb;
	int sig;
} signal_verbs[] = {
	{ "stop", SIGTERM },
	{ "restart", SIGHUP },
	{ "graceful", SIGUSR1 },
	{ "graceful-stop", SIGWINCH },
	{ "upgrade", SIGUSR2 },
};

/* -k VERB other than start: signal the running master through PidFile. */
static int
signal_master(const struct conf *conf, const char *verb)
{
	size_t i;
	pid_t pid;

	for (i = 0; i < sizeof(signal_verbs) / sizeof(signal_verbs[0]); i++)
		if (strcmp(verb, signal_verbs[i].verb) == 0)
			break;
	if (i == sizeof(signal_verbs) / sizeof(signal_verbs[0]))
		usage();
	if (pidfile_read(conf->pid_file, &pid) == -1) {
		fprintf(stderr, "mpmd: no running master: cannot read %s\n",
		    conf->pid_file);
		return 1;
	}
	if (kill(pid, signal_verbs[i].sig) == -1) {
		fprintf(
		    stderr, "mpmd: kill %ld: %s\n", (long)pid, strerror(errno));
		return 1;
	}
	return 0;
}

static int
open_error_log(const char *path)
{
	return open(path,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    ERRORLOG_MODE);
}

static void
daemonize(void)
{
	pid_t pid;

	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid != 0)
		_exit(0);
	if (setsid() == -1)
		fatal("setsid");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid != 0)
		_exit(0);
	if (chdir("/") == -1)
		fatal("chdir /");
}

static void
redirect_stdio(int devnull)
{
	if (dup2(devnull, STDIN_FILENO) == -1 ||
	    dup2(devnull, STDOUT_FILENO) == -1 ||
	    dup2(devnull, STDERR_FILENO) == -1)
		fatal("dup2 /dev/null");
}

static void
announce(const struct master *m, const struct generation *g)
{
	char addrs[256] = "";
	size_t i;

	for (i = 0; i < m->nlisteners; i++) {
		if (i > 0)
			strncat(addrs, " ", sizeof(addrs) - strlen(addrs) - 1);
		strncat(addrs, m->listeners[i].addr.text,
		    sizeof(addrs) - strlen(addrs) - 1);
	}
	log_notice("mpmd %s started%s: MPM %s, listening on %s%s",
	    mpmd_version(), m->successor.fd != -1 ? " by an upgrade" : "",
	    g->conf.mpm, addrs,
	    m->as_root ? "" : "; not root: workers keep the master's uid");
	if (m->foreground)
		fprintf(stderr,
		    "mpmd: serving %s on http://%s/ (MPM %s); error log %s\n",
		    g->conf.document_root, m->listeners[0].addr.text,
		    g->conf.mpm, g->conf.error_log);
}

static __attribute__((noreturn)) void
setup_failed(struct master *m, const char *cause)
{
	if (m->successor.fd != -1)
		successor_fail(m, cause);
	fprintf(stderr, "mpmd: %s\n", cause);
	exit(1);
}

/* Where `mpmctl upgrade` finds the new build: the path we were run from. */
static char *
self_path(void)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (n <= 0)
		return NULL;
	path[n] = '\0';
	return xstrdup(path);
}

/* Reloads read the config again after daemonize() moved to "/". */
static char *
absolute_path(const char *path)
{
	char cwd[PATH_MAX], *abs;

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return xstrdup(path);
	xasprintf(&abs, "%s/%s", cwd, path);
	return abs;
}

/*
 * The config, checked; its errors go to stderr and, when an upgrade
 * started us, to the master being replaced, which prints them to mpmctl.
 */
static int
load_config(struct master *m, struct conf *conf, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	int r;

	if (m->successor.fd == -1)
		return conf_load_print(conf, path, stderr);
	if ((out = open_memstream(&text, &len)) == NULL)
		successor_fail(m, "out of memory");
	r = conf_load_print(conf, path, out);
	fclose(out);
	if (r == -1) {
		while (len > 0 && text[len - 1] == '\n')
			text[--len] = '\0';
		successor_fail(m, text);
	}
	free(text);
	return r;
}

/*
 * Workers inherit the most open files the master may have (nginx's
 * worker_rlimit_nofile): systemd's soft limit of 1,024 would otherwise
 * bound every event process at about 500 connections.
 */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("raising the open-file limit to %llu",
		    (unsigned long long)rl.rlim_max);
}

/* Everything that can fail on a bad config fails here, on the terminal. */
static struct generation *
master_setup(struct master *m, struct conf *conf)
{
	struct generation *g;
	char *cause = NULL;
	const char *what;

	m->as_root = geteuid() == 0;
	raise_nofile();
	if (m->started_wall == 0)
		m->started_wall = time(NULL);
	if ((m->errorlog_fd = open_error_log(conf->error_log)) == -1) {
		fprintf(stderr, "mpmd: cannot open ErrorLog %s: %s\n",
		    conf->error_log, strerror(errno));
		exit(1);
	}
	m->errorlog_path = xstrdup(conf->error_log);
	log_set_level(conf->log_level);
	if (listeners_adopt_systemd(m, conf, &cause) == -1 ||
	    scoreboard_create(m, &cause) == -1 ||
	    (m->successor.fd != -1
		    ? successor_adopt_control(m, conf->control_socket, &cause)
		    : control_open(m, conf->control_socket, &cause)) == -1 ||
	    (g = generation_new(m, conf, &cause)) == NULL)
		setup_failed(m, cause);
	if (!m->foreground && m->successor.fd == -1) {
		daemonize();
		redirect_stdio(m->devnull_fd);
	}
	log_set_fd(m->errorlog_fd);
	if ((m->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if (m->successor.fd != -1 ? successor_watch(m) : control_start(m))
		fatalx("cannot watch the control socket");
	if (m->as_root && privdrop_trim_master(&what) == -1)
		fatal("%s", what);
	if (m->successor.fd == -1)
		pidfile_write(m, g->conf.pid_file);
	announce(m, g);
	return g;
}

int
main(int argc, char **argv)
{
	struct generation *g;
	struct options o;
	struct master m;
	struct conf conf;
	int rc;

	master_init(&m);
	if ((m.devnull_fd = ensure_std_fds()) == -1) {
		perror("mpmd: /dev/null");
		return 1;
	}
	log_init("mpmd", STDERR_FILENO, LOG_LVL_INFO);
	parse_options(argc, argv, &o);
	m.foreground = o.foreground;
	if (successor_started() && successor_begin(&m) == -1)
		return 1;
	if (load_config(&m, &conf, o.conf_path) == -1) {
		conf_free(&conf);
		return 1;
	}
	if (o.test_only ||
	    (o.signal_verb != NULL && strcmp(o.signal_verb, "start") != 0)) {
		rc = o.test_only ? (printf("Syntax OK\n"), 0)
				 : signal_master(&conf, o.signal_verb);
		conf_free(&conf);
		return rc;
	}
	m.conf_path = absolute_path(o.conf_path);
	m.self_path = self_path();
	g = master_setup(&m, &conf);
	master_run(&m, g);
	pidfile_remove(&m);
	log_notice("mpmd exiting");
	control_reply(m.stop_client, true, "mpmd stopped");
	master_free(&m);
	return m.start_failed ? 1 : 0;
}
