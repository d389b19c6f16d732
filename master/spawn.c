#include "config.h"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "master/privdrop.h"
#include "master/spawn.h"

#define SPAWN_EXIT_SETUP 126 /* the child failed before exec */
#define SPAWN_FD_SCRATCH 10  /* fds are parked above 0-3 while arranged */

extern char **environ;

/* Only these cross into a worker: the sanitizers' options, and TZ for logs. */
static const char *const spawn_env_keep[] = {
	"ASAN_OPTIONS",
	"UBSAN_OPTIONS",
	"LSAN_OPTIONS",
	"TZ",
};

static void
child_fail(const char *what)
{
	char line[256];
	int n;

	n = snprintf(line, sizeof(line), "mpmd: worker setup: %s: %s\n", what,
	    strerror(errno));
	if (n > 0)
		(void)!write(STDERR_FILENO, line, (size_t)n);
	_exit(SPAWN_EXIT_SETUP);
}

static void
child_reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Parks each source above the target range first so no dup2 clobbers one. */
static void
child_arrange_fds(const struct spawn_args *a, int channel)
{
	int src[4] = { a->devnull_fd, a->devnull_fd, a->errorlog_fd, channel };
	int parked[4], fd;

	for (fd = 0; fd < 4; fd++)
		if ((parked[fd] = fcntl(
			 src[fd], F_DUPFD_CLOEXEC, SPAWN_FD_SCRATCH)) == -1)
			child_fail("parking fds");
	for (fd = 0; fd < 4; fd++)
		if (dup2(parked[fd], fd) == -1)
			child_fail("dup2");
	/* Belt and braces: whatever is not 0-3 does not survive the exec. */
	if (syscall(SYS_close_range, 4U, ~0U, CLOSE_RANGE_CLOEXEC) == -1)
		child_fail("close_range");
}

static int
env_is_kept(const char *entry)
{
	size_t i, n;

	for (i = 0; i < sizeof(spawn_env_keep) / sizeof(spawn_env_keep[0]);
	     i++) {
		n = strlen(spawn_env_keep[i]);
		if (strncmp(entry, spawn_env_keep[i], n) == 0 &&
		    entry[n] == '=')
			return 1;
	}
	return 0;
}

static void
child_exec(const struct spawn_args *a, int binary_fd)
{
	char *argv[] = { (char *)a->argv0, NULL };
	char *envp[sizeof(spawn_env_keep) / sizeof(spawn_env_keep[0]) + 1];
	size_t n = 0;
	char **e;

	for (e = environ; *e != NULL && n + 1 < sizeof(envp) / sizeof(envp[0]);
	     e++)
		if (env_is_kept(*e))
			envp[n++] = *e;
	envp[n] = NULL;
	syscall(SYS_execveat, binary_fd, "", argv, envp, AT_EMPTY_PATH);
	child_fail("execveat");
}

static void
child_main(const struct spawn_args *a, int channel)
{
	const char *what;
	int binary_fd;

	child_reset_signals();
	if ((binary_fd = fcntl(
		 a->binary_fd, F_DUPFD_CLOEXEC, SPAWN_FD_SCRATCH)) == -1)
		child_fail("duplicating the worker binary fd");
	child_arrange_fds(a, channel);
	if (privdrop(a->drop_root, a->uid, a->gid, &what) == -1)
		child_fail(what);
	child_exec(a, binary_fd);
}

pid_t
spawn_worker(const struct spawn_args *a, int *channel)
{
	int sv[2];
	pid_t pid;

	sigset_t all, old;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	/*
	 * Until the child has reset them, the master's libevent handlers are
	 * its handlers too, and would write a signal meant for the child
	 * (the TERM of a failed start) into the master's event loop.
	 */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		child_main(a, sv[1]);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[1]);
	*channel = sv[0];
	return pid;
}
