/*
 * What an upgrade carries from the old master to the new one besides its
 * sockets: every counter (reloads, promotions, worker crashes, restarts
 * and starts, CPU, what the workers served) and the reload history, so
 * that the new master goes on from them: no _total of /metrics goes
 * down, and `mpmctl status` still lists the reloads before the upgrade.
 * Sent after HELLO and before STATE (protocol/upgrade.h).
 */
#include "config.h"

#include <string.h>

#include "master/master.h"
#include "protocol/ctl.h"
#include "protocol/upgrade.h"

/* What every worker counted: those that exited, and the live ones now. */
static void
served_now(const struct master *m, struct sb_counters *c)
{
	struct sb_slot s;
	uint32_t i;

	*c = m->pub.folded;
	for (i = 0; i < m->nslots; i++)
		if (m->slot_used[i] && scoreboard_copy(m, i, &s) == 0)
			sb_counters_add(c, &s.c);
}

static int
send_counters(struct master *m, int fd)
{
	struct upgrade_counters c;

	memset(&c, 0, sizeof(c));
	memcpy(c.reloads, m->counts.reloads, sizeof(c.reloads));
	c.promotions = m->counts.promotions;
	c.crashes = m->counts.crashes;
	c.restarts = m->counts.restarts;
	c.spawns = m->counts.spawns;
	cpu_totals(m, c.cpu_master_us, c.cpu_workers_us);
	served_now(m, &c.served);
	c.nhistory = m->nhistory;
	memcpy(c.key_signatures, m->counts.key_signatures,
	    sizeof(c.key_signatures));
	memcpy(c.key_refused, m->counts.key_refused, sizeof(c.key_refused));
	memcpy(c.key_unread, m->counts.key_unread, sizeof(c.key_unread));
	c.key_indices = m->counts.key_indices;
	return upgrade_send(fd, UPGRADE_COUNTERS, &c, sizeof(c), -1);
}

static int
send_reload(int fd, const struct reload_result *r)
{
	uint8_t buf[sizeof(struct upgrade_reload) + MASTER_RESULT_MAX];
	struct upgrade_reload head = { .when = (int64_t)r->when,
		.took_ms = r->took_ms,
		.verb = (uint32_t)r->verb,
		.ok = r->ok };
	size_t n = strnlen(r->text, sizeof(r->text));

	memcpy(buf, &head, sizeof(head));
	memcpy(buf + sizeof(head), r->text, n);
	return upgrade_send(fd, UPGRADE_RELOAD, buf, sizeof(head) + n, -1);
}

int
carry_send(struct master *m, int fd)
{
	unsigned i = reload_history_count(m);

	if (send_counters(m, fd) == -1)
		return -1;
	while (i-- > 0) /* the oldest first */
		if (send_reload(fd, reload_history_at(m, i)) == -1)
			return -1;
	return 0;
}

static void
take_counters(struct master *m, const struct upgrade_counters *c)
{
	memcpy(m->counts.reloads, c->reloads, sizeof(m->counts.reloads));
	m->counts.promotions = c->promotions;
	m->counts.crashes = c->crashes;
	m->counts.restarts = c->restarts;
	m->counts.spawns = c->spawns;
	memcpy(m->carried.cpu_master_us, c->cpu_master_us,
	    sizeof(m->carried.cpu_master_us));
	memcpy(m->carried.cpu_workers_us, c->cpu_workers_us,
	    sizeof(m->carried.cpu_workers_us));
	m->carried.served = c->served;
	memcpy(m->counts.key_signatures, c->key_signatures,
	    sizeof(m->counts.key_signatures));
	memcpy(m->counts.key_refused, c->key_refused,
	    sizeof(m->counts.key_refused));
	memcpy(
	    m->counts.key_unread, c->key_unread, sizeof(m->counts.key_unread));
	m->counts.key_indices = c->key_indices < SB_MAX_KEYS
				    ? (uint32_t)c->key_indices
				    : SB_MAX_KEYS;
	/* the RELOADs that follow are the last of them, at their places */
	m->nhistory = (unsigned)(c->nhistory - (c->nhistory < MASTER_HISTORY
						       ? c->nhistory
						       : MASTER_HISTORY));
}

/* The next entry of the history, as the old master had it. */
static void
take_reload(struct master *m, const uint8_t *payload, size_t len)
{
	struct reload_result *r = &m->history[m->nhistory % MASTER_HISTORY];
	struct upgrade_reload head;
	size_t n = len - sizeof(head);

	memcpy(&head, payload, sizeof(head)); /* the payload is unaligned */
	if (n >= sizeof(r->text))
		n = sizeof(r->text) - 1;
	r->when = (time_t)head.when;
	r->took_ms = head.took_ms;
	r->verb = head.verb <= CTL_VERB_MAX ? (int)head.verb : 0;
	r->ok = head.ok != 0;
	memcpy(r->text, payload + sizeof(head), n);
	r->text[n] = '\0';
	m->nhistory++;
}

int
carry_take(struct master *m, const struct upgrade_msg *msg)
{
	struct upgrade_counters c;

	if (msg->h.type == UPGRADE_COUNTERS) {
		memcpy(&c, msg->payload, sizeof(c));
		take_counters(m, &c);
		return 0;
	}
	if (msg->h.type == UPGRADE_RELOAD) {
		take_reload(m, msg->payload, msg->h.len);
		return 0;
	}
	return -1;
}
