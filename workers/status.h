/*
 * The server status page, Apache mod_status's: HTML, "?auto" (the text
 * format every tool that reads Apache's status parses: its keys, in its
 * order, then mpmd's own) and "?json". It renders a scoreview, so every
 * number in it was read once and clamped.
 */
#ifndef MPMD_STATUS_H
#define MPMD_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct scoreview;

enum status_format {
	STATUS_HTML,
	STATUS_TEXT, /* ?auto */
	STATUS_JSON, /* ?json */
};

/* The format a query asks for: "auto" or "json" in it, as Apache looks. */
enum status_format status_format_of(const char *query);
const char *status_content_type(enum status_format fmt);

/*
 * Renders V for a client that asked for host HOST (NULL: none; shown
 * only when made of host-name characters). Returns a malloc'd body of
 * *LEN bytes, or NULL when out of memory.
 */
char *status_render(const struct scoreview *v, enum status_format fmt,
    const char *host, size_t *len);

/* The other two formats (status_html.c, status_json.c), and what they share. */
struct buf;
void status_html(struct buf *b, const struct scoreview *v, const char *host);
void status_json(struct buf *b, const struct scoreview *v);
/* HOST as Apache's first line shows it, in OUT (SIZE bytes), or a default. */
const char *status_host(const char *host, char *out, size_t size);
/* T as Apache shows times: "Saturday, 05-Dec-2026 07:54:30 UTC". */
void status_time(time_t t, char *out, size_t size);
/* A worker process's state as a word; out of range: "unknown". */
const char *status_proc_state(uint32_t state);
/* A generation's state as a word; a number out of range is "unknown". */
const char *status_gen_state(uint32_t state);
/* A / B, 0 when B is. */
double status_per(double a, uint64_t b);

/* mpmd's counts beyond Apache's, as "?auto" and "?json" name them. */
struct status_count {
	const char *auto_key;
	const char *json_key;
	uint64_t (*get)(const struct scoreview *v);
};
extern const struct status_count status_counts[];
extern const size_t status_ncounts;

#define KIB        1024
#define US_PER_MS  1000.0
#define US_PER_SEC 1000000.0

#define STATUS_HOST_MAX 256
#define STATUS_TIME_MAX 64 /* "Wednesday, 30-Sep-2026 23:59:59 CEST" fits */
#define SERVER_VERSION  "mpmd/" PACKAGE_VERSION

#endif
