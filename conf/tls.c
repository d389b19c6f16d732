/*
 * mod_ssl's directives (SSLCertificateFile, SSLCertificateKeyFile,
 * SSLProtocol, SSLCipherSuite, SSLSessionTickets, SSLKeyIsolation) and
 * the files they name: reading a certificate chain and its key, checked
 * against each other. The master reads them for real; `mpmd -t` reads
 * them to check; a worker never does.
 */
#include "config.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/parse.h"
#include "lib/xmalloc.h"

/* Forward secret, AEAD only, as Mozilla's intermediate profile. */
#define TLS_DEFAULT_CIPHERS                                          \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS_ERR_MAX  160       /* one OpenSSL error, as text */
#define TLS_FILE_MAX (1 << 20) /* a PEM file: a chain of a few dozen */

struct tls_file {
	char *data;
	size_t len;
	BIO *bio; /* reads DATA */
};

static const struct {
	const char *name;
	unsigned bits; /* 0: below TLS 1.2, never offered */
} tls_protocols[] = {
	{ "all", CONF_TLS_1_2 | CONF_TLS_1_3 },
	{ "TLSv1.3", CONF_TLS_1_3 },
	{ "TLSv1.2", CONF_TLS_1_2 },
	{ "TLSv1.1", 0 },
	{ "TLSv1", 0 },
	{ "SSLv3", 0 },
};

/* The defaults no table entry holds (the booleans are in the table). */
void
conf_tls_init(struct conf_tls *tls)
{
	tls->protocols = CONF_TLS_1_2 | CONF_TLS_1_3;
	tls->ciphers = xstrdup(TLS_DEFAULT_CIPHERS);
}

void
conf_tls_free(struct conf_tls *tls)
{
	size_t i;

	for (i = 0; i < tls->ncerts; i++) {
		free(tls->certs[i].cert_file);
		free(tls->certs[i].key_file);
	}
	free(tls->ciphers);
	free(tls->ciphersuites);
	memset(tls, 0, sizeof(*tls));
}

int
set_ssl_certificate_file(struct conf_parser *p, const struct conf_directive *d,
    int argc, char **argv)
{
	struct conf_tls *tls = &p->conf->tls;

	if (tls->ncerts == CONF_MAX_CERTS) {
		conf_errorf(p, NULL, "%s: more than %d certificates", d->name,
		    CONF_MAX_CERTS);
		return -1;
	}
	p->cert_at[tls->ncerts] = p->at;
	tls->certs[tls->ncerts++].cert_file = xstrdup(argv[0]);
	return 0;
}

int
set_ssl_certificate_key_file(struct conf_parser *p,
    const struct conf_directive *d, int argc, char **argv)
{
	const struct conf_where *refused = &p->refused[CD_SSL_CERTIFICATE_FILE];
	struct conf_tls *tls = &p->conf->tls;
	struct conf_cert *c;

	if (refused->line > 0) { /* never the key of the pair before it */
		conf_errorf(p, NULL,
		    "%s: the SSLCertificateFile before it, at %s:%u, was refused",
		    d->name, refused->file, refused->line);
		return -1;
	}
	if (tls->ncerts == 0) {
		conf_errorf(p, NULL,
		    "%s: no SSLCertificateFile before it to pair with",
		    d->name);
		return -1;
	}
	c = &tls->certs[tls->ncerts - 1];
	if (c->key_file != NULL) {
		conf_errorf(p, NULL,
		    "%s: the certificate of %s:%u has its key already", d->name,
		    p->cert_at[tls->ncerts - 1].file,
		    p->cert_at[tls->ncerts - 1].line);
		return -1;
	}
	c->key_file = xstrdup(argv[0]);
	p->key_at[tls->ncerts - 1] = p->at;
	return 0;
}

/*
 * mod_ssl's syntax, from an empty set: a bare name replaces the set,
 * +name adds, -name removes ("all TLSv1.3" is TLSv1.3 alone).
 */
int
set_ssl_protocol(struct conf_parser *p, const struct conf_directive *d,
    int argc, char **argv)
{
	unsigned set = 0;
	const char *name;
	char action;
	size_t k;
	int i;

	for (i = 0; i < argc; i++) {
		action =
		    argv[i][0] == '+' || argv[i][0] == '-' ? argv[i][0] : '\0';
		name = argv[i] + (action != '\0');
		for (k = 0;
		     k < sizeof(tls_protocols) / sizeof(tls_protocols[0]); k++)
			if (strcasecmp(name, tls_protocols[k].name) == 0)
				break;
		if (k == sizeof(tls_protocols) / sizeof(tls_protocols[0])) {
			conf_errorf(p, NULL,
			    "%s: unknown protocol '%s' (all, TLSv1.2, TLSv1.3)",
			    d->name, argv[i]);
			return -1;
		}
		if (tls_protocols[k].bits == 0 && argv[i][0] != '-') {
			conf_errorf(p, NULL,
			    "%s: '%s' is below TLS 1.2 and never offered",
			    d->name, argv[i]);
			return -1;
		}
		if (action == '-')
			set &= ~tls_protocols[k].bits;
		else if (action == '+')
			set |= tls_protocols[k].bits;
		else
			set = tls_protocols[k].bits;
	}
	if (set == 0) {
		conf_errorf(p, NULL, "%s: no protocol left", d->name);
		return -1;
	}
	p->conf->tls.protocols = set;
	return 0;
}

/* "SSLCipherSuite LIST" (TLS 1.2) or "SSLCipherSuite TLSv1.3 LIST". */
int
set_ssl_cipher_suite(struct conf_parser *p, const struct conf_directive *d,
    int argc, char **argv)
{
	struct conf_tls *tls = &p->conf->tls;
	struct conf_where *at = &p->ciphers_at;
	char **field = &tls->ciphers;

	if (argc == 2 && strcasecmp(argv[0], "TLSv1.3") == 0) {
		field = &tls->ciphersuites;
		at = &p->ciphersuites_at;
	} else if (argc == 2 && strcasecmp(argv[0], "SSL") != 0) {
		conf_errorf(p, NULL, "%s: unknown protocol '%s' (SSL, TLSv1.3)",
		    d->name, argv[0]);
		return -1;
	}
	free(*field);
	*field = xstrdup(argv[argc - 1]);
	*at = p->at;
	return 0;
}

/* The first error OpenSSL queued, as text, the queue then cleared. */
static const char *
tls_error(void)
{
	static char text[TLS_ERR_MAX];
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	if (e == 0)
		return "no error reported";
	ERR_error_string_n(e, text, sizeof(text));
	return text;
}

/*
 * The whole of PATH in memory that is wiped when freed (tls_file_free):
 * BIO_new_file() would leave the key's bytes behind in stdio's buffer.
 */
static BIO *
tls_file(const char *path, struct tls_file *f, char **cause)
{
	struct stat st;
	ssize_t n;
	int fd;

	memset(f, 0, sizeof(*f));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1 ||
	    fstat(fd, &st) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > TLS_FILE_MAX) {
		xasprintf(cause, "%s: %s", path,
		    S_ISDIR(st.st_mode) ? strerror(EISDIR)
		    : !S_ISREG(st.st_mode)
			? "not a regular file"
			: "larger than any PEM file here (1 MiB)");
		close(fd);
		return NULL;
	}
	f->data = xmalloc((size_t)st.st_size + 1);
	while (f->len < (size_t)st.st_size &&
	       ((n = read(fd, f->data + f->len, (size_t)st.st_size - f->len)) >
		       0 ||
		   (n == -1 && errno == EINTR)))
		f->len += n > 0 ? (size_t)n : 0;
	close(fd);
	if ((f->bio = BIO_new_mem_buf(f->data, (int)f->len)) == NULL)
		xasprintf(cause, "%s: %s", path, tls_error());
	return f->bio;
}

static void
tls_file_free(struct tls_file *f)
{
	BIO_free(f->bio);
	if (f->data != NULL)
		OPENSSL_clear_free(f->data, f->len + 1);
	memset(f, 0, sizeof(*f));
}

/* Encrypted keys are refused: there is nobody to ask a passphrase of. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* Every certificate of the PEM file PATH, re-encoded: never its key. */
static int
read_chain(
    const char *path, struct conf_tls_pair *out, X509 **leaf, char **cause)
{
	struct tls_file file;
	BIO *in = tls_file(path, &file, cause), *pem;
	X509 *x;
	char *data;
	long n;

	*leaf = NULL;
	if (in == NULL)
		return -1;
	if ((pem = BIO_new(BIO_s_mem())) == NULL) {
		xasprintf(cause, "%s: %s", path, tls_error());
		tls_file_free(&file);
		return -1;
	}
	while ((x = PEM_read_bio_X509(in, NULL, no_passphrase, NULL)) != NULL) {
		PEM_write_bio_X509(pem, x);
		if (*leaf == NULL)
			*leaf = x;
		else
			X509_free(x);
	}
	ERR_clear_error(); /* the end of the file, or a key after the chain */
	tls_file_free(&file);
	if (*leaf == NULL) {
		xasprintf(cause, "%s: no PEM certificate in it", path);
		BIO_free(pem);
		return -1;
	}
	n = BIO_get_mem_data(pem, &data);
	out->chain = xmalloc((size_t)n);
	memcpy(out->chain, data, (size_t)n);
	out->chain_len = (size_t)n;
	BIO_free(pem);
	return 0;
}

static EVP_PKEY *
read_key(const char *path, char **cause)
{
	struct tls_file file;
	BIO *in = tls_file(path, &file, cause);
	EVP_PKEY *key;

	if (in == NULL)
		return NULL;
	key = PEM_read_bio_PrivateKey(in, NULL, no_passphrase, NULL);
	tls_file_free(&file);
	ERR_clear_error(); /* what OpenSSL saw, in codes: said in words */
	if (key == NULL)
		xasprintf(
		    cause, "%s: no unencrypted PEM private key in it", path);
	return key;
}

/* The file the key is read from: its own, or the certificate's. */
static const char *
key_path(const struct conf_cert *c)
{
	return c->key_file != NULL ? c->key_file : c->cert_file;
}

static int
check_key(const struct conf_cert *c, X509 *leaf, EVP_PKEY *key, bool isolation,
    char **cause)
{
	int type = EVP_PKEY_get_base_id(key);
	const char *path = key_path(c);

	if (X509_check_private_key(leaf, key) != 1) {
		ERR_clear_error();
		xasprintf(cause,
		    "%s: the key does not match the certificate %s", path,
		    c->cert_file);
		return -1;
	}
	if (isolation && type != EVP_PKEY_RSA && type != EVP_PKEY_EC) {
		xasprintf(cause,
		    "%s: SSLKeyIsolation keeps RSA and ECDSA keys out of workers; this one is neither (set SSLKeyIsolation off for it)",
		    path);
		return -1;
	}
	return 0;
}

/*
 * The pair C read and checked; *CAUSE begins with the directive whose
 * file is at fault, and *AT_KEY tells whether that is the key's line.
 */
static int
read_pair(const struct conf_cert *c, bool isolation, struct conf_tls_pair *out,
    char **cause, bool *at_key)
{
	EVP_PKEY *key = NULL;
	unsigned char *der = NULL;
	X509 *leaf = NULL;
	char *why = NULL;
	int n, r = -1;

	memset(out, 0, sizeof(*out));
	*at_key = false;
	if (read_chain(c->cert_file, out, &leaf, &why) == -1)
		goto done;
	*at_key = c->key_file != NULL;
	if ((key = read_key(key_path(c), &why)) == NULL ||
	    check_key(c, leaf, key, isolation, &why) == -1)
		goto done;
	if ((n = i2d_PrivateKey(key, &der)) <= 0) {
		xasprintf(&why, "%s: cannot encode the key: %s", key_path(c),
		    tls_error());
		goto done;
	}
	out->key = xmalloc((size_t)n);
	memcpy(out->key, der, (size_t)n);
	out->key_len = (size_t)n;
	out->key_type = EVP_PKEY_get_base_id(key);
	OPENSSL_clear_free(der, (size_t)n);
	r = 0;
done:
	X509_free(leaf);
	EVP_PKEY_free(key);
	if (r == -1) {
		conf_tls_pair_free(out);
		xasprintf(cause, "%s: %s",
		    *at_key ? "SSLCertificateKeyFile" : "SSLCertificateFile",
		    why);
		free(why);
	}
	return r;
}

int
conf_tls_read(const struct conf_cert *c, bool isolation,
    struct conf_tls_pair *out, char **cause)
{
	bool at_key;

	return read_pair(c, isolation, out, cause, &at_key);
}

void
conf_tls_pair_free(struct conf_tls_pair *pair)
{
	free(pair->chain);
	if (pair->key != NULL)
		OPENSSL_cleanse(pair->key, pair->key_len);
	free(pair->key);
	memset(pair, 0, sizeof(*pair));
}

/* W, or the main file when the setting was never written (a default). */
static const struct conf_where *
line_or_main(const struct conf_parser *p, const struct conf_where *w)
{
	return w->line > 0 ? w : &p->main;
}

/* The first cipher of CTX whose key exchange is RSA, NULL if none. */
static const char *
rsa_key_exchange(SSL_CTX *ctx)
{
	STACK_OF(SSL_CIPHER) *list = SSL_CTX_get_ciphers(ctx);
	const SSL_CIPHER *c;
	int i;

	for (i = 0; i < sk_SSL_CIPHER_num(list); i++) {
		c = sk_SSL_CIPHER_value(list, i);
		if (SSL_CIPHER_get_kx_nid(c) == NID_kx_rsa)
			return SSL_CIPHER_get_name(c);
	}
	return NULL;
}

/* The cipher strings, as OpenSSL itself reads them, each at its line. */
static void
check_ciphers(struct conf_parser *p, const struct conf_tls *tls)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		conf_errorf(p,
		    conf_where_of(p, CD_SSL_CIPHER_SUITE, CD_COUNT, CD_COUNT),
		    "SSLCipherSuite: %s", tls_error());
		return;
	}
	if (SSL_CTX_set_cipher_list(ctx, tls->ciphers) != 1)
		conf_errorf(p, line_or_main(p, &p->ciphers_at),
		    "SSLCipherSuite: '%s': %s", tls->ciphers, tls_error());
	else if (conf_keys_isolated(p->conf) && rsa_key_exchange(ctx) != NULL)
		conf_errorf(p, line_or_main(p, &p->ciphers_at),
		    "SSLCipherSuite: '%s' allows RSA key exchange (%s), which decrypts with the private key: the key process only signs (SSLKeyIsolation on); add :!kRSA",
		    tls->ciphers, rsa_key_exchange(ctx));
	if (tls->ciphersuites != NULL &&
	    SSL_CTX_set_ciphersuites(ctx, tls->ciphersuites) != 1)
		conf_errorf(p, line_or_main(p, &p->ciphersuites_at),
		    "SSLCipherSuite: TLSv1.3 '%s': %s", tls->ciphersuites,
		    tls_error());
	SSL_CTX_free(ctx);
}

/* The Listen line of the first https listener, NULL when there is none. */
static const struct conf_where *
first_https(const struct conf_parser *p)
{
	size_t i;

	for (i = 0; i < p->conf->nlisten; i++)
		if (p->conf->listen[i].flags & CONF_LISTEN_HTTPS)
			return &p->listen_at[i];
	return NULL;
}

/* Paths against ServerRoot; with the files at hand, each pair read. */
void
conf_tls_finish(struct conf_parser *p)
{
	struct conf_tls *tls = &p->conf->tls;
	const struct conf_where *https = first_https(p);
	struct conf_tls_pair pair;
	struct conf_cert *c;
	char *cause, *path;
	bool at_key;
	size_t i;

	for (i = 0; i < tls->ncerts; i++) {
		c = &tls->certs[i];
		if (c->cert_file[0] != '/') {
			path =
			    conf_path_join(p->conf->server_root, c->cert_file);
			free(c->cert_file);
			c->cert_file = path;
		}
		if (c->key_file != NULL && c->key_file[0] != '/') {
			path =
			    conf_path_join(p->conf->server_root, c->key_file);
			free(c->key_file);
			c->key_file = path;
		}
	}
	if (https != NULL && tls->ncerts == 0)
		conf_errorf(p, https,
		    "Listen ... https: no SSLCertificateFile to serve it with");
	if (p->flags & CONF_WORKER)
		return;
	for (i = 0; i < tls->ncerts; i++) {
		if (read_pair(&tls->certs[i], tls->key_isolation, &pair, &cause,
			&at_key) == -1) {
			conf_errorf(p, at_key ? &p->key_at[i] : &p->cert_at[i],
			    "%s", cause);
			free(cause);
			continue;
		}
		conf_tls_pair_free(&pair);
	}
	check_ciphers(p, tls);
}
