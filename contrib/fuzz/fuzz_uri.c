/*
 * libFuzzer target for protocol/uri.c. The first input byte is the size of
 * the output buffer (0xff: FUZZ_OUT_BIG), the rest a request-target. Every
 * buffer is allocated to its exact size, so ASan sees a byte read or
 * written past it. A decoded path must stay beneath '/', and escaping it
 * then decoding the escape must give it back unchanged: that is how a
 * redirect's Location leads to the same file.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/uri.h"
#include "contrib/fuzz/fuzz.h"

#define FUZZ_OUT_BIG 4096 /* STATIC_PATH_MAX: what the worker passes */

static char *
dup_bytes(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	CHECK(s != NULL);
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

/* PATH, escaped and decoded again, is PATH; OUT of exactly the size. */
static void
round_trip(const char *path)
{
	size_t n = strlen(path), escsz = 3 * n + 1;
	char *esc = malloc(escsz), *back = malloc(n + 1);
	const char *query;
	int len;

	CHECK(esc != NULL && back != NULL);
	len = uri_escape_path(path, esc, escsz);
	CHECK(len >= 0 && (size_t)len == strlen(esc));
	CHECK(uri_to_path(esc, (size_t)len, back, n + 1, &query) == 0);
	CHECK(strcmp(back, path) == 0 && query == NULL);
	free(esc);
	free(back);
}

/* Escaping into OUTSZ bytes: all of it, or -1 and nothing usable. */
static void
escape(const char *s, size_t outsz)
{
	size_t bigsz = 3 * strlen(s) + 1;
	char *out = malloc(outsz), *big = malloc(bigsz);
	int n, bign;

	CHECK(out != NULL && big != NULL);
	bign = uri_escape_path(s, big, bigsz);
	CHECK(bign >= 0 && (size_t)bign == strlen(big));
	n = uri_escape_path(s, out, outsz);
	if ((size_t)bign < outsz)
		CHECK(n == bign && memcmp(out, big, (size_t)n + 1) == 0);
	else
		CHECK(n == -1);
	free(out);
	free(big);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *query;
	char *target, *out;
	size_t outsz, len;
	int st;

	if (size < 1)
		return 0;
	outsz = data[0] == 0xff ? FUZZ_OUT_BIG : data[0];
	len = size - 1;
	/* exactly LEN bytes, no NUL: the parser must go by LEN alone */
	target = malloc(len);
	out = malloc(outsz);
	CHECK((target != NULL || len == 0) && (out != NULL || outsz == 0));
	memcpy(target, data + 1, len);
	st = uri_to_path(target, len, out, outsz, &query);
	CHECK(st == 0 || st == 400 || st == 414);
	if (st == 0) {
		CHECK(
		    query == NULL || (query > target && query <= target + len &&
					 query[-1] == '?'));
		fuzz_check_path(out, outsz);
		round_trip(out);
	}
	free(out);
	free(target);
	target = dup_bytes(data + 1, len);
	escape(target, outsz);
	free(target);
	return 0;
}
