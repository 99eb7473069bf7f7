/* The common shape of the blocking-wait wrappers (family wait): a straight
 * call on an untraced thread or with the family off; otherwise two tick
 * reads around the real call and one compare, and only a call that waited
 * at least TRACESHIM_WAIT_MIN_US goes on to make a span (record/recordsyswait.h).
 * The result and errno are the real call's. */
#ifndef TS_WAITWRAP_H
#define TS_WAITWRAP_H

#include "recordsyswait.h"
#include "wrap.h"

/* The calling thread when its waits are traced, else NULL. */
static inline struct ts_thread *ts_wait_caller(void)
{
	struct ts_thread *t = ts_caller();
	return t && !ts_family_off(TS_FAM_WAIT) ? t : NULL;
}

/* A pointer the program passed that may be read: not NULL, not in the
 * first page, below the top of user space. A call given a bad pointer
 * fails with EFAULT without the shim, and must not crash with it: an
 * argument is read only when plausible, and after the call only when the
 * call did not say EFAULT. (A pointer to unmapped memory in the middle of
 * user space cannot be told without a system call.) */
static inline bool ts_plausible_ptr(const void *p)
{
#if defined(__x86_64__)
	const uintptr_t top = (uintptr_t)1 << 47;
#else
	const uintptr_t top = (uintptr_t)1 << 48;
#endif
	return (uintptr_t)p >= 4096 && (uintptr_t)p < top;
}

/* The error of a call with result r (errno e after it). A function: a
 * result of unsigned type (sleep) is then no comparison the compiler
 * calls always false. */
static inline int ts_wait_err(int64_t r, int e)
{
	return r < 0 ? e : 0;
}

/* A wait call: `call` is the real call, `info` a statement filling the
 * struct ts_wait_info w_ from r_ (the result) and e_ (errno after the
 * call), run only for a call that may have blocked long enough. A call
 * that cannot wait (`nowait`: a timeout of 0) goes straight through, not
 * even timed. */
#define TS_WAIT_BODY_UNLESS(nowait, op, call, info)                                        \
	do {                                                                               \
		struct ts_thread *t_;                                                      \
		if ((nowait) || !(t_ = ts_wait_caller()))                                  \
			return call;                                                       \
		uint64_t t0_ = ts_ticks();                                                 \
		__typeof__(call) r_ = call;                                                \
		uint64_t t1_ = ts_ticks();                                                 \
		if (__builtin_expect(!ts_wait_maybe_long(t0_, t1_), 1))                    \
			return r_;                                                         \
		int e_ = errno;                                                            \
		struct ts_wait_info w_ = {0};                                              \
		info;                                                                      \
		ts_record_syswait(t_, op, __builtin_return_address(0), (int64_t)r_,         \
			       ts_wait_err((int64_t)r_, e_), &w_, t0_, t1_);                  \
		errno = e_;                                                                \
		return r_;                                                                 \
	} while (0)

#define TS_WAIT_BODY(op, call, info) TS_WAIT_BODY_UNLESS(false, op, call, info)

#endif
