/*
 * Request-target to a path beneath the document root (RFC 3986, RFC 9112
 * 3.2), and the escaping of paths and text for responses.
 *
 * Dot segments are removed after percent-decoding, so "%2e%2e" is "..",
 * and a decoded '/' separates segments like a literal one. The path can
 * never climb above '/'; the worker opens it with RESOLVE_BENEATH anyway.
 */
#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "protocol/chars.h"
#include "protocol/uri.h"

static const char uri_hex[] = "0123456789ABCDEF";

/* Case-insensitive: does S (N bytes) start with the lowercase LIT? */
static bool
ascii_iprefix(const char *s, size_t n, const char *lit)
{
	size_t i, l = strlen(lit);

	if (n < l)
		return false;
	for (i = 0; i < l; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != (unsigned char)lit[i])
			return false;
	}
	return true;
}

/* A request-target is visible ASCII without a fragment (RFC 9112 3.2). */
static int
target_check(const char *t, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (t[i] <= ' ' || t[i] > '~' || t[i] == '#')
			return 400;
	return 0;
}

/*
 * Where the path starts: at once in origin-form; after the authority in
 * absolute-form (http or https, no userinfo, RFC 9110 4.2.4). Anything
 * else (asterisk-form, authority-form, relative) is a 400.
 */
static int
path_start(const char *t, size_t len, size_t *start)
{
	size_t i, a;

	if (len > 0 && t[0] == '/') {
		*start = 0;
		return 0;
	}
	if (ascii_iprefix(t, len, "http://"))
		i = strlen("http://");
	else if (ascii_iprefix(t, len, "https://"))
		i = strlen("https://");
	else
		return 400;
	for (a = i; a < len && t[a] != '/' && t[a] != '?'; a++)
		if (t[a] == '@')
			return 400;
	if (a == i)
		return 400;
	*start = a;
	return 0;
}

/* Next byte of P (N bytes) at *I, percent-decoded; %00 is refused. */
static int
path_next(const char *p, size_t n, size_t *i, unsigned char *c)
{
	int hi, lo;

	if (p[*i] != '%') {
		*c = (unsigned char)p[(*i)++];
		return 0;
	}
	if (n - *i < 3 || (hi = hex_value(p[*i + 1])) < 0 ||
	    (lo = hex_value(p[*i + 2])) < 0 || (hi == 0 && lo == 0))
		return 400;
	*c = (unsigned char)(hi << 4 | lo);
	*i += 3;
	return 0;
}

/*
 * The segment OUT[SEG..*LEN) has ended. An empty one is dropped (repeated
 * slashes), so is ".", and ".." drops itself and the segment before it
 * (RFC 3986 5.2.4). Returns whether it was dropped: a path ending in one
 * of those ends with '/'.
 */
static bool
segment_end(char *out, size_t *len, size_t seg)
{
	size_t n = *len - seg;
	const char *s = out + seg;

	if (n == 0 || (n == 1 && s[0] == '.')) {
		*len = seg - 1;
		return true;
	}
	if (n == 2 && s[0] == '.' && s[1] == '.') {
		*len = seg - 1;
		while (*len > 0 && out[*len - 1] != '/')
			(*len)--;
		if (*len > 0)
			(*len)--;
		return true;
	}
	return false;
}

/* Decodes P (N bytes) into OUT as "/seg/seg"; sets *DROPPED for the end. */
static int
path_decode(const char *p, size_t n, char *out, size_t outsz, size_t *olen,
    bool *dropped)
{
	size_t i = 0, len = 0, seg;
	unsigned char c;
	int rv;

	out[len++] = '/';
	seg = len;
	while (i < n) {
		if ((rv = path_next(p, n, &i, &c)) != 0)
			return rv;
		if (len + 1 >= outsz)
			return 414;
		if (c != '/') {
			out[len++] = (char)c;
			continue;
		}
		segment_end(out, &len, seg);
		out[len++] = '/';
		seg = len;
	}
	*dropped = segment_end(out, &len, seg);
	*olen = len;
	return 0;
}

int
uri_to_path(
    const char *target, size_t len, char *out, size_t outsz, const char **query)
{
	size_t start, end, olen;
	bool dropped;
	int rv;

	*query = NULL;
	if ((rv = target_check(target, len)) != 0 ||
	    (rv = path_start(target, len, &start)) != 0)
		return rv;
	if (outsz < 2)
		return 414;
	for (end = start; end < len && target[end] != '?'; end++)
		;
	if (end < len)
		*query = target + end + 1;
	if (start < end && target[start] == '/')
		start++;
	if ((rv = path_decode(target + start, end - start, out, outsz, &olen,
		 &dropped)) != 0)
		return rv;
	if (olen == 0 || dropped) {
		if (olen + 1 >= outsz)
			return 414;
		out[olen++] = '/';
	}
	out[olen] = '\0';
	return 0;
}

/* unreserved / sub-delims / ":" / "@" / "/" (RFC 3986 3.3) */
static bool
path_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("-._~!$&'()*+,;=:@/", c) != NULL);
}

int
uri_escape_path(const char *path, char *out, size_t outsz)
{
	const unsigned char *p = (const unsigned char *)path;
	size_t o = 0;

	for (; *p != '\0'; p++) {
		if (path_safe(*p)) {
			if (outsz - o < 2)
				return -1;
			out[o++] = (char)*p;
			continue;
		}
		if (outsz - o < 4)
			return -1;
		out[o++] = '%';
		out[o++] = uri_hex[*p >> 4];
		out[o++] = uri_hex[*p & 0xf];
	}
	if (outsz - o < 1 || o > INT_MAX)
		return -1;
	out[o] = '\0';
	return (int)o;
}
