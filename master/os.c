/*
 * What the master's decisions ask of the system beside spawning: the
 * clock and signals to workers. Kept in a file of its own so the master's
 * unit suite links a fake clock and recorded signals in its place.
 */
#include "config.h"

#include <signal.h>

#include "lib/clock.h"
#include "master/master.h"

int64_t
master_now(void)
{
	return mono_ms_precise();
}

int
master_signal(pid_t pid, int sig)
{
	return kill(pid, sig);
}
