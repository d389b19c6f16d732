/*
 * systemd's readiness protocol (sd_notify): one datagram of KEY=VALUE
 * lines to the AF_UNIX socket named by NOTIFY_SOCKET ('@' = abstract).
 * Small enough to speak directly instead of linking libsystemd.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "master/master.h"
#include "lib/log.h"

#define NOTIFY_MAX 512

static int
notify_address(struct sockaddr_un *sun, socklen_t *len)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t n;

	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return -1;
	n = strlen(path);
	if (n >= sizeof(sun->sun_path))
		return -1;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n);
	if (path[0] == '@')
		sun->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

void
notify_systemd(const char *fmt, ...)
{
	char msg[NOTIFY_MAX];
	struct sockaddr_un sun;
	socklen_t len;
	va_list ap;
	int fd, n;

	if (notify_address(&sun, &len) == -1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	if (sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sun,
		len) == -1)
		log_warn("sd_notify to %s", getenv("NOTIFY_SOCKET"));
	close(fd);
}
