/*
 * GracefulHandoff: a draining worker passes its idle keep-alive
 * connections (plain HTTP, with any bytes it had read of the next
 * request) to the master, which hands each to a worker of the active
 * generation, so a client's connection outlives the reload. What a
 * worker passes is checked before it goes on: a TCP socket accepted on
 * one of the master's listeners, nothing else.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "master/master.h"

static struct generation *
handoff_target_gen(const struct master *m)
{
	struct generation *g;

	if (m->stopping)
		return NULL;
	TAILQ_FOREACH (g, &m->gens, entry)
		if (g->state == GEN_ACTIVE)
			return g->conf.graceful_handoff ? g : NULL;
	return NULL;
}

/* The READY worker of G, other than FROM, with the most idle slots. */
static struct proc *
handoff_target(struct master *m, struct generation *g, const struct proc *from)
{
	uint32_t idle, best = 0;
	struct proc *p, *pick = NULL;

	TAILQ_FOREACH (p, &m->procs, entry) {
		if (p->gen != g || p == from || p->keys ||
		    p->state != PROC_READY)
			continue;
		idle = p->capacity - scoreboard_busy(m, p->slot, p->capacity);
		if (pick == NULL || idle > best) {
			pick = p;
			best = idle;
		}
	}
	return pick;
}

bool
handoff_possible(struct master *m, const struct proc *from)
{
	struct generation *g = handoff_target_gen(m);

	return g != NULL && handoff_target(m, g, from) != NULL;
}

static bool
same_listener(const struct sockaddr_storage *ss, const struct conf_listen *l)
{
	const struct sockaddr_in *a = (const void *)ss,
				 *b = (const void *)&l->addr;
	const struct sockaddr_in6 *a6 = (const void *)ss,
				  *b6 = (const void *)&l->addr;

	if (ss->ss_family != l->addr.ss_family)
		return false;
	if (ss->ss_family == AF_INET)
		return a->sin_port == b->sin_port &&
		       (b->sin_addr.s_addr == htonl(INADDR_ANY) ||
			   a->sin_addr.s_addr == b->sin_addr.s_addr);
	return a6->sin6_port == b6->sin6_port &&
	       (IN6_IS_ADDR_UNSPECIFIED(&b6->sin6_addr) ||
		   IN6_ARE_ADDR_EQUAL(&a6->sin6_addr, &b6->sin6_addr));
}

/*
 * FD must be a TCP connection accepted on a listener of G: the flags of
 * that listener, or -1. TLS connections are not handed over.
 */
static int
handoff_check(const struct generation *g, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int type = 0;
	socklen_t tlen = sizeof(type);
	struct stat st;
	size_t i;

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == -1 ||
	    type != SOCK_STREAM ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	for (i = 0; i < g->conf.nlisten; i++)
		if (same_listener(&ss, &g->conf.listen[i]))
			return (g->conf.listen[i].flags & CONF_LISTEN_HTTPS)
				   ? -1
				   : (int)g->conf.listen[i].flags;
	return -1;
}

void
handoff_route(struct master *m, struct proc *from, const struct ipc_msg *msg)
{
	struct generation *g = handoff_target_gen(m);
	uint8_t buf[IPC_MAX_PAYLOAD];
	struct ipc_conn h;
	struct proc *to;
	int flags, fd = msg->fds[0];

	if (g == NULL || (flags = handoff_check(g, fd)) == -1 ||
	    (to = handoff_target(m, g, from)) == NULL) {
		log_debug(
		    "worker pid %ld handed over a connection nobody can take: closing it",
		    (long)from->pid);
		close(fd);
		return;
	}
	memcpy(&h, msg->payload, sizeof(h));
	h.flags = (uint32_t)flags;
	h.nread = msg->len - (uint32_t)sizeof(h);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), msg->payload + sizeof(h), h.nread);
	(void)channel_send(to, IPC_ADOPT, buf, msg->len, &fd, 1);
	close(fd);
	m->handoffs++;
}
