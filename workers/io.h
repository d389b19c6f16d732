/*
 * Bytes to and from a client: the socket itself, or TLS on it. Every
 * call is non-blocking and reports as read(2) and write(2) do (-1 with
 * errno EAGAIN when it cannot go on yet), and sets *FLIP when TLS must
 * wait for the other direction than the call's (a read that needs to
 * write first, a write that needs to read).
 */
#ifndef MPMD_IO_H
#define MPMD_IO_H

#include <sys/types.h>
#include <sys/uio.h>

#include <openssl/ssl.h>

#include <stdbool.h>

#define IO_TLS_CHUNK 16384 /* bytes a TLS write takes at once: one record */

ssize_t io_read(int fd, SSL *ssl, void *buf, size_t n, bool *flip);
/* MORE: more follows at once (MSG_MORE on a plain socket). */
ssize_t io_writev(int fd, SSL *ssl, const struct iovec *iov, int iovcnt,
    bool more, bool *flip);
/* N bytes of FILE from *OFF, which moves past what was sent. */
ssize_t io_sendfile(
    int fd, SSL *ssl, int file, off_t *off, size_t n, bool *flip);
/*
 * The TLS handshake: 1 done, 0 not yet (EAGAIN, *FLIP), IO_HANDSHAKE_ASYNC
 * waiting for the key process (on io_async_fd()), -1 failed.
 */
#define IO_HANDSHAKE_ASYNC 2
int io_handshake(SSL *ssl, bool *flip);
/* The fd a handshake that said IO_HANDSHAKE_ASYNC waits on, or -1. */
int io_async_fd(SSL *ssl);
/* No more from us: TLS's close_notify, then the socket's FIN. */
int io_shutdown_write(int fd, SSL *ssl);
/* Bytes TLS read from the socket but the caller has not had yet. */
bool io_pending(SSL *ssl);

#endif
