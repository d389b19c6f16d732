/*
 * What the master's unit suite links in place of master/os.c and
 * master/spawn.c: a clock the test moves, signals that are only recorded,
 * and a spawn that forks nothing but hands back a real channel, whose
 * worker end the test keeps to speak for the worker.
 */
#include "config.h"

#include <sys/socket.h>

#include <fcntl.h>
#include <unistd.h>

#include "master/master.h"
#include "master/spawn.h"
#include "tests/unit/master_stub.h"

struct stub stub;

int64_t
master_now(void)
{
	return stub.now;
}

int
master_signal(pid_t pid, int sig)
{
	if (stub.nsignals < STUB_MAX_PROCS) {
		stub.signals[stub.nsignals].pid = pid;
		stub.signals[stub.nsignals].sig = sig;
		stub.nsignals++;
	}
	return 0;
}

pid_t
spawn_worker(const struct spawn_args *a, int *channel)
{
	int sv[2];

	(void)a;
	if (stub.fail_spawn || stub.nspawned == STUB_MAX_PROCS ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	(void)fcntl(sv[1], F_SETFL, O_NONBLOCK); /* the test polls it */
	stub.worker_end[stub.nspawned] = sv[1];
	*channel = sv[0];
	return STUB_PID_BASE + (pid_t)stub.nspawned++;
}

int
stub_worker_end(pid_t pid)
{
	size_t i = (size_t)(pid - STUB_PID_BASE);

	return i < stub.nspawned ? stub.worker_end[i] : -1;
}

void
stub_reset(void)
{
	size_t i;

	for (i = 0; i < stub.nspawned; i++)
		close(stub.worker_end[i]);
	memset(&stub, 0, sizeof(stub));
	stub.now = STUB_EPOCH_MS;
}
