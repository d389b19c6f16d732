/*
 * After the last line: relative paths resolved against ServerRoot, the MPM
 * binary named, the MIME map built, and the checks no single line can make.
 * Everything that touches the file system or the user database is skipped
 * with CONF_WORKER: the worker parses text the master already validated.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/parse.h"
#include "lib/xmalloc.h"

/* Number A must exceed B (or equal it, with or_equal); FIX says how. */
static const struct {
	enum conf_dir a;
	enum conf_dir b;
	bool or_equal;
	bool threads; /* only for MPMs with threads */
	const char *fix;
} order_rules[] = {
	{ CD_MAX_SPARE_SERVERS, CD_MIN_SPARE_SERVERS, false, false,
	    "raise MaxSpareServers or lower MinSpareServers" },
	{ CD_MAX_SPARE_THREADS, CD_MIN_SPARE_THREADS, true, true,
	    "raise MaxSpareThreads or lower MinSpareThreads" },
	{ CD_SERVER_LIMIT, CD_START_SERVERS, true, false,
	    "lower StartServers or raise ServerLimit" },
	{ CD_MAX_REQUEST_WORKERS, CD_THREADS_PER_CHILD, true, true,
	    "lower ThreadsPerChild or raise MaxRequestWorkers" },
};

static void
resolve_paths(struct conf_parser *p)
{
	struct conf *conf = p->conf;
	const char *root = conf->server_root;
	char **f, *path;
	int id;

	if (root[0] != '/') {
		conf_errorf(p,
		    conf_where_of(p, CD_SERVER_ROOT, CD_COUNT, CD_COUNT),
		    "ServerRoot: '%s' is not an absolute path", root);
		return;
	}
	for (id = 0; id < CD_COUNT; id++) {
		if (conf_directives[id].kind != CK_PATH)
			continue;
		f = conf_string(conf, id);
		if (*f == NULL || (*f)[0] == '/')
			continue;
		path = conf_path_join(root, *f);
		free(*f);
		*f = path;
		if (strlen(path) >= PATH_MAX)
			conf_errorf(p,
			    conf_where_of(p, id, CD_SERVER_ROOT, CD_COUNT),
			    "%s: path longer than %d bytes",
			    conf_directives[id].name, PATH_MAX - 1);
	}
}

/* TypesConfig first, then every AddType over it, in the order written. */
static void
build_mime(struct conf_parser *p)
{
	struct conf *conf = p->conf;
	const struct conf_where *w;
	struct conf_where at = { conf->types_config, 0 };
	struct mime_table t = { 0 };
	const char *why;
	struct stat st;
	char *text, *cause;
	size_t len, i;

	w = conf_where_of(p, CD_TYPES_CONFIG, CD_SERVER_ROOT, CD_COUNT);
	if (conf_read_file(conf->types_config, &text, &len, &st, &why) == -1)
		conf_errorf(
		    p, w, "TypesConfig: %s: %s", conf->types_config, why);
	else {
		if (mime_parse(&t, text, len, &at.line, &cause) == -1) {
			conf_errorf(p, &at, "%s", cause);
			free(cause);
		}
		free(text);
	}
	for (i = 0; i < conf->mime.count; i++)
		mime_add(
		    &t, conf->mime.entries[i].type, conf->mime.entries[i].ext);
	mime_free(&conf->mime);
	conf->mime = t;
}

/*
 * Unset, MaxRequestWorkers fits the process and thread counts, as
 * Apache derives it from them: the default, or ServerLimit x
 * ThreadsPerChild when that is smaller (ThreadsPerChild 1 for event).
 */
static void
derive_max_request_workers(struct conf_parser *p)
{
	struct conf *conf = p->conf;
	long long most =
	    (long long)conf->server_limit * (long long)conf->threads_per_child;

	if (p->set[CD_MAX_REQUEST_WORKERS].line == 0 &&
	    !conf_mpm_is_prefork(conf) && conf->max_request_workers > most)
		conf->max_request_workers = (long)most;
}

static void
check_order(struct conf_parser *p)
{
	bool prefork = conf_mpm_is_prefork(p->conf);
	const struct conf_where *w;
	long long a, b, limit, threads;
	size_t i;

	for (i = 0; i < sizeof(order_rules) / sizeof(order_rules[0]); i++) {
		if (order_rules[i].threads && prefork)
			continue;
		a = conf_number(p->conf, order_rules[i].a);
		b = conf_number(p->conf, order_rules[i].b);
		if (a > b || (a == b && order_rules[i].or_equal))
			continue;
		w = conf_where_of(
		    p, order_rules[i].a, order_rules[i].b, CD_COUNT);
		conf_errorf(p, w, "%s (%lld) must be %s %s (%lld): %s",
		    conf_directives[order_rules[i].a].name, a,
		    order_rules[i].or_equal ? "at least" : "greater than",
		    conf_directives[order_rules[i].b].name, b,
		    order_rules[i].fix);
	}
	a = conf_number(p->conf, CD_MAX_REQUEST_WORKERS);
	limit = conf_number(p->conf, CD_SERVER_LIMIT);
	threads = conf_number(p->conf, CD_THREADS_PER_CHILD);
	/* prefork runs min(ServerLimit, MaxRequestWorkers) processes */
	if (!prefork && a > limit * threads) {
		w = conf_where_of(p, CD_MAX_REQUEST_WORKERS, CD_SERVER_LIMIT,
		    CD_THREADS_PER_CHILD);
		conf_errorf(p, w,
		    "MaxRequestWorkers (%lld) exceeds ServerLimit x ThreadsPerChild (%lld x %lld = %lld): lower MaxRequestWorkers or raise ServerLimit or ThreadsPerChild",
		    a, limit, threads, limit * threads);
	}
}

static void
check_mpm(struct conf_parser *p)
{
	const struct conf_where *w;
	const char *path = p->conf->mpm_path;
	struct stat st;

	w = conf_where_of(p, CD_MPM, CD_WORKER_DIR, CD_COUNT);
	if (stat(path, &st) == -1)
		conf_errorf(p, w, "MPM: %s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		conf_errorf(p, w, "MPM: %s: not a regular file", path);
	else if ((st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0)
		conf_errorf(p, w, "MPM: %s: not executable", path);
}

static void
check_document_root(struct conf_parser *p)
{
	const struct conf_where *w;
	const char *path = p->conf->document_root;
	struct stat st;

	w = conf_where_of(p, CD_DOCUMENT_ROOT, CD_SERVER_ROOT, CD_COUNT);
	if (stat(path, &st) == -1)
		conf_errorf(
		    p, w, "DocumentRoot: %s: %s", path, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		conf_errorf(p, w, "DocumentRoot: %s: not a directory", path);
}

/* Refusing root for either: a worker never runs with privilege. */
static int
identity_user(const char *user, uid_t *uid, char **cause)
{
	const struct passwd *pw;

	if ((pw = getpwnam(user)) == NULL)
		xasprintf(cause, "User: unknown user '%s'", user);
	else if (pw->pw_uid == 0)
		xasprintf(
		    cause, "User: workers must not run as root ('%s')", user);
	else {
		*uid = pw->pw_uid;
		return 0;
	}
	return -1;
}

static int
identity_group(const char *group, gid_t *gid, char **cause)
{
	const struct group *gr;

	if ((gr = getgrnam(group)) == NULL)
		xasprintf(cause, "Group: unknown group '%s'", group);
	else if (gr->gr_gid == 0)
		xasprintf(cause,
		    "Group: workers must not run in group root ('%s')", group);
	else {
		*gid = gr->gr_gid;
		return 0;
	}
	return -1;
}

int
conf_identity(const struct conf *conf, uid_t *uid, gid_t *gid, char **cause)
{
	if (identity_user(conf->user, uid, cause) == -1)
		return -1;
	return identity_group(conf->group, gid, cause);
}

#define KEY_USER_WHY                                                    \
	"a worker could then read the keys in a key process's memory; " \
	"give the key processes a user of their own"

bool
conf_keys_isolated(const struct conf *conf)
{
	size_t i;

	if (!conf->tls.key_isolation)
		return false;
	for (i = 0; i < conf->nlisten; i++)
		if (conf->listen[i].flags & CONF_LISTEN_HTTPS)
			return true;
	return false;
}

/*
 * KeyUser: a user of its own, so that no worker (User) can read, trace
 * or signal a key process. Its primary group goes with it.
 */
int
conf_key_identity(const struct conf *conf, uid_t *uid, gid_t *gid, char **cause)
{
	const struct passwd *pw;
	uid_t worker_uid;

	if ((pw = getpwnam(conf->tls.key_user)) == NULL) {
		xasprintf(cause,
		    "KeyUser: no user '%s' for the key processes: create it (adduser --system --group --no-create-home --home /nonexistent %s) or name another with KeyUser",
		    conf->tls.key_user, conf->tls.key_user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	worker_uid = *uid;
	if (*uid == 0 || *gid == 0)
		xasprintf(cause,
		    "KeyUser: key processes must not run as root or in group root ('%s')",
		    conf->tls.key_user);
	else if ((pw = getpwnam(conf->user)) != NULL &&
		 (worker_uid = pw->pw_uid) == *uid)
		xasprintf(cause, "KeyUser %s has User's uid %ld: %s",
		    conf->tls.key_user, (long)worker_uid, KEY_USER_WHY);
	else
		return 0;
	return -1;
}

/* Only a root master switches identity: the checks start makes, now. */
static void
check_identity(struct conf_parser *p)
{
	char *cause;
	uid_t uid;
	gid_t gid;

	if (identity_user(p->conf->user, &uid, &cause) == -1) {
		conf_errorf(p, conf_where_of(p, CD_USER, CD_COUNT, CD_COUNT),
		    "%s", cause);
		free(cause);
	}
	if (identity_group(p->conf->group, &gid, &cause) == -1) {
		conf_errorf(p, conf_where_of(p, CD_GROUP, CD_COUNT, CD_COUNT),
		    "%s", cause);
		free(cause);
	}
}

/* The key processes' user: its own, and (as root) one that exists. */
static void
check_key_user(struct conf_parser *p)
{
	const struct conf_where *w;
	char *cause = NULL;
	uid_t uid;
	gid_t gid;

	if (!conf_keys_isolated(p->conf))
		return;
	w = conf_where_of(p, CD_KEY_USER, CD_SSL_KEY_ISOLATION, CD_COUNT);
	if (strcmp(p->conf->tls.key_user, p->conf->user) == 0)
		xasprintf(&cause, "KeyUser %s is User too: %s",
		    p->conf->tls.key_user, KEY_USER_WHY);
	else if (geteuid() == 0)
		(void)conf_key_identity(p->conf, &uid, &gid, &cause);
	if (cause != NULL)
		conf_errorf(p, w, "%s", cause);
	free(cause);
}

/*
 * The FILE:LINE that set what serialized line NAME (a directive) holds:
 * a pair's certificate or key line, counting the pairs in *PAIRS, else
 * the directive's line (or ServerRoot's, for a path left to default).
 */
static const struct conf_where *
serialized_where(struct conf_parser *p, const char *name, size_t *pairs)
{
	const struct conf_directive *d = conf_directive_find(name);
	enum conf_dir id;

	if (d == NULL) /* conf_serialize() writes only the table's names */
		return &p->main;
	id = (enum conf_dir)(d - conf_directives);
	if (id == CD_SSL_CERTIFICATE_FILE && *pairs < CONF_MAX_CERTS)
		return &p->cert_at[(*pairs)++];
	if (id == CD_SSL_CERTIFICATE_KEY_FILE && *pairs > 0)
		return &p->key_at[*pairs - 1];
	return conf_where_of(p, id, CD_SERVER_ROOT, CD_COUNT);
}

/*
 * Every line conf_serialize() writes must parse again in a worker, whose
 * lines have CONF_MAX_LINE bytes at most as ours do. A value with many
 * \ or " (each written escaped, two bytes) fits here and not there: the
 * workers would refuse the text and none would start. Refused now,
 * `mpmd -t` included, at the line that set the value.
 */
static void
check_serialized(struct conf_parser *p)
{
	const struct conf_where *w;
	size_t len, pairs = 0, total;
	char *text = conf_serialize(p->conf, &total), *line, *nl, *blank;

	if (total > CONF_MAX_SERIALIZED)
		conf_errorf(p, NULL,
		    "the config the workers get is %zu bytes (with TypesConfig's table), more than %d: make it smaller",
		    total, CONF_MAX_SERIALIZED);
	for (line = text; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		len = (size_t)(nl - line);
		if ((blank = memchr(line, ' ', len)) != NULL)
			*blank = '\0';
		w = serialized_where(p, line, &pairs);
		if (len > CONF_MAX_LINE)
			conf_errorf(p, w,
			    "%s: the line the workers get, \\ and \" escaped, is %zu bytes, more than %d: shorten the value",
			    line, len, CONF_MAX_LINE);
	}
	free(text);
}

/* One URL path cannot serve both the status page and the metrics. */
static void
check_status_paths(struct conf_parser *p)
{
	const struct conf *conf = p->conf;

	if (conf->server_status == NULL || conf->metrics_path == NULL ||
	    strcmp(conf->server_status, conf->metrics_path) != 0)
		return;
	conf_errorf(p,
	    conf_where_of(p, CD_METRICS_PATH, CD_SERVER_STATUS, CD_COUNT),
	    "MetricsPath %s is the ServerStatus path too: give each its own",
	    conf->metrics_path);
}

void
conf_finish(struct conf_parser *p)
{
	struct conf *conf = p->conf;

	p->at = p->main;
	resolve_paths(p);
	conf_tls_finish(p);
	free(conf->mpm_path);
	conf->mpm_path = conf_mpm_path(conf->worker_dir, conf->mpm);
	if (!(p->flags & CONF_WORKER))
		build_mime(p);
	mime_finish(&conf->mime);
	derive_max_request_workers(p);
	check_order(p);
	check_serialized(p); /* a worker parses those very lines */
	check_status_paths(p);
	if (p->flags & CONF_WORKER)
		return;
	check_mpm(p);
	check_document_root(p);
	if (geteuid() == 0)
		check_identity(p);
	check_key_user(p);
}
