/*
 * Plain or TLS I/O on a client's socket: see io.h. Without kTLS a file
 * goes through TLS a record at a time, read into the thread's buffer.
 */
#include "config.h"

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "workers/io.h"

static __thread unsigned char io_buf[IO_TLS_CHUNK];

/* What SSL_get_error() says of R, as read(2) would say it. */
static ssize_t
io_tls_result(SSL *ssl, int r)
{
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN: /* close_notify */
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno == 0)
			return 0;
		return -1;
	default:
		errno = EPROTO;
		return -1;
	}
}

ssize_t
io_read(int fd, SSL *ssl, void *buf, size_t n, bool *flip)
{
	ssize_t r;
	int k;

	*flip = false;
	if (ssl == NULL) {
		do
			r = read(fd, buf, n);
		while (r == -1 && errno == EINTR);
		return r;
	}
	ERR_clear_error();
	errno = 0;
	if ((k = SSL_read(ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n)) > 0)
		return k;
	*flip = SSL_get_error(ssl, k) == SSL_ERROR_WANT_WRITE;
	return io_tls_result(ssl, k);
}

/* Gathers what fits one record: TLS writes one buffer at a time. */
static size_t
io_gather(const struct iovec *iov, int iovcnt, const void **out)
{
	size_t n = 0, k;
	int i;

	if (iovcnt == 1 || iov[0].iov_len >= IO_TLS_CHUNK) {
		*out = iov[0].iov_base;
		return iov[0].iov_len;
	}
	for (i = 0; i < iovcnt && n < IO_TLS_CHUNK; i++) {
		k = iov[i].iov_len < IO_TLS_CHUNK - n ? iov[i].iov_len
						      : IO_TLS_CHUNK - n;
		memcpy(io_buf + n, iov[i].iov_base, k);
		n += k;
	}
	*out = io_buf;
	return n;
}

static ssize_t
io_tls_write(SSL *ssl, const void *p, size_t n, bool *flip)
{
	int k;

	ERR_clear_error();
	errno = 0;
	if ((k = SSL_write(ssl, p, n > INT32_MAX ? INT32_MAX : (int)n)) > 0)
		return k;
	*flip = SSL_get_error(ssl, k) == SSL_ERROR_WANT_READ;
	return io_tls_result(ssl, k);
}

ssize_t
io_writev(int fd, SSL *ssl, const struct iovec *iov, int iovcnt, bool more,
    bool *flip)
{
	struct msghdr msg;
	const void *p;
	ssize_t r;

	*flip = false;
	if (ssl != NULL) {
		r = (ssize_t)io_gather(iov, iovcnt, &p);
		return io_tls_write(ssl, p, (size_t)r, flip);
	}
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = (struct iovec *)iov;
	msg.msg_iovlen = (size_t)iovcnt;
	do
		r = sendmsg(fd, &msg, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
	while (r == -1 && errno == EINTR);
	return r;
}

ssize_t
io_sendfile(int fd, SSL *ssl, int file, off_t *off, size_t n, bool *flip)
{
	ssize_t r;

	*flip = false;
	if (ssl != NULL && BIO_get_ktls_send(SSL_get_wbio(ssl)) != 1) {
		if (n > sizeof(io_buf))
			n = sizeof(io_buf);
		do
			r = pread(file, io_buf, n, *off);
		while (r == -1 && errno == EINTR);
		if (r <= 0)
			return r;
		if ((r = io_tls_write(ssl, io_buf, (size_t)r, flip)) > 0)
			*off += r;
		return r;
	}
	if (ssl != NULL) {
		ERR_clear_error();
		if ((r = SSL_sendfile(ssl, file, *off, n, 0)) > 0)
			*off += r;
		return r > 0 ? r : io_tls_result(ssl, (int)r);
	}
	do
		r = sendfile(fd, file, off, n);
	while (r == -1 && errno == EINTR);
	return r;
}

int
io_handshake(SSL *ssl, bool *flip)
{
	int r;

	ERR_clear_error();
	if ((r = SSL_do_handshake(ssl)) == 1) {
		/* Async jobs only for the handshake: not one per read after */
		SSL_clear_mode(ssl, SSL_MODE_ASYNC);
		return 1;
	}
	if (SSL_get_error(ssl, r) == SSL_ERROR_WANT_ASYNC)
		return IO_HANDSHAKE_ASYNC;
	*flip = SSL_get_error(ssl, r) == SSL_ERROR_WANT_WRITE;
	return io_tls_result(ssl, r) == -1 && errno == EAGAIN ? 0 : -1;
}

int
io_async_fd(SSL *ssl)
{
	OSSL_ASYNC_FD fd = -1;
	size_t n = 0;

	if (SSL_get_all_async_fds(ssl, NULL, &n) != 1 || n != 1 ||
	    SSL_get_all_async_fds(ssl, &fd, &n) != 1)
		return -1;
	return fd;
}

int
io_shutdown_write(int fd, SSL *ssl)
{
	if (ssl != NULL && SSL_is_init_finished(ssl)) {
		ERR_clear_error();
		(void)SSL_shutdown(ssl); /* close_notify, if it fits now */
	}
	return shutdown(fd, SHUT_WR);
}

bool
io_pending(SSL *ssl)
{
	return ssl != NULL && SSL_has_pending(ssl);
}
