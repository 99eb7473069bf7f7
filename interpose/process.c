/* How the process ends: its exit code for the process span, and the flush
 * for _exit, _Exit and quick_exit, which skip exit handlers (shells end this
 * way, and so do children after fork). Return from main reaches exit() inside libc, not
 * through the PLT, so main itself is wrapped via __libc_start_main. */
#include "init.h"
#include "rawsys.h"
#include "streams.h"
#include "wrap.h"

#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* What stdio's per-character calls counted on streams still open, and the
 * ends of the HTTP connections, which close with the process (a vfork
 * child's are its parent's: ts_caller() is NULL there). */
static void records_at_exit(void)
{
	/* Never the tracer's start, this late. */
	if (atomic_load_explicit(&ts_start_state, memory_order_acquire) != TS_START_DONE)
		return;
	struct ts_thread *t = ts_caller();
	if (!t)
		return;
	if (atomic_load_explicit(&ts_stream_top, memory_order_relaxed))
		ts_record_streams_at_exit(t);
	ts_http_at_exit(t, ts_ticks());
}

#define EXIT_BODY(name, status)                                                         \
	do {                                                                            \
		ts_set_exit_status((status) & 0xff);                                    \
		records_at_exit();                                                      \
		ts_process_exit();                                                      \
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
	EXIT_BODY(_exit, status);
}

TS_EXPORT void _Exit(int status)
{
	EXIT_BODY(_Exit, status);
}

/* quick_exit runs the handlers registered with at_quick_exit, the last
 * registered first, then _Exit inside libc, where no wrapper sees it. The
 * shim's own handler, registered as the library loads (before any of the
 * program's), runs after them: what _exit's wrapper does. */
static void after_quick_exit_handlers(void)
{
	records_at_exit();
	ts_process_exit();
}

__attribute__((constructor)) static void watch_quick_exit(void)
{
	at_quick_exit(after_quick_exit_handlers);
}

TS_EXPORT void quick_exit(int status)
{
	ts_set_exit_status(status & 0xff);
	static __typeof__(&quick_exit) real;
	if (!real)
		real = (__typeof__(&quick_exit))ts_resolve("quick_exit", (const void *)quick_exit);
	if (real)
		real(status);
	for (;;)
		ts_syscall(SYS_exit_group, status);
}

TS_EXPORT void exit(int status)
{
	ts_set_exit_status(status & 0xff);
	static __typeof__(&exit) real;
	if (!real)
		real = (__typeof__(&exit))ts_resolve("exit", (const void *)exit);
	if (real)
		real(status);
	for (;;)
		ts_syscall(SYS_exit_group, status);
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
