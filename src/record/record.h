/* The core API the wrappers call: each records one finished call into the
 * calling thread's ring. The inline ones are the hot path: no lock, no
 * allocation, no system call. */
#ifndef TS_RECORD_H
#define TS_RECORD_H

#include "clock.h"
#include "fdstate.h"
#include "ops.h"
#include "thread.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* Fills every field of a span record but its span number and payload. */
static inline void ts_rec_fill(struct ts_rec *r, const struct ts_thread *t, enum ts_op op, int fd,
			       int64_t ret, int err, uint64_t t0, uint64_t t1)
{
	uint64_t st = ts_fd_state(fd);
	r->t0 = t0;
	r->t1 = t1;
	r->ret = ret;
	r->arg = 0;
	r->span = 0;
	r->parent = t->cur_span;
	r->fd = fd;
	r->fdgen = (uint32_t)st;
	r->op = (uint16_t)op;
	r->type = TS_REC_SPAN;
	r->ext = 0;
	r->err = (int16_t)err;
	r->kind = ts_fd_state_kind(st);
	r->aux_kind = 0;
	r->aux = r->aux2 = 0;
}

/* The family of op on fd is off (family.h): the call makes no span. An I/O
 * call on a socket counts as net. */
static inline bool ts_op_off_state(enum ts_op op, uint64_t state)
{
	if (__builtin_expect(!ts_families_off, 1))
		return false;
	unsigned fam = ts_ops[op].family;
	if ((ts_fd_state_kind(state) & 0xf) == TS_FD_SOCKET)
		fam = TS_FAM_NET;
	return ts_families_off & TS_FAM_BIT(fam);
}

static inline bool ts_op_off(enum ts_op op, int fd)
{
	return __builtin_expect(ts_families_off != 0, 0) && ts_op_off_state(op, ts_fd_state(fd));
}

/* An I/O call with flags in aux2 (TS_IO_WOKE: a write that woke a poll). */
static inline void ts_record_io_flags(struct ts_thread *t, enum ts_op op, int fd,
				      uint64_t requested, int64_t ret, uint32_t flags, uint64_t t0,
				      uint64_t t1)
{
	if (ts_op_off(op, fd))
		return;   /* the HTTP layer read the call (wrap.h, ts_call_off) */
	int err = ret < 0 ? errno : 0;
	struct ts_rec *r = ts_ring_reserve(&t->ring, 0, 0);
	if (!r)
		return;
	ts_rec_fill(r, t, op, fd, ret, err, t0, t1);
	r->arg = requested;
	r->aux2 = flags;
	r->span = t->next_span++;
	ts_ring_commit(&t->ring, 1);
}

static inline void ts_record_io(struct ts_thread *t, enum ts_op op, int fd, uint64_t requested,
				int64_t ret, uint64_t t0, uint64_t t1)
{
	ts_record_io_flags(t, op, fd, requested, ret, 0, t0, t1);
}

/* In-kernel copies: from in_fd to fd. */
static inline void ts_record_copy(struct ts_thread *t, enum ts_op op, int in_fd, int fd,
				  uint64_t requested, int64_t ret, uint64_t t0, uint64_t t1)
{
	if (ts_op_off(op, fd))
		return;
	int err = ret < 0 ? errno : 0;
	struct ts_rec *r = ts_ring_reserve(&t->ring, 0, 0);
	if (!r)
		return;
	uint64_t in_st = ts_fd_state(in_fd);
	ts_rec_fill(r, t, op, fd, ret, err, t0, t1);
	r->arg = requested;
	r->span = t->next_span++;
	r->aux = (uint32_t)in_fd;
	r->aux2 = (uint32_t)in_st;
	r->aux_kind = ts_fd_state_kind(in_st);
	ts_ring_commit(&t->ring, 1);
}

static inline uint64_t ts_iov_bytes(const struct iovec *iov, int n)
{
	uint64_t sum = 0;
	for (int i = 0; i < n && iov; i++)
		sum += iov[i].iov_len;
	return sum;
}

/* Appends *proto followed by len payload bytes (cut to the payload limit;
 * the length goes in aux). structural: may use the ring's reserve. Dropped
 * and counted when the ring is full: returns false then. */
bool ts_record_put(struct ts_thread *t, const struct ts_rec *proto, const void *payload,
		   unsigned len, int structural);
/* open/openat/creat: result is a new descriptor, path kept as payload. */
void ts_record_open(struct ts_thread *t, enum ts_op op, const char *path, int ret,
		    uint64_t t0, uint64_t t1);
/* connect, accept: a socket address kept as payload. For accept, fd is the
 * listening socket and ret the new one. */
void ts_record_sockaddr(struct ts_thread *t, enum ts_op op, int fd, const struct sockaddr *sa,
			socklen_t len, int64_t ret, uint64_t t0, uint64_t t1);
/* close: state is the descriptor's ts_fd_state() before the call (the
 * wrapper moves the generation on before closing). */
void ts_record_close(struct ts_thread *t, int fd, uint64_t state, int ret, uint64_t t0,
		     uint64_t t1);
/* pthread_create: span number and index of the thread it made. */
void ts_record_thread_create(struct ts_thread *t, uint32_t span, uint32_t child_index, int ret,
			     uint64_t t0, uint64_t t1);
/* A call that starts or becomes another process (fork, exec, spawn, system,
 * popen), as span number `span` (reserved before the call, as the child's
 * parent). ret: the call's result; err: its error number (0 on success);
 * child: the new pid; status: system()'s wait status, or -1; path: the
 * program (may be NULL). */
void ts_record_proc(struct ts_thread *t, enum ts_op op, uint32_t span, int64_t ret, int err,
		    pid_t child, int status, const char *path, uint64_t t0, uint64_t t1);
/* newfd became a duplicate of oldfd (dup, dup2, fcntl F_DUPFD); oldstate is
 * oldfd's ts_fd_state() before the call. t may be NULL (untraced thread). */
void ts_record_fd_alias(struct ts_thread *t, int oldfd, uint64_t oldstate, int newfd);
/* An exception event on the current span: a crash by signal `sig` (si_code
 * `code`, fault address `addr`; fatal when the signal ends the process) or,
 * with sig 0, a C++ throw of (mangled) type `type`. ips: the stack, innermost
 * first. Async-signal-safe. */
void ts_record_exception(struct ts_thread *t, int sig, int code, uint64_t addr, bool fatal,
			 const uint64_t *ips, unsigned nips, const char *type);
/* Descriptors [first, last] were closed by the program. */
void ts_fd_range_changed(unsigned first, unsigned last);

#endif
