/*
 * What every process the master starts checks before it does anything:
 * that its channel is there and that no privilege is left to it. Either
 * missing is fatal (logged, exit 1).
 */
#ifndef MPMD_CHILD_H
#define MPMD_CHILD_H

/* FD is a SOCK_SEQPACKET socket: the master's channel. */
void child_require_channel(int fd);
/* Not root in any uid, no capability, no_new_privs set. */
void child_require_unprivileged(void);
/*
 * Nobody but root may read our memory, trace or dump us: not even
 * another process of the same user. Fatal when it cannot be done. Key
 * processes always; workers when the master says (IPC_SETUP_NONDUMPABLE).
 */
void child_nondumpable(void);

#endif
