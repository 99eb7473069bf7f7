/* Helpers shared by the wrappers: finding the real function, and the common
 * shape of a traced call (time it, call through, record it). */
#ifndef TS_WRAP_H
#define TS_WRAP_H

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

/* The one shape of a traced call: untraced threads call straight through;
 * otherwise time the real call and hand the result to `record`, which sees
 * t_ (the thread), r_ (the result), t0_ and t1_ (ticks before and after). */
#define TS_TRACED(call, record)                                                    \
	do {                                                                       \
		struct ts_thread *t_ = ts_caller();                                \
		if (!t_)                                                           \
			return call;                                               \
		uint64_t t0_ = ts_ticks();                                         \
		__typeof__(call) r_ = call;                                        \
		uint64_t t1_ = ts_ticks();                                         \
		record;                                                            \
		return r_;                                                         \
	} while (0)

/* An I/O call: `requested` is the number of bytes asked for. */
#define TS_IO_BODY(op, fd, requested, call) \
	TS_TRACED(call, ts_record_io(t_, op, fd, requested, (int64_t)r_, t0_, t1_))

#endif
