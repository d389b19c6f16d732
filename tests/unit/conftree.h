/*
 * A scratch ServerRoot for the config suites (check_conf, check_confmsg):
 * in the texts they write and expect, '@' stands for its directory.
 */
#ifndef MPMD_TESTS_CONFTREE_H
#define MPMD_TESTS_CONFTREE_H

#include <sys/stat.h>

#define CONFTREE_TEXT_MAX 16384

/* TEXT with each '@' replaced by ROOT; one of four rotating buffers. */
const char *conftree_subst(const char *root, const char *text);

/* Writes TEXT, '@' replaced, to ROOT/REL with MODE. */
void conftree_write(
    const char *root, const char *rel, const char *text, mode_t mode);

/* Makes the directory ROOT/REL. */
void conftree_mkdir(const char *root, const char *rel);

/* Removes ROOT and everything beneath it. */
void conftree_remove(const char *root);

struct conf;
/*
 * conf_init(), then ServerRoot ROOT, WorkerDir ROOT/bin and the paths of
 * the self-contained layout under it (htdocs, conf/mime.types, logs/,
 * DirectoryIndex index.html), whatever layout this build's compiled-in
 * defaults follow: the suites' rows expect those.
 */
void conftree_defaults(struct conf *c, const char *root);

#endif
