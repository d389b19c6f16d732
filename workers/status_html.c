/*
 * The status page as HTML, laid out as Apache's: the server, the totals,
 * a row per worker process, a row per request slot at work with its
 * client, the scoreboard letters and their legend. Every string in it is
 * a number, a fixed word, an address inet_ntop() wrote, or a name the
 * header carries sanitized ([A-Za-z0-9._-]): nothing needs HTML escaping
 * but the host, which status_host() keeps to host-name characters.
 */
#include "config.h"

#include <stdio.h>

#include "lib/buf.h"
#include "lib/plural.h"
#include "workers/scoreview.h"
#include "workers/status.h"

static void
html_server(struct buf *b, const struct scoreview *v, const char *host)
{
	char now[STATUS_TIME_MAX], started[STATUS_TIME_MAX];
	char name[STATUS_HOST_MAX];

	status_time(v->now, now, sizeof(now));
	status_time((time_t)v->h.started, started, sizeof(started));
	buf_printf(b,
	    "<!DOCTYPE html>\n<html><head><title>mpmd status</title></head>"
	    "<body>\n<h1>mpmd status for %s</h1>\n"
	    "<dl><dt>Server Version: %s</dt>\n<dt>Server MPM: %s</dt>\n"
	    "<dt>Server Built: %s</dt></dl><hr><dl>\n"
	    "<dt>Current Time: %s</dt>\n<dt>Restart Time: %s</dt>\n"
	    "<dt>Parent Server Config. Generation: %u</dt>\n"
	    "<dt>Parent Server MPM Generation: %llu</dt>\n"
	    "<dt>Server uptime: %llu seconds</dt>\n"
	    "<dt>Server load: %.2f %.2f %.2f</dt>\n",
	    status_host(host, name, sizeof(name)), SERVER_VERSION,
	    scoreview_mpm(v), MPMD_BUILT, now, started, v->h.active,
	    (unsigned long long)v->h.mpm_generation,
	    (unsigned long long)scoreview_uptime(v), v->load[0], v->load[1],
	    v->load[2]);
}

static void
html_totals(struct buf *b, const struct scoreview *v)
{
	const struct sb_counters *t = &v->total;

	buf_printf(b,
	    "<dt>Total accesses: %llu - Total Traffic: %llu kB - "
	    "Total Duration: %llu ms</dt>\n"
	    "<dt>CPU Usage: u%.2f s%.2f</dt>\n"
	    "<dt>%llu request%s currently being processed, %llu worker%s "
	    "gracefully restarting, %llu idle worker%s</dt>\n"
	    "<dt>%llu connection%s: %llu reading, %llu writing, %llu "
	    "keep-alive, %llu closing</dt></dl>\n",
	    (unsigned long long)t->requests,
	    (unsigned long long)(t->bytes / KIB),
	    (unsigned long long)(t->duration_us / 1000),
	    (double)v->cpu_us[0] / US_PER_SEC,
	    (double)v->cpu_us[1] / US_PER_SEC, (unsigned long long)v->busy,
	    plural(v->busy), (unsigned long long)v->graceful,
	    plural(v->graceful), (unsigned long long)v->idle, plural(v->idle),
	    (unsigned long long)v->connections, plural(v->connections),
	    (unsigned long long)v->conns[SB_C_READING],
	    (unsigned long long)v->conns[SB_C_WRITING],
	    (unsigned long long)v->conns[SB_C_KEEPALIVE],
	    (unsigned long long)v->conns[SB_C_CLOSING]);
}

static void
html_procs(struct buf *b, const struct scoreview *v)
{
	const struct view_proc *p;
	size_t i;

	buf_str(b, "<table>\n<tr><th>Slot</th><th>Generation</th>"
		   "<th>State</th><th>Threads</th><th>Busy</th>"
		   "<th>Connections</th><th>Accesses</th><th>kB</th>"
		   "<th>ms/request</th></tr>\n");
	for (i = 0; i < v->nprocs; i++) {
		p = &v->procs[i];
		buf_printf(b,
		    "<tr><td>%u</td><td>%u</td><td>%s</td><td>%u</td>"
		    "<td>%u</td><td>%u</td><td>%llu</td><td>%llu</td>"
		    "<td>%.3f</td></tr>\n",
		    p->slot, p->generation, status_proc_state(p->state),
		    p->threads, p->busy, p->connections,
		    (unsigned long long)p->c.requests,
		    (unsigned long long)(p->c.bytes / KIB),
		    status_per(
			(double)p->c.duration_us / US_PER_MS, p->c.finished));
	}
	buf_str(b, "</table>\n");
}

static void
html_reqs(struct buf *b, const struct scoreview *v)
{
	const struct view_req *r;
	char addr[VIEW_ADDR_MAX];
	size_t i;

	buf_str(b, "<table>\n<tr><th>Slot</th><th>Request slot</th>"
		   "<th>State</th><th>Client</th></tr>\n");
	for (i = 0; i < v->nreqs; i++) {
		r = &v->reqs[i];
		buf_printf(b,
		    "<tr><td>%u</td><td>%u</td><td>%c</td><td>%s</td></tr>\n",
		    r->slot, r->thread, r->letter,
		    scoreview_client(r, addr, sizeof(addr)));
	}
	buf_str(b, "</table>\n");
}

static void
html_letters(struct buf *b, const struct scoreview *v)
{
	buf_str(b, "<pre>");
	buf_add(b, v->letters != NULL ? v->letters : "", v->nletters);
	buf_str(b,
	    "</pre>\n<p>Scoreboard Key:<br>\n"
	    "\"<b><code>_</code></b>\" Waiting for Connection, "
	    "\"<b><code>S</code></b>\" Starting up, "
	    "\"<b><code>R</code></b>\" Reading Request,<br>\n"
	    "\"<b><code>W</code></b>\" Sending Reply, "
	    "\"<b><code>K</code></b>\" Keepalive (read), "
	    "\"<b><code>L</code></b>\" Logging,<br>\n"
	    "\"<b><code>C</code></b>\" Closing connection, "
	    "\"<b><code>G</code></b>\" Gracefully finishing, "
	    "\"<b><code>.</code></b>\" Open slot with no current process</p>\n");
}

void
status_html(struct buf *b, const struct scoreview *v, const char *host)
{
	html_server(b, v, host);
	html_totals(b, v);
	html_procs(b, v);
	html_reqs(b, v);
	html_letters(b, v);
	buf_str(b, "</body></html>\n");
}
