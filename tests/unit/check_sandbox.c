/*
 * Check suite for lib/sandbox.c: the key process's allowlist and the
 * workers' denylist. Each case forks a child that sets no_new_privs,
 * installs a filter and makes one call: a forbidden call must kill the
 * child with SIGSYS, an allowed one must return. The same call made
 * without the filter returns, so the kill is the filter's.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/sched.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/sandbox.h"
#include "tests/unit/ck.h"

#define EXIT_CALL_FAILED 3 /* the call returned -1, not killed */

typedef long (*call_fn)(void);

static long
call_ptrace(void)
{
	return syscall(SYS_ptrace, 3 /* PTRACE_PEEKUSER */, getppid(), 0, 0);
}
/* Another process of ours: the parent, with signal 0 (no signal). */
static long
call_kill_parent0(void)
{
	return syscall(SYS_kill, getppid(), 0);
}
static long
call_vm_readv(void)
{
	return syscall(SYS_process_vm_readv, getppid(), NULL, 0, NULL, 0, 0);
}
static long
call_pidfd_getfd(void)
{
	return syscall(SYS_pidfd_getfd, -1, 0, 0);
}
static long
call_execve(void)
{
	char *argv[] = { "true", NULL };

	return syscall(SYS_execve, "/nonexistent/true", argv, NULL);
}
static long
call_execveat(void)
{
	char *argv[] = { "true", NULL };

	return syscall(SYS_execveat, -1, "/nonexistent", argv, NULL, 0);
}
static long
call_io_uring(void)
{
	return syscall(SYS_io_uring_setup, 0, NULL);
}
static long
call_bpf(void)
{
	return syscall(SYS_bpf, -1, NULL, 0);
}
static long
call_perf(void)
{
	return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
}
static long
call_keyctl(void)
{
	return syscall(SYS_keyctl, -1, 0, 0, 0, 0);
}
static long
call_mount(void)
{
	return syscall(SYS_mount, "none", "/nonexistent", "tmpfs", 0, NULL);
}
static long
call_unshare(void)
{
	return syscall(SYS_unshare, CLONE_NEWUSER);
}
static long
call_setns(void)
{
	return syscall(SYS_setns, -1, 0);
}
static long
call_userfaultfd(void)
{
	return syscall(SYS_userfaultfd, 0);
}
/* A child in a new user namespace: killed before it exists. */
static long
call_clone_newuser(void)
{
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);

	if (pid == 0)
		_exit(0);
	return pid > 0 ? 0 : -1;
}
static long
call_openat(void)
{
	return syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
}
static long
call_socket(void)
{
	return syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
}
static long
call_kill_self0(void)
{
	return syscall(SYS_kill, getpid(), 0);
}
static long
call_getpid(void)
{
	return syscall(SYS_getpid);
}

/* What the key process does: its sockets, memory, time, randomness. */
static long
call_key_work(void)
{
	int sv[2];
	char b = 'k', got = 0;
	struct timespec ts;
	unsigned char rnd[16];
	void *big;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    sandbox_keys() == -1)
		return -1;
	if (send(sv[0], &b, 1, 0) != 1 || recv(sv[1], &got, 1, 0) != 1 ||
	    got != 'k' || clock_gettime(CLOCK_MONOTONIC, &ts) == -1 ||
	    syscall(SYS_getrandom, rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -1;
	if ((big = malloc(8 << 20)) == NULL)
		return -1;
	memset(big, 1, 8 << 20);
	free(big);
	return close(sv[0]) == 0 && close(sv[1]) == 0 ? 0 : -1;
}

static void *
thread_fn(void *arg)
{
	return arg;
}

/* Threads are still made: clone3 says ENOSYS, glibc falls back on clone. */
static long
call_thread(void)
{
	static int mark;
	pthread_t tid;
	void *out = NULL;

	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		return -1;
	if (pthread_create(&tid, NULL, thread_fn, &mark) != 0 ||
	    pthread_join(tid, &out) != 0 || out != &mark)
		return -1;
	return 0;
}

enum filter { NONE, KEYS, WORKER };

/* CALL in a child under FILTER: its wait status. */
static int
run_confined(enum filter filter, call_fn call)
{
	pid_t pid;
	int status;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
		    (filter == KEYS && sandbox_keys() == -1) ||
		    (filter == WORKER && sandbox_worker() == -1))
			_exit(2);
		_exit(call() == -1 ? EXIT_CALL_FAILED : 0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static void
assert_killed(int status, int line)
{
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
	    "row %d: want SIGSYS, got %s %d", line,
	    WIFSIGNALED(status) ? "signal" : "exit",
	    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

static void
assert_returned(int status, int line)
{
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 2,
	    "row %d: the call did not return (status %#x)", line, status);
}

static const struct {
	int line;
	call_fn call;
	bool sanitizer_needs; /* a sanitizer's leak check uses it */
} worker_rows[] = {
	{ CK_ROW, call_ptrace, true },
	{ CK_ROW, call_kill_parent0, true },
	{ CK_ROW, call_vm_readv, false },
	{ CK_ROW, call_pidfd_getfd, false },
	{ CK_ROW, call_execve, false },
	{ CK_ROW, call_execveat, false },
	{ CK_ROW, call_io_uring, false },
	{ CK_ROW, call_bpf, false },
	{ CK_ROW, call_perf, false },
	{ CK_ROW, call_keyctl, false },
	{ CK_ROW, call_mount, false },
	{ CK_ROW, call_unshare, false },
	{ CK_ROW, call_setns, false },
	{ CK_ROW, call_userfaultfd, false },
	{ CK_ROW, call_clone_newuser, false },
};

START_TEST(test_worker_denies)
{
	if (worker_rows[_i].sanitizer_needs && sandbox_sanitizer_build())
		return; /* allowed there on purpose: see sandbox.h */
	assert_killed(
	    run_confined(WORKER, worker_rows[_i].call), worker_rows[_i].line);
	assert_returned(
	    run_confined(NONE, worker_rows[_i].call), worker_rows[_i].line);
}
END_TEST

static const struct {
	int line;
	call_fn call;
} keys_denied_rows[] = {
	{ CK_ROW, call_openat },
	{ CK_ROW, call_socket },
	{ CK_ROW, call_kill_self0 },
	{ CK_ROW, call_execve },
	{ CK_ROW, call_ptrace },
	{ CK_ROW, call_vm_readv },
	{ CK_ROW, call_io_uring },
	{ CK_ROW, call_clone_newuser },
};

START_TEST(test_keys_deny)
{
	assert_killed(run_confined(KEYS, keys_denied_rows[_i].call),
	    keys_denied_rows[_i].line);
	assert_returned(run_confined(NONE, keys_denied_rows[_i].call),
	    keys_denied_rows[_i].line);
}
END_TEST

START_TEST(test_keys_allow_their_work)
{
	int status = run_confined(NONE, call_key_work);

	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the key process's work under its allowlist: status %#x", status);
	status = run_confined(KEYS, call_getpid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "getpid() under the allowlist: status %#x", status);
}
END_TEST

START_TEST(test_worker_allows_the_rest)
{
	static const call_fn ok[] = { call_openat, call_socket, call_getpid,
		call_thread };
	int status;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		status = run_confined(WORKER, ok[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "allowed call %zu under the worker filter: status %#x", i,
		    status);
	}
}
END_TEST

START_TEST(test_describe)
{
	const char *text = sandbox_describe();

	ck_assert(sandbox_available());
	ck_assert_ptr_nonnull(strstr(text, "workers deny"));
	ck_assert_ptr_nonnull(strstr(text, "key processes allow"));
	ck_assert_uint_gt(sandbox_keys_allowed(), 10);
	ck_assert_uint_gt(sandbox_worker_denied(), 20);
}
END_TEST

#define NROWS(t) ((int)(sizeof(t) / sizeof((t)[0])))

static Suite *
sandbox_suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc;

	tc = tcase_create("worker");
	tcase_add_loop_test(tc, test_worker_denies, 0, NROWS(worker_rows));
	tcase_add_test(tc, test_worker_allows_the_rest);
	suite_add_tcase(s, tc);
	tc = tcase_create("keys");
	tcase_add_loop_test(tc, test_keys_deny, 0, NROWS(keys_denied_rows));
	tcase_add_test(tc, test_keys_allow_their_work);
	tcase_add_test(tc, test_describe);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ck_run(sandbox_suite());
}
