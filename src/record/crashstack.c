/* The shim's stack for signal handlers short of room (see crashstack.h). */
#include "crashstack.h"

#include "large.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

#define CRASH_STACK_BYTES (128 * 1024)

static char stack[CRASH_STACK_BYTES] TS_LARGE __attribute__((aligned(64)));
static atomic_flag taken = ATOMIC_FLAG_INIT;
/* Used only by the thread that holds `taken`; static, since a ucontext_t
 * (about 1 KiB) is more than the stack that is short may have. */
static ucontext_t back, there;
static void (*job)(void *);
static void *job_arg;

static void start(void)
{
	job(job_arg);   /* returns to `back` (uc_link) */
}

/* The handler runs on the alternate stack (its bounds are in the context
 * the kernel saved) with little of it left below. */
static bool short_of_room(const ucontext_t *uc)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	uintptr_t lo = (uintptr_t)uc->uc_stack.ss_sp;
	return sp > lo && sp - lo <= uc->uc_stack.ss_size && sp - lo < TS_CRASHSTACK_ROOM;
}

void ts_crashstack_run(const void *ucontext, void (*fn)(void *), void *arg)
{
	if (!ucontext || !short_of_room(ucontext) || atomic_flag_test_and_set(&taken)) {
		fn(arg);
		return;
	}
	job = fn;
	job_arg = arg;
	getcontext(&there);
	there.uc_stack.ss_sp = stack;
	there.uc_stack.ss_size = sizeof stack;
	there.uc_stack.ss_flags = 0;
	there.uc_link = &back;
	/* A signal taken on this stack would be given a frame at the top of
	 * the alternate stack (the kernel sees the thread off it), over the
	 * frames still in use there. */
	sigfillset(&there.uc_sigmask);
	makecontext(&there, start, 0);
	swapcontext(&back, &there);
	atomic_flag_clear(&taken);
}
