/*
 * SSLKeyIsolation, the worker's side: keys whose private operations run
 * in the key process (master/keyproc.c).
 */
#ifndef MPMD_KEYCLIENT_H
#define MPMD_KEYCLIENT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <stdint.h>

/* The socket to the key process, from FDS or KEYS_SOCKET (taken over). */
void keyclient_set_socket(int fd);

/*
 * A key for CERT's public key whose private operations are those of pair
 * INDEX in the key process. RSA and EC keys; NULL otherwise.
 */
EVP_PKEY *keyclient_pkey(X509 *cert, uint32_t index);

#endif
