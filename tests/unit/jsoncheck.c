/* The validator of jsoncheck.h: recursive descent, bounded depth. */
#include "config.h"

#include <string.h>

#include "tests/unit/jsoncheck.h"

#define JSON_DEPTH_MAX 64

struct cursor {
	const char *p, *end;
	int depth;
};

static bool value(struct cursor *c);

static void
space(struct cursor *c)
{
	while (c->p < c->end && strchr(" \t\r\n", *c->p) != NULL)
		c->p++;
}

static bool
eat(struct cursor *c, char ch)
{
	space(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

static bool
is_hex(char ch)
{
	return strchr("0123456789abcdefABCDEF", ch) != NULL && ch != '\0';
}

static bool
string(struct cursor *c)
{
	int i;

	if (!eat(c, '"'))
		return false;
	while (c->p < c->end && *c->p != '"') {
		if ((unsigned char)*c->p < 0x20)
			return false;
		if (*c->p++ != '\\')
			continue;
		if (c->p < c->end && *c->p == 'u') {
			for (i = 1; i <= 4; i++)
				if (c->p + i >= c->end || !is_hex(c->p[i]))
					return false;
			c->p += 5;
		} else if (c->p < c->end && strchr("\"\\/bfnrt", *c->p) != NULL)
			c->p++;
		else
			return false;
	}
	return c->p++ < c->end;
}

static size_t
digits(struct cursor *c)
{
	size_t n = 0;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		c->p++;
		n++;
	}
	return n;
}

static bool
number(struct cursor *c)
{
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (digits(c) == 0)
		return false;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (digits(c) == 0)
			return false;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (digits(c) == 0)
			return false;
	}
	return true;
}

static bool
word(struct cursor *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* OPEN ... CLOSE of members (MEMBERS: "key": value) or values. */
static bool
compound(struct cursor *c, char close, bool members)
{
	if (++c->depth > JSON_DEPTH_MAX)
		return false;
	if (eat(c, close)) {
		c->depth--;
		return true;
	}
	do {
		if (members && (!string(c) || !eat(c, ':')))
			return false;
		if (!value(c))
			return false;
	} while (eat(c, ','));
	c->depth--;
	return eat(c, close);
}

static bool
value(struct cursor *c)
{
	space(c);
	if (c->p >= c->end)
		return false;
	switch (*c->p) {
	case '{':
		c->p++;
		return compound(c, '}', true);
	case '[':
		c->p++;
		return compound(c, ']', false);
	case '"':
		return string(c);
	case 't':
		return word(c, "true");
	case 'f':
		return word(c, "false");
	case 'n':
		return word(c, "null");
	default:
		return number(c);
	}
}

bool
json_valid(const char *s, size_t len)
{
	struct cursor c = { s, s + len, 0 };

	if (!value(&c))
		return false;
	space(&c);
	return c.p == c.end;
}
