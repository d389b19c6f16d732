/*
 * The directive table (name, argument count, field, range, default) and the
 * handlers that check one directive line and store its value.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "conf/parse.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

/* Ranges of the numeric directives. */
#define SECONDS_MAX           86400 /* timeouts: one day */
#define KEEPALIVE_TIMEOUT_MAX 3600
#define THREADS_PER_CHILD_MAX 1024
#define THREADS_MAX           ((long long)CONF_MAX_SERVERS * THREADS_PER_CHILD_MAX)
#define COUNT_MAX             1000000000LL /* requests or connections: 10^9 */
#define REQUEST_LINE_MIN      256
#define REQUEST_LINE_MAX      65536
#define REQUEST_FIELDS_MAX    1000
#define REQUEST_BODY_MAX      (1LL << 62)
#define BACKLOG_MAX           65535
#define TICKET_LIFETIME_MIN   60
#define NAME_NEAR_MAX         64 /* longer words are no typo of a name */

/* Defaults that are not a single string or number in the table. */
#define DEFAULT_MPM           "event"
#define DEFAULT_LISTEN_ADDR   "127.0.0.1"
#define DEFAULT_LISTEN_PORT   8080
#define DEFAULT_READ_TIMEOUT  20
#define CONF_READ_TIMEOUT_MAX 64 /* "T-MAX,MinRate=RATE" */
static const char *const default_status_allow[] = { "127.0.0.0/8", "::1" };

static const struct {
	const char *name;
	const char *binary;
} mpm_names[] = {
	{ "prefork", "mpm-prefork" },
	{ "threaded", "mpm-threaded" },
	{ "worker", "mpm-threaded" },
	{ "event", "mpm-event" },
};

typedef int conf_set_fn(
    struct conf_parser *, const struct conf_directive *, int, char **);
static conf_set_fn set_string, set_server_root, set_mpm, set_listen;
static conf_set_fn set_log_level, set_custom_log, set_directory_index;
static conf_set_fn set_add_type, set_number, set_bool, set_read_timeout;
static conf_set_fn set_url_path, set_status_allow, set_include;

#define FIELD(f) offsetof(struct conf, f)
#define STRING(n, f, fn, dflt)                                      \
	{                                                           \
		.name = n, .min_args = 1, .max_args = 1, .set = fn, \
		.kind = CK_STRING, .off = FIELD(f), .def_str = dflt \
	}
#define PATH(n, f, dflt)                                                    \
	{                                                                   \
		.name = n, .min_args = 1, .max_args = 1, .set = set_string, \
		.kind = CK_PATH, .off = FIELD(f), .def_str = dflt           \
	}
#define NUMBER(n, f, lo, hi, dflt)                                          \
	{                                                                   \
		.name = n, .min_args = 1, .max_args = 1, .set = set_number, \
		.kind = CK_LONG, .off = FIELD(f), .min = lo, .max = hi,     \
		.def = dflt                                                 \
	}
#define BOOL(n, f, dflt)                                                  \
	{                                                                 \
		.name = n, .min_args = 1, .max_args = 1, .set = set_bool, \
		.kind = CK_BOOL, .off = FIELD(f), .def = dflt             \
	}
#define SPECIAL(n, lo, hi, fn)                                        \
	{                                                             \
		.name = n, .min_args = lo, .max_args = hi, .set = fn, \
		.kind = CK_SPECIAL                                    \
	}

const struct conf_directive conf_directives[CD_COUNT] = {
	[CD_MPM] = STRING("MPM", mpm, set_mpm, DEFAULT_MPM),
	[CD_WORKER_DIR] = PATH("WorkerDir", worker_dir, MPMD_WORKER_DIR),
	[CD_LISTEN] = SPECIAL("Listen", 1, 3, set_listen),
	[CD_USER] = STRING("User", user, set_string, "nobody"),
	[CD_GROUP] = STRING("Group", group, set_string, "nogroup"),
	[CD_SERVER_ROOT] = STRING(
	    "ServerRoot", server_root, set_server_root, MPMD_SERVER_ROOT),
	[CD_PID_FILE] =
	    PATH("PidFile", pid_file, MPMD_DEFAULT_RUNDIR "/mpmd.pid"),
	[CD_CONTROL_SOCKET] = PATH(
	    "ControlSocket", control_socket, MPMD_DEFAULT_RUNDIR "/mpmd.sock"),
	[CD_ERROR_LOG] =
	    PATH("ErrorLog", error_log, MPMD_DEFAULT_LOGDIR "/error.log"),
	[CD_LOG_LEVEL] = SPECIAL("LogLevel", 1, 1, set_log_level),
	[CD_CUSTOM_LOG] = { .name = "CustomLog",
	    .min_args = 1,
	    .max_args = 2,
	    .set = set_custom_log,
	    .kind = CK_PATH,
	    .off = FIELD(custom_log),
	    .def_str = MPMD_DEFAULT_LOGDIR "/access.log" },
	[CD_DOCUMENT_ROOT] =
	    PATH("DocumentRoot", document_root, MPMD_DEFAULT_DOCROOT),
	[CD_DIRECTORY_INDEX] =
	    SPECIAL("DirectoryIndex", 1, CONF_MAX_INDEX, set_directory_index),
	[CD_TYPES_CONFIG] =
	    PATH("TypesConfig", types_config, MPMD_DEFAULT_TYPES),
	[CD_ADD_TYPE] = SPECIAL("AddType", 2, CONF_ARGS_ANY, set_add_type),
	[CD_START_SERVERS] =
	    NUMBER("StartServers", start_servers, 1, CONF_MAX_SERVERS, 2),
	[CD_SERVER_LIMIT] =
	    NUMBER("ServerLimit", server_limit, 1, CONF_MAX_SERVERS, 64),
	[CD_MIN_SPARE_SERVERS] = NUMBER(
	    "MinSpareServers", min_spare_servers, 1, CONF_MAX_SERVERS, 2),
	[CD_MAX_SPARE_SERVERS] = NUMBER(
	    "MaxSpareServers", max_spare_servers, 1, CONF_MAX_SERVERS, 8),
	[CD_THREADS_PER_CHILD] = NUMBER(
	    "ThreadsPerChild", threads_per_child, 1, THREADS_PER_CHILD_MAX, 32),
	[CD_MIN_SPARE_THREADS] =
	    NUMBER("MinSpareThreads", min_spare_threads, 1, THREADS_MAX, 16),
	[CD_MAX_SPARE_THREADS] =
	    NUMBER("MaxSpareThreads", max_spare_threads, 1, THREADS_MAX, 128),
	[CD_MAX_REQUEST_WORKERS] = NUMBER(
	    "MaxRequestWorkers", max_request_workers, 1, THREADS_MAX, 256),
	[CD_MAX_CONNECTIONS_PER_CHILD] = NUMBER("MaxConnectionsPerChild",
	    max_connections_per_child, 0, COUNT_MAX, 0),
	[CD_MAX_OPEN_CONNECTIONS_PER_CHILD] =
	    NUMBER("MaxOpenConnectionsPerChild", max_open_connections_per_child,
		0, COUNT_MAX, 0),
	[CD_KEEPALIVE] = BOOL("KeepAlive", keepalive, true),
	[CD_KEEPALIVE_TIMEOUT] = NUMBER(
	    "KeepAliveTimeout", keepalive_timeout, 1, KEEPALIVE_TIMEOUT_MAX, 5),
	[CD_MAX_KEEPALIVE_REQUESTS] = NUMBER(
	    "MaxKeepAliveRequests", max_keepalive_requests, 0, COUNT_MAX, 100),
	[CD_TIMEOUT] = NUMBER("Timeout", timeout, 1, SECONDS_MAX, 60),
	[CD_REQUEST_READ_TIMEOUT] = { .name = "RequestReadTimeout",
	    .min_args = 1,
	    .max_args = 3,
	    .set = set_read_timeout,
	    .kind = CK_SPECIAL,
	    .min = 1,
	    .max = SECONDS_MAX,
	    .def = DEFAULT_READ_TIMEOUT },
	[CD_GRACEFUL_SHUTDOWN_TIMEOUT] = NUMBER("GracefulShutdownTimeout",
	    graceful_shutdown_timeout, 1, SECONDS_MAX, 30),
	[CD_GRACEFUL_HANDOFF] = BOOL("GracefulHandoff", graceful_handoff, true),
	[CD_GRACEFUL_PROBE] =
	    STRING("GracefulProbe", graceful_probe, set_url_path, NULL),
	[CD_LIMIT_REQUEST_LINE] = NUMBER("LimitRequestLine", limit_request_line,
	    REQUEST_LINE_MIN, REQUEST_LINE_MAX, 8190),
	[CD_LIMIT_REQUEST_FIELD_SIZE] = NUMBER("LimitRequestFieldSize",
	    limit_request_field_size, REQUEST_LINE_MIN, REQUEST_LINE_MAX, 8190),
	[CD_LIMIT_REQUEST_FIELDS] = NUMBER("LimitRequestFields",
	    limit_request_fields, 1, REQUEST_FIELDS_MAX, 100),
	[CD_LIMIT_REQUEST_BODY] = { .name = "LimitRequestBody",
	    .min_args = 1,
	    .max_args = 1,
	    .set = set_number,
	    .kind = CK_INT64,
	    .off = FIELD(limit_request_body),
	    .min = 0,
	    .max = REQUEST_BODY_MAX,
	    .def = 1048576 },
	[CD_LISTEN_BACKLOG] =
	    NUMBER("ListenBacklog", listen_backlog, 1, BACKLOG_MAX, 511),
	[CD_SERVE_DOT_FILES] = BOOL("ServeDotFiles", serve_dot_files, false),
	[CD_SSL_CERTIFICATE_FILE] =
	    SPECIAL("SSLCertificateFile", 1, 1, set_ssl_certificate_file),
	[CD_SSL_CERTIFICATE_KEY_FILE] = SPECIAL(
	    "SSLCertificateKeyFile", 1, 1, set_ssl_certificate_key_file),
	[CD_SSL_PROTOCOL] =
	    SPECIAL("SSLProtocol", 1, CONF_ARGS_ANY, set_ssl_protocol),
	[CD_SSL_CIPHER_SUITE] =
	    SPECIAL("SSLCipherSuite", 1, 2, set_ssl_cipher_suite),
	[CD_SSL_SESSION_TICKETS] =
	    BOOL("SSLSessionTickets", tls.session_tickets, true),
	[CD_SSL_KEY_ISOLATION] =
	    BOOL("SSLKeyIsolation", tls.key_isolation, true),
	[CD_KEY_USER] =
	    STRING("KeyUser", tls.key_user, set_string, CONF_DEFAULT_KEY_USER),
	[CD_KEY_PROCESSES] = NUMBER(
	    "KeyProcesses", tls.key_processes, 0, CONF_MAX_KEY_PROCESSES, 0),
	[CD_SSL_SESSION_TICKET_LIFETIME] = NUMBER("SSLSessionTicketLifetime",
	    tls.ticket_lifetime, TICKET_LIFETIME_MIN, SECONDS_MAX, 3600),
	[CD_SERVER_STATUS] =
	    STRING("ServerStatus", server_status, set_url_path, NULL),
	[CD_STATUS_ALLOW] =
	    SPECIAL("StatusAllow", 1, CONF_MAX_STATUS_ALLOW, set_status_allow),
	[CD_METRICS_PATH] =
	    STRING("MetricsPath", metrics_path, set_url_path, NULL),
	[CD_INCLUDE] = SPECIAL("Include", 1, 1, set_include),
};

static void *
field(struct conf *conf, const struct conf_directive *d)
{
	return (char *)conf + d->off;
}

const struct conf_directive *
conf_directive_find(const char *name)
{
	size_t i;

	for (i = 0; i < CD_COUNT; i++)
		if (strcasecmp(name, conf_directives[i].name) == 0)
			return &conf_directives[i];
	return NULL;
}

/* Case-insensitive edit distance of A and B, both under NAME_NEAR_MAX. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t row[NAME_NEAR_MAX + 1], i, j, diag, up, nb = strlen(b);

	for (j = 0; j <= nb; j++)
		row[j] = j;
	for (i = 1; a[i - 1] != '\0'; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= nb; j++) {
			up = row[j];
			row[j] = diag + (tolower((unsigned char)a[i - 1]) !=
					    tolower((unsigned char)b[j - 1]));
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[nb];
}

/* The directive NAME misspells: one edit away, two for longer names. */
const struct conf_directive *
conf_directive_near(const char *name)
{
	const struct conf_directive *best = NULL;
	size_t len = strlen(name), worst = len >= 6 ? 2 : 1, d, best_d, i;

	if (len < 3 || len >= NAME_NEAR_MAX)
		return NULL;
	best_d = worst + 1;
	for (i = 0; i < CD_COUNT; i++) {
		if (strlen(conf_directives[i].name) >= NAME_NEAR_MAX)
			continue;
		d = edit_distance(name, conf_directives[i].name);
		if (d < best_d) {
			best = &conf_directives[i];
			best_d = d;
		}
	}
	return best;
}

long long
conf_number(const struct conf *conf, enum conf_dir id)
{
	const struct conf_directive *d = &conf_directives[id];
	const char *f = (const char *)conf + d->off;

	if (d->kind == CK_INT64)
		return *(const int64_t *)(const void *)f;
	return *(const long *)(const void *)f;
}

static void
store_number(struct conf *conf, const struct conf_directive *d, long long v)
{
	if (d->kind == CK_INT64)
		*(int64_t *)field(conf, d) = v;
	else
		*(long *)field(conf, d) = (long)v;
}

char **
conf_string(struct conf *conf, enum conf_dir id)
{
	return field(conf, &conf_directives[id]);
}

char *
conf_path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	char *path;

	xasprintf(
	    &path, "%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" : "/", name);
	return path;
}

char *
conf_mpm_path(const char *worker_dir, const char *mpm)
{
	size_t i;

	if (mpm[0] == '/')
		return xstrdup(mpm);
	for (i = 0; i < sizeof(mpm_names) / sizeof(mpm_names[0]); i++)
		if (strcmp(mpm, mpm_names[i].name) == 0)
			return conf_path_join(worker_dir, mpm_names[i].binary);
	return conf_path_join(worker_dir, mpm);
}

/* Digits only: no sign, no blanks, no hex. Too large yields LLONG_MAX. */
int
conf_parse_number(const char *s, long long *v)
{
	const char *c;

	if (*s == '\0')
		return -1;
	for (c = s; *c != '\0'; c++)
		if (*c < '0' || *c > '9')
			return -1;
	errno = 0;
	*v = strtoll(s, NULL, 10);
	if (errno == ERANGE)
		*v = LLONG_MAX;
	return 0;
}

static int
number_arg(struct conf_parser *p, const struct conf_directive *d,
    const char *arg, long long *v)
{
	if (conf_parse_number(arg, v) == -1) {
		conf_errorf(p, NULL, "%s: '%s' is not a number", d->name, arg);
		return -1;
	}
	if (*v < d->min || *v > d->max) {
		conf_errorf(p, NULL, "%s: '%s' is out of range (%lld..%lld)",
		    d->name, arg, d->min, d->max);
		return -1;
	}
	return 0;
}

static int
set_number(struct conf_parser *p, const struct conf_directive *d, int argc,
    char **argv)
{
	long long v;

	if (number_arg(p, d, argv[0], &v) == -1)
		return -1;
	store_number(p->conf, d, v);
	return 0;
}

static int
store_string(
    struct conf_parser *p, const struct conf_directive *d, const char *arg)
{
	char **f = field(p->conf, d);

	if (d->kind == CK_PATH && strlen(arg) >= PATH_MAX) {
		conf_errorf(p, NULL, "%s: path longer than %d bytes", d->name,
		    PATH_MAX - 1);
		return -1;
	}
	free(*f);
	*f = xstrdup(arg);
	return 0;
}

static int
set_string(struct conf_parser *p, const struct conf_directive *d, int argc,
    char **argv)
{
	return store_string(p, d, argv[0]);
}

static int
set_server_root(struct conf_parser *p, const struct conf_directive *d, int argc,
    char **argv)
{
	size_t n = strlen(argv[0]);

	if (argv[0][0] != '/') {
		conf_errorf(p, NULL, "%s: '%s' is not an absolute path",
		    d->name, argv[0]);
		return -1;
	}
	while (n > 1 && argv[0][n - 1] == '/')
		argv[0][--n] = '\0';
	return store_string(p, d, argv[0]);
}

static int
set_mpm(struct conf_parser *p, const struct conf_directive *d, int argc,
    char **argv)
{
	size_t i;

	if (argv[0][0] == '/')
		return store_string(p, d, argv[0]);
	for (i = 0; i < sizeof(mpm_names) / sizeof(mpm_names[0]); i++)
		if (strcasecmp(argv[0], mpm_names[i].name) == 0)
			return store_string(p, d, mpm_names[i].name);
	conf_errorf(p, NULL,
	    "%s: unknown MPM '%s' (prefork, threaded, worker, event, or an absolute path)",
	    d->name, argv[0]);
	return -1;
}

static int
set_listen(struct conf_parser *p, const struct conf_directive *d, int argc,
    char **argv)
{
	struct conf *conf = p->conf;
	struct conf_listen l;
	size_t i;

	if (!p->listen_seen) {
		conf->nlisten = 0; /* the first Listen replaces the default */
		p->listen_seen = true;
	}
	if (conf_listen_parse(p, argv[0], &l) == -1 ||
	    conf_listen_options(p, argc - 1, argv + 1, &l) == -1)
		return -1;
	for (i = 0; i < conf->nlisten; i++)
		if (strcmp(conf->listen[i].text, l.text) == 0) {
			conf_errorf(
			    p, NULL, "Listen: %s is already listed", l.text);
			return -1;
		}
	if (conf->nlisten == CONF_MAX_LISTEN) {
		conf_errorf(
		    p, NULL, "Listen: more than %d addresses", CONF_MAX_LISTEN);
		return -1;
	}
	p->listen_at[conf->nlisten] = p->at;
	conf->listen[conf->nlisten++] = l;
	return 0;
}

static int
set_log_level(struct conf_parser *p, const struct conf_directive *d, int argc,
    char **argv)
{
	int level;

	if ((level = log_level_parse(argv[0])) == -1) {
		conf_errorf(p, NULL,
		    "%s: unknown level '%s' (emerg, alert, crit, error, warn, notice, info, debug)",
		    d->name, argv[0]);
		return -1;
	}
	p->conf->log_level = level;
	return 0;
}

static int
set_custom_log(struct conf_parser *p, const struct conf_directive *d, int argc,
    char **argv)
{
	enum conf_log_format format = CONF_LOG_COMBINED;

	if (argc == 2) {
		if (strcasecmp(argv[1], "common") == 0)
			format = CONF_LOG_COMMON;
		else if (strcasecmp(argv[1], "combined") != 0) {
			conf_errorf(p, NULL,
			    "%s: unknown format '%s' (common or combined)",
			    d->name, argv[1]);
			return -1;
		}
	}
	if (store_string(p, d, argv[0]) == -1)
		return -1;
	p->conf->custom_log_format = format;
	return 0;
}

static int
set_directory_index(struct conf_parser *p, const struct conf_directive *d,
    int argc, char **argv)
{
	struct conf *conf = p->conf;
	int i;

	for (i = 0; i < argc; i++)
		if (strchr(argv[i], '/') != NULL || strcmp(argv[i], ".") == 0 ||
		    strcmp(argv[i], "..") == 0) {
			conf_errorf(p, NULL, "%s: '%s' is not a file name",
			    d->name, argv[i]);
			return -1;
		}
	while (conf->ndirectory_index > 0)
		free(conf->directory_index[--conf->ndirectory_index]);
	for (i = 0; i < argc; i++)
		conf->directory_index[conf->ndirectory_index++] =
		    xstrdup(argv[i]);
	return 0;
}

static int
set_add_type(struct conf_parser *p, const struct conf_directive *d, int argc,
    char **argv)
{
	int i;

	if (!mime_valid_type(argv[0])) {
		conf_errorf(p, NULL,
		    "%s: '%s' is not a media type (type/subtype)", d->name,
		    argv[0]);
		return -1;
	}
	for (i = 1; i < argc; i++)
		if (!mime_valid_ext(argv[i])) {
			conf_errorf(p, NULL, "%s: '%s' is not a file extension",
			    d->name, argv[i]);
			return -1;
		}
	for (i = 1; i < argc; i++)
		mime_add(&p->conf->mime, argv[0], argv[i]);
	return 0;
}

static int
set_bool(struct conf_parser *p, const struct conf_directive *d, int argc,
    char **argv)
{
	if (strcasecmp(argv[0], "on") == 0)
		*(bool *)field(p->conf, d) = true;
	else if (strcasecmp(argv[0], "off") == 0)
		*(bool *)field(p->conf, d) = false;
	else {
		conf_errorf(
		    p, NULL, "%s: '%s' must be On or Off", d->name, argv[0]);
		return -1;
	}
	return 0;
}

/* Apache's stages, in the order of struct conf's fields. */
static const char *const read_stages[] = { "handshake", "header", "body" };
#define READ_STAGES 3

/* "T", "T-MAX" or either with ",MinRate=RATE" (after the stage's '='). */
static int
read_timeout_value(struct conf_parser *p, const struct conf_directive *d,
    const char *arg, struct conf_read_timeout *rt)
{
	char text[CONF_READ_TIMEOUT_MAX], *rate, *dash;
	long long v;

	if (snprintf(text, sizeof(text), "%s", arg) >= (int)sizeof(text)) {
		conf_errorf(p, NULL, "%s: '%s' is too long", d->name, arg);
		return -1;
	}
	memset(rt, 0, sizeof(*rt));
	if ((rate = strchr(text, ',')) != NULL) {
		*rate++ = '\0';
		if (strncasecmp(rate, "MinRate=", 8) != 0) {
			conf_errorf(p, NULL, "%s: '%s' is not MinRate=BYTES",
			    d->name, rate);
			return -1;
		}
		if (conf_parse_number(rate + 8, &v) == -1 || v < 1 ||
		    v > COUNT_MAX) {
			conf_errorf(p, NULL,
			    "%s: MinRate '%s' is not a byte count (1..%lld)",
			    d->name, rate + 8, COUNT_MAX);
			return -1;
		}
		rt->min_rate = (long)v;
	}
	if ((dash = strchr(text, '-')) != NULL) {
		*dash++ = '\0';
		if (number_arg(p, d, dash, &v) == -1)
			return -1;
		rt->max = (long)v;
	}
	if (number_arg(p, d, text, &v) == -1)
		return -1;
	rt->timeout = (long)v;
	if (rt->max != 0 && rt->min_rate == 0) {
		conf_errorf(p, NULL,
		    "%s: '%s': a range T-MAX needs MinRate=BYTES to extend T",
		    d->name, arg);
		return -1;
	}
	if (rt->max != 0 && rt->max <= rt->timeout) {
		conf_errorf(p, NULL,
		    "%s: '%s': the maximum must be more than %ld seconds",
		    d->name, arg, rt->timeout);
		return -1;
	}
	return 0;
}

/* One "header=..." or "body=..." (Apache's stages and their syntax). */
static int
read_timeout_arg(struct conf_parser *p, const struct conf_directive *d,
    const char *arg, struct conf_read_timeout *stages)
{
	const char *eq = strchr(arg, '=');
	size_t i;

	if (eq == NULL) {
		conf_errorf(p, NULL, "%s: '%s' is not header=N or body=N",
		    d->name, arg);
		return -1;
	}
	for (i = 0; i < READ_STAGES; i++)
		if ((size_t)(eq - arg) == strlen(read_stages[i]) &&
		    strncasecmp(arg, read_stages[i], (size_t)(eq - arg)) == 0)
			return read_timeout_value(p, d, eq + 1, &stages[i]);
	conf_errorf(p, NULL,
	    "%s: unknown stage '%.*s' (handshake, header or body)", d->name,
	    (int)(eq - arg), arg);
	return -1;
}

static int
set_read_timeout(struct conf_parser *p, const struct conf_directive *d,
    int argc, char **argv)
{
	struct conf_read_timeout stages[READ_STAGES] = {
		p->conf->read_handshake, p->conf->read_header,
		p->conf->read_body
	};
	int i;

	for (i = 0; i < argc; i++)
		if (read_timeout_arg(p, d, argv[i], stages) == -1)
			return -1;
	p->conf->read_handshake = stages[0];
	p->conf->read_header = stages[1];
	p->conf->read_body = stages[2];
	return 0;
}

/* A URL path beginning with '/', or Off. */
static int
set_url_path(struct conf_parser *p, const struct conf_directive *d, int argc,
    char **argv)
{
	char **f = field(p->conf, d);

	if (strcasecmp(argv[0], "off") == 0) {
		free(*f);
		*f = NULL;
		return 0;
	}
	if (argv[0][0] != '/' || strchr(argv[0], '?') != NULL) {
		conf_errorf(p, NULL,
		    "%s: '%s' is not a URL path beginning with '/' (or Off)",
		    d->name, argv[0]);
		return -1;
	}
	return store_string(p, d, argv[0]);
}

static int
set_status_allow(struct conf_parser *p, const struct conf_directive *d,
    int argc, char **argv)
{
	struct conf *conf = p->conf;
	struct conf_cidr c[CONF_MAX_STATUS_ALLOW];
	int i;

	for (i = 0; i < argc; i++)
		if (conf_cidr_parse(argv[i], &c[i]) == -1) {
			conf_errorf(p, NULL,
			    "%s: '%s' is not an address or CIDR (as in 10.0.0.0/8 or ::1)",
			    d->name, argv[i]);
			return -1;
		}
	if (!p->allow_seen) {
		conf->nstatus_allow =
		    0; /* the first one replaces the default */
		p->allow_seen = true;
	}
	if (conf->nstatus_allow + (size_t)argc > CONF_MAX_STATUS_ALLOW) {
		conf_errorf(p, NULL, "%s: more than %d addresses", d->name,
		    CONF_MAX_STATUS_ALLOW);
		return -1;
	}
	for (i = 0; i < argc; i++)
		conf->status_allow[conf->nstatus_allow++] = c[i];
	return 0;
}

static int
set_include(struct conf_parser *p, const struct conf_directive *d, int argc,
    char **argv)
{
	return conf_include(p, argv[0]);
}

/* MPMD_DEFAULT_INDEX: the names configure was given, blank-separated. */
static void
init_directory_index(struct conf *conf)
{
	char *list = xstrdup(MPMD_DEFAULT_INDEX), *name, *save = NULL;

	for (name = strtok_r(list, " \t", &save);
	     name != NULL && conf->ndirectory_index < CONF_MAX_INDEX;
	     name = strtok_r(NULL, " \t", &save))
		conf->directory_index[conf->ndirectory_index++] = xstrdup(name);
	free(list);
}

static void
init_compound(struct conf *conf)
{
	struct in_addr lo;
	size_t i;

	conf->mpm_path = conf_mpm_path(conf->worker_dir, conf->mpm);
	conf->log_level = LOG_LVL_INFO;
	conf->custom_log_format = CONF_LOG_COMBINED;
	init_directory_index(conf);
	conf->read_handshake.timeout = DEFAULT_READ_TIMEOUT;
	conf->read_header.timeout = DEFAULT_READ_TIMEOUT;
	conf->read_body.timeout = DEFAULT_READ_TIMEOUT;
	inet_pton(AF_INET, DEFAULT_LISTEN_ADDR, &lo);
	conf_listen_fill(
	    &conf->listen[conf->nlisten++], AF_INET, &lo, DEFAULT_LISTEN_PORT);
	for (i = 0;
	     i < sizeof(default_status_allow) / sizeof(default_status_allow[0]);
	     i++)
		conf_cidr_parse(default_status_allow[i],
		    &conf->status_allow[conf->nstatus_allow++]);
	conf_tls_init(&conf->tls);
}

void
conf_init(struct conf *conf)
{
	const struct conf_directive *d;

	memset(conf, 0, sizeof(*conf));
	for (d = conf_directives; d < conf_directives + CD_COUNT; d++) {
		if (d->kind == CK_LONG || d->kind == CK_INT64)
			store_number(conf, d, d->def);
		else if (d->kind == CK_BOOL)
			*(bool *)field(conf, d) = d->def != 0;
		else if (d->kind != CK_SPECIAL && d->def_str != NULL)
			*(char **)field(conf, d) = xstrdup(d->def_str);
	}
	init_compound(conf);
}

void
conf_free(struct conf *conf)
{
	const struct conf_directive *d;
	size_t i;

	for (d = conf_directives; d < conf_directives + CD_COUNT; d++)
		if (d->kind == CK_STRING || d->kind == CK_PATH)
			free(*(char **)field(conf, d));
	free(conf->mpm_path);
	for (i = 0; i < conf->ndirectory_index; i++)
		free(conf->directory_index[i]);
	mime_free(&conf->mime);
	conf_tls_free(&conf->tls);
	memset(conf, 0, sizeof(*conf));
}

bool
conf_mpm_is_prefork(const struct conf *conf)
{
	const char *path = conf->mpm_path != NULL ? conf->mpm_path : "";
	const char *slash = strrchr(path, '/');

	return strcmp(conf->mpm, "prefork") == 0 ||
	       strcmp(slash != NULL ? slash + 1 : path, "mpm-prefork") == 0;
}
