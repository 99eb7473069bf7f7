/* Crashes the way its argument says, inside a function named for it:
 *   null   dereferences NULL in crash_null_deref()
 *   abort  calls abort() in crash_abort_here()
 *   recover  installs a SIGSEGV handler, faults in crash_recovered(),
 *            jumps back out of the handler, says which descriptor a new
 *            open() gets (the lowest free one: 3) and exits 0
 *   recover-many N  the same fault, recovered from N times (a JVM takes
 *            SIGSEGV for its null checks), then "recovered N"
 *   segv-abort-altstack  faults with a SIGSEGV handler on a small
 *            alternate signal stack (a guard page below it) that calls
 *            abort() when only a signal frame and 1.5 KiB are left on it:
 *            Rust's "thread has overflowed its stack" path, whose handler
 *            writes its message first
 *   segv-abort-noclone  recovers from a first fault, is then refused new
 *            threads (a seccomp filter: clone fails with EPERM), faults
 *            again, and its SIGSEGV handler calls abort(): the crash comes
 *            inside a handler, after a stack was unwound for the first
 *            fault, with no task to unwind the second one in
 * Writes a line first so the trace has a span before the crash. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <alloca.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
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

static volatile sig_atomic_t faults;

/* Back out of the first fault; abort() in the handler at the next one. */
static void on_segv_then_abort(int sig)
{
	(void)sig;
	if (faults++ == 0)
		siglongjmp(back, 1);
	abort();
}

static char *altstack_lo;
static void (*volatile abort_now)(void) = abort;   /* no lazy binding on the way */

static void on_segv_abort_short(int sig)
{
	(void)sig;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	uintptr_t want = getauxval(AT_MINSIGSTKSZ) + 1536;
	if (sp - (uintptr_t)altstack_lo > want) {
		volatile char *pad = alloca(sp - (uintptr_t)altstack_lo - want);
		pad[0] = 1;
	}
	abort_now();
}

/* An alternate signal stack as Rust's runtime makes one: SIGSTKSZ (more
 * where a signal frame needs it), a page no access is allowed to below. */
static int small_altstack(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = 8192;
	if (size < 2 * getauxval(AT_MINSIGSTKSZ) + 4096)
		size = 2 * getauxval(AT_MINSIGSTKSZ) + 4096;
	size = (size + page - 1) / page * page;
	char *m = mmap(NULL, page + size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m, page, PROT_NONE) != 0)
		return -1;
	altstack_lo = m + page;
	stack_t ss = {.ss_sp = altstack_lo, .ss_size = size};
	return sigaltstack(&ss, NULL);
}

/* clone (and clone3) fail with EPERM from here on, in this thread. */
static int refuse_threads(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 435 /* clone3 */, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof f / sizeof *f, f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* Faults from further down the stack, on pages no unwinding looked at yet
 * (libunwind remembers the last ones it found readable). */
__attribute__((noinline)) static int crash_deeper(void)
{
	volatile char pad[64 * 1024];
	memset((char *)pad, 1, sizeof pad);
	return crash_recovered() + pad[0];
}

static void on_sigsegv(void (*handler)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
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
	if (!strcmp(how, "segv-abort-altstack")) {
		if (small_altstack() != 0)
			return 4;
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_segv_abort_short;
		sa.sa_flags = SA_ONSTACK;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSEGV, &sa, NULL);
		return crash_null_deref();
	}
	if (!strcmp(how, "segv-abort-noclone")) {
		on_sigsegv(on_segv_then_abort);
		if (sigsetjmp(back, 1) == 0)
			crash_recovered();
		if (refuse_threads() != 0)
			return 4;
		return crash_deeper();
	}
	return 2;
}
