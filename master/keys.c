/*
 * The key process of a generation whose keys are isolated (mpmd-keys,
 * master/keyproc.c): started with the generation, handed the keys and a
 * socketpair per worker, supervised like a worker (replaced with backoff
 * when it dies, every worker then given a socket to the new one), and
 * stopped once the last worker of its generation is gone.
 */
#include "config.h"

#include <sys/socket.h>

#include <unistd.h>

#include "lib/log.h"
#include "master/master.h"

static bool
keys_needed(const struct generation *g)
{
	return g->tls_isolated && g->keys_binary_fd != -1;
}

/* Hands P's pending socket end to the key process, if it can take it. */
static void
keys_hand_over(struct proc *p)
{
	struct proc *kp = p->gen->keys;

	if (p->keys_end == -1 || kp == NULL || !kp->hello_seen ||
	    kp->channel == -1)
		return;
	(void)channel_send(kp, IPC_KEYS_CLIENT, NULL, 0, &p->keys_end, 1);
	close(p->keys_end);
	p->keys_end = -1;
}

int
keys_worker_socket(struct master *m, struct proc *p)
{
	int sv[2];

	if (!keys_needed(p->gen))
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair for the key process of worker pid %ld",
		    (long)p->pid);
		return -1;
	}
	if (p->keys_end != -1)
		close(p->keys_end);
	p->keys_end = sv[1];
	keys_hand_over(p);
	return sv[0];
}

void
keys_on_hello(struct proc *kp)
{
	struct master *m = kp->master;
	struct proc *p;

	if (tls_send_keyproc(kp) == -1)
		return;
	TAILQ_FOREACH (p, &m->procs, entry)
		if (p->gen == kp->gen && !p->keys)
			keys_hand_over(p);
}

/* A new key process: every live worker of G gets a socket to it. */
static void
keys_reconnect(struct master *m, struct generation *g)
{
	struct proc *p;
	int fd;

	TAILQ_FOREACH (p, &m->procs, entry) {
		if (p->gen != g || p->keys || !p->hello_seen ||
		    p->state == PROC_STOPPING)
			continue;
		if ((fd = keys_worker_socket(m, p)) == -1)
			continue;
		(void)channel_send(p, IPC_KEYS_SOCKET, NULL, 0, &fd, 1);
		close(fd);
	}
}

void
keys_maintain(struct master *m, struct generation *g)
{
	if (!keys_needed(g) || m->stopping)
		return;
	if (g->state == GEN_DRAINING && g->nprocs == 0) {
		if (g->keys != NULL)
			proc_send_stop(m, g->keys, false);
		return;
	}
	if (g->keys != NULL)
		return;
	if (master_now() < g->keys_crash.until) {
		/* TLS waits for it: not the next tick, the end of its backoff.
		 */
		master_wake_at(m, g->keys_crash.until);
		return;
	}
	if (proc_spawn_keys(m, g) == 0)
		keys_reconnect(m, g); /* workers it replaces a dead one for */
}
