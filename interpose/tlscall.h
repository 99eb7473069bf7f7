/* A TLS library's plaintext read or write as the wrappers record it (tls.c:
 * OpenSSL, gnutls.c: GnuTLS): a span whose children are the socket calls the
 * library made for it, and the plaintext it moved fed to the HTTP layer of
 * the session's socket (httpconn.h, TS_HTTP_TLS).
 *
 * The session's socket is the one the library moved bytes on during the call
 * (the socket wrappers note it in the thread's tls_sock), which works
 * whatever the transport (a plain socket, curl's own BIO or GnuTLS push and
 * pull functions). A call served from the library's buffers moves none: the
 * socket last seen for the session is kept in a table by session address,
 * and the library itself is asked last (SSL_get_rfd, the GnuTLS transport
 * pointer), for sessions never seen moving bytes. A session on no socket
 * (memory BIOs) has its calls recorded but nothing fed. */
#ifndef TS_TLSCALL_H
#define TS_TLSCALL_H

#include "clock.h"
#include "init.h"
#include "ops.h"

#include <stdbool.h>
#include <stdint.h>

struct ts_tls_call {
	struct ts_thread *t;
	uint64_t t0;
	uint32_t span, parent;
};

/* Before the real call. false: call straight through, untraced (the thread
 * is not traced, or this call is made from inside another TLS call: the
 * library calling its own public functions, or TLS over TLS). */
static inline bool ts_tls_enter(struct ts_tls_call *c)
{
	struct ts_thread *t = ts_caller();
	if (!t || t->tls_depth || (ts_family_off(TS_FAM_NET) && ts_family_off(TS_FAM_HTTP)))
		return false;   /* TLS calls are traced while net or http is */
	t->tls_depth = 1;
	t->tls_sock = -1;
	c->t = t;
	c->parent = t->cur_span;
	c->span = t->next_span++;
	t->cur_span = c->span;   /* the socket calls made inside are its children */
	c->t0 = ts_ticks();
	return true;
}

/* What the call did. */
struct ts_tls_io {
	enum ts_op op;
	int dir;                  /* TS_HTTP_IN or TS_HTTP_OUT */
	bool no_feed;             /* a peek (the bytes are read again), or nothing asked */
	const void *buf;
	uint64_t requested;
	int64_t done;             /* plaintext bytes moved; 0 on a read: the peer
				   * closed the session; -1: failed */
	int32_t code;             /* when failed: SSL_get_error(), or the GNUTLS_E_ code */
	int err;                  /* errno, when it tells why */
};

/* Right after the real call: the session's socket as this call showed it,
 * or as an earlier one did; -1 when neither did (the wrapper may then ask
 * the library, and check the answer with ts_tls_usable). */
int ts_tls_socket(const struct ts_tls_call *c, const void *session);

/* A handshake (SSL_connect, SSL_accept, SSL_do_handshake, gnutls_handshake)
 * is no span, but the socket it moves bytes on is its session's: noted, so
 * that the first write after it, a client's request, can carry traceparent.
 * enter: NULL when the call goes straight through; leave takes that NULL
 * too, and keeps errno. */
static inline struct ts_thread *ts_tls_learn_enter(void)
{
	struct ts_thread *t = ts_caller();
	if (!t || t->tls_depth)
		return NULL;
	t->tls_depth = 1;
	t->tls_sock = -1;
	return t;
}
void ts_tls_learn_leave(struct ts_thread *t, const void *session);

/* Before a write: the session's socket as an earlier call showed it, or -1. */
int ts_tls_known_socket(const void *session);

/* fd is a stream socket a TLS session may run on. */
bool ts_tls_usable(int fd);

/* Records the call, on socket fd (-1 when unknown), and feeds its plaintext
 * to the socket's HTTP layer. Leaves errno as it was. */
void ts_tls_leave(struct ts_tls_call *c, int fd, const struct ts_tls_io *io);

#endif
