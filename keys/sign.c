/* Signing handshake digests with the scheme a worker names: see sign.h. */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <string.h>

#include "keys/sign.h"

int
sign_key_type(const struct sign_keys *k, uint32_t index)
{
	if (index >= k->n || k->key[index] == NULL)
		return 0;
	return EVP_PKEY_get_base_id(k->key[index]);
}

static const EVP_MD *
sign_md(unsigned hash)
{
	switch (hash) {
	case KEYOP_SHA256:
		return EVP_sha256();
	case KEYOP_SHA384:
		return EVP_sha384();
	case KEYOP_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

/* The padding the scheme asks for, set on CTX with its hash. */
static int
sign_setup(EVP_PKEY_CTX *ctx, const struct keyop_req *req)
{
	const EVP_MD *md = sign_md(req->hash);

	if (EVP_PKEY_sign_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, md) != 1)
		return -1;
	switch (req->scheme) {
	case KEYOP_RSA_PSS:
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) !=
			1 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(
			ctx, RSA_PSS_SALTLEN_DIGEST) != 1)
			return -1;
		break;
	case KEYOP_RSA_PKCS1:
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1)
			return -1;
		break;
	}
	return 0;
}

/* The context for REQ (checked already), set up the first time. */
static EVP_PKEY_CTX *
sign_ctx(struct sign_keys *k, const struct keyop_req *req)
{
	EVP_PKEY_CTX **slot = &k->ctx[req->key][req->scheme - 1][req->hash - 1];

	if (*slot != NULL)
		return *slot;
	if ((*slot = EVP_PKEY_CTX_new(k->key[req->key], NULL)) != NULL &&
	    sign_setup(*slot, req) == -1) {
		EVP_PKEY_CTX_free(*slot);
		*slot = NULL;
	}
	return *slot;
}

enum keyop_status
sign_request(struct sign_keys *k, const struct keyop_req *req,
    unsigned char *sig, size_t *len, const char **why)
{
	EVP_PKEY_CTX *ctx;

	*len = 0;
	if ((*why = keyop_refusal(req, sign_key_type(k, req->key))) != NULL)
		return KEYOP_REFUSED;
	*why = "OpenSSL could not sign";
	if ((ctx = sign_ctx(k, req)) == NULL)
		return KEYOP_FAILED;
	/* KEYOP_SIG_MAX holds any signature of a key we take (RSA-8192) */
	*len = KEYOP_SIG_MAX;
	if (EVP_PKEY_sign(ctx, sig, len, req->digest, req->len) != 1 ||
	    *len > KEYOP_SIG_MAX) {
		*len = 0;
		return KEYOP_FAILED;
	}
	*why = NULL;
	return KEYOP_OK;
}

int
sign_warm_up(struct sign_keys *k, const char **why)
{
	static const unsigned rsa[] = { KEYOP_RSA_PSS, KEYOP_RSA_PKCS1 };
	static const unsigned ec[] = { KEYOP_ECDSA };
	unsigned char sig[KEYOP_SIG_MAX];
	struct keyop_req req;
	const unsigned *schemes;
	size_t i, j, n, len;
	unsigned h;

	for (i = 0; i < k->n; i++) {
		memset(&req, 0, sizeof(req));
		req.version = KEYOP_VERSION;
		req.key = (uint32_t)i;
		schemes = sign_key_type(k, req.key) == EVP_PKEY_EC ? ec : rsa;
		n = schemes == ec ? 1 : 2;
		for (j = 0; j < n; j++)
			for (h = KEYOP_SHA256; h <= KEYOP_SHA512; h++) {
				req.scheme = (uint8_t)schemes[j];
				req.hash = (uint8_t)h;
				req.len = (uint32_t)keyop_hash_len(h);
				if (sign_request(k, &req, sig, &len, why) !=
				    KEYOP_OK)
					return -1;
			}
	}
	return 0;
}

void
sign_keys_free(struct sign_keys *k)
{
	size_t i, s, h;

	for (i = 0; i < k->n; i++) {
		for (s = 0; s < SIGN_SCHEMES; s++)
			for (h = 0; h < SIGN_HASHES; h++)
				EVP_PKEY_CTX_free(k->ctx[i][s][h]);
		EVP_PKEY_free(k->key[i]);
	}
	memset(k, 0, sizeof(*k));
}
