/* Process exit without exit handlers: _exit and _Exit (shells end this way,
 * and so do children after fork). The trace is flushed first. */
#include "init.h"
#include "wrap.h"

#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXIT_BODY(name, status)                                                         \
	do {                                                                            \
		ts_process_exit();                                                      \
		static __typeof__(&name) real;                                          \
		if (!real)                                                              \
			real = (__typeof__(&name))ts_resolve(#name, (const void *)name);  \
		if (real)                                                               \
			real(status);                                                   \
		for (;;)                                                                \
			syscall(SYS_exit_group, status);                                \
	} while (0)

TS_EXPORT void _exit(int status)
{
	EXIT_BODY(_exit, status);
}

TS_EXPORT void _Exit(int status)
{
	EXIT_BODY(_Exit, status);
}
