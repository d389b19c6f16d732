/*
 * conf/: every directive into its field, every error with its FILE:LINE,
 * Include, validation, and the serialize/parse round trip.
 *
 * Each test gets a fresh temp ServerRoot (see setup()) and starts from the
 * compiled-in defaults with ServerRoot and WorkerDir pointed there, so '@'
 * in the tables below stands for that directory.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/parse.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "tests/unit/ck.h"
#include "tests/unit/conftree.h"
#include "tests/unit/tlsfiles.h"

#define ROOT_TEMPLATE "/tmp/check_conf.XXXXXX"
#define TLS_TEMPLATE  "/tmp/check_conf_tls.XXXXXX"
#define TEXT_MAX      16384
#define ERROR_SHOWN   200 /* bytes of each error in a failure message */
/* conf/tls.c's SSLCipherSuite for TLS 1.2, Mozilla's intermediate list */
#define TLS_DEFAULT_CIPHERS                                          \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

/*
 * contrib/fuzz/regressions/conf/serialized-line-too-long: "DirectoryIndex "
 * and 4,100 backslashes (the last one joins the empty line after it).
 */
#define BS10   "\\\\\\\\\\\\\\\\\\\\"
#define BS100  BS10 BS10 BS10 BS10 BS10 BS10 BS10 BS10 BS10 BS10
#define BS1000 BS100 BS100 BS100 BS100 BS100 BS100 BS100 BS100 BS100 BS100
#define FUZZ_SERIALIZED_LINE_TOO_LONG \
	"DirectoryIndex " BS1000 BS1000 BS1000 BS1000 BS100 "\n"
/* Written out: "DirectoryIndex", a blank, the value quoted and escaped. */
#define INDEX_LINE_OVERHEAD (sizeof("DirectoryIndex \"\"") - 1)

static char root[sizeof(ROOT_TEMPLATE)];
/* tlsfiles.h's PEM files, made once in main(); @/tls points there. */
static char tlsdir[sizeof(TLS_TEMPLATE)];
static struct conf conf;
static struct conf_errors errs;

/* TEXT with every '@' replaced by the temp ServerRoot; 4 live results. */
static const char *
subst(const char *text)
{
	return conftree_subst(root, text);
}

static void
write_file(const char *rel, const char *text, mode_t mode)
{
	conftree_write(root, rel, text, mode);
}

static void
make_dir(const char *rel)
{
	conftree_mkdir(root, rel);
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(strcpy(root, ROOT_TEMPLATE)));
	make_dir("htdocs");
	make_dir("my docs");
	make_dir("bin");
	make_dir("conf");
	make_dir("conf.d");
	write_file("conf/mime.types",
	    "# test types\ntext/html html htm\ntext/plain txt\n"
	    "image/png png\n",
	    0644);
	write_file("conf/other.types", "application/x-foo foo\n", 0644);
	write_file("conf/bad.types", "text/html html\n\ntexthtml htm\n", 0644);
	write_file("bin/mpm-event", "#!/bin/sh\n", 0755);
	write_file("bin/mpm-prefork", "#!/bin/sh\n", 0755);
	write_file("bin/mpm-threaded", "#!/bin/sh\n", 0755);
	write_file("bin/mpm-noexec", "#!/bin/sh\n", 0644);
	ck_assert_int_eq(symlink(tlsdir, subst("@/tls")), 0);
	memset(&conf, 0, sizeof(conf));
	memset(&errs, 0, sizeof(errs));
}

static void
teardown(void)
{
	conf_free(&conf);
	conf_errors_free(&errs);
	conftree_remove(root);
}

/* The compiled-in defaults, with the self-contained layout in the temp dir. */
static void
test_defaults(struct conf *c)
{
	conftree_defaults(c, root);
}

/* Writes TEXT ('@' substituted) to @/test.conf and loads it into conf. */
static int
load(const char *text, int flags)
{
	char path[TEXT_MAX];

	conf_free(&conf);
	conf_errors_free(&errs);
	write_file("test.conf", text, 0644);
	snprintf(path, sizeof(path), "%s/test.conf", root);
	test_defaults(&conf);
	return conf_load(&conf, path, flags, &errs);
}

/* Each cut to ERROR_SHOWN bytes: Check refuses a longer failure message. */
static const char *
all_errors(void)
{
	static char buf[TEXT_MAX];
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < errs.count && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "  %.*s\n",
		    ERROR_SHOWN, errs.msg[i]);
	return buf;
}

/* True when an error starts with "@/WANT" (WANT is "FILE:LINE: msg"). */
static bool
has_error(const char *want)
{
	const char *full = subst(want);
	char prefix[TEXT_MAX];
	size_t i;

	snprintf(prefix, sizeof(prefix), "%s/%s", root, full);
	for (i = 0; i < errs.count; i++)
		if (strncmp(errs.msg[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

static bool
error_mentions(const char *word)
{
	size_t i;

	for (i = 0; i < errs.count; i++)
		if (strstr(errs.msg[i], word) != NULL)
			return true;
	return false;
}

/* Renderings of the fields that are not one string or number. */
static char got[TEXT_MAX];

static const char *
get_mpm(const struct conf *c)
{
	snprintf(got, sizeof(got), "%s %s", c->mpm, c->mpm_path);
	return got;
}

static const char *
get_listen(const struct conf *c)
{
	size_t i, n = 0;

	got[0] = '\0';
	for (i = 0; i < c->nlisten; i++)
		n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s",
		    i > 0 ? " " : "", c->listen[i].text);
	return got;
}

static const char *
get_log_level(const struct conf *c)
{
	return log_level_name(c->log_level);
}

static const char *
get_custom_log(const struct conf *c)
{
	snprintf(got, sizeof(got), "%s %s", c->custom_log,
	    c->custom_log_format == CONF_LOG_COMMON ? "common" : "combined");
	return got;
}

static const char *
get_index(const struct conf *c)
{
	size_t i, n = 0;

	got[0] = '\0';
	for (i = 0; i < c->ndirectory_index; i++)
		n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s",
		    i > 0 ? "|" : "", c->directory_index[i]);
	return got;
}

static const char *
get_mime(const struct conf *c)
{
	static const char *const names[] = { "a.html", "a.png", "a.foo",
		"a.txt", "a.spc" };
	const char *type;
	size_t i, n = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		type = mime_lookup(&c->mime, names[i]);
		n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s",
		    i > 0 ? "|" : "", type != NULL ? type : "-");
	}
	return got;
}

static const char *
get_keepalive(const struct conf *c)
{
	return c->keepalive ? "On" : "Off";
}

static const char *
get_read_timeout(const struct conf *c)
{
	const struct conf_read_timeout *h = &c->read_header, *b = &c->read_body;

	if (h->max == 0 && h->min_rate == 0 && b->max == 0 && b->min_rate == 0)
		snprintf(got, sizeof(got), "%ld/%ld", h->timeout, b->timeout);
	else
		snprintf(got, sizeof(got), "%ld-%ld,%ld/%ld-%ld,%ld",
		    h->timeout, h->max, h->min_rate, b->timeout, b->max,
		    b->min_rate);
	return got;
}

static const char *
get_metrics(const struct conf *c)
{
	snprintf(got, sizeof(got), "%s",
	    c->metrics_path != NULL ? c->metrics_path : "off");
	return got;
}

static const char *
get_status(const struct conf *c)
{
	char host[INET6_ADDRSTRLEN];
	size_t i, n;

	n = (size_t)snprintf(got, sizeof(got), "%s",
	    c->server_status != NULL ? c->server_status : "off");
	for (i = 0; i < c->nstatus_allow; i++) {
		inet_ntop(c->status_allow[i].family, c->status_allow[i].addr,
		    host, sizeof(host));
		n += (size_t)snprintf(got + n, sizeof(got) - n, " %s/%u", host,
		    c->status_allow[i].prefix);
	}
	return got;
}

/* Each listener with its options, from the flags: "ADDR https proxy". */
static const char *
get_listen_opts(const struct conf *c)
{
	const struct conf_listen *l;
	size_t i, n = 0;

	got[0] = '\0';
	for (i = 0; i < c->nlisten; i++) {
		l = &c->listen[i];
		n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s%s%s",
		    i > 0 ? ", " : "", l->text,
		    (l->flags & CONF_LISTEN_HTTPS) ? " https" : "",
		    (l->flags & CONF_LISTEN_PROXY) ? " proxy" : "");
		if (l->flags &
		    ~(unsigned)(CONF_LISTEN_HTTPS | CONF_LISTEN_PROXY))
			n += (size_t)snprintf(
			    got + n, sizeof(got) - n, " 0x%x", l->flags);
	}
	return got;
}

/* "CERT KEY, CERT -": each pair, '-' when the key is in the cert file. */
static const char *
get_certs(const struct conf *c)
{
	const struct conf_cert *cert;
	size_t i, n = 0;

	got[0] = '\0';
	for (i = 0; i < c->tls.ncerts; i++) {
		cert = &c->tls.certs[i];
		n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s %s",
		    i > 0 ? ", " : "", cert->cert_file,
		    cert->key_file != NULL ? cert->key_file : "-");
	}
	return got;
}

static const char *
get_protocols(const struct conf *c)
{
	unsigned p = c->tls.protocols;

	snprintf(got, sizeof(got), "%s%s%s%s",
	    (p & CONF_TLS_1_2) ? "TLSv1.2" : "",
	    (p & CONF_TLS_1_2) && (p & CONF_TLS_1_3) ? " " : "",
	    (p & CONF_TLS_1_3) ? "TLSv1.3" : "", p == 0 ? "none" : "");
	if (p & ~(unsigned)(CONF_TLS_1_2 | CONF_TLS_1_3))
		snprintf(got, sizeof(got), "0x%x", p);
	return got;
}

static const char *
get_ciphersuites(const struct conf *c)
{
	return c->tls.ciphersuites != NULL ? c->tls.ciphersuites : "-";
}

static const char *
get_tls_flags(const struct conf *c)
{
	snprintf(got, sizeof(got), "tickets=%s isolation=%s",
	    c->tls.session_tickets ? "On" : "Off",
	    c->tls.key_isolation ? "On" : "Off");
	return got;
}

enum value_kind {
	V_LONG,
	V_INT64,
	V_STR,
	V_GET,
};

struct value_row {
	int line;
	const char *text;
	enum value_kind kind;
	size_t off;                              /* V_LONG, V_INT64, V_STR */
	const char *(*get)(const struct conf *); /* V_GET */
	long long num;
	const char *str; /* '@' is the temp ServerRoot */
};

#define ROW_NUM(text, f, n)                                                   \
	{                                                                     \
		CK_ROW, text, V_LONG, offsetof(struct conf, f), NULL, n, NULL \
	}
#define ROW_STR(text, f, s)                                               \
	{                                                                 \
		CK_ROW, text, V_STR, offsetof(struct conf, f), NULL, 0, s \
	}
#define ROW_GET(text, fn, s)                     \
	{                                        \
		CK_ROW, text, V_GET, 0, fn, 0, s \
	}

static void
check_value(const struct conf *c, const struct value_row *row)
{
	const char *base = (const char *)c;
	const char *s;

	switch (row->kind) {
	case V_LONG:
		ck_assert_msg(
		    *(const long *)(const void *)(base + row->off) == row->num,
		    "row at line %d: %ld, want %lld", row->line,
		    *(const long *)(const void *)(base + row->off), row->num);
		break;
	case V_INT64:
		ck_assert_msg(
		    *(const int64_t *)(const void *)(base + row->off) ==
			row->num,
		    "row at line %d: wrong number", row->line);
		break;
	case V_STR:
		s = *(char *const *)(const void *)(base + row->off);
		ck_assert_msg(s != NULL && strcmp(s, subst(row->str)) == 0,
		    "row at line %d: '%s', want '%s'", row->line,
		    s != NULL ? s : "(null)", subst(row->str));
		break;
	case V_GET:
		s = row->get(c);
		ck_assert_msg(strcmp(s, subst(row->str)) == 0,
		    "row at line %d: '%s', want '%s'", row->line, s,
		    subst(row->str));
		break;
	}
}

/* What an empty file yields, relative paths under the ServerRoot. */
static const struct value_row default_rows[] = {
	ROW_GET("", get_mpm, "event @/bin/mpm-event"),
	ROW_GET("", get_listen, "127.0.0.1:8080"),
	ROW_STR("", user, "nobody"),
	ROW_STR("", group, "nogroup"),
	ROW_STR("", server_root, "@"),
	ROW_STR("", pid_file, "@/logs/mpmd.pid"),
	ROW_STR("", control_socket, "@/logs/mpmd.sock"),
	ROW_STR("", error_log, "@/logs/error.log"),
	ROW_GET("", get_log_level, "info"),
	ROW_GET("", get_custom_log, "@/logs/access.log combined"),
	ROW_STR("", document_root, "@/htdocs"),
	ROW_GET("", get_index, "index.html"),
	ROW_STR("", types_config, "@/conf/mime.types"),
	ROW_GET("", get_mime, "text/html|image/png|-|text/plain|-"),
	ROW_NUM("", start_servers, 2),
	ROW_NUM("", server_limit, 64),
	ROW_NUM("", min_spare_servers, 2),
	ROW_NUM("", max_spare_servers, 8),
	ROW_NUM("", threads_per_child, 32),
	ROW_NUM("", min_spare_threads, 16),
	ROW_NUM("", max_spare_threads, 128),
	ROW_NUM("", max_request_workers, 256),
	ROW_NUM("", max_connections_per_child, 0),
	ROW_GET("", get_keepalive, "On"),
	ROW_NUM("", keepalive_timeout, 5),
	ROW_NUM("", max_keepalive_requests, 100),
	ROW_NUM("", timeout, 60),
	ROW_GET("", get_read_timeout, "20/20"),
	ROW_NUM("", graceful_shutdown_timeout, 30),
	ROW_NUM("", limit_request_line, 8190),
	ROW_NUM("", limit_request_field_size, 8190),
	ROW_NUM("", limit_request_fields, 100),
	{ CK_ROW, "", V_INT64, offsetof(struct conf, limit_request_body), NULL,
	    1048576, NULL },
	ROW_NUM("", listen_backlog, 511),
	ROW_GET("", get_status, "off 127.0.0.0/8 ::1/128"),
	ROW_GET("", get_listen_opts, "127.0.0.1:8080"),
	ROW_GET("", get_certs, ""),
	ROW_GET("", get_protocols, "TLSv1.2 TLSv1.3"),
	ROW_STR("", tls.ciphers, TLS_DEFAULT_CIPHERS),
	ROW_GET("", get_ciphersuites, "-"),
	ROW_GET("", get_tls_flags, "tickets=On isolation=On"),
	ROW_GET("", get_metrics, "off"),
};

/* Valid lines, each loaded with full validation: no error allowed. */
static const struct value_row valid_rows[] = {
	ROW_GET("MPM prefork", get_mpm, "prefork @/bin/mpm-prefork"),
	/* prefork has no threads: ThreadsPerChild rules do not apply */
	ROW_GET("MPM prefork\nMaxRequestWorkers 8", get_mpm,
	    "prefork @/bin/mpm-prefork"),
	ROW_GET("MPM threaded", get_mpm, "threaded @/bin/mpm-threaded"),
	ROW_GET("MPM worker", get_mpm, "worker @/bin/mpm-threaded"),
	ROW_GET("MPM Event", get_mpm, "event @/bin/mpm-event"),
	ROW_GET("MPM @/bin/mpm-prefork", get_mpm,
	    "@/bin/mpm-prefork @/bin/mpm-prefork"),
	ROW_GET(
	    "WorkerDir bin\nMPM prefork", get_mpm, "prefork @/bin/mpm-prefork"),
	ROW_STR("WorkerDir @/bin/", worker_dir, "@/bin/"),
	ROW_GET("Listen 80", get_listen, "0.0.0.0:80"),
	ROW_GET("Listen 10.1.2.3:8080", get_listen, "10.1.2.3:8080"),
	ROW_GET("Listen [::1]:8080", get_listen, "[::1]:8080"),
	ROW_GET("Listen [0:0:0::1]:65535", get_listen, "[::1]:65535"),
	ROW_GET("Listen 81\nlisten [::]:81\nLISTEN 127.0.0.1:1", get_listen,
	    "0.0.0.0:81 [::]:81 127.0.0.1:1"),
	ROW_STR("User daemon", user, "daemon"),
	ROW_STR("Group daemon", group, "daemon"),
	ROW_STR("ServerRoot @/", server_root, "@"),
	ROW_STR("ServerRoot @//conf/..//", server_root, "@//conf/.."),
	ROW_STR("PidFile run/mpmd.pid", pid_file, "@/run/mpmd.pid"),
	ROW_STR("PidFile /run/mpmd.pid", pid_file, "/run/mpmd.pid"),
	ROW_STR("ServerRoot /srv\nPidFile x.pid\nServerRoot @", pid_file,
	    "@/x.pid"),
	ROW_STR("ControlSocket ctl.sock", control_socket, "@/ctl.sock"),
	ROW_STR("ErrorLog /var/log/mpmd/error.log", error_log,
	    "/var/log/mpmd/error.log"),
	ROW_GET("LogLevel debug", get_log_level, "debug"),
	ROW_GET("LogLevel WARN", get_log_level, "warn"),
	ROW_GET("LogLevel emerg", get_log_level, "emerg"),
	ROW_GET(
	    "CustomLog logs/a.log", get_custom_log, "@/logs/a.log combined"),
	ROW_GET(
	    "CustomLog /var/log/a common", get_custom_log, "/var/log/a common"),
	ROW_GET("CustomLog x.log COMBINED", get_custom_log, "@/x.log combined"),
	ROW_STR("DocumentRoot \"@/my docs\"", document_root, "@/my docs"),
	ROW_STR("DocumentRoot \"my docs\"", document_root, "@/my docs"),
	ROW_STR("DocumentRoot @/htdocs/", document_root, "@/htdocs/"),
	ROW_GET("DirectoryIndex a.html b.htm", get_index, "a.html|b.htm"),
	ROW_GET("DirectoryIndex a\nDirectoryIndex b c", get_index, "b|c"),
	ROW_GET("DirectoryIndex \"with space.html\" \"q\\\"t\" \"b\\\\s\"",
	    get_index, "with space.html|q\"t|b\\s"),
	ROW_GET("DirectoryIndex a\\b \"c\\d\"", get_index, "a\\b|c\\d"),
	ROW_GET("DirectoryIndex a \\\n  b\\\n\tc", get_index, "a|b|c"),
	ROW_GET("DirectoryIndex a\r\nDirectoryIndex b\r\n", get_index, "b"),
	ROW_GET("DirectoryIndex a # b c", get_index, "a"),
	ROW_GET("DirectoryIndex a#b \"#c\"", get_index, "a#b|#c"),
	ROW_GET("  # indented comment\n\n\t\nDirectoryIndex x", get_index, "x"),
	ROW_GET("# comment \\\nDirectoryIndex x", get_index, "index.html"),
	ROW_GET("TypesConfig conf/other.types", get_mime,
	    "-|-|application/x-foo|-|-"),
	ROW_GET("AddType application/x-foo foo .SPC", get_mime,
	    "text/html|image/png|application/x-foo|text/plain|"
	    "application/x-foo"),
	ROW_GET("AddType text/x-html html\nTypesConfig conf/mime.types",
	    get_mime, "text/x-html|image/png|-|text/plain|-"),
	ROW_GET("AddType a/b txt\nAddType c/d txt", get_mime,
	    "text/html|image/png|-|c/d|-"),
	ROW_NUM("StartServers 3", start_servers, 3),
	ROW_NUM("ServerLimit 100", server_limit, 100),
	ROW_NUM("MinSpareServers 3", min_spare_servers, 3),
	ROW_NUM("MaxSpareServers 20", max_spare_servers, 20),
	ROW_NUM("ThreadsPerChild 64", threads_per_child, 64),
	ROW_NUM("MinSpareThreads 32", min_spare_threads, 32),
	ROW_NUM("MaxSpareThreads 256", max_spare_threads, 256),
	ROW_NUM("MaxRequestWorkers 1024", max_request_workers, 1024),
	/* unset, it fits ServerLimit x ThreadsPerChild (Apache derives it) */
	ROW_NUM("ServerLimit 4", max_request_workers, 128),
	ROW_NUM("MPM event\nThreadsPerChild 1", max_request_workers, 64),
	ROW_NUM("ThreadsPerChild 64", max_request_workers, 256),
	ROW_NUM("MPM prefork\nServerLimit 4", max_request_workers, 256),
	ROW_NUM("MaxConnectionsPerChild 1000", max_connections_per_child, 1000),
	ROW_GET("KeepAlive Off", get_keepalive, "Off"),
	ROW_GET("KeepAlive off\nkeepalive ON", get_keepalive, "On"),
	ROW_NUM("KeepAliveTimeout 15", keepalive_timeout, 15),
	ROW_NUM("MaxKeepAliveRequests 0", max_keepalive_requests, 0),
	ROW_NUM("Timeout 300", timeout, 300),
	ROW_GET("RequestReadTimeout header=10", get_read_timeout, "10/20"),
	ROW_GET("RequestReadTimeout body=5", get_read_timeout, "20/5"),
	ROW_GET("RequestReadTimeout header=7 body=9", get_read_timeout, "7/9"),
	ROW_GET("RequestReadTimeout BODY=3 Header=4", get_read_timeout, "4/3"),
	/* Apache's ranges and rates */
	ROW_GET(
	    "RequestReadTimeout header=20-40,MinRate=500 body=20,MinRate=500",
	    get_read_timeout, "20-40,500/20-0,500"),
	ROW_GET("RequestReadTimeout header=5,minrate=100", get_read_timeout,
	    "5-0,100/20-0,0"),
	ROW_NUM("GracefulShutdownTimeout 120", graceful_shutdown_timeout, 120),
	ROW_NUM("LimitRequestLine 4096", limit_request_line, 4096),
	ROW_NUM("LimitRequestFieldSize 16384", limit_request_field_size, 16384),
	ROW_NUM("LimitRequestFields 50", limit_request_fields, 50),
	{ CK_ROW, "LimitRequestBody 0", V_INT64,
	    offsetof(struct conf, limit_request_body), NULL, 0, NULL },
	{ CK_ROW, "LimitRequestBody 4611686018427387904", V_INT64,
	    offsetof(struct conf, limit_request_body), NULL,
	    4611686018427387904LL, NULL },
	ROW_NUM("ListenBacklog 1024", listen_backlog, 1024),
	ROW_GET("ServerStatus /server-status", get_status,
	    "/server-status 127.0.0.0/8 ::1/128"),
	ROW_GET("ServerStatus /s\nStatusAllow 10.0.0.0/8\n"
		"StatusAllow 192.168.1.7 2001:db8::/32",
	    get_status, "/s 10.0.0.0/8 192.168.1.7/32 2001:db8::/32"),
	ROW_GET("ServerStatus /s\nStatusAllow 10.1.2.3/8 fe80::1:2/64",
	    get_status, "/s 10.0.0.0/8 fe80::/64"),
	ROW_GET("ServerStatus /s\nServerStatus Off", get_status,
	    "off 127.0.0.0/8 ::1/128"),
	/* Listen's options, any order and case */
	ROW_GET("Listen 8080 proxy", get_listen_opts, "0.0.0.0:8080 proxy"),
	ROW_GET("Listen 80 http", get_listen_opts, "0.0.0.0:80"),
	ROW_GET("Listen 127.0.0.1:8443 https\nSSLCertificateFile tls/ec.crt\n"
		"SSLCertificateKeyFile tls/ec.key",
	    get_listen_opts, "127.0.0.1:8443 https"),
	ROW_GET("Listen [::1]:443 Proxy HTTPS\nListen 80\n"
		"SSLCertificateFile tls/both.pem",
	    get_listen_opts, "[::1]:443 https proxy, 0.0.0.0:80"),
	ROW_GET("Listen 81 http proxy\nListen 82 https http\n"
		"SSLCertificateFile tls/both.pem",
	    get_listen_opts, "0.0.0.0:81 proxy, 0.0.0.0:82 https"),
	/* TLS pairs: read and checked against each other, under ServerRoot */
	ROW_GET(
	    "SSLCertificateFile tls/ec.crt\nSSLCertificateKeyFile tls/ec.key",
	    get_certs, "@/tls/ec.crt @/tls/ec.key"),
	ROW_GET(
	    "SSLCertificateFile tls/rsa.crt\nSSLCertificateKeyFile tls/rsa.key",
	    get_certs, "@/tls/rsa.crt @/tls/rsa.key"),
	ROW_GET(
	    "SSLCertificateFile @/tls/both.pem", get_certs, "@/tls/both.pem -"),
	ROW_GET("SSLCertificateFile tls/ec.crt\n"
		"SSLCertificateKeyFile @/tls/ec.key\n"
		"SSLCertificateFile tls/rsa.crt\n"
		"SSLCertificateKeyFile tls/rsa.key\n"
		"SSLCertificateFile tls/both.pem",
	    get_certs,
	    "@/tls/ec.crt @/tls/ec.key, @/tls/rsa.crt @/tls/rsa.key, "
	    "@/tls/both.pem -"),
	ROW_GET("ServerRoot /srv\nSSLCertificateFile tls/ec.crt\n"
		"SSLCertificateKeyFile tls/ec.key\nServerRoot @",
	    get_certs, "@/tls/ec.crt @/tls/ec.key"),
	ROW_GET("SSLCertificateFile tls/ed25519.crt\n"
		"SSLCertificateKeyFile tls/ed25519.key\nSSLKeyIsolation off",
	    get_certs, "@/tls/ed25519.crt @/tls/ed25519.key"),
	ROW_GET("SSLKeyIsolation Off\nSSLCertificateFile tls/ed25519.crt\n"
		"SSLCertificateKeyFile tls/ed25519.key",
	    get_tls_flags, "tickets=On isolation=Off"),
	/* SSLProtocol: mod_ssl's +name, -name; below TLS 1.2 only removed */
	ROW_GET("SSLProtocol TLSv1.3", get_protocols, "TLSv1.3"),
	ROW_GET("SSLProtocol TLSv1.2", get_protocols, "TLSv1.2"),
	ROW_GET("SSLProtocol all -TLSv1 -TLSv1.1", get_protocols,
	    "TLSv1.2 TLSv1.3"),
	ROW_GET("SSLProtocol all -TLSv1.3", get_protocols, "TLSv1.2"),
	ROW_GET("SSLProtocol -all +TLSv1.3", get_protocols, "TLSv1.3"),
	ROW_GET("SSLProtocol +tlsv1.2 +TLSV1.3 -SSLv3", get_protocols,
	    "TLSv1.2 TLSv1.3"),
	ROW_GET("SSLProtocol TLSv1.2\nSSLProtocol TLSv1.3", get_protocols,
	    "TLSv1.3"),
	/* a bare name sets, as in mod_ssl (and tls.c says): it replaces */
	ROW_GET("SSLProtocol all TLSv1.3", get_protocols, "TLSv1.3"),
	/* SSLCipherSuite [SSL|TLSv1.3] LIST, each list checked by OpenSSL */
	ROW_STR("SSLCipherSuite ECDHE-RSA-AES128-GCM-SHA256", tls.ciphers,
	    "ECDHE-RSA-AES128-GCM-SHA256"),
	ROW_STR("SSLCipherSuite SSL HIGH:!aNULL", tls.ciphers, "HIGH:!aNULL"),
	ROW_GET("SSLCipherSuite TLSv1.3 TLS_AES_128_GCM_SHA256",
	    get_ciphersuites, "TLS_AES_128_GCM_SHA256"),
	ROW_STR("SSLCipherSuite TLSv1.3 TLS_AES_128_GCM_SHA256", tls.ciphers,
	    TLS_DEFAULT_CIPHERS),
	ROW_GET("SSLCipherSuite tlsv1.3 "
		"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
	    get_ciphersuites,
	    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"),
	ROW_GET("SSLCipherSuite HIGH", get_ciphersuites, "-"),
	ROW_GET(
	    "SSLSessionTickets off", get_tls_flags, "tickets=Off isolation=On"),
	ROW_GET("SSLSessionTickets Off\nSSLSessionTickets on", get_tls_flags,
	    "tickets=On isolation=On"),
	ROW_GET(
	    "SSLKeyIsolation off", get_tls_flags, "tickets=On isolation=Off"),
	ROW_GET("SSLKeyIsolation OFF\nSSLKeyIsolation On\n"
		"SSLSessionTickets OFF",
	    get_tls_flags, "tickets=Off isolation=On"),
	ROW_GET("MetricsPath /metrics", get_metrics, "/metrics"),
	ROW_GET("MetricsPath /m\nMetricsPath off", get_metrics, "off"),
	/* StatusAllow is for both */
	ROW_GET("MetricsPath /metrics\nStatusAllow 10.0.0.0/8", get_status,
	    "off 10.0.0.0/8"),
	ROW_GET("ServerStatus /s\nMetricsPath /s/metrics", get_metrics,
	    "/s/metrics"),
};

struct error_row {
	int line;
	const char *text;
	size_t nerr;
	const char *want; /* "FILE:LINE: message" under @, a prefix */
};

static const struct error_row error_rows[] = {
	/* lines and words */
	{ CK_ROW, "Foo bar", 1, "test.conf:1: unknown directive 'Foo'" },
	{ CK_ROW, "\n\n  Listen\n", 1,
	    "test.conf:3: Listen takes 1 to 3 arguments, got 0" },
	{ CK_ROW, "Listen 1 2", 1,
	    "test.conf:1: Listen: unknown option '2' (http, https, proxy)" },
	{ CK_ROW, "Listen 1 https proxy http tls", 1,
	    "test.conf:1: Listen takes 1 to 3 arguments, got 5" },
	{ CK_ROW, "Listen 8443 https", 1,
	    "test.conf:1: Listen ... https: no SSLCertificateFile to serve it with" },
	{ CK_ROW, "CustomLog a b c", 1,
	    "test.conf:1: CustomLog takes 1 or 2 arguments, got 3" },
	{ CK_ROW, "AddType text/x", 1,
	    "test.conf:1: AddType takes at least 2 arguments, got 1" },
	{ CK_ROW, "DirectoryIndex 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", 1,
	    "test.conf:1: DirectoryIndex takes 1 to 16 arguments, got 17" },
	{ CK_ROW, "RequestReadTimeout", 1,
	    "test.conf:1: RequestReadTimeout takes 1 to 3 arguments, got 0" },
	{ CK_ROW, "KeepAlive # On", 1,
	    "test.conf:1: KeepAlive takes 1 argument, got 0" },
	{ CK_ROW, "User \"\"", 1, "test.conf:1: User: empty argument" },
	{ CK_ROW, "User \"nobody", 1,
	    "test.conf:1: unterminated quoted string" },
	{ CK_ROW, "User \\\n\"nobody\\\"", 1,
	    "test.conf:1: unterminated quoted string" },
	{ CK_ROW, "User \"no\"body", 1,
	    "test.conf:1: missing blank after a closing quote" },
	/* values */
	{ CK_ROW, "MPM foo", 1, "test.conf:1: MPM: unknown MPM 'foo'" },
	{ CK_ROW, "MPM bin/mpm-event", 1,
	    "test.conf:1: MPM: unknown MPM 'bin/mpm-event'" },
	{ CK_ROW, "\nMPM prefork\nWorkerDir @/nonexistent", 1,
	    "test.conf:2: MPM: @/nonexistent/mpm-prefork: No such file or "
	    "directory" },
	{ CK_ROW, "WorkerDir /nonexistent", 1,
	    "test.conf:1: MPM: /nonexistent/mpm-event: No such file or "
	    "directory" },
	{ CK_ROW, "MPM @/bin/mpm-noexec", 1,
	    "test.conf:1: MPM: @/bin/mpm-noexec: not executable" },
	{ CK_ROW, "MPM @/bin", 1,
	    "test.conf:1: MPM: @/bin: not a regular file" },
	{ CK_ROW, "Listen 0", 1,
	    "test.conf:1: Listen: port '0' is out of range (1..65535)" },
	{ CK_ROW, "Listen 1.2.3.4:65536", 1,
	    "test.conf:1: Listen: port '65536' is out of range (1..65535)" },
	{ CK_ROW, "Listen localhost:80", 1,
	    "test.conf:1: Listen: 'localhost' is not a numeric address" },
	{ CK_ROW, "Listen www.example.com", 1,
	    "test.conf:1: Listen: 'www.example.com' is not a numeric address" },
	{ CK_ROW, "Listen 256.1.1.1:80", 1,
	    "test.conf:1: Listen: '256.1.1.1' is not a numeric address" },
	{ CK_ROW, "Listen [1.2.3.4]:80", 1,
	    "test.conf:1: Listen: '1.2.3.4' is not a numeric address" },
	{ CK_ROW, "Listen [fe80::1%lo]:80", 1,
	    "test.conf:1: Listen: 'fe80::1%lo' is not a numeric address" },
	{ CK_ROW, "Listen ::1:80", 1,
	    "test.conf:1: Listen: IPv6 address in '::1:80' needs brackets" },
	{ CK_ROW, "Listen [::1]", 1,
	    "test.conf:1: Listen: '[::1]' is not [IPv6]:PORT" },
	{ CK_ROW, "Listen [::1]80", 1,
	    "test.conf:1: Listen: '[::1]80' is not [IPv6]:PORT" },
	{ CK_ROW, "Listen 1.2.3.4", 1,
	    "test.conf:1: Listen: '1.2.3.4' has no port number" },
	{ CK_ROW, "Listen 1.2.3.4:", 1,
	    "test.conf:1: Listen: '1.2.3.4:' has no port number" },
	{ CK_ROW, "Listen 1.2.3.4:http", 1,
	    "test.conf:1: Listen: port 'http' is not a number" },
	{ CK_ROW, "Listen 80\nListen 0.0.0.0:80", 1,
	    "test.conf:2: Listen: 0.0.0.0:80 is already listed" },
	{ CK_ROW, "Listen [::1]:80\nListen [0::1]:80", 1,
	    "test.conf:2: Listen: [::1]:80 is already listed" },
	{ CK_ROW, "ServerRoot relative/dir", 1,
	    "test.conf:1: ServerRoot: 'relative/dir' is not an absolute path" },
	{ CK_ROW, "LogLevel loud", 1,
	    "test.conf:1: LogLevel: unknown level 'loud' (emerg, alert, crit, "
	    "error, warn, notice, info, debug)" },
	{ CK_ROW, "CustomLog a.log json", 1,
	    "test.conf:1: CustomLog: unknown format 'json' (common or "
	    "combined)" },
	{ CK_ROW, "DocumentRoot /nonexistent", 1,
	    "test.conf:1: DocumentRoot: /nonexistent: No such file or "
	    "directory" },
	{ CK_ROW, "DocumentRoot conf/mime.types", 1,
	    "test.conf:1: DocumentRoot: @/conf/mime.types: not a directory" },
	{ CK_ROW, "\nServerRoot @/conf\nTypesConfig @/conf/mime.types", 1,
	    "test.conf:2: DocumentRoot: @/conf/htdocs: No such file" },
	{ CK_ROW, "DirectoryIndex a/b", 1,
	    "test.conf:1: DirectoryIndex: 'a/b' is not a file name" },
	{ CK_ROW, "DirectoryIndex ok ..", 1,
	    "test.conf:1: DirectoryIndex: '..' is not a file name" },
	{ CK_ROW, "TypesConfig /nonexistent", 1,
	    "test.conf:1: TypesConfig: /nonexistent: No such file or "
	    "directory" },
	{ CK_ROW, "TypesConfig conf/bad.types", 1,
	    "conf/bad.types:3: 'texthtml' is not a media type" },
	{ CK_ROW, "AddType text bar", 1,
	    "test.conf:1: AddType: 'text' is not a media type" },
	{ CK_ROW, "AddType text/html;charset=utf-8 html", 1,
	    "test.conf:1: AddType: 'text/html;charset=utf-8' is not a media "
	    "type" },
	{ CK_ROW, "AddType text/x a/b", 1,
	    "test.conf:1: AddType: 'a/b' is not a file extension" },
	{ CK_ROW, "KeepAlive yes", 1,
	    "test.conf:1: KeepAlive: 'yes' must be On or Off" },
	{ CK_ROW, "Timeout 10s", 1,
	    "test.conf:1: Timeout: '10s' is not a number" },
	{ CK_ROW, "Timeout -1", 1,
	    "test.conf:1: Timeout: '-1' is not a number" },
	{ CK_ROW, "Timeout 0x10", 1,
	    "test.conf:1: Timeout: '0x10' is not a number" },
	{ CK_ROW, "Timeout 99999999999999999999999", 1,
	    "test.conf:1: Timeout: '99999999999999999999999' is out of range "
	    "(1..86400)" },
	{ CK_ROW, "RequestReadTimeout header=20-40", 1,
	    "test.conf:1: RequestReadTimeout: '20-40': a range T-MAX needs "
	    "MinRate=BYTES to extend T" },
	{ CK_ROW, "RequestReadTimeout header=20-10,MinRate=5", 1,
	    "test.conf:1: RequestReadTimeout: '20-10,MinRate=5': the maximum "
	    "must be more than 20 seconds" },
	{ CK_ROW, "RequestReadTimeout body=10,MaxRate=500", 1,
	    "test.conf:1: RequestReadTimeout: 'MaxRate=500' is not "
	    "MinRate=BYTES" },
	{ CK_ROW, "RequestReadTimeout body=10,MinRate=0", 1,
	    "test.conf:1: RequestReadTimeout: MinRate '0' is not a byte count" },
	{ CK_ROW, "RequestReadTimeout body=10 MinRate=500", 1,
	    "test.conf:1: RequestReadTimeout: unknown stage 'MinRate'" },
	{ CK_ROW, "RequestReadTimeout header=0", 1,
	    "test.conf:1: RequestReadTimeout: '0' is out of range (1..86400)" },
	{ CK_ROW, "RequestReadTimeout body=86401", 1,
	    "test.conf:1: RequestReadTimeout: '86401' is out of range "
	    "(1..86400)" },
	{ CK_ROW, "RequestReadTimeout handshake=5 header=5 body=5 x=5", 1,
	    "test.conf:1: RequestReadTimeout takes 1 to 3 arguments, got 4" },
	{ CK_ROW, "RequestReadTimeout trailer=5", 1,
	    "test.conf:1: RequestReadTimeout: unknown stage 'trailer' (handshake, header or body)" },
	{ CK_ROW, "RequestReadTimeout header", 1,
	    "test.conf:1: RequestReadTimeout: 'header' is not header=N or "
	    "body=N" },
	{ CK_ROW, "RequestReadTimeout body=x", 1,
	    "test.conf:1: RequestReadTimeout: 'x' is not a number" },
	{ CK_ROW, "ServerStatus status", 1,
	    "test.conf:1: ServerStatus: 'status' is not a URL path beginning "
	    "with '/'" },
	{ CK_ROW, "ServerStatus /s?auto", 1,
	    "test.conf:1: ServerStatus: '/s?auto' is not a URL path" },
	{ CK_ROW, "MetricsPath metrics", 1,
	    "test.conf:1: MetricsPath: 'metrics' is not a URL path beginning "
	    "with '/'" },
	{ CK_ROW, "MetricsPath /a b", 1,
	    "test.conf:1: MetricsPath takes 1 argument" },
	{ CK_ROW, "ServerStatus /s\n\nMetricsPath /s", 1,
	    "test.conf:3: MetricsPath /s is the ServerStatus path too: give "
	    "each its own" },
	{ CK_ROW, "StatusAllow 10.0.0.0/33", 1,
	    "test.conf:1: StatusAllow: '10.0.0.0/33' is not an address or "
	    "CIDR" },
	{ CK_ROW, "StatusAllow ::1 ::/129", 1,
	    "test.conf:1: StatusAllow: '::/129' is not an address or CIDR" },
	{ CK_ROW, "StatusAllow example.com", 1,
	    "test.conf:1: StatusAllow: 'example.com' is not an address" },
	{ CK_ROW, "StatusAllow 10.0.0.0/", 1,
	    "test.conf:1: StatusAllow: '10.0.0.0/' is not an address" },
	{ CK_ROW, "StatusAllow /8", 1,
	    "test.conf:1: StatusAllow: '/8' is not an address" },
	{ CK_ROW, "StatusAllow 10.0.0.0/+8", 1,
	    "test.conf:1: StatusAllow: '10.0.0.0/+8' is not an address" },
	/* consistency: the line of one of the directives involved */
	{ CK_ROW, "MinSpareServers 8\nMaxSpareServers 8", 1,
	    "test.conf:2: MaxSpareServers (8) must be greater than "
	    "MinSpareServers (8): raise MaxSpareServers or lower "
	    "MinSpareServers" },
	{ CK_ROW, "MaxSpareServers 2", 1,
	    "test.conf:1: MaxSpareServers (2) must be greater than "
	    "MinSpareServers (2)" },
	{ CK_ROW, "\nMinSpareThreads 200", 1,
	    "test.conf:2: MaxSpareThreads (128) must be at least "
	    "MinSpareThreads (200): raise MaxSpareThreads or lower "
	    "MinSpareThreads" },
	{ CK_ROW, "StartServers 65", 1,
	    "test.conf:1: ServerLimit (64) must be at least StartServers (65): "
	    "lower StartServers or raise ServerLimit" },
	{ CK_ROW, "ThreadsPerChild 300", 1,
	    "test.conf:1: MaxRequestWorkers (256) must be at least "
	    "ThreadsPerChild (300): lower ThreadsPerChild or raise "
	    "MaxRequestWorkers" },
	{ CK_ROW, "ServerLimit 4\nMaxRequestWorkers 256", 1,
	    "test.conf:2: MaxRequestWorkers (256) exceeds ServerLimit x "
	    "ThreadsPerChild (4 x 32 = 128): lower MaxRequestWorkers or raise "
	    "ServerLimit or ThreadsPerChild" },
	{ CK_ROW, "ThreadsPerChild 2\n\nMaxRequestWorkers 129", 1,
	    "test.conf:3: MaxRequestWorkers (129) exceeds ServerLimit x "
	    "ThreadsPerChild (64 x 2 = 128)" },
	/* Include */
	{ CK_ROW, "Include nope.conf", 1,
	    "test.conf:1: Include: @/nope.conf: No such file or directory" },
	{ CK_ROW, "\nInclude @/nope/*.conf\nInclude nope.d/x*", 0, NULL },
	{ CK_ROW, "Include test.conf", 1,
	    "test.conf:1: Include: @/test.conf: include cycle" },
	/* Listen's options */
	{ CK_ROW, "Listen 8443 tls", 1,
	    "test.conf:1: Listen: unknown option 'tls' (http, https, proxy)" },
	{ CK_ROW, "Listen 8443\nListen 0.0.0.0:8443 https", 1,
	    "test.conf:2: Listen: 0.0.0.0:8443 is already listed" },
	/* the line of the https listener, not of the last Listen */
	{ CK_ROW, "\nListen 8443 https\nListen 8080", 1,
	    "test.conf:2: Listen ... https: no SSLCertificateFile to serve it "
	    "with" },
	/* the pairs: FILE:LINE of the directive whose file is at fault, its
	   name, the file, what is wrong in words (no OpenSSL error codes) */
	{ CK_ROW, "\nSSLCertificateFile tls/missing.crt", 1,
	    "test.conf:2: SSLCertificateFile: @/tls/missing.crt: No such file "
	    "or directory" },
	{ CK_ROW, "Listen 8443 https\nSSLCertificateFile tls/missing.crt", 1,
	    "test.conf:2: SSLCertificateFile: @/tls/missing.crt: No such file "
	    "or directory" },
	{ CK_ROW,
	    "SSLCertificateFile tls/ec.crt\nSSLCertificateKeyFile tls/nokey.pem",
	    1,
	    "test.conf:2: SSLCertificateKeyFile: @/tls/nokey.pem: No such "
	    "file or directory" },
	{ CK_ROW,
	    "SSLCertificateFile tls/ec.key\nSSLCertificateKeyFile tls/ec.key",
	    1,
	    "test.conf:1: SSLCertificateFile: @/tls/ec.key: no PEM "
	    "certificate in it" },
	{ CK_ROW, "SSLCertificateFile tls", 1,
	    "test.conf:1: SSLCertificateFile: @/tls: Is a directory" },
	{ CK_ROW, "SSLSessionTicketLifetime 59", 1,
	    "test.conf:1: SSLSessionTicketLifetime: '59' is out of range "
	    "(60..86400)" },
	{ CK_ROW, "KeyProcesses 17", 1,
	    "test.conf:1: KeyProcesses: '17' is out of range (0..16)" },
	/* RSA key exchange decrypts: the key process only signs */
	{ CK_ROW,
	    "Listen 8443 https\nSSLCertificateFile tls/ec.crt\n"
	    "SSLCertificateKeyFile tls/ec.key\nSSLCipherSuite HIGH",
	    1,
	    "test.conf:4: SSLCipherSuite: 'HIGH' allows RSA key exchange (AES256-GCM-SHA384), which decrypts with the private key: the key process only signs (SSLKeyIsolation on); add :!kRSA" },
	{ CK_ROW,
	    "Listen 8443 https\nSSLCertificateFile tls/ec.crt\n"
	    "SSLCertificateKeyFile tls/ec.key\nKeyUser nobody",
	    1, "test.conf:4: KeyUser nobody is User too: a worker could" },
	{ CK_ROW, "SSLCertificateFile tls/ec.crt", 1,
	    "test.conf:1: SSLCertificateFile: @/tls/ec.crt: no unencrypted "
	    "PEM private key in it" },
	{ CK_ROW,
	    "SSLCertificateFile tls/ec.crt\nSSLCertificateKeyFile tls/other.key",
	    1,
	    "test.conf:2: SSLCertificateKeyFile: @/tls/other.key: the key does "
	    "not match the certificate @/tls/ec.crt" },
	{ CK_ROW,
	    "SSLCertificateFile tls/rsa.crt\nSSLCertificateKeyFile tls/ec.key",
	    1,
	    "test.conf:2: SSLCertificateKeyFile: @/tls/ec.key: the key does "
	    "not match the certificate @/tls/rsa.crt" },
	{ CK_ROW,
	    "SSLCertificateFile tls/ec.crt\nSSLCertificateKeyFile "
	    "tls/encrypted.key",
	    1,
	    "test.conf:2: SSLCertificateKeyFile: @/tls/encrypted.key: no "
	    "unencrypted PEM private key in it" },
	{ CK_ROW,
	    "SSLCertificateFile tls/ed25519.crt\n"
	    "SSLCertificateKeyFile tls/ed25519.key",
	    1,
	    "test.conf:2: SSLCertificateKeyFile: @/tls/ed25519.key: "
	    "SSLKeyIsolation keeps RSA and ECDSA keys out of workers; this one "
	    "is neither (set SSLKeyIsolation off for it)" },
	{ CK_ROW,
	    "SSLCertificateFile tls/ec.crt\nSSLCertificateKeyFile tls/ec.key\n"
	    "SSLCertificateFile tls/ec.crt\nSSLCertificateKeyFile tls/rsa.key",
	    1,
	    "test.conf:4: SSLCertificateKeyFile: @/tls/rsa.key: the key does "
	    "not match the certificate @/tls/ec.crt" },
	{ CK_ROW, "SSLCertificateKeyFile tls/ec.key", 1,
	    "test.conf:1: SSLCertificateKeyFile: no SSLCertificateFile before "
	    "it to pair with" },
	{ CK_ROW,
	    "\nSSLCertificateFile tls/ec.crt\nSSLCertificateKeyFile tls/ec.key\n"
	    "SSLCertificateKeyFile tls/ec.key",
	    1,
	    "test.conf:4: SSLCertificateKeyFile: the certificate of "
	    "@/test.conf:2 has its key already" },
	{ CK_ROW, "SSLCertificateFile a b", 1,
	    "test.conf:1: SSLCertificateFile takes 1 argument, got 2" },
	/* a key after a refused certificate is refused, never the pair's
	   before it */
	{ CK_ROW,
	    "SSLCertificateFile tls/ec.crt\nSSLCertificateKeyFile tls/ec.key\n"
	    "SSLCertificateFile \"\"\nSSLCertificateKeyFile tls/rsa.key",
	    2,
	    "test.conf:4: SSLCertificateKeyFile: the SSLCertificateFile "
	    "before it, at @/test.conf:3, was refused" },
	{ CK_ROW,
	    "SSLCertificateFile tls/both.pem\nSSLCertificateFile a b\n"
	    "SSLCertificateKeyFile tls/ec.key",
	    2,
	    "test.conf:3: SSLCertificateKeyFile: the SSLCertificateFile "
	    "before it, at @/test.conf:2, was refused" },
	{ CK_ROW, "SSLCertificateFile a b\nSSLCertificateKeyFile tls/ec.key", 2,
	    "test.conf:2: SSLCertificateKeyFile: the SSLCertificateFile "
	    "before it, at @/test.conf:1, was refused" },
	/* a line that fits here and not once escaped for the workers */
	{ CK_ROW, FUZZ_SERIALIZED_LINE_TOO_LONG, 1,
	    "test.conf:1: DirectoryIndex: the line the workers get, \\ and \" "
	    "escaped, is 8215 bytes, more than 8192: shorten the value" },
	/* a path of 4,091 bytes: only its backslashes are written twice */
	{ CK_ROW,
	    "\n\nDocumentRoot /" BS1000 BS1000 BS1000 BS1000 BS10 BS10 BS10 BS10
		BS10 BS10 BS10 BS10 BS10 " #",
	    2,
	    "test.conf:3: DocumentRoot: the line the workers get, \\ and \" "
	    "escaped, is 8196 bytes" },
	/* at the key's own line (its read error is at its certificate's) */
	{ CK_ROW,
	    "SSLCertificateFile tls/both.pem\nSSLCertificateFile tls/ec.crt\n"
	    "SSLCertificateKeyFile " BS1000 BS1000 BS1000 BS1000 BS100 " #\n"
	    "SSLCertificateFile tls/rsa.crt\nSSLCertificateKeyFile tls/rsa.key",
	    2,
	    "test.conf:3: SSLCertificateKeyFile: the line the workers get, \\ "
	    "and \" escaped, is 8" },
	/* SSLProtocol */
	{ CK_ROW, "SSLProtocol TLSv1.1", 1,
	    "test.conf:1: SSLProtocol: 'TLSv1.1' is below TLS 1.2 and never "
	    "offered" },
	{ CK_ROW, "SSLProtocol all +TLSv1", 1,
	    "test.conf:1: SSLProtocol: '+TLSv1' is below TLS 1.2" },
	{ CK_ROW, "SSLProtocol SSLv3", 1,
	    "test.conf:1: SSLProtocol: 'SSLv3' is below TLS 1.2" },
	{ CK_ROW, "SSLProtocol -all", 1,
	    "test.conf:1: SSLProtocol: no protocol left" },
	{ CK_ROW, "SSLProtocol all -TLSv1.2 -TLSv1.3", 1,
	    "test.conf:1: SSLProtocol: no protocol left" },
	{ CK_ROW, "SSLProtocol TLSv9", 1,
	    "test.conf:1: SSLProtocol: unknown protocol 'TLSv9' (all, TLSv1.2, "
	    "TLSv1.3)" },
	{ CK_ROW, "SSLProtocol all +", 1,
	    "test.conf:1: SSLProtocol: unknown protocol '+'" },
	{ CK_ROW, "SSLProtocol", 1,
	    "test.conf:1: SSLProtocol takes at least 1 argument, got 0" },
	/* SSLCipherSuite: OpenSSL's own verdict, at the line that set it */
	{ CK_ROW, "\nSSLCipherSuite garbage", 1,
	    "test.conf:2: SSLCipherSuite: 'garbage': error:" },
	{ CK_ROW, "\n\nSSLCipherSuite TLSv1.3 garbage", 1,
	    "test.conf:3: SSLCipherSuite: TLSv1.3 'garbage': error:" },
	/* the line that set the list refused, not the last SSLCipherSuite */
	{ CK_ROW,
	    "SSLCipherSuite garbage\nSSLCipherSuite TLSv1.3 "
	    "TLS_AES_128_GCM_SHA256",
	    1, "test.conf:1: SSLCipherSuite: 'garbage': error:" },
	{ CK_ROW, "SSLCipherSuite FOO x", 1,
	    "test.conf:1: SSLCipherSuite: unknown protocol 'FOO' (SSL, "
	    "TLSv1.3)" },
	{ CK_ROW, "SSLCipherSuite SSL a b", 1,
	    "test.conf:1: SSLCipherSuite takes 1 or 2 arguments, got 3" },
	{ CK_ROW, "SSLSessionTickets maybe", 1,
	    "test.conf:1: SSLSessionTickets: 'maybe' must be On or Off" },
	{ CK_ROW, "SSLKeyIsolation 1", 1,
	    "test.conf:1: SSLKeyIsolation: '1' must be On or Off" },
};

START_TEST(test_init_defaults)
{
	struct conf c;

	conf_init(&c);
	ck_assert_str_eq(c.server_root, MPMD_SERVER_ROOT);
	ck_assert_str_eq(c.worker_dir, MPMD_WORKER_DIR);
	ck_assert_str_eq(c.mpm, "event");
	ck_assert_str_eq(c.mpm_path, MPMD_WORKER_DIR "/mpm-event");
	/* where this build installs them (configure), as mpmd -V says */
	ck_assert_str_eq(c.pid_file, MPMD_DEFAULT_RUNDIR "/mpmd.pid");
	ck_assert_str_eq(c.control_socket, MPMD_DEFAULT_RUNDIR "/mpmd.sock");
	ck_assert_str_eq(c.error_log, MPMD_DEFAULT_LOGDIR "/error.log");
	ck_assert_str_eq(c.custom_log, MPMD_DEFAULT_LOGDIR "/access.log");
	ck_assert_str_eq(c.document_root, MPMD_DEFAULT_DOCROOT);
	ck_assert_str_eq(c.types_config, MPMD_DEFAULT_TYPES);
	ck_assert_uint_ge(c.ndirectory_index, 1);
	ck_assert_int_eq(strncmp(MPMD_DEFAULT_INDEX, c.directory_index[0],
			     strlen(c.directory_index[0])),
	    0);
	ck_assert_ptr_null(c.server_status);
	ck_assert_uint_eq(c.mime.count, 0);
	conf_free(&c);
	conf_free(&c); /* zeroed: a second free is harmless */
}
END_TEST

START_TEST(test_empty_file)
{
	const struct value_row *row = &default_rows[_i];

	ck_assert_msg(load(row->text, 0) == 0, "row at line %d:\n%s", row->line,
	    all_errors());
	check_value(&conf, row);
}
END_TEST

START_TEST(test_valid)
{
	const struct value_row *row = &valid_rows[_i];

	ck_assert_msg(load(row->text, 0) == 0, "row at line %d:\n%s", row->line,
	    all_errors());
	check_value(&conf, row);
}
END_TEST

START_TEST(test_error)
{
	const struct error_row *row = &error_rows[_i];

	ck_assert_int_eq(load(row->text, 0), row->nerr > 0 ? -1 : 0);
	ck_assert_msg(errs.count == row->nerr,
	    "row at line %d: %zu errors, want %zu:\n%s", row->line, errs.count,
	    row->nerr, all_errors());
	if (row->want != NULL)
		ck_assert_msg(has_error(row->want),
		    "row at line %d: no '%s' in:\n%s", row->line,
		    subst(row->want), all_errors());
}
END_TEST

/* The allowed range of every number, as documented. */
static const struct range_row {
	int line;
	const char *name;
	long long min;
	long long max;
} range_rows[] = {
	{ CK_ROW, "StartServers", 1, 4096 },
	{ CK_ROW, "ServerLimit", 1, 4096 },
	{ CK_ROW, "MinSpareServers", 1, 4096 },
	{ CK_ROW, "MaxSpareServers", 1, 4096 },
	{ CK_ROW, "ThreadsPerChild", 1, 1024 },
	{ CK_ROW, "MinSpareThreads", 1, 4194304 },
	{ CK_ROW, "MaxSpareThreads", 1, 4194304 },
	{ CK_ROW, "MaxRequestWorkers", 1, 4194304 },
	{ CK_ROW, "MaxConnectionsPerChild", 0, 1000000000 },
	{ CK_ROW, "KeepAliveTimeout", 1, 3600 },
	{ CK_ROW, "MaxKeepAliveRequests", 0, 1000000000 },
	{ CK_ROW, "Timeout", 1, 86400 },
	{ CK_ROW, "GracefulShutdownTimeout", 1, 86400 },
	{ CK_ROW, "LimitRequestLine", 256, 65536 },
	{ CK_ROW, "LimitRequestFieldSize", 256, 65536 },
	{ CK_ROW, "LimitRequestFields", 1, 1000 },
	{ CK_ROW, "LimitRequestBody", 0, 4611686018427387904LL },
	{ CK_ROW, "ListenBacklog", 1, 65535 },
};

static void
check_out_of_range(const struct range_row *row, long long v)
{
	char text[TEXT_MAX], want[TEXT_MAX];

	snprintf(text, sizeof(text), "%s %lld", row->name, v);
	snprintf(want, sizeof(want),
	    "test.conf:1: %s: '%lld' is out of range (%lld..%lld)", row->name,
	    v, row->min, row->max);
	ck_assert_int_eq(load(text, CONF_WORKER), -1);
	ck_assert_msg(errs.count == 1 && has_error(want),
	    "row at line %d: no '%s' in:\n%s", row->line, want, all_errors());
}

static void
check_in_range(const struct range_row *row, long long v)
{
	char text[TEXT_MAX];

	snprintf(text, sizeof(text), "%s %lld", row->name, v);
	load(text, CONF_WORKER); /* consistency may object, the range not */
	ck_assert_msg(
	    !error_mentions("out of range") && !error_mentions("not a number"),
	    "row at line %d: %lld refused:\n%s", row->line, v, all_errors());
}

START_TEST(test_ranges)
{
	const struct range_row *row = &range_rows[_i];

	if (row->min > 0)
		check_out_of_range(row, row->min - 1);
	check_out_of_range(row, row->max + 1);
	check_in_range(row, row->min);
	check_in_range(row, row->max);
}
END_TEST

START_TEST(test_all_errors_reported)
{
	ck_assert_int_eq(load("Listen 80\n"
			      "Bogus 1\n"
			      "Timeout 0\n"
			      "# fine\n"
			      "KeepAlive maybe\n"
			      "Listen 80\n"
			      "DocumentRoot /nonexistent\n"
			      "MinSpareThreads 500\n",
			     0),
	    -1);
	ck_assert_msg(errs.count == 6, "%s", all_errors());
	ck_assert(has_error("test.conf:2: unknown directive 'Bogus'"));
	ck_assert(has_error("test.conf:3: Timeout: '0' is out of range"));
	ck_assert(has_error("test.conf:5: KeepAlive: 'maybe'"));
	ck_assert(has_error("test.conf:6: Listen: 0.0.0.0:80 is already"));
	ck_assert(has_error("test.conf:7: DocumentRoot: /nonexistent"));
	ck_assert(has_error("test.conf:8: MaxSpareThreads (128) must be"));
}
END_TEST

START_TEST(test_error_cap)
{
	char text[TEXT_MAX];
	size_t i, n = 0;

	for (i = 0; i < CONF_MAX_ERRORS + 6; i++)
		n +=
		    (size_t)snprintf(text + n, sizeof(text) - n, "Bad%zu\n", i);
	ck_assert_int_eq(load(text, 0), -1);
	ck_assert_uint_eq(errs.count, CONF_MAX_ERRORS);
	ck_assert_uint_eq(errs.truncated, 6);
	ck_assert(has_error("test.conf:1: unknown directive 'Bad0'"));
}
END_TEST

START_TEST(test_missing_main_file)
{
	struct conf c;
	struct conf_errors e;
	char want[TEXT_MAX];

	conf_init(&c);
	ck_assert_int_eq(conf_load(&c, "/nonexistent/mpmd.conf", 0, &e), -1);
	snprintf(want, sizeof(want),
	    "/nonexistent/mpmd.conf: cannot read the configuration: No "
	    "such file or directory");
	ck_assert_uint_eq(e.count, 1);
	ck_assert_str_eq(e.msg[0], want);
	conf_errors_free(&e);
	conf_free(&c);
}
END_TEST

START_TEST(test_long_line)
{
	static char text[CONF_MAX_LINE * 3];
	size_t n;

	n = (size_t)snprintf(text, sizeof(text), "Listen 81\nDirectoryIndex ");
	memset(text + n, 'x', CONF_MAX_LINE);
	n += CONF_MAX_LINE;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\nListen 82\n");
	ck_assert_int_eq(load(text, 0), -1);
	ck_assert_msg(errs.count == 1 &&
			  has_error("test.conf:2: line longer than 8192 bytes"),
	    "%s", all_errors());
	ck_assert_str_eq(get_listen(&conf), "0.0.0.0:81 0.0.0.0:82");
}
END_TEST

START_TEST(test_long_continued_line)
{
	static char text[CONF_MAX_LINE * 3];
	size_t n, i;

	n = (size_t)snprintf(text, sizeof(text), "DirectoryIndex \\\n");
	for (i = 0; i < CONF_MAX_LINE / 8; i++)
		n += (size_t)snprintf(
		    text + n, sizeof(text) - n, "a234567 \\\n");
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\nListen 82\n");
	ck_assert_int_eq(load(text, 0), -1);
	ck_assert_msg(errs.count == 1 &&
			  has_error("test.conf:1: line longer than 8192 bytes"),
	    "%s", all_errors());
	ck_assert_str_eq(get_listen(&conf), "0.0.0.0:82");
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char text[] = "Listen 81\nUser a\0b\nListen 82\n";

	conf_init(&conf);
	ck_assert_int_eq(conf_parse_string(&conf, text, sizeof(text) - 1, "mem",
			     CONF_WORKER, &errs),
	    -1);
	ck_assert_uint_eq(errs.count, 1);
	ck_assert_str_eq(errs.msg[0], "mem:2: NUL byte in line");
	ck_assert_str_eq(get_listen(&conf), "0.0.0.0:81 0.0.0.0:82");
}
END_TEST

START_TEST(test_too_many_words)
{
	char text[TEXT_MAX];
	size_t i, n;

	n = (size_t)snprintf(text, sizeof(text), "AddType a/b");
	for (i = 0; i < 126; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " e%zu", i);
	ck_assert_msg(load(text, 0) == 0, "%s", all_errors());
	snprintf(text + n, sizeof(text) - n, " last");
	ck_assert_int_eq(load(text, 0), -1);
	ck_assert(has_error("test.conf:1: more than 128 words on one line"));
}
END_TEST

START_TEST(test_listen_sockaddr)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct in6_addr lo6 = IN6ADDR_LOOPBACK_INIT;

	ck_assert_int_eq(load("Listen 10.0.0.1:8080\nListen [::1]:443\n"
			      "Listen 80\n",
			     0),
	    0);
	ck_assert_uint_eq(conf.nlisten, 3);
	ck_assert_uint_eq(conf.listen[0].addrlen, sizeof(sin));
	memcpy(&sin, &conf.listen[0].addr, sizeof(sin));
	ck_assert_int_eq(sin.sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(sin.sin_port), 8080);
	ck_assert_uint_eq(ntohl(sin.sin_addr.s_addr), 0x0a000001);
	ck_assert_uint_eq(conf.listen[1].addrlen, sizeof(sin6));
	memcpy(&sin6, &conf.listen[1].addr, sizeof(sin6));
	ck_assert_int_eq(sin6.sin6_family, AF_INET6);
	ck_assert_uint_eq(ntohs(sin6.sin6_port), 443);
	ck_assert_mem_eq(&sin6.sin6_addr, &lo6, sizeof(lo6));
	memcpy(&sin, &conf.listen[2].addr, sizeof(sin));
	ck_assert_uint_eq(sin.sin_addr.s_addr, htonl(INADDR_ANY));
	ck_assert_uint_eq(ntohs(sin.sin_port), 80);
}
END_TEST

START_TEST(test_listen_limit)
{
	char text[TEXT_MAX];
	size_t i, n = 0;

	for (i = 0; i <= CONF_MAX_LISTEN; i++)
		n += (size_t)snprintf(
		    text + n, sizeof(text) - n, "Listen %zu\n", 1000 + i);
	ck_assert_int_eq(load(text, 0), -1);
	ck_assert_uint_eq(conf.nlisten, CONF_MAX_LISTEN);
	ck_assert(has_error("test.conf:65: Listen: more than 64 addresses"));
}
END_TEST

/*
 * CONF_MAX_CERTS pairs, then one more: refused, and the first ones as
 * they were. Their keys are in their files (both.pem), so the 16th has no
 * SSLCertificateKeyFile the 17th's could be taken for.
 */
START_TEST(test_tls_cert_limit)
{
	char text[TEXT_MAX];
	size_t i, n = 0;

	for (i = 0; i < CONF_MAX_CERTS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "SSLCertificateFile tls/both.pem\n");
	ck_assert_msg(load(text, 0) == 0, "%s", all_errors());
	ck_assert_uint_eq(conf.tls.ncerts, CONF_MAX_CERTS);
	snprintf(text + n, sizeof(text) - n,
	    "SSLCertificateFile tls/ec.crt\nSSLCertificateKeyFile tls/ec.key\n");
	ck_assert_int_eq(load(text, 0), -1);
	ck_assert_uint_eq(conf.tls.ncerts, CONF_MAX_CERTS);
	ck_assert_msg(
	    has_error("test.conf:17: SSLCertificateFile: more than 16 "
		      "certificates"),
	    "%s", all_errors());
	ck_assert_msg(conf.tls.certs[CONF_MAX_CERTS - 1].key_file == NULL &&
			  !has_error("test.conf:16:"),
	    "the refused certificate's key went to the 16th (%s):\n%s",
	    conf.tls.certs[CONF_MAX_CERTS - 1].key_file, all_errors());
	ck_assert_msg(
	    has_error("test.conf:18: SSLCertificateKeyFile: the "
		      "SSLCertificateFile before it, at @/test.conf:17, was "
		      "refused"),
	    "%s", all_errors());
}
END_TEST

/* A worker neither reads the files nor asks OpenSSL about the ciphers. */
START_TEST(test_tls_worker_no_files)
{
	static const char text[] = "Listen 8443 https\n"
				   "SSLCertificateFile /nonexistent/a.crt\n"
				   "SSLCertificateFile b.pem\n"
				   "SSLCertificateKeyFile /nonexistent/b.key\n"
				   "SSLCipherSuite garbage\n"
				   "SSLCipherSuite TLSv1.3 garbage\n";

	conf_init(&conf);
	ck_assert_msg(conf_parse_string(&conf, text, sizeof(text) - 1,
			  "<master>", CONF_WORKER, &errs) == 0,
	    "%s", all_errors());
	ck_assert_str_eq(get_certs(&conf),
	    "/nonexistent/a.crt -, " MPMD_SERVER_ROOT
	    "/b.pem /nonexistent/b.key");
	ck_assert_str_eq(conf.tls.ciphers, "garbage");
	conf_free(&conf);
	conf_errors_free(&errs);
	/* what it checks without files: an https listener needs a pair */
	conf_init(&conf);
	ck_assert_int_eq(
	    conf_parse_string(&conf, text, 18, "<master>", CONF_WORKER, &errs),
	    -1);
	ck_assert_uint_eq(errs.count, 1);
	ck_assert_str_eq(errs.msg[0],
	    "<master>:1: Listen ... https: no SSLCertificateFile to serve it "
	    "with");
}
END_TEST

static const struct cidr_row {
	int line;
	const char *allow;
	const char *peer;
	bool match;
} cidr_rows[] = {
	{ CK_ROW, "10.0.0.0/8", "10.1.2.3", true },
	{ CK_ROW, "10.0.0.0/8", "11.0.0.1", false },
	{ CK_ROW, "10.0.0.0/8", "::ffff:10.9.9.9", true },
	{ CK_ROW, "10.0.0.0/8", "::ffff:11.9.9.9", false },
	{ CK_ROW, "10.0.0.0/8", "::a09:909", false }, /* v4-compatible */
	{ CK_ROW, "10.0.0.0/9", "10.127.255.255", true },
	{ CK_ROW, "10.0.0.0/9", "10.128.0.0", false },
	{ CK_ROW, "192.0.2.1", "192.0.2.1", true },
	{ CK_ROW, "192.0.2.1", "192.0.2.2", false },
	{ CK_ROW, "0.0.0.0/0", "203.0.113.9", true },
	{ CK_ROW, "0.0.0.0/0", "2001:db8::1", false },
	{ CK_ROW, "127.0.0.0/8 ::1", "::1", true },
	{ CK_ROW, "127.0.0.0/8 ::1", "::2", false },
	{ CK_ROW, "127.0.0.0/8 ::1", "127.0.0.1", true },
	{ CK_ROW, "2001:db8::/32", "2001:db8:ffff::1", true },
	{ CK_ROW, "2001:db8::/32", "2001:db9::1", false },
	{ CK_ROW, "2001:db8::/33", "2001:db8:8000::1", false },
	{ CK_ROW, "::/0", "10.0.0.1", false },
	{ CK_ROW, "::/0", "fe80::1", true },
	{ CK_ROW, "::ffff:0:0/96", "::ffff:10.0.0.1", true },
};

START_TEST(test_cidr_match)
{
	const struct cidr_row *row = &cidr_rows[_i];
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	char text[TEXT_MAX];

	snprintf(text, sizeof(text), "StatusAllow %s\n", row->allow);
	conf_init(&conf);
	ck_assert_int_eq(conf_parse_string(&conf, text, strlen(text), "mem",
			     CONF_WORKER, &errs),
	    0);
	memset(&ss, 0, sizeof(ss));
	if (strchr(row->peer, ':') != NULL) {
		sin6->sin6_family = AF_INET6;
		ck_assert_int_eq(
		    inet_pton(AF_INET6, row->peer, &sin6->sin6_addr), 1);
	} else {
		sin->sin_family = AF_INET;
		ck_assert_int_eq(
		    inet_pton(AF_INET, row->peer, &sin->sin_addr), 1);
	}
	ck_assert_msg(conf_cidr_match(conf.status_allow, conf.nstatus_allow,
			  (struct sockaddr *)&ss) == row->match,
	    "row at line %d", row->line);
}
END_TEST

START_TEST(test_cidr_match_other_family)
{
	struct sockaddr sa;

	conf_init(&conf);
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	ck_assert(!conf_cidr_match(conf.status_allow, conf.nstatus_allow, &sa));
}
END_TEST

START_TEST(test_worker_no_fs)
{
	static const char text[] = "DocumentRoot /nonexistent/docs\n"
				   "MPM /nonexistent/mpm\n"
				   "User no-such-user-mpmd\n"
				   "Group no-such-group-mpmd\n"
				   "TypesConfig /nonexistent/mime.types\n"
				   "WorkerDir /nonexistent\n"
				   "AddType text/x-a a\n";

	conf_init(&conf);
	ck_assert_int_eq(conf_parse_string(&conf, text, sizeof(text) - 1,
			     "<master>", CONF_WORKER, &errs),
	    0);
	ck_assert_str_eq(conf.document_root, "/nonexistent/docs");
	ck_assert_str_eq(conf.mpm_path, "/nonexistent/mpm");
	ck_assert_str_eq(conf.user, "no-such-user-mpmd");
	ck_assert_uint_eq(conf.mime.count, 1); /* TypesConfig not read */
	ck_assert_str_eq(mime_lookup(&conf.mime, "x.A"), "text/x-a");
}
END_TEST

START_TEST(test_worker_no_include)
{
	static const char text[] = "\nInclude /etc/*.conf\n";

	conf_init(&conf);
	ck_assert_int_eq(conf_parse_string(&conf, text, sizeof(text) - 1,
			     "<master>", CONF_WORKER, &errs),
	    -1);
	ck_assert_uint_eq(errs.count, 1);
	ck_assert_str_eq(errs.msg[0],
	    "<master>:2: Include: not allowed in a worker's configuration");
}
END_TEST

START_TEST(test_identity)
{
	int r = load("User no-such-user-mpmd\nGroup no-such-group-mpmd\n", 0);

	if (geteuid() != 0) {
		/* Not root: workers keep our identity, names are not looked up.
		 */
		ck_assert_msg(r == 0, "%s", all_errors());
		return;
	}
	ck_assert_int_eq(r, -1);
	ck_assert_msg(errs.count == 2, "%s", all_errors());
	ck_assert(has_error("test.conf:1: User: unknown user "
			    "'no-such-user-mpmd'"));
	ck_assert(has_error("test.conf:2: Group: unknown group "
			    "'no-such-group-mpmd'"));
	ck_assert_int_eq(load("\nUser root\n", 0), -1);
	ck_assert(has_error("test.conf:2: User: workers must not run as root"));
	/* what the master refuses at start, -t refuses too */
	ck_assert_int_eq(load("\n\nGroup root\n", 0), -1);
	ck_assert(has_error(
	    "test.conf:3: Group: workers must not run in group root ('root')"));
}
END_TEST

/* Include: glob order, errors inside included files, nesting. */
START_TEST(test_include_glob)
{
	make_dir("conf.d/dir.conf");
	write_file("conf.d/b.conf", "Listen 82\n", 0644);
	write_file("conf.d/a.conf", "Listen 81\n", 0644);
	write_file("conf.d/B.conf", "Listen 80\n", 0644);
	write_file("conf.d/c.txt", "Bogus\n", 0644);
	ck_assert_msg(load("Include conf.d/*.conf\nListen 83\n"
			   "Include @/conf.d/none*.conf\n",
			  0) == 0,
	    "%s", all_errors());
	ck_assert_str_eq(
	    get_listen(&conf), "0.0.0.0:80 0.0.0.0:81 0.0.0.0:82 0.0.0.0:83");
}
END_TEST

START_TEST(test_include_directory)
{
	write_file("conf.d/2.conf", "Listen 82\n", 0644);
	write_file("conf.d/1.conf", "Listen 81\n", 0644);
	ck_assert_msg(load("Include conf.d\n", 0) == 0, "%s", all_errors());
	ck_assert_str_eq(get_listen(&conf), "0.0.0.0:81 0.0.0.0:82");
}
END_TEST

START_TEST(test_include_errors_name_the_file)
{
	write_file("conf.d/a.conf", "Listen 81\n\nNoSuch x\n", 0644);
	write_file("conf.d/b.conf", "\\\n\nDocumentRoot /nonexistent\n", 0644);
	ck_assert_int_eq(
	    load("Timeout 1\nInclude conf.d/*.conf\nBad\n", 0), -1);
	ck_assert_msg(errs.count == 3, "%s", all_errors());
	ck_assert(has_error("conf.d/a.conf:3: unknown directive 'NoSuch'"));
	ck_assert(has_error("test.conf:3: unknown directive 'Bad'"));
	ck_assert(has_error("conf.d/b.conf:3: DocumentRoot: /nonexistent"));
}
END_TEST

START_TEST(test_include_server_root)
{
	make_dir("sub");
	write_file("sub/x.conf", "Listen 91\n", 0644);
	ck_assert_msg(
	    load("ServerRoot @/sub\nInclude x.conf\nServerRoot @\n", 0) == 0,
	    "%s", all_errors());
	ck_assert_str_eq(get_listen(&conf), "0.0.0.0:91");
	ck_assert_str_eq(conf.document_root, subst("@/htdocs"));
}
END_TEST

START_TEST(test_include_cycle)
{
	write_file("x.conf", "Listen 90\nInclude y.conf\n", 0644);
	write_file("y.conf", "\nInclude x.conf\n", 0644);
	ck_assert_int_eq(load("Include x.conf\n", 0), -1);
	ck_assert_msg(errs.count == 1, "%s", all_errors());
	ck_assert(has_error("y.conf:2: Include: @/x.conf: include cycle"));
	ck_assert_str_eq(get_listen(&conf), "0.0.0.0:90");
}
END_TEST

/* test.conf includes d1.conf, which includes d2.conf, ... up to dLAST. */
static void
write_chain(int last)
{
	char name[TEXT_MAX], text[TEXT_MAX];
	int i;

	for (i = 1; i <= last; i++) {
		snprintf(name, sizeof(name), "d%d.conf", i);
		if (i < last)
			snprintf(
			    text, sizeof(text), "Include d%d.conf\n", i + 1);
		else
			snprintf(text, sizeof(text), "Listen 99\n");
		write_file(name, text, 0644);
	}
}

START_TEST(test_include_depth)
{
	write_chain(CONF_MAX_INCLUDE_DEPTH);
	ck_assert_msg(load("Include d1.conf\n", 0) == 0, "%s", all_errors());
	ck_assert_str_eq(get_listen(&conf), "0.0.0.0:99");
	write_chain(CONF_MAX_INCLUDE_DEPTH + 1);
	ck_assert_int_eq(load("Include d1.conf\n", 0), -1);
	ck_assert_msg(
	    errs.count == 1 &&
		has_error("d16.conf:1: Include: nested deeper than 16 levels"),
	    "%s", all_errors());
}
END_TEST

/* The arrays of two configurations, element by element. */
static void
check_same_lists(const struct conf *a, const struct conf *b)
{
	size_t i;

	ck_assert_uint_eq(a->nlisten, b->nlisten);
	for (i = 0; i < a->nlisten; i++) {
		ck_assert_uint_eq(a->listen[i].addrlen, b->listen[i].addrlen);
		ck_assert_mem_eq(&a->listen[i].addr, &b->listen[i].addr,
		    sizeof(a->listen[i].addr));
		ck_assert_str_eq(a->listen[i].text, b->listen[i].text);
		ck_assert_uint_eq(a->listen[i].flags, b->listen[i].flags);
	}
	ck_assert_uint_eq(a->ndirectory_index, b->ndirectory_index);
	for (i = 0; i < a->ndirectory_index; i++)
		ck_assert_str_eq(a->directory_index[i], b->directory_index[i]);
	ck_assert_uint_eq(a->mime.count, b->mime.count);
	for (i = 0; i < a->mime.count; i++) {
		ck_assert_str_eq(
		    a->mime.entries[i].ext, b->mime.entries[i].ext);
		ck_assert_str_eq(
		    a->mime.entries[i].type, b->mime.entries[i].type);
	}
	ck_assert_uint_eq(a->nstatus_allow, b->nstatus_allow);
	for (i = 0; i < a->nstatus_allow; i++) {
		ck_assert_int_eq(
		    a->status_allow[i].family, b->status_allow[i].family);
		ck_assert_uint_eq(
		    a->status_allow[i].prefix, b->status_allow[i].prefix);
		ck_assert_mem_eq(a->status_allow[i].addr,
		    b->status_allow[i].addr, sizeof(a->status_allow[i].addr));
	}
}

/* mod_ssl's directives: the pairs' paths, protocols, ciphers, flags. */
static void
check_same_tls(const struct conf_tls *a, const struct conf_tls *b)
{
	size_t i;

	ck_assert_uint_eq(a->ncerts, b->ncerts);
	for (i = 0; i < a->ncerts; i++) {
		ck_assert_pstr_eq(a->certs[i].cert_file, b->certs[i].cert_file);
		ck_assert_pstr_eq(a->certs[i].key_file, b->certs[i].key_file);
	}
	ck_assert_uint_eq(a->protocols, b->protocols);
	ck_assert_pstr_eq(a->ciphers, b->ciphers);
	ck_assert_pstr_eq(a->ciphersuites, b->ciphersuites);
	ck_assert_int_eq(a->session_tickets, b->session_tickets);
	ck_assert_int_eq(a->key_isolation, b->key_isolation);
}

/* Field by field; types_config is master-side only and not sent. */
static void
check_same(const struct conf *a, const struct conf *b)
{
	check_same_lists(a, b);
	check_same_tls(&a->tls, &b->tls);
	ck_assert_pstr_eq(a->mpm, b->mpm);
	ck_assert_pstr_eq(a->mpm_path, b->mpm_path);
	ck_assert_pstr_eq(a->worker_dir, b->worker_dir);
	ck_assert_pstr_eq(a->user, b->user);
	ck_assert_pstr_eq(a->group, b->group);
	ck_assert_pstr_eq(a->server_root, b->server_root);
	ck_assert_pstr_eq(a->pid_file, b->pid_file);
	ck_assert_pstr_eq(a->control_socket, b->control_socket);
	ck_assert_pstr_eq(a->error_log, b->error_log);
	ck_assert_int_eq(a->log_level, b->log_level);
	ck_assert_pstr_eq(a->custom_log, b->custom_log);
	ck_assert_int_eq(a->custom_log_format, b->custom_log_format);
	ck_assert_pstr_eq(a->document_root, b->document_root);
	ck_assert_int_eq(a->start_servers, b->start_servers);
	ck_assert_int_eq(a->server_limit, b->server_limit);
	ck_assert_int_eq(a->min_spare_servers, b->min_spare_servers);
	ck_assert_int_eq(a->max_spare_servers, b->max_spare_servers);
	ck_assert_int_eq(a->threads_per_child, b->threads_per_child);
	ck_assert_int_eq(a->min_spare_threads, b->min_spare_threads);
	ck_assert_int_eq(a->max_spare_threads, b->max_spare_threads);
	ck_assert_int_eq(a->max_request_workers, b->max_request_workers);
	ck_assert_int_eq(
	    a->max_connections_per_child, b->max_connections_per_child);
	ck_assert_int_eq(a->max_open_connections_per_child,
	    b->max_open_connections_per_child);
	ck_assert_int_eq(a->keepalive, b->keepalive);
	ck_assert_int_eq(a->keepalive_timeout, b->keepalive_timeout);
	ck_assert_int_eq(a->max_keepalive_requests, b->max_keepalive_requests);
	ck_assert_int_eq(a->timeout, b->timeout);
	ck_assert(memcmp(&a->read_header, &b->read_header,
		      sizeof(a->read_header)) == 0);
	ck_assert(
	    memcmp(&a->read_body, &b->read_body, sizeof(a->read_body)) == 0);
	ck_assert(memcmp(&a->read_handshake, &b->read_handshake,
		      sizeof(a->read_handshake)) == 0);
	ck_assert_int_eq(
	    a->graceful_shutdown_timeout, b->graceful_shutdown_timeout);
	ck_assert_int_eq(a->limit_request_line, b->limit_request_line);
	ck_assert_int_eq(
	    a->limit_request_field_size, b->limit_request_field_size);
	ck_assert_int_eq(a->limit_request_fields, b->limit_request_fields);
	ck_assert_int_eq(a->limit_request_body, b->limit_request_body);
	ck_assert_int_eq(a->listen_backlog, b->listen_backlog);
	ck_assert_int_eq(a->serve_dot_files, b->serve_dot_files);
	ck_assert_pstr_eq(a->server_status, b->server_status);
	ck_assert_pstr_eq(a->metrics_path, b->metrics_path);
}

/* Serializes conf, parses it as a worker would, compares both ways. */
static void
check_round_trip(void)
{
	struct conf w;
	struct conf_errors e;
	char *text, *again;
	size_t len, len2;

	text = conf_serialize(&conf, &len);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert_ptr_null(strstr(text, "Include"));
	ck_assert_ptr_null(strstr(text, "TypesConfig"));
	conf_init(&w);
	ck_assert_msg(
	    conf_parse_string(&w, text, len, "<master>", CONF_WORKER, &e) == 0,
	    "%s\n%s", e.count > 0 ? e.msg[0] : "", text);
	check_same(&conf, &w);
	again = conf_serialize(&w, &len2);
	ck_assert_str_eq(again, text);
	free(again);
	free(text);
	conf_errors_free(&e);
	conf_free(&w);
}

START_TEST(test_round_trip)
{
	write_file("conf/other.types",
	    "application/x-foo foo\n"
	    "text/html html HTM\n"
	    "image/x-many a1 a2 a3 a4 a5 a6 a7 a8 "
	    "a9 b1 b2 b3 b4 b5 b6 b7 b8 b9 c1 c2 c3 "
	    "c4 c5 c6 c7 c8 c9 d1 d2 d3 d4 d5 d6 d7\n",
	    0644);
	ck_assert_msg(
	    load(
		"MPM threaded\n"
		"Listen 10.0.0.1:8080\n"
		"Listen [2001:db8::1]:443\n"
		"Listen 9000\n"
		"User daemon\n"
		"Group daemon\n"
		"PidFile \"run dir/mpmd.pid\"\n"
		"ControlSocket /tmp/ctl\\\"sock\n"
		"ErrorLog \"logs/err #1.log\"\n"
		"LogLevel debug\n"
		"CustomLog \"/var/log/my access.log\" common\n"
		"DocumentRoot \"my docs\"\n"
		"DirectoryIndex index.htm \"default page.html\" "
		"\"#hash.html\" \"q\\\"\\\\.html\"\n"
		"TypesConfig conf/other.types\n"
		"AddType text/x-special html .Spc\n"
		"StartServers 3\nServerLimit 16\n"
		"MinSpareServers 1\nMaxSpareServers 4\n"
		"ThreadsPerChild 50\nMinSpareThreads 10\n"
		"MaxSpareThreads 90\nMaxRequestWorkers 800\n"
		"MaxConnectionsPerChild 12345\nKeepAlive Off\n"
		"KeepAliveTimeout 9\nMaxKeepAliveRequests 0\n"
		"Timeout 33\nRequestReadTimeout header=11-30,MinRate=200 body=12\n"
		"GracefulShutdownTimeout 44\nLimitRequestLine 1000\n"
		"LimitRequestFieldSize 2000\nLimitRequestFields 77\n"
		"LimitRequestBody 0\nListenBacklog 128\n"
		"ServerStatus /server-status\nMetricsPath /metrics\n"
		"StatusAllow 10.0.0.0/8 2001:db8::/32 "
		"::ffff:192.0.2.1\n",
		0) == 0,
	    "%s", all_errors());
	ck_assert_str_eq(conf.control_socket, "/tmp/ctl\\\"sock");
	ck_assert_str_eq(conf.directory_index[3], "q\"\\.html");
	ck_assert_str_eq(mime_lookup(&conf.mime, "x.html"), "text/x-special");
	ck_assert_str_eq(mime_lookup(&conf.mime, "x.htm"), "text/html");
	ck_assert_uint_eq(conf.mime.count, 38);
	check_round_trip();
}
END_TEST

START_TEST(test_round_trip_defaults)
{
	ck_assert_msg(load("", 0) == 0, "%s", all_errors());
	check_round_trip();
	ck_assert_int_eq(load("ServerStatus /s\nAddType \"#x/y\" \"#z\"", 0),
	    -1); /* '#' is not a type character */
	ck_assert_msg(load("ServerStatus /s\nAddType x/y \"#z\"\n", 0) == 0,
	    "%s", all_errors());
	check_round_trip();
}
END_TEST

/* https listeners, the pairs and every TLS setting off its default. */
START_TEST(test_round_trip_tls)
{
	char *text;

	ck_assert_msg(
	    load("Listen 127.0.0.1:8443 https\n"
		 "Listen [::1]:8443 proxy https\n"
		 "Listen 8080\n"
		 "Listen 8081 proxy\n"
		 "SSLCertificateFile tls/ec.crt\n"
		 "SSLCertificateKeyFile tls/ec.key\n"
		 "SSLCertificateFile @/tls/rsa.crt\n"
		 "SSLCertificateKeyFile tls/rsa.key\n"
		 "SSLCertificateFile tls/both.pem\n"
		 "SSLProtocol TLSv1.3\n"
		 "SSLCipherSuite ECDHE-ECDSA-AES256-GCM-SHA384:"
		 "ECDHE-RSA-AES256-GCM-SHA384\n"
		 "SSLCipherSuite TLSv1.3 "
		 "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256\n"
		 "SSLSessionTickets off\n"
		 "SSLKeyIsolation off\n"
		 "RequestReadTimeout handshake=7-9,MinRate=100\n",
		0) == 0,
	    "%s", all_errors());
	ck_assert_str_eq(get_listen_opts(&conf),
	    "127.0.0.1:8443 https, [::1]:8443 https proxy, 0.0.0.0:8080, "
	    "0.0.0.0:8081 proxy");
	ck_assert_str_eq(get_certs(&conf),
	    subst("@/tls/ec.crt @/tls/ec.key, @/tls/rsa.crt @/tls/rsa.key, "
		  "@/tls/both.pem -"));
	ck_assert_uint_eq(conf.tls.protocols, CONF_TLS_1_3);
	ck_assert_str_eq(conf.tls.ciphers,
	    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384");
	ck_assert_str_eq(conf.tls.ciphersuites,
	    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
	ck_assert(!conf.tls.session_tickets && !conf.tls.key_isolation);
	text = conf_serialize(&conf, NULL);
	ck_assert_ptr_nonnull(strstr(text, "\nListen 127.0.0.1:8443 https\n"));
	ck_assert_ptr_nonnull(
	    strstr(text, "\nListen [::1]:8443 https proxy\n"));
	ck_assert_ptr_nonnull(strstr(
	    text, subst("\nSSLCertificateFile @/tls/both.pem\nSSLProtocol")));
	ck_assert_ptr_nonnull(strstr(text, "\nSSLProtocol TLSv1.3\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nSSLSessionTickets Off\n"));
	free(text);
	check_round_trip();
	/* each protocol set, as the serializer writes it, parses back */
	ck_assert_msg(
	    load("SSLProtocol TLSv1.2\n", 0) == 0, "%s", all_errors());
	check_round_trip();
	ck_assert_msg(load("SSLProtocol all\n", 0) == 0, "%s", all_errors());
	check_round_trip();
}
END_TEST

/*
 * The longest value a worker takes back: one DirectoryIndex word of N
 * backslashes is INDEX_LINE_OVERHEAD + 2N bytes written out. N fits, and
 * round-trips; N + 1 is refused at its line, `mpmd -t` included.
 */
START_TEST(test_serialized_line_limit)
{
	static char text[CONF_MAX_LINE + 1];
	const size_t fits = (CONF_MAX_LINE - INDEX_LINE_OVERHEAD) / 2;
	size_t n = (size_t)snprintf(text, sizeof(text), "\nDirectoryIndex ");

	memset(text + n, '\\', fits);
	snprintf(text + n + fits, sizeof(text) - n - fits, " # fits\n");
	ck_assert_msg(load(text, 0) == 0, "%s", all_errors());
	ck_assert_uint_eq(strlen(conf.directory_index[0]), fits);
	check_round_trip();
	memset(text + n, '\\', fits + 1);
	snprintf(text + n + fits + 1, sizeof(text) - n - fits - 1, " #\n");
	ck_assert_int_eq(load(text, 0), -1);
	ck_assert_msg(errs.count == 1 &&
			  has_error("test.conf:2: DirectoryIndex: the line the "
				    "workers get, \\ and \" escaped, is 8193 "
				    "bytes, more than 8192"),
	    "%s", all_errors());
}
END_TEST

START_TEST(test_serialize_text)
{
	char *text;

	ck_assert_msg(load("Listen [::1]:80\nDocumentRoot \"my docs\"\n"
			   "ServerStatus /st\n",
			  0) == 0,
	    "%s", all_errors());
	text = conf_serialize(&conf, NULL);
	ck_assert_ptr_nonnull(strstr(text, "\nListen [::1]:80\n"));
	ck_assert_ptr_nonnull(
	    strstr(text, subst("\nDocumentRoot \"@/my docs\"\n")));
	ck_assert_ptr_nonnull(strstr(text, "\nAddType text/html htm html\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nStatusAllow ::1/128\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nKeepAlive On\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nLimitRequestBody 1048576\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nServerStatus /st\n"));
	ck_assert_ptr_nonnull(strstr(text, subst("\nWorkerDir @/bin\n")));
	ck_assert_int_eq(strncmp(text, "MPM event\n", 10), 0);
	free(text);
}
END_TEST

/* The mpmd.conf make writes for this build, with its defaults. */
static const char *
shipped_conf(void)
{
	static char path[TEXT_MAX];
	const char *build = getenv("MPMD_BUILDDIR");

	snprintf(path, sizeof(path), "%s/conf/mpmd.conf",
	    build != NULL ? build : ".");
	return path;
}

static char *
read_all(const char *path)
{
	static char text[TEXT_MAX];
	size_t n;
	FILE *f;

	ck_assert_msg((f = fopen(path, "r")) != NULL, "%s", path);
	n = fread(text, 1, sizeof(text) - 1, f);
	ck_assert(!ferror(f) && feof(f));
	fclose(f);
	text[n] = '\0';
	return text;
}

START_TEST(test_shipped_conf_loads)
{
	struct conf d;
	struct conf_errors e;

	conf_init(&conf);
	ck_assert_int_eq(
	    conf_load(&conf, shipped_conf(), CONF_WORKER, &errs), 0);
	conf_init(&d);
	ck_assert_int_eq(
	    conf_parse_string(&d, "", 0, "empty", CONF_WORKER, &e), 0);
	check_same(&conf, &d);
	conf_free(&d);
	conf_errors_free(&e);
	/* With full validation, given an installed ServerRoot. */
	ck_assert_msg(
	    load(read_all(shipped_conf()), 0) == 0, "%s", all_errors());
}
END_TEST

/*
 * Every directive of the table, commented out, in the table's order (that
 * of DESIGN.md and of conf_serialize()): a new directive needs its line.
 */
START_TEST(test_shipped_conf_lists_all)
{
	const char *text = read_all(shipped_conf()), *at, *prev = text;
	char want[TEXT_MAX];
	size_t i;

	for (i = 0; i < CD_COUNT; i++) {
		snprintf(want, sizeof(want), "\n#%s ", conf_directives[i].name);
		ck_assert_msg((at = strstr(text, want)) != NULL, "no %s", want);
		ck_assert_msg(
		    at > prev, "%s out of order", conf_directives[i].name);
		prev = at;
	}
}
END_TEST

/* Uncommented, the shipped lines state the defaults (examples aside). */
START_TEST(test_shipped_conf_defaults)
{
	static char text[TEXT_MAX];
	const char *src = read_all(shipped_conf()), *nl;
	struct conf d;
	struct conf_errors e;
	size_t n = 0, len;

	for (; (nl = strchr(src, '\n')) != NULL; src = nl + 1) {
		len = (size_t)(nl - src);
		if (src[0] == '#' && src[1] >= 'A' && src[1] <= 'Z' &&
		    strncmp(src, "#AddType ", 9) != 0 &&
		    strncmp(src, "#Include ", 9) != 0 &&
		    strncmp(src, "#SSLCertificateFile ", 20) != 0 &&
		    strncmp(src, "#SSLCertificateKeyFile ", 23) != 0 &&
		    strncmp(src, "#ServerRoot ", 12) != 0 &&
		    strncmp(src, "#WorkerDir ", 11) != 0)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
			    "%.*s\n", (int)len - 1, src + 1);
	}
	conf_init(&conf);
	ck_assert_msg(conf_parse_string(
			  &conf, text, n, "shipped", CONF_WORKER, &errs) == 0,
	    "%s\n%s", all_errors(), text);
	conf_init(&d);
	ck_assert_int_eq(
	    conf_parse_string(&d, "", 0, "empty", CONF_WORKER, &e), 0);
	check_same(&conf, &d);
	conf_free(&d);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))
	tc = tcase_create("values");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_init_defaults);
	tcase_add_loop_test(tc, test_empty_file, 0, N(default_rows));
	tcase_add_loop_test(tc, test_valid, 0, N(valid_rows));
	tcase_add_test(tc, test_listen_sockaddr);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_error, 0, N(error_rows));
	tcase_add_loop_test(tc, test_ranges, 0, N(range_rows));
	tcase_add_test(tc, test_all_errors_reported);
	tcase_add_test(tc, test_error_cap);
	tcase_add_test(tc, test_missing_main_file);
	tcase_add_test(tc, test_long_line);
	tcase_add_test(tc, test_long_continued_line);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_too_many_words);
	tcase_add_test(tc, test_listen_limit);
	tcase_add_test(tc, test_tls_cert_limit);
	tcase_add_test(tc, test_identity);
	suite_add_tcase(s, tc);

	tc = tcase_create("include");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_include_glob);
	tcase_add_test(tc, test_include_directory);
	tcase_add_test(tc, test_include_errors_name_the_file);
	tcase_add_test(tc, test_include_server_root);
	tcase_add_test(tc, test_include_cycle);
	tcase_add_test(tc, test_include_depth);
	suite_add_tcase(s, tc);

	tc = tcase_create("worker");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_worker_no_fs);
	tcase_add_test(tc, test_worker_no_include);
	tcase_add_test(tc, test_tls_worker_no_files);
	tcase_add_loop_test(tc, test_cidr_match, 0, N(cidr_rows));
	tcase_add_test(tc, test_cidr_match_other_family);
	suite_add_tcase(s, tc);

	tc = tcase_create("serialize");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_round_trip_defaults);
	tcase_add_test(tc, test_round_trip_tls);
	tcase_add_test(tc, test_serialized_line_limit);
	tcase_add_test(tc, test_serialize_text);
	suite_add_tcase(s, tc);

	tc = tcase_create("shipped");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_shipped_conf_loads);
	tcase_add_test(tc, test_shipped_conf_lists_all);
	tcase_add_test(tc, test_shipped_conf_defaults);
	suite_add_tcase(s, tc);
#undef N
	return s;
}

int
main(void)
{
	const char *cause;
	int r;

	/* Once for every test: an RSA key takes a while to make. */
	if (mkdtemp(strcpy(tlsdir, TLS_TEMPLATE)) == NULL) {
		fprintf(stderr, "mkdtemp %s: %s\n", tlsdir, strerror(errno));
		return EXIT_FAILURE;
	}
	if (tlsfiles_write(tlsdir, &cause) == -1) {
		fprintf(stderr, "tlsfiles_write %s: %s\n", tlsdir, cause);
		r = EXIT_FAILURE;
	} else
		r = ck_run(conf_suite());
	conftree_remove(tlsdir);
	return r;
}
