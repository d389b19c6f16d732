/*
 * Check suite for protocol/proxy.c, the PROXY protocol header parser:
 * tables of valid headers (each also fed one byte at a time, and with a
 * request behind it that must be left alone) and of malformations (each
 * rejected, never taken, and where it says so at the first bad byte).
 */
#include "config.h"

#include <arpa/inet.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/ck.h"

#include "protocol/proxy.h"

/* A byte string and its length, NULs included. */
#define B(s) s, sizeof(s) - 1

/* The v2 signature, then version 2 with a command. */
#define SIG       "\r\n\r\n\0\r\nQUIT\n"
#define SIG_LOCAL SIG "\x20"
#define SIG_PROXY SIG "\x21"
#define TCP4_ADDRS         \
	"\xC0\x00\x02\x01" \
	"\xC6\x33\x64\x02" \
	"\xDC\x04"         \
	"\x01\xBB"
#define TCP6_ADDRS                                   \
	"\x20\x01\x0D\xB8\0\0\0\0\0\0\0\0\0\0\0\x01" \
	"\x20\x01\x0D\xB8\0\0\0\0\0\0\0\0\0\0\0\x02" \
	"\x30\x39"                                   \
	"\x00\x50"
#define V6_MAX     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
#define AFTER      "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
#define BIG_TOTAL  PROXY_HEADER_MAX
#define ADDRS4_LEN (sizeof(TCP4_ADDRS) - 1)
#define V2_LEN_AT  14 /* the 16-bit length, big-endian */
#define TLV_HEAD   3
#define TLV_NOOP   0x04
#define BUF_MAX    (PROXY_HEADER_MAX + 64)

struct valid {
	int line;
	const char *in;
	size_t inlen;
	unsigned version;
	enum proxy_command cmd;
	enum proxy_family fam;
	const char *src, *dst; /* NULL: no address */
	unsigned sport, dport;
};

static const struct valid valid[] = {
	{ CK_ROW, B("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n"), 1,
	    PROXY_CMD_PROXY, PROXY_FAM_INET, "192.0.2.1", "198.51.100.2", 56324,
	    443 },
	{ CK_ROW, B("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n"), 1,
	    PROXY_CMD_PROXY, PROXY_FAM_INET, "0.0.0.0", "255.255.255.255", 0,
	    65535 },
	{ CK_ROW, B("PROXY TCP4 10.0.0.10 127.0.0.1 100 8080\r\n"), 1,
	    PROXY_CMD_PROXY, PROXY_FAM_INET, "10.0.0.10", "127.0.0.1", 100,
	    8080 },
	{ CK_ROW, B("PROXY TCP6 2001:db8::1 2001:db8::2 12345 80\r\n"), 1,
	    PROXY_CMD_PROXY, PROXY_FAM_INET6, "2001:db8::1", "2001:db8::2",
	    12345, 80 },
	{ CK_ROW, B("PROXY TCP6 ::ffff:127.0.0.7 ::1 1 2\r\n"), 1,
	    PROXY_CMD_PROXY, PROXY_FAM_INET6, "::ffff:127.0.0.7", "::1", 1, 2 },
	/* the longest TCP6 line: 104 bytes */
	{ CK_ROW, B("PROXY TCP6 " V6_MAX " " V6_MAX " 65535 65535\r\n"), 1,
	    PROXY_CMD_PROXY, PROXY_FAM_INET6, V6_MAX, V6_MAX, 65535, 65535 },
	{ CK_ROW, B("PROXY TCP6 ABCD:EF01::1 ::2 3 4\r\n"), 1, PROXY_CMD_PROXY,
	    PROXY_FAM_INET6, "abcd:ef01::1", "::2", 3, 4 },
	{ CK_ROW, B("PROXY UNKNOWN\r\n"), 1, PROXY_CMD_PROXY, PROXY_FAM_UNKNOWN,
	    NULL, NULL, 0, 0 },
	/* UNKNOWN: whatever comes before CRLF is ignored; 107 bytes */
	{ CK_ROW, B("PROXY UNKNOWN " V6_MAX " " V6_MAX " 65535 65535\r\n"), 1,
	    PROXY_CMD_PROXY, PROXY_FAM_UNKNOWN, NULL, NULL, 0, 0 },
	{ CK_ROW, B("PROXY UNKNOWN anything at all, even \x01\r\n"), 1,
	    PROXY_CMD_PROXY, PROXY_FAM_UNKNOWN, NULL, NULL, 0, 0 },
	{ CK_ROW,
	    B(SIG_PROXY "\x11"
			"\x00\x0C" TCP4_ADDRS),
	    2, PROXY_CMD_PROXY, PROXY_FAM_INET, "192.0.2.1", "198.51.100.2",
	    56324, 443 },
	{ CK_ROW,
	    B(SIG_PROXY "\x21"
			"\x00\x24" TCP6_ADDRS),
	    2, PROXY_CMD_PROXY, PROXY_FAM_INET6, "2001:db8::1", "2001:db8::2",
	    12345, 80 },
	/* LOCAL: a health check; the family and any bytes are skipped */
	{ CK_ROW,
	    B(SIG_LOCAL "\x00"
			"\x00\x00"),
	    2, PROXY_CMD_LOCAL, PROXY_FAM_UNSPEC, NULL, NULL, 0, 0 },
	{ CK_ROW,
	    B(SIG_LOCAL "\x11"
			"\x00\x0C" TCP4_ADDRS),
	    2, PROXY_CMD_LOCAL, PROXY_FAM_UNSPEC, NULL, NULL, 0, 0 },
	{ CK_ROW,
	    B(SIG_LOCAL "\xFF"
			"\x00\x03"
			"abc"),
	    2, PROXY_CMD_LOCAL, PROXY_FAM_UNSPEC, NULL, NULL, 0, 0 },
	/* UNSPEC, UDP, UNIX: valid, no address to use */
	{ CK_ROW,
	    B(SIG_PROXY "\x00"
			"\x00\x00"),
	    2, PROXY_CMD_PROXY, PROXY_FAM_UNSPEC, NULL, NULL, 0, 0 },
	{ CK_ROW,
	    B(SIG_PROXY "\x00"
			"\x00\x05"
			"12345"),
	    2, PROXY_CMD_PROXY, PROXY_FAM_UNSPEC, NULL, NULL, 0, 0 },
	{ CK_ROW,
	    B(SIG_PROXY "\x12"
			"\x00\x0C" TCP4_ADDRS),
	    2, PROXY_CMD_PROXY, PROXY_FAM_UNSPEC, NULL, NULL, 0, 0 },
	{ CK_ROW,
	    B(SIG_PROXY "\x10"
			"\x00\x0C" TCP4_ADDRS),
	    2, PROXY_CMD_PROXY, PROXY_FAM_UNSPEC, NULL, NULL, 0, 0 },
	/* TLVs: skipped when their lengths add up */
	{ CK_ROW,
	    B(SIG_PROXY "\x11"
			"\x00\x1A" TCP4_ADDRS "\x01\x00\x02h2"
			"\x04\x00\x03\0\0\0"
			"\xE0\x00\x00"),
	    2, PROXY_CMD_PROXY, PROXY_FAM_INET, "192.0.2.1", "198.51.100.2",
	    56324, 443 },
	{ CK_ROW,
	    B(SIG_PROXY "\x21"
			"\x00\x2E" TCP6_ADDRS "\x02\x00\x07"
			"example"),
	    2, PROXY_CMD_PROXY, PROXY_FAM_INET6, "2001:db8::1", "2001:db8::2",
	    12345, 80 },
	/* a CRC32c that matches (2.2.3) */
	{ CK_ROW,
	    B(SIG_PROXY "\x11"
			"\x00\x13" TCP4_ADDRS "\x03\x00\x04"
			"\x20\xEC\x95\x49"),
	    2, PROXY_CMD_PROXY, PROXY_FAM_INET, "192.0.2.1", "198.51.100.2",
	    56324, 443 },
};

struct invalid {
	int line;
	const char *in;
	size_t inlen;
	size_t err_at; /* the shortest prefix refused; 0: only the whole */
};

static const struct invalid invalid[] = {
	/* neither signature: refused at the first byte */
	{ CK_ROW, B("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 1 },
	{ CK_ROW, B("\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03"), 1 },
	{ CK_ROW, B("proxy TCP4 192.0.2.1 192.0.2.2 1 2\r\n"), 1 },
	{ CK_ROW, B(" PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n"), 1 },
	{ CK_ROW, B("PROXYTCP4 192.0.2.1 192.0.2.2 1 2\r\n"), 6 },
	{ CK_ROW, B("PROXY\r\n"), 6 },
	{ CK_ROW, B("PRIX TCP4\r\n"), 3 },
	/* v1 line ends */
	{ CK_ROW, B("PROXY TCP4 192.0.2.1 192.0.2.2 1 2\n"), 35 },
	{ CK_ROW, B("PROXY TCP4 192.0.2.1 192.0.2.2 1 2\rX"), 36 },
	{ CK_ROW, B("PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\r\n"), 36 },
	{ CK_ROW, B("PROXY UNKNOWN\n\r\n"), 14 },
	{ CK_ROW, B("PROXY \r\n"), 0 },
	/* no CRLF within 107 bytes: refused once 106 came without a CR */
	{ CK_ROW, B("PROXY UNKNOWN " V6_MAX " " V6_MAX " 65535 655350\r\n"),
	    106 },
	{ CK_ROW, B("PROXY UNKNOWN " V6_MAX " " V6_MAX " 65535 65535 \r\n"),
	    106 },
	{ CK_ROW,
	    B("PROXY TCP6 " V6_MAX " " V6_MAX " 65535 65535"
	      "                                        \r\n"),
	    106 },
	/* v1 protocol and fields */
	{ CK_ROW, B("PROXY TCP5 192.0.2.1 192.0.2.2 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY tcp4 192.0.2.1 192.0.2.2 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY UDP4 192.0.2.1 192.0.2.2 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY UNKNOWNX\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 192.0.2.1 192.0.2.2 1\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 192.0.2.1 192.0.2.2 1 2 3\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 192.0.2.1 192.0.2.2 1 2 \r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 192.0.2.1  192.0.2.2 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY  TCP4 192.0.2.1 192.0.2.2 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4\t192.0.2.1 192.0.2.2 1 2\r\n"), 0 },
	/* v1 addresses */
	{ CK_ROW, B("PROXY TCP4 256.0.0.1 192.0.2.2 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 01.2.3.4 192.0.2.2 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 1.2.3.04 192.0.2.2 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 1.2.3 192.0.2.2 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 1.2.3.4.5 192.0.2.2 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 1.2..4 192.0.2.2 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 1.2.3.4. 192.0.2.2 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 1234.1.1.1 192.0.2.2 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 a.b.c.d 192.0.2.2 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 192.0.2.1 -1.0.0.0 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 ::1 192.0.2.2 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP6 192.0.2.1 ::1 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP6 ::1 2001:db8:::1 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP6 ::1 gggg::1 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP6 ::1 1:2:3:4:5:6:7:8:9 1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP6 ::1 12345::1 1 2\r\n"), 0 },
	/* v1 ports */
	{ CK_ROW, B("PROXY TCP4 192.0.2.1 192.0.2.2 65536 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 192.0.2.1 192.0.2.2 1 99999\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 192.0.2.1 192.0.2.2 01234 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 192.0.2.1 192.0.2.2 00 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 192.0.2.1 192.0.2.2 -1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 192.0.2.1 192.0.2.2 +1 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 192.0.2.1 192.0.2.2 12a 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 192.0.2.1 192.0.2.2 123456 2\r\n"), 0 },
	{ CK_ROW, B("PROXY TCP4 192.0.2.1 192.0.2.2 0x50 2\r\n"), 0 },
	/* v2 signature, version, command, family */
	{ CK_ROW,
	    B("\r\n\r\n\0\r\nQUIT!"
	      "\x21\x11\x00\x0C" TCP4_ADDRS),
	    12 },
	{ CK_ROW, B("\r\n\r\n\x01"), 5 },
	{ CK_ROW, B("\r\nGET / HTTP/1.1\r\n"), 3 },
	{ CK_ROW,
	    B(SIG "\x11"
		  "\x11\x00\x0C" TCP4_ADDRS),
	    13 },
	{ CK_ROW,
	    B(SIG "\x31"
		  "\x11\x00\x0C" TCP4_ADDRS),
	    13 },
	{ CK_ROW,
	    B(SIG "\x01"
		  "\x11\x00\x0C" TCP4_ADDRS),
	    13 },
	{ CK_ROW,
	    B(SIG "\x22"
		  "\x11\x00\x0C" TCP4_ADDRS),
	    13 },
	{ CK_ROW,
	    B(SIG "\x2F"
		  "\x11\x00\x0C" TCP4_ADDRS),
	    13 },
	{ CK_ROW,
	    B(SIG_PROXY "\x41"
			"\x00\x0C" TCP4_ADDRS),
	    14 },
	{ CK_ROW,
	    B(SIG_PROXY "\x13"
			"\x00\x0C" TCP4_ADDRS),
	    14 },
	{ CK_ROW,
	    B(SIG_PROXY "\xF1"
			"\x00\x0C" TCP4_ADDRS),
	    14 },
	/* v2 lengths: shorter than the addresses, too long a header */
	{ CK_ROW,
	    B(SIG_PROXY "\x11"
			"\x00\x08"
			"\xC0\x00\x02\x01\xC6\x33\x64\x02"),
	    0 },
	{ CK_ROW,
	    B(SIG_PROXY "\x21"
			"\x00\x0C" TCP4_ADDRS),
	    0 },
	{ CK_ROW,
	    B(SIG_PROXY "\x31"
			"\x00\x0C" TCP4_ADDRS),
	    0 },
	{ CK_ROW,
	    B(SIG_PROXY "\x11"
			"\xFF\xFF"),
	    16 },
	{ CK_ROW,
	    B(SIG_LOCAL "\x00"
			"\x0F\xF1"),
	    16 },
	/* v2 TLVs that do not add up, a CRC32c that does not match */
	{ CK_ROW,
	    B(SIG_PROXY "\x11"
			"\x00\x0E" TCP4_ADDRS "\x04\x00"),
	    0 },
	{ CK_ROW,
	    B(SIG_PROXY "\x11"
			"\x00\x0F" TCP4_ADDRS "\x04\x00\x01"),
	    0 },
	{ CK_ROW,
	    B(SIG_PROXY "\x11"
			"\x00\x11" TCP4_ADDRS "\x04\x00\x01X"
			"\x04"),
	    0 },
	{ CK_ROW,
	    B(SIG_PROXY "\x11"
			"\x00\x13" TCP4_ADDRS "\x04\xFF\xFF"
			"abcd"),
	    0 },
	{ CK_ROW,
	    B(SIG_PROXY "\x11"
			"\x00\x13" TCP4_ADDRS "\x03\x00\x04"
			"\x20\xEC\x95\x48"),
	    0 },
	{ CK_ROW,
	    B(SIG_PROXY "\x11"
			"\x00\x12" TCP4_ADDRS "\x03\x00\x03"
			"\x20\xEC\x95"),
	    0 },
};

#define NVALID   (sizeof(valid) / sizeof(valid[0]))
#define NINVALID (sizeof(invalid) / sizeof(invalid[0]))

static void
check_addr(const struct valid *v, const union proxy_addr *a, const char *want,
    unsigned port, const char *what)
{
	char text[INET6_ADDRSTRLEN];
	const void *in = a->sa.sa_family == AF_INET
			     ? (const void *)&a->sin.sin_addr
			     : (const void *)&a->sin6.sin6_addr;
	unsigned got = ntohs(
	    a->sa.sa_family == AF_INET ? a->sin.sin_port : a->sin6.sin6_port);

	ck_assert_msg(inet_ntop(a->sa.sa_family, in, text, sizeof(text)),
	    "row at line %d: %s has no address", v->line, what);
	ck_assert_msg(strcmp(text, want) == 0,
	    "row at line %d: %s %s, expected %s", v->line, what, text, want);
	ck_assert_msg(got == port, "row at line %d: %s port %u, expected %u",
	    v->line, what, got, port);
}

/* H must be V's header, taken whole and nothing after it. */
static void
check_valid(const struct valid *v, const struct proxy_header *h)
{
	ck_assert_msg(h->len == v->inlen, "row at line %d: len %zu, not %zu",
	    v->line, h->len, v->inlen);
	ck_assert_uint_eq(h->version, v->version);
	ck_assert_int_eq(h->command, v->cmd);
	ck_assert_msg(h->family == v->fam, "row at line %d: family %d, not %d",
	    v->line, h->family, v->fam);
	if (v->src == NULL) {
		ck_assert_ptr_null(proxy_client(h));
		return;
	}
	ck_assert_ptr_eq(proxy_client(h), &h->src.sa);
	check_addr(v, &h->src, v->src, v->sport, "source");
	check_addr(v, &h->dst, v->dst, v->dport, "destination");
}

START_TEST(test_valid_whole)
{
	const struct valid *v = &valid[_i];
	struct proxy_header h;

	ck_assert_msg(proxy_parse(v->in, v->inlen, &h) == PROXY_DONE,
	    "row at line %d: %s", v->line, h.error ? h.error : "not done");
	check_valid(v, &h);
}
END_TEST

/* Every shorter prefix wants more; one byte at a time reaches DONE. */
START_TEST(test_valid_bytewise)
{
	const struct valid *v = &valid[_i];
	struct proxy_header h;
	size_t n;

	for (n = 0; n < v->inlen; n++)
		ck_assert_msg(proxy_parse(v->in, n, &h) == PROXY_NEED_MORE,
		    "row at line %d: prefix of %zu bytes: %s", v->line, n,
		    h.error ? h.error : "done");
	ck_assert_int_eq(proxy_parse(v->in, n, &h), PROXY_DONE);
	check_valid(v, &h);
}
END_TEST

/* The request behind the header is not part of it. */
START_TEST(test_valid_then_request)
{
	const struct valid *v = &valid[_i];
	char buf[BUF_MAX];
	struct proxy_header h;

	memcpy(buf, v->in, v->inlen);
	memcpy(buf + v->inlen, AFTER, sizeof(AFTER) - 1);
	ck_assert_int_eq(
	    proxy_parse(buf, v->inlen + sizeof(AFTER) - 1, &h), PROXY_DONE);
	check_valid(v, &h);
}
END_TEST

/*
 * Refused whole, never taken as a header at any prefix, refused from
 * ERR_AT bytes on (and before that, only more is wanted).
 */
START_TEST(test_invalid)
{
	const struct invalid *v = &invalid[_i];
	struct proxy_header h;
	enum proxy_status st;
	bool refused = false;
	size_t n;

	for (n = 1; n <= v->inlen; n++) {
		st = proxy_parse(v->in, n, &h);
		ck_assert_msg(st != PROXY_DONE,
		    "row at line %d: taken at %zu bytes", v->line, n);
		ck_assert_msg(!refused || st == PROXY_ERROR,
		    "row at line %d: refused, then not at %zu", v->line, n);
		if (st == PROXY_ERROR && !refused) {
			refused = true;
			ck_assert_ptr_nonnull(h.error);
			ck_assert_msg(v->err_at == 0 || n == v->err_at,
			    "row at line %d: refused at %zu, not %zu (%s)",
			    v->line, n, v->err_at, h.error);
		}
		ck_assert_msg(
		    v->err_at == 0 || n >= v->err_at || st == PROXY_NEED_MORE,
		    "row at line %d: %zu bytes", v->line, n);
	}
	ck_assert_msg(refused, "row at line %d: never refused", v->line);
}
END_TEST

/* A v2 header of exactly the most allowed: TLVs up to 4096 bytes. */
START_TEST(test_v2_longest)
{
	static uint8_t buf[BIG_TOTAL + sizeof(AFTER)];
	const char head[] = SIG_PROXY "\x11";
	size_t body = BIG_TOTAL - PROXY_V2_HEAD;
	size_t tlv = body - ADDRS4_LEN - TLV_HEAD;
	uint8_t *t = buf + PROXY_V2_HEAD + ADDRS4_LEN;
	struct proxy_header h;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, head, sizeof(head) - 1);
	buf[V2_LEN_AT] = (uint8_t)(body >> 8);
	buf[V2_LEN_AT + 1] = (uint8_t)body;
	memcpy(buf + PROXY_V2_HEAD, TCP4_ADDRS, ADDRS4_LEN);
	t[0] = TLV_NOOP;
	t[1] = (uint8_t)(tlv >> 8);
	t[2] = (uint8_t)tlv;
	memcpy(buf + BIG_TOTAL, AFTER, sizeof(AFTER) - 1);
	ck_assert_int_eq(proxy_parse(buf, BIG_TOTAL - 1, &h), PROXY_NEED_MORE);
	ck_assert_int_eq(
	    proxy_parse(buf, BIG_TOTAL + sizeof(AFTER) - 1, &h), PROXY_DONE);
	ck_assert_uint_eq(h.len, BIG_TOTAL);
	/* one byte more announced: refused once the length is known */
	body++;
	buf[V2_LEN_AT] = (uint8_t)(body >> 8);
	buf[V2_LEN_AT + 1] = (uint8_t)body;
	ck_assert_int_eq(
	    proxy_parse(buf, PROXY_V2_HEAD - 1, &h), PROXY_NEED_MORE);
	ck_assert_int_eq(proxy_parse(buf, PROXY_V2_HEAD, &h), PROXY_ERROR);
}
END_TEST

/* Nothing yet is the start of anything. */
START_TEST(test_empty)
{
	struct proxy_header h;

	ck_assert_int_eq(proxy_parse("", 0, &h), PROXY_NEED_MORE);
}
END_TEST

static Suite *
proxy_suite(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_valid_whole, 0, (int)NVALID);
	tcase_add_loop_test(tc, test_valid_bytewise, 0, (int)NVALID);
	tcase_add_loop_test(tc, test_valid_then_request, 0, (int)NVALID);
	tcase_add_loop_test(tc, test_invalid, 0, (int)NINVALID);
	tcase_add_test(tc, test_v2_longest);
	tcase_add_test(tc, test_empty);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ck_run(proxy_suite());
}
