/*
 * libFuzzer target for protocol/proxy.c. The input is what a client sent
 * first on a `Listen ... proxy` connection. It is parsed whole, then cut
 * short at some lengths, each time from a buffer of exactly that size so
 * that ASan sees a byte read past it. The parser must agree with itself:
 * a whole header of L bytes is, cut shorter, the start of one; a prefix
 * that cannot start a header stays refused whatever follows; what it
 * calls a header fits the bytes and names a client only when it may.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/proxy.h"
#include "contrib/fuzz/fuzz.h"

#define FUZZ_ALL_PREFIXES 512 /* shorter inputs: every prefix is tried */
#define FUZZ_CUTS         32  /* longer ones: this many, evenly spread */

/* The first LEN bytes of DATA, parsed from a buffer of that very size. */
static enum proxy_status
parse_exact(const uint8_t *data, size_t len, struct proxy_header *h)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	enum proxy_status st;

	CHECK(copy != NULL);
	memcpy(copy, data, len);
	st = proxy_parse(copy, len, h);
	free(copy);
	return st;
}

static bool
names_address(const struct proxy_header *h)
{
	return h->family == PROXY_FAM_INET || h->family == PROXY_FAM_INET6;
}

/* What a DONE header of SIZE bytes received says holds together. */
static void
check_done(const struct proxy_header *h, size_t size)
{
	const struct sockaddr *client = proxy_client(h);

	CHECK(h->len > 0 && h->len <= size && h->len <= PROXY_HEADER_MAX);
	CHECK(h->version == 1 || h->version == 2);
	CHECK(h->version == 2 || h->len <= PROXY_V1_MAX);
	CHECK(h->version == 2 || h->command == PROXY_CMD_PROXY);
	CHECK(h->command != PROXY_CMD_LOCAL || h->family == PROXY_FAM_UNSPEC);
	CHECK((client != NULL) == names_address(h));
	if (h->family == PROXY_FAM_INET)
		CHECK(client->sa_family == AF_INET &&
		      h->dst.sa.sa_family == AF_INET);
	if (h->family == PROXY_FAM_INET6)
		CHECK(client->sa_family == AF_INET6 &&
		      h->dst.sa.sa_family == AF_INET6);
}

/* The same bytes cut at LEN, against the verdict on all SIZE of them. */
static void
check_prefix(const uint8_t *data, size_t len, enum proxy_status whole,
    const struct proxy_header *wh)
{
	struct proxy_header h;
	enum proxy_status st = parse_exact(data, len, &h);

	if (whole == PROXY_DONE && len < wh->len)
		CHECK(st == PROXY_NEED_MORE);
	if (whole == PROXY_DONE && len >= wh->len)
		CHECK(st == PROXY_DONE && h.len == wh->len &&
		      h.family == wh->family && h.command == wh->command);
	if (whole == PROXY_NEED_MORE)
		CHECK(st == PROXY_NEED_MORE);
	if (st == PROXY_ERROR) /* refused early: refused later too */
		CHECK(whole == PROXY_ERROR && h.error != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header h;
	enum proxy_status whole = parse_exact(data, size, &h);
	size_t i, step;

	if (whole == PROXY_DONE)
		check_done(&h, size);
	if (whole == PROXY_ERROR)
		CHECK(h.error != NULL);
	if (whole == PROXY_NEED_MORE)
		CHECK(size < PROXY_HEADER_MAX);
	step = size <= FUZZ_ALL_PREFIXES ? 1 : size / FUZZ_CUTS;
	for (i = 0; i < size; i += step)
		check_prefix(data, i, whole, &h);
	return 0;
}
