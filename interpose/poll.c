/* Waits for descriptors: poll, ppoll, select, pselect and the epoll waits,
 * as spans when they blocked (waitwrap.h), with the timeout given, the
 * number of descriptors or events asked for and how they ended. A poll or
 * select that waited for the readable end of a pipe or eventfd the program
 * made notes it (record/fdwake.h), so that the write of another thread that
 * woke it is linked to it; the epoll waits are not linked (what an epoll
 * instance watches is not seen here). nginx and the like call epoll_wait
 * in their event loop: a call with a timeout of 0 goes straight through,
 * and one that returns at once costs two tick reads and a compare. */
#include "waitwrap.h"

#include "fdwake.h"
#include "rawsys.h"
#include "rlimits.h"

#include <poll.h>
#include <stdatomic.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <time.h>

/* Since glibc 2.35; declared here so older headers still build. */
struct timespec;
extern int epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
			const struct timespec *timeout, const sigset_t *sigmask);
extern int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);
extern int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
		       const sigset_t *ss, size_t fdslen);

/* Milliseconds of a relative timeout; -1 for none (infinite). */
static int64_t ms_of_ts(const struct timespec *ts)
{
	return ts_plausible_ptr(ts) ? (int64_t)ts->tv_sec * 1000 + ts->tv_nsec / 1000000 : -1;
}

static int64_t ms_of_tv(const struct timeval *tv)
{
	return ts_plausible_ptr(tv) ? (int64_t)tv->tv_sec * 1000 + tv->tv_usec / 1000 : -1;
}

/* A timeout of exactly 0: the call cannot wait. */
static bool ts_zero(const struct timespec *ts)
{
	return ts_plausible_ptr(ts) && ts->tv_sec == 0 && ts->tv_nsec == 0;
}

static bool tv_zero(const struct timeval *tv)
{
	return ts_plausible_ptr(tv) && tv->tv_sec == 0 && tv->tv_usec == 0;
}

/* The known readable ends a poll waits for (at most WATCH_MAX of them). */
#define WATCH_MAX 8
struct watch {
	unsigned n;
	int fd[WATCH_MAX];
	unsigned at[WATCH_MAX];   /* poll: the entry's index */
};

/* How many of a poll's n entries may be read before the call: none when
 * n is over RLIMIT_NOFILE's soft limit, as the kernel then fails with
 * EINVAL without reading any (a program's array may be shorter than the n
 * it gives). The limit is the one the shim follows (rlimits.h): no system
 * call here, which a sandboxed program's filter may punish. */
static nfds_t poll_readable(nfds_t n)
{
	return n <= ts_rlimits_nofile() ? n : 0;
}

/* cap: the entries the array holds, as a fortified caller says (its
 * check fails the call otherwise). */
static bool watch_poll(struct watch *w, const struct pollfd *fds, nfds_t n, nfds_t cap)
{
	w->n = 0;
	if (!ts_plausible_ptr(fds) || n > cap)
		return false;
	n = poll_readable(n);
	for (nfds_t i = 0; i < n && w->n < WATCH_MAX; i++) {
		if (fds[i].fd >= 0 && (fds[i].events & (POLLIN | POLLRDNORM)) &&
		    ts_fdwake_enter(fds[i].fd)) {
			w->fd[w->n] = fds[i].fd;
			w->at[w->n++] = (unsigned)i;
		}
	}
	return w->n != 0;
}

static bool watch_select(struct watch *w, int nfds, const fd_set *rd)
{
	w->n = 0;
	int top = nfds < TS_FDWAKE_MAX ? nfds : TS_FDWAKE_MAX;
	for (int fd = 0; ts_plausible_ptr(rd) && fd < top && w->n < WATCH_MAX; fd++) {
		if (FD_ISSET(fd, rd) && ts_fdwake_enter(fd))
			w->fd[w->n++] = fd;
	}
	return w->n != 0;
}

/* Ends the watch; the first waking write found, as fdwake.h gives it. */
static uint64_t unwatch(const struct watch *w, int r, const struct pollfd *fds, const fd_set *rd)
{
	uint64_t found = 0;
	for (unsigned i = 0; i < w->n; i++) {
		bool readable = r > 0 && (fds ? (fds[w->at[i]].revents & (POLLIN | POLLRDNORM)) != 0 :
					  FD_ISSET(w->fd[i], rd));
		uint64_t k = ts_fdwake_leave(w->fd[i], readable);
		if (!found)
			found = k;
	}
	return found;
}

/* After a poll or select that may have waited: the watch ended, and a span
 * when it waited long enough. */
static void polled(struct ts_thread *t, enum ts_op op, const void *caller, int r, int64_t timeout,
		   uint64_t count, const struct watch *w, const struct pollfd *fds, const fd_set *rd,
		   uint64_t t0, uint64_t t1)
{
	int err = errno;
	uint64_t waker = w ? unwatch(w, r, fds, rd) : 0;
	if (ts_wait_maybe_long(t0, t1)) {
		struct ts_wait_info info = {
			.arg = (uint64_t)timeout,
			.aux = count > UINT32_MAX ? UINT32_MAX : (uint32_t)count,
			.aux2 = (uint32_t)waker,
			.waker_index1 = (uint32_t)(waker >> 32),
		};
		ts_record_syswait(t, op, caller, r, r < 0 ? err : 0, &info, t0, t1);
	}
	errno = err;
}

/* A wait on descriptors: with no timeout to wait (nowait) it goes straight
 * through. watched, an expression on w_ (struct watch), says whether the
 * descriptors are watched for the write that wakes them; count: how many
 * the call names; the timeout is read before the call (Linux's select
 * writes what is left of it). */
#define FD_WAIT_BODY(op, nowait, watched, count, fds, rd, timeout, call)                  \
	do {                                                                              \
		struct ts_thread *t_;                                                     \
		if ((nowait) || !(t_ = ts_wait_caller()))                                 \
			return call;                                                      \
		int64_t tmo_ = (timeout);                                                 \
		struct watch w_;                                                          \
		bool watching_ = ts_fdwake_any_known() && (watched);                      \
		uint64_t t0_ = ts_ticks();                                                \
		int r_ = call;                                                            \
		uint64_t t1_ = ts_ticks();                                                \
		if (__builtin_expect(!watching_ && !ts_wait_maybe_long(t0_, t1_), 1))     \
			return r_;                                                        \
		polled(t_, op, __builtin_return_address(0), r_, tmo_, (count),           \
		       watching_ ? &w_ : NULL, fds, rd, t0_, t1_);                        \
		return r_;                                                                \
	} while (0)

/* poll and its kin: a timeout of 0 cannot wait. */
#define POLL_BODY(op, fds, n, cap, nowait, timeout, call) \
	FD_WAIT_BODY(op, nowait, watch_poll(&w_, fds, n, cap), n, fds, NULL, timeout, call)

TS_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	TS_REAL(poll, -1);
	POLL_BODY(TS_OP_POLL, fds, n, (nfds_t)-1, timeout == 0, timeout < 0 ? -1 : timeout,
		  real(fds, n, timeout));
}

TS_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	TS_REAL(__poll_chk, -1);
	POLL_BODY(TS_OP_POLL, fds, n, fdslen / sizeof *fds, timeout == 0,
		  timeout < 0 ? -1 : timeout, real(fds, n, timeout, fdslen));
}

TS_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *ss)
{
	TS_REAL(ppoll, -1);
	POLL_BODY(TS_OP_PPOLL, fds, n, (nfds_t)-1, ts_zero(ts), ms_of_ts(ts), real(fds, n, ts, ss));
}

TS_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
			  const sigset_t *ss, size_t fdslen)
{
	TS_REAL(__ppoll_chk, -1);
	POLL_BODY(TS_OP_PPOLL, fds, n, fdslen / sizeof *fds, ts_zero(ts), ms_of_ts(ts),
		  real(fds, n, ts, ss, fdslen));
}

/* select and pselect: the readable set is watched. */
#define SELECT_BODY(op, nfds, rd, nowait, timeout, call)                                  \
	FD_WAIT_BODY(op, nowait, watch_select(&w_, nfds, rd), (nfds) < 0 ? 0 : (uint64_t)(nfds), \
		     NULL, rd, timeout, call)

TS_EXPORT int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	TS_REAL(select, -1);
	SELECT_BODY(TS_OP_SELECT, nfds, rd, tv_zero(tv), ms_of_tv(tv), real(nfds, rd, wr, ex, tv));
}

TS_EXPORT int pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timespec *ts,
		      const sigset_t *ss)
{
	TS_REAL(pselect, -1);
	SELECT_BODY(TS_OP_PSELECT, nfds, rd, ts_zero(ts), ms_of_ts(ts),
		    real(nfds, rd, wr, ex, ts, ss));
}

#define EPOLL_INFO(maxevents, timeout)                                                    \
	(w_.arg = (uint64_t)(int64_t)(timeout), w_.aux = (maxevents) < 0 ? 0 : (uint32_t)(maxevents))

TS_EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int maxevents, int timeout)
{
	TS_REAL(epoll_wait, -1);
	TS_WAIT_BODY_UNLESS(timeout == 0, TS_OP_EPOLL_WAIT, real(epfd, ev, maxevents, timeout),
		     EPOLL_INFO(maxevents, timeout < 0 ? -1 : timeout));
}

TS_EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int maxevents, int timeout,
			  const sigset_t *ss)
{
	TS_REAL(epoll_pwait, -1);
	TS_WAIT_BODY_UNLESS(timeout == 0, TS_OP_EPOLL_PWAIT, real(epfd, ev, maxevents, timeout, ss),
		     EPOLL_INFO(maxevents, timeout < 0 ? -1 : timeout));
}

TS_EXPORT int epoll_pwait2(int epfd, struct epoll_event *ev, int maxevents,
			   const struct timespec *ts, const sigset_t *ss)
{
	TS_REAL(epoll_pwait2, -1);
	TS_WAIT_BODY_UNLESS(ts_zero(ts), TS_OP_EPOLL_PWAIT2, real(epfd, ev, maxevents, ts, ss),
		     EPOLL_INFO(maxevents, ms_of_ts(ts)));
}
