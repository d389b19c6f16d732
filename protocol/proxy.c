/*
 * The PROXY protocol header, versions 1 and 2: see proxy.h. Section
 * numbers below are those of HAProxy's doc/proxy-protocol.txt.
 */
#include "config.h"

#include <arpa/inet.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "protocol/proxy.h"

/* 2.1: "PROXY" and exactly one space, then the protocol. */
static const char v1_sig[] = "PROXY ";
#define V1_SIG_LEN    (sizeof(v1_sig) - 1)
#define V1_FIELDS     5 /* protocol, source, destination, 2 ports */
#define V1_PORT_DIGIT 5 /* 65535 */
#define V1_OCTET_DIG  3 /* 255 */
#define V1_OCTETS     4
#define PORT_MAX      65535
#define OCTET_MAX     255

/* 2.2: twelve bytes no other protocol starts with. */
static const uint8_t v2_sig[] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A,
	0x51, 0x55, 0x49, 0x54, 0x0A };
#define V2_VER_CMD    12 /* version (high nibble) and command */
#define V2_FAM        13 /* address family (high) and transport (low) */
#define V2_LEN        14 /* bytes after the 16, big-endian */
#define V2_VERSION    0x2
#define V2_CMD_LOCAL  0x0
#define V2_CMD_PROXY  0x1
#define V2_AF_UNSPEC  0x0
#define V2_AF_INET    0x1
#define V2_AF_INET6   0x2
#define V2_AF_UNIX    0x3
#define V2_TP_UNSPEC  0x0
#define V2_TP_STREAM  0x1
#define V2_TP_DGRAM   0x2
#define V2_INET_LEN   12  /* 2 x 4 address bytes, 2 x 2 port bytes */
#define V2_INET6_LEN  36  /* 2 x 16, 2 x 2 */
#define V2_UNIX_LEN   216 /* 2 x 108 */
#define V2_TLV_HEAD   3   /* type, 16-bit length */
#define V2_TLV_CRC32C 0x03
#define V2_CRC32C_LEN 4
#define CRC32C_POLY   0x82F63B78u /* Castagnoli, reflected */

static enum proxy_status
proxy_fail(struct proxy_header *h, const char *why)
{
	h->error = why;
	return PROXY_ERROR;
}

/* The LEN bytes at P agree with the start of SIG (N bytes long). */
static bool
agrees(const uint8_t *p, size_t len, const void *sig, size_t n)
{
	return memcmp(p, sig, len < n ? len : n) == 0;
}

/* --- version 1 --- */

struct span {
	const char *p;
	size_t n;
};

static bool
span_is(const struct span *s, const char *word)
{
	return s->n == strlen(word) && memcmp(s->p, word, s->n) == 0;
}

/*
 * Splits S (N bytes) at single spaces into at most MAX fields: their
 * count, or -1 when one is empty (two spaces, a space at either end) or
 * there are more.
 */
static int
v1_fields(const char *s, size_t n, struct span *f, int max)
{
	const char *end = s + n, *sp;
	int k = 0;

	for (;;) {
		if (k == max)
			return -1;
		sp = memchr(s, ' ', (size_t)(end - s));
		f[k].p = s;
		f[k].n = (size_t)((sp != NULL ? sp : end) - s);
		if (f[k++].n == 0)
			return -1;
		if (sp == NULL)
			return k;
		s = sp + 1;
	}
}

/*
 * A decimal number of at most MAXD digits at S, without leading zeros
 * (the spec forbids them, to avoid octal confusion): the digits taken,
 * 0 when none. "0" is the only number that begins with one.
 */
static size_t
v1_decimal(const char *s, size_t n, size_t maxd, unsigned *v)
{
	size_t i = 0;

	*v = 0;
	while (i < n && i < maxd && s[i] >= '0' && s[i] <= '9') {
		*v = *v * 10 + (unsigned)(s[i++] - '0');
		if (*v == 0)
			break;
	}
	return i;
}

/* Exactly four decimal octets 0..255 apart by dots. */
static int
v1_ipv4(const struct span *f, struct in_addr *out)
{
	uint8_t o[V1_OCTETS];
	size_t i = 0, d;
	unsigned v;
	int k;

	for (k = 0; k < V1_OCTETS; k++) {
		if (k > 0 && (i == f->n || f->p[i++] != '.'))
			return -1;
		d = v1_decimal(f->p + i, f->n - i, V1_OCTET_DIG, &v);
		if (d == 0 || v > OCTET_MAX)
			return -1;
		o[k] = (uint8_t)v;
		i += d;
	}
	if (i != f->n)
		return -1;
	memcpy(out, o, sizeof(o));
	return 0;
}

/* An IPv6 address in the text inet_pton() reads, "::" form included. */
static int
v1_ipv6(const struct span *f, struct in6_addr *out)
{
	char text[INET6_ADDRSTRLEN];

	if (f->n >= sizeof(text))
		return -1;
	memcpy(text, f->p, f->n);
	text[f->n] = '\0';
	return inet_pton(AF_INET6, text, out) == 1 ? 0 : -1;
}

static int
v1_addr(int family, const struct span *f, union proxy_addr *a)
{
	a->sa.sa_family = (sa_family_t)family;
	if (family == AF_INET)
		return v1_ipv4(f, &a->sin.sin_addr);
	return v1_ipv6(f, &a->sin6.sin6_addr);
}

static int
v1_port(const struct span *f, union proxy_addr *a)
{
	unsigned v;

	if (v1_decimal(f->p, f->n, V1_PORT_DIGIT, &v) != f->n || v > PORT_MAX)
		return -1;
	if (a->sa.sa_family == AF_INET)
		a->sin.sin_port = htons((uint16_t)v);
	else
		a->sin6.sin6_port = htons((uint16_t)v);
	return 0;
}

/* The line between "PROXY " and CRLF (N bytes at S). */
static enum proxy_status
v1_line(const char *s, size_t n, struct proxy_header *h)
{
	struct span f[V1_FIELDS];
	const char *sp = memchr(s, ' ', n);
	struct span proto = { s, sp != NULL ? (size_t)(sp - s) : n };
	int family;

	h->command = PROXY_CMD_PROXY;
	if (span_is(&proto, "UNKNOWN")) {
		h->family = PROXY_FAM_UNKNOWN; /* the rest is to be ignored */
		return PROXY_DONE;
	}
	if (span_is(&proto, "TCP4"))
		family = AF_INET;
	else if (span_is(&proto, "TCP6"))
		family = AF_INET6;
	else
		return proxy_fail(h, "v1: protocol not TCP4, TCP6 or UNKNOWN");
	if (v1_fields(s, n, f, V1_FIELDS) != V1_FIELDS)
		return proxy_fail(h,
		    "v1: not 2 addresses and 2 ports apart by single spaces");
	if (v1_addr(family, &f[1], &h->src) == -1 ||
	    v1_addr(family, &f[2], &h->dst) == -1)
		return proxy_fail(h, family == AF_INET
					 ? "v1: bad TCP4 address"
					 : "v1: bad TCP6 address");
	if (v1_port(&f[3], &h->src) == -1 || v1_port(&f[4], &h->dst) == -1)
		return proxy_fail(h, "v1: bad port");
	h->family = family == AF_INET ? PROXY_FAM_INET : PROXY_FAM_INET6;
	return PROXY_DONE;
}

/*
 * 2.1: one line of at most 107 bytes ending in CRLF; no lone CR or LF.
 * Nothing is decoded before the CRLF is there.
 */
static enum proxy_status
parse_v1(const uint8_t *p, size_t len, struct proxy_header *h)
{
	size_t cr, scan = len < PROXY_V1_MAX - 1 ? len : PROXY_V1_MAX - 1;
	const uint8_t *q;

	h->version = 1;
	if (!agrees(p, len, v1_sig, V1_SIG_LEN))
		return proxy_fail(h, "no PROXY signature");
	if ((q = memchr(p, '\n', scan)) != NULL &&
	    memchr(p, '\r', (size_t)(q - p)) == NULL)
		return proxy_fail(h, "v1: LF without CR");
	if ((q = memchr(p, '\r', scan)) == NULL)
		return len < PROXY_V1_MAX - 1
			   ? PROXY_NEED_MORE
			   : proxy_fail(h, "v1: no CRLF within 107 bytes");
	cr = (size_t)(q - p);
	if (cr + 1 == len)
		return PROXY_NEED_MORE;
	if (p[cr + 1] != '\n')
		return proxy_fail(h, "v1: CR without LF");
	h->len = cr + 2;
	return v1_line((const char *)p + V1_SIG_LEN, cr - V1_SIG_LEN, h);
}

/* --- version 2 --- */

/* CRC32c of P (LEN bytes) with the 4 bytes at ZERO read as zeros. */
static uint32_t
crc32c(const uint8_t *p, size_t len, size_t zero)
{
	uint32_t crc = 0xFFFFFFFFu;
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= (i >= zero && i < zero + V2_CRC32C_LEN) ? 0 : p[i];
		for (b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (CRC32C_POLY & (0u - (crc & 1u)));
	}
	return ~crc;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * 2.2: the TLVs from OFF to the end of the header (P, LEN bytes): each
 * must fit. Unknown types are skipped; a CRC32c (2.2.3) must match.
 */
static enum proxy_status
v2_tlvs(const uint8_t *p, size_t len, size_t off, struct proxy_header *h)
{
	size_t n;

	while (off < len) {
		if (len - off < V2_TLV_HEAD)
			return proxy_fail(h, "v2: a TLV cut short");
		n = (size_t)p[off + 1] << 8 | p[off + 2];
		if (n > len - off - V2_TLV_HEAD)
			return proxy_fail(
			    h, "v2: a TLV longer than the header");
		if (p[off] == V2_TLV_CRC32C &&
		    (n != V2_CRC32C_LEN ||
			be32(p + off + V2_TLV_HEAD) !=
			    crc32c(p, len, off + V2_TLV_HEAD)))
			return proxy_fail(h, "v2: CRC32c mismatch");
		off += V2_TLV_HEAD + n;
	}
	return PROXY_DONE;
}

/* Address bytes of a family and transport; 0: none to read (UNSPEC). */
static size_t
v2_addr_len(unsigned fam, unsigned tp)
{
	if (tp == V2_TP_UNSPEC)
		return 0;
	switch (fam) {
	case V2_AF_INET:
		return V2_INET_LEN;
	case V2_AF_INET6:
		return V2_INET6_LEN;
	case V2_AF_UNIX:
		return V2_UNIX_LEN;
	default:
		return 0;
	}
}

/*
 * 2.2: source address, destination address (ALEN bytes each), source
 * port, destination port, all in network order as sockaddrs keep them.
 */
static void
v2_addrs(const uint8_t *a, size_t alen, void *src, void *dst, in_port_t *sport,
    in_port_t *dport)
{
	memcpy(src, a, alen);
	memcpy(dst, a + alen, alen);
	memcpy(sport, a + 2 * alen, sizeof(*sport));
	memcpy(dport, a + 2 * alen + sizeof(*sport), sizeof(*dport));
}

static void
v2_inet(const uint8_t *a, struct proxy_header *h)
{
	h->family = PROXY_FAM_INET;
	h->src.sin.sin_family = h->dst.sin.sin_family = AF_INET;
	v2_addrs(a, sizeof(struct in_addr), &h->src.sin.sin_addr,
	    &h->dst.sin.sin_addr, &h->src.sin.sin_port, &h->dst.sin.sin_port);
}

static void
v2_inet6(const uint8_t *a, struct proxy_header *h)
{
	h->family = PROXY_FAM_INET6;
	h->src.sin6.sin6_family = h->dst.sin6.sin6_family = AF_INET6;
	v2_addrs(a, sizeof(struct in6_addr), &h->src.sin6.sin6_addr,
	    &h->dst.sin6.sin6_addr, &h->src.sin6.sin6_port,
	    &h->dst.sin6.sin6_port);
}

/*
 * A whole v2 header (LEN bytes). LOCAL: everything after the 16 bytes
 * is to be skipped, family included. PROXY: the addresses of TCP over
 * IPv4 or IPv6; other families and transports are valid but name no
 * address (the receiver falls back to UNSPEC).
 */
static enum proxy_status
v2_body(const uint8_t *p, size_t len, struct proxy_header *h)
{
	unsigned fam = p[V2_FAM] >> 4, tp = p[V2_FAM] & 0x0F;
	size_t alen = v2_addr_len(fam, tp);

	h->len = len;
	h->family = PROXY_FAM_UNSPEC;
	if ((p[V2_VER_CMD] & 0x0F) == V2_CMD_LOCAL) {
		h->command = PROXY_CMD_LOCAL;
		return PROXY_DONE;
	}
	h->command = PROXY_CMD_PROXY;
	if (alen == 0)
		return PROXY_DONE;
	if (len - PROXY_V2_HEAD < alen)
		return proxy_fail(h, "v2: shorter than its addresses");
	if (v2_tlvs(p, len, PROXY_V2_HEAD + alen, h) != PROXY_DONE)
		return PROXY_ERROR;
	if (tp == V2_TP_STREAM && fam == V2_AF_INET)
		v2_inet(p + PROXY_V2_HEAD, h);
	else if (tp == V2_TP_STREAM && fam == V2_AF_INET6)
		v2_inet6(p + PROXY_V2_HEAD, h);
	return PROXY_DONE;
}

/* 2.2: a family and transport a sender may emit (others: reject). */
static bool
v2_fam_valid(uint8_t b)
{
	return (b >> 4) <= V2_AF_UNIX && (b & 0x0F) <= V2_TP_DGRAM;
}

/* Each byte is checked as soon as it is there. */
static enum proxy_status
parse_v2(const uint8_t *p, size_t len, struct proxy_header *h)
{
	size_t total;

	h->version = 2;
	if (!agrees(p, len, v2_sig, sizeof(v2_sig)))
		return proxy_fail(h, "v2: bad signature");
	if (len > V2_VER_CMD && (p[V2_VER_CMD] >> 4) != V2_VERSION)
		return proxy_fail(h, "v2: version not 2");
	if (len > V2_VER_CMD && (p[V2_VER_CMD] & 0x0F) > V2_CMD_PROXY)
		return proxy_fail(h, "v2: command neither LOCAL nor PROXY");
	if (len > V2_FAM && (p[V2_VER_CMD] & 0x0F) == V2_CMD_PROXY &&
	    !v2_fam_valid(p[V2_FAM]))
		return proxy_fail(h, "v2: unknown address family or transport");
	if (len < PROXY_V2_HEAD)
		return PROXY_NEED_MORE;
	total = PROXY_V2_HEAD + ((size_t)p[V2_LEN] << 8 | p[V2_LEN + 1]);
	if (total > PROXY_HEADER_MAX)
		return proxy_fail(h, "v2: longer than 4096 bytes");
	if (len < total)
		return PROXY_NEED_MORE;
	return v2_body(p, total, h);
}

enum proxy_status
proxy_parse(const void *buf, size_t len, struct proxy_header *h)
{
	const uint8_t *p = buf;

	memset(h, 0, sizeof(*h));
	if (len == 0)
		return PROXY_NEED_MORE;
	if (p[0] == v2_sig[0])
		return parse_v2(p, len, h);
	if (p[0] == (uint8_t)v1_sig[0])
		return parse_v1(p, len, h);
	return proxy_fail(h, "no PROXY signature");
}

const struct sockaddr *
proxy_client(const struct proxy_header *h)
{
	if (h->command != PROXY_CMD_PROXY ||
	    (h->family != PROXY_FAM_INET && h->family != PROXY_FAM_INET6))
		return NULL;
	return &h->src.sa;
}
