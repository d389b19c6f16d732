/*
 * Rendering the status page from a scoreview. The "?auto" text follows
 * Apache 2.4's mod_status for its event MPM key by key (spelling, order,
 * number formats), so apache_exporter, collectd, Datadog and Zabbix read
 * it unchanged; mpmd's own keys follow Apache's.
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "workers/scoreview.h"
#include "workers/status.h"

#define PERCENT      100.0
#define DEFAULT_HOST "localhost"

/* Apache's DEFAULT_TIME_FORMAT, in local time as ap_ht_time(..., 0) is. */
#define STATUS_TIME_FORMAT "%A, %d-%b-%Y %H:%M:%S %Z"

enum status_format
status_format_of(const char *query)
{
	if (query != NULL && strstr(query, "auto") != NULL)
		return STATUS_TEXT;
	if (query != NULL && strstr(query, "json") != NULL)
		return STATUS_JSON;
	return STATUS_HTML;
}

const char *
status_content_type(enum status_format fmt)
{
	switch (fmt) {
	case STATUS_TEXT:
		return "text/plain";
	case STATUS_JSON:
		return "application/json";
	default:
		return "text/html";
	}
}

/* What Apache's first line shows: the host asked for, without a port. */
const char *
status_host(const char *host, char *out, size_t size)
{
	size_t n = 0;

	if (host == NULL)
		return DEFAULT_HOST;
	if (host[0] == '[')
		n = strcspn(host, "]") + (strchr(host, ']') != NULL);
	else
		n = strcspn(host, ":");
	if (n == 0 || n >= size ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789.-_[]:") < n)
		return DEFAULT_HOST;
	memcpy(out, host, n);
	out[n] = '\0';
	return out;
}

void
status_time(time_t t, char *out, size_t size)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, size, STATUS_TIME_FORMAT, &tm) == 0)
		snprintf(out, size, "%lld", (long long)t);
}

/* "%g" as APR prints it: no 0 before the point (".5", not "0.5"). */
static void
put_g(struct buf *b, const char *key, double v)
{
	char num[32];
	const char *p = num;

	snprintf(num, sizeof(num), "%g", v);
	if (num[0] == '0' && num[1] == '.')
		p++;
	buf_printf(b, "%s: %s\n", key, p);
}

static void
put_u(struct buf *b, const char *key, uint64_t v)
{
	buf_printf(b, "%s: %llu\n", key, (unsigned long long)v);
}

/* Apache's show_time(): " 1 day 2 hours 3 seconds", nothing for 0. */
static void
put_uptime(struct buf *b, uint64_t t)
{
	static const char *const units[] = { "day", "hour", "minute",
		"second" };
	uint64_t part[4];
	int i;

	part[3] = t % 60;
	part[2] = (t / 60) % 60;
	part[1] = (t / 3600) % 24;
	part[0] = t / 86400;
	for (i = 0; i < 4; i++)
		if (part[i] != 0)
			buf_printf(b, " %llu %s%s", (unsigned long long)part[i],
			    units[i], part[i] == 1 ? "" : "s");
}

double
status_per(double a, uint64_t b)
{
	return b > 0 ? a / (double)b : 0;
}

static void
auto_server(struct buf *b, const struct scoreview *v, const char *host)
{
	char now[STATUS_TIME_MAX], started[STATUS_TIME_MAX];
	char name[STATUS_HOST_MAX];
	uint64_t up = scoreview_uptime(v);

	status_time(v->now, now, sizeof(now));
	status_time((time_t)v->h.started, started, sizeof(started));
	buf_printf(b,
	    "%s\nServerVersion: %s\nServerMPM: %s\nServer Built: %s\n"
	    "CurrentTime: %s\nRestartTime: %s\n",
	    status_host(host, name, sizeof(name)), SERVER_VERSION,
	    scoreview_mpm(v), MPMD_BUILT, now, started);
	put_u(b, "ParentServerConfigGeneration", v->h.active);
	put_u(b, "ParentServerMPMGeneration", v->h.mpm_generation);
	put_u(b, "ServerUptimeSeconds", up);
	buf_str(b, "ServerUptime:");
	put_uptime(b, up);
	buf_printf(b, "\nLoad1: %.2f\nLoad5: %.2f\nLoad15: %.2f\n", v->load[0],
	    v->load[1], v->load[2]);
}

/*
 * Apache sums bytes in whole kilobytes and derives its rates from those;
 * so does this, so that the numbers agree with each other as Apache's do.
 */
static void
auto_totals(struct buf *b, const struct scoreview *v)
{
	uint64_t up = scoreview_uptime(v), n = v->total.requests;
	uint64_t kb = v->total.bytes / KIB, ms = v->total.duration_us / 1000;
	double cpu = (double)(v->cpu_us[0] + v->cpu_us[1]) / US_PER_SEC;

	put_u(b, "Total Accesses", n);
	put_u(b, "Total kBytes", kb);
	put_u(b, "Total Duration", ms);
	put_g(b, "CPUUser", (double)v->cpu_us[0] / US_PER_SEC);
	put_g(b, "CPUSystem", (double)v->cpu_us[1] / US_PER_SEC);
	put_g(b, "CPUChildrenUser", 0); /* workers start no processes */
	put_g(b, "CPUChildrenSystem", 0);
	put_g(b, "CPULoad", status_per(cpu * PERCENT, up));
	put_u(b, "Uptime", up);
	put_g(b, "ReqPerSec", status_per((double)n, up));
	put_g(b, "BytesPerSec", status_per((double)(kb * KIB), up));
	put_g(b, "BytesPerReq", status_per((double)(kb * KIB), n));
	put_g(b, "DurationPerReq",
	    status_per(
		(double)v->total.duration_us / US_PER_MS, v->total.finished));
}

static void
auto_workers(struct buf *b, const struct scoreview *v)
{
	put_u(b, "BusyWorkers", v->busy);
	put_u(b, "GracefulWorkers", v->graceful);
	put_u(b, "IdleWorkers", v->idle);
	put_u(b, "Processes", v->processes);
	put_u(b, "Stopping", v->stopping);
	put_u(b, "ConnsTotal", v->connections);
	put_u(b, "ConnsAsyncWaitIO", v->async_conns[SB_C_READING]);
	put_u(b, "ConnsAsyncWriting", v->async_conns[SB_C_WRITING]);
	put_u(b, "ConnsAsyncKeepAlive", v->async_conns[SB_C_KEEPALIVE]);
	put_u(b, "ConnsAsyncClosing", v->async_conns[SB_C_CLOSING]);
	buf_str(b, "Scoreboard: ");
	buf_add(b, v->letters != NULL ? v->letters : "", v->nletters);
	buf_str(b, "\n");
}

static const char *const proc_states[] = {
	[SB_EMPTY] = "empty",
	[SB_STARTING] = "starting",
	[SB_READY] = "ready",
	[SB_DRAINING] = "draining",
};

const char *
status_proc_state(uint32_t state)
{
	return state <= SB_DRAINING ? proc_states[state] : "unknown";
}

static const char *const gen_states[] = {
	[SB_GEN_STARTING] = "starting",
	[SB_GEN_ACTIVE] = "active",
	[SB_GEN_DRAINING] = "draining",
};

const char *
status_gen_state(uint32_t state)
{
	return state >= SB_GEN_STARTING && state <= SB_GEN_DRAINING
		   ? gen_states[state]
		   : "unknown";
}

/* Reloads that succeeded (OK) or failed, of every verb. */
static uint64_t
status_reloads(const struct scoreview *v, int ok)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < SB_RELOAD_VERBS; i++)
		n = sb_sat_add(n, v->h.reloads[i][ok]);
	return n;
}

static uint64_t
reloads_ok(const struct scoreview *v)
{
	return status_reloads(v, 1);
}

static uint64_t
reloads_failed(const struct scoreview *v)
{
	return status_reloads(v, 0);
}

static uint64_t
crashes(const struct scoreview *v)
{
	return v->h.crashes;
}

static uint64_t
restarts(const struct scoreview *v)
{
	return v->h.restarts;
}

static uint64_t
handoffs(const struct scoreview *v)
{
	return v->h.handoffs;
}

const struct status_count status_counts[] = {
	{ "ReloadsOK", "reloads_ok", reloads_ok },
	{ "ReloadsFailed", "reloads_failed", reloads_failed },
	{ "WorkerCrashes", "worker_crashes", crashes },
	{ "WorkerRestarts", "worker_restarts", restarts },
	{ "Handoffs", "handoffs", handoffs },
};
const size_t status_ncounts = sizeof(status_counts) / sizeof(status_counts[0]);

/* mpmd's own keys, after Apache's; indexed as mod_proxy_balancer does. */
static void
auto_mpmd(struct buf *b, const struct scoreview *v)
{
	const struct view_gen *g;
	uint32_t i;
	size_t k;

	put_u(b, "Generations", v->h.ngens);
	for (i = 0; i < v->h.ngens; i++) {
		g = &v->gens[i];
		buf_printf(b,
		    "Generation[%u]MPM: %s\nGeneration[%u]State: %s\n"
		    "Generation[%u]Processes: %u\nGeneration[%u]Accesses: %llu\n",
		    g->g.id, g->g.mpm, g->g.id, status_gen_state(g->g.state),
		    g->g.id, g->g.processes, g->g.id,
		    (unsigned long long)scoreview_gen_total(g).requests);
	}
	for (k = 0; k < status_ncounts; k++)
		put_u(b, status_counts[k].auto_key, status_counts[k].get(v));
}

static void
status_text(struct buf *b, const struct scoreview *v, const char *host)
{
	auto_server(b, v, host);
	auto_totals(b, v);
	auto_workers(b, v);
	auto_mpmd(b, v);
}

char *
status_render(const struct scoreview *v, enum status_format fmt,
    const char *host, size_t *len)
{
	struct buf b;

	buf_init(&b);
	if (fmt == STATUS_TEXT)
		status_text(&b, v, host);
	else if (fmt == STATUS_JSON)
		status_json(&b, v);
	else
		status_html(&b, v, host);
	return buf_take(&b, len);
}
