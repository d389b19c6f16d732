/*
 * seccomp filters for the processes the master starts, each installed
 * once its setup is done (they need no_new_privs, which every child of
 * the master has):
 *
 * - the key process: an allowlist of what signing for workers takes
 *   (its sockets, epoll, memory, time, randomness, exit); any other call
 *   kills it.
 * - workers: a denylist of the calls that reach into other processes or
 *   widen the kernel's surface: ptrace, process_vm_*, pidfd_*, kill (a
 *   worker signals nobody, not even another worker), exec,
 *   io_uring, bpf, perf_event_open, keys, mounts, namespaces (unshare,
 *   setns, clone with CLONE_NEW*), userfaultfd, modules, kexec. Any of
 *   them kills the worker, and the master logs the crash. clone3 fails
 *   with ENOSYS so that threads are made by clone, whose flags a filter
 *   can see.
 *
 * Calls are matched for this build's architecture only; a call made
 * through another ABI (x32, or a 32-bit one) kills the process.
 */
#ifndef MPMD_SANDBOX_H
#define MPMD_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

/* 0, or -1 with errno (ENOSYS on an architecture it does not know). */
int sandbox_keys(void);
int sandbox_worker(void);

/* Whether this build has the filters (its architecture is known). */
bool sandbox_available(void);
/* Calls the key process may make, and calls a worker may not. */
size_t sandbox_keys_allowed(void);
size_t sandbox_worker_denied(void);

/*
 * A sanitizer build's leak check at exit stops the process's threads
 * with ptrace from a helper: workers, non-dumpable and denied ptrace,
 * let it (dumpable again at exit, ptrace left allowed). Says so, for -V.
 */
bool sandbox_sanitizer_build(void);

/* The filters in a line, for `mpmd -V` and `mpmctl status`. */
const char *sandbox_describe(void);

#endif
