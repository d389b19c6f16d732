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
#include "protocol/upgrade.h"

static struct generation *
handoff_target_gen(const struct master *m)
{
	struct generation *g = m->stopping ? NULL : generation_active(m);

	return g != NULL && g->conf.graceful_handoff ? g : NULL;
}

bool
handoff_possible(struct master *m, const struct proc *from)
{
	struct generation *g;

	if (upgrade_takes_connections(m))
		return from->gen->conf.graceful_handoff;
	g = handoff_target_gen(m);
	return g != NULL && generation_has_ready(m, g, from);
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

/*
 * Onto the active generation's adopt queue, where the first of its
 * workers with room takes it, or closed.
 */
static void
handoff_deliver(struct master *m, const struct generation *from, int fd,
    struct ipc_conn *h, const uint8_t *bytes)
{
	struct generation *g = handoff_target_gen(m);
	uint8_t buf[IPC_MAX_PAYLOAD];
	int flags;

	if (g == NULL || g == from || h->nread > IPC_CONN_READ_MAX ||
	    (flags = handoff_check(g, fd)) == -1) {
		log_debug(
		    "a connection handed over that nobody can take: closing it");
		close(fd);
		return;
	}
	h->flags = (uint32_t)flags;
	memcpy(buf, h, sizeof(*h));
	memcpy(buf + sizeof(*h), bytes, h->nread);
	if (ipc_send(g->adopt[0], IPC_ADOPT, buf, sizeof(*h) + h->nread, &fd,
		1) == -1)
		log_warn(
		    "generation %u's adopt queue: closing a connection", g->id);
	else
		m->handoffs++;
	close(fd);
}

/*
 * Connections queued for G that none of its workers took before it was
 * retired go on to the generation that serves now.
 */
void
handoff_requeue(struct master *m, struct generation *g)
{
	static struct ipc_msg msg;
	const char *cause;
	struct ipc_conn h;

	if (g->state != GEN_DRAINING || g->adopt[1] == -1)
		return;
	while (ipc_recv(g->adopt[1], IPC_FROM_MASTER, &msg, &cause) == 1) {
		if (msg.type != IPC_ADOPT || msg.nfds != 1 ||
		    msg.len < sizeof(h)) {
			ipc_msg_close_fds(&msg);
			continue;
		}
		memcpy(&h, msg.payload, sizeof(h));
		h.nread = msg.len - (uint32_t)sizeof(h);
		handoff_deliver(m, g, msg.fds[0], &h, msg.payload + sizeof(h));
	}
}

void
handoff_route(struct master *m, struct proc *from, const struct ipc_msg *msg)
{
	const uint8_t *bytes = msg->payload + sizeof(struct ipc_conn);
	struct ipc_conn h;
	int fd = msg->fds[0];

	memcpy(&h, msg->payload, sizeof(h));
	h.nread = msg->len - (uint32_t)sizeof(h);
	if (!upgrade_takes_connections(m)) {
		handoff_deliver(m, from->gen, fd, &h, bytes);
		return;
	}
	/* Drained for an upgrade: the new master's workers take it. */
	if (handoff_check(from->gen, fd) == -1 ||
	    !upgrade_forward(m, fd, &h, bytes))
		log_debug(
		    "worker pid %ld handed over a connection the new master cannot take: closing it",
		    (long)from->pid);
	close(fd);
}

void
handoff_adopt(struct master *m, int fd, const struct upgrade_conn *c,
    const uint8_t *bytes)
{
	struct ipc_conn h;

	memset(&h, 0, sizeof(h));
	h.nreq = c->nreq;
	h.peerlen = c->peerlen;
	memcpy(h.peer, c->peer, sizeof(h.peer));
	h.nread = c->nread;
	handoff_deliver(m, NULL, fd, &h, bytes);
}
