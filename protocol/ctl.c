#include "config.h"

#include <string.h>

#include "protocol/ctl.h"

static const char *const ctl_verbs[] = {
	[CTL_STATUS] = "status",
	[CTL_GRACEFUL] = "graceful",
	[CTL_RESTART] = "restart",
	[CTL_STOP] = "stop",
	[CTL_GRACEFUL_STOP] = "graceful-stop",
	[CTL_REOPEN_LOGS] = "reopen-logs",
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
