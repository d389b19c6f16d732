/*
 * A worker's TLS contexts, built once from the handshake's certificate
 * chains (and keys, with SSLKeyIsolation off), and the session-ticket
 * keys the master sends and rotates. Sessions are made by tls_new().
 */
#ifndef MPMD_TLS_H
#define MPMD_TLS_H

#include <openssl/ssl.h>

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"
#include "protocol/ipc_tls.h"

/*
 * One SSL_CTX per pair; KEYS is NULL when the key process holds them.
 * -1 with *CAUSE (malloc'd).
 */
int tls_setup(const struct conf_tls *c, const struct ipc_tls_buf *certs,
    const struct ipc_tls_buf *keys, size_t n, char **cause);
bool tls_enabled(void);
/* The newest first; takes effect for the next ticket made or read. */
void tls_ticket_keys(const struct ipc_ticket_keys *ring);
/*
 * A server session on the socket FD, NULL when out of memory. ASYNC: its
 * handshake may wait for the key process in an async job (mpm-event).
 */
SSL *tls_new(int fd, bool async);
/* Frees SSL, ending first a handshake's wait for the key process. */
void tls_free(SSL *ssl);

#endif
