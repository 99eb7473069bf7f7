/* Crashes the way its argument says, inside a function named for it:
 *   null   dereferences NULL in crash_null_deref()
 *   abort  calls abort() in crash_abort_here()
 *   recover  installs a SIGSEGV handler, faults in crash_recovered(),
 *            jumps back out of the handler, says which descriptor a new
 *            open() gets (the lowest free one: 3) and exits 0
 *   recover-many N  the same fault, recovered from N times (a JVM takes
 *            SIGSEGV for its null checks), then "recovered N"
 * Writes a line first so the trace has a span before the crash. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile int *volatile nowhere;

__attribute__((noinline)) static int crash_null_deref(void)
{
	return *nowhere;
}

__attribute__((noinline)) static void crash_abort_here(void)
{
	abort();
}

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(back, 1);
}

__attribute__((noinline)) static int crash_recovered(void)
{
	return *nowhere + 1;
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "null";
	if (write(1, "start\n", 6) != 6)
		return 3;
	if (!strcmp(how, "null"))
		return crash_null_deref();
	if (!strcmp(how, "abort"))
		crash_abort_here();
	if (!strcmp(how, "recover")) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_segv;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSEGV, &sa, NULL);
		if (sigsetjmp(back, 1) == 0)
			crash_recovered();
		if (write(1, "recovered\n", 10) != 10)
			return 3;
		char line[32];
		int n = snprintf(line, sizeof line, "next fd %d\n", open("/dev/null", O_RDONLY));
		return write(1, line, (size_t)n) == n ? 0 : 3;
	}
	if (!strcmp(how, "recover-many") && argc > 2) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_segv;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSEGV, &sa, NULL);
		int n = atoi(argv[2]);
		volatile int done = 0;
		for (volatile int i = 0; i < n; i++)
			if (sigsetjmp(back, 1) == 0)
				crash_recovered();
			else
				done++;
		char line[32];
		int len = snprintf(line, sizeof line, "recovered %d\n", done);
		return write(1, line, (size_t)len) == len ? 0 : 3;
	}
	return 2;
}
