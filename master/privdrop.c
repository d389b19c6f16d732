#include "config.h"

#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <unistd.h>

#include "master/privdrop.h"

/*
 * Dropping the bounding set needs CAP_SETPCAP, which setresuid() away from
 * root takes away, so the bounding set goes first.
 */
static int
drop_bounding_set(void)
{
	cap_value_t cap;

	for (cap = 0; cap < (cap_value_t)cap_max_bits(); cap++) {
		if (cap_get_bound(cap) <= 0)
			continue;
		if (cap_drop_bound(cap) == -1)
			return -1;
	}
	return 0;
}

static int
clear_capabilities(void)
{
	cap_t none;
	int r;

	if ((none = cap_init()) == NULL)
		return -1;
	r = cap_set_proc(none);
	cap_free(none);
	if (r == -1)
		return -1;
	return cap_reset_ambient();
}

static int
capabilities_are_clear(void)
{
	cap_t now, none;
	cap_value_t cap;
	int same;

	if ((now = cap_get_proc()) == NULL)
		return 0;
	if ((none = cap_init()) == NULL) {
		cap_free(now);
		return 0;
	}
	same = cap_compare(now, none) == 0;
	cap_free(now);
	cap_free(none);
	for (cap = 0; same && cap < (cap_value_t)cap_max_bits(); cap++)
		if (cap_get_bound(cap) > 0 || cap_get_ambient(cap) > 0)
			same = 0;
	return same;
}

static int
identity_is(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[2];
	int n;

	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		return 0;
	if (ru != uid || eu != uid || su != uid)
		return 0;
	if (rg != gid || eg != gid || sg != gid)
		return 0;
	n = getgroups(2, groups);
	return n == 0 || (n == 1 && groups[0] == gid);
}

static int
drop_identity(uid_t uid, gid_t gid, const char **what)
{
	*what = "dropping the capability bounding set";
	if (drop_bounding_set() == -1)
		return -1;
	*what = "setgroups";
	if (setgroups(1, &gid) == -1)
		return -1;
	*what = "setresgid";
	if (setresgid(gid, gid, gid) == -1)
		return -1;
	*what = "setresuid";
	if (setresuid(uid, uid, uid) == -1)
		return -1;
	*what = "clearing capabilities";
	if (clear_capabilities() == -1)
		return -1;
	*what = "verifying the new identity";
	if (!identity_is(uid, gid) || !capabilities_are_clear()) {
		errno = EPERM;
		return -1;
	}
	*what = "verifying that root cannot be regained";
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

int
privdrop(bool as_root, uid_t uid, gid_t gid, const char **what)
{
	if (as_root && drop_identity(uid, gid, what) == -1)
		return -1;
	/* An unprivileged master may still hold file capabilities. */
	*what = "clearing capabilities";
	if (!as_root && clear_capabilities() == -1)
		return -1;
	*what = "PR_SET_NO_NEW_PRIVS";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* What a root master still needs after startup: restarts and reloads. */
static const cap_value_t master_keeps[] = {
	CAP_NET_BIND_SERVICE, /* a Listen added by graceful */
	CAP_SETUID,
	CAP_SETGID,
	CAP_SETPCAP, /* dropping workers' privilege */
	CAP_KILL,    /* signalling workers of another uid */
	CAP_DAC_OVERRIDE,
	CAP_DAC_READ_SEARCH, /* reopening logs, configs */
	CAP_CHOWN,
	CAP_FOWNER,
};

int
privdrop_trim_master(const char **what)
{
	int n = sizeof(master_keeps) / sizeof(master_keeps[0]);
	cap_t caps;
	int r;

	*what = "building the master's capability set";
	if ((caps = cap_init()) == NULL)
		return -1;
	if (cap_set_flag(caps, CAP_PERMITTED, n, master_keeps, CAP_SET) == -1 ||
	    cap_set_flag(caps, CAP_EFFECTIVE, n, master_keeps, CAP_SET) == -1) {
		cap_free(caps);
		return -1;
	}
	*what = "trimming the master's capabilities";
	r = cap_set_proc(caps);
	cap_free(caps);
	return r;
}
