/*
 * mpmctl: the apachectl-style control tool. It asks the master over the
 * control socket and waits for the outcome; with no control socket it
 * falls back to the signal through PidFile and says it cannot confirm.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "protocol/ctl.h"
#include "protocol/ipc.h"
#include "lib/log.h"

#define CTL_START_WAIT_MS   15000 /* for a started master to answer */
#define CTL_POLL_STEP_MS    100
#define CTL_EXTRA_WAIT_MS   15000 /* on top of the config's own bounds */
#define CTL_UPGRADE_WAIT_MS 45000 /* the master's own bound is 35 s */
#define CTL_READY_WAIT_MS   10000 /* the master's for workers to be ready */
#define CTL_LOG_LINE_MAX    8192

static const struct {
	int verb;
	int sig;
} ctl_signals[] = {
	{ CTL_STOP, SIGTERM },
	{ CTL_RESTART, SIGHUP },
	{ CTL_GRACEFUL, SIGUSR1 },
	{ CTL_GRACEFUL_STOP, SIGWINCH },
	{ CTL_UPGRADE, SIGUSR2 },
};

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr,
	    "usage: mpmctl [-f FILE] start|stop|restart|graceful|"
	    "graceful-stop|configtest|status [--json]|reopen-logs|upgrade\n");
	exit(2);
}

static int
load(const char *path, struct conf *conf, bool say_ok)
{
	int r = conf_load_print(conf, path, stderr);

	if (r == 0 && say_ok)
		printf("Syntax OK\n");
	return r;
}

static void
load_paths(const char *path, struct conf *conf)
{
	struct conf_errors errs;

	conf_init(conf);
	(void)conf_load(conf, path, 0, &errs);
	conf_errors_free(&errs);
}

/* One packet of the answer; -1 (said why) when none came in WAIT_MS. */
static int
ctl_recv(int fd, const char *what, int wait_ms, struct ipc_msg *msg)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	const char *cause;
	int r;

	if (poll(&pfd, 1, wait_ms) <= 0) {
		fprintf(stderr, "mpmctl: %s: no answer from mpmd within %d s\n",
		    what, wait_ms / 1000);
		return -1;
	}
	if ((r = ipc_recv(fd, IPC_FROM_SERVER, msg, &cause)) != 1) {
		fprintf(stderr, "mpmctl: %s: %s\n", what,
		    r == 0 ? "mpmd closed the connection" : cause);
		return -1;
	}
	return 0;
}

/*
 * Sends VERB (with FLAGS), waits up to WAIT_MS for each packet of the
 * answer, prints it; the exit status. WHAT names the command in errors.
 */
static int
ctl_ask_as(int fd, int verb, uint32_t flags, int wait_ms, const char *what)
{
	struct ctl_request req = { .verb = (uint32_t)verb, .flags = flags };
	static struct ipc_msg msg;
	struct ctl_reply reply;
	bool first = true;
	FILE *out = stdout;

	if (ipc_send(fd, IPC_CTL_REQUEST, &req, sizeof(req), NULL, 0) == -1) {
		fprintf(
		    stderr, "mpmctl: sending to mpmd: %s\n", strerror(errno));
		return 1;
	}
	do {
		if (ctl_recv(fd, what, wait_ms, &msg) == -1)
			return -1;
		memcpy(&reply, msg.payload, sizeof(reply));
		out = reply.ok ? stdout : stderr;
		if (first && !reply.ok)
			fputs("mpmctl: failed: ", out);
		fwrite(msg.payload + sizeof(reply), 1, msg.len - sizeof(reply),
		    out);
		first = false;
	} while (reply.more);
	fputc('\n', out);
	return reply.ok ? 0 : 1;
}

static int
ctl_ask(int fd, int verb, uint32_t flags, int wait_ms)
{
	int r =
	    ctl_ask_as(fd, verb, flags, wait_ms, ctl_verb_name((unsigned)verb));

	return r == -1 ? 1 : r;
}

static int
read_pid(const char *path, pid_t *pid)
{
	FILE *f = fopen(path, "re");
	long v = 0;
	int ok;

	if (f == NULL)
		return -1;
	ok = fscanf(f, "%ld", &v) == 1 && v > 1;
	fclose(f);
	*pid = (pid_t)v;
	return ok ? 0 : -1;
}

static int
fallback_signal(const struct conf *conf, int verb)
{
	size_t i;
	pid_t pid;

	for (i = 0; i < sizeof(ctl_signals) / sizeof(ctl_signals[0]); i++)
		if (ctl_signals[i].verb == verb)
			break;
	if (i == sizeof(ctl_signals) / sizeof(ctl_signals[0]) ||
	    read_pid(conf->pid_file, &pid) == -1 || kill(pid, 0) == -1) {
		fprintf(stderr,
		    "mpmctl: mpmd is not running (no control socket at %s, no live pid in %s)\n",
		    conf->control_socket, conf->pid_file);
		return 1;
	}
	if (kill(pid, ctl_signals[i].sig) == -1) {
		fprintf(stderr, "mpmctl: kill %ld: %s\n", (long)pid,
		    strerror(errno));
		return 1;
	}
	printf(
	    "mpmctl: no control socket at %s; sent SIG%s to mpmd pid %ld, but could not confirm the outcome (see the error log)\n",
	    conf->control_socket, sigabbrev_np(ctl_signals[i].sig), (long)pid);
	return 0;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* The size of PATH now: where the lines of this start will begin. */
static off_t
log_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

/*
 * The errors mpmd logged since FROM, the reason it did not come up: its
 * stderr is the error log once it has detached.
 */
static void
print_log_errors(const char *path, off_t from)
{
	char line[CTL_LOG_LINE_MAX], *msg;
	FILE *f = fopen(path, "re");

	if (f == NULL || fseeko(f, from, SEEK_SET) == -1) {
		fprintf(stderr, "mpmctl: see the error log %s\n", path);
		if (f != NULL)
			fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, ":error] ") == NULL &&
		    strstr(line, ":crit] ") == NULL &&
		    strstr(line, ":alert] ") == NULL &&
		    strstr(line, ":emerg] ") == NULL)
			continue;
		msg = strstr(line, "] [pid ");
		msg = msg != NULL ? strstr(msg + 2, "] ") : NULL;
		fprintf(
		    stderr, "mpmctl: start: %s", msg != NULL ? msg + 2 : line);
	}
	fclose(f);
}

/* mpmd itself, whose parent exits once the config and sockets are set. */
static int
spawn_mpmd(const char *conf_path)
{
	char self[PATH_MAX], *slash;
	int status;
	ssize_t n;
	pid_t pid;

	n = readlink("/proc/self/exe", self, sizeof(self) - sizeof("mpmd"));
	if (n <= 0 || (self[n] = '\0', slash = strrchr(self, '/')) == NULL)
		strcpy(self, "mpmd");
	else
		strcpy(slash + 1, "mpmd");
	if ((pid = fork()) == 0) {
		execl(self, "mpmd", "-f", conf_path, (char *)NULL);
		execlp("mpmd", "mpmd", "-f", conf_path, (char *)NULL);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	return 0;
}

/*
 * Starts mpmd and waits, as graceful does, until its first generation
 * serves with all of its StartServers ready; prints what status prints
 * then, or why it did not come up.
 */
static int
start(const char *conf_path, const struct conf *conf)
{
	off_t logged = log_size(conf->error_log);
	int fd, waited, r;

	if ((fd = ctl_connect(conf->control_socket)) != -1) {
		close(fd);
		fprintf(stderr, "mpmctl: mpmd is already running\n");
		return 1;
	}
	if (spawn_mpmd(conf_path) == -1) {
		fprintf(stderr, "mpmctl: mpmd did not start\n");
		return 1;
	}
	for (waited = 0; waited < CTL_START_WAIT_MS;
	     waited += CTL_POLL_STEP_MS) {
		if ((fd = ctl_connect(conf->control_socket)) == -1) {
			sleep_ms(CTL_POLL_STEP_MS);
			continue;
		}
		r = ctl_ask_as(fd, CTL_STATUS, CTL_F_STARTED,
		    CTL_START_WAIT_MS + CTL_READY_WAIT_MS, "start");
		if (r == -1)
			print_log_errors(conf->error_log, logged);
		return r == 0 ? 0 : 1;
	}
	fprintf(stderr,
	    "mpmctl: start: mpmd's control socket %s never answered\n",
	    conf->control_socket);
	print_log_errors(conf->error_log, logged);
	return 1;
}

static int
wait_bound_ms(const struct conf *conf, int verb)
{
	long s = 0;

	if (verb == CTL_UPGRADE)
		return CTL_UPGRADE_WAIT_MS;
	if (verb == CTL_STOP || verb == CTL_GRACEFUL_STOP ||
	    verb == CTL_GRACEFUL || verb == CTL_RESTART)
		s = conf->graceful_shutdown_timeout;
	return (int)(s * 1000) + CTL_EXTRA_WAIT_MS;
}

static int
run(const char *path, const char *what, uint32_t flags, struct conf *conf)
{
	int verb, fd;

	if (flags != 0 && strcmp(what, "status") != 0)
		usage(); /* --json is for status only */
	if (strcmp(what, "configtest") == 0)
		return load(path, conf, true) == 0 ? 0 : 1;
	if (strcmp(what, "start") == 0)
		return load(path, conf, false) == 0 ? start(path, conf) : 1;
	if ((verb = ctl_verb_parse(what)) == -1)
		usage();
	/*
	 * Only the socket and pid file paths are needed here: a config with
	 * errors must not keep status or stop from working, and for graceful
	 * the master's own check is the answer that counts.
	 */
	load_paths(path, conf);
	if ((fd = ctl_connect(conf->control_socket)) == -1) {
		if (verb == CTL_STATUS || verb == CTL_REOPEN_LOGS) {
			fprintf(stderr,
			    "mpmctl: mpmd is not running (no control socket at %s: %s)\n",
			    conf->control_socket, strerror(errno));
			return 1;
		}
		return fallback_signal(conf, verb);
	}
	return ctl_ask(fd, verb, flags, wait_bound_ms(conf, verb));
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = MPMD_CONF_FILE;
	uint32_t flags = 0;
	struct conf conf;
	int ch, rc;

	log_init("mpmctl", STDERR_FILENO, LOG_LVL_WARN);
	while ((ch = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
		if (ch == 'j')
			flags |= CTL_F_JSON;
		else if (ch == 'f')
			path = optarg;
		else
			usage();
	}
	if (optind + 1 != argc)
		usage();
	rc = run(path, argv[optind], flags, &conf);
	conf_free(&conf);
	return rc;
}
