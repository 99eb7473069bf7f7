/* Helpers shared by the wrappers: finding the real function, and the common
 * shape of a traced call (time it, call through, record it). */
#ifndef TS_WRAP_H
#define TS_WRAP_H

#include "httpconn.h"
#include "init.h"
#include "record.h"
#include "resolve.h"

#include <errno.h>

#define TS_EXPORT __attribute__((visibility("default")))

/* Declares `real` as the next definition of `name`, resolved on first use.
 * With nothing to call, the wrapper fails with ENOSYS. */
#define TS_REAL(name, fail)                                                        \
	static __typeof__(&name) real;                                             \
	if (__builtin_expect(!real, 0)) {                                          \
		__typeof__(&name) found_ = (__typeof__(&name))ts_resolve(#name, (const void *)name); \
		__atomic_store_n(&real, found_, __ATOMIC_RELAXED);                 \
		if (!found_) {                                                     \
			errno = ENOSYS;                                            \
			return fail;                                               \
		}                                                                  \
	}

/* Same, for a symbol whose prototype the headers do not declare. */
#define TS_REAL_TYPED(type, name, fail)                                            \
	static type real;                                                          \
	if (__builtin_expect(!real, 0)) {                                          \
		type found_ = (type)ts_resolve(#name, (const void *)name);         \
		__atomic_store_n(&real, found_, __ATOMIC_RELAXED);                 \
		if (!found_) {                                                     \
			errno = ENOSYS;                                            \
			return fail;                                               \
		}                                                                  \
	}

/* The one shape of a traced call: untraced threads call straight through,
 * and so do calls `off` says nothing is wanted of (it is evaluated once the
 * tracer has started, when the settings are read); otherwise time the real
 * call and hand the result to `record`, which sees t_ (the thread), r_ (the
 * result), t0_ and t1_ (ticks before and after). */
#define TS_TRACED_UNLESS(off, call, record)                                        \
	do {                                                                       \
		struct ts_thread *t_ = ts_caller();                                \
		if (!t_ || (off))                                                  \
			return call;                                               \
		uint64_t t0_ = ts_ticks();                                         \
		__typeof__(call) r_ = call;                                        \
		uint64_t t1_ = ts_ticks();                                         \
		record;                                                            \
		return r_;                                                         \
	} while (0)

#define TS_TRACED(call, record) TS_TRACED_UNLESS(false, call, record)

/* Nothing of a call of op on fd is wanted (TRACESHIM_TRACE): its family is
 * off (ts_op_off) and the HTTP layer does not read it (http is off, or the
 * call is no socket call and not on a socket it watches). A call made for
 * the HTTP layer alone keeps its bookkeeping and makes no span of its own. */
static inline bool ts_call_off(enum ts_op op, int fd)
{
	if (__builtin_expect(!ts_families_off, 1) || !ts_op_off(op, fd))
		return false;
	return ts_family_off(TS_FAM_HTTP) ||
	       (ts_ops[op].family != TS_FAM_NET && !ts_http_watched(ts_fd_state(fd)));
}

/* TS_TRACED for a call of op on fd, straight through when ts_call_off. */
#define TS_TRACED_OP(op, fd, call, record) TS_TRACED_UNLESS(ts_call_off(op, fd), call, record)

/* An I/O call: `requested` is the number of bytes asked for. */
#define TS_IO_BODY(op, fd, requested, call) \
	TS_TRACED_OP(op, fd, call, ts_record_io(t_, op, fd, requested, (int64_t)r_, t0_, t1_))

/* A call on stream socket fd: a TLS call this one is made from learns the
 * socket its session runs on (tlscall.h); more than one: none. */
static inline void ts_tls_saw(struct ts_thread *t, int fd)
{
	t->tls_sock = t->tls_sock == -1 || t->tls_sock == fd ? fd : -2;
}

/* An I/O call that may be on a socket: the bytes it moved (buf, or the first
 * r_ bytes of an iovec array when iov) also go to the connection's HTTP
 * sniffer. dir: TS_HTTP_OUT or TS_HTTP_IN; no bytes when peek (MSG_PEEK:
 * they are read again). */
static inline void ts_record_net(struct ts_thread *t, enum ts_op op, int fd, int dir, bool peek,
				 const void *buf, const struct iovec *iov, size_t cnt,
				 uint64_t requested, int64_t ret, uint64_t t0, uint64_t t1)
{
	ts_record_io(t, op, fd, requested, ret, t0, t1);
	uint64_t st = ts_fd_state(fd);
	if (__builtin_expect(ts_http_watched(st), 0)) {
		ts_tls_saw(t, fd);
		if (ret < 0 || peek)
			return;
		if (iov)
			ts_http_iov(t, fd, st, TS_HTTP_SOCKET, dir, iov, cnt, ret, t0, t1);
		else
			ts_http_bytes(t, fd, st, TS_HTTP_SOCKET, dir, buf, ret, t0, t1);
	}
}

/* A send that may begin an HTTP request on a socket: handed to
 * ts_http_sendv, which may add the shim's traceparent line (httpinject.c).
 * The descriptor's kind is looked at first: other descriptors pay one load. */
#define TS_HTTP_SENDV(op, fd, iov, cnt, sender)                                         \
	do {                                                                            \
		uint64_t st_ = ts_fd_state(fd);                                         \
		if (__builtin_expect(ts_http_watched(st_), 0) && ts_http_injecting() &&   \
		    ts_http_may_inject(fd, st_)) {                                      \
			struct ts_thread *t_ = ts_caller();                               \
			if (t_) {                                                       \
				ts_tls_saw(t_, fd);                                     \
				return ts_http_sendv(t_, fd, op, iov, cnt, sender);       \
			}                                                               \
		}                                                                       \
	} while (0)

#define TS_HTTP_SEND(op, fd, buf, n, sender)                                            \
	do {                                                                            \
		const struct iovec one_ = {(void *)(buf), (n)};                         \
		TS_HTTP_SENDV(op, fd, &one_, 1, sender);                                \
	} while (0)

/* A close of fd made by `call` (close(), or the system call itself through
 * syscall(), as libuv closes its sockets). The generation moves on before the
 * descriptor is released: a thread that gets this number from open() right
 * after must see a new one. Then the span, and the end of what fd's HTTP
 * connection had open. */
#define TS_CLOSE_BODY(fd, call)                                                         \
	do {                                                                            \
		uint64_t state_ = ts_fd_state(fd);                                      \
		ts_fd_changed(fd);                                                      \
		struct ts_thread *t_ = ts_caller();                                     \
		if (!t_ || (ts_op_off_state(TS_OP_CLOSE, state_) && !ts_http_watched(state_))) \
			return call;                                                    \
		uint64_t t0_ = ts_ticks();                                              \
		__typeof__(call) r_ = call;                                             \
		uint64_t t1_ = ts_ticks();                                              \
		ts_record_close(t_, fd, state_, (int)r_, t0_, t1_);                     \
		ts_http_closed(t_, fd, state_, t1_);                                    \
		return r_;                                                              \
	} while (0)

/* fd.c: descriptors first to last were closed (close_range, closefrom): the
 * HTTP connections among them end, as with close(), and the generations move
 * on. errno is left as it was. */
void ts_fds_closed(unsigned first, unsigned last);

/* rlimit.c: prlimit64(pid, resource, rl, old) as the system call, the
 * limit followed when it is this process's (syscall() goes here too). */
long ts_rlimit_call(pid_t pid, int resource, const void *rl, void *old);

#define TS_NET_BODY(op, fd, dir, peek, buf, requested, call)                          \
	TS_TRACED_OP(op, fd, call, ts_record_net(t_, op, fd, dir, peek, buf, NULL, 0, requested, \
				      (int64_t)r_, t0_, t1_))

#define TS_NETV_BODY(op, fd, dir, peek, iov, cnt, call)                                   \
	TS_TRACED_OP(op, fd, call, ts_record_net(t_, op, fd, dir, peek, NULL, iov, (size_t)(cnt),       \
				      ts_iov_bytes(iov, (int)(cnt)), (int64_t)r_, t0_, t1_))

#endif
