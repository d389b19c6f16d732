/*
 * Internal to conf/: the directive table and the parser state shared by the
 * directive handlers (conf.c), the tokenizer and Include (parse.c), the
 * validator (validate.c) and the serializer (serialize.c).
 */
#ifndef MPMD_CONF_PARSE_H
#define MPMD_CONF_PARSE_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"

#define CONF_MAX_ARGS      128 /* words on one line, directive name included */
#define CONF_MAX_FILE_SIZE (16 * 1024 * 1024)
#define CONF_ARGS_ANY      (-1) /* max_args: no upper bound */

#define MIME_MAX_TYPE 255 /* RFC 6838: 127 + '/' + 127 */
#define MIME_MAX_EXT  64

/* Every directive, in the order of DESIGN.md's table (and of the output). */
enum conf_dir {
	CD_MPM,
	CD_WORKER_DIR,
	CD_LISTEN,
	CD_USER,
	CD_GROUP,
	CD_SERVER_ROOT,
	CD_PID_FILE,
	CD_CONTROL_SOCKET,
	CD_ERROR_LOG,
	CD_LOG_LEVEL,
	CD_CUSTOM_LOG,
	CD_DOCUMENT_ROOT,
	CD_DIRECTORY_INDEX,
	CD_TYPES_CONFIG,
	CD_ADD_TYPE,
	CD_START_SERVERS,
	CD_SERVER_LIMIT,
	CD_MIN_SPARE_SERVERS,
	CD_MAX_SPARE_SERVERS,
	CD_THREADS_PER_CHILD,
	CD_MIN_SPARE_THREADS,
	CD_MAX_SPARE_THREADS,
	CD_MAX_REQUEST_WORKERS,
	CD_MAX_CONNECTIONS_PER_CHILD,
	CD_MAX_OPEN_CONNECTIONS_PER_CHILD,
	CD_KEEPALIVE,
	CD_KEEPALIVE_TIMEOUT,
	CD_MAX_KEEPALIVE_REQUESTS,
	CD_TIMEOUT,
	CD_REQUEST_READ_TIMEOUT,
	CD_GRACEFUL_SHUTDOWN_TIMEOUT,
	CD_GRACEFUL_HANDOFF,
	CD_GRACEFUL_PROBE,
	CD_LIMIT_REQUEST_LINE,
	CD_LIMIT_REQUEST_FIELD_SIZE,
	CD_LIMIT_REQUEST_FIELDS,
	CD_LIMIT_REQUEST_BODY,
	CD_LISTEN_BACKLOG,
	CD_SERVE_DOT_FILES,
	CD_SSL_CERTIFICATE_FILE,
	CD_SSL_CERTIFICATE_KEY_FILE,
	CD_SSL_PROTOCOL,
	CD_SSL_CIPHER_SUITE,
	CD_SSL_SESSION_TICKETS,
	CD_SSL_KEY_ISOLATION,
	CD_KEY_USER,
	CD_KEY_PROCESSES,
	CD_SSL_SESSION_TICKET_LIFETIME,
	CD_SERVER_STATUS,
	CD_STATUS_ALLOW,
	CD_METRICS_PATH,
	CD_INCLUDE,
	CD_COUNT
};

/* How a directive's value is stored in struct conf. */
enum conf_kind {
	CK_SPECIAL, /* its own fields, handled by name */
	CK_STRING,  /* char * at off */
	CK_PATH,    /* char * at off, resolved against ServerRoot */
	CK_LONG,    /* long at off, range min..max */
	CK_INT64,   /* int64_t at off, range min..max */
	CK_BOOL,    /* bool at off: On or Off */
};

/* A position in a config file; line 0 = the file as a whole. */
struct conf_where {
	const char *file;
	unsigned line;
};

struct conf_file_id {
	dev_t dev;
	ino_t ino;
};

struct conf_parser {
	struct conf *conf;
	struct conf_errors *errs;
	int flags;
	size_t nerrors;
	struct conf_where main;    /* the main file, line 0 */
	struct conf_where deflt;   /* a compiled-in default: main, no line */
	struct conf_where cascade; /* follows from an error said already */
	struct conf_where at;      /* the line being parsed */
	struct conf_where set[CD_COUNT]; /* where each directive was last set */
	struct conf_where refused[CD_COUNT]; /* its last line, when refused */
	bool listen_seen; /* the first Listen drops the default */
	bool allow_seen;  /* the first StatusAllow drops it */
	unsigned depth;   /* texts being parsed, main = 1 */
	struct conf_file_id open[CONF_MAX_INCLUDE_DEPTH + 1];
	size_t nopen; /* files in open[], to stop include cycles */
	char **names; /* included file names, kept for the messages */
	size_t nnames;
	struct conf_where cert_at[CONF_MAX_CERTS];    /* line of each certs[] */
	struct conf_where key_at[CONF_MAX_CERTS];     /* and of its key */
	struct conf_where listen_at[CONF_MAX_LISTEN]; /* of each listen[] */
	struct conf_where ciphers_at;      /* SSLCipherSuite [SSL] LIST */
	struct conf_where ciphersuites_at; /* SSLCipherSuite TLSv1.3 LIST */
};

struct conf_directive {
	const char *name;
	int min_args;
	int max_args; /* or CONF_ARGS_ANY */
	int (*set)(
	    struct conf_parser *, const struct conf_directive *, int, char **);
	enum conf_kind kind;
	size_t off;    /* field, for every kind but CK_SPECIAL */
	long long min; /* allowed range of a number */
	long long max;
	long long def;       /* default of a number */
	const char *def_str; /* default of a string or path */
};

/* conf.c */
extern const struct conf_directive conf_directives[CD_COUNT];
const struct conf_directive *conf_directive_find(const char *name);
/* The directive NAME is likely a typo of, or NULL. */
const struct conf_directive *conf_directive_near(const char *name);
long long conf_number(const struct conf *conf, enum conf_dir id);
char **conf_string(struct conf *conf, enum conf_dir id);
char *conf_mpm_path(const char *worker_dir, const char *mpm);

/* Digits only: no sign, no blanks, no hex. Too large yields LLONG_MAX. */
int conf_parse_number(const char *s, long long *v);

/* addr.c */
/* Fills L from a numeric address in network order and a port. */
void conf_listen_fill(
    struct conf_listen *l, int family, const void *addr, unsigned port);
/* "PORT", "A.B.C.D:PORT" or "[V6]:PORT"; errors through conf_errorf(). */
int conf_listen_parse(
    struct conf_parser *p, const char *arg, struct conf_listen *l);
/* The words after the address: http (none), https, proxy. */
int conf_listen_options(
    struct conf_parser *p, int argc, char **argv, struct conf_listen *l);
/* "ADDR" (a host) or "ADDR/PREFIX"; bits below the prefix are cleared. */
int conf_cidr_parse(const char *s, struct conf_cidr *c);

/* tls.c */
void conf_tls_init(struct conf_tls *tls);
void conf_tls_free(struct conf_tls *tls);
void conf_tls_finish(struct conf_parser *p);
int set_ssl_certificate_file(
    struct conf_parser *, const struct conf_directive *, int, char **);
int set_ssl_certificate_key_file(
    struct conf_parser *, const struct conf_directive *, int, char **);
int set_ssl_protocol(
    struct conf_parser *, const struct conf_directive *, int, char **);
int set_ssl_cipher_suite(
    struct conf_parser *, const struct conf_directive *, int, char **);

/*
 * parse.c. conf_errorf(p, NULL, ...) reports at the line being parsed;
 * at line 0 (the file as a whole) it names no line, at &p->deflt it says
 * the value is the compiled-in default, and at &p->cascade it says
 * nothing (the error it follows from was reported at its line).
 */
void conf_errorf(struct conf_parser *p, const struct conf_where *w,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const struct conf_where *conf_where_of(const struct conf_parser *p,
    enum conf_dir a, enum conf_dir b, enum conf_dir c);
int conf_include(struct conf_parser *p, const char *pattern);
int conf_read_file(const char *path, char **text, size_t *len, struct stat *st,
    const char **why);

/* validate.c */
void conf_finish(struct conf_parser *p);

/* mime.c */
bool mime_valid_type(const char *type);
bool mime_valid_ext(const char *ext);
/* Adds the mime.types TEXT to T; on error *LINE and *CAUSE say where/what. */
int mime_parse(struct mime_table *t, const char *text, size_t len,
    unsigned *line, char **cause);

#endif
