/* preinit: target program for the safety tests.
 *
 * I/O that happens before the preloaded tracer is initialised: from the
 * constructor of libpreinit.so ("ctor"), then from main() ("main"). With
 * PREINIT_EARLY_WRITE=1 in the environment the program's own .preinit_array
 * also writes "preinit" first; that runs before the initialisers of every
 * library, libc's I/O included, and is the earliest user code there is. It is
 * opt-in so that the two situations are tested apart. The tracer must pass
 * every call through unchanged (same output) and should record them even
 * though its constructor has not run yet.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <string.h>
#include <unistd.h>

int preinit_lib_marker(void);

static void early(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	/* getenv() is not guaranteed usable this early; envp is handed to
	 * .preinit_array functions by the dynamic linker. */
	for (char **e = envp; e && *e; e++)
		if (strcmp(*e, "PREINIT_EARLY_WRITE=1") == 0)
			(void)!write(1, "preinit\n", 8);
}

/* Only executables may have a .preinit_array. */
__attribute__((section(".preinit_array"), used)) static void (*const early_ptr)(
	int, char **, char **) = early;

int main(void)
{
	if (!preinit_lib_marker())
		return 1;
	if (write(1, "main\n", 5) != 5)
		return 1;
	return 0;
}
