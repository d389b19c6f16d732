/* PEM files for the TLS tests: see tlsfiles.h. */
#include "config.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/tlsfiles.h"

#define RSA_BITS      2048
#define EC_CURVE      "P-256"
#define SECONDS_A_DAY 86400L
#define CERT_DAYS     30
#define CAUSE_MAX     256

/* Self-signed for KEY; MD NULL for a key that names its own (Ed25519). */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, long serial, const EVP_MD *md)
{
	X509 *x = X509_new();
	X509_NAME *name;

	if (x == NULL)
		return NULL;
	name = X509_get_subject_name(x);
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), serial) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -SECONDS_A_DAY) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), CERT_DAYS * SECONDS_A_DAY) ==
		NULL ||
	    X509_set_pubkey(x, key) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
		(const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || X509_sign(x, key, md) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* DIR/NAME: CERT if any, then KEY if any, encrypted when CIPHER is. */
static int
write_pem(const char *dir, const char *name, X509 *cert, EVP_PKEY *key,
    const EVP_CIPHER *cipher)
{
	const unsigned char *pass =
	    cipher != NULL ? (const unsigned char *)TLSFILES_PASSPHRASE : NULL;
	int passlen = cipher != NULL ? (int)strlen(TLSFILES_PASSPHRASE) : 0;
	char path[PATH_MAX];
	BIO *out;
	int ok;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
		(int)sizeof(path) ||
	    (out = BIO_new_file(path, "w")) == NULL)
		return -1;
	ok = (cert == NULL || PEM_write_bio_X509(out, cert) == 1) &&
	     (key == NULL || PEM_write_bio_PrivateKey(out, key, cipher, pass,
				 passlen, NULL, NULL) == 1);
	ok = BIO_free(out) == 1 && ok;
	return ok ? 0 : -1;
}

/* STEP and the first error OpenSSL queued, the queue then cleared. */
static const char *
failed(const char *step)
{
	static char text[2 * CAUSE_MAX];
	char err[CAUSE_MAX];
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(err, sizeof(err), "no OpenSSL error");
	else
		ERR_error_string_n(e, err, sizeof(err));
	snprintf(text, sizeof(text), "%s: %s", step, err);
	return text;
}

int
tlsfiles_write(const char *dir, const char **cause)
{
	EVP_PKEY *ec = NULL, *rsa = NULL, *ed = NULL, *both = NULL;
	EVP_PKEY *other = NULL;
	X509 *ec_crt = NULL, *rsa_crt = NULL, *ed_crt = NULL, *both_crt = NULL;
	int r = -1;

	if ((ec = EVP_EC_gen(EC_CURVE)) == NULL ||
	    (rsa = EVP_RSA_gen(RSA_BITS)) == NULL ||
	    (ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL ||
	    (both = EVP_EC_gen(EC_CURVE)) == NULL ||
	    (other = EVP_EC_gen(EC_CURVE)) == NULL) {
		*cause = failed("generating the keys");
		goto done;
	}
	if ((ec_crt = make_cert(ec, "ec.test", 1, EVP_sha256())) == NULL ||
	    (rsa_crt = make_cert(rsa, "rsa.test", 2, EVP_sha256())) == NULL ||
	    (ed_crt = make_cert(ed, "ed25519.test", 3, NULL)) == NULL ||
	    (both_crt = make_cert(both, "both.test", 4, EVP_sha256())) ==
		NULL) {
		*cause = failed("making the certificates");
		goto done;
	}
	if (write_pem(dir, "ec.crt", ec_crt, NULL, NULL) == -1 ||
	    write_pem(dir, "ec.key", NULL, ec, NULL) == -1 ||
	    write_pem(dir, "rsa.crt", rsa_crt, NULL, NULL) == -1 ||
	    write_pem(dir, "rsa.key", NULL, rsa, NULL) == -1 ||
	    write_pem(dir, "both.pem", both_crt, both, NULL) == -1 ||
	    write_pem(dir, "ed25519.crt", ed_crt, NULL, NULL) == -1 ||
	    write_pem(dir, "ed25519.key", NULL, ed, NULL) == -1 ||
	    write_pem(dir, "encrypted.key", NULL, ec, EVP_aes_256_cbc()) ==
		-1 ||
	    write_pem(dir, "other.key", NULL, other, NULL) == -1) {
		*cause = failed("writing the PEM files");
		goto done;
	}
	*cause = NULL;
	r = 0;
done:
	ERR_clear_error(); /* nothing left for the code under test to find */
	X509_free(ec_crt);
	X509_free(rsa_crt);
	X509_free(ed_crt);
	X509_free(both_crt);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(both);
	EVP_PKEY_free(other);
	return r;
}
