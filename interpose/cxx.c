/* C++ exceptions: each throw adds an `exception` event (the demangled type
 * and the thrower's stack) to the current span. A throw that ends in
 * std::terminate reaches the crash handler as SIGABRT, which marks the spans
 * ERROR. Declared here without the C++ headers. */
#include "unwind.h"
#include "wrap.h"

#include <stdlib.h>

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
		unsigned n = ts_unwind_budget() ? ts_unwind_here(ips, TS_STACK_MAX, 2) : 0;   /* from the thrower */
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
