/* A scratch ServerRoot for the config suites: see conftree.h. */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "conf/conf.h"
#include "lib/xmalloc.h"
#include "tests/unit/ck.h"
#include "tests/unit/conftree.h"

#define CONFTREE_BUFS 4 /* results of conftree_subst() alive at once */
#define NFTW_FDS      16

const char *
conftree_subst(const char *root, const char *text)
{
	static char bufs[CONFTREE_BUFS][CONFTREE_TEXT_MAX];
	static unsigned next;
	char *out = bufs[next++ % CONFTREE_BUFS], *o = out;

	for (; *text != '\0'; text++) {
		if (*text == '@')
			o += snprintf(o, CONFTREE_TEXT_MAX - (size_t)(o - out),
			    "%s", root);
		else
			*o++ = *text;
		ck_assert_uint_lt((size_t)(o - out), CONFTREE_TEXT_MAX);
	}
	*o = '\0';
	return out;
}

void
conftree_write(const char *root, const char *rel, const char *text, mode_t mode)
{
	char path[CONFTREE_TEXT_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(conftree_subst(root, text), f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

void
conftree_mkdir(const char *root, const char *rel)
{
	char path[CONFTREE_TEXT_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

void
conftree_remove(const char *root)
{
	nftw(root, remove_entry, NFTW_FDS, FTW_DEPTH | FTW_PHYS);
}

static void
set_path(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

void
conftree_defaults(struct conf *c, const char *root)
{
	size_t i;

	conf_init(c);
	set_path(&c->server_root, root);
	free(c->worker_dir);
	xasprintf(&c->worker_dir, "%s/bin", root);
	set_path(&c->document_root, "htdocs");
	set_path(&c->types_config, "conf/mime.types");
	set_path(&c->error_log, "logs/error.log");
	set_path(&c->custom_log, "logs/access.log");
	set_path(&c->pid_file, "logs/mpmd.pid");
	set_path(&c->control_socket, "logs/mpmd.sock");
	for (i = 0; i < c->ndirectory_index; i++)
		free(c->directory_index[i]);
	c->directory_index[0] = xstrdup("index.html");
	c->ndirectory_index = 1;
}
