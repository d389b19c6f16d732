/*
 * libFuzzer target for workers/cond.c: byte ranges and conditional
 * requests against a fake static file. The input is the file size (8 bytes,
 * host order, sign bit cleared), the server's clock (8 bytes, seconds,
 * taken modulo the year 10000), then up to four header values separated by
 * LF: Range, If-Range, If-None-Match, If-Modified-Since. The file was last
 * modified at FUZZ_MTIME, as in tests/unit/check_static.c, and carries the
 * ETag static.c would give it. An empty value is an absent header. Each
 * value is a string of its exact size, so ASan sees a read past its NUL.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workers/static.h"
#include "contrib/fuzz/fuzz.h"

#define FUZZ_MTIME     946684800    /* Sat, 01 Jan 2000 00:00:00 GMT */
#define FUZZ_CLOCK_END 253402300800 /* Sat, 01 Jan 10000: what a date holds */
#define FUZZ_FIELDS    4

enum { F_RANGE, F_IF_RANGE, F_INM, F_IMS };

/* Splits DATA at LF (a value stops at NUL) into FIELD, NULL if empty. */
static void
split_fields(const uint8_t *data, size_t size, char *field[FUZZ_FIELDS])
{
	const uint8_t *nl;
	size_t i, pos = 0, n;

	for (i = 0; i < FUZZ_FIELDS; i++) {
		field[i] = NULL;
		if (pos >= size)
			continue;
		nl = memchr(data + pos, '\n', size - pos);
		n = nl != NULL ? (size_t)(nl - (data + pos)) : size - pos;
		if (n > 0) {
			field[i] = strndup((const char *)data + pos, n);
			CHECK(field[i] != NULL);
		}
		pos += n + 1;
	}
}

static void
fake_file(struct static_file *f, int64_t size)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->data = "";
	f->size = size;
	f->mtime = FUZZ_MTIME;
	snprintf(f->etag, sizeof(f->etag), "\"%llx.%lx-%llx\"",
	    (unsigned long long)f->mtime, f->mtime_nsec,
	    (unsigned long long)f->size);
}

static void
check_range(const char *spec, int64_t size)
{
	int64_t first = -7, last = -7;
	enum range_result r = range_parse(spec, size, &first, &last);

	CHECK(r == RANGE_NONE || r == RANGE_OK || r == RANGE_UNSATISFIABLE);
	if (r == RANGE_OK)
		CHECK(0 <= first && first <= last && last < size);
}

static void
check_conditionals(
    const struct static_file *f, char *field[FUZZ_FIELDS], int64_t now)
{
	int st;

	if (field[F_IF_RANGE] != NULL)
		(void)static_if_range(f, field[F_IF_RANGE], now);
	st = static_not_modified(f, field[F_INM], field[F_IMS], now);
	CHECK(st == 0 || st == 304);
	/* the file's own tag always matches, and validates an If-Range */
	CHECK(etag_list_match(f->etag, f->etag) &&
	      static_if_range(f, f->etag, now));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *field[FUZZ_FIELDS];
	struct static_file f;
	uint64_t u[2];
	size_t i;

	if (size < sizeof(u))
		return 0;
	memcpy(u, data, sizeof(u));
	fake_file(&f, (int64_t)(u[0] & INT64_MAX));
	split_fields(data + sizeof(u), size - sizeof(u), field);
	if (field[F_RANGE] != NULL)
		check_range(field[F_RANGE], f.size);
	check_conditionals(&f, field, (int64_t)(u[1] % FUZZ_CLOCK_END));
	for (i = 0; i < FUZZ_FIELDS; i++)
		free(field[i]);
	return 0;
}
