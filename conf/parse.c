/*
 * Config text to directive calls: logical lines (continuations, comments,
 * quotes), the directive lookup and argument count, Include, and the
 * "FILE:LINE: message" errors. The text is parsed from memory; only the
 * entry points and Include read files.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/parse.h"
#include "lib/log.h"
#include "lib/plural.h"
#include "lib/xmalloc.h"

#define GLOB_CHARS "*?["

enum line_result {
	LINE_END,
	LINE_OK,
	LINE_LONG,
	LINE_NUL,
};

struct cursor {
	const char *text;
	size_t len;
	size_t pos;
	unsigned line; /* physical lines consumed */
};

static int parse_file(struct conf_parser *, const char *, const char **);

void
conf_errorf(
    struct conf_parser *p, const struct conf_where *w, const char *fmt, ...)
{
	struct conf_errors *errs = p->errs;
	va_list ap;
	char *msg;

	if (w == NULL)
		w = &p->at;
	p->nerrors++;
	if (errs == NULL || w == &p->cascade)
		return;
	if (errs->count == CONF_MAX_ERRORS) {
		errs->truncated++;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("%s: vasprintf", __func__);
	va_end(ap);
	if (w == &p->deflt)
		xasprintf(&errs->msg[errs->count++],
		    "%s: %s (a compiled-in default: the file does not set it)",
		    w->file, msg);
	else if (w->line == 0)
		xasprintf(&errs->msg[errs->count++], "%s: %s", w->file, msg);
	else
		xasprintf(&errs->msg[errs->count++], "%s:%u: %s", w->file,
		    w->line, msg);
	free(msg);
}

/*
 * The line of the first of A, B, C that was set in the file; the
 * compiled-in default when none was. A refusal before that (a bad value,
 * or a typo of the name) makes it a cascade: one mistake, one message.
 */
const struct conf_where *
conf_where_of(const struct conf_parser *p, enum conf_dir a, enum conf_dir b,
    enum conf_dir c)
{
	enum conf_dir ids[] = { a, b, c };
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (ids[i] >= CD_COUNT)
			continue;
		if (p->set[ids[i]].line > 0)
			return &p->set[ids[i]];
		if (p->refused[ids[i]].line > 0)
			return &p->cascade;
	}
	return &p->deflt;
}

void
conf_errors_free(struct conf_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->count; i++)
		free(errs->msg[i]);
	memset(errs, 0, sizeof(*errs));
}

static int
open_regular(const char *path, struct stat *st, const char **why)
{
	int fd;

	/* O_NONBLOCK: a FIFO must not hang the parser before fstat. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd == -1) {
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fd, st) == -1)
		*why = strerror(errno);
	else if (S_ISDIR(st->st_mode))
		*why = strerror(EISDIR);
	else if (!S_ISREG(st->st_mode))
		*why = "not a regular file";
	else if (st->st_size > CONF_MAX_FILE_SIZE)
		*why = "file too large";
	else
		return fd;
	close(fd);
	return -1;
}

/* Reads PATH whole, NUL-terminated; *why is set on failure. */
int
conf_read_file(const char *path, char **text, size_t *len, struct stat *st,
    const char **why)
{
	size_t size, got = 0;
	ssize_t n;
	int fd;

	if ((fd = open_regular(path, st, why)) == -1)
		return -1;
	size = (size_t)st->st_size;
	*text = xmalloc(size + 1);
	while (got < size && (n = read(fd, *text + got, size - got)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*why = strerror(errno);
			free(*text);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	(*text)[got] = '\0';
	*len = got;
	return 0;
}

/*
 * Copies the next logical line into BUF (CONF_MAX_LINE + 1 bytes): CR LF
 * taken as LF, a trailing backslash joins the next line. *FIRST is its first
 * physical line. A line too long or holding a NUL is consumed and reported.
 */
static enum line_result
next_line(struct cursor *c, char *buf, unsigned *first)
{
	enum line_result r = LINE_OK;
	const char *s, *nl;
	size_t n = 0, len;
	bool more;

	if (c->pos >= c->len)
		return LINE_END;
	*first = c->line + 1;
	do {
		s = c->text + c->pos;
		nl = memchr(s, '\n', c->len - c->pos);
		len = nl != NULL ? (size_t)(nl - s) : c->len - c->pos;
		c->pos += len + (nl != NULL);
		c->line++;
		if (len > 0 && s[len - 1] == '\r')
			len--;
		if ((more = len > 0 && s[len - 1] == '\\'))
			len--;
		if (memchr(s, '\0', len) != NULL)
			r = LINE_NUL;
		else if (r == LINE_OK && n + len > CONF_MAX_LINE)
			r = LINE_LONG;
		else if (r == LINE_OK) {
			memcpy(buf + n, s, len);
			n += len;
		}
	} while (more && c->pos < c->len);
	buf[n] = '\0';
	return r;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Decodes the quoted word at S in place (\" and \\ are escapes, any other
 * backslash is literal). Returns where the next word may start.
 */
static char *
unquote(struct conf_parser *p, char *s)
{
	char *dst = s, *src = s + 1;

	while (*src != '"') {
		if (*src == '\0') {
			conf_errorf(p, NULL, "unterminated quoted string");
			return NULL;
		}
		if (src[0] == '\\' && (src[1] == '"' || src[1] == '\\'))
			src++;
		*dst++ = *src++;
	}
	src++;
	if (*src != '\0' && !is_blank(*src)) {
		conf_errorf(p, NULL, "missing blank after a closing quote");
		return NULL;
	}
	*dst = '\0'; /* dst < src: the quotes were dropped */
	return src;
}

/* Splits LINE into words in place; returns their count or -1. */
static int
tokenize(struct conf_parser *p, char *s, char **argv)
{
	int argc = 0;

	for (;;) {
		while (is_blank(*s))
			s++;
		if (*s == '\0' || *s == '#')
			return argc;
		if (argc == CONF_MAX_ARGS) {
			conf_errorf(p, NULL, "more than %d words on one line",
			    CONF_MAX_ARGS);
			return -1;
		}
		argv[argc++] = s;
		if (*s == '"') {
			if ((s = unquote(p, s)) == NULL)
				return -1;
			continue;
		}
		while (*s != '\0' && !is_blank(*s))
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
}

static void
arity_error(struct conf_parser *p, const struct conf_directive *d, int got)
{
	const char *s = d->min_args == 1 ? "" : "s";

	if (d->max_args == d->min_args)
		conf_errorf(p, NULL, "%s takes %d argument%s, got %d", d->name,
		    d->min_args, s, got);
	else if (d->max_args == CONF_ARGS_ANY)
		conf_errorf(p, NULL, "%s takes at least %d argument%s, got %d",
		    d->name, d->min_args, s, got);
	else
		conf_errorf(p, NULL, "%s takes %d %s %d arguments, got %d",
		    d->name, d->min_args,
		    d->max_args == d->min_args + 1 ? "or" : "to", d->max_args,
		    got);
}

/* A typo of a known name counts as that directive refused. */
static void
unknown_directive(struct conf_parser *p, const char *name)
{
	const struct conf_directive *d = conf_directive_near(name);

	if (d == NULL) {
		conf_errorf(p, NULL, "unknown directive '%s'", name);
		return;
	}
	conf_errorf(
	    p, NULL, "unknown directive '%s': did you mean %s?", name, d->name);
	if (p->set[d - conf_directives].line == 0)
		p->refused[d - conf_directives] = p->at;
}

/* Refused until its handler takes it: refused[] then says where. */
static void
dispatch(struct conf_parser *p, int argc, char **argv)
{
	const struct conf_directive *d;
	int i, nargs = argc - 1;
	size_t id;

	if ((d = conf_directive_find(argv[0])) == NULL) {
		unknown_directive(p, argv[0]);
		return;
	}
	id = (size_t)(d - conf_directives);
	p->refused[id] = p->at;
	if (nargs < d->min_args ||
	    (d->max_args != CONF_ARGS_ANY && nargs > d->max_args)) {
		arity_error(p, d, nargs);
		return;
	}
	for (i = 1; i < argc; i++)
		if (argv[i][0] == '\0') {
			conf_errorf(p, NULL, "%s: empty argument", d->name);
			return;
		}
	if (d->set(p, d, nargs, argv + 1) == 0) {
		p->set[id] = p->at;
		memset(&p->refused[id], 0, sizeof(p->refused[id]));
	}
}

static void
parse_text(
    struct conf_parser *p, const char *name, const char *text, size_t len)
{
	struct cursor c = { .text = text, .len = len };
	char *buf = xmalloc(CONF_MAX_LINE + 1);
	char *argv[CONF_MAX_ARGS];
	enum line_result r;
	int argc;

	p->depth++;
	p->at.file = name;
	while ((r = next_line(&c, buf, &p->at.line)) != LINE_END) {
		if (r == LINE_LONG)
			conf_errorf(p, NULL, "line longer than %d bytes",
			    CONF_MAX_LINE);
		else if (r == LINE_NUL)
			conf_errorf(p, NULL, "NUL byte in line");
		else if ((argc = tokenize(p, buf, argv)) > 0)
			dispatch(p, argc, argv);
	}
	p->depth--;
	free(buf);
}

/* Included names must outlive the file: errors found later point at them. */
static const char *
keep_name(struct conf_parser *p, const char *path)
{
	p->names = xreallocarray(p->names, p->nnames + 1, sizeof(*p->names));
	p->names[p->nnames] = xstrdup(path);
	return p->names[p->nnames++];
}

static int
parse_file(struct conf_parser *p, const char *path, const char **why)
{
	struct conf_where saved = p->at;
	struct stat st;
	char *text;
	size_t len, i;

	if (conf_read_file(path, &text, &len, &st, why) == -1)
		return -1;
	for (i = 0; i < p->nopen; i++)
		if (p->open[i].dev == st.st_dev &&
		    p->open[i].ino == st.st_ino) {
			free(text);
			*why = "include cycle: the file is already being read";
			return -1;
		}
	p->open[p->nopen].dev = st.st_dev;
	p->open[p->nopen++].ino = st.st_ino;
	parse_text(p, keep_name(p, path), text, len);
	p->nopen--;
	p->at = saved;
	free(text);
	return 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every file PATTERN matches, in byte order; no match is no error. */
static int
include_glob(struct conf_parser *p, const char *pattern)
{
	const char *why, *name;
	glob_t g;
	size_t i, n;
	int r;

	r = glob(pattern, GLOB_MARK | GLOB_NOSORT, NULL, &g);
	if (r == GLOB_NOSPACE)
		fatalx("%s: glob: out of memory", __func__);
	if (r != 0) {
		globfree(&g);
		if (r == GLOB_NOMATCH)
			return 0;
		conf_errorf(p, NULL, "Include: cannot read '%s'", pattern);
		return -1;
	}
	qsort(g.gl_pathv, g.gl_pathc, sizeof(*g.gl_pathv), cmp_name);
	for (i = 0; i < g.gl_pathc; i++) {
		name = g.gl_pathv[i];
		if ((n = strlen(name)) > 0 && name[n - 1] == '/')
			continue; /* GLOB_MARK: a directory */
		if (parse_file(p, name, &why) == -1) {
			conf_errorf(p, NULL, "Include: %s: %s", name, why);
			r = -1;
		}
	}
	globfree(&g);
	return r;
}

static int
include_literal(struct conf_parser *p, const char *path)
{
	struct stat st;
	const char *why;
	char *all;
	int r;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		all = conf_path_join(path, "*");
		r = include_glob(p, all);
		free(all);
		return r;
	}
	if (parse_file(p, path, &why) == -1) {
		conf_errorf(p, NULL, "Include: %s: %s", path, why);
		return -1;
	}
	return 0;
}

/* Relative patterns are under the ServerRoot in force at the Include. */
int
conf_include(struct conf_parser *p, const char *pattern)
{
	char *path;
	int r;

	if (p->flags & CONF_WORKER) {
		conf_errorf(p, NULL,
		    "Include: not allowed in a worker's configuration");
		return -1;
	}
	if (p->depth > CONF_MAX_INCLUDE_DEPTH) {
		conf_errorf(p, NULL, "Include: nested deeper than %d levels",
		    CONF_MAX_INCLUDE_DEPTH);
		return -1;
	}
	if (pattern[0] == '/')
		path = xstrdup(pattern);
	else
		path = conf_path_join(p->conf->server_root, pattern);
	if (strpbrk(path, GLOB_CHARS) != NULL)
		r = include_glob(p, path);
	else
		r = include_literal(p, path);
	free(path);
	return r;
}

static void
parser_init(struct conf_parser *p, struct conf *conf, struct conf_errors *errs,
    const char *name, int flags)
{
	memset(p, 0, sizeof(*p));
	p->conf = conf;
	p->errs = errs;
	p->flags = flags;
	p->main.file = name;
	p->deflt.file = name;
	p->cascade.file = name;
	p->at = p->main;
	if (errs != NULL)
		memset(errs, 0, sizeof(*errs));
}

static int
parser_done(struct conf_parser *p)
{
	size_t i;

	for (i = 0; i < p->nnames; i++)
		free(p->names[i]);
	free(p->names);
	return p->nerrors > 0 ? -1 : 0;
}

int
conf_load(
    struct conf *conf, const char *path, int flags, struct conf_errors *errs)
{
	struct conf_parser p;
	const char *why;

	parser_init(&p, conf, errs, path, flags);
	if (parse_file(&p, path, &why) == -1)
		conf_errorf(&p, NULL, "cannot read the configuration: %s", why);
	else
		conf_finish(&p);
	return parser_done(&p);
}

int
conf_parse_string(struct conf *conf, const char *text, size_t len,
    const char *name, int flags, struct conf_errors *errs)
{
	struct conf_parser p;

	parser_init(&p, conf, errs, name, flags);
	parse_text(&p, name, text, len);
	p.at = p.main;
	conf_finish(&p);
	return parser_done(&p);
}

int
conf_load_print(struct conf *conf, const char *path, FILE *out)
{
	struct conf_errors errs;
	size_t i;
	int r;

	conf_init(conf);
	r = conf_load(conf, path, 0, &errs);
	for (i = 0; i < errs.count; i++)
		fprintf(out, "%s\n", errs.msg[i]);
	if (errs.truncated > 0)
		fprintf(out, "(%zu more error%s)\n", errs.truncated,
		    plural(errs.truncated));
	conf_errors_free(&errs);
	return r;
}
