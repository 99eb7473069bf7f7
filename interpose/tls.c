/* OpenSSL (1.1 and 3): the plaintext calls SSL_read, SSL_write, SSL_peek and
 * their _ex forms, each a span (SSL_read, SSL_write, SSL_peek) over the
 * socket calls it made, and what it moved fed to the HTTP layer of the
 * session's socket (tlscall.h): an HTTPS exchange becomes a CLIENT or SERVER
 * span like a plain HTTP one. Peeked bytes are not fed: they are read again.
 * SSL_write and SSL_write_ex add the shim's traceparent to a request as a
 * plain socket's send does (httpconn.h, ts_http_tls_send).
 *
 * OpenSSL's headers are not needed: the few declarations are below. The
 * real functions and the helpers (SSL_get_rfd, SSL_get_wfd, SSL_get_error)
 * come from the copy of libssl the caller would reach without the shim
 * (tlslib.h), which may have been opened with RTLD_LOCAL (Python's _ssl). A
 * program that never loads libssl never calls these. */
#include "httpconn.h"
#include "tlscall.h"
#include "tlslib.h"
#include "wrap.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ssl_st SSL;

int SSL_read(SSL *s, void *buf, int num);
int SSL_write(SSL *s, const void *buf, int num);
int SSL_peek(SSL *s, void *buf, int num);
int SSL_read_ex(SSL *s, void *buf, size_t num, size_t *done);
int SSL_write_ex(SSL *s, const void *buf, size_t num, size_t *done);
int SSL_peek_ex(SSL *s, void *buf, size_t num, size_t *done);
int SSL_connect(SSL *s);
int SSL_do_handshake(SSL *s);

typedef int (*io_fn)(SSL *, void *, int);
typedef int (*io_ex_fn)(SSL *, void *, size_t, size_t *);
typedef int (*fd_fn)(const SSL *);
typedef int (*error_fn)(const SSL *, int);
typedef void *(*bio_fn)(const SSL *);

typedef int (*handshake_fn)(SSL *);

enum { F_READ, F_WRITE, F_PEEK, F_READ_EX, F_WRITE_EX, F_PEEK_EX, F_RFD, F_WFD, F_ERROR, F_WBIO,
       F_CONNECT, F_HANDSHAKE };
static const char *const names[] = {
	"SSL_read", "SSL_write", "SSL_peek", "SSL_read_ex", "SSL_write_ex", "SSL_peek_ex",
	"SSL_get_rfd", "SSL_get_wfd", "SSL_get_error", "SSL_get_wbio",
	"SSL_connect", "SSL_do_handshake",
};
_Static_assert(sizeof names / sizeof *names <= TS_TLS_FNS, "too many names");

static struct ts_tls_family openssl = {.names = names, .count = sizeof names / sizeof *names};

enum { SSL_ERROR_ZERO_RETURN = 6 };

/* Records a finished call: ok is the call's success, n the bytes it moved. */
static void finish(struct ts_tls_call *c, const struct ts_tls_lib *lib, SSL *s, int which,
		   void *buf, size_t num, bool ok, size_t n, int ret)
{
	static const enum ts_op ops[] = {TS_OP_SSL_READ, TS_OP_SSL_WRITE, TS_OP_SSL_PEEK};
	int err = errno;
	bool out = which == F_WRITE;
	struct ts_tls_io io = {.op = ops[which], .dir = out ? TS_HTTP_OUT : TS_HTTP_IN,
			       .no_feed = which == F_PEEK || !num, .buf = buf, .requested = num,
			       .done = ok ? (int64_t)n : -1, .err = err};
	if (!num)
		io.done = 0;   /* nothing asked: OpenSSL returns 0, no failure */
	else if (!ok && s && lib->fn[F_ERROR]) {
		/* SSL_get_error only looks at the session and the thread's error
		 * queue, which the program asks about next. */
		io.code = ((error_fn)lib->fn[F_ERROR])(s, ret);
		if (io.code == SSL_ERROR_ZERO_RETURN && !out)
			io.done = 0;   /* the peer closed the session cleanly */
	}
	int fd = ts_tls_socket(c, s);
	if (fd < 0 && ok && s) {
		/* Not seen moving bytes yet: its BIO's descriptor, if it has one
		 * (only asked after a success: a session with no BIO at all would
		 * leave an error in the queue). */
		fd_fn get = (fd_fn)lib->fn[out ? F_WFD : F_RFD];
		fd = get ? get(s) : -1;
		if (!ts_tls_usable(fd))
			fd = -1;
	}
	errno = err;
	ts_tls_leave(c, fd, &io);
}

/* The socket a write on session s goes to, when the shim is to add
 * traceparent to what it sends: as its earlier calls showed, else asked of
 * the session (only when it has a BIO: asking one with none would leave an
 * error in the queue the program reads next). -1: the write goes as it is. */
static int write_socket(const struct ts_tls_lib *lib, SSL *s)
{
	if (!s || !ts_http_injecting())
		return -1;
	int fd = ts_tls_known_socket(s);
	if (fd < 0 && lib->fn[F_WBIO] && lib->fn[F_WFD] && ((bio_fn)lib->fn[F_WBIO])(s))
		fd = ((fd_fn)lib->fn[F_WFD])(s);
	return ts_tls_usable(fd) ? fd : -1;
}

/* SSL_write or SSL_write_ex as the HTTP layer sends through them. */
struct ssl_sender {
	struct ts_http_tls_sender base;
	const struct ts_tls_lib *lib;
	SSL *s;
	size_t *done;   /* SSL_write_ex's, else NULL */
};

static ssize_t ssl_send(const struct ts_http_tls_sender *self, const void *buf, size_t n)
{
	const struct ssl_sender *w = (const struct ssl_sender *)self;
	if (!w->done)
		return n > INT32_MAX ? -1 : ((io_fn)w->lib->fn[F_WRITE])(w->s, (void *)buf, (int)n);
	int r = ((io_ex_fn)w->lib->fn[F_WRITE_EX])(w->s, (void *)buf, n, w->done);
	return r > 0 ? (ssize_t)*w->done : r;
}

/* The int-sized calls: SSL_read, SSL_write, SSL_peek. */
static int call(int which, const void *self, const void *site, SSL *s, void *buf, int num)
{
	struct ts_tls_lib scratch;
	const struct ts_tls_lib *lib = ts_tls_lib(&openssl, (unsigned)which, site, self, &scratch);
	if (!lib) {
		errno = ENOSYS;
		return -1;
	}
	io_fn real = (io_fn)lib->fn[which];
	struct ts_tls_call c;
	if (!ts_tls_enter(&c))
		return real(s, buf, num);
	int fd = which == F_WRITE && num > 0 ? write_socket(lib, s) : -1;
	int ret;
	if (fd >= 0) {
		const struct ssl_sender w = {{ssl_send}, lib, s, NULL};
		ret = (int)ts_http_tls_send(c.t, fd, buf, (size_t)num, &w.base);
	} else {
		ret = real(s, buf, num);
	}
	int err = errno;
	finish(&c, lib, s, which, buf, num > 0 ? (size_t)num : 0, ret > 0, ret > 0 ? (size_t)ret : 0,
	       ret);
	errno = err;
	return ret;
}

/* The size_t forms: 1 on success, with the bytes moved in *done. */
static int call_ex(int which, const void *self, const void *site, SSL *s, void *buf, size_t num,
		   size_t *done)
{
	struct ts_tls_lib scratch;
	const struct ts_tls_lib *lib = ts_tls_lib(&openssl, (unsigned)which + F_READ_EX, site, self,
						  &scratch);
	if (!lib) {
		errno = ENOSYS;
		return 0;
	}
	io_ex_fn real = (io_ex_fn)lib->fn[which + F_READ_EX];
	struct ts_tls_call c;
	if (!ts_tls_enter(&c))
		return real(s, buf, num, done);
	int fd = which == F_WRITE && num > 0 && done && lib->fn[F_WRITE_EX] ? write_socket(lib, s) : -1;
	int ret;
	if (fd >= 0) {
		const struct ssl_sender w = {{ssl_send}, lib, s, done};
		ssize_t k = ts_http_tls_send(c.t, fd, buf, num, &w.base);
		ret = k > 0 ? 1 : (int)k;
		if (k > 0)
			*done = (size_t)k;   /* the program's own bytes */
	} else {
		ret = real(s, buf, num, done);
	}
	int err = errno;
	finish(&c, lib, s, which, buf, num, ret > 0, ret > 0 && done ? *done : 0, ret);
	errno = err;
	return ret;
}

#define SITE __builtin_return_address(0)

TS_EXPORT int SSL_read(SSL *s, void *buf, int num)
{
	return call(F_READ, (const void *)SSL_read, SITE, s, buf, num);
}

TS_EXPORT int SSL_write(SSL *s, const void *buf, int num)
{
	return call(F_WRITE, (const void *)SSL_write, SITE, s, (void *)buf, num);
}

TS_EXPORT int SSL_peek(SSL *s, void *buf, int num)
{
	return call(F_PEEK, (const void *)SSL_peek, SITE, s, buf, num);
}

TS_EXPORT int SSL_read_ex(SSL *s, void *buf, size_t num, size_t *done)
{
	return call_ex(F_READ, (const void *)SSL_read_ex, SITE, s, buf, num, done);
}

TS_EXPORT int SSL_write_ex(SSL *s, const void *buf, size_t num, size_t *done)
{
	return call_ex(F_WRITE, (const void *)SSL_write_ex, SITE, s, (void *)buf, num, done);
}

TS_EXPORT int SSL_peek_ex(SSL *s, void *buf, size_t num, size_t *done)
{
	return call_ex(F_PEEK, (const void *)SSL_peek_ex, SITE, s, buf, num, done);
}

/* The client's handshakes: the session's socket is learnt (tlscall.h). */
static int handshake(int which, const void *self, const void *site, SSL *s)
{
	struct ts_tls_lib scratch;
	const struct ts_tls_lib *lib = ts_tls_lib(&openssl, (unsigned)which, site, self, &scratch);
	if (!lib) {
		errno = ENOSYS;
		return -1;
	}
	handshake_fn real = (handshake_fn)lib->fn[which];
	struct ts_thread *t = ts_tls_learn_enter();
	int ret = real(s);
	ts_tls_learn_leave(t, s);
	return ret;
}

TS_EXPORT int SSL_connect(SSL *s)
{
	return handshake(F_CONNECT, (const void *)SSL_connect, SITE, s);
}

TS_EXPORT int SSL_do_handshake(SSL *s)
{
	return handshake(F_HANDSHAKE, (const void *)SSL_do_handshake, SITE, s);
}
