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
 * a program's own pointer (curl's) is an address, never that small. */
#include "tlscall.h"
#include "tlslib.h"
#include "wrap.h"

#include <stddef.h>
#include <sys/types.h>

typedef struct gnutls_session_int *gnutls_session_t;

ssize_t gnutls_record_send(gnutls_session_t s, const void *data, size_t size);
ssize_t gnutls_record_send2(gnutls_session_t s, const void *data, size_t size, size_t pad,
			    unsigned flags);
ssize_t gnutls_record_recv(gnutls_session_t s, void *data, size_t size);
ssize_t gnutls_record_recv_seq(gnutls_session_t s, void *data, size_t size, unsigned char *seq);

typedef ssize_t (*send_fn)(gnutls_session_t, const void *, size_t);
typedef ssize_t (*send2_fn)(gnutls_session_t, const void *, size_t, size_t, unsigned);
typedef ssize_t (*recv_fn)(gnutls_session_t, void *, size_t);
typedef ssize_t (*recv_seq_fn)(gnutls_session_t, void *, size_t, unsigned char *);
typedef void (*ptr2_fn)(gnutls_session_t, void **, void **);

enum { F_SEND, F_SEND2, F_RECV, F_RECV_SEQ, F_PTR2 };
static const char *const names[] = {
	"gnutls_record_send", "gnutls_record_send2", "gnutls_record_recv", "gnutls_record_recv_seq",
	"gnutls_transport_get_ptr2",
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

static void finish(struct ts_tls_call *c, const struct ts_tls_lib *lib, gnutls_session_t s, bool out,
		   const void *buf, size_t size, ssize_t ret)
{
	int err = errno;
	struct ts_tls_io io = {.op = out ? TS_OP_GNUTLS_SEND : TS_OP_GNUTLS_RECV,
			       .dir = out ? TS_HTTP_OUT : TS_HTTP_IN, .no_feed = !size, .buf = buf,
			       .requested = size, .done = ret >= 0 ? ret : -1,
			       .code = ret < 0 ? (int32_t)ret : 0, .err = err};
	int fd = ts_tls_socket(c, s);
	if (fd < 0 && s && lib->fn[F_PTR2]) {
		void *in = NULL, *to = NULL;
		((ptr2_fn)lib->fn[F_PTR2])(s, &in, &to);
		uintptr_t p = (uintptr_t)(out ? to : in);
		fd = p < FD_PTR_MAX && ts_tls_usable((int)p) ? (int)p : -1;
	}
	errno = err;
	ts_tls_leave(c, fd, &io);
}

#define SITE __builtin_return_address(0)

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

TS_EXPORT ssize_t gnutls_record_send(gnutls_session_t s, const void *data, size_t size)
{
	const void *self = (const void *)gnutls_record_send;
	GNUTLS_BODY(F_SEND, send_fn, true, data, size, s, data, size);
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
