/* libpreinit: a shared library for the "preinit" target program.
 *
 * Its constructor does I/O before the preloaded tracer's own constructor has
 * run (the dynamic linker initialises dependencies of the program before a
 * preloaded library that nothing depends on), so the tracer's write() wrapper
 * is entered while the tracer is still uninitialised.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <unistd.h>

__attribute__((constructor)) static void preinit_lib_ctor(void)
{
	/* Output is how the test sees that the call went through. */
	(void)!write(1, "ctor\n", 5);
}

/* Referenced by the program so that the link keeps this library as a
 * DT_NEEDED entry even with --as-needed. */
__attribute__((visibility("default"))) int preinit_lib_marker(void)
{
	return 1;
}
