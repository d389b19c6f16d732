/*
 * Rendering the scoreboard. Other processes write their slots while we
 * read, so each field is loaded once, atomically, and treated as a plain
 * untrusted number: nothing read here is used as a size, index or pid.
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "protocol/scoreboard.h"
#include "workers/status.h"

#define KIB 1024

struct status_totals {
	uint64_t requests, bytes;
	uint64_t busy, idle, processes, connections, generations;
};

enum status_format
status_format_of(const char *query)
{
	if (query != NULL && strcmp(query, "auto") == 0)
		return STATUS_TEXT;
	if (query != NULL && strcmp(query, "json") == 0)
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

static const char *
status_state_name(uint32_t state)
{
	switch (state) {
	case SB_STARTING:
		return "starting";
	case SB_READY:
		return "ready";
	case SB_DRAINING:
		return "draining";
	default:
		return "unknown";
	}
}

/* Slots really mapped: never more than the header claims or SB_MAX_SLOTS. */
static uint32_t
status_nslots(const struct sb_header *sb, uint64_t size)
{
	uint64_t n, fit;

	if (sb == NULL || size < SB_HEADER_SIZE ||
	    sb_read(&sb->magic) != SB_MAGIC)
		return 0;
	n = sb_read(&sb->nslots);
	fit = (size - SB_HEADER_SIZE) / sizeof(struct sb_slot);
	if (n > fit)
		n = fit;
	return n > SB_MAX_SLOTS ? SB_MAX_SLOTS : (uint32_t)n;
}

/* A consistent-enough private copy of slot I. */
static void
status_slot(const struct sb_header *sb, uint32_t i, struct sb_slot *s)
{
	sb_copy(sb_slot_at(sb, i), s);
}

static void
status_sum(const struct sb_header *sb, uint32_t n, struct status_totals *t)
{
	uint32_t gens[SB_MAX_SLOTS];
	struct sb_slot s;
	uint32_t i, j;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < n; i++) {
		status_slot(sb, i, &s);
		if (s.state == SB_EMPTY)
			continue;
		t->requests += s.c.requests;
		t->bytes += s.c.bytes;
		t->busy += s.busy;
		t->idle += s.threads - s.busy;
		t->connections += s.connections;
		for (j = 0; j < t->generations && gens[j] != s.generation; j++)
			;
		if (j == t->generations)
			gens[t->generations++] = s.generation;
		t->processes++;
	}
}

static void
status_text(struct buf *b, const struct status_totals *t)
{
	buf_printf(b,
	    "Total Accesses: %llu\nTotal kBytes: %llu\n"
	    "BusyWorkers: %llu\nIdleWorkers: %llu\nProcesses: %llu\n"
	    "ConnsTotal: %llu\nGenerations: %llu\n",
	    (unsigned long long)t->requests,
	    (unsigned long long)(t->bytes / KIB), (unsigned long long)t->busy,
	    (unsigned long long)t->idle, (unsigned long long)t->processes,
	    (unsigned long long)t->connections,
	    (unsigned long long)t->generations);
}

static void
status_json(struct buf *b, const struct sb_header *sb, uint32_t n,
    const struct status_totals *t)
{
	const char *sep = "";
	struct sb_slot s;
	uint32_t i;

	buf_printf(b,
	    "{\"total_accesses\":%llu,\"total_kbytes\":%llu,"
	    "\"busy_workers\":%llu,\"idle_workers\":%llu,\"processes\":%llu,"
	    "\"connections\":%llu,\"generations\":%llu,\"slots\":[",
	    (unsigned long long)t->requests,
	    (unsigned long long)(t->bytes / KIB), (unsigned long long)t->busy,
	    (unsigned long long)t->idle, (unsigned long long)t->processes,
	    (unsigned long long)t->connections,
	    (unsigned long long)t->generations);
	for (i = 0; i < n; i++) {
		status_slot(sb, i, &s);
		if (s.state == SB_EMPTY)
			continue;
		buf_printf(b,
		    "%s{\"slot\":%u,\"generation\":%u,\"state\":\"%s\","
		    "\"threads\":%u,\"busy\":%u,\"connections\":%u,"
		    "\"requests\":%llu,\"bytes\":%llu}",
		    sep, i, s.generation, status_state_name(s.state), s.threads,
		    s.busy, s.connections, (unsigned long long)s.c.requests,
		    (unsigned long long)s.c.bytes);
		sep = ",";
	}
	buf_printf(b, "]}\n");
}

static void
status_html(struct buf *b, const struct sb_header *sb, uint32_t n,
    const struct status_totals *t)
{
	struct sb_slot s;
	uint32_t i;

	buf_printf(b,
	    "<!DOCTYPE html><html><head><title>mpmd status</title></head>"
	    "<body><h1>mpmd status</h1><dl>"
	    "<dt>Total accesses</dt><dd>%llu</dd>"
	    "<dt>Total traffic</dt><dd>%llu kB</dd>"
	    "<dt>Busy workers</dt><dd>%llu</dd>"
	    "<dt>Idle workers</dt><dd>%llu</dd>"
	    "<dt>Processes</dt><dd>%llu</dd>"
	    "<dt>Connections</dt><dd>%llu</dd>"
	    "<dt>Generations</dt><dd>%llu</dd></dl>\n"
	    "<table><tr><th>Slot</th><th>Generation</th><th>State</th>"
	    "<th>Threads</th><th>Busy</th><th>Connections</th>"
	    "<th>Requests</th><th>Bytes</th></tr>\n",
	    (unsigned long long)t->requests,
	    (unsigned long long)(t->bytes / KIB), (unsigned long long)t->busy,
	    (unsigned long long)t->idle, (unsigned long long)t->processes,
	    (unsigned long long)t->connections,
	    (unsigned long long)t->generations);
	for (i = 0; i < n; i++) {
		status_slot(sb, i, &s);
		if (s.state == SB_EMPTY)
			continue;
		buf_printf(b,
		    "<tr><td>%u</td><td>%u</td><td>%s</td><td>%u</td>"
		    "<td>%u</td><td>%u</td><td>%llu</td><td>%llu</td></tr>\n",
		    i, s.generation, status_state_name(s.state), s.threads,
		    s.busy, s.connections, (unsigned long long)s.c.requests,
		    (unsigned long long)s.c.bytes);
	}
	buf_printf(b, "</table></body></html>\n");
}

char *
status_render(const struct sb_header *sb, uint64_t size, enum status_format fmt,
    size_t *len)
{
	struct status_totals t;
	uint32_t n = status_nslots(sb, size);
	struct buf b;

	buf_init(&b);
	status_sum(sb, n, &t);
	if (fmt == STATUS_TEXT)
		status_text(&b, &t);
	else if (fmt == STATUS_JSON)
		status_json(&b, sb, n, &t);
	else
		status_html(&b, sb, n, &t);
	return buf_take(&b, len);
}
