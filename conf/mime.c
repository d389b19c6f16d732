/*
 * The MIME map: mime.types parsing and AddType entries at startup, then a
 * per-request lookup by extension (binary search, no allocation).
 */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/parse.h"
#include "lib/xmalloc.h"

#define MIME_MIN_CAP      64
#define MIME_TYPE_PUNCT   "!#$&-^_.+" /* RFC 6838 restricted-name-chars */
#define MIME_BLANKS       " \t\r\f\v"
#define ASCII_FIRST_GRAPH '!'
#define ASCII_LAST_GRAPH  '~'

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static char
to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* "type/subtype" of RFC 6838 names: no parameters, alnum first. */
bool
mime_valid_type(const char *type)
{
	const char *slash = strchr(type, '/'), *c;

	if (slash == NULL || !is_alnum(type[0]) || !is_alnum(slash[1]) ||
	    strlen(type) > MIME_MAX_TYPE)
		return false;
	for (c = type; *c != '\0'; c++)
		if (c != slash && !is_alnum(*c) &&
		    strchr(MIME_TYPE_PUNCT, *c) == NULL)
			return false;
	return true;
}

/* "html" or ".html": visible ASCII, no '/', quote or backslash. */
bool
mime_valid_ext(const char *ext)
{
	const char *c;

	if (ext[0] == '.')
		ext++;
	if (ext[0] == '\0' || ext[0] == '.' || strlen(ext) > MIME_MAX_EXT)
		return false;
	for (c = ext; *c != '\0'; c++)
		if (*c < ASCII_FIRST_GRAPH || *c > ASCII_LAST_GRAPH ||
		    *c == '/' || *c == '"' || *c == '\\')
			return false;
	return true;
}

int
mime_add(struct mime_table *t, const char *type, const char *ext)
{
	struct mime_entry *e;
	char *c;

	if (!mime_valid_type(type) || !mime_valid_ext(ext))
		return -1;
	if (t->count == t->cap) {
		t->cap = t->cap == 0 ? MIME_MIN_CAP : t->cap * 2;
		t->entries =
		    xreallocarray(t->entries, t->cap, sizeof(*t->entries));
	}
	e = &t->entries[t->count++];
	e->ext = xstrdup(ext[0] == '.' ? ext + 1 : ext);
	for (c = e->ext; *c != '\0'; c++)
		*c = to_lower(*c);
	e->type = xstrdup(type);
	return 0;
}

/* One mime.types line: "type ext...", '#' starts a comment. */
static int
mime_line(struct mime_table *t, char *line, char **cause)
{
	char *save, *type, *ext;

	type = strtok_r(line, MIME_BLANKS, &save);
	if (type == NULL || type[0] == '#')
		return 0;
	if (!mime_valid_type(type)) {
		xasprintf(
		    cause, "'%s' is not a media type (type/subtype)", type);
		return -1;
	}
	while (
	    (ext = strtok_r(NULL, MIME_BLANKS, &save)) != NULL && ext[0] != '#')
		if (mime_add(t, type, ext) == -1) {
			xasprintf(cause, "'%s' is not a file extension", ext);
			return -1;
		}
	return 0;
}

int
mime_parse(struct mime_table *t, const char *text, size_t len, unsigned *line,
    char **cause)
{
	char buf[CONF_MAX_LINE + 1];
	const char *s, *nl;
	size_t pos, n;

	for (pos = 0, *line = 1; pos < len; pos += n + 1, (*line)++) {
		s = text + pos;
		nl = memchr(s, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - s) : len - pos;
		if (n > CONF_MAX_LINE) {
			xasprintf(
			    cause, "line longer than %d bytes", CONF_MAX_LINE);
			return -1;
		}
		if (memchr(s, '\0', n) != NULL) {
			xasprintf(cause, "NUL byte in line");
			return -1;
		}
		memcpy(buf, s, n);
		buf[n] = '\0';
		if (mime_line(t, buf, cause) == -1)
			return -1;
	}
	return 0;
}

int
mime_load_file(struct mime_table *t, const char *path, char **cause)
{
	const char *why;
	struct stat st;
	char *text, *msg;
	unsigned line;
	size_t len;
	int r;

	if (conf_read_file(path, &text, &len, &st, &why) == -1) {
		xasprintf(cause, "%s: %s", path, why);
		return -1;
	}
	if ((r = mime_parse(t, text, len, &line, &msg)) == -1) {
		xasprintf(cause, "%s:%u: %s", path, line, msg);
		free(msg);
	}
	free(text);
	return r;
}

/* Stable, so that among equal extensions the last one added stays last. */
static void
merge_sort(struct mime_entry *a, struct mime_entry *tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	merge_sort(a, tmp, mid);
	merge_sort(a + mid, tmp, n - mid);
	while (i < mid && j < n)
		tmp[k++] = strcmp(a[j].ext, a[i].ext) < 0 ? a[j++] : a[i++];
	while (i < mid)
		tmp[k++] = a[i++];
	while (j < n)
		tmp[k++] = a[j++];
	memcpy(a, tmp, n * sizeof(*a));
}

void
mime_finish(struct mime_table *t)
{
	struct mime_entry *e = t->entries, *tmp;
	size_t i, out = 0;

	if (t->count == 0)
		return;
	tmp = xreallocarray(NULL, t->count, sizeof(*tmp));
	merge_sort(e, tmp, t->count);
	free(tmp);
	for (i = 0; i < t->count; i++) {
		if (i + 1 < t->count && strcmp(e[i].ext, e[i + 1].ext) == 0) {
			free(e[i].ext);
			free(e[i].type);
			continue;
		}
		e[out++] = e[i];
	}
	t->count = out;
}

/* Compares KEY (any case) with EXT (lower case) like strcmp on lower case. */
static int
ext_cmp(const char *key, const char *ext)
{
	unsigned char k, e;

	do {
		k = (unsigned char)to_lower(*key++);
		e = (unsigned char)*ext++;
	} while (k == e && k != '\0');
	return (int)k - (int)e;
}

static const char *
mime_find(const struct mime_table *t, const char *ext)
{
	size_t lo = 0, hi = t->count, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = ext_cmp(ext, t->entries[mid].ext)) == 0)
			return t->entries[mid].type;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/*
 * The last extension of the last path component: "a.tar.GZ" is "gz";
 * "README", "name." and dotfiles such as ".profile" have none.
 */
const char *
mime_lookup(const struct mime_table *t, const char *name)
{
	const char *base = strrchr(name, '/'), *dot;

	base = base != NULL ? base + 1 : name;
	while (*base == '.')
		base++;
	if ((dot = strrchr(base, '.')) == NULL || dot[1] == '\0')
		return NULL;
	return mime_find(t, dot + 1);
}

void
mime_free(struct mime_table *t)
{
	size_t i;

	for (i = 0; i < t->count; i++) {
		free(t->entries[i].ext);
		free(t->entries[i].type);
	}
	free(t->entries);
	memset(t, 0, sizeof(*t));
}
