/*
 * PidFile: written once the master serves, removed when it exits, unless
 * the master that replaced it in an upgrade has written its own pid there.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "master/master.h"

#define PIDFILE_MODE 0644

int
pidfile_read(const char *path, pid_t *pid)
{
	char buf[32];
	ssize_t n;
	long v;
	char *end;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	v = strtol(buf, &end, 10);
	if (v <= 1 || (*end != '\n' && *end != '\0'))
		return -1;
	*pid = (pid_t)v;
	return 0;
}

void
pidfile_write(struct master *m, const char *path)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    PIDFILE_MODE);
	if (fd == -1)
		fatal("cannot write PidFile %s", path);
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n)
		fatal("cannot write PidFile %s", path);
	close(fd);
	free(m->pid_file);
	m->pid_file = xstrdup(path);
}

void
pidfile_remove(const struct master *m)
{
	pid_t pid;

	if (m->pid_file != NULL && pidfile_read(m->pid_file, &pid) == 0 &&
	    pid == getpid())
		unlink(m->pid_file);
}
