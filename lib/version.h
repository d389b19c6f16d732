/* Which build runs: the package version and the binary's GNU build id. */
#ifndef MPMD_VERSION_H
#define MPMD_VERSION_H

/* "0.1.0 (build 1a2b3c4d5e6f)"; without a build-id note, "0.1.0". */
const char *mpmd_version(void);

#endif
