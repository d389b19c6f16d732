/*
 * Configuration: the parsed, validated form of mpmd.conf.
 *
 * The master parses the file (conf_load), the worker receives the same
 * values serialized as canonical directive text (conf_serialize) and parses
 * that with CONF_WORKER, which skips every check that touches the file
 * system or the user database.
 */
#ifndef MPMD_CONF_H
#define MPMD_CONF_H

#include <sys/socket.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#define CONF_MAX_LISTEN        64
#define CONF_MAX_SERVERS       4096 /* processes: the scoreboard has a slot each */
#define CONF_MAX_INDEX         16
#define CONF_MAX_STATUS_ALLOW  32
#define CONF_MAX_INCLUDE_DEPTH 16
#define CONF_MAX_LINE          8192
#define CONF_MAX_SERIALIZED    (4 * 1024 * 1024) /* the text workers get */
#define CONF_MAX_ERRORS        64
#define CONF_LISTEN_TEXT_MAX   64 /* "[ffff:...:ffff]:65535" fits */
#define CONF_MAX_CERTS         16 /* certificate/key pairs, chosen by SNI */
#define CONF_MAX_KEY_PROCESSES 16 /* KeyProcesses */
#define CONF_DEFAULT_KEY_USER  "mpmd-keys"

/* Where parse and validation errors go: one "FILE:LINE: message" each. */
struct conf_errors {
	char *msg[CONF_MAX_ERRORS];
	size_t count;     /* stored messages */
	size_t truncated; /* errors beyond CONF_MAX_ERRORS */
};

#define CONF_LISTEN_HTTPS 0x01 /* TLS on the socket */
#define CONF_LISTEN_PROXY 0x02 /* a PROXY protocol header first */

struct conf_listen {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	unsigned flags; /* CONF_LISTEN_*: per generation, not per socket */
	char text[CONF_LISTEN_TEXT_MAX]; /* canonical "127.0.0.1:8080",
					    "[::1]:80" */
};

struct conf_cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;
};

/*
 * One stage of RequestReadTimeout, Apache's "T[-MAX][,MinRate=RATE]":
 * T seconds from the stage's start, one more for every RATE bytes
 * received, MAX seconds at the most.
 */
struct conf_read_timeout {
	long timeout;  /* seconds */
	long max;      /* seconds, 0 = no cap (only with a rate) */
	long min_rate; /* bytes a second, 0 = the timeout is fixed */
};

#define CONF_TLS_1_2 0x01
#define CONF_TLS_1_3 0x02

/* One SSLCertificateFile and the SSLCertificateKeyFile after it. */
struct conf_cert {
	char *cert_file; /* PEM: the certificate, then its chain */
	char *key_file;  /* PEM private key; NULL: it is in cert_file */
};

/* A pair as read from its files: what workers and the key process get. */
struct conf_tls_pair {
	char *chain; /* PEM: the certificates, never a key */
	size_t chain_len;
	unsigned char *key; /* DER; cleansed when freed */
	size_t key_len;
	int key_type; /* EVP_PKEY_RSA, EVP_PKEY_EC, ... */
};

/* mod_ssl's directives: one TLS setup for every https listener. */
struct conf_tls {
	struct conf_cert certs[CONF_MAX_CERTS]; /* the first is the default */
	size_t ncerts;
	unsigned protocols; /* CONF_TLS_* */
	char *ciphers;      /* TLS 1.2, OpenSSL's cipher list syntax */
	char *ciphersuites; /* TLS 1.3 */
	bool session_tickets;
	long ticket_lifetime; /* s a ticket key encrypts; it decrypts 2 more */
	bool key_isolation;   /* private keys only in the key process */
	char *key_user;       /* the key processes' identity (KeyUser) */
	long key_processes;   /* KeyProcesses; 0: one per CPU */
};

enum conf_log_format {
	CONF_LOG_COMMON,
	CONF_LOG_COMBINED,
};

struct mime_entry {
	char *ext; /* lower case, no dot */
	char *type;
};

struct mime_table {
	struct mime_entry *entries; /* sorted by ext after mime_finish() */
	size_t count;
	size_t cap;
};

struct conf {
	char *mpm;      /* as written: prefork, threaded, event, or /abs/path */
	char *mpm_path; /* absolute path of the worker binary */
	char *worker_dir;
	struct conf_listen listen[CONF_MAX_LISTEN];
	size_t nlisten;
	char *user;
	char *group;
	char
	    *server_root; /* absolute; other relative paths are resolved here */
	char *pid_file;
	char *control_socket;
	char *error_log;
	int log_level; /* enum log_level */
	char *custom_log;
	enum conf_log_format custom_log_format;
	char *document_root;
	char *directory_index[CONF_MAX_INDEX];
	size_t ndirectory_index;
	char *types_config;
	struct mime_table mime;

	long start_servers;
	long server_limit;
	long min_spare_servers;
	long max_spare_servers;
	long threads_per_child;
	long min_spare_threads;
	long max_spare_threads;
	long max_request_workers;
	long max_connections_per_child;
	long max_open_connections_per_child; /* 0: from RLIMIT_NOFILE */

	bool keepalive;
	long keepalive_timeout;      /* seconds */
	long max_keepalive_requests; /* 0 = unlimited */
	long timeout;                /* seconds, for sends and stalled bodies */
	struct conf_read_timeout read_handshake; /* ... handshake= (TLS) */
	struct conf_read_timeout read_header; /* RequestReadTimeout header= */
	struct conf_read_timeout read_body;   /* RequestReadTimeout body= */
	long graceful_shutdown_timeout;       /* seconds */
	bool graceful_handoff; /* idle keep-alive connections to the new one */
	char *graceful_probe;  /* a path the new generation must answer */
	long limit_request_line;
	long limit_request_field_size;
	long limit_request_fields;
	int64_t limit_request_body; /* bytes; 0 = unlimited */
	long listen_backlog;
	bool serve_dot_files; /* else a path segment starting with . is 404 */

	struct conf_tls tls;

	char *server_status; /* URL path of the status page, NULL = off */
	struct conf_cidr status_allow[CONF_MAX_STATUS_ALLOW];
	size_t nstatus_allow;
	char *metrics_path; /* URL path of the Prometheus metrics, NULL = off */
};

/* Flags for conf_load / conf_parse_string. */
#define CONF_WORKER 0x01 /* skip file-system, user and MPM checks */

/* Fills every field with its compiled-in default. */
void conf_init(struct conf *conf);
void conf_free(struct conf *conf);

/*
 * Parses FILE (with Include), applies defaults, resolves relative paths
 * against ServerRoot and validates. Returns 0, or -1 with every problem in
 * errs as "FILE:LINE: message" (line 0 for problems without a line).
 */
int conf_load(
    struct conf *conf, const char *path, int flags, struct conf_errors *errs);
/* conf_init() then conf_load(), each error printed as a line on OUT. */
int conf_load_print(struct conf *conf, const char *path, FILE *out);
/* Same for text held in memory; NAME is used in messages. */
int conf_parse_string(struct conf *conf, const char *text, size_t len,
    const char *name, int flags, struct conf_errors *errs);

/* Canonical directive text of every value, AddType lines for the MIME map. */
char *conf_serialize(const struct conf *conf, size_t *len);

void conf_errors_free(struct conf_errors *errs);

/* One request slot per process: MPM prefork, or a binary named mpm-prefork. */
bool conf_mpm_is_prefork(const struct conf *conf);

/* MIME types (conf/mime.c). */
int mime_load_file(struct mime_table *t, const char *path, char **cause);
int mime_add(struct mime_table *t, const char *type, const char *ext);
void mime_finish(
    struct mime_table *t); /* sort, drop duplicate exts (last wins) */
/* Type for a file name by its last extension, case-insensitive. */
const char *mime_lookup(const struct mime_table *t, const char *name);
void mime_free(struct mime_table *t);

/*
 * The uid and gid workers of CONF run as (User, Group), refusing root
 * for either: the check `mpmd -t` makes is the one start makes. -1 with
 * *CAUSE (malloc'd) when refused.
 */
int conf_identity(
    const struct conf *conf, uid_t *uid, gid_t *gid, char **cause);

/* SSLKeyIsolation on with an https listener: key processes will run. */
bool conf_keys_isolated(const struct conf *conf);
/*
 * The uid and gid of KeyUser, refusing root and User's uid. -1 with
 * *CAUSE (malloc'd) when refused.
 */
int conf_key_identity(
    const struct conf *conf, uid_t *uid, gid_t *gid, char **cause);

/*
 * Reads the pair C names: the chain re-encoded (a key in the same file
 * stays behind), the key checked against the certificate and, with
 * ISOLATION, of a type the key process can use (RSA, EC).
 */
int conf_tls_read(const struct conf_cert *c, bool isolation,
    struct conf_tls_pair *out, char **cause);
void conf_tls_pair_free(struct conf_tls_pair *pair);

/* DIR/NAME, malloc'd. */
char *conf_path_join(const char *dir, const char *name);

/* "127.0.0.1:8443 https proxy": the address and its options, as written. */
void conf_listen_text(const struct conf_listen *l, char *out, size_t outsz);

/* True when ADDR (sockaddr_in/in6, v4-mapped v6 too) is in any CIDR. */
bool conf_cidr_match(
    const struct conf_cidr *cidrs, size_t n, const struct sockaddr *addr);

#endif
