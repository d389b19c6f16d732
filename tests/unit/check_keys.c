/*
 * Check suite for the key process's signing service: which requests it
 * refuses (protocol/keyop.c), the signatures it makes per scheme, checked
 * with the public key as a TLS peer would (keys/sign.c), and the framing
 * of requests with their reply socket.
 */
#include "config.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "keys/sign.h"
#include "protocol/keyop.h"
#include "tests/unit/ck.h"

#define NROWS(t) ((int)(sizeof(t) / sizeof((t)[0])))

static struct sign_keys keys; /* 0: EC P-256, 1: RSA-2048 */

static void
keys_make(void)
{
	keys.key[0] = EVP_EC_gen("P-256");
	keys.key[1] = EVP_RSA_gen(2048);
	ck_assert_ptr_nonnull(keys.key[0]);
	ck_assert_ptr_nonnull(keys.key[1]);
	keys.n = 2;
}

static void
keys_drop(void)
{
	sign_keys_free(&keys);
}

static struct keyop_req
req_of(uint32_t key, unsigned scheme, unsigned hash, size_t len)
{
	struct keyop_req r;

	memset(&r, 0, sizeof(r));
	r.version = KEYOP_VERSION;
	r.key = key;
	r.scheme = (uint8_t)scheme;
	r.hash = (uint8_t)hash;
	r.len = (uint32_t)len;
	ck_assert_int_eq(RAND_bytes(r.digest, sizeof(r.digest)), 1);
	return r;
}

static const struct {
	int line;
	unsigned scheme, hash;
	size_t len;
	int key_type;
	bool taken;
} refusal_rows[] = {
	{ CK_ROW, KEYOP_ECDSA, KEYOP_SHA256, 32, EVP_PKEY_EC, true },
	{ CK_ROW, KEYOP_ECDSA, KEYOP_SHA384, 48, EVP_PKEY_EC, true },
	{ CK_ROW, KEYOP_ECDSA, KEYOP_SHA512, 64, EVP_PKEY_EC, true },
	{ CK_ROW, KEYOP_RSA_PSS, KEYOP_SHA256, 32, EVP_PKEY_RSA, true },
	{ CK_ROW, KEYOP_RSA_PKCS1, KEYOP_SHA384, 48, EVP_PKEY_RSA, true },
	/* a digest whose length is not its hash's */
	{ CK_ROW, KEYOP_ECDSA, KEYOP_SHA256, 31, EVP_PKEY_EC, false },
	{ CK_ROW, KEYOP_ECDSA, KEYOP_SHA256, 64, EVP_PKEY_EC, false },
	{ CK_ROW, KEYOP_RSA_PSS, KEYOP_SHA384, 32, EVP_PKEY_RSA, false },
	{ CK_ROW, KEYOP_RSA_PKCS1, KEYOP_SHA256, 0, EVP_PKEY_RSA, false },
	/* no raw RSA, no decryption: no such schemes */
	{ CK_ROW, 0, KEYOP_SHA256, 32, EVP_PKEY_RSA, false },
	{ CK_ROW, 4, KEYOP_SHA256, 32, EVP_PKEY_RSA, false },
	{ CK_ROW, 255, KEYOP_SHA256, 32, EVP_PKEY_RSA, false },
	/* a scheme of the other kind of key */
	{ CK_ROW, KEYOP_ECDSA, KEYOP_SHA256, 32, EVP_PKEY_RSA, false },
	{ CK_ROW, KEYOP_RSA_PSS, KEYOP_SHA256, 32, EVP_PKEY_EC, false },
	/* an unknown hash; no key at that index */
	{ CK_ROW, KEYOP_ECDSA, 0, 32, EVP_PKEY_EC, false },
	{ CK_ROW, KEYOP_ECDSA, 4, 32, EVP_PKEY_EC, false },
	{ CK_ROW, KEYOP_ECDSA, KEYOP_SHA256, 32, 0, false },
};

START_TEST(test_refusal)
{
	struct keyop_req r = req_of(0, refusal_rows[_i].scheme,
	    refusal_rows[_i].hash, refusal_rows[_i].len);
	const char *why = keyop_refusal(&r, refusal_rows[_i].key_type);

	ck_assert_msg((why == NULL) == refusal_rows[_i].taken, "row %d: %s",
	    refusal_rows[_i].line, why ? why : "taken");
}
END_TEST

/* SIG verifies against KEY's public half under REQ's scheme and hash. */
static bool
verifies(EVP_PKEY *key, const struct keyop_req *req, const unsigned char *sig,
    size_t len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	const EVP_MD *md = req->hash == KEYOP_SHA256   ? EVP_sha256()
			   : req->hash == KEYOP_SHA384 ? EVP_sha384()
						       : EVP_sha512();
	int ok;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(EVP_PKEY_verify_init(ctx), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_signature_md(ctx, md), 1);
	if (req->scheme == KEYOP_RSA_PSS) {
		ck_assert_int_eq(
		    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING),
		    1);
		/* TLS 1.3: the salt is exactly the hash's length */
		ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(
				     ctx, (int)keyop_hash_len(req->hash)),
		    1);
	} else if (req->scheme == KEYOP_RSA_PKCS1)
		ck_assert_int_eq(
		    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
	ok = EVP_PKEY_verify(ctx, sig, len, req->digest, req->len);
	EVP_PKEY_CTX_free(ctx);
	return ok == 1;
}

static const struct {
	int line;
	uint32_t key;
	unsigned scheme, hash;
} sign_rows[] = {
	{ CK_ROW, 0, KEYOP_ECDSA, KEYOP_SHA256 },
	{ CK_ROW, 0, KEYOP_ECDSA, KEYOP_SHA384 },
	{ CK_ROW, 1, KEYOP_RSA_PSS, KEYOP_SHA256 },
	{ CK_ROW, 1, KEYOP_RSA_PSS, KEYOP_SHA512 },
	{ CK_ROW, 1, KEYOP_RSA_PKCS1, KEYOP_SHA256 },
	{ CK_ROW, 1, KEYOP_RSA_PKCS1, KEYOP_SHA384 },
};

START_TEST(test_sign_scheme)
{
	struct keyop_req r = req_of(sign_rows[_i].key, sign_rows[_i].scheme,
	    sign_rows[_i].hash, keyop_hash_len(sign_rows[_i].hash));
	unsigned char sig[KEYOP_SIG_MAX];
	const char *why = NULL;
	size_t len;

	ck_assert_msg(sign_request(&keys, &r, sig, &len, &why) == KEYOP_OK,
	    "row %d: %s", sign_rows[_i].line, why);
	ck_assert_msg(verifies(keys.key[r.key], &r, sig, len),
	    "row %d: the signature does not verify", sign_rows[_i].line);
	/* another digest: the same signature must not verify */
	r.digest[0] ^= 1;
	ck_assert_msg(!verifies(keys.key[r.key], &r, sig, len),
	    "row %d: verifies for another digest", sign_rows[_i].line);
}
END_TEST

START_TEST(test_sign_refuses)
{
	unsigned char sig[KEYOP_SIG_MAX];
	struct keyop_req r;
	const char *why;
	size_t len = 99;

	r = req_of(2, KEYOP_ECDSA, KEYOP_SHA256, 32); /* no key 2 */
	ck_assert_int_eq(
	    sign_request(&keys, &r, sig, &len, &why), KEYOP_REFUSED);
	ck_assert_str_eq(why, "no such key");
	ck_assert_uint_eq(len, 0);
	r = req_of(1, KEYOP_RSA_PKCS1, KEYOP_SHA256, 256); /* a raw block */
	ck_assert_int_eq(
	    sign_request(&keys, &r, sig, &len, &why), KEYOP_REFUSED);
	r = req_of(1, KEYOP_ECDSA, KEYOP_SHA256, 32);
	ck_assert_int_eq(
	    sign_request(&keys, &r, sig, &len, &why), KEYOP_REFUSED);
}
END_TEST

START_TEST(test_warm_up)
{
	const char *why = NULL;

	ck_assert_msg(sign_warm_up(&keys, &why) == 0, "%s", why);
}
END_TEST

static void
pair(int sv[2])
{
	ck_assert_int_eq(
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

static bool
fd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

START_TEST(test_framing)
{
	struct keyop_req r = req_of(0, KEYOP_ECDSA, KEYOP_SHA256, 32), got;
	struct keyop_rep rep;
	int ch[2], rp[2], fd = -1;

	pair(ch);
	pair(rp);
	/* a request with its reply socket: taken, and the reply comes back */
	ck_assert_int_eq(keyop_send_request(ch[0], &r, rp[1]), 0);
	ck_assert_int_eq(keyop_recv_request(ch[1], &got, &fd), 1);
	ck_assert_int_ge(fd, 0);
	ck_assert_mem_eq(&got, &r, sizeof(r));
	ck_assert_int_eq(keyop_send_reply(fd, KEYOP_OK, "sig", 3), 0);
	close(fd);
	ck_assert_int_eq(keyop_recv_reply(rp[0], &rep), 1);
	ck_assert_uint_eq(rep.len, 3);
	ck_assert_mem_eq(rep.sig, "sig", 3);
	/* without a reply socket: malformed */
	ck_assert_int_eq(keyop_send_request(ch[0], &r, -1), 0);
	ck_assert_int_eq(keyop_recv_request(ch[1], &got, &fd), -1);
	ck_assert_int_eq(errno, EBADMSG);
	/* version 1, as the old raw operations spoke it: malformed, fd shut */
	r.version = 1;
	ck_assert_int_eq(keyop_send_request(ch[0], &r, rp[1]), 0);
	ck_assert_int_eq(keyop_recv_request(ch[1], &got, &fd), -1);
	ck_assert_int_eq(fd, -1);
	/* a short packet */
	ck_assert_int_eq(send(ch[0], &r, 8, 0), 8);
	ck_assert_int_eq(keyop_recv_request(ch[1], &got, &fd), -1);
	/* nothing there */
	ck_assert_int_eq(keyop_recv_request(ch[1], &got, &fd), -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* a reply claiming more than it carries */
	memset(&rep, 0, sizeof(rep));
	rep.version = KEYOP_VERSION;
	rep.len = 100;
	ck_assert_int_eq(send(rp[1], &rep, KEYOP_REP_HEAD + 10, 0),
	    (ssize_t)KEYOP_REP_HEAD + 10);
	ck_assert_int_eq(keyop_recv_reply(rp[0], &rep), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert(fd_open(rp[1]));
	close(ch[0]);
	close(ch[1]);
	close(rp[0]);
	close(rp[1]);
}
END_TEST

static Suite *
keys_suite(void)
{
	Suite *s = suite_create("keys");
	TCase *tc;

	tc = tcase_create("refusal");
	tcase_add_loop_test(tc, test_refusal, 0, NROWS(refusal_rows));
	suite_add_tcase(s, tc);
	tc = tcase_create("sign");
	tcase_add_unchecked_fixture(tc, keys_make, keys_drop);
	tcase_add_loop_test(tc, test_sign_scheme, 0, NROWS(sign_rows));
	tcase_add_test(tc, test_sign_refuses);
	tcase_add_test(tc, test_warm_up);
	suite_add_tcase(s, tc);
	tc = tcase_create("framing");
	tcase_add_test(tc, test_framing);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ck_run(keys_suite());
}
