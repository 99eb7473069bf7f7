/* libunwind, opened with dlopen (see unwind.h). Only local unwinding is
 * used; its init and step functions are async-signal-safe once the library
 * is loaded. */
#include "unwind.h"

#include "clock.h"
#include "doorbell.h"
#include "large.h"
#include "log.h"
#include "modules.h"
#include "rawsys.h"
#include "registry.h"
#include "resolve.h"

#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <execinfo.h>
#include <linux/futex.h>
#include <stdint.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <ucontext.h>
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

static bool ts_unwind_ready(void)
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

static unsigned walk_context(void *ucontext, uint64_t *ips, unsigned max)
{
	unw_cursor_t c;
	/* On x86-64 a libunwind context is a ucontext_t. */
	if (uw.init_local2(&c, (unw_context_t *)ucontext, UNW_INIT_SIGNAL_FRAME) < 0)
		return 0;
	return walk(&c, ips, max, 0);
}

/* Reads the two words of a frame record through the kernel, which answers
 * EFAULT for an address that is not mapped readable where a plain load would
 * fault in the handler (and the process would die by SIGSEGV instead of its
 * own signal). False when it cannot be read (a sandbox may refuse the call). */
static bool read_frame(uintptr_t fp, uintptr_t out[2])
{
	struct iovec here = {out, 2 * sizeof *out};
	struct iovec there = {(void *)fp, 2 * sizeof *out};
	int saved = errno;
	long got = ts_syscall(SYS_process_vm_readv, ts_syscall(SYS_getpid), &here, 1, &there, 1, 0);
	errno = saved;
	return got == (long)(2 * sizeof *out);
}

/* The frame-pointer chain from a signal context: no library, no lock, no
 * descriptor, so it can run in the handler itself. Frames of code built
 * without frame pointers are missed (the chain ends at the first one that
 * does not point further up the stack). */
static unsigned walk_frame_pointers(void *ucontext, uint64_t *ips, unsigned max)
{
#if defined(__x86_64__)
	const ucontext_t *uc = ucontext;
	uintptr_t ip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	uintptr_t fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
	unsigned n = 0;
	if (ip)
		ips[n++] = ip;
	/* A frame lies above the interrupted stack pointer, within 8 MiB of
	 * it, each one above the last: anything else is not a frame. */
	uintptr_t lo = sp, hi = sp + (8u << 20);
	uintptr_t frame[2];
	while (n < max && fp >= lo && fp < hi - 16 && (fp & 7) == 0 && read_frame(fp, frame)) {
		uintptr_t next = frame[0], ret = frame[1];
		if (!ret)
			break;
		ips[n++] = ret;
		if (next <= fp)
			break;
		lo = fp + 16;
		fp = next;
	}
	return n;
#else
	(void)ucontext;
	(void)ips;
	(void)max;
	return 0;
#endif
}

/* One stack at a time is unwound for a signal handler, by the background
 * thread or a task started for it, never by a thread of the program's:
 * libunwind opens a pipe the first time it unwinds (to test addresses before
 * reading them) and keeps its two numbers for the whole process. Both of the
 * shim's unwinding threads have a descriptor table of their own, so the
 * program never sees that pipe; on a thread of the program's the same
 * numbers name the program's own descriptors (its stdin and stdout, when the
 * pipe was made in a table emptied first), which libunwind would read a byte
 * from and write a byte to. */
enum { JOB_FREE, JOB_FILLING, JOB_POSTED, JOB_WORKING, JOB_DONE, JOB_ABANDONED };
static _Atomic int job_state;   /* futex */
static struct {
	void *ucontext;
	unsigned max, n;
	uint64_t ips[TS_STACK_MAX];
} job;

bool ts_unwind_pending(void)
{
	return atomic_load(&job_state) == JOB_POSTED;
}

void ts_unwind_serve(void)
{
	if (atomic_load(&job_state) != JOB_POSTED)
		return;
	(void)ts_unwind_load();
	int expect = JOB_POSTED;
	if (!atomic_compare_exchange_strong(&job_state, &expect, JOB_WORKING))
		return;   /* the handler gave up waiting */
	/* The handler names each frame's module from the snapshot, which it
	 * cannot refresh itself; libunwind takes the same lock just after. */
	ts_modules_refresh();
	job.n = ts_unwind_ready() ? walk_context(job.ucontext, job.ips, job.max) : 0;
	expect = JOB_WORKING;
	if (!atomic_compare_exchange_strong(&job_state, &expect, JOB_DONE))
		atomic_store(&job_state, JOB_FREE);   /* abandoned: nobody reads it */
	ts_syscall(SYS_futex, &job_state, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

/* Without a background thread (an agent consumes the records), the job is
 * done by a task started for it: a thread of this process as far as memory
 * and signals go, with a descriptor table of its own (no CLONE_FILES) that
 * it empties first, so libunwind's pipe never reaches the program's table.
 * It runs on a stack of its own; `unwinder_tid` is set by the kernel while it
 * exists, so a second one never shares the stack with a first one stuck. */
static char unwinder_stack[256 * 1024] TS_LARGE __attribute__((aligned(64)));
static _Atomic pid_t unwinder_tid;

static int unwinder_main(void *arg)
{
	(void)arg;
	uint64_t all = ~0ull;
	ts_syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof all);
	ts_syscall(SYS_close_range, 0, ~0U, 0);
	ts_shim_thread_begin();   /* what it calls is never recorded */
	ts_unwind_serve();
	ts_shim_thread_end();
	ts_syscall(SYS_exit, 0);
	return 0;
}

static long ms_left(const struct timespec *end)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (end->tv_sec - now.tv_sec) * 1000L + (end->tv_nsec - now.tv_nsec) / 1000000L;
}

/* The task started for the last job ends just after it hands the stack
 * back, so a crash in the handler that called for it (abort() in a SIGSEGV
 * handler) finds it still there: waited for, until `end`, since there is
 * one stack for it. The kernel clears unwinder_tid and wakes its futex
 * (not a private one) as the task ends. */
static bool start_unwinder(const struct timespec *end)
{
	for (;;) {
		pid_t tid = atomic_load(&unwinder_tid);
		if (!tid)
			break;
		long left = ms_left(end);
		if (left <= 0)
			return false;
		struct timespec wait = {left / 1000, (left % 1000) * 1000000L};
		ts_syscall(SYS_futex, &unwinder_tid, FUTEX_WAIT, tid, &wait, NULL, 0);
	}
	if (atomic_load(&job_state) != JOB_POSTED)
		return true;   /* the task that ended took this job before it went */
	int saved = errno;
	int flags = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_CHILD_SETTID |
		    CLONE_CHILD_CLEARTID;
	pid_t tid = ts_real_clone(unwinder_main, unwinder_stack + sizeof unwinder_stack, flags, NULL,
				  NULL, NULL, (pid_t *)&unwinder_tid);
	errno = saved;
	return tid > 0;
}

/* Waits while the job is posted or being worked on; the state seen last. */
static int wait_job(const struct timespec *end)
{
	for (;;) {
		int st = atomic_load(&job_state);
		if (st != JOB_POSTED && st != JOB_WORKING)
			return st;
		long left = ms_left(end);
		if (left <= 0)
			return st;
		struct timespec wait = {left / 1000, (left % 1000) * 1000000L};
		ts_syscall(SYS_futex, &job_state, FUTEX_WAIT_PRIVATE, st, &wait, NULL, 0);
	}
}

unsigned ts_unwind_context(void *ucontext, uint64_t *ips, unsigned max, unsigned timeout_ms)
{
	if (!ucontext)
		return 0;
	if (max > TS_STACK_MAX)
		max = TS_STACK_MAX;
	int expect = JOB_FREE;
	if (!atomic_compare_exchange_strong(&job_state, &expect, JOB_FILLING))
		return 0;   /* another thread's crash is being unwound */
	job.ucontext = ucontext;
	job.max = max;
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	atomic_store(&job_state, JOB_POSTED);
	if (!ts_drain_wake() && !start_unwinder(&end)) {
		/* No thread to unwind in: the frame pointers, not libunwind
		 * (see above). */
		expect = JOB_POSTED;
		if (atomic_compare_exchange_strong(&job_state, &expect, JOB_FREE))
			return walk_frame_pointers(ucontext, ips, max);
		/* else a task that was going away took it after all */
	}
	int st = wait_job(&end);
	if (st == JOB_POSTED) {
		expect = JOB_POSTED;   /* never picked up: withdraw it */
		if (atomic_compare_exchange_strong(&job_state, &expect, JOB_FREE))
			return 0;
		st = expect;
	}
	if (st == JOB_WORKING) {
		/* Picked up but not finished (stuck behind a lock this thread
		 * holds, such as the loader's): the background thread is reading
		 * this stack, so give it a little longer before leaving. */
		end.tv_sec += 1;
		st = wait_job(&end);
		expect = JOB_WORKING;
		if (st == JOB_WORKING && atomic_compare_exchange_strong(&job_state, &expect, JOB_ABANDONED))
			return 0;
		st = atomic_load(&job_state);
	}
	unsigned n = 0;
	if (st == JOB_DONE) {
		n = job.n;
		memcpy(ips, job.ips, n * sizeof *ips);
	}
	atomic_store(&job_state, JOB_FREE);
	return n;
}

bool ts_unwind_budget(void)
{
	uint32_t second = (uint32_t)(ts_clock_coarse_ms() / 1000);
	if (ts_tls.stack_second != second) {
		ts_tls.stack_second = second;
		ts_tls.stacks = 0;
	}
	return ts_tls.stacks++ < TS_STACKS_PER_SECOND;
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
