/*
 * The status page as JSON ("?json"): the numbers of "?auto" under
 * snake_case names, then each generation, each worker process and each
 * request slot at work with its client. The only strings are fixed
 * words, sanitized MPM names and addresses inet_ntop() wrote, still
 * written with buf_json(), so the document is valid JSON whatever the
 * board held.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "lib/buf.h"
#include "workers/scoreview.h"
#include "workers/status.h"

#define NAME_MAX_OUT 64

static void
json_str(struct buf *b, const char *s)
{
	buf_json(b, s, strlen(s), NAME_MAX_OUT);
}

/* A JSON number: never "inf" or "nan", which JSON does not have. */
static void
json_num(struct buf *b, double d)
{
	buf_printf(b, "%.6g", isfinite(d) ? d : 0.0);
}

static void
json_u(struct buf *b, const char *key, uint64_t v)
{
	buf_printf(b, ",\"%s\":%llu", key, (unsigned long long)v);
}

static void
json_server(struct buf *b, const struct scoreview *v)
{
	buf_str(b, "{\"server_version\":");
	json_str(b, SERVER_VERSION);
	buf_str(b, ",\"server_mpm\":");
	json_str(b, scoreview_mpm(v));
	buf_str(b, ",\"server_built\":");
	json_str(b, MPMD_BUILT);
	buf_printf(b, ",\"current_time\":%lld,\"restart_time\":%lld",
	    (long long)v->now, (long long)v->h.started);
	json_u(b, "config_generation", v->h.active);
	json_u(b, "mpm_generation", v->h.mpm_generation);
	json_u(b, "uptime", scoreview_uptime(v));
	buf_str(b, ",\"load\":[");
	json_num(b, v->load[0]);
	buf_str(b, ",");
	json_num(b, v->load[1]);
	buf_str(b, ",");
	json_num(b, v->load[2]);
	buf_str(b, "]");
}

static void
json_totals(struct buf *b, const struct scoreview *v)
{
	json_u(b, "total_accesses", v->total.requests);
	json_u(b, "total_bytes", v->total.bytes);
	json_u(b, "total_kbytes", v->total.bytes / 1024);
	json_u(b, "total_duration_ms", v->total.duration_us / 1000);
	buf_str(b, ",\"cpu_user\":");
	json_num(b, (double)v->cpu_us[0] / US_PER_SEC);
	buf_str(b, ",\"cpu_system\":");
	json_num(b, (double)v->cpu_us[1] / US_PER_SEC);
	json_u(b, "busy_workers", v->busy);
	json_u(b, "graceful_workers", v->graceful);
	json_u(b, "idle_workers", v->idle);
	json_u(b, "processes", v->processes);
	json_u(b, "stopping", v->stopping);
	buf_printf(b,
	    ",\"connections\":{\"total\":%llu,\"reading\":%llu,"
	    "\"writing\":%llu,\"keepalive\":%llu,\"closing\":%llu}",
	    (unsigned long long)v->connections,
	    (unsigned long long)v->conns[SB_C_READING],
	    (unsigned long long)v->conns[SB_C_WRITING],
	    (unsigned long long)v->conns[SB_C_KEEPALIVE],
	    (unsigned long long)v->conns[SB_C_CLOSING]);
	buf_str(b, ",\"scoreboard\":");
	buf_json(
	    b, v->letters != NULL ? v->letters : "", v->nletters, v->nletters);
}

static void
json_gens(struct buf *b, const struct scoreview *v)
{
	const struct view_gen *g;
	uint32_t i;
	size_t k;

	buf_str(b, ",\"generations\":[");
	for (i = 0; i < v->h.ngens; i++) {
		g = &v->gens[i];
		buf_printf(
		    b, "%s{\"id\":%u,\"mpm\":", i > 0 ? "," : "", g->g.id);
		json_str(b, g->g.mpm);
		buf_str(b, ",\"state\":");
		json_str(b, status_gen_state(g->g.state));
		buf_printf(b, ",\"processes\":%u,\"accesses\":%llu}",
		    g->g.processes,
		    (unsigned long long)scoreview_gen_total(g).requests);
	}
	buf_str(b, "]");
	for (k = 0; k < status_ncounts; k++)
		json_u(b, status_counts[k].json_key, status_counts[k].get(v));
}

static void
json_procs(struct buf *b, const struct scoreview *v)
{
	const struct view_proc *p;
	size_t i;

	buf_str(b, ",\"slots\":[");
	for (i = 0; i < v->nprocs; i++) {
		p = &v->procs[i];
		buf_printf(b,
		    "%s{\"slot\":%u,\"generation\":%u,\"state\":\"%s\","
		    "\"threads\":%u,\"busy\":%u,\"connections\":%u,"
		    "\"requests\":%llu,\"bytes\":%llu}",
		    i > 0 ? "," : "", p->slot, p->generation,
		    status_proc_state(p->state), p->threads, p->busy,
		    p->connections, (unsigned long long)p->c.requests,
		    (unsigned long long)p->c.bytes);
	}
	buf_str(b, "]");
}

static void
json_reqs(struct buf *b, const struct scoreview *v)
{
	const struct view_req *r;
	char addr[VIEW_ADDR_MAX], letter[2] = { 0 };
	size_t i;

	buf_str(b, ",\"request_slots\":[");
	for (i = 0; i < v->nreqs; i++) {
		r = &v->reqs[i];
		letter[0] = r->letter;
		buf_printf(b,
		    "%s{\"slot\":%u,\"thread\":%u,\"state\":", i > 0 ? "," : "",
		    r->slot, r->thread);
		json_str(b, letter);
		buf_str(b, ",\"client\":");
		json_str(b, scoreview_client(r, addr, sizeof(addr)));
		buf_str(b, "}");
	}
	buf_str(b, "]}\n");
}

void
status_json(struct buf *b, const struct scoreview *v)
{
	json_server(b, v);
	json_totals(b, v);
	json_gens(b, v);
	json_procs(b, v);
	json_reqs(b, v);
}
