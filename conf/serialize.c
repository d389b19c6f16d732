/*
 * The parsed configuration as canonical directive text: every value
 * explicit, paths absolute, no Include and no TypesConfig (the MIME map goes
 * as AddType lines). The worker parses it back with CONF_WORKER and gets
 * the same struct.
 */
#include "config.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/parse.h"
#include "lib/log.h"

/* Extensions on one AddType line: far below CONF_MAX_LINE. */
#define MIME_EXTS_PER_LINE 32

/* One word, quoted when the parser would otherwise split or drop it. */
static void
put_word(FILE *f, const char *s)
{
	const char *c;

	if (s[0] != '\0' && s[0] != '#' && s[0] != '"' &&
	    strpbrk(s, " \t\r\f\v\"\\") == NULL) {
		fprintf(f, " %s", s);
		return;
	}
	fputs(" \"", f);
	for (c = s; *c != '\0'; c++) {
		if (*c == '"' || *c == '\\')
			fputc('\\', f);
		fputc(*c, f);
	}
	fputc('"', f);
}

static int
cmp_type(const void *a, const void *b)
{
	const struct mime_entry *x = *(const struct mime_entry *const *)a;
	const struct mime_entry *y = *(const struct mime_entry *const *)b;
	int c = strcmp(x->type, y->type);

	return c != 0 ? c : strcmp(x->ext, y->ext);
}

/* One AddType line per type with its extensions, types in byte order. */
static void
put_mime(FILE *f, const struct mime_table *t)
{
	const struct mime_entry **by_type;
	size_t i, on_line = 0;

	if (t->count == 0)
		return;
	if ((by_type = calloc(t->count, sizeof(*by_type))) == NULL)
		fatal("%s: calloc", __func__);
	for (i = 0; i < t->count; i++)
		by_type[i] = &t->entries[i];
	qsort(by_type, t->count, sizeof(*by_type), cmp_type);
	for (i = 0; i < t->count; i++) {
		if (on_line > 0 &&
		    (on_line == MIME_EXTS_PER_LINE ||
			strcmp(by_type[i]->type, by_type[i - 1]->type) != 0)) {
			fputc('\n', f);
			on_line = 0;
		}
		if (on_line++ == 0) {
			fputs(conf_directives[CD_ADD_TYPE].name, f);
			put_word(f, by_type[i]->type);
		}
		put_word(f, by_type[i]->ext);
	}
	fputc('\n', f);
	free(by_type);
}

static void
put_cidr(FILE *f, const char *name, const struct conf_cidr *c)
{
	char host[INET6_ADDRSTRLEN];

	inet_ntop(c->family, c->addr, host, sizeof(host));
	fprintf(f, "%s %s/%u\n", name, host, c->prefix);
}

/* " STAGE=T[-MAX][,MinRate=RATE]" */
static void
put_read_timeout(FILE *f, const char *stage, const struct conf_read_timeout *rt)
{
	fprintf(f, " %s=%ld", stage, rt->timeout);
	if (rt->max > 0)
		fprintf(f, "-%ld", rt->max);
	if (rt->min_rate > 0)
		fprintf(f, ",MinRate=%ld", rt->min_rate);
}

static void
put_tls(FILE *f, const struct conf_tls *tls, enum conf_dir id)
{
	size_t i;

	if (id == CD_SSL_PROTOCOL) {
		/* the first name bare (it replaces), the next one added */
		fputs(conf_directives[id].name, f);
		if (tls->protocols & CONF_TLS_1_2)
			fputs(" TLSv1.2", f);
		if (tls->protocols & CONF_TLS_1_3)
			fputs((tls->protocols & CONF_TLS_1_2) ? " +TLSv1.3"
							      : " TLSv1.3",
			    f);
		fputc('\n', f);
		return;
	}
	if (id == CD_SSL_CIPHER_SUITE) {
		fprintf(f, "%s SSL", conf_directives[id].name);
		put_word(f, tls->ciphers);
		fputc('\n', f);
		if (tls->ciphersuites == NULL)
			return;
		fprintf(f, "%s TLSv1.3", conf_directives[id].name);
		put_word(f, tls->ciphersuites);
		fputc('\n', f);
		return;
	}
	for (i = 0; i < tls->ncerts; i++) {
		fputs(conf_directives[CD_SSL_CERTIFICATE_FILE].name, f);
		put_word(f, tls->certs[i].cert_file);
		fputc('\n', f);
		if (tls->certs[i].key_file == NULL)
			continue;
		fputs(conf_directives[CD_SSL_CERTIFICATE_KEY_FILE].name, f);
		put_word(f, tls->certs[i].key_file);
		fputc('\n', f);
	}
}

static void
put_special(FILE *f, const struct conf *conf, enum conf_dir id)
{
	const char *name = conf_directives[id].name;
	char text[CONF_LISTEN_TEXT_MAX + sizeof(" https proxy")];
	size_t i;

	switch (id) {
	case CD_LISTEN:
		for (i = 0; i < conf->nlisten; i++) {
			conf_listen_text(&conf->listen[i], text, sizeof(text));
			fprintf(f, "%s %s\n", name, text);
		}
		break;
	case CD_LOG_LEVEL:
		fprintf(f, "%s %s\n", name, log_level_name(conf->log_level));
		break;
	case CD_DIRECTORY_INDEX:
		fputs(name, f);
		for (i = 0; i < conf->ndirectory_index; i++)
			put_word(f, conf->directory_index[i]);
		fputc('\n', f);
		break;
	case CD_ADD_TYPE:
		put_mime(f, &conf->mime);
		break;
	case CD_REQUEST_READ_TIMEOUT:
		fputs(name, f);
		put_read_timeout(f, "handshake", &conf->read_handshake);
		put_read_timeout(f, "header", &conf->read_header);
		put_read_timeout(f, "body", &conf->read_body);
		fputc('\n', f);
		break;
	case CD_STATUS_ALLOW:
		for (i = 0; i < conf->nstatus_allow; i++)
			put_cidr(f, name, &conf->status_allow[i]);
		break;
	case CD_SSL_CERTIFICATE_FILE: /* with each its key file */
	case CD_SSL_PROTOCOL:
	case CD_SSL_CIPHER_SUITE:
		put_tls(f, &conf->tls, id);
		break;
	default: /* Include: the included lines are already in the struct */
		break;
	}
}

static void
put_directive(FILE *f, const struct conf *conf, enum conf_dir id)
{
	const struct conf_directive *d = &conf_directives[id];
	const char *s;

	switch (d->kind) {
	case CK_SPECIAL:
		put_special(f, conf, id);
		break;
	case CK_BOOL:
		fprintf(f, "%s %s\n", d->name,
		    *(const bool *)(const void *)((const char *)conf + d->off)
			? "On"
			: "Off");
		break;
	case CK_LONG:
	case CK_INT64:
		fprintf(f, "%s %lld\n", d->name, conf_number(conf, id));
		break;
	case CK_STRING:
	case CK_PATH:
		if (id == CD_TYPES_CONFIG)
			break; /* the map itself goes as AddType */
		s = *(char *const *)(const void *)((const char *)conf + d->off);
		if (s == NULL)
			break;
		fputs(d->name, f);
		put_word(f, s);
		if (id == CD_CUSTOM_LOG)
			fputs(conf->custom_log_format == CONF_LOG_COMMON
				  ? " common"
				  : " combined",
			    f);
		fputc('\n', f);
		break;
	}
}

char *
conf_serialize(const struct conf *conf, size_t *len)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f;
	int id;

	if ((f = open_memstream(&text, &size)) == NULL)
		fatal("%s: open_memstream", __func__);
	for (id = 0; id < CD_COUNT; id++)
		put_directive(f, conf, id);
	if (ferror(f) || fclose(f) == EOF)
		fatalx("%s: out of memory", __func__);
	if (len != NULL)
		*len = size;
	return text;
}
