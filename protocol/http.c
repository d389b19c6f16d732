/*
 * HTTP/1.1 request heads and bodies (RFC 9112), strict.
 *
 * Debian builds libhttp_parser with HTTP_PARSER_STRICT=0, so by itself it
 * accepts bare LF line ends, obs-fold (even on Transfer-Encoding), a space
 * before the colon (and still uses the field for framing), leading
 * whitespace, bytes >= 0x80 and '#' in the target, HTTP/0.9 and 2.0
 * request lines, junk after chunk data, a trailing HTAB that hides
 * "chunked" or breaks Content-Length, and it takes "Transfer-Encodingx"
 * for a Transfer-Encoding. Every request is still parsed by
 * http-parser, but only after a scanner of our own has checked each byte
 * against RFC 9112 and rejected, with a status, everything ambiguous.
 * http-parser then parses the validated bytes and has to agree with the
 * scanner on method, version, target, field count and framing; any
 * disagreement is a 400, never a guess.
 *
 * The head scanner is resumable: r->scanned is how far BUF has been
 * checked, so each byte is looked at once however the head arrives. It
 * decides on each byte in order, so feeding a head byte by byte or all at
 * once gives the same answer.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "protocol/chars.h"
#include "protocol/http.h"

#define HTTP_EMPTY_LINES_MAX 4 /* CRLFs accepted before a request line */
/*
 * http-parser refuses a head, or a trailer section, longer than this
 * (HPE_HEADER_OVERFLOW, counted from the request line through the final
 * CRLF); the scanner answers 431 at the same point.
 */
#define HTTP_HEAD_MAX         HTTP_MAX_HEADER_SIZE
#define HTTP_PROTO            "HTTP/"
#define HTTP_PROTO_LEN        (sizeof(HTTP_PROTO) - 1)
#define HTTP_VERSION_LEN      (HTTP_PROTO_LEN + 3) /* "HTTP/1.1" */
#define HTTP_PORT_DIGITS_MAX  5
#define HTTP_CHUNK_DIGITS_MAX 16   /* chunk-size hex digits */
#define HTTP_CHUNK_LINE_MAX   4096 /* chunk-size line with extensions */

enum head_state {
	HEAD_START,    /* before the request line: CRLF or a method */
	HEAD_START_LF, /* CR of an empty line before the request line */
	HEAD_RLINE,
	HEAD_RLINE_LF,
	HEAD_FIELDS,
	HEAD_DONE,
};

enum fline_state {
	FL_START, /* first byte of a line */
	FL_NAME,
	FL_OWS, /* after the colon */
	FL_VALUE,
	FL_LF,    /* CR ending a field line */
	FL_END_LF /* CR of the empty line ending the section */
};

enum fline_result { FL_MORE, FL_FIELD, FL_END, FL_BAD };

enum body_state {
	BODY_NONE,
	BODY_LENGTH,
	CH_SIZE_START,
	CH_SIZE,
	CH_EXT_BWS,        /* BWS after the size or a value, before ';' */
	CH_EXT_NAME_START, /* after ';' */
	CH_EXT_NAME,
	CH_EXT_NAME_BWS, /* BWS after a name, before '=' or ';' */
	CH_EXT_VAL_START,
	CH_EXT_TOKEN,
	CH_EXT_QSTR,
	CH_EXT_QPAIR,
	CH_EXT_QEND, /* after the closing quote */
	CH_SIZE_LF,
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TRAILER,
	BODY_DONE,
};

/* Header fields that may appear once: a second one is a 400. */
#define SEEN_HOST (1u << 0)
#define SEEN_CL   (1u << 1)
#define SEEN_TE   (1u << 2)
#define SEEN_IMS  (1u << 3)
#define SEEN_INM  (1u << 4)
#define SEEN_IFR  (1u << 5)
#define SEEN_RNG  (1u << 6)

/* Indexes into slot_off/slot_len, in the order of head_expose(). */
enum slot {
	SLOT_HOST,
	SLOT_IMS,
	SLOT_INM,
	SLOT_IFR,
	SLOT_RANGE,
	SLOT_UA,
	SLOT_REFERER,
	SLOT_NONE = -1
};

struct field_rule {
	const char *name;
	int (*check)(struct http_request *, const char *, size_t);
	enum slot slot;
	unsigned once; /* SEEN_* bit, 0 when repeating is fine */
	bool framing;  /* trailing HTAB fools http-parser: refuse it */
};

static int host_check(struct http_request *, const char *, size_t);
static int cl_check(struct http_request *, const char *, size_t);
static int te_check(struct http_request *, const char *, size_t);
static int expect_check(struct http_request *, const char *, size_t);
static int conn_check(struct http_request *, const char *, size_t);

static const struct field_rule field_rules[] = {
	{ "host", host_check, SLOT_HOST, SEEN_HOST, false },
	{ "content-length", cl_check, SLOT_NONE, SEEN_CL, true },
	{ "transfer-encoding", te_check, SLOT_NONE, SEEN_TE, true },
	{ "expect", expect_check, SLOT_NONE, 0, false },
	{ "connection", conn_check, SLOT_NONE, 0, false },
	{ "if-modified-since", NULL, SLOT_IMS, SEEN_IMS, false },
	{ "if-none-match", NULL, SLOT_INM, SEEN_INM, false },
	{ "if-range", NULL, SLOT_IFR, SEEN_IFR, false },
	{ "range", NULL, SLOT_RANGE, SEEN_RNG, false },
	{ "user-agent", NULL, SLOT_UA, 0, false },
	{ "referer", NULL, SLOT_REFERER, 0, false },
};

/* Framing fields are not allowed in a trailer section (RFC 9110 6.5.1). */
static const char *const trailer_banned[] = {
	"content-length",
	"transfer-encoding",
};
#define TRAILER_ALL ((1u << (sizeof(trailer_banned) / sizeof(char *))) - 1)

static const char *const http_methods[] = {
#define XX(num, name, string) [num] = #string,
	HTTP_METHOD_MAP(XX)
#undef XX
};

static int hp_on_url(http_parser *, const char *, size_t);
static int hp_on_header_field(http_parser *, const char *, size_t);
static int hp_on_message_complete(http_parser *);

static const http_parser_settings hp_settings = {
	.on_url = hp_on_url,
	.on_header_field = hp_on_header_field,
	.on_message_complete = hp_on_message_complete,
};

/* Case-insensitive comparison of S (N bytes) with the lowercase LIT. */
static bool
ascii_ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	if (strlen(lit) != n)
		return false;
	for (i = 0; i < n; i++)
		if (ascii_lower(s[i]) != (unsigned char)lit[i])
			return false;
	return true;
}

static size_t
skip_ows(const char *s, size_t n, size_t i)
{
	while (i < n && is_ows(s[i]))
		i++;
	return i;
}

static size_t
skip_token(const char *s, size_t n, size_t i)
{
	while (i < n && is_tchar(s[i]))
		i++;
	return i;
}

/* End of the quoted-string at S[I], or 0 when it is malformed. */
static size_t
skip_quoted(const char *s, size_t n, size_t i)
{
	if (i >= n || s[i] != '"')
		return 0;
	for (i++; i < n; i++) {
		if (s[i] == '"')
			return i + 1;
		if (s[i] == '\\') {
			if (++i == n || !is_qpair(s[i]))
				return 0;
		} else if (!is_qdtext(s[i]))
			return 0;
	}
	return 0;
}

/* --- request line (RFC 9112 3) --- */

static int
version_parse(struct http_request *r, const char *v, size_t n)
{
	const char *d = v + HTTP_PROTO_LEN; /* DIGIT "." DIGIT */

	if (n != HTTP_VERSION_LEN ||
	    memcmp(v, HTTP_PROTO, HTTP_PROTO_LEN) != 0 || !is_digit(d[0]) ||
	    d[1] != '.' || !is_digit(d[2]))
		return 400;
	r->major = d[0] - '0';
	r->minor = d[2] - '0';
	if (r->major != 1 || r->minor > 1)
		return 505;
	return 0;
}

/* Methods are case-sensitive; one http-parser does not know is a 501. */
static int
method_lookup(struct http_request *r, const char *m, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++) {
		if (http_methods[i] != NULL && strlen(http_methods[i]) == n &&
		    memcmp(http_methods[i], m, n) == 0) {
			r->method = (enum http_method)i;
			return 0;
		}
	}
	return 501;
}

/* authority without userinfo, RFC 9112 3.2.3 (chars only; uri.c decides) */
static bool
authority_ok(const char *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_authority(t[i]) && t[i] != '[' && t[i] != ']')
			return false;
	return n > 0;
}

/* absolute-form, RFC 9112 3.2.2: ALPHA scheme "://" authority [path] */
static bool
absolute_ok(const char *t, size_t n)
{
	size_t i, a;

	for (i = 0; i < n && is_alpha(t[i]); i++)
		;
	if (i == 0 || n - i < 3 || memcmp(t + i, "://", 3) != 0)
		return false;
	i += 3;
	for (a = i; a < n && t[a] != '/' && t[a] != '?'; a++)
		;
	return authority_ok(t + i, a - i);
}

static bool
target_form_ok(enum http_method m, const char *t, size_t n)
{
	if (m == HTTP_CONNECT)
		return authority_ok(t, n);
	if (t[0] == '/')
		return true;
	if (n == 1 && t[0] == '*')
		return m == HTTP_OPTIONS;
	return absolute_ok(t, n);
}

/*
 * method SP request-target SP HTTP-version, exactly (RFC 9112 3). The
 * bytes are already known to be printable ASCII.
 */
static int
rline_parse(struct http_request *r, const char *line, size_t n)
{
	size_t m, t, end;
	int rv;

	for (m = 0; m < n && is_tchar(line[m]); m++)
		;
	if (m == 0 || m == n || line[m] != ' ')
		return 400;
	t = m + 1;
	for (end = t; end < n && line[end] != ' '; end++)
		if (line[end] == '#')
			return 400;
	if (end == t || end == n)
		return 400; /* empty target, or HTTP/0.9 without version */
	if ((rv = version_parse(r, line + end + 1, n - end - 1)) != 0)
		return rv;
	if ((rv = method_lookup(r, line, m)) != 0)
		return rv;
	if (!target_form_ok(r->method, line + t, end - t))
		return 400;
	r->method_len = m;
	r->target_off = r->rl_start + t;
	r->target_len = end - t;
	return 0;
}

/* --- header field values (RFC 9110 7.2, 8.6, 10.1.1, 7.6.1) --- */

static size_t
port_end(const char *v, size_t n, size_t i)
{
	size_t d;

	if (i == n)
		return n;
	if (v[i] != ':')
		return 0;
	for (d = i + 1; d < n && is_digit(v[d]); d++)
		;
	return d - i - 1 <= HTTP_PORT_DIGITS_MAX ? d : 0;
}

/* uri-host [ ":" port ]; empty is allowed (RFC 9110 7.2) */
static int
host_check(struct http_request *r, const char *v, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return 0;
	if (v[0] == '[') {
		for (i = 1; i < n && (hex_value(v[i]) >= 0 || v[i] == ':' ||
					 v[i] == '.');
		     i++)
			;
		if (i == n || v[i] != ']' || i < strlen("[::"))
			return 400; /* "[::]" is the shortest */
		i++;
	} else {
		for (; i < n && is_authority(v[i]) && v[i] != ':'; i++)
			if (v[i] == '%' &&
			    (i + 2 >= n || hex_value(v[i + 1]) < 0 ||
				hex_value(v[i + 2]) < 0))
				return 400;
		if (i == 0)
			return 400;
	}
	return port_end(v, n, i) == n ? 0 : 400;
}

/* 1*DIGIT, one field only, never with Transfer-Encoding (RFC 9112 6.3) */
static int
cl_check(struct http_request *r, const char *v, size_t n)
{
	int64_t cl = 0;
	size_t i;

	if ((r->seen & SEEN_TE) || n == 0)
		return 400;
	for (i = 0; i < n; i++) {
		if (!is_digit(v[i]) || cl > (INT64_MAX - (v[i] - '0')) / 10)
			return 400;
		cl = cl * 10 + (v[i] - '0');
	}
	if (r->limits.body > 0 && cl > r->limits.body)
		return 413;
	r->content_length = cl;
	return 0;
}

/* *( OWS ";" OWS name BWS "=" BWS value ); the end, or 0 when malformed */
static size_t
params_end(const char *v, size_t n, size_t i)
{
	size_t j, k;

	for (;;) {
		j = skip_ows(v, n, i);
		if (j == n || v[j] != ';')
			return i;
		j = skip_ows(v, n, j + 1);
		if ((k = skip_token(v, n, j)) == j)
			return 0;
		j = skip_ows(v, n, k);
		if (j == n || v[j] != '=')
			return 0;
		j = skip_ows(v, n, j + 1);
		if ((k = skip_token(v, n, j)) == j &&
		    (k = skip_quoted(v, n, j)) == 0)
			return 0;
		i = k;
	}
}

/*
 * A Transfer-Encoding other than plain "chunked": 400 when it is not a
 * well-formed list or puts chunked anywhere but last (RFC 9112 6.1), 501
 * for a coding list we do not implement.
 */
static int
te_unsupported(const char *v, size_t n)
{
	size_t i = 0, s, chunked = 0;
	bool last = false;

	for (;;) {
		s = i;
		if ((i = skip_token(v, n, s)) == s)
			return 400;
		last = ascii_ieq(v + s, i - s, "chunked");
		chunked += last;
		if ((i = params_end(v, n, i)) == 0)
			return 400;
		if ((i = skip_ows(v, n, i)) == n)
			break;
		if (v[i] != ',')
			return 400;
		i = skip_ows(v, n, i + 1);
	}
	if (chunked > 1 || (chunked == 1 && !last))
		return 400;
	return 501;
}

static int
te_check(struct http_request *r, const char *v, size_t n)
{
	/* RFC 9112 6.1: not in 1.0; 6.3: never with Content-Length */
	if (r->minor == 0 || (r->seen & SEEN_CL))
		return 400;
	if (!ascii_ieq(v, n, "chunked"))
		return te_unsupported(v, n);
	r->chunked = true;
	return 0;
}

/* A 1.0 client cannot expect 100 (RFC 9110 10.1.1): ignore it there. */
static int
expect_check(struct http_request *r, const char *v, size_t n)
{
	if (!ascii_ieq(v, n, "100-continue"))
		return 417;
	r->expect_continue = r->minor >= 1;
	return 0;
}

/* #connection-option; empty list elements are allowed (RFC 9110 5.6.1) */
static int
conn_check(struct http_request *r, const char *v, size_t n)
{
	size_t i = 0, s;

	for (;;) {
		s = i;
		i = skip_token(v, n, s);
		if (ascii_ieq(v + s, i - s, "close"))
			r->conn_close = true;
		else if (ascii_ieq(v + s, i - s, "keep-alive"))
			r->conn_keep_alive = true;
		if ((i = skip_ows(v, n, i)) == n)
			return 0;
		if (v[i] != ',')
			return 400;
		i = skip_ows(v, n, i + 1);
	}
}

/* --- field lines (RFC 9112 5), head and trailer section alike --- */

/*
 * One byte of a field line: field-name ":" OWS field-value OWS CRLF. A
 * line may not start with whitespace (obs-fold, or whitespace before the
 * first field) nor have any before the colon (RFC 9112 5.1, 5.2); bare CR,
 * bare LF, NUL and other CTLs but HTAB are refused (RFC 9112 2.2, RFC
 * 9110 5.5).
 */
static int
fline_step(struct http_fline *fl, unsigned char c)
{
	switch (fl->state) {
	case FL_START:
		if (c == '\r') {
			fl->state = FL_END_LF;
			return FL_MORE;
		}
		if (!is_tchar(c))
			return FL_BAD;
		fl->state = FL_NAME;
		break;
	case FL_NAME:
		if (c == ':') {
			fl->name_len = fl->len;
			fl->value_start = fl->value_end = fl->len + 1;
			fl->state = FL_OWS;
		} else if (!is_tchar(c))
			return FL_BAD;
		break;
	case FL_OWS:
	case FL_VALUE:
		if (c == '\r') {
			fl->state = FL_LF;
			return FL_MORE;
		}
		if (is_ows(c))
			break;
		if (!is_field_vchar(c))
			return FL_BAD;
		if (fl->state == FL_OWS)
			fl->value_start = fl->len;
		fl->value_end = fl->len + 1;
		fl->state = FL_VALUE;
		break;
	case FL_LF:
		return c == '\n' ? FL_FIELD : FL_BAD;
	case FL_END_LF:
		return c == '\n' ? FL_END : FL_BAD;
	}
	fl->len++;
	return FL_MORE;
}

static const struct field_rule *
field_rule_find(const char *name, size_t n)
{
	size_t i;

	if (n == 0)
		return NULL;
	for (i = 0; i < sizeof(field_rules) / sizeof(field_rules[0]); i++)
		if (ascii_lower(name[0]) ==
			(unsigned char)field_rules[i].name[0] &&
		    ascii_ieq(name, n, field_rules[i].name))
			return &field_rules[i];
	return NULL;
}

/*
 * http-parser 2.9.4 takes any field name that starts with
 * "Transfer-Encoding" ("Transfer-Encodingx") for a Transfer-Encoding and
 * refuses the request for it; refuse such a name here, on our terms.
 */
static bool
te_lookalike(const char *name, size_t n)
{
	size_t te = strlen("transfer-encoding");

	return n > te && ascii_ieq(name, te, "transfer-encoding");
}

/* A complete field line of the head, LINE at r->line_start. */
static int
field_process(struct http_request *r, const char *line)
{
	const struct http_fline *fl = &r->fline;
	const struct field_rule *rule;
	const char *v = line + fl->value_start;
	size_t n = fl->value_end - fl->value_start;

	if (te_lookalike(line, fl->name_len))
		return 400;
	if ((rule = field_rule_find(line, fl->name_len)) == NULL)
		return 0;
	if (rule->once & r->seen)
		return 400;
	r->seen |= rule->once;
	if (rule->framing &&
	    memchr(line + fl->value_end, '\t', fl->len - fl->value_end))
		return 400;
	if (rule->slot != SLOT_NONE && r->slot_off[rule->slot] == 0) {
		r->slot_off[rule->slot] = r->line_start + fl->value_start;
		r->slot_len[rule->slot] = n;
	}
	return rule->check != NULL ? rule->check(r, v, n) : 0;
}

/* --- the head --- */

static int
field_byte(struct http_request *r, const char *buf, size_t pos)
{
	int res, rv;

	if ((res = fline_step(&r->fline, buf[pos])) == FL_BAD)
		return 400;
	if (pos + 1 - r->rl_start > HTTP_HEAD_MAX ||
	    r->fline.len > r->limits.field_size)
		return 431;
	if (res == FL_END)
		return HTTP_DONE;
	if (res == FL_FIELD) {
		if (++r->nfields > r->limits.fields)
			return 431;
		/* the head has to be well-formed before its meaning counts */
		if ((rv = field_process(r, buf + r->line_start)) != 0 &&
		    r->pending == 0)
			r->pending = rv;
		memset(&r->fline, 0, sizeof(r->fline));
		r->line_start = pos + 1;
	}
	return HTTP_INCOMPLETE;
}

static int
rline_byte(struct http_request *r, unsigned char c, size_t pos)
{
	if (c == '\r') {
		r->head_state = HEAD_RLINE_LF;
		return HTTP_INCOMPLETE;
	}
	if (c < ' ' || c > '~')
		return 400; /* bare LF, CTL, obs-text: RFC 9112 2.2, 3.2 */
	if (pos + 1 - r->rl_start > r->limits.request_line ||
	    pos + 1 - r->rl_start > HTTP_HEAD_MAX)
		return 414;
	return HTTP_INCOMPLETE;
}

static int
head_byte(struct http_request *r, const char *buf, size_t pos)
{
	unsigned char c = buf[pos];

	switch (r->head_state) {
	case HEAD_START:
		if (c == '\r') {
			r->head_state = HEAD_START_LF;
			return HTTP_INCOMPLETE;
		}
		if (!is_tchar(c))
			return 400; /* RFC 9112 2.2: only CRLF may precede */
		r->rl_start = pos;
		r->head_state = HEAD_RLINE;
		return rline_byte(r, c, pos);
	case HEAD_START_LF:
		if (c != '\n' || ++r->empty_lines > HTTP_EMPTY_LINES_MAX)
			return 400;
		r->head_state = HEAD_START;
		return HTTP_INCOMPLETE;
	case HEAD_RLINE:
		return rline_byte(r, c, pos);
	case HEAD_RLINE_LF:
		if (c != '\n')
			return 400;
		r->head_state = HEAD_FIELDS;
		r->line_start = pos + 1;
		return rline_parse(r, buf + r->rl_start, pos - 1 - r->rl_start);
	default:
		return field_byte(r, buf, pos);
	}
}

/* --- http-parser, fed the bytes the scanner accepted --- */

static int
hp_on_url(http_parser *hp, const char *at, size_t len)
{
	struct http_request *r = hp->data;

	r->hp_url = at;
	r->hp_url_len = len;
	return 0;
}

static int
hp_on_header_field(http_parser *hp, const char *at, size_t len)
{
	struct http_request *r = hp->data;

	r->hp_fields++;
	return 0;
}

/*
 * Pausing here makes http_parser_execute() return right after the last
 * byte of the message, so it can never run on into a pipelined request.
 */
static int
hp_on_message_complete(http_parser *hp)
{
	struct http_request *r = hp->data;

	r->hp_done = true;
	http_parser_pause(hp, 1);
	return 0;
}

/* Runs http-parser over N bytes; DONE tells whether the message ends. */
static int
hp_feed(struct http_request *r, const char *p, size_t n, bool done)
{
	size_t fed;
	enum http_errno err;

	r->hp.data = r;
	fed = http_parser_execute(&r->hp, &hp_settings, p, n);
	err = HTTP_PARSER_ERRNO(&r->hp);
	if (fed != n)
		return 400;
	if (done)
		return r->hp_done && err == HPE_PAUSED ? 0 : 400;
	return !r->hp_done && err == HPE_OK ? 0 : 400;
}

/*
 * http-parser is given exactly the head, from the request line through
 * the final CRLF, and nothing more: counting the bytes rather than pausing
 * in on_headers_complete (which would leave the final LF unconsumed, or
 * with a return of 1 make http-parser skip the body) keeps its body state
 * in step with ours. The body is then fed to it by http_parse_body().
 */
static int
head_confirm(struct http_request *r, const char *buf)
{
	const http_parser *hp = &r->hp;

	if (hp_feed(r, buf + r->rl_start, r->head_len - r->rl_start,
		!http_has_body(r)) != 0)
		return 400;
	if (hp->method != r->method || hp->http_major != r->major ||
	    hp->http_minor != r->minor)
		return 400;
	if (r->hp_url != buf + r->target_off ||
	    r->hp_url_len != r->target_len || r->hp_fields != r->nfields)
		return 400;
	if (((hp->flags & F_CHUNKED) != 0) != r->chunked ||
	    ((hp->flags & F_CONTENTLENGTH) != 0) != (r->content_length >= 0))
		return 400;
	if (r->content_length >= 0 &&
	    hp->content_length != (uint64_t)r->content_length)
		return 400;
	return 0;
}

/* The strings of the request, NUL-terminated inside BUF. */
static void
head_expose(struct http_request *r, char *buf)
{
	const char **slot[HTTP_FIELD_SLOTS] = { &r->host, &r->if_modified_since,
		&r->if_none_match, &r->if_range, &r->range, &r->user_agent,
		&r->referer };
	size_t i;

	buf[r->rl_start + r->method_len] = '\0';
	r->method_name = buf + r->rl_start;
	buf[r->target_off + r->target_len] = '\0';
	r->target = buf + r->target_off;
	for (i = 0; i < HTTP_FIELD_SLOTS; i++) {
		if (r->slot_off[i] == 0)
			continue;
		buf[r->slot_off[i] + r->slot_len[i]] = '\0';
		*slot[i] = buf + r->slot_off[i];
	}
	/* close wins; http-parser misses "close\t" and lets it lose */
	r->keep_alive = http_should_keep_alive(&r->hp) && !r->conn_close &&
			(r->minor == 1 || r->conn_keep_alive);
}

static int
head_finish(struct http_request *r, char *buf)
{
	int rv;

	if (r->pending != 0)
		return r->pending;
	if (r->minor == 1 && !(r->seen & SEEN_HOST))
		return 400; /* RFC 9112 3.2 */
	if (r->method == HTTP_CONNECT && http_has_body(r))
		return 400; /* RFC 9110 9.3.6: CONNECT has no content */
	if ((rv = head_confirm(r, buf)) != 0)
		return rv;
	head_expose(r, buf);
	if (r->chunked)
		r->body_state = CH_SIZE_START;
	else if (r->content_length > 0)
		r->body_state = BODY_LENGTH;
	else
		r->body_state = BODY_DONE;
	return HTTP_DONE;
}

void
http_request_init(struct http_request *r, const struct http_limits *lim)
{
	memset(r, 0, sizeof(*r));
	r->limits = *lim;
	r->content_length = -1;
	http_parser_init(&r->hp, HTTP_REQUEST);
	r->hp.data = r;
}

/* Bytes left before LIMIT once USED are taken; 0 when none. */
static size_t
room_left(size_t limit, size_t used)
{
	return limit > used ? limit - used : 0;
}

/*
 * A fast path through the bytes head_byte() would only count: the rest
 * of a request line, field name or field value, up to the first byte
 * that ends it, is refused or reaches a limit. That byte, and every one
 * in any other state, takes the byte-by-byte path, so the answer is the
 * same. Returns how many bytes from POS were taken.
 */
static size_t
head_run(struct http_request *r, const char *buf, size_t pos, size_t len)
{
	struct http_fline *fl = &r->fline;
	size_t head = room_left(HTTP_HEAD_MAX, pos - r->rl_start), i = pos;
	size_t end, last;

	if (r->head_state == HEAD_RLINE) {
		end = room_left(r->limits.request_line, pos - r->rl_start);
		end = pos + (end < head ? end : head);
		end = end < len ? end : len;
		while (i < end && buf[i] >= ' ' && buf[i] <= '~')
			i++;
		return i - pos;
	}
	if (r->head_state != HEAD_FIELDS)
		return 0;
	end = room_left(r->limits.field_size, fl->len);
	end = pos + (end < head ? end : head);
	end = end < len ? end : len;
	if (fl->state == FL_NAME)
		while (i < end && is_tchar(buf[i]))
			i++;
	else if (fl->state == FL_VALUE) {
		for (last = i; i < end; i++) {
			if (is_field_vchar(buf[i]))
				last = i + 1;
			else if (!is_ows(buf[i]))
				break;
		}
		if (last > pos)
			fl->value_end = fl->len + (last - pos);
	}
	fl->len += i - pos;
	return i - pos;
}

int
http_parse_head(struct http_request *r, char *buf, size_t len)
{
	int rv = HTTP_INCOMPLETE;

	if (r->head_state == HEAD_DONE)
		return HTTP_DONE;
	while (rv == HTTP_INCOMPLETE && r->scanned < len) {
		r->scanned += head_run(r, buf, r->scanned, len);
		if (r->scanned < len)
			rv = head_byte(r, buf, r->scanned++);
	}
	if (rv != HTTP_DONE)
		return rv;
	r->head_state = HEAD_DONE;
	r->head_len = r->scanned;
	return head_finish(r, buf);
}

bool
http_has_body(const struct http_request *r)
{
	return r->chunked || r->content_length > 0;
}

/* --- the body (RFC 9112 6, 7.1) --- */

/* chunk-size = 1*HEXDIG, at most 16 digits, no sign, no "0x", no space */
static int
chunk_size_byte(struct http_request *r, unsigned char c)
{
	int h = hex_value(c);

	if (h >= 0) {
		if (++r->chunk_digits > HTTP_CHUNK_DIGITS_MAX ||
		    r->chunk_left > (uint64_t)INT64_MAX >> 4)
			return 400;
		r->chunk_left = r->chunk_left << 4 | (uint64_t)h;
		r->body_state = CH_SIZE;
		return HTTP_INCOMPLETE;
	}
	if (r->body_state == CH_SIZE_START)
		return 400;
	/* BWS may be HTAB too, but http-parser refuses one after the size */
	if (c == '\r')
		r->body_state = CH_SIZE_LF;
	else if (c == ';')
		r->body_state = CH_EXT_NAME_START;
	else if (c == ' ')
		r->body_state = CH_EXT_BWS;
	else
		return 400;
	return HTTP_INCOMPLETE;
}

/* After a complete extension name or value. */
static int
chunk_ext_next(struct http_request *r, unsigned char c)
{
	if (c == '\r')
		r->body_state = CH_SIZE_LF;
	else if (c == ';')
		r->body_state = CH_EXT_NAME_START;
	else if (is_ows(c))
		r->body_state = CH_EXT_BWS;
	else
		return 400;
	return HTTP_INCOMPLETE;
}

/*
 * chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), with
 * ext-val = token / quoted-string (RFC 9112 7.1.1). Parsed and ignored.
 */
static int
chunk_ext_byte(struct http_request *r, unsigned char c)
{
	switch (r->body_state) {
	case CH_EXT_BWS:
		if (c == ';')
			r->body_state = CH_EXT_NAME_START;
		else if (!is_ows(c))
			return 400;
		return HTTP_INCOMPLETE;
	case CH_EXT_NAME_START:
		if (is_tchar(c))
			r->body_state = CH_EXT_NAME;
		else if (!is_ows(c))
			return 400;
		return HTTP_INCOMPLETE;
	case CH_EXT_NAME:
		if (c == '=')
			r->body_state = CH_EXT_VAL_START;
		else if (is_ows(c))
			r->body_state = CH_EXT_NAME_BWS;
		else if (!is_tchar(c))
			return chunk_ext_next(r, c);
		return HTTP_INCOMPLETE;
	case CH_EXT_NAME_BWS:
		if (c == '=')
			r->body_state = CH_EXT_VAL_START;
		else if (c == ';')
			r->body_state = CH_EXT_NAME_START;
		else if (!is_ows(c))
			return 400;
		return HTTP_INCOMPLETE;
	case CH_EXT_VAL_START:
		if (c == '"')
			r->body_state = CH_EXT_QSTR;
		else if (is_tchar(c))
			r->body_state = CH_EXT_TOKEN;
		else if (!is_ows(c))
			return 400;
		return HTTP_INCOMPLETE;
	case CH_EXT_TOKEN:
		return is_tchar(c) ? HTTP_INCOMPLETE : chunk_ext_next(r, c);
	case CH_EXT_QSTR:
		if (c == '"')
			r->body_state = CH_EXT_QEND;
		else if (c == '\\')
			r->body_state = CH_EXT_QPAIR;
		else if (!is_qdtext(c))
			return 400;
		return HTTP_INCOMPLETE;
	case CH_EXT_QPAIR:
		r->body_state = CH_EXT_QSTR;
		return is_qpair(c) ? HTTP_INCOMPLETE : 400;
	default: /* CH_EXT_QEND */
		return chunk_ext_next(r, c);
	}
}

/* The LF ending a chunk-size line: data, or the trailer section. */
static int
chunk_size_end(struct http_request *r)
{
	uint64_t size = r->chunk_left;

	if (r->limits.body > 0 &&
	    size > (uint64_t)(r->limits.body - r->body_seen))
		return 413;
	if (size > (uint64_t)(INT64_MAX - r->body_seen))
		return 400;
	r->body_seen += (int64_t)size;
	r->chunk_line = 0;
	r->chunk_digits = 0;
	if (size > 0) {
		r->body_state = CH_DATA;
		return HTTP_INCOMPLETE;
	}
	r->body_state = CH_TRAILER;
	r->nfields = 0;
	memset(&r->fline, 0, sizeof(r->fline));
	r->trailer_match = TRAILER_ALL;
	return HTTP_INCOMPLETE;
}

/* Narrows r->trailer_match on byte C at index I of a trailer name. */
static void
trailer_name_byte(struct http_request *r, unsigned char c, size_t i)
{
	size_t k;

	for (k = 0; k < sizeof(trailer_banned) / sizeof(char *); k++)
		if (i >= strlen(trailer_banned[k]) ||
		    ascii_lower(c) != (unsigned char)trailer_banned[k][i])
			r->trailer_match &= ~(1u << k);
}

static bool
trailer_name_banned(const struct http_request *r, size_t n)
{
	size_t k;

	for (k = 0; k < sizeof(trailer_banned) / sizeof(char *); k++)
		if ((r->trailer_match & (1u << k)) &&
		    strlen(trailer_banned[k]) == n)
			return true;
	return false;
}

/* trailer-section = *( field-line CRLF ) CRLF, checked like the head */
static int
trailer_byte(struct http_request *r, unsigned char c)
{
	int prev = r->fline.state, res;

	if ((res = fline_step(&r->fline, c)) == FL_BAD)
		return 400;
	if (++r->trailer_bytes > HTTP_HEAD_MAX ||
	    r->fline.len > r->limits.field_size)
		return 431;
	if (r->fline.state == FL_NAME && res == FL_MORE)
		trailer_name_byte(r, c, r->fline.len - 1);
	else if (prev == FL_NAME && trailer_name_banned(r, r->fline.name_len))
		return 400;
	if (res == FL_END) {
		r->body_state = BODY_DONE;
		return HTTP_DONE;
	}
	if (res == FL_FIELD) {
		if (++r->nfields > r->limits.fields)
			return 431;
		memset(&r->fline, 0, sizeof(r->fline));
		r->trailer_match = TRAILER_ALL;
	}
	return HTTP_INCOMPLETE;
}

static int
chunk_byte(struct http_request *r, unsigned char c)
{
	switch (r->body_state) {
	case CH_SIZE_START:
	case CH_SIZE:
		return chunk_size_byte(r, c);
	case CH_SIZE_LF:
		return c == '\n' ? chunk_size_end(r) : 400;
	case CH_DATA_CR:
		r->body_state = CH_DATA_LF;
		return c == '\r' ? HTTP_INCOMPLETE : 400;
	case CH_DATA_LF:
		r->body_state = CH_SIZE_START;
		return c == '\n' ? HTTP_INCOMPLETE : 400;
	case CH_TRAILER:
		return trailer_byte(r, c);
	default:
		return chunk_ext_byte(r, c);
	}
}

/* One step of a chunked body from BUF[*I]: a byte, or a run of data. */
static int
chunked_step(struct http_request *r, const char *buf, size_t len, size_t *i)
{
	size_t take;

	if (r->body_state == CH_DATA) {
		take = len - *i;
		if (take > r->chunk_left)
			take = (size_t)r->chunk_left;
		*i += take;
		if ((r->chunk_left -= take) == 0)
			r->body_state = CH_DATA_CR;
		return HTTP_INCOMPLETE;
	}
	if (r->body_state < CH_SIZE_LF && ++r->chunk_line > HTTP_CHUNK_LINE_MAX)
		return 400;
	return chunk_byte(r, (unsigned char)buf[(*i)++]);
}

/*
 * Our framing decides where the body ends; http-parser, fed the same
 * bytes, has to end the message on the same byte and find nothing wrong
 * before it, or the request is a 400.
 */
int
http_parse_body(
    struct http_request *r, const char *buf, size_t len, size_t *used)
{
	size_t i = 0;
	uint64_t left;
	int rv = HTTP_INCOMPLETE;

	*used = 0;
	if (r->body_state == BODY_DONE || r->body_state == BODY_NONE)
		return HTTP_DONE;
	if (r->body_state == BODY_LENGTH) {
		left = (uint64_t)(r->content_length - r->body_seen);
		i = len < left ? len : (size_t)left;
		r->body_seen += (int64_t)i;
		if (r->body_seen == r->content_length) {
			r->body_state = BODY_DONE;
			rv = HTTP_DONE;
		}
	} else {
		while (rv == HTTP_INCOMPLETE && i < len)
			rv = chunked_step(r, buf, len, &i);
		if (rv != HTTP_INCOMPLETE && rv != HTTP_DONE)
			return rv;
	}
	if (i > 0 && hp_feed(r, buf, i, rv == HTTP_DONE) != 0)
		return 400;
	*used = i;
	return rv;
}
