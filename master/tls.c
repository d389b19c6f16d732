/*
 * TLS for a generation: its certificate/key pairs, read when it is
 * created (a bad file fails the reload, FILE:LINE and all, before
 * anything changed), and what a worker and the key process are told of
 * them. Workers get the chains, and the keys only with SSLKeyIsolation
 * off; the key process gets the keys.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/ktls.h"
#include "lib/log.h"
#include "lib/plural.h"
#include "lib/xmalloc.h"
#include "master/master.h"
#include "protocol/ipc_tls.h"

_Static_assert(CONF_MAX_CERTS <= IPC_TLS_MAX_PAIRS, "pairs on the wire");

static bool
needs_tls(const struct conf *conf)
{
	size_t i;

	for (i = 0; i < conf->nlisten; i++)
		if (conf->listen[i].flags & CONF_LISTEN_HTTPS)
			return true;
	return false;
}

int
tls_generation_load(struct generation *g, char **cause)
{
	const struct conf_tls *tls = &g->conf.tls;
	size_t i;

	if (!needs_tls(&g->conf))
		return 0;
	for (i = 0; i < tls->ncerts; i++) {
		/* *cause: "SSLCertificate[Key]File: PATH: ..." */
		if (conf_tls_read(&tls->certs[i], tls->key_isolation,
			&g->tls[i], cause) == -1)
			return -1;
		g->ntls++;
	}
	g->tls_isolated = tls->key_isolation;
	g->nkeys = g->tls_isolated ? keys_count(&g->conf) : 0;
	log_info("TLS: %zu certificate%s, keys %s; files go out with %s",
	    g->ntls, plural(g->ntls),
	    g->tls_isolated ? "in key processes" : "in the workers",
	    ktls_available() ? "sendfile() through kTLS"
			     : "SSL_write() (this kernel has no kTLS)");
	return 0;
}

void
tls_generation_free(struct generation *g)
{
	size_t i;

	for (i = 0; i < g->ntls; i++)
		conf_tls_pair_free(&g->tls[i]);
	g->ntls = 0;
}

/* DATA in as many TYPE messages as it takes, each piece naming its place. */
static int
send_part(struct proc *p, enum ipc_type type, uint32_t index, uint32_t kind,
    const void *data, size_t len)
{
	uint8_t buf[IPC_MAX_PAYLOAD];
	struct ipc_tls_part h = {
		.index = index, .type = kind, .total = (uint32_t)len
	};
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = ipc_tls_piece(len, off);
		h.offset = (uint32_t)off;
		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), (const uint8_t *)data + off, n);
		if (channel_send(p, type, buf, sizeof(h) + n, NULL, 0) == -1)
			return -1;
	}
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

static int
send_keys(struct proc *p)
{
	const struct generation *g = p->gen;
	size_t i;

	for (i = 0; i < g->ntls; i++)
		if (send_part(p, IPC_TLS_KEY, (uint32_t)i,
			(uint32_t)g->tls[i].key_type, g->tls[i].key,
			g->tls[i].key_len) == -1)
			return -1;
	return 0;
}

int
tls_send_worker(struct master *m, struct proc *p)
{
	const struct generation *g = p->gen;
	size_t i;

	for (i = 0; i < g->ntls; i++)
		if (send_part(p, IPC_TLS_CERT, (uint32_t)i, 0, g->tls[i].chain,
			g->tls[i].chain_len) == -1)
			return -1;
	if (g->ntls > 0 && !g->tls_isolated && send_keys(p) == -1)
		return -1;
	if (g->ntls > 0 && g->conf.tls.session_tickets)
		return tickets_send(m, p);
	return 0;
}

int
tls_send_keyproc(struct proc *p)
{
	struct ipc_setup setup;

	memset(&setup, 0, sizeof(setup));
	setup.generation = p->gen->id;
	setup.ntls = (uint32_t)p->gen->ntls;
	if (channel_send(p, IPC_SETUP, &setup, sizeof(setup), NULL, 0) == -1)
		return -1;
	return send_keys(p);
}
