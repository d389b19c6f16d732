/*
 * mpmctl: the apachectl-style control tool. It asks the master over the
 * control socket and waits for the outcome; with no control socket it
 * falls back to the signal through PidFile and says it cannot confirm.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
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
	    "graceful-stop|configtest|status|reopen-logs|upgrade\n");
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

/* Sends VERB, waits up to WAIT_MS, prints the answer; the exit status. */
static int
ctl_ask(int fd, int verb, int wait_ms)
{
	struct ctl_request req = { .verb = (uint32_t)verb };
	static struct ipc_msg msg;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct ctl_reply reply;
	const char *cause;
	int r;

	if (ipc_send(fd, IPC_CTL_REQUEST, &req, sizeof(req), NULL, 0) == -1) {
		fprintf(
		    stderr, "mpmctl: sending to mpmd: %s\n", strerror(errno));
		return 1;
	}
	if ((r = poll(&pfd, 1, wait_ms)) <= 0) {
		fprintf(stderr, "mpmctl: %s: no answer from mpmd within %d s\n",
		    ctl_verb_name((unsigned)verb), wait_ms / 1000);
		return 1;
	}
	if ((r = ipc_recv(fd, IPC_FROM_SERVER, &msg, &cause)) != 1) {
		fprintf(stderr, "mpmctl: %s: %s\n",
		    ctl_verb_name((unsigned)verb),
		    r == 0 ? "mpmd closed the connection" : cause);
		return 1;
	}
	memcpy(&reply, msg.payload, sizeof(reply));
	fprintf(reply.ok ? stdout : stderr, "%s%.*s\n",
	    reply.ok ? "" : "mpmctl: failed: ", (int)(msg.len - sizeof(reply)),
	    (const char *)msg.payload + sizeof(reply));
	return reply.ok ? 0 : 1;
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

static int
start(const char *conf_path, const struct conf *conf)
{
	char self[PATH_MAX], *slash;
	int fd, status, waited;
	ssize_t n;
	pid_t pid;

	if ((fd = ctl_connect(conf->control_socket)) != -1) {
		close(fd);
		fprintf(stderr, "mpmctl: mpmd is already running\n");
		return 1;
	}
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
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "mpmctl: mpmd did not start\n");
		return 1;
	}
	for (waited = 0; waited < CTL_START_WAIT_MS;
	     waited += CTL_POLL_STEP_MS) {
		if ((fd = ctl_connect(conf->control_socket)) != -1)
			return ctl_ask(fd, CTL_STATUS, CTL_START_WAIT_MS);
		sleep_ms(CTL_POLL_STEP_MS);
	}
	fprintf(stderr,
	    "mpmctl: mpmd started but its control socket %s never answered; see the error log\n",
	    conf->control_socket);
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
run(const char *path, const char *what, struct conf *conf)
{
	int verb, fd;

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
	return ctl_ask(fd, verb, wait_bound_ms(conf, verb));
}

int
main(int argc, char **argv)
{
	const char *path = MPMD_CONF_FILE;
	struct conf conf;
	int ch, rc;

	log_init("mpmctl", STDERR_FILENO, LOG_LVL_WARN);
	while ((ch = getopt(argc, argv, "f:h")) != -1) {
		if (ch != 'f')
			usage();
		path = optarg;
	}
	if (optind + 1 != argc)
		usage();
	rc = run(path, argv[optind], &conf);
	conf_free(&conf);
	return rc;
}
