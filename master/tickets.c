/*
 * Session-ticket keys: made by the master, rotated every
 * TICKETS_ROTATE_S, and handed to every worker of every generation, so a
 * session a client resumes was made by any worker, before any number of
 * graceful restarts and MPM swaps. Workers encrypt with the newest key
 * and decrypt with any of the IPC_TICKET_KEYS_MAX they hold.
 */
#include "config.h"

#include <openssl/rand.h>

#include <event2/event.h>
#include <string.h>

#include "lib/log.h"
#include "master/master.h"

#define TICKETS_ROTATE_S 3600 /* until a generation says: its lifetime */

static void
tickets_new_key(struct tickets *t)
{
	struct ipc_ticket_keys *r = &t->ring;

	memmove(&r->keys[1], &r->keys[0],
	    sizeof(r->keys[0]) * (IPC_TICKET_KEYS_MAX - 1));
	if (RAND_bytes((unsigned char *)&r->keys[0], sizeof(r->keys[0])) != 1)
		fatalx("no random bytes for a session-ticket key");
	if (r->n < IPC_TICKET_KEYS_MAX)
		r->n++;
	t->rotated = master_now();
}

static bool
uses_tickets(const struct proc *p)
{
	return !p->keys && p->gen->ntls > 0 && p->gen->conf.tls.session_tickets;
}

int
tickets_send(struct master *m, struct proc *p)
{
	return channel_send(p, IPC_TICKET_KEYS, &m->tickets.ring,
	    sizeof(m->tickets.ring), NULL, 0);
}

static void
tickets_on_rotate(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;
	struct proc *p;

	tickets_new_key(&m->tickets);
	TAILQ_FOREACH (p, &m->procs, entry)
		if (uses_tickets(p) && p->hello_seen &&
		    p->state != PROC_STOPPING)
			(void)tickets_send(m, p);
	log_info("session-ticket keys rotated");
}

void
tickets_start(struct master *m)
{
	struct timeval every = { TICKETS_ROTATE_S, 0 };

	tickets_new_key(&m->tickets);
	m->tickets.lifetime = TICKETS_ROTATE_S;
	m->tickets.ev_rotate =
	    event_new(m->base, -1, EV_PERSIST, tickets_on_rotate, m);
	if (m->tickets.ev_rotate == NULL ||
	    event_add(m->tickets.ev_rotate, &every) == -1)
		fatalx("cannot start the session-ticket key timer");
}

void
tickets_follow(struct master *m, const struct generation *g)
{
	long lifetime = g->conf.tls.ticket_lifetime;
	struct timeval every = { lifetime, 0 };

	if (m->tickets.ev_rotate == NULL || lifetime == m->tickets.lifetime)
		return;
	m->tickets.lifetime = lifetime;
	if (event_add(m->tickets.ev_rotate, &every) == -1)
		log_warnx("session-ticket keys: cannot rotate every %ld s; "
			  "keeping the old interval",
		    lifetime);
	else
		log_info("session-ticket keys rotate every %ld s", lifetime);
}

void
tickets_stop(struct master *m)
{
	if (m->tickets.ev_rotate != NULL)
		event_free(m->tickets.ev_rotate);
	m->tickets.ev_rotate = NULL;
	explicit_bzero(&m->tickets.ring, sizeof(m->tickets.ring));
}
