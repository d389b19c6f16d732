/*
 * The server status page (Apache mod_status style): the scoreboard as
 * HTML, as "?auto" text or as "?json". Every number in the shared mapping
 * is untrusted: the slot count is clamped to what is really mapped.
 */
#ifndef MPMD_STATUS_H
#define MPMD_STATUS_H

#include <stddef.h>
#include <stdint.h>

struct sb_header;

enum status_format {
	STATUS_HTML,
	STATUS_TEXT, /* ?auto */
	STATUS_JSON, /* ?json */
};

/* The format a query asks for (NULL or anything else: HTML). */
enum status_format status_format_of(const char *query);
const char *status_content_type(enum status_format fmt);

/*
 * Renders the scoreboard mapped at SB (SIZE bytes; SB may be NULL).
 * Returns a malloc'd body of *LEN bytes, or NULL when out of memory.
 */
char *status_render(const struct sb_header *sb, uint64_t size,
    enum status_format fmt, size_t *len);

#endif
