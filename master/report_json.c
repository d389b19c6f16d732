/*
 * `mpmctl status --json`: what `mpmctl status` prints, as one JSON
 * object. The master's own table gives the generations and their
 * workers (pids, states); the scoreboard only the counts workers wrote,
 * shown and never acted upon. Every string goes through buf_json(), so
 * the document is valid JSON whatever a path or a message holds.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/sandbox.h"
#include "lib/version.h"
#include "master/master.h"
#include "protocol/ctl.h"

#define JSON_TEXT_MAX (6 * MASTER_RESULT_MAX) /* escaped, at the most */

static void
json_str(struct buf *r, const char *s)
{
	buf_json(r, s, strlen(s), JSON_TEXT_MAX);
}

/* ,"KEY":"VALUE" */
static void
json_kv(struct buf *r, const char *key, const char *value)
{
	buf_printf(r, ",\"%s\":", key);
	json_str(r, value);
}

/* What a generation's live workers wrote: shown, never acted upon. */
struct live {
	uint64_t connections;
	uint64_t requests;
};

static void
json_worker(struct buf *r, const struct master *m, const struct proc *p,
    struct live *live)
{
	struct sb_slot s;

	buf_printf(r, "{\"pid\":%ld,\"slot\":%u", (long)p->pid, p->slot);
	json_kv(r, "state", proc_state_name(p));
	if (scoreboard_copy(m, p->slot, &s) == 0) {
		live->connections =
		    sb_sat_add(live->connections, s.connections);
		live->requests = sb_sat_add(live->requests, s.c.requests);
		buf_printf(r,
		    ",\"connections\":%u,\"requests\":%llu,"
		    "\"uptime_ms\":%lld}",
		    s.connections, (unsigned long long)s.c.requests,
		    (long long)(master_now() - p->started));
	} else
		buf_str(r, "}");
}

/* "workers":[...],"connections":N,"requests":N */
static void
json_workers(struct buf *r, const struct master *m, const struct generation *g)
{
	struct live live = { 0, 0 };
	const struct proc *p;
	const char *sep = "";

	buf_str(r, ",\"workers\":[");
	TAILQ_FOREACH (p, &m->procs, entry) {
		if (p->gen != g || p->keys)
			continue;
		buf_str(r, sep);
		json_worker(r, m, p, &live);
		sep = ",";
	}
	buf_printf(r, "],\"connections\":%llu,\"requests\":%llu",
	    (unsigned long long)live.connections,
	    (unsigned long long)sb_sat_add(live.requests, g->folded.requests));
}

static void
json_tls(struct buf *r, const struct generation *g)
{
	if (g->ntls == 0) {
		buf_str(r, ",\"tls\":null");
		return;
	}
	buf_printf(r, ",\"tls\":{\"certificates\":%zu", g->ntls);
	unsigned i;

	json_kv(r, "keys", g->tls_isolated ? "key process" : "workers");
	if (g->tls_isolated) {
		json_kv(r, "key_user", g->conf.tls.key_user);
		buf_str(r, ",\"key_pids\":[");
		for (i = 0; i < g->nkeys; i++)
			buf_printf(r, "%s%ld", i > 0 ? "," : "",
			    g->keys[i] != NULL ? (long)g->keys[i]->pid : 0L);
		buf_str(r, "]");
	}
	buf_str(r, "}");
}

static void
json_crashes(struct buf *r, const struct generation *g)
{
	int64_t now = master_now(), wait = g->crash.until - now;
	bool recent = generation_crashing(g, now);

	buf_printf(
	    r, ",\"crashes\":{\"in_a_row\":%u", recent ? g->crash.count : 0);
	if (recent)
		buf_printf(r, ",\"last_ms_ago\":%lld,\"backoff_ms\":%lld",
		    (long long)(now - g->crash.last),
		    (long long)(wait > 0 ? wait : 0));
	buf_printf(r, ",\"replaced\":%u}", g->replace);
}

static void
json_generation(
    struct buf *r, const struct master *m, const struct generation *g)
{
	buf_printf(r, "{\"id\":%u", g->id);
	json_kv(r, "mpm", generation_mpm(g));
	json_kv(r, "state", generation_state(g));
	buf_printf(r, ",\"age_ms\":%lld,\"processes\":%u",
	    (long long)(master_now() - g->started), g->nprocs);
	json_workers(r, m, g);
	json_tls(r, g);
	json_crashes(r, g);
	buf_str(r, "}");
}

static void
json_reload(struct buf *r, const struct reload_result *h)
{
	char when[32];
	struct tm tm;

	localtime_r(&h->when, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", &tm);
	buf_printf(r, "{\"time\":%lld", (long long)h->when);
	json_kv(r, "time_text", when);
	json_kv(r, "verb", reload_verb_name(h->verb));
	json_kv(r, "outcome", h->ok ? "ok" : "failed");
	if (h->took_ms >= 0)
		buf_printf(r, ",\"duration_ms\":%lld", (long long)h->took_ms);
	else
		buf_str(r, ",\"duration_ms\":null");
	json_kv(r, "message", h->text);
	buf_str(r, "}");
}

/* The newest first, as the text shows them. */
static void
json_reloads(struct buf *r, const struct master *m)
{
	unsigned i, n = reload_history_count(m);

	buf_str(r, ",\"reloads\":[");
	for (i = 0; i < n; i++) {
		buf_str(r, i > 0 ? "," : "");
		json_reload(r, reload_history_at(m, i));
	}
	buf_str(r, "]");
}

/* The master's own counts, and the totals it keeps for exited workers. */
static void
json_counts(struct buf *r, const struct master *m)
{
	const struct master_counts *c = &m->counts;
	uint64_t ok = 0, failed = 0;
	int i;

	for (i = 0; i < SB_RELOAD_VERBS; i++) {
		ok += c->reloads[i][1];
		failed += c->reloads[i][0];
	}
	buf_printf(r,
	    ",\"counts\":{\"reloads_ok\":%llu,\"reloads_failed\":%llu,"
	    "\"worker_starts\":%llu,\"worker_crashes\":%llu,"
	    "\"worker_restarts\":%llu,\"handoffs\":%llu,"
	    "\"exited_requests\":%llu}",
	    (unsigned long long)ok, (unsigned long long)failed,
	    (unsigned long long)c->spawns, (unsigned long long)c->crashes,
	    (unsigned long long)c->restarts, (unsigned long long)m->handoffs,
	    (unsigned long long)m->pub.folded.requests);
}

void
report_json(struct master *m, struct buf *r)
{
	const struct generation *g;
	const char *sep = "";

	buf_printf(r, "{\"version\":");
	json_str(r, PACKAGE_VERSION);
	json_kv(r, "build", mpmd_version());
	buf_printf(r, ",\"pid\":%ld,\"started\":%lld,\"uptime_s\":%lld",
	    (long)getpid(), (long long)m->started_wall,
	    (long long)(time(NULL) - m->started_wall));
	json_kv(r, "config", m->conf_path != NULL ? m->conf_path : "");
	json_kv(r, "seccomp", sandbox_describe());
	buf_printf(r, ",\"stopping\":%s,\"generations\":[",
	    m->stopping ? "true" : "false");
	TAILQ_FOREACH (g, &m->gens, entry) {
		if (!generation_listed(g))
			continue;
		buf_str(r, sep);
		json_generation(r, m, g);
		sep = ",";
	}
	buf_str(r, "]");
	json_reloads(r, m);
	json_counts(r, m);
	buf_str(r, "}");
}
