/* C++ exceptions: each throw adds an `exception` event (the demangled type
 * and the thrower's stack) to the current span. A throw that ends in
 * std::terminate reaches the crash handler as SIGABRT, which marks the spans
 * ERROR. Declared here without the C++ headers. */
#include "clock.h"
#include "unwind.h"
#include "wrap.h"

#include <stdlib.h>

/* Unwinding the thrower's stack costs about as much as the throw itself: a
 * thread's first STACKS_PER_SECOND throws of each second take it, later
 * ones only their type, so a program that throws for control flow is not
 * made several times slower. */
#define STACKS_PER_SECOND 100

static bool stack_wanted(void)
{
	uint32_t second = (uint32_t)(ts_clock_coarse_ms() / 1000);
	if (ts_tls.throw_second != second) {
		ts_tls.throw_second = second;
		ts_tls.throw_stacks = 0;
	}
	return ts_tls.throw_stacks++ < STACKS_PER_SECOND;
}

typedef void (*ts_cxx_dtor)(void *);
void __cxa_throw(void *obj, void *tinfo, ts_cxx_dtor dest) __attribute__((noreturn));

TS_EXPORT void __cxa_throw(void *obj, void *tinfo, ts_cxx_dtor dest)
{
	static void (*real)(void *, void *, ts_cxx_dtor);
	if (!real)
		real = (void (*)(void *, void *, ts_cxx_dtor))ts_resolve("__cxa_throw",
									(const void *)__cxa_throw);
	struct ts_thread *t = ts_caller();
	if (t) {
		int saved = errno;
		uint64_t ips[TS_STACK_MAX];
		unsigned n = stack_wanted() ? ts_unwind_here(ips, TS_STACK_MAX, 2) : 0;   /* from the thrower */
		/* std::type_info is a vtable pointer then the mangled name; a
		 * leading '*' marks a type local to its object file. */
		const char *name = tinfo ? ((const char *const *)tinfo)[1] : NULL;
		if (name && name[0] == '*')
			name++;
		ts_record_exception(t, 0, 0, 0, false, ips, n, name);
		errno = saved;
	}
	if (real)
		real(obj, tinfo, dest);
	abort();   /* no C++ runtime to throw with: what std::terminate would do */
}
