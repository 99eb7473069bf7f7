/* How the process ends: its exit code for the process span, and the flush
 * for _exit, _Exit and quick_exit, which skip exit handlers (shells end this
 * way, and so do children after fork). Return from main reaches exit()
 * inside libc, not through the PLT, so main itself is wrapped via
 * __libc_start_main. */
#include "init.h"
#include "rawsys.h"
#include "wrap.h"

#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The end of a process that skips exit()'s handlers, where the destructor
 * would have done it: what closes with the process (init.h), on the thread
 * that ends it (not in a vfork child, whose are its parent's: ts_caller()
 * is NULL there, nor by starting the tracer this late), then the flush. */
static void flush_at_exit(void)
{
	if (atomic_load_explicit(&ts_start_state, memory_order_acquire) == TS_START_DONE) {
		struct ts_thread *t = ts_caller();
		if (t)
			ts_process_closing(t);
	}
	ts_process_exit();
}

/* Calls the real exit function `name`, which does not return; should it be
 * missing, or return, the process ends all the same. */
#define CALL_REAL_EXIT(name, status)                                                    \
	do {                                                                            \
		static __typeof__(&name) real;                                          \
		if (!real)                                                              \
			real = (__typeof__(&name))ts_resolve(#name, (const void *)name);  \
		if (real)                                                               \
			real(status);                                                   \
		for (;;)                                                                \
			ts_syscall(SYS_exit_group, status);                                \
	} while (0)

TS_EXPORT void _exit(int status)
{
	ts_set_exit_status(status & 0xff);
	flush_at_exit();
	CALL_REAL_EXIT(_exit, status);
}

TS_EXPORT void _Exit(int status)
{
	ts_set_exit_status(status & 0xff);
	flush_at_exit();
	CALL_REAL_EXIT(_Exit, status);
}

/* quick_exit runs the handlers registered with at_quick_exit, the last
 * registered first, then _Exit inside libc, where no wrapper sees it. The
 * shim's own handler, registered as the library loads (before any of the
 * program's), runs after them: what _exit's wrapper does. */
__attribute__((constructor)) static void watch_quick_exit(void)
{
	at_quick_exit(flush_at_exit);
}

TS_EXPORT void quick_exit(int status)
{
	ts_set_exit_status(status & 0xff);
	CALL_REAL_EXIT(quick_exit, status);
}

TS_EXPORT void exit(int status)
{
	ts_set_exit_status(status & 0xff);
	CALL_REAL_EXIT(exit, status);
}

typedef int (*main_fn)(int, char **, char **);
int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
		      void (*fini)(void), void (*rtld_fini)(void), void *stack_end);

static main_fn real_main;

static int traced_main(int argc, char **argv, char **envp)
{
	int code = real_main(argc, argv, envp);
	ts_set_exit_status(code & 0xff);
	return code;
}

TS_EXPORT int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
				void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
	TS_REAL(__libc_start_main, -1);
	real_main = main;
	return real(traced_main, argc, argv, init, fini, rtld_fini, stack_end);
}
