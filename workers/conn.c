/*
 * The per-connection HTTP state machine every MPM drives. It reads,
 * parses, answers and sends as far as the non-blocking socket allows and
 * tells the MPM what to wait for.
 *
 * Memory: reads land in a per-thread scratch buffer. Only bytes that must
 * outlive the current conn_step() -- a partial head, pipelined requests,
 * the unsent part of a response head -- are copied to the heap, and all of
 * it is freed when the connection goes idle again, so an idle keep-alive
 * connection costs sizeof(struct conn) and its socket.
 */
#include "config.h"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "lib/clock.h"
#include "protocol/http.h"
#include "protocol/ipc.h"
#include "lib/log.h"
#include "protocol/scoreboard.h"
#include "workers/accesslog.h"
#include "workers/board.h"
#include "workers/conn.h"
#include "workers/exch.h"
#include "workers/io.h"
#include "workers/proxyconn.h"
#include "workers/tls.h"

#define CONN_SCRATCH_SIZE  (16 * 1024)  /* per thread: every read lands here */
#define CONN_HEAD_CAP      (64 * 1024)  /* largest head a connection buffers */
#define CONN_HEAD_SLACK    1024         /* line ends and empty lines */
#define CONN_BUF_MIN       1024         /* first heap buffer; doubles */
#define CONN_READ_MIN      512          /* grow before reading into less */
#define CONN_SEND_STEP     (512 * 1024) /* file bytes per step: see below */
#define CONN_LINGER_MS     2000         /* lingering close: at most this long */
#define CONN_LINGER_BYTES  (64 * 1024)  /* ... and this many bytes discarded */
#define CONN_LOG_FIELD_MAX 4096         /* a logged field kept across reads */
#define CONN_SIZE_MAX      128          /* an idle connection's whole state */
#define CONN_STEP_BUDGET   64           /* steps per conn_step(): see there */
#define MS_PER_SEC         1000

static const char conn_continue[] = "HTTP/1.1 100 Continue\r\n\r\n";
#define CONN_CONTINUE_LEN (sizeof(conn_continue) - 1)

/* Answer when not even the exchange could be allocated. */
static const char conn_500[] = "HTTP/1.1 500 Internal Server Error\r\n"
			       "Server: mpmd\r\nContent-Length: 0\r\n"
			       "Connection: close\r\n\r\n";

enum conn_state {
	CS_IDLE,          /* no request: waiting for the first byte of one */
	CS_PROXY,         /* "Listen ... proxy": the PROXY protocol header */
	CS_TLS_HELLO,     /* https: is it TLS at all? (a plain request: 400) */
	CS_TLS_HANDSHAKE, /* https: the handshake */
	CS_HEAD,          /* part of a head received, the parser wants more */
	CS_BODY,          /* discarding a request body */
	CS_SEND,          /* sending the head (and a page held in memory) */
	CS_FILE,          /* sending the file */
	CS_LINGER,        /* write side shut: discarding input until EOF */
	CS_CLOSED,
};

/* What a state handler wants next. */
enum step {
	STEP_GO,    /* state changed or progress made: run the machine */
	STEP_READ,  /* wait for input */
	STEP_WRITE, /* wait for room to send */
	STEP_ASYNC, /* wait for the key process: the handshake's wait fd */
	STEP_CLOSE,
};

union conn_peer {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

struct conn {
	const struct conn_ctx *ctx;
	struct exch *x; /* request in progress, NULL when idle */
	char *buf;      /* heap input: a partial head, pipelined bytes */
	char *in;       /* unparsed input: buf, or the scratch during a step */
	uint32_t inpos, inlen;
	uint32_t bufcap;
	uint32_t nreq;     /* responses finished on this connection */
	uint32_t lingered; /* bytes discarded while lingering */
	int fd;
	int64_t deadline;
	SSL *ssl;        /* NULL: plain */
	uint8_t state;   /* enum conn_state */
	uint8_t counted; /* 1 + the enum sb_conn it is counted in, 0: none */
	bool more;       /* the last read filled its room: more may be queued */
	bool flip;       /* TLS waits for the other direction than asked */
	bool plain_on_tls; /* plain HTTP came to an https listener */
	bool tls_next;     /* an https listener: TLS after any PROXY header */
	bool tls_async;    /* the handshake waits for the key process */
	union conn_peer peer;
};

/* mpm-event keeps 10,000 idle connections in well under 0.5 KiB each. */
_Static_assert(sizeof(struct conn) <= CONN_SIZE_MAX, "struct conn grew");
/* A PROXY header is gathered in the scratch buffer. */
_Static_assert(CONN_SCRATCH_SIZE >= PROXY_HEADER_MAX, "scratch too small");

static __thread char scratch_in[CONN_SCRATCH_SIZE];
static __thread char scratch_out[EXCH_OUT_MAX];

static int64_t
conn_after(long seconds)
{
	return mono_ms() + (int64_t)seconds * MS_PER_SEC;
}

/* An IPv4 or IPv6 peer replaces the one the connection had. */
static void
conn_set_peer(struct conn *c, const struct sockaddr *peer, socklen_t peerlen)
{
	if (peer != NULL && peer->sa_family == AF_INET &&
	    peerlen >= sizeof(struct sockaddr_in))
		memcpy(&c->peer.sin, peer, sizeof(struct sockaddr_in));
	else if (peer != NULL && peer->sa_family == AF_INET6 &&
		 peerlen >= sizeof(struct sockaddr_in6))
		memcpy(&c->peer.sin6, peer, sizeof(struct sockaddr_in6));
}

/* The scoreboard's class of C's wait, -1 once closed. */
static int
conn_class(const struct conn *c)
{
	switch (c->state) {
	case CS_IDLE:
		return c->nreq > 0 ? SB_C_KEEPALIVE : SB_C_READING;
	case CS_SEND:
	case CS_FILE:
		return SB_C_WRITING;
	case CS_LINGER:
		return SB_C_CLOSING;
	case CS_CLOSED:
		return -1;
	default:
		return SB_C_READING;
	}
}

/* What the thread serving C does, in Apache's letters. */
static enum sb_thread
conn_letter(const struct conn *c)
{
	static const enum sb_thread letters[SB_C_COUNT] = {
		[SB_C_READING] = SB_T_READING,
		[SB_C_WRITING] = SB_T_SENDING,
		[SB_C_KEEPALIVE] = SB_T_KEEPALIVE,
		[SB_C_CLOSING] = SB_T_CLOSING,
	};
	int k = conn_class(c);

	return k >= 0 ? letters[k] : SB_T_WAITING;
}

/* C's state changed (or its count of requests): the scoreboard follows. */
static void
conn_recount(struct conn *c)
{
	int k = conn_class(c);

	if (c->counted != k + 1) {
		board_conn_move(c->ctx->sb, c->counted - 1, k);
		c->counted = (uint8_t)(k + 1);
	}
	board_set(conn_letter(c));
}

static void
conn_enter(struct conn *c, enum conn_state state)
{
	c->state = (uint8_t)state;
	conn_recount(c);
}

struct conn *
conn_new(const struct conn_ctx *ctx, int fd, const struct sockaddr *peer,
    socklen_t peerlen, unsigned listen_flags)
{
	enum conn_state first = CS_IDLE;
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->ctx = ctx;
	c->fd = fd;
	c->peer.sa.sa_family = AF_UNSPEC;
	conn_set_peer(c, peer, peerlen);
	c->tls_next = (listen_flags & CONF_LISTEN_HTTPS) != 0;
	if (listen_flags & CONF_LISTEN_PROXY)
		first = CS_PROXY;
	else if (c->tls_next)
		first = CS_TLS_HELLO;
	/* RequestReadTimeout: header= for a first request, else handshake= */
	c->deadline =
	    conn_after(first == CS_IDLE ? ctx->conf->read_header.timeout
					: ctx->conf->read_handshake.timeout);
	conn_enter(c, first); /* counted, from now until conn_free() */
	return c;
}

/* The HTTP request comes next: RequestReadTimeout header= for it. */
static enum step
conn_await_request(struct conn *c)
{
	conn_enter(c, CS_IDLE);
	c->deadline = conn_after(c->ctx->conf->read_header.timeout);
	return STEP_GO;
}

/* Plain HTTP, which a new worker can go on with (TLS state cannot move). */
static bool
conn_movable(const struct conn *c)
{
	return c->ssl == NULL && !c->plain_on_tls;
}

/*
 * A thread mostly has one exchange at a time: it lives in this slot, so a
 * request costs no calloc() and free(). A connection never changes thread.
 */
static __thread struct exch exch_spare;
static __thread bool exch_spare_used;

static struct exch *
exch_new(void)
{
	struct exch *x = &exch_spare;

	if (exch_spare_used)
		return calloc(1, sizeof(*x));
	exch_spare_used = true;
	memset(x, 0, sizeof(*x));
	return x;
}

static void
exch_free(struct exch *x)
{
	exch_drop_response(x);
	free(x->logsave);
	if (x == &exch_spare)
		exch_spare_used = false;
	else
		free(x);
}

/* Forgets all unparsed input and the heap buffer. */
static void
conn_drop_input(struct conn *c)
{
	free(c->buf);
	c->buf = c->in = NULL;
	c->bufcap = c->inpos = c->inlen = 0;
}

/* The exchange's response is out, or will never be: how long it took. */
static void
conn_exch_done(struct conn *c)
{
	int64_t us = mono_us() - c->x->started_us;

	if (c->x->logged)
		board_request_done(c->ctx->sb, us > 0 ? (uint64_t)us : 0);
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	board_conn_move(c->ctx->sb, c->counted - 1, -1);
	if (c->x != NULL) {
		conn_exch_done(c);
		exch_free(c->x);
	}
	conn_drop_input(c);
	if (c->ssl != NULL) {
		(void)io_shutdown_write(c->fd, c->ssl); /* close_notify */
		tls_free(c->ssl);
	}
	close(c->fd);
	free(c);
}

int
conn_export(const struct conn *c, struct ipc_conn *h, uint8_t *read, size_t max,
    size_t *n)
{
	size_t peerlen = c->peer.sa.sa_family == AF_INET6
			     ? sizeof(struct sockaddr_in6)
			     : sizeof(struct sockaddr_in);

	*n = c->inlen - c->inpos;
	if (c->state != CS_IDLE || c->x != NULL || !conn_movable(c) || *n > max)
		return -1;
	memset(h, 0, sizeof(*h));
	h->nreq = c->nreq;
	h->nread = (uint32_t)*n;
	if (c->peer.sa.sa_family != AF_UNSPEC) {
		h->peerlen = (uint32_t)peerlen;
		memcpy(h->peer, &c->peer, peerlen);
	}
	if (*n > 0)
		memcpy(read, c->in + c->inpos, *n);
	return 0;
}

int
conn_fd(const struct conn *c)
{
	return c->fd;
}

int
conn_wait_fd(const struct conn *c)
{
	int fd;

	if (c->tls_async && (fd = io_async_fd(c->ssl)) != -1)
		return fd;
	return c->fd;
}

int64_t
conn_deadline(const struct conn *c)
{
	return c->deadline;
}

bool
conn_idle(const struct conn *c)
{
	return c->state == CS_IDLE;
}

/* The most a head may take in memory, from the limits in force. */
static size_t
conn_head_cap(const struct conf *conf)
{
	uint64_t n = (uint64_t)conf->limit_request_line +
		     (uint64_t)conf->limit_request_fields *
			 (uint64_t)conf->limit_request_field_size +
		     CONN_HEAD_SLACK;

	return n < CONN_HEAD_CAP ? (size_t)n : CONN_HEAD_CAP;
}

/* Makes N bytes at SRC the heap input (they must not be in c->buf). */
static int
conn_buf_take(struct conn *c, const char *src, size_t n)
{
	size_t cap = n + CONN_READ_MIN;
	char *p;

	if (cap < CONN_BUF_MIN)
		cap = CONN_BUF_MIN;
	if ((p = malloc(cap)) == NULL)
		return -1;
	memcpy(p, src, n);
	free(c->buf);
	c->buf = c->in = p;
	c->bufcap = (uint32_t)cap;
	c->inpos = 0;
	c->inlen = (uint32_t)n;
	return 0;
}

int
conn_resume(struct conn *c, const char *pre, size_t len, uint32_t nreq)
{
	c->nreq = nreq;
	conn_recount(c); /* kept alive, if it had responses */
	if (len == 0)
		return 0;
	c->more = true; /* what was read first, the socket may hold more */
	return conn_buf_take(c, pre, len);
}

/* Room to read more of a head into c->buf: 0, 431 (cap reached) or 500. */
static int
conn_grow(struct conn *c)
{
	size_t cap = conn_head_cap(c->ctx->conf), ncap;
	char *p;

	if (c->bufcap - c->inlen >= CONN_READ_MIN)
		return 0;
	if (c->bufcap >= cap)
		return c->inlen < c->bufcap ? 0 : 431;
	ncap = (size_t)c->bufcap * 2;
	if (ncap < CONN_BUF_MIN)
		ncap = CONN_BUF_MIN;
	if (ncap > cap)
		ncap = cap;
	if ((p = realloc(c->buf, ncap)) == NULL)
		return 500;
	c->buf = c->in = p;
	c->bufcap = (uint32_t)ncap;
	return 0;
}

/* More may be waiting when the read filled its room or TLS holds some. */
static ssize_t
conn_read(struct conn *c, char *dst, size_t room)
{
	ssize_t n = io_read(c->fd, c->ssl, dst, room, &c->flip);

	c->more = n > 0 && ((size_t)n == room || io_pending(c->ssl));
	return n;
}

/* Reads into the scratch when all input is used; 0 at EOF, -1 on error. */
static ssize_t
conn_read_scratch(struct conn *c)
{
	ssize_t n;

	conn_drop_input(c);
	if ((n = conn_read(c, scratch_in, sizeof(scratch_in))) > 0) {
		c->in = scratch_in;
		c->inlen = (uint32_t)n;
	}
	return n;
}

/* The wait after a read that got nothing: TLS may need to write first. */
static enum step
conn_read_error(const struct conn *c, ssize_t n)
{
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return c->flip ? STEP_WRITE : STEP_READ;
	return STEP_CLOSE; /* EOF or a reset: nothing left to answer */
}

/* The wait after a write that could not: TLS may need to read first. */
static enum step
conn_write_error(const struct conn *c, ssize_t n)
{
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return c->flip ? STEP_READ : STEP_WRITE;
	return STEP_CLOSE;
}

/* The raw first line of the request in the input, for the access log. */
static const char *
conn_raw_line(const struct conn *c, size_t *len)
{
	const char *p, *q, *end;

	if (c->in == NULL)
		return NULL;
	p = c->in + c->inpos;
	end = c->in + c->inlen;
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	for (q = p; q < end && *q != '\r' && *q != '\n'; q++)
		;
	*len = (size_t)(q - p);
	return q > p ? p : NULL;
}

/* Logs the response and counts it; LINE is the raw request line or NULL. */
static void
conn_commit(struct conn *c, const char *line, size_t linelen)
{
	struct exch *x = c->x;
	struct sb_slot *sb = c->ctx->sb;
	struct accesslog_entry e;

	if (x->logged)
		return;
	x->logged = true;
	memset(&e, 0, sizeof(e));
	e.peer = &c->peer.sa;
	e.when = x->started;
	e.method = x->l_method;
	e.target = x->l_target;
	e.major = x->r.major;
	e.minor = x->r.minor;
	e.line = line;
	e.linelen = linelen;
	e.referer = x->l_referer;
	e.user_agent = x->l_agent;
	e.status = x->status;
	e.bytes = x->bytes;
	board_set(SB_T_LOGGING);
	accesslog_write(c->ctx->accesslog, c->ctx->conf->custom_log_format, &e);
	if (sb != NULL) {
		sb_add(&sb->c.requests, 1);
		sb_add(&sb->c.bytes, (uint64_t)x->bytes);
	}
}

static enum step
conn_send_begin(struct conn *c)
{
	c->deadline = conn_after(c->ctx->conf->timeout);
	conn_enter(c, CS_SEND);
	return STEP_GO;
}

/*
 * Answers STATUS and closes, reading nothing more: a rejected request, a
 * timeout, an allocation failure.
 */
static enum step
conn_error_close(struct conn *c, int status)
{
	struct exch *x = c->x;
	const char *line = NULL;
	size_t len = 0;

	if (x->l_method == NULL)
		line = conn_raw_line(c, &len);
	respond_error(
	    x, status, false, false, scratch_out, sizeof(scratch_out));
	x->has_body = false;
	conn_commit(c, line, len);
	conn_drop_input(c);
	return conn_send_begin(c);
}

/* Not even the exchange could be allocated: a best-effort 500, close. */
static enum step
conn_nomem(struct conn *c)
{
	log_warnx("%s: out of memory for a request", __func__);
	if (c->ssl == NULL)
		(void)send(c->fd, conn_500, sizeof(conn_500) - 1,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	return STEP_CLOSE;
}

static void
conn_limits(const struct conf *conf, struct http_limits *lim)
{
	lim->request_line = (size_t)conf->limit_request_line;
	lim->field_size = (size_t)conf->limit_request_field_size;
	lim->fields = (size_t)conf->limit_request_fields;
	lim->body = conf->limit_request_body;
}

/* The first byte of a request arrived. */
static int
conn_begin(struct conn *c)
{
	struct http_limits lim;
	struct exch *x;

	if ((x = exch_new()) == NULL)
		return -1;
	x->file = -1;
	conn_limits(c->ctx->conf, &lim);
	http_request_init(&x->r, &lim);
	x->started = time(NULL);
	x->started_us = mono_us();
	c->x = x;
	if (c->in == c->buf && c->inpos > 0) {
		memmove(c->buf, c->buf + c->inpos, c->inlen - c->inpos);
		c->inlen -= c->inpos;
		c->inpos = 0;
	}
	x->stage_started = mono_ms();
	c->deadline = conn_after(c->ctx->conf->read_header.timeout);
	board_set_client(&c->peer.sa); /* after a PROXY header, its client */
	conn_enter(c, CS_HEAD);
	return 0;
}

/* Gets more head bytes: into c->buf after a partial head, else scratch. */
static enum step
conn_fill_head(struct conn *c)
{
	ssize_t n;
	int status;

	if (c->state != CS_HEAD)
		n = conn_read_scratch(c);
	else if ((status = conn_grow(c)) != 0)
		return conn_error_close(c, status);
	else if ((n = conn_read(c, c->buf + c->inlen, c->bufcap - c->inlen)) >
		 0)
		c->inlen += (uint32_t)n;
	return n > 0 ? STEP_GO : conn_read_error(c, n);
}

/*
 * RequestReadTimeout with MinRate: the stage's timeout from its start,
 * a second more for every MinRate bytes received, up to its maximum.
 * A client that sends slower than that is cut at the timeout.
 */
static void
conn_extend(
    struct conn *c, const struct conf_read_timeout *rt, uint64_t received)
{
	int64_t start = c->x->stage_started, d;

	if (rt->min_rate <= 0)
		return;
	d = start +
	    (rt->timeout + (int64_t)(received / (uint64_t)rt->min_rate)) *
		MS_PER_SEC;
	if (rt->max > 0 && d > start + rt->max * MS_PER_SEC)
		d = start + rt->max * MS_PER_SEC;
	c->deadline = d;
}

/* The parser wants more: keep what came so far on the heap. */
static enum step
conn_head_incomplete(struct conn *c)
{
	conn_extend(c, &c->ctx->conf->read_header, c->inlen - c->inpos);
	if (c->in != c->buf &&
	    conn_buf_take(c, c->in + c->inpos, c->inlen - c->inpos) == -1)
		return conn_error_close(c, 500);
	return STEP_GO;
}

/* Copies the logged fields: the head may be gone when the body ends. */
static int
conn_log_save(struct exch *x)
{
	const char **f[] = { &x->l_method, &x->l_target, &x->l_referer,
		&x->l_agent };
	size_t i, len[4], total = 0;
	char *p;

	for (i = 0; i < 4; i++) {
		len[i] = *f[i] ? strnlen(*f[i], CONN_LOG_FIELD_MAX) : 0;
		total += len[i] + 1;
	}
	if ((p = x->logsave = malloc(total)) == NULL)
		return -1;
	for (i = 0; i < 4; i++) {
		if (*f[i] == NULL)
			continue;
		memcpy(p, *f[i], len[i]);
		p[len[i]] = '\0';
		*f[i] = p;
		p += len[i] + 1;
	}
	return 0;
}

static enum step
conn_body_begin(struct conn *c)
{
	struct exch *x = c->x;

	if (conn_log_save(x) == -1)
		return conn_error_close(c, 500);
	x->cont_sent = CONN_CONTINUE_LEN;
	/* 100 only to HTTP/1.1 clients that wait for it (RFC 9110 10.1.1) */
	if (x->r.expect_continue && x->r.minor >= 1 && c->inpos == c->inlen)
		x->cont_sent = 0;
	x->stage_started = mono_ms();
	c->deadline = conn_after(c->ctx->conf->read_body.timeout);
	conn_enter(c, CS_BODY);
	return STEP_GO;
}

static bool
conn_may_keep(const struct conn *c)
{
	const struct conf *conf = c->ctx->conf;

	if (!conf->keepalive)
		return false;
	/* Draining: closed, but for a plain one the new generation takes. */
	if (c->ctx->graceful != NULL && atomic_load(c->ctx->graceful) != 0 &&
	    (c->ctx->handoff == NULL || atomic_load(c->ctx->handoff) == 0 ||
		!conn_movable(c)))
		return false;
	return conf->max_keepalive_requests <= 0 ||
	       (long)c->nreq + 1 < conf->max_keepalive_requests;
}

static enum step
conn_head_done(struct conn *c)
{
	struct exch *x = c->x;

	c->inpos += (uint32_t)x->r.head_len;
	x->has_body = http_has_body(&x->r);
	x->last = !x->has_body && !x->r.keep_alive;
	x->l_method = x->r.method_name;
	x->l_target = x->r.target;
	x->l_referer = x->r.referer;
	x->l_agent = x->r.user_agent;
	x->plain_on_tls = c->plain_on_tls;
	conn_enter(c, CS_SEND); /* Apache's 'W' from here: the answer is made */
	respond(x, c->ctx, &c->peer.sa, conn_may_keep(c), scratch_out,
	    sizeof(scratch_out));
	/* Refused before the client sent it: the close discards the body. */
	if (x->has_body && x->r.expect_continue && !x->keep_alive)
		x->has_body = false;
	if (x->has_body)
		return conn_body_begin(c);
	conn_commit(c, NULL, 0);
	return conn_send_begin(c);
}

static enum step
conn_do_head(struct conn *c)
{
	enum step s;
	int rv;

	if (c->state == CS_HEAD || c->inpos == c->inlen) {
		if ((s = conn_fill_head(c)) != STEP_GO)
			return s;
	}
	if (c->x == NULL && conn_begin(c) == -1)
		return conn_nomem(c);
	rv = http_parse_head(&c->x->r, c->in + c->inpos, c->inlen - c->inpos);
	if (rv == HTTP_INCOMPLETE)
		return conn_head_incomplete(c);
	if (rv != HTTP_DONE)
		return conn_error_close(c, rv);
	return conn_head_done(c);
}

/* Sends what is left of "100 Continue". */
static enum step
conn_send_continue(struct conn *c)
{
	struct exch *x = c->x;
	ssize_t n;

	struct iovec iov;

	while (x->cont_sent < CONN_CONTINUE_LEN) {
		iov.iov_base = (char *)conn_continue + x->cont_sent;
		iov.iov_len = CONN_CONTINUE_LEN - x->cont_sent;
		if ((n = io_writev(c->fd, c->ssl, &iov, 1, false, &c->flip)) <=
		    0)
			return conn_write_error(c, n);
		x->cont_sent += (uint8_t)n;
	}
	return STEP_GO;
}

static enum step
conn_do_body(struct conn *c)
{
	struct exch *x = c->x;
	enum step s;
	size_t used = 0;
	ssize_t n;
	int rv;

	if ((s = conn_send_continue(c)) != STEP_GO)
		return s;
	if (c->inpos == c->inlen && (n = conn_read_scratch(c)) <= 0)
		return conn_read_error(c, n);
	rv = http_parse_body(
	    &x->r, c->in + c->inpos, c->inlen - c->inpos, &used);
	c->inpos += (uint32_t)used;
	if (rv == HTTP_INCOMPLETE) {
		conn_extend(
		    c, &c->ctx->conf->read_body, (uint64_t)x->r.body_seen);
		return STEP_GO;
	}
	if (rv != HTTP_DONE)
		return conn_error_close(c, rv);
	x->has_body = false;
	conn_commit(c, NULL, 0);
	return conn_send_begin(c);
}

/* Whether the connection carries another request after this one. */
static bool
exch_keeps(const struct exch *x)
{
	return x->keep_alive && !x->has_body;
}

/* After the response: the next request, or a lingering close. */
static enum step
conn_finish(struct conn *c)
{
	struct exch *x = c->x;
	bool keep = exch_keeps(x);
	bool last = x->last && c->inpos == c->inlen && !c->more;

	conn_exch_done(c);
	exch_free(x);
	c->x = NULL;
	c->nreq++;
	/* Nothing unread can turn the close into a reset: no need to linger. */
	if (!keep && last)
		return STEP_CLOSE;
	if (!keep) {
		conn_drop_input(c);
		if (io_shutdown_write(c->fd, c->ssl) == -1)
			return STEP_CLOSE;
		c->lingered = 0;
		c->deadline = mono_ms() + CONN_LINGER_MS;
		conn_enter(c, CS_LINGER);
		return STEP_GO;
	}
	c->deadline = conn_after(c->ctx->conf->keepalive_timeout);
	conn_enter(c, CS_IDLE);
	if (c->inpos < c->inlen)
		return STEP_GO; /* pipelined: parse what is here first */
	conn_drop_input(c);
	/*
	 * The last read was short, so the socket was empty then: a read now
	 * would mostly find EAGAIN, and whatever comes later is news to the
	 * poller, edge-triggered or not.
	 */
	return c->more ? STEP_GO : STEP_READ;
}

/* The head and any page in memory, in one sendmsg() when possible. */
static enum step
conn_do_send(struct conn *c)
{
	struct exch *x = c->x;
	struct iovec iov[2];
	size_t k;
	ssize_t n;
	int cnt;

	while (x->outoff < x->outlen || x->memoff < x->memlen) {
		cnt = 0;
		if (x->outoff < x->outlen) {
			iov[cnt].iov_base = x->out + x->outoff;
			iov[cnt++].iov_len = x->outlen - x->outoff;
		}
		if (x->memoff < x->memlen) {
			iov[cnt].iov_base = x->mem + x->memoff;
			iov[cnt++].iov_len = x->memlen - x->memoff;
		}
		/*
		 * More: a small file leaves in the head's segment, and the
		 * FIN that follows a last response in its last one.
		 */
		n = io_writev(c->fd, c->ssl, iov, cnt,
		    x->fileleft > 0 || !exch_keeps(x), &c->flip);
		if (n <= 0)
			return conn_write_error(c, n);
		k = x->outlen - x->outoff;
		k = (size_t)n < k ? (size_t)n : k;
		x->outoff += k;
		x->memoff += (size_t)n - k;
		c->deadline = conn_after(c->ctx->conf->timeout);
	}
	if (x->fileleft > 0) {
		conn_enter(c, CS_FILE);
		return STEP_GO;
	}
	return conn_finish(c);
}

/*
 * At most CONN_SEND_STEP bytes, then back to the poller: fairness, and on
 * loopback 512 KiB steps of a 1 MiB file measured 2.5x the requests per
 * CPU-second of whole-file steps (contrib/bench ka-1m).
 */
static enum step
conn_do_file(struct conn *c)
{
	struct exch *x = c->x;
	int64_t budget = CONN_SEND_STEP, want;
	off_t off;
	ssize_t n;

	while (x->fileleft > 0) {
		if (budget <= 0)
			return STEP_WRITE; /* let other connections run */
		want = x->fileleft < budget ? x->fileleft : budget;
		off = (off_t)x->fileoff;
		n = io_sendfile(
		    c->fd, c->ssl, x->file, &off, (size_t)want, &c->flip);
		if (n > 0) {
			x->fileoff = off;
			x->fileleft -= n;
			budget -= n;
			c->deadline = conn_after(c->ctx->conf->timeout);
		} else if (n == 0) {
			log_warnx("%s: file shrank while being sent", __func__);
			return STEP_CLOSE;
		} else
			return conn_write_error(c, n);
	}
	close(x->file);
	x->file = -1;
	return conn_finish(c);
}

/*
 * A "Listen ... proxy" connection: its PROXY header, read exactly, names
 * the client, which replaces the peer (the proxy) for the access log and
 * StatusAllow. LOCAL and UNKNOWN name none: the peer stays. Then TLS or
 * HTTP, with the bytes after the header still in the socket.
 */
static enum step
conn_do_proxy(struct conn *c)
{
	struct proxy_header h;
	size_t have = c->inlen;

	if (have > 0)
		memcpy(scratch_in, c->buf, have);
	switch (proxyconn_read(c->fd, &c->peer.sa, scratch_in, &have, &h)) {
	case PROXYCONN_WAIT:
		/* a part of the header, kept on the heap until the rest */
		if (have > c->inlen &&
		    conn_buf_take(c, scratch_in, have) == -1) {
			log_warnx("%s: out of memory: closing a connection",
			    __func__);
			return STEP_CLOSE;
		}
		return STEP_READ;
	case PROXYCONN_DONE:
		break;
	default:
		return STEP_CLOSE;
	}
	conn_drop_input(c);
	if (proxy_client(&h) != NULL)
		conn_set_peer(c, proxy_client(&h), sizeof(h.src));
	if (c->tls_next) { /* within the same handshake= time */
		conn_enter(c, CS_TLS_HELLO);
		return STEP_GO;
	}
	return conn_await_request(c);
}

#define TLS_HANDSHAKE_RECORD 0x16 /* the first byte of every ClientHello */

/*
 * An https listener: TLS begins with a handshake record. Anything else
 * is most likely plain HTTP sent to the wrong port: it is read as such
 * and answered with a 400 that says so, not with TLS garbage.
 */
static enum step
conn_do_tls_hello(struct conn *c)
{
	unsigned char first;
	ssize_t n;

	do
		n = recv(c->fd, &first, 1, MSG_PEEK);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return conn_read_error(c, n);
	if (first != TLS_HANDSHAKE_RECORD) {
		c->plain_on_tls = true;
		return conn_await_request(c);
	}
	if ((c->ssl = tls_new(c->fd, c->ctx->tls_async)) == NULL) {
		log_warnx("%s: out of memory for a TLS session", __func__);
		return STEP_CLOSE;
	}
	conn_enter(c, CS_TLS_HANDSHAKE);
	return STEP_GO;
}

static enum step
conn_do_handshake(struct conn *c)
{
	int r = io_handshake(c->ssl, &c->flip);

	if (r == IO_HANDSHAKE_ASYNC)
		return STEP_ASYNC;
	if (r == 0)
		return conn_read_error(c, -1);
	if (r == -1)
		return STEP_CLOSE; /* an alert went out, if one could */
	return conn_await_request(c);
}

/* Lingering close: lets the client read the response rather than a RST. */
static enum step
conn_do_linger(struct conn *c)
{
	ssize_t n;

	for (;;) {
		n = conn_read(c, scratch_in, sizeof(scratch_in));
		if (n <= 0)
			return conn_read_error(c, n);
		c->lingered += (uint32_t)n;
		if (c->lingered >= CONN_LINGER_BYTES)
			return STEP_CLOSE;
	}
}

/* Before waiting: nothing may stay in the thread's buffers. */
static int
conn_save(struct conn *c)
{
	struct exch *x = c->x;
	size_t n;
	char *p;

	if (x != NULL && x->out != NULL && !x->out_heap) {
		n = x->outlen - x->outoff;
		p = (n > 0) ? malloc(n) : NULL;
		if (n > 0 && p == NULL)
			return -1;
		if (n > 0)
			memcpy(p, x->out + x->outoff, n);
		x->out = p;
		x->out_heap = (p != NULL);
		x->outlen = n;
		x->outoff = 0;
	}
	if (c->in == scratch_in) {
		if (c->inpos == c->inlen) {
			c->in = NULL;
			c->inpos = c->inlen = 0;
		} else if (conn_buf_take(
			       c, c->in + c->inpos, c->inlen - c->inpos) == -1)
			return -1;
	}
	return 0;
}

static enum conn_io
conn_park(struct conn *c, enum step s)
{
	if (s != STEP_CLOSE && conn_save(c) == -1) {
		log_warnx("%s: out of memory: closing a connection", __func__);
		s = STEP_CLOSE;
	}
	switch (s) {
	case STEP_READ:
		return CONN_IO_READ;
	case STEP_WRITE:
		return CONN_IO_WRITE;
	case STEP_ASYNC:
		c->tls_async = true;
		return CONN_IO_ASYNC;
	default:
		conn_enter(c, CS_CLOSED);
		return CONN_IO_CLOSE;
	}
}

/*
 * One call does at most CONN_STEP_BUDGET state steps, then yields: a
 * client pipelining without end (MaxKeepAliveRequests 0) or streaming a
 * body must not keep its event loop from every other connection. Waiting
 * to write brings it back at once, after the others had their turn.
 */
enum conn_io
conn_step(struct conn *c)
{
	unsigned budget = CONN_STEP_BUDGET;
	enum step s;

	c->tls_async = false;
	do {
		if (budget-- == 0) {
			s = STEP_WRITE;
			break;
		}
		switch (c->state) {
		case CS_IDLE:
		case CS_HEAD:
			s = conn_do_head(c);
			break;
		case CS_BODY:
			s = conn_do_body(c);
			break;
		case CS_SEND:
			s = conn_do_send(c);
			break;
		case CS_FILE:
			s = conn_do_file(c);
			break;
		case CS_LINGER:
			s = conn_do_linger(c);
			break;
		case CS_PROXY:
			s = conn_do_proxy(c);
			break;
		case CS_TLS_HELLO:
			s = conn_do_tls_hello(c);
			break;
		case CS_TLS_HANDSHAKE:
			s = conn_do_handshake(c);
			break;
		default:
			s = STEP_CLOSE;
			break;
		}
	} while (s == STEP_GO);
	return conn_park(c, s);
}

enum conn_io
conn_expire(struct conn *c)
{
	if (c->state == CS_PROXY)
		proxyconn_expired(
		    &c->peer.sa, c->ctx->conf->read_handshake.timeout);
	if (c->state != CS_HEAD && c->state != CS_BODY) {
		conn_enter(c, CS_CLOSED);
		return CONN_IO_CLOSE;
	}
	conn_error_close(c, 408);
	return conn_step(c);
}
