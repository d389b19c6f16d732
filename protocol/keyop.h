/*
 * Worker <-> key process (SSLKeyIsolation): a signing service for TLS
 * handshakes, not a private-key oracle. A worker names a key, a signature
 * scheme and a hash, and hands over a digest of that hash's length; the
 * key process pads and signs (ECDSA, RSA-PSS, RSA PKCS#1 v1.5) and never
 * decrypts or runs raw RSA.
 *
 * Each worker has a SOCK_SEQPACKET socket to its key process from the
 * master. A request is one packet on it carrying one fd: the worker's end
 * of a new socketpair, on which the reply (one packet) comes back. So a
 * waiting handshake has a socket of its own to wait on (an event loop
 * polls it as it polls a client), and a worker that never reads its
 * replies fills only its own sockets.
 */
#ifndef MPMD_KEYOP_H
#define MPMD_KEYOP_H

#include <stddef.h>
#include <stdint.h>

#define KEYOP_VERSION    2
#define KEYOP_DIGEST_MAX 64   /* SHA-512 */
#define KEYOP_SIG_MAX    1024 /* an RSA-8192 signature; DER ECDSA is less */

enum keyop_scheme {
	KEYOP_ECDSA = 1,     /* a DER ECDSA-Sig-Value */
	KEYOP_RSA_PSS = 2,   /* MGF1 with the same hash, salt = hash length */
	KEYOP_RSA_PKCS1 = 3, /* PKCS#1 v1.5 with DigestInfo (TLS 1.2 only) */
};

enum keyop_hash {
	KEYOP_SHA256 = 1,
	KEYOP_SHA384 = 2,
	KEYOP_SHA512 = 3,
};

enum keyop_status {
	KEYOP_OK = 0,      /* sig holds the signature */
	KEYOP_REFUSED = 1, /* not a request the service takes */
	KEYOP_FAILED = 2,  /* the signature could not be made */
};

struct keyop_req {
	uint16_t version; /* KEYOP_VERSION */
	uint8_t scheme;   /* enum keyop_scheme */
	uint8_t hash;     /* enum keyop_hash */
	uint32_t key;     /* the pair, as the config lists them */
	uint32_t len;     /* digest bytes used */
	uint8_t digest[KEYOP_DIGEST_MAX];
};

struct keyop_rep {
	uint16_t version;
	uint16_t status; /* enum keyop_status */
	uint32_t len;    /* sig bytes that follow */
	uint8_t sig[KEYOP_SIG_MAX];
};

#define KEYOP_REP_HEAD offsetof(struct keyop_rep, sig)

/* Bytes of digest HASH gives, 0 for a hash the service does not know. */
size_t keyop_hash_len(unsigned hash);
const char *keyop_scheme_name(unsigned scheme);

/*
 * Why the service refuses REQ for a key of OpenSSL type KEY_TYPE
 * (EVP_PKEY_RSA, EVP_PKEY_EC; 0: no such key), or NULL when it takes it.
 */
const char *keyop_refusal(const struct keyop_req *req, int key_type);

/* Sends REQ with REPLY_FD attached: 0, or -1 with errno. */
int keyop_send_request(int sock, const struct keyop_req *req, int reply_fd);

/*
 * Receives one request and its reply fd into *REQ and *REPLY_FD. 1, 0 at
 * end of file, -1 with errno: EAGAIN when nothing is there, EBADMSG for a
 * packet that is not a request of this version with exactly one fd (an fd
 * that came with it is closed).
 */
int keyop_recv_request(int sock, struct keyop_req *req, int *reply_fd);

/* Sends a reply without blocking: 0, or -1 with errno. */
int keyop_send_reply(
    int sock, enum keyop_status status, const void *sig, size_t len);

/* Receives a reply: 1, 0 at end of file, -1 with errno (EBADMSG). */
int keyop_recv_reply(int sock, struct keyop_rep *rep);

#endif
