/*
 * A seccomp filter for processes that must never reach the network:
 * socket(), connect(), bind(), listen(), accept() fail with EACCES. What
 * the process holds already (its socketpairs) still works. Needs
 * no_new_privs, which every child of the master has.
 */
#ifndef MPMD_SANDBOX_H
#define MPMD_SANDBOX_H

/* 0, or -1 with errno (ENOSYS on an architecture it does not know). */
int sandbox_no_network(void);

#endif
