#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "protocol/ctl.h"

static const char *const ctl_verbs[] = {
	[CTL_STATUS] = "status",
	[CTL_GRACEFUL] = "graceful",
	[CTL_RESTART] = "restart",
	[CTL_STOP] = "stop",
	[CTL_GRACEFUL_STOP] = "graceful-stop",
	[CTL_REOPEN_LOGS] = "reopen-logs",
	[CTL_UPGRADE] = "upgrade",
};

const char *
ctl_verb_name(unsigned verb)
{
	if (verb == 0 || verb > CTL_VERB_MAX)
		return "unknown";
	return ctl_verbs[verb];
}

int
ctl_verb_parse(const char *name)
{
	int v;

	for (v = 1; v <= CTL_VERB_MAX; v++)
		if (strcmp(name, ctl_verbs[v]) == 0)
			return v;
	return -1;
}

int
ctl_sockaddr(const char *path, struct sockaddr_un *sun)
{
	size_t n = strlen(path);

	if (n >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n);
	return 0;
}

int
ctl_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	if (ctl_sockaddr(path, &sun) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}
