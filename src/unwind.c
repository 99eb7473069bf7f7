/* libunwind, opened with dlopen (see unwind.h). Only local unwinding is
 * used; its init and step functions are async-signal-safe once the library
 * is loaded. */
#include "unwind.h"

#include "drain.h"
#include "log.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

static struct {
	int (*getcontext)(unw_context_t *);
	int (*init_local2)(unw_cursor_t *, unw_context_t *, int);
	int (*step)(unw_cursor_t *);
	int (*get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
} uw;

enum { UW_UNTRIED, UW_READY, UW_MISSING };
static _Atomic int state;
static _Atomic int request;   /* futex: 1 while a signal handler waits for the load */

bool ts_unwind_ready(void)
{
	return atomic_load_explicit(&state, memory_order_acquire) == UW_READY;
}

bool ts_unwind_load(void)
{
	int st = atomic_load_explicit(&state, memory_order_acquire);
	if (st != UW_UNTRIED)
		return st == UW_READY;
	void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
	if (h) {
		uw.getcontext = (int (*)(unw_context_t *))dlsym(h, "_Ux86_64_getcontext");
		uw.init_local2 = (int (*)(unw_cursor_t *, unw_context_t *, int))
			dlsym(h, "_ULx86_64_init_local2");
		uw.step = (int (*)(unw_cursor_t *))dlsym(h, "_ULx86_64_step");
		uw.get_reg = (int (*)(unw_cursor_t *, unw_regnum_t, unw_word_t *))
			dlsym(h, "_ULx86_64_get_reg");
	}
	bool ok = uw.getcontext && uw.init_local2 && uw.step && uw.get_reg;
	if (!ok)
		TS_WARN("libunwind.so.8 not usable: exceptions and crashes are recorded without a stack");
	atomic_store_explicit(&state, ok ? UW_READY : UW_MISSING, memory_order_release);
	return ok;
}

bool ts_unwind_request(unsigned timeout_ms)
{
	if (atomic_load(&state) != UW_UNTRIED)
		return ts_unwind_ready();
	atomic_store(&request, 1);
	if (!ts_drain_wake())
		return false;   /* no background thread to do it */
	struct timespec end, now;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	for (;;) {
		if (atomic_load(&request) == 0)
			return ts_unwind_ready();
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = (end.tv_sec - now.tv_sec) * 1000000000L + (end.tv_nsec - now.tv_nsec);
		if (left <= 0)
			return false;
		struct timespec wait = {left / 1000000000L, left % 1000000000L};
		syscall(SYS_futex, &request, FUTEX_WAIT_PRIVATE, 1, &wait, NULL, 0);
	}
}

void ts_unwind_serve(void)
{
	if (!atomic_load(&request))
		return;
	(void)ts_unwind_load();
	atomic_store(&request, 0);
	syscall(SYS_futex, &request, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static unsigned walk(unw_cursor_t *c, uint64_t *ips, unsigned max, unsigned skip)
{
	unsigned n = 0;
	do {
		unw_word_t ip;
		if (uw.get_reg(c, UNW_REG_IP, &ip) < 0 || !ip)
			break;
		if (skip)
			skip--;
		else
			ips[n++] = ip;
	} while (n < max && uw.step(c) > 0);
	return n;
}

unsigned ts_unwind_context(void *ucontext, uint64_t *ips, unsigned max)
{
	if (!ts_unwind_ready() || !ucontext)
		return 0;
	unw_cursor_t c;
	/* On x86-64 a libunwind context is a ucontext_t. */
	if (uw.init_local2(&c, (unw_context_t *)ucontext, UNW_INIT_SIGNAL_FRAME) < 0)
		return 0;
	return walk(&c, ips, max, 0);
}

unsigned ts_unwind_here(uint64_t *ips, unsigned max, unsigned skip)
{
	/* glibc's backtrace() (libgcc's unwinder), not libunwind: libunwind
	 * keeps a pipe in the calling thread's descriptor table once it has
	 * unwound there, and this runs on the program's threads. */
	void *frames[TS_STACK_MAX + 8];
	unsigned want = max + skip + 1;
	if (want > sizeof frames / sizeof *frames)
		want = sizeof frames / sizeof *frames;
	int got = backtrace(frames, (int)want);
	/* Frame 1 is the caller's: found by its return address, since a
	 * sanitizer's backtrace() interceptor adds a frame of its own. */
	int first = (int)skip;
	for (int i = 0; i < got && i < 3; i++)
		if (frames[i] == __builtin_return_address(0)) {
			first = i + (int)skip - 1;
			break;
		}
	unsigned n = 0;
	for (int i = first > 0 ? first : 0; i < got && n < max; i++)
		ips[n++] = (uint64_t)(uintptr_t)frames[i];
	return n;
}
