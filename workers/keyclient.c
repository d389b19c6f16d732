/*
 * Private keys a worker does not hold (SSLKeyIsolation): an EVP_PKEY
 * that has only the certificate's public key and whose private
 * operations OpenSSL routes here (an EC_KEY_METHOD, an RSA_METHOD), sent
 * to the key process over the socket the master gave us. One request at
 * a time a process; a key process that is gone or does not answer fails
 * the handshake at once, never hangs it.
 */
#include "config.h"

/* The EC_KEY and RSA method hooks are deprecated in OpenSSL 3, and still
 * the one way, short of a provider, to run a key's operations elsewhere. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/ratelimit.h"
#include "protocol/keyop.h"
#include "workers/keyclient.h"

#define KEYCLIENT_WAIT_MS  2000 /* for one answer */
#define KEYCLIENT_QUIET_MS 1000 /* after a timeout: fail without asking */
#define KEYCLIENT_WARN_MS  1000 /* one warning a second, at most */

static struct {
	pthread_mutex_t lock;
	int fd; /* -1: none yet, or the key process is gone */
	uint32_t seq;
	int64_t quiet_until; /* it timed out: don't wait on it again yet */
} kc = { PTHREAD_MUTEX_INITIALIZER, -1, 0, 0 };
static struct ratelimit kc_warned = RATELIMIT_INIT(KEYCLIENT_WARN_MS, 1);

static int kc_ec_index = -1, kc_rsa_index = -1; /* ex_data: which pair */
static EC_KEY_METHOD *kc_ec;
static RSA_METHOD *kc_rsa;

void
keyclient_set_socket(int fd)
{
	pthread_mutex_lock(&kc.lock);
	if (kc.fd != -1)
		close(kc.fd);
	kc.fd = fd;
	kc.quiet_until = 0;
	pthread_mutex_unlock(&kc.lock);
}

static void
kc_warn(const char *what)
{
	unsigned held;

	if (!ratelimit_pass(&kc_warned, &held))
		return;
	log_warnx(
	    "key process: %s: failing TLS handshakes until it is back", what);
}

/* Waits for the answer to SEQ, dropping late answers to earlier ones. */
static int
kc_await(uint32_t seq, struct keyop_msg *rep)
{
	int64_t until = mono_ms() + KEYCLIENT_WAIT_MS, left;
	struct pollfd pfd = { .fd = kc.fd, .events = POLLIN };
	int r;

	for (;;) {
		if ((left = until - mono_ms()) <= 0) {
			kc.quiet_until = mono_ms() + KEYCLIENT_QUIET_MS;
			kc_warn("no answer in time");
			return -1;
		}
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
			return -1;
		if ((r = keyop_recv(kc.fd, 'r', rep)) == 1 &&
		    rep->h.rep.seq == seq)
			return rep->h.rep.ok ? (int)rep->h.rep.len : -1;
		if (r == 0 || (r == -1 && errno != EAGAIN)) {
			kc_warn(r == 0 ? "it is gone" : "a broken answer");
			close(kc.fd);
			kc.fd = -1;
			return -1;
		}
	}
}

/* One operation of the key of pair INDEX: the result's length, or -1. */
static int
kc_call(uint32_t index, enum keyop op, int padding, const unsigned char *in,
    size_t inlen, unsigned char *out, size_t outmax)
{
	static struct keyop_msg rep; /* under the lock */
	struct keyop_req req = { .version = KEYOP_VERSION,
		.op = (uint16_t)op,
		.key = index,
		.padding = padding,
		.len = (uint32_t)inlen };
	int n = -1;

	pthread_mutex_lock(&kc.lock);
	if (kc.fd == -1 || mono_ms() < kc.quiet_until)
		kc_warn("not there");
	else {
		req.seq = ++kc.seq;
		if (keyop_send(kc.fd, &req, sizeof(req), in, inlen) == 0)
			n = kc_await(req.seq, &rep);
		if (n >= 0 && (size_t)n <= outmax)
			memcpy(out, rep.data, (size_t)n);
		else
			n = -1;
	}
	pthread_mutex_unlock(&kc.lock);
	return n;
}

static int
kc_ec_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
    unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *ec)
{
	intptr_t index = (intptr_t)EC_KEY_get_ex_data(ec, kc_ec_index);
	int n = kc_call((uint32_t)index, KEYOP_ECDSA_SIGN, 0, dgst,
	    (size_t)dlen, sig, (size_t)ECDSA_size(ec));

	if (n < 0)
		return 0;
	*siglen = (unsigned int)n;
	return 1;
}

static ECDSA_SIG *
kc_ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
    const BIGNUM *r, EC_KEY *ec)
{
	unsigned char der[KEYOP_DATA_MAX];
	const unsigned char *p = der;
	unsigned int len;

	if (kc_ec_sign(0, dgst, dlen, der, &len, kinv, r, ec) != 1)
		return NULL;
	return d2i_ECDSA_SIG(NULL, &p, (long)len);
}

static int
kc_rsa_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
    int padding)
{
	intptr_t index = (intptr_t)RSA_get_ex_data(rsa, kc_rsa_index);

	return kc_call((uint32_t)index, KEYOP_RSA_PRIVATE_ENCRYPT, padding,
	    from, (size_t)flen, to, (size_t)RSA_size(rsa));
}

static int
kc_rsa_dec(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
    int padding)
{
	intptr_t index = (intptr_t)RSA_get_ex_data(rsa, kc_rsa_index);

	return kc_call((uint32_t)index, KEYOP_RSA_PRIVATE_DECRYPT, padding,
	    from, (size_t)flen, to, (size_t)RSA_size(rsa));
}

static int
kc_methods(void)
{
	if (kc_ec != NULL)
		return 0;
	kc_ec_index = CRYPTO_get_ex_new_index(
	    CRYPTO_EX_INDEX_EC_KEY, 0, NULL, NULL, NULL, NULL);
	kc_rsa_index = CRYPTO_get_ex_new_index(
	    CRYPTO_EX_INDEX_RSA, 0, NULL, NULL, NULL, NULL);
	if (kc_ec_index == -1 || kc_rsa_index == -1 ||
	    (kc_ec = EC_KEY_METHOD_new(EC_KEY_get_default_method())) == NULL ||
	    (kc_rsa = RSA_meth_dup(RSA_get_default_method())) == NULL)
		return -1;
	EC_KEY_METHOD_set_sign(kc_ec, kc_ec_sign, NULL, kc_ec_sign_sig);
	RSA_meth_set_priv_enc(kc_rsa, kc_rsa_enc);
	RSA_meth_set_priv_dec(kc_rsa, kc_rsa_dec);
	return 0;
}

static EVP_PKEY *
kc_ec_key(EVP_PKEY *pub, uint32_t index)
{
	EC_KEY *ec = EC_KEY_dup(EVP_PKEY_get0_EC_KEY(pub));
	EVP_PKEY *out = EVP_PKEY_new();

	if (ec == NULL || out == NULL || EC_KEY_set_method(ec, kc_ec) != 1 ||
	    EC_KEY_set_ex_data(ec, kc_ec_index, (void *)(intptr_t)index) != 1 ||
	    EVP_PKEY_assign_EC_KEY(out, ec) != 1) {
		EC_KEY_free(ec);
		EVP_PKEY_free(out);
		return NULL;
	}
	return out;
}

static EVP_PKEY *
kc_rsa_key(EVP_PKEY *pub, uint32_t index)
{
	RSA *rsa = RSAPublicKey_dup(EVP_PKEY_get0_RSA(pub));
	EVP_PKEY *out = EVP_PKEY_new();

	if (rsa == NULL || out == NULL || RSA_set_method(rsa, kc_rsa) != 1 ||
	    RSA_set_ex_data(rsa, kc_rsa_index, (void *)(intptr_t)index) != 1 ||
	    EVP_PKEY_assign_RSA(out, rsa) != 1) {
		RSA_free(rsa);
		EVP_PKEY_free(out);
		return NULL;
	}
	return out;
}

EVP_PKEY *
keyclient_pkey(X509 *cert, uint32_t index)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert), *out = NULL;

	if (pub == NULL || kc_methods() == -1)
		return NULL;
	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_EC:
		out = kc_ec_key(pub, index);
		break;
	case EVP_PKEY_RSA:
		out = kc_rsa_key(pub, index);
		break;
	}
	return out;
}
