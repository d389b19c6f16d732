#include "config.h"

#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/log.h"
#include "lib/sandbox.h"

void
child_require_channel(int fd)
{
	socklen_t len;
	int type;

	len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_SEQPACKET)
		fatalx(
		    "fd %d is not the master's channel: run me from mpmd", fd);
}

/* The master meant to drop everything: if anything is left, stop. */
void
child_require_unprivileged(void)
{
	uid_t ru, eu, su;
	cap_t now, none;
	int same;

	if (getresuid(&ru, &eu, &su) == -1 || ru == 0 || eu == 0 || su == 0)
		fatalx("refusing to serve as root");
	if ((now = cap_get_proc()) == NULL || (none = cap_init()) == NULL)
		fatal("cap_get_proc");
	same = cap_compare(now, none) == 0;
	cap_free(now);
	cap_free(none);
	if (!same)
		fatalx("refusing to serve with capabilities");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		fatalx("refusing to serve without no_new_privs");
}

/* A sanitizer's leak check at exit traces us from a helper process. */
static void
child_dumpable_for_leak_check(void)
{
	(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

void
child_nondumpable(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_DUMPABLE)");
	if (sandbox_sanitizer_build())
		(void)atexit(child_dumpable_for_leak_check);
}
