/*
 * Worker <-> key process: the private-key operations of TLS handshakes,
 * done where the key is (SSLKeyIsolation). A SOCK_SEQPACKET socketpair
 * per worker, one request and one reply a packet. The request carries a
 * sequence number the reply repeats, so a reply that comes after its
 * requester gave up is recognised and dropped.
 */
#ifndef MPMD_KEYOP_H
#define MPMD_KEYOP_H

#include <stddef.h>
#include <stdint.h>

#define KEYOP_VERSION  1
#define KEYOP_DATA_MAX 1024 /* an RSA-8192 block, a digest, a signature */

enum keyop {
	KEYOP_ECDSA_SIGN = 1, /* data: a digest; reply: a DER signature */
	KEYOP_RSA_PRIVATE_ENCRYPT = 2, /* RSA_private_encrypt(padding) */
	KEYOP_RSA_PRIVATE_DECRYPT = 3, /* RSA_private_decrypt(padding) */
};

struct keyop_req {
	uint16_t version; /* KEYOP_VERSION */
	uint16_t op;      /* enum keyop */
	uint32_t seq;
	uint32_t key;    /* the pair, as the config lists them */
	int32_t padding; /* RSA_*_PADDING for the RSA operations */
	uint32_t len;    /* data bytes that follow */
};

struct keyop_rep {
	uint16_t version;
	uint16_t ok; /* 1: data is the result; 0: the operation failed */
	uint32_t seq;
	uint32_t len;
};

struct keyop_msg {
	union {
		struct keyop_req req;
		struct keyop_rep rep;
	} h;
	uint8_t data[KEYOP_DATA_MAX];
};

/* Sends a header (a request's or a reply's) and DATA: 0, or -1 with errno. */
int keyop_send(
    int sock, const void *hdr, size_t hdrlen, const void *data, size_t len);

/*
 * Receives one request (WANT 'q') or reply ('r') and checks its version
 * and lengths. 1 with MSG filled, 0 at end of file, -1 with errno (EAGAIN
 * when there is nothing yet, EBADMSG when it is malformed).
 */
int keyop_recv(int sock, int want, struct keyop_msg *msg);

#endif
