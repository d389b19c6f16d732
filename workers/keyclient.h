/*
 * SSLKeyIsolation, the worker's side: keys whose signatures the key
 * process makes (keys/main.c, protocol/keyop.h).
 */
#ifndef MPMD_KEYCLIENT_H
#define MPMD_KEYCLIENT_H

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stdint.h>

/* The socket to the key process, from FDS or KEYS_SOCKET (taken over). */
void keyclient_set_socket(int fd);

/*
 * A key for CERT's public key whose signatures are those of pair INDEX
 * in the key process. RSA and EC keys; NULL otherwise.
 */
EVP_PKEY *keyclient_pkey(X509 *cert, uint32_t index);

/*
 * SSL's handshake waits in an async job for the key process: ends the
 * wait (the handshake fails) so that SSL can be freed, job and all.
 */
void keyclient_abandon(SSL *ssl);

#endif
