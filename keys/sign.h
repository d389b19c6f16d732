/*
 * The key process's keys and the one thing it does with them: sign a
 * TLS handshake's digest with a scheme the service offers (keyop.h),
 * padding done here. No raw RSA, no decryption, whatever is asked.
 */
#ifndef MPMD_KEYS_SIGN_H
#define MPMD_KEYS_SIGN_H

#include <openssl/evp.h>

#include <stddef.h>

#include "protocol/keyop.h"

#define SIGN_MAX_KEYS 16 /* CONF_MAX_CERTS */

#define SIGN_SCHEMES 3 /* enum keyop_scheme, from 1 */
#define SIGN_HASHES  3 /* enum keyop_hash, from 1 */

struct sign_keys {
	EVP_PKEY *key[SIGN_MAX_KEYS];
	size_t n;
	/* a context set up for each key, scheme and hash, made on first use */
	EVP_PKEY_CTX *ctx[SIGN_MAX_KEYS][SIGN_SCHEMES][SIGN_HASHES];
};

/* OpenSSL's type of key INDEX (EVP_PKEY_RSA, EVP_PKEY_EC), 0 if none. */
int sign_key_type(const struct sign_keys *k, uint32_t index);

/*
 * Signs REQ into SIG (KEYOP_SIG_MAX bytes), *LEN bytes of it. KEYOP_OK,
 * KEYOP_REFUSED with *WHY for a request the service does not take, or
 * KEYOP_FAILED when OpenSSL could not sign.
 */
enum keyop_status sign_request(struct sign_keys *k, const struct keyop_req *req,
    unsigned char *sig, size_t *len, const char **why);

/*
 * One signature with every key and each of its schemes, so that whatever
 * OpenSSL sets up on first use (providers, the random generator) is done
 * before the sandbox closes. -1 with *WHY if a key cannot sign.
 */
int sign_warm_up(struct sign_keys *k, const char **why);

void sign_keys_free(struct sign_keys *k);

#endif
