/*
 * The key processes of a generation whose keys are isolated (mpmd-keys,
 * keys/main.c): KeyProcesses of them start with the generation, as
 * KeyUser, and get the keys; each worker gets a socket to one, chosen by
 * its scoreboard slot, so the workers spread evenly over them. Each is
 * supervised like a worker (replaced with backoff when it dies, its
 * workers then given a socket to the new one) and stopped once the last
 * worker of its generation is gone.
 */
#include "config.h"

#include <sys/socket.h>

#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "master/master.h"

#define KEYS_DEFAULT_MAX 4 /* KeyProcesses 0: one per CPU up to this */

_Static_assert(CONF_MAX_KEY_PROCESSES <= SB_MAX_KEYS,
    "the scoreboard counts fewer key processes than may run");

unsigned
keys_count(const struct conf *conf)
{
	long n = conf->tls.key_processes;

	if (n == 0 && (n = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		n = 1;
	if (conf->tls.key_processes == 0 && n > KEYS_DEFAULT_MAX)
		n = KEYS_DEFAULT_MAX;
	return (unsigned)n;
}

static bool
keys_needed(const struct generation *g)
{
	return g->tls_isolated && g->keys_binary_fd != -1 && g->nkeys > 0;
}

/* The key process worker P signs with. */
static struct proc *
keys_of(const struct proc *p)
{
	return p->gen->nkeys > 0 ? p->gen->keys[p->slot % p->gen->nkeys] : NULL;
}

/* Hands P's pending socket end to its key process, if it can take it. */
static void
keys_hand_over(struct proc *p)
{
	struct proc *kp = keys_of(p);
	struct ipc_keys_client who = { (uint32_t)p->pid, p->gen->id };

	if (p->keys_end == -1 || kp == NULL || !kp->hello_seen ||
	    kp->channel == -1)
		return;
	(void)channel_send(
	    kp, IPC_KEYS_CLIENT, &who, sizeof(who), &p->keys_end, 1);
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
		if (p->gen == kp->gen && !p->keys && keys_of(p) == kp)
			keys_hand_over(p);
}

/* A new key process: every live worker of G it serves gets a socket. */
static void
keys_reconnect(struct master *m, struct generation *g, unsigned index)
{
	struct proc *p;
	int fd;

	TAILQ_FOREACH (p, &m->procs, entry) {
		if (p->gen != g || p->keys || !p->hello_seen ||
		    p->state == PROC_STOPPING || p->slot % g->nkeys != index)
			continue;
		if ((fd = keys_worker_socket(m, p)) == -1)
			continue;
		(void)channel_send(p, IPC_KEYS_SOCKET, NULL, 0, &fd, 1);
		close(fd);
	}
}

static void
keys_maintain_one(struct master *m, struct generation *g, unsigned index)
{
	if (g->state == GEN_DRAINING && g->nprocs == 0) {
		if (g->keys[index] != NULL)
			proc_send_stop(m, g->keys[index], false);
		return;
	}
	if (g->keys[index] != NULL)
		return;
	if (master_now() < g->keys_crash[index].until) {
		/* TLS waits: wake at the end of its backoff, not a tick */
		master_wake_at(m, g->keys_crash[index].until);
		return;
	}
	if (proc_spawn_keys(m, g, index) == 0)
		keys_reconnect(m, g, index); /* workers of a dead one */
}

void
keys_maintain(struct master *m, struct generation *g)
{
	unsigned i;

	if (!keys_needed(g) || m->stopping)
		return;
	for (i = 0; i < g->nkeys; i++)
		keys_maintain_one(m, g, i);
}

bool
keys_ready(const struct generation *g)
{
	unsigned i;

	if (!g->tls_isolated)
		return true;
	for (i = 0; i < g->nkeys; i++)
		if (g->keys[i] == NULL || g->keys[i]->state != PROC_READY)
			return false;
	return g->nkeys > 0;
}

bool
keys_running(const struct generation *g)
{
	unsigned i;

	for (i = 0; i < g->nkeys; i++)
		if (g->keys[i] != NULL)
			return true;
	return false;
}

/* Only what went up since the last report counts: totals never go back. */
static uint64_t
keys_delta(uint64_t now, uint64_t *seen)
{
	uint64_t d = now > *seen ? now - *seen : 0;

	*seen = now > *seen ? now : *seen;
	return d;
}

void
keys_on_counts(struct proc *kp, const void *payload)
{
	struct master_counts *c = &kp->master->counts;
	struct ipc_keys_counts now;
	unsigned i = kp->keys_index;

	memcpy(&now, payload, sizeof(now));
	if (i >= SB_MAX_KEYS)
		return;
	c->key_signatures[i] +=
	    keys_delta(now.signatures, &kp->keys_counted.signatures);
	c->key_refused[i] += keys_delta(now.refused, &kp->keys_counted.refused);
	c->key_unread[i] += keys_delta(now.unread, &kp->keys_counted.unread);
	if (c->key_indices < i + 1)
		c->key_indices = i + 1;
	scoreboard_publish(kp->master);
}
