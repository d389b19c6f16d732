/*
 * libFuzzer target for conf/: the input is config text, parsed as a worker
 * parses what the master sends (CONF_WORKER) and as the master parses
 * mpmd.conf (flags 0), from the defaults with ServerRoot at the source tree
 * and WorkerDir at the build tree, as tests/unit/check_conf.c does, so the
 * shipped mpmd.conf validates. Whatever parses must serialize to text that
 * parses again with CONF_WORKER and serializes to the same bytes: the
 * worker relies on that round trip.
 *
 * Flags 0 writes nothing, but it stats paths and reads TypesConfig, the
 * certificates and keys, and what Include matches, opening them before
 * fstat() if at all. So that a mutation can neither open a device nor walk
 * the disk, flags 0 is skipped when one of those files is not a regular
 * file, or when an Include names anything outside FUZZ_NOWHERE.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "lib/xmalloc.h"
#include "contrib/fuzz/fuzz.h"

#define FUZZ_NOWHERE   "/nonexistent-mpmd-fuzz/"
#define FUZZ_DIRECTIVE "include"
#define FUZZ_BLANKS    " \t\r\f\v" /* the parser's blanks */

/* Too big for a fuzzer thread's stack. */
static struct conf conf, again;

static void
fuzz_conf_init(struct conf *c)
{
	conf_init(c);
	free(c->server_root);
	c->server_root = xstrdup(FUZZ_SERVER_ROOT);
	free(c->worker_dir);
	c->worker_dir = xstrdup(FUZZ_WORKER_DIR);
}

/* WHAT went wrong with TEXT: the errors first, CI shows the first lines. */
static void
dump(const char *what, const char *text, size_t len,
    const struct conf_errors *errs)
{
	size_t i;

	fprintf(stderr, "fuzz_conf: %s\n", what);
	for (i = 0; errs != NULL && i < errs->count; i++)
		fprintf(stderr, "%s\n", errs->msg[i]);
	fprintf(stderr, "--- text\n%.*s--- end\n", (int)len, text);
}

/* The serialization of C parses with CONF_WORKER and serializes the same. */
static void
round_trip(const struct conf *c)
{
	struct conf_errors errs;
	size_t len, len2;
	char *text = conf_serialize(c, &len), *text2;

	conf_init(&again);
	if (conf_parse_string(
		&again, text, len, "serialized", CONF_WORKER, &errs) != 0) {
		dump("the serialization does not parse", text, len, &errs);
		abort();
	}
	text2 = conf_serialize(&again, &len2);
	if (len2 != len || memcmp(text, text2, len) != 0) {
		dump("serialized again, it differs from", text, len, NULL);
		dump("this", text2, len2, NULL);
		abort();
	}
	free(text2);
	free(text);
	conf_errors_free(&errs);
	conf_free(&again);
}

/* Parses TEXT into conf with FLAGS, round trip if it is valid. */
static void
parse(const char *text, size_t len, int flags)
{
	struct conf_errors errs;

	fuzz_conf_init(&conf);
	if (conf_parse_string(&conf, text, len, "fuzz", flags, &errs) == 0)
		round_trip(&conf);
	conf_errors_free(&errs);
}

/* S, after blanks and an opening quote, starts with WORD then ends it. */
static const char *
skip_word(const char *s, const char *word)
{
	size_t n = strlen(word);
	bool quoted;

	s += strspn(s, FUZZ_BLANKS);
	if ((quoted = *s == '"'))
		s++;
	if (strncasecmp(s, word, n) != 0)
		return NULL;
	s += n;
	if (quoted ? *s != '"'
		   : (*s != '\0' && strchr(FUZZ_BLANKS, *s) == NULL))
		return NULL;
	return s + quoted;
}

/* Every Include line of LINES (continuations joined) names FUZZ_NOWHERE. */
static bool
includes_nowhere(char *lines)
{
	char *line, *arg, *save = NULL;

	for (line = strtok_r(lines, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if ((arg = (char *)skip_word(line, FUZZ_DIRECTIVE)) == NULL)
			continue;
		arg += strspn(arg, FUZZ_BLANKS);
		arg += *arg == '"';
		if (strncmp(arg, FUZZ_NOWHERE, strlen(FUZZ_NOWHERE)) != 0)
			return false;
	}
	return true;
}

/* TEXT with "\\\n" and "\\\r\n" removed, as the parser joins lines. */
static char *
join_lines(const char *text, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;
	size_t i;

	for (i = 0; i < len; i++) {
		if (text[i] == '\\' && i + 1 < len && text[i + 1] == '\n')
			i++;
		else if (text[i] == '\\' && i + 2 < len &&
			 text[i + 1] == '\r' && text[i + 2] == '\n')
			i += 2;
		else
			*o++ = text[i] == '\0' ? '\n' : text[i];
	}
	*o = '\0';
	return out;
}

static bool
regular_or_missing(const char *path)
{
	struct stat st;

	return path == NULL || stat(path, &st) == -1 || S_ISREG(st.st_mode);
}

/* Flags 0 opens these before fstat(), if at all: no device or FIFO. */
static bool
files_safe(const struct conf *c)
{
	size_t i;

	for (i = 0; i < c->tls.ncerts; i++)
		if (!regular_or_missing(c->tls.certs[i].cert_file) ||
		    !regular_or_missing(c->tls.certs[i].key_file))
			return false;
	return regular_or_missing(c->types_config);
}

/* Flags 0 reads every file an Include matches: only FUZZ_NOWHERE. */
static bool
includes_safe(const char *text, size_t len)
{
	char *joined = join_lines(text, len);
	bool safe = includes_nowhere(joined);

	free(joined);
	return safe;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	bool safe;

	parse(text, size, CONF_WORKER);
	/* the paths are the same in both modes: ServerRoot joined alike */
	safe = files_safe(&conf);
	conf_free(&conf);
	if (safe && includes_safe(text, size)) {
		parse(text, size, 0);
		conf_free(&conf);
	}
	return 0;
}
