/*
 * The metrics, family by family: a HELP and a TYPE line, then its
 * samples, as `promtool check metrics` wants them. Label values are
 * numbers, fixed words and MPM names the scoreview has already kept to
 * [A-Za-z0-9._-]: none needs escaping.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "workers/metrics.h"
#include "workers/scoreview.h"
#include "workers/status.h"

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* NAME{LABELS} V, LABELS without braces ("" for none). */
static void
sample(struct buf *b, const char *name, const char *labels, uint64_t v)
{
	buf_printf(b, "%s%s%s%s %llu\n", name, labels[0] != '\0' ? "{" : "",
	    labels, labels[0] != '\0' ? "}" : "", (unsigned long long)v);
}

static void
sample_seconds(struct buf *b, const char *name, const char *labels, uint64_t us)
{
	buf_printf(b, "%s{%s} %.6f\n", name, labels, (double)us / US_PER_SEC);
}

/* The families with one sample and no labels. */
enum scalar {
	M_START_TIME,
	M_CONFIG_GENERATION,
	M_REQUESTS,
	M_BYTES,
	M_ACCEPTED,
	M_CRASHES,
	M_RESTARTS,
	M_STARTS,
	M_HANDOFFS,
	M_SCALARS
};

static const struct {
	const char *name;
	const char *type;
	const char *help;
} scalars[M_SCALARS] = {
	[M_START_TIME] = { "mpmd_start_time_seconds", "gauge",
	    "When the master started, in seconds since the epoch." },
	[M_CONFIG_GENERATION] = { "mpmd_config_generation", "gauge",
	    "The active generation (Apache's ParentServerConfigGeneration)." },
	[M_REQUESTS] = { "mpmd_requests_total", "counter",
	    "Requests answered (and logged) since the master started." },
	[M_BYTES] = { "mpmd_sent_bytes_total", "counter",
	    "Response body bytes of those requests." },
	[M_ACCEPTED] = { "mpmd_connections_accepted_total", "counter",
	    "Client connections accepted." },
	[M_CRASHES] = { "mpmd_worker_crashes_total", "counter",
	    "Workers that exited unasked and not cleanly." },
	[M_RESTARTS] = { "mpmd_worker_restarts_total", "counter",
	    "Workers started in place of one that exited unasked." },
	[M_STARTS] = { "mpmd_worker_starts_total", "counter",
	    "Worker processes started." },
	[M_HANDOFFS] = { "mpmd_handoffs_total", "counter",
	    "Idle connections passed to a new generation on a reload." },
};

static uint64_t
scalar_value(const struct scoreview *v, enum scalar m)
{
	switch (m) {
	case M_START_TIME:
		return v->h.started > 0 ? (uint64_t)v->h.started : 0;
	case M_CONFIG_GENERATION:
		return v->h.active;
	case M_REQUESTS:
		return v->total.requests;
	case M_BYTES:
		return v->total.bytes;
	case M_ACCEPTED:
		return v->total.accepted;
	case M_CRASHES:
		return v->h.crashes;
	case M_RESTARTS:
		return v->h.restarts;
	case M_STARTS:
		return v->h.spawns;
	default:
		return v->h.handoffs;
	}
}

static void
metrics_scalars(struct buf *b, const struct scoreview *v)
{
	int m;

	for (m = 0; m < M_SCALARS; m++) {
		family(b, scalars[m].name, scalars[m].type, scalars[m].help);
		sample(b, scalars[m].name, "", scalar_value(v, m));
	}
}

static void
metrics_info(struct buf *b, const struct scoreview *v)
{
	char labels[128];

	family(b, "mpmd_info", "gauge",
	    "mpmd's version and the MPM of the active generation.");
	snprintf(labels, sizeof(labels), "version=\"%s\",mpm=\"%s\"",
	    PACKAGE_VERSION, scoreview_mpm(v));
	sample(b, "mpmd_info", labels, 1);
}

static void
metrics_cpu(struct buf *b, const struct scoreview *v)
{
	static const char *const modes[] = { "user", "system" };
	char labels[64];
	int i;

	family(b, "mpmd_cpu_seconds_total", "counter",
	    "CPU time of the master and of the processes it started (workers, "
	    "key process), running and exited.");
	for (i = 0; i < 2; i++) {
		snprintf(labels, sizeof(labels),
		    "process=\"master\",mode=\"%s\"", modes[i]);
		sample_seconds(
		    b, "mpmd_cpu_seconds_total", labels, v->h.cpu_master_us[i]);
	}
	for (i = 0; i < 2; i++) {
		snprintf(labels, sizeof(labels),
		    "process=\"workers\",mode=\"%s\"", modes[i]);
		sample_seconds(b, "mpmd_cpu_seconds_total", labels,
		    v->h.cpu_workers_us[i]);
	}
}

/* Cumulative buckets; the count is the +Inf bucket's, so they agree. */
static void
metrics_duration(struct buf *b, const struct scoreview *v)
{
	const char *name = "mpmd_request_duration_seconds";
	uint64_t n = 0;
	unsigned i;

	family(b, name, "histogram",
	    "From a request's first byte to the end of its response.");
	for (i = 0; i < SB_BUCKETS; i++) {
		n = sb_sat_add(n, v->total.buckets[i]);
		buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name,
		    (double)sb_bucket_bound_us(i) / US_PER_SEC,
		    (unsigned long long)n);
	}
	n = sb_sat_add(n, v->total.buckets[SB_BUCKETS]);
	buf_printf(
	    b, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)n);
	buf_printf(b, "%s_sum %.6f\n%s_count %llu\n", name,
	    (double)v->total.duration_us / US_PER_SEC, name,
	    (unsigned long long)n);
}

/* generation="N",mpm="NAME", and its state when STATE. */
static void
gen_labels(const struct view_gen *g, bool state, char *out, size_t size)
{
	snprintf(out, size, "generation=\"%u\",mpm=\"%s\"", g->g.id, g->g.mpm);
	if (state)
		snprintf(out + strlen(out), size - strlen(out), ",state=\"%s\"",
		    status_gen_state(g->g.state));
}

static void
metrics_gens(struct buf *b, const struct scoreview *v)
{
	char labels[128];
	uint32_t i;

	family(b, "mpmd_generation_info", "gauge",
	    "A generation that runs: its MPM and its state.");
	for (i = 0; i < v->h.ngens; i++) {
		gen_labels(&v->gens[i], true, labels, sizeof(labels));
		sample(b, "mpmd_generation_info", labels, 1);
	}
	family(b, "mpmd_generation_processes", "gauge",
	    "Worker processes of a generation.");
	for (i = 0; i < v->h.ngens; i++) {
		gen_labels(&v->gens[i], false, labels, sizeof(labels));
		sample(b, "mpmd_generation_processes", labels,
		    v->gens[i].g.processes);
	}
	family(b, "mpmd_generation_requests_total", "counter",
	    "Requests answered by a generation's workers.");
	for (i = 0; i < v->h.ngens; i++) {
		gen_labels(&v->gens[i], false, labels, sizeof(labels));
		sample(b, "mpmd_generation_requests_total", labels,
		    scoreview_gen_total(&v->gens[i]).requests);
	}
}

static void
metrics_workers(struct buf *b, const struct scoreview *v)
{
	static const char *const states[SB_T_COUNT] = { "open", "starting",
		"waiting", "reading", "sending", "keepalive", "logging",
		"closing", "graceful" };
	char labels[64];
	int i;

	family(b, "mpmd_workers", "gauge",
	    "Request slots as Apache counts its workers.");
	sample(b, "mpmd_workers", "state=\"busy\"", v->busy);
	sample(b, "mpmd_workers", "state=\"idle\"", v->idle);
	sample(b, "mpmd_workers", "state=\"graceful\"", v->graceful);
	family(b, "mpmd_scoreboard", "gauge",
	    "Request slots by Apache scoreboard state.");
	for (i = 0; i < SB_T_COUNT; i++) {
		snprintf(labels, sizeof(labels), "state=\"%s\"", states[i]);
		sample(b, "mpmd_scoreboard", labels, v->letter[i]);
	}
	family(b, "mpmd_processes", "gauge", "Worker processes.");
	sample(b, "mpmd_processes", "state=\"all\"", v->processes);
	sample(b, "mpmd_processes", "state=\"stopping\"", v->stopping);
}

static void
metrics_connections(struct buf *b, const struct scoreview *v)
{
	static const char *const states[SB_C_COUNT] = { "reading", "writing",
		"keepalive", "closing" };
	char labels[64];
	int i;

	family(b, "mpmd_connections", "gauge",
	    "Open client connections, by what they wait for.");
	for (i = 0; i < SB_C_COUNT; i++) {
		snprintf(labels, sizeof(labels), "state=\"%s\"", states[i]);
		sample(b, "mpmd_connections", labels, v->conns[i]);
	}
}

static void
metrics_reloads(struct buf *b, const struct scoreview *v)
{
	static const char *const verbs[SB_RELOAD_VERBS] = { "start", "graceful",
		"restart" };
	char labels[64];
	int i, ok;

	family(b, "mpmd_reloads_total", "counter",
	    "Starts, graceful restarts and restarts, by result.");
	for (i = 0; i < SB_RELOAD_VERBS; i++)
		for (ok = 1; ok >= 0; ok--) {
			snprintf(labels, sizeof(labels),
			    "verb=\"%s\",result=\"%s\"", verbs[i],
			    ok ? "ok" : "failed");
			sample(b, "mpmd_reloads_total", labels,
			    v->h.reloads[i][ok]);
		}
}

/* One family a count of the key processes, a sample an index of them. */
static void
metrics_keys(struct buf *b, const struct scoreview *v)
{
	static const struct {
		const char *name;
		const char *help;
		size_t off;
	} fams[] = {
		{ "mpmd_key_signatures_total",
		    "TLS handshake signatures a key process made (by its index "
		    "of KeyProcesses, across replacements and generations).",
		    offsetof(struct sb_header, key_signatures) },
		{ "mpmd_key_refused_total",
		    "Requests a key process refused (not a signature it makes).",
		    offsetof(struct sb_header, key_refused) },
		{ "mpmd_key_unread_total",
		    "Replies of a key process its worker did not take.",
		    offsetof(struct sb_header, key_unread) },
	};
	uint32_t i, n = v->h.key_indices;
	const uint64_t *vals;
	char labels[32];
	size_t f;

	if (n > SB_MAX_KEYS)
		n = SB_MAX_KEYS;
	for (f = 0; f < sizeof(fams) / sizeof(fams[0]) && n > 0; f++) {
		family(b, fams[f].name, "counter", fams[f].help);
		vals = (const uint64_t *)((const char *)&v->h + fams[f].off);
		for (i = 0; i < n; i++) {
			snprintf(labels, sizeof(labels), "key_process=\"%u\"",
			    i + 1);
			sample(b, fams[f].name, labels, vals[i]);
		}
	}
}

char *
metrics_render(const struct scoreview *v, size_t *len)
{
	struct buf b;

	buf_init(&b);
	metrics_info(&b, v);
	metrics_scalars(&b, v);
	metrics_cpu(&b, v);
	metrics_duration(&b, v);
	metrics_gens(&b, v);
	metrics_workers(&b, v);
	metrics_connections(&b, v);
	metrics_reloads(&b, v);
	metrics_keys(&b, v);
	return buf_take(&b, len);
}
