/*
 * A worker's TLS: an SSL_CTX per certificate/key pair, the first the
 * default and the others chosen by SNI, built from what the master sent
 * in the handshake. mod_ssl's settings (protocols, ciphers, server
 * preference), ALPN http/1.1, session tickets with the master's keys
 * (shared by every worker of every generation), kTLS when the kernel has
 * it. Keys come from the key process unless SSLKeyIsolation is off.
 */
#include "config.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <pthread.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "workers/keyclient.h"
#include "workers/tls.h"

#define TLS_TICKET_KEYS_HELD 2 /* rotations an old key still decrypts */

static const unsigned char tls_alpn[] = "\x08http/1.1";

static struct {
	SSL_CTX *ctx[IPC_TLS_MAX_PAIRS];
	X509 *leaf[IPC_TLS_MAX_PAIRS]; /* for SNI */
	size_t n;
	bool isolated; /* the keys sign in the key process */
	pthread_mutex_t tickets_lock;
	struct ipc_ticket_keys tickets;
} tls = { .tickets_lock = PTHREAD_MUTEX_INITIALIZER };

static const char *
tls_error(void)
{
	static __thread char text[160];
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	ERR_error_string_n(e, text, sizeof(text));
	return e != 0 ? text : "no error reported";
}

/* The pair whose certificate names the host the client asked for. */
static int
tls_on_servername(SSL *ssl, int *alert, void *arg)
{
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	size_t i;

	if (name == NULL)
		return SSL_TLSEXT_ERR_NOACK;
	for (i = 1; i < tls.n; i++)
		if (X509_check_host(tls.leaf[i], name, 0, 0, NULL) == 1) {
			SSL_set_SSL_CTX(ssl, tls.ctx[i]);
			return SSL_TLSEXT_ERR_OK;
		}
	return SSL_TLSEXT_ERR_NOACK; /* the default pair serves it */
}

/* http/1.1 or nothing: a client that offers only h2 decides for itself. */
static int
tls_on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned char *sel;

	if (SSL_select_next_proto(&sel, outlen, tls_alpn, sizeof(tls_alpn) - 1,
		in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static int
ticket_mac(EVP_MAC_CTX *hctx, const struct ipc_ticket_key *k)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(
		    OSSL_MAC_PARAM_KEY, (void *)k->hmac, sizeof(k->hmac)),
		OSSL_PARAM_construct_utf8_string(
		    OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	return EVP_MAC_CTX_set_params(hctx, params);
}

/*
 * New tickets under the newest key; an old ticket under any key still
 * held (renewed when it is not the newest). 0: unknown, full handshake.
 */
static int
tls_on_ticket(SSL *ssl, unsigned char name[16], unsigned char *iv,
    EVP_CIPHER_CTX *ectx, EVP_MAC_CTX *hctx, int enc)
{
	struct ipc_ticket_key key;
	uint32_t i;
	int r = 0;

	pthread_mutex_lock(&tls.tickets_lock);
	for (i = 0; i < tls.tickets.n; i++)
		if (enc || memcmp(name, tls.tickets.keys[i].name,
			       IPC_TICKET_NAME) == 0)
			break;
	if (i < tls.tickets.n)
		key = tls.tickets.keys[i];
	pthread_mutex_unlock(&tls.tickets_lock);
	if (i == tls.tickets.n)
		return 0;
	if (enc) {
		memcpy(name, key.name, IPC_TICKET_NAME);
		if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1 ||
		    EVP_EncryptInit_ex(
			ectx, EVP_aes_256_cbc(), NULL, key.aes, iv) != 1)
			r = -1;
		else
			r = ticket_mac(hctx, &key) == 1 ? 1 : -1;
	} else if (EVP_DecryptInit_ex(
		       ectx, EVP_aes_256_cbc(), NULL, key.aes, iv) == 1 &&
		   ticket_mac(hctx, &key) == 1)
		r = i == 0 ? 1 : 2; /* 2: an older key, a new ticket follows */
	else
		r = -1;
	OPENSSL_cleanse(&key, sizeof(key));
	return r;
}

void
tls_ticket_keys(const struct ipc_ticket_keys *ring)
{
	pthread_mutex_lock(&tls.tickets_lock);
	tls.tickets = *ring;
	if (tls.tickets.n > IPC_TICKET_KEYS_MAX)
		tls.tickets.n = IPC_TICKET_KEYS_MAX;
	pthread_mutex_unlock(&tls.tickets_lock);
}

static int
tls_ctx_settings(SSL_CTX *ctx, const struct conf_tls *c, char **cause)
{
	SSL_CTX_set_min_proto_version(ctx,
	    (c->protocols & CONF_TLS_1_2) ? TLS1_2_VERSION : TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx,
	    (c->protocols & CONF_TLS_1_3) ? TLS1_3_VERSION : TLS1_2_VERSION);
	SSL_CTX_set_options(
	    ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION |
		     SSL_OP_ENABLE_KTLS |
		     (c->session_tickets ? 0 : SSL_OP_NO_TICKET));
	/* TLS 1.3 resumes with (EC)DHE only: a ticket key opens no session */
	SSL_CTX_clear_options(ctx, SSL_OP_ALLOW_NO_DHE_KEX);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				  SSL_MODE_RELEASE_BUFFERS);
	/* No cache: each worker's would be its own; tickets resume anywhere. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_timeout(ctx, TLS_TICKET_KEYS_HELD * c->ticket_lifetime);
	SSL_CTX_set_alpn_select_cb(ctx, tls_on_alpn, NULL);
	SSL_CTX_set_tlsext_servername_callback(ctx, tls_on_servername);
	if (c->session_tickets)
		SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, tls_on_ticket);
	if (SSL_CTX_set_cipher_list(ctx, c->ciphers) != 1 ||
	    (c->ciphersuites != NULL &&
		SSL_CTX_set_ciphersuites(ctx, c->ciphersuites) != 1)) {
		xasprintf(cause, "ciphers: %s", tls_error());
		return -1;
	}
	return 0;
}

/* The chain: the first certificate is the leaf, the rest its chain. */
static int
tls_ctx_chain(SSL_CTX *ctx, const struct ipc_tls_buf *pem, X509 **leaf)
{
	BIO *in = BIO_new_mem_buf(pem->data, (int)pem->len);
	X509 *x;
	int r = -1;

	if (in == NULL ||
	    (*leaf = PEM_read_bio_X509(in, NULL, NULL, NULL)) == NULL ||
	    SSL_CTX_use_certificate(ctx, *leaf) != 1)
		goto done;
	while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL)
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			X509_free(x);
			goto done;
		}
	ERR_clear_error(); /* the end of the chain */
	r = 0;
done:
	BIO_free(in);
	return r;
}

static EVP_PKEY *
tls_key(const struct ipc_tls_buf *der, X509 *leaf, uint32_t index)
{
	const unsigned char *p;

	if (der == NULL) {
		tls.isolated = true;
		return keyclient_pkey(leaf, index);
	}
	p = der->data;
	return d2i_AutoPrivateKey(NULL, &p, (long)der->len);
}

int
tls_setup(const struct conf_tls *c, const struct ipc_tls_buf *certs,
    const struct ipc_tls_buf *keys, size_t n, char **cause)
{
	EVP_PKEY *key;
	SSL_CTX *ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
		    tls_ctx_settings(ctx, c, cause) == -1) {
			SSL_CTX_free(ctx);
			return -1;
		}
		tls.ctx[tls.n] = ctx;
		tls.n++;
		if (tls_ctx_chain(ctx, &certs[i], &tls.leaf[i]) == -1 ||
		    (key = tls_key(keys != NULL ? &keys[i] : NULL, tls.leaf[i],
			 (uint32_t)i)) == NULL) {
			xasprintf(cause, "pair %zu: %s", i, tls_error());
			return -1;
		}
		if (SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1) {
			EVP_PKEY_free(key);
			xasprintf(cause, "pair %zu: %s", i, tls_error());
			return -1;
		}
		EVP_PKEY_free(key);
	}
	return 0;
}

bool
tls_enabled(void)
{
	return tls.n > 0;
}

SSL *
tls_new(int fd, bool async)
{
	SSL *ssl;

	if (tls.n == 0 || (ssl = SSL_new(tls.ctx[0])) == NULL)
		return NULL;
	if (SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_accept_state(ssl);
	if (async && tls.isolated)
		SSL_set_mode(ssl, SSL_MODE_ASYNC); /* cleared once it is done */
	return ssl;
}

void
tls_free(SSL *ssl)
{
	if (ssl == NULL)
		return;
	if (SSL_waiting_for_async(ssl))
		keyclient_abandon(ssl);
	SSL_free(ssl);
}
