#ifndef MPMD_PRIVDROP_H
#define MPMD_PRIVDROP_H

#include <sys/types.h>

#include <stdbool.h>

/*
 * The one place a worker loses privilege, in the forked child before exec.
 * With AS_ROOT: bounding set, setgroups, setresgid, setresuid, then every
 * capability set cleared and verified. Always: PR_SET_NO_NEW_PRIVS.
 * Returns 0, or -1 with a static description of the failed step in *what.
 */
int privdrop(bool as_root, uid_t uid, gid_t gid, const char **what);

/*
 * A root master keeps only the capabilities restarts need (binding,
 * switching workers' identity, signalling them, reopening logs).
 */
int privdrop_trim_master(const char **what);

#endif
