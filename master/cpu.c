/*
 * CPU time of the server, for the status page and the metrics: the
 * master's own, and its workers'. A live worker's comes from /proc (the
 * kernel's word, not the worker's) at each tick; once the master has
 * waited for it, from the kernel's count of waited-for children. A
 * worker's share moves from the first to the second when it is reaped,
 * and never shrinks on the way.
 */
#include "config.h"

#include <sys/resource.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "master/master.h"

#define US_PER_SEC     1000000
#define STAT_MAX       1024 /* /proc/PID/stat: comm is at most 16 bytes */
#define STAT_UTIME_POS 11   /* fields after "(comm) ": state is 0 */

static uint64_t
tv_us(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * US_PER_SEC + (uint64_t)tv->tv_usec;
}

/* PID's user and system time so far; -1 when /proc does not say. */
static int
proc_cpu(pid_t pid, uint64_t us[2])
{
	char path[64], buf[STAT_MAX], *p, *end;
	unsigned long long t[2];
	long tick = sysconf(_SC_CLK_TCK);
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (tick <= 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || (buf[n] = '\0', p = strrchr(buf, ')')) == NULL)
		return -1;
	for (i = 0, p++; i < STAT_UTIME_POS && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return -1;
	t[0] = strtoull(p, &end, 10);
	t[1] = strtoull(end, &end, 10);
	if (end == p)
		return -1;
	for (i = 0; i < 2; i++)
		us[i] =
		    (uint64_t)(t[i] * (US_PER_SEC / (unsigned long long)tick));
	return 0;
}

void
cpu_sample(struct master *m)
{
	uint64_t us[2];
	struct proc *p;

	/* A failed read keeps the last sample: the sum must not shrink. */
	TAILQ_FOREACH (p, &m->procs, entry)
		if (proc_cpu(p->pid, us) == 0 && us[0] >= p->cpu_us[0] &&
		    us[1] >= p->cpu_us[1])
			memcpy(p->cpu_us, us, sizeof(us));
}

void
cpu_totals(const struct master *m, uint64_t self[2], uint64_t workers[2])
{
	const struct proc *p;
	struct rusage ru;
	int i;

	self[0] = self[1] = workers[0] = workers[1] = 0;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		self[0] = tv_us(&ru.ru_utime);
		self[1] = tv_us(&ru.ru_stime);
	}
	if (getrusage(RUSAGE_CHILDREN, &ru) == 0) {
		workers[0] = tv_us(&ru.ru_utime);
		workers[1] = tv_us(&ru.ru_stime);
	}
	TAILQ_FOREACH (p, &m->procs, entry) {
		workers[0] = sb_sat_add(workers[0], p->cpu_us[0]);
		workers[1] = sb_sat_add(workers[1], p->cpu_us[1]);
	}
	for (i = 0; i < 2; i++) { /* before an upgrade: by the old masters */
		self[i] = sb_sat_add(self[i], m->carried.cpu_master_us[i]);
		workers[i] =
		    sb_sat_add(workers[i], m->carried.cpu_workers_us[i]);
	}
}
