/*
 * Conditional requests (RFC 9110 13) and byte ranges (RFC 9110 14) for
 * static files: pure functions of header values and the file's
 * validators.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "protocol/http.h"
#include "workers/static.h"

#define RANGE_UNIT "bytes="

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Skips OWS and empty list elements (RFC 9110 5.6.1). */
static const char *
skip_list_sep(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	return p;
}

/*
 * One entity-tag at P (RFC 9110 8.8.3): [W/] DQUOTE *etagc DQUOTE. Sets
 * *OPAQUE and *LEN to the quoted part, quotes included. Returns the end,
 * or NULL when malformed.
 */
static const char *
etag_next(const char *p, const char **opaque, size_t *len)
{
	const char *q;

	if (p[0] == 'W' && p[1] == '/')
		p += 2;
	if (*p != '"')
		return NULL;
	for (q = p + 1; *q != '"'; q++)
		if (*q == '\0' || (unsigned char)*q <= ' ' || *q == 0x7f)
			return NULL;
	*opaque = p;
	*len = (size_t)(q + 1 - p);
	return q + 1;
}

bool
etag_list_match(const char *list, const char *etag)
{
	const char *p = skip_list_sep(list), *opaque;
	size_t len, elen = strlen(etag);

	if (*p == '*')
		return *skip_ows(p + 1) == '\0';
	while (*p != '\0') {
		if ((p = etag_next(p, &opaque, &len)) == NULL)
			return false;
		if (len == elen && memcmp(opaque, etag, len) == 0)
			return true;
		p = skip_ows(p);
		if (*p != ',' && *p != '\0')
			return false;
		p = skip_list_sep(p);
	}
	return false;
}

int
static_not_modified(
    const struct static_file *f, const char *inm, const char *ims, int64_t now)
{
	int64_t t;

	if (inm != NULL)
		return etag_list_match(inm, f->etag) ? 304 : 0;
	if (ims != NULL && (t = http_date_parse(ims)) >= 0 && t <= now &&
	    f->mtime <= t)
		return 304;
	return 0;
}

/* If-Range needs a strong match: a weak tag never matches (13.1.5). */
bool
static_if_range(const struct static_file *f, const char *if_range, int64_t now)
{
	int64_t t;

	if (if_range[0] == '"')
		return strcmp(if_range, f->etag) == 0;
	if (if_range[0] == 'W' && if_range[1] == '/')
		return false;
	t = http_date_parse(if_range);
	return t >= 0 && t == f->mtime && f->mtime < now;
}

/*
 * 1*DIGIT at *P, clamped to INT64_MAX: a huge first-pos is merely
 * unsatisfiable and a huge last-pos means "to the end". Returns false
 * when there is no digit.
 */
static bool
range_number(const char **p, int64_t *v)
{
	const char *s = *p;
	int64_t n = 0;
	int d;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		d = *s - '0';
		n = (n > (INT64_MAX - d) / 10) ? INT64_MAX : n * 10 + d;
	}
	*p = s;
	*v = n;
	return true;
}

/*
 * One range-spec at *P: *FIRST = -1 for a suffix range of *LAST bytes,
 * *LAST = -1 for an open range. False when malformed.
 */
static bool
range_spec(const char **p, int64_t *first, int64_t *last)
{
	*first = *last = -1;
	if (**p == '-') {
		(*p)++;
		return range_number(p, last);
	}
	if (!range_number(p, first) || **p != '-')
		return false;
	(*p)++;
	if (**p >= '0' && **p <= '9' && !range_number(p, last))
		return false;
	return *last == -1 || *last >= *first;
}

enum range_result
range_parse(const char *spec, int64_t size, int64_t *first, int64_t *last)
{
	const char *p;
	int64_t a, b;

	if (strncasecmp(spec, RANGE_UNIT, strlen(RANGE_UNIT)) != 0)
		return RANGE_NONE;
	p = skip_list_sep(spec + strlen(RANGE_UNIT));
	if (!range_spec(&p, &a, &b))
		return RANGE_NONE;
	if (*skip_list_sep(p) != '\0')
		return RANGE_NONE; /* several ranges, or trailing junk */
	if (a == -1) {
		if (b == 0)
			return RANGE_UNSATISFIABLE;
		if (size == 0)
			return RANGE_NONE; /* nothing to cut: send it whole */
		*first = (b >= size) ? 0 : size - b;
		*last = size - 1;
		return RANGE_OK;
	}
	if (a >= size)
		return RANGE_UNSATISFIABLE;
	*first = a;
	*last = (b == -1 || b >= size) ? size - 1 : b;
	return RANGE_OK;
}
