/*
 * Private keys a worker does not hold (SSLKeyIsolation). Such a key has
 * the certificate's public half and an RSA_METHOD or EC_KEY_METHOD that
 * refuses every private operation; that makes it "foreign" to OpenSSL,
 * whose signing then goes through the EVP_PKEY_METHOD registered here:
 * its sign() takes the handshake digest with the scheme's padding and
 * hash, and asks the key process (protocol/keyop.h) for the signature.
 *
 * Each request has its reply socket. Inside an OpenSSL async job
 * (mpm-event sets SSL_MODE_ASYNC for the handshake) the job pauses with
 * that socket as its wait fd, and the event loop serves its other
 * connections meanwhile; elsewhere the calling thread waits on it alone,
 * KEYCLIENT_WAIT_MS at most. A key process that is gone fails the
 * handshakes waiting on it at once (their sockets read end of file).
 */
#include "config.h"

/* The RSA, EC_KEY and EVP_PKEY_METHOD hooks are deprecated in OpenSSL 3,
 * and still the one way, short of a provider, to sign elsewhere. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/async.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/ratelimit.h"
#include "protocol/keyop.h"
#include "workers/keyclient.h"

#define KEYCLIENT_WAIT_MS      2000 /* a blocking thread, for one answer */
#define KEYCLIENT_WARN_MS      1000 /* one warning a second, at most */
#define KEYCLIENT_INFLIGHT_MAX 256  /* requests a process has out at once */
#define KEYCLIENT_POOL         8    /* reply socketpairs a thread keeps */

/* A reply socketpair: the key process gets THEIRS with each request. */
struct kc_pair {
	int mine, theirs;
};

static atomic_int kc_fd = -1; /* -1: none yet */
static atomic_uint kc_inflight;
static struct ratelimit kc_warned = RATELIMIT_INIT(KEYCLIENT_WARN_MS, 1);
static __thread bool kc_abandoning; /* resume a job only to end it */
/* Pairs whose last reply was read whole: nothing late can come on them */
static __thread struct kc_pair kc_pool[KEYCLIENT_POOL];
static __thread unsigned kc_pooled;
static const char kc_wait_key; /* names our fd in a job's wait context */

static int kc_ec_index = -1, kc_rsa_index = -1; /* ex_data: which pair */
static EC_KEY_METHOD *kc_ec;
static RSA_METHOD *kc_rsa;
static pthread_once_t kc_once = PTHREAD_ONCE_INIT;
static bool kc_ready;

/* The pmeths' own sign() for keys that are not ours. */
static int (*kc_rsa_sign_orig)(
    EVP_PKEY_CTX *, unsigned char *, size_t *, const unsigned char *, size_t);
static int (*kc_ec_sign_orig)(
    EVP_PKEY_CTX *, unsigned char *, size_t *, const unsigned char *, size_t);

/*
 * A new key process's socket takes the old one's place with dup3(): a
 * thread sending on it meanwhile never sends on a number reused since.
 */
void
keyclient_set_socket(int fd)
{
	int old = atomic_load(&kc_fd);

	if (old == -1) {
		atomic_store(&kc_fd, fd);
		return;
	}
	if (dup3(fd, old, O_CLOEXEC) == -1)
		log_warn("taking the new key process's socket");
	close(fd);
}

static void
kc_warn(const char *what)
{
	unsigned held;

	if (ratelimit_pass(&kc_warned, &held))
		log_warnx(
		    "key process: %s: TLS handshakes fail (%u more held back)",
		    what, held);
}

/* Pauses the job until SOCK is readable; false when it is to end. */
static bool
kc_pause(ASYNC_JOB *job, int sock)
{
	ASYNC_WAIT_CTX *wctx = ASYNC_get_wait_ctx(job);
	bool ok;

	if (ASYNC_WAIT_CTX_set_wait_fd(wctx, &kc_wait_key, sock, NULL, NULL) !=
	    1)
		return false;
	ok = ASYNC_pause_job() == 1 && !kc_abandoning;
	ASYNC_WAIT_CTX_clear_fd(wctx, &kc_wait_key);
	return ok;
}

/* The reply on SOCK: 1, or -1 (logged) when there is none to be had. */
static int
kc_await(int sock, struct keyop_rep *rep)
{
	ASYNC_JOB *job = ASYNC_get_current_job();
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	int r;

	for (;;) {
		if ((r = keyop_recv_reply(sock, rep)) == 1)
			return 1;
		if (r == 0 || errno != EAGAIN) {
			kc_warn(r == 0 ? "it is gone" : "a broken answer");
			return -1;
		}
		if (job != NULL && !kc_pause(job, sock))
			return -1; /* the connection is being closed */
		if (job == NULL &&
		    (r = poll(&pfd, 1, KEYCLIENT_WAIT_MS)) <= 0 &&
		    !(r == -1 && errno == EINTR)) {
			kc_warn("no answer in time");
			return -1;
		}
	}
}

static int
kc_pair_take(struct kc_pair *p)
{
	int sv[2];

	if (kc_pooled > 0) {
		*p = kc_pool[--kc_pooled];
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
		0, sv) == -1) {
		log_warn("socketpair for a key request");
		return -1;
	}
	p->mine = sv[0];
	p->theirs = sv[1];
	return 0;
}

/* Back to the pool after a whole reply (CLEAN); else a late one may come. */
static void
kc_pair_give(const struct kc_pair *p, bool clean)
{
	if (clean && kc_pooled < KEYCLIENT_POOL) {
		kc_pool[kc_pooled++] = *p;
		return;
	}
	close(p->mine);
	close(p->theirs);
}

/* REQ to the key process: the signature's length in SIG, or -1. */
static int
kc_call(const struct keyop_req *req, unsigned char *sig, size_t max)
{
	struct keyop_rep rep = { .status = KEYOP_FAILED };
	int n = -1, fd = atomic_load(&kc_fd);
	struct kc_pair pair;
	bool answered = false;

	if (fd == -1) {
		kc_warn("not there");
		return -1;
	}
	if (atomic_fetch_add(&kc_inflight, 1) >= KEYCLIENT_INFLIGHT_MAX) {
		kc_warn("too many handshakes wait for it");
		atomic_fetch_sub(&kc_inflight, 1);
		return -1;
	}
	if (kc_pair_take(&pair) == 0) {
		if (keyop_send_request(fd, req, pair.theirs) == -1)
			kc_warn(errno == EAGAIN ? "it is not keeping up"
						: "it is gone");
		else if ((answered = kc_await(pair.mine, &rep) == 1) &&
			 rep.status == KEYOP_OK && rep.len <= max) {
			memcpy(sig, rep.sig, rep.len);
			n = (int)rep.len;
		} else if (rep.status == KEYOP_REFUSED)
			kc_warn("it refused a request");
		kc_pair_give(&pair, answered);
	}
	atomic_fetch_sub(&kc_inflight, 1);
	return n;
}

static unsigned
kc_hash(const EVP_MD *md)
{
	switch (md != NULL ? EVP_MD_get_type(md) : 0) {
	case NID_sha256:
		return KEYOP_SHA256;
	case NID_sha384:
		return KEYOP_SHA384;
	case NID_sha512:
		return KEYOP_SHA512;
	default:
		return 0;
	}
}

/* The scheme CTX asks for, 0 for one the service does not offer. */
static unsigned
kc_scheme(EVP_PKEY_CTX *ctx, int type, size_t hashlen)
{
	int pad = 0, salt = 0;

	if (type == EVP_PKEY_EC)
		return KEYOP_ECDSA;
	if (EVP_PKEY_CTX_get_rsa_padding(ctx, &pad) != 1)
		return 0;
	if (pad == RSA_PKCS1_PADDING)
		return KEYOP_RSA_PKCS1;
	if (pad != RSA_PKCS1_PSS_PADDING ||
	    EVP_PKEY_CTX_get_rsa_pss_saltlen(ctx, &salt) != 1 ||
	    (salt != RSA_PSS_SALTLEN_DIGEST && (size_t)salt != hashlen))
		return 0;
	return KEYOP_RSA_PSS;
}

/* Whose pair a key of ours is, -1 for a key that is not ours. */
static long
kc_index(EVP_PKEY *pkey)
{
	const RSA *rsa;
	const EC_KEY *ec;

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		rsa = EVP_PKEY_get0_RSA(pkey);
		return rsa != NULL && RSA_get_method(rsa) == kc_rsa
			   ? (long)(intptr_t)RSA_get_ex_data(rsa, kc_rsa_index)
			   : -1;
	case EVP_PKEY_EC:
		ec = EVP_PKEY_get0_EC_KEY(pkey);
		return ec != NULL && EC_KEY_get_method(ec) == kc_ec
			   ? (long)(intptr_t)EC_KEY_get_ex_data(ec, kc_ec_index)
			   : -1;
	default:
		return -1;
	}
}

/* The pmeths' sign(): the key process signs TBS, the digest, for ours. */
static int
kc_sign(EVP_PKEY_CTX *ctx, unsigned char *sig, size_t *siglen,
    const unsigned char *tbs, size_t tbslen)
{
	EVP_PKEY *pkey = EVP_PKEY_CTX_get0_pkey(ctx);
	int type = EVP_PKEY_get_base_id(pkey), n;
	long index = kc_index(pkey);
	struct keyop_req req;
	const EVP_MD *md = NULL;

	if (index < 0)
		return (type == EVP_PKEY_EC
			    ? kc_ec_sign_orig
			    : kc_rsa_sign_orig)(ctx, sig, siglen, tbs, tbslen);
	if (sig == NULL) {
		*siglen = (size_t)EVP_PKEY_get_size(pkey);
		return 1;
	}
	memset(&req, 0, sizeof(req));
	req.version = KEYOP_VERSION;
	req.key = (uint32_t)index;
	if (EVP_PKEY_CTX_get_signature_md(ctx, &md) != 1 ||
	    (req.hash = (uint8_t)kc_hash(md)) == 0 ||
	    tbslen != keyop_hash_len(req.hash) ||
	    (req.scheme = (uint8_t)kc_scheme(ctx, type, tbslen)) == 0)
		return 0; /* nothing the key process would sign */
	req.len = (uint32_t)tbslen;
	memcpy(req.digest, tbs, tbslen);
	if ((n = kc_call(&req, sig, *siglen)) < 0)
		return 0;
	*siglen = (size_t)n;
	return 1;
}

/* What the key's own methods would do with the private half: nothing. */
static int
kc_rsa_refuse(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
    int padding)
{
	return -1;
}

static int
kc_ec_refuse(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
    unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *ec)
{
	return 0;
}

static ECDSA_SIG *
kc_ec_refuse_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
    const BIGNUM *r, EC_KEY *ec)
{
	return NULL;
}

/* ID's built-in pmeth with our sign(); the original's kept in *ORIG. */
static int
kc_pmeth(int id, int (**orig)(EVP_PKEY_CTX *, unsigned char *, size_t *,
		     const unsigned char *, size_t))
{
	const EVP_PKEY_METHOD *base = EVP_PKEY_meth_find(id);
	EVP_PKEY_METHOD *m;
	int (*init)(EVP_PKEY_CTX *);

	if (base == NULL || (m = EVP_PKEY_meth_new(id, 0)) == NULL)
		return -1;
	EVP_PKEY_meth_copy(m, base);
	EVP_PKEY_meth_get_sign(base, &init, orig);
	EVP_PKEY_meth_set_sign(m, init, kc_sign);
	if (EVP_PKEY_meth_add0(m) != 1) {
		EVP_PKEY_meth_free(m);
		return -1;
	}
	return 0;
}

static void
kc_methods_once(void)
{
	kc_ec_index = CRYPTO_get_ex_new_index(
	    CRYPTO_EX_INDEX_EC_KEY, 0, NULL, NULL, NULL, NULL);
	kc_rsa_index = CRYPTO_get_ex_new_index(
	    CRYPTO_EX_INDEX_RSA, 0, NULL, NULL, NULL, NULL);
	if (kc_ec_index == -1 || kc_rsa_index == -1 ||
	    (kc_ec = EC_KEY_METHOD_new(EC_KEY_get_default_method())) == NULL ||
	    (kc_rsa = RSA_meth_dup(RSA_get_default_method())) == NULL ||
	    kc_pmeth(EVP_PKEY_RSA, &kc_rsa_sign_orig) == -1 ||
	    kc_pmeth(EVP_PKEY_EC, &kc_ec_sign_orig) == -1)
		return;
	EC_KEY_METHOD_set_sign(kc_ec, kc_ec_refuse, NULL, kc_ec_refuse_sig);
	RSA_meth_set_priv_enc(kc_rsa, kc_rsa_refuse);
	RSA_meth_set_priv_dec(kc_rsa, kc_rsa_refuse);
	kc_ready = true;
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

	pthread_once(&kc_once, kc_methods_once);
	if (pub == NULL || !kc_ready)
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

void
keyclient_abandon(SSL *ssl)
{
	int r;

	kc_abandoning = true;
	while (SSL_waiting_for_async(ssl) && (r = SSL_do_handshake(ssl)) <= 0 &&
	       SSL_get_error(ssl, r) == SSL_ERROR_WANT_ASYNC)
		; /* the job wakes, sees it is abandoned, and fails */
	kc_abandoning = false;
}
