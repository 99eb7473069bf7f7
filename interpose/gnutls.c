/* GnuTLS: the plaintext calls gnutls_record_send, gnutls_record_send2,
 * gnutls_record_recv and gnutls_record_recv_seq, each a span
 * (gnutls_record_send or gnutls_record_recv) over the socket calls it made,
 * and what it moved fed to the HTTP layer of the session's socket
 * (tlscall.h). libcurl built with GnuTLS (git, apt) goes through here.
 *
 * The declarations are below (gnutls.h is not needed); the real functions
 * come from the copy of libgnutls the caller would reach (tlslib.h). A
 * session's socket is the one seen during its calls; failing that, its
 * transport pointer when that holds a descriptor (gnutls_transport_set_int):
 * a program's own pointer (curl's) is an address, never that small.
 * gnutls_record_send adds the shim's traceparent to a request as a plain
 * socket's send does (httpconn.h, ts_http_tls_send). */
#include "httpconn.h"
#include "tlscall.h"
#include "tlslib.h"
#include "wrap.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct gnutls_session_int *gnutls_session_t;

ssize_t gnutls_record_send(gnutls_session_t s, const void *data, size_t size);
ssize_t gnutls_record_send2(gnutls_session_t s, const void *data, size_t size, size_t pad,
			    unsigned flags);
ssize_t gnutls_record_recv(gnutls_session_t s, void *data, size_t size);
ssize_t gnutls_record_recv_seq(gnutls_session_t s, void *data, size_t size, unsigned char *seq);
int gnutls_handshake(gnutls_session_t s);

typedef ssize_t (*send_fn)(gnutls_session_t, const void *, size_t);
typedef ssize_t (*send2_fn)(gnutls_session_t, const void *, size_t, size_t, unsigned);
typedef ssize_t (*recv_fn)(gnutls_session_t, void *, size_t);
typedef ssize_t (*recv_seq_fn)(gnutls_session_t, void *, size_t, unsigned char *);
typedef void (*ptr2_fn)(gnutls_session_t, void **, void **);

typedef int (*handshake_fn)(gnutls_session_t);

enum { F_SEND, F_SEND2, F_RECV, F_RECV_SEQ, F_PTR2, F_HANDSHAKE };
static const char *const names[] = {
	"gnutls_record_send", "gnutls_record_send2", "gnutls_record_recv", "gnutls_record_recv_seq",
	"gnutls_transport_get_ptr2", "gnutls_handshake",
};
_Static_assert(sizeof names / sizeof *names <= TS_TLS_FNS, "too many names");

static struct ts_tls_family gnutls = {.names = names, .count = sizeof names / sizeof *names};

/* Pointers below this are never mapped (vm.mmap_min_addr's default): a
 * transport pointer there is a descriptor number. */
#define FD_PTR_MAX 65536

static const struct ts_tls_lib *lib_for(unsigned fn, const void *site, const void *self,
					 struct ts_tls_lib *scratch)
{
	const struct ts_tls_lib *lib = ts_tls_lib(&gnutls, fn, site, self, scratch);
	if (!lib)
		errno = ENOSYS;
	return lib;
}

/* The descriptor in the session's transport pointer for that direction
 * (gnutls_transport_set_int), or -1. */
static int transport_fd(const struct ts_tls_lib *lib, gnutls_session_t s, bool out)
{
	if (!s || !lib->fn[F_PTR2])
		return -1;
	void *in = NULL, *to = NULL;
	((ptr2_fn)lib->fn[F_PTR2])(s, &in, &to);
	uintptr_t p = (uintptr_t)(out ? to : in);
	return p < FD_PTR_MAX && ts_tls_usable((int)p) ? (int)p : -1;
}

static void finish(struct ts_tls_call *c, const struct ts_tls_lib *lib, gnutls_session_t s, bool out,
		   const void *buf, size_t size, ssize_t ret)
{
	int err = errno;
	struct ts_tls_io io = {.op = out ? TS_OP_GNUTLS_SEND : TS_OP_GNUTLS_RECV,
			       .dir = out ? TS_HTTP_OUT : TS_HTTP_IN, .no_feed = !size, .buf = buf,
			       .requested = size, .done = ret >= 0 ? ret : -1,
			       .code = ret < 0 ? (int32_t)ret : 0, .err = err};
	int fd = ts_tls_socket(c, s);
	if (fd < 0)
		fd = transport_fd(lib, s, out);
	errno = err;
	ts_tls_leave(c, fd, &io);
}

#define SITE __builtin_return_address(0)

/* The socket a send on session s goes to, when the shim is to add
 * traceparent to what it sends (see finish); -1: it goes as it is. */
static int write_socket(const struct ts_tls_lib *lib, gnutls_session_t s)
{
	if (!s || !ts_http_injecting())
		return -1;
	int fd = ts_tls_known_socket(s);
	return fd >= 0 ? fd : transport_fd(lib, s, true);
}

/* gnutls_record_send as the HTTP layer sends through it. */
struct gnutls_sender {
	struct ts_http_tls_sender base;
	send_fn real;
	gnutls_session_t s;
};

static ssize_t gnutls_send(const struct ts_http_tls_sender *self, const void *buf, size_t n)
{
	const struct gnutls_sender *w = (const struct gnutls_sender *)self;
	return w->real(w->s, buf, n);
}

/* The shape of every wrapper: find the real function, call straight through
 * when untraced, else record. */
#define GNUTLS_BODY(which, type, out, buf, size, ...)                                  \
	struct ts_tls_lib scratch;                                                   \
	const struct ts_tls_lib *lib = lib_for(which, SITE, (const void *)self, &scratch); \
	if (!lib)                                                                    \
		return GNUTLS_E_INTERNAL_ERROR;                                      \
	type real = (type)lib->fn[which];                                            \
	struct ts_tls_call c;                                                        \
	if (!ts_tls_enter(&c))                                                       \
		return real(__VA_ARGS__);                                            \
	ssize_t ret = real(__VA_ARGS__);                                             \
	int err = errno;                                                             \
	finish(&c, lib, s, out, buf, size, ret);                                     \
	errno = err;                                                                 \
	return ret

enum { GNUTLS_E_INTERNAL_ERROR = -59 };

/* The one send that may carry a request with the shim's traceparent (curl's;
 * gnutls_record_send2's padding is the program's business). */
TS_EXPORT ssize_t gnutls_record_send(gnutls_session_t s, const void *data, size_t size)
{
	struct ts_tls_lib scratch;
	const struct ts_tls_lib *lib = lib_for(F_SEND, SITE, (const void *)gnutls_record_send,
					       &scratch);
	if (!lib)
		return GNUTLS_E_INTERNAL_ERROR;
	send_fn real = (send_fn)lib->fn[F_SEND];
	struct ts_tls_call c;
	if (!ts_tls_enter(&c))
		return real(s, data, size);
	int fd = size ? write_socket(lib, s) : -1;
	ssize_t ret;
	if (fd >= 0) {
		const struct gnutls_sender w = {{gnutls_send}, real, s};
		ret = ts_http_tls_send(c.t, fd, data, size, &w.base);
	} else {
		ret = real(s, data, size);
	}
	int err = errno;
	finish(&c, lib, s, true, data, size, ret);
	errno = err;
	return ret;
}

TS_EXPORT ssize_t gnutls_record_send2(gnutls_session_t s, const void *data, size_t size, size_t pad,
				      unsigned flags)
{
	const void *self = (const void *)gnutls_record_send2;
	GNUTLS_BODY(F_SEND2, send2_fn, true, data, size, s, data, size, pad, flags);
}

TS_EXPORT ssize_t gnutls_record_recv(gnutls_session_t s, void *data, size_t size)
{
	const void *self = (const void *)gnutls_record_recv;
	GNUTLS_BODY(F_RECV, recv_fn, false, data, size, s, data, size);
}

TS_EXPORT ssize_t gnutls_record_recv_seq(gnutls_session_t s, void *data, size_t size,
					 unsigned char *seq)
{
	const void *self = (const void *)gnutls_record_recv_seq;
	GNUTLS_BODY(F_RECV_SEQ, recv_seq_fn, false, data, size, s, data, size, seq);
}

/* The handshake: the session's socket is learnt (tlscall.h). */
TS_EXPORT int gnutls_handshake(gnutls_session_t s)
{
	struct ts_tls_lib scratch;
	const struct ts_tls_lib *lib = lib_for(F_HANDSHAKE, SITE, (const void *)gnutls_handshake,
					       &scratch);
	if (!lib)
		return GNUTLS_E_INTERNAL_ERROR;
	handshake_fn real = (handshake_fn)lib->fn[F_HANDSHAKE];
	struct ts_thread *t = ts_tls_learn_enter();
	int ret = real(s);
	ts_tls_learn_leave(t, s);
	return ret;
}
