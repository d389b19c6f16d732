/* Character classes of RFC 9110/9112 and RFC 3986: ASCII only, no locale. */
#ifndef MPMD_CHARS_H
#define MPMD_CHARS_H

#include <stdbool.h>
#include <string.h>

static inline bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int
hex_value(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* tchar, RFC 9110 5.6.2 */
static inline bool
is_tchar(unsigned char c)
{
	return is_alpha(c) || is_digit(c) ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* field-vchar: VCHAR / obs-text */
static inline bool
is_field_vchar(unsigned char c)
{
	return (c > ' ' && c < 0x7f) || c >= 0x80;
}

static inline bool
is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* qdtext / the second byte of a quoted-pair, RFC 9110 5.6.4 */
static inline bool
is_qdtext(unsigned char c)
{
	return c == '\t' || c == ' ' || c == '!' ||
	       (c >= 0x23 && c <= 0x7e && c != '\\') || c >= 0x80;
}

static inline bool
is_qpair(unsigned char c)
{
	return c == '\t' || c == ' ' || is_field_vchar(c);
}

/* unreserved / sub-delims / ':' / '%', the bytes of an authority */
static inline bool
is_authority(unsigned char c)
{
	return is_alpha(c) || is_digit(c) ||
	       (c != '\0' && strchr("-._~!$&'()*+,;=:%", c) != NULL);
}

static inline unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

#endif
