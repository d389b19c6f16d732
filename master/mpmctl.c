/*
 * mpmctl: the apachectl-style control tool. Until the control socket
 * exists, verbs that act on a running master send its signal through
 * PidFile and say that the outcome could not be confirmed.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "protocol/log.h"

static const struct {
	const char *verb;
	int sig;
} ctl_signals[] = {
	{ "stop", SIGTERM },
	{ "restart", SIGHUP },
	{ "graceful", SIGUSR1 },
	{ "graceful-stop", SIGWINCH },
};

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr, "usage: mpmctl [-f FILE] start|stop|restart|graceful|"
	    "graceful-stop|configtest|status|reopen-logs\n");
	exit(2);
}

static int
load(const char *path, struct conf *conf, bool quiet_ok)
{
	struct conf_errors errs;
	size_t i;
	int r;

	memset(&errs, 0, sizeof(errs));
	conf_init(conf);
	r = conf_load(conf, path, 0, &errs);
	for (i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	conf_errors_free(&errs);
	if (r == 0 && !quiet_ok)
		printf("Syntax OK\n");
	return r;
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
send_signal(const struct conf *conf, const char *verb, int sig)
{
	pid_t pid;

	if (read_pid(conf->pid_file, &pid) == -1 || kill(pid, 0) == -1) {
		fprintf(stderr, "mpmctl: mpmd is not running (no live pid in "
		    "%s)\n", conf->pid_file);
		return 1;
	}
	if (kill(pid, sig) == -1) {
		fprintf(stderr, "mpmctl: kill %ld: %s\n", (long)pid,
		    strerror(errno));
		return 1;
	}
	printf("mpmctl: %s: sent SIG%s to mpmd pid %ld; no control socket, "
	    "so the outcome could not be confirmed\n", verb, sigabbrev_np(sig),
	    (long)pid);
	return 0;
}

static int
start(const char *conf_path)
{
	char self[PATH_MAX], *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - sizeof("/mpmd"));
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL)
			strcpy(slash + 1, "mpmd");
		if (access(self, X_OK) == 0)
			execl(self, "mpmd", "-f", conf_path, (char *)NULL);
	}
	execlp("mpmd", "mpmd", "-f", conf_path, (char *)NULL);
	fprintf(stderr, "mpmctl: cannot run mpmd: %s\n", strerror(errno));
	return 1;
}

int
main(int argc, char **argv)
{
	const char *path = MPMD_CONF_FILE, *verb;
	struct conf conf;
	size_t i;
	int ch;

	log_init("mpmctl", STDERR_FILENO, LOG_LVL_WARN);
	while ((ch = getopt(argc, argv, "f:h")) != -1) {
		if (ch != 'f')
			usage();
		path = optarg;
	}
	if (optind + 1 != argc)
		usage();
	verb = argv[optind];
	if (strcmp(verb, "configtest") == 0)
		return load(path, &conf, false) == 0 ? 0 : 1;
	if (load(path, &conf, true) == -1)
		return 1;
	if (strcmp(verb, "start") == 0)
		return start(path);
	for (i = 0; i < sizeof(ctl_signals) / sizeof(ctl_signals[0]); i++)
		if (strcmp(verb, ctl_signals[i].verb) == 0)
			return send_signal(&conf, verb, ctl_signals[i].sig);
	if (strcmp(verb, "status") == 0 || strcmp(verb, "reopen-logs") == 0) {
		fprintf(stderr, "mpmctl: %s needs the control socket, which "
		    "this build does not have yet\n", verb);
		return 1;
	}
	usage();
}
