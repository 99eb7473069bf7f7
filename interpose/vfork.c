/* vfork. The child of vfork runs on its parent's thread (its stack, its TLS,
 * all its memory) until it execs or exits, while the parent waits; only the
 * kernel's tables (signal dispositions, descriptors) are the child's own.
 * So nothing the child does through the shim may touch the shim's state:
 * it would be the parent's.
 *
 * A C wrapper cannot call libc's vfork (the child, returning through the
 * wrapper's frame, would wreck it for the parent), so vfork is a few
 * instructions of assembly around libc's:
 *  - ts_vfork_enter() (in the parent, before) keeps the caller's return
 *    address and the thread's pointer in a TLS frame, reserves the vfork
 *    span and sets the pointer to NULL: every wrapper the child calls then
 *    takes the slow path, which sees the vfork in progress and, in the
 *    child (another tid), traces nothing;
 *  - libc's vfork is called, and returns twice;
 *  - in the child, ts_vfork_child_return() marks the thread as borrowed
 *    (see ts_vfork_child()) and gives the return address back;
 *  - in the parent, ts_vfork_parent_return() puts the pointer back,
 *    records the vfork span with the child's pid and gives the return
 *    address back.
 * The caller's return address never stays on the stack the child uses.
 * The child's exec passes the vfork span on in TRACEPARENT (see exec.c).
 * Where no assembly is written (other architectures), or libc's vfork is
 * not known, vfork runs as fork, which only programs relying on the child
 * writing into the parent's memory could tell. */
#include "vfork.h"

#include "ids.h"
#include "rawsys.h"
#include "wrap.h"

#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((used, visibility("hidden"))) void *ts_real_vfork;

__attribute__((constructor)) static void vfork_setup(void)
{
	ts_real_vfork = ts_resolve("vfork", (const void *)vfork);
}

/* Called by the assembly when libc's vfork is not known. */
__attribute__((used, visibility("hidden"))) pid_t ts_vfork_as_fork(void)
{
	return ts_traced_fork(TS_OP_VFORK);
}

/* Before libc's vfork, in the caller: false leaves the call untouched (no
 * frame left, or a stack that is not this thread's: a clone() child
 * sharing another thread's TLS). */
__attribute__((used, visibility("hidden"))) int ts_vfork_enter(void *ret)
{
	unsigned depth = ts_vfork.depth;
	if (depth >= TS_VFORK_DEPTH)
		return 0;
	int saved = errno;
	struct ts_thread *t = ts_tls.thr;
	if (t && (uintptr_t)__builtin_frame_address(0) - t->stack_lo >= t->stack_size) {
		errno = saved;
		return 0;
	}
	struct ts_vfork_frame *f = &ts_vfork.frame[depth];
	f->ret = ret;
	f->thr = t;
	f->was_child = ts_vfork.child;
	f->tid = (pid_t)ts_syscall(SYS_gettid);
	f->span = 0;
	if (t && !ts_vfork.child && atomic_load_explicit(&ts_active, memory_order_relaxed)) {
		f->span = t->next_span++;
		f->t0 = ts_ticks();
	}
	ts_tls.thr = NULL;
	atomic_signal_fence(memory_order_seq_cst);
	ts_vfork.depth = (uint8_t)(depth + 1);
	errno = saved;
	return 1;
}

/* After libc's vfork, in the child: only reads, and the flag the parent
 * clears. */
__attribute__((used, visibility("hidden"))) void *ts_vfork_child_return(void)
{
	ts_vfork.child = 1;
	return ts_vfork.frame[ts_vfork.depth - 1].ret;
}

/* AddressSanitizer's (when loaded): clears the stack's shadow below sp,
 * which the child left poisoned by the frames it never returned from. */
extern void __asan_handle_vfork(void *sp) __attribute__((weak));

static void *parent_return(int pid);

/* After libc's vfork, in the parent (pid: the child, or -1 with errno; sp:
 * the stack pointer, below which the child has run). */
__attribute__((used, visibility("hidden"), no_sanitize("address"))) void *
ts_vfork_parent_return(int pid, void *sp)
{
	if (__asan_handle_vfork) {
		int saved = errno;
		__asan_handle_vfork(sp);
		errno = saved;
	}
	return parent_return(pid);
}

static void *parent_return(int pid)
{
	int saved = errno;
	unsigned depth = ts_vfork.depth - 1u;
	struct ts_vfork_frame f = ts_vfork.frame[depth];
	ts_vfork.child = f.was_child;
	ts_tls.thr = f.thr;
	atomic_signal_fence(memory_order_seq_cst);
	ts_vfork.depth = (uint8_t)depth;
	if (f.span)
		ts_record_proc(f.thr, TS_OP_VFORK, f.span, pid, pid < 0 ? saved : 0, pid, -1, NULL,
			       f.t0, ts_ticks());
	if (pid > 0)
		ts_http_forked(pid);
	errno = saved;
	return f.ret;
}

uint64_t ts_vfork_span_id(void)
{
	unsigned depth = ts_vfork.depth;
	if (!depth)
		return 0;
	const struct ts_vfork_frame *f = &ts_vfork.frame[depth - 1];
	return f->span && f->thr ? ts_span_id(f->thr->index, f->span) : 0;
}

/* Stack: at entry the return address is on top (rsp = 8 mod 16). It is
 * handed to ts_vfork_enter and popped, so libc's vfork returns here; each
 * C call below is made with rsp = 0 mod 16. The way back to the caller is
 * a push and a ret, which pairs with the caller's call (a shadow stack
 * sees the calls and returns balanced). */
#if defined(__x86_64__)
__asm__(".text\n"
	".globl vfork\n"
	".type vfork, @function\n"
	"vfork:\n"
	"	cmpq $0, ts_real_vfork(%rip)\n"
	"	je 3f\n"
	"	movq (%rsp), %rdi\n"
	"	subq $8, %rsp\n"
	"	call ts_vfork_enter\n"
	"	addq $8, %rsp\n"
	"	testl %eax, %eax\n"
	"	jz 4f\n"
	"	addq $8, %rsp\n"
	"	call *ts_real_vfork(%rip)\n"
	"	testl %eax, %eax\n"
	"	jz 2f\n"
	"	pushq %rax\n"
	"	subq $8, %rsp\n"
	"	movl %eax, %edi\n"
	"	leaq 16(%rsp), %rsi\n"
	"	call ts_vfork_parent_return\n"
	"	addq $8, %rsp\n"
	"	movq %rax, %rdx\n"
	"	popq %rax\n"
	"	pushq %rdx\n"
	"	ret\n"
	"2:	call ts_vfork_child_return\n"
	"	pushq %rax\n"
	"	xorl %eax, %eax\n"
	"	ret\n"
	"3:	jmp ts_vfork_as_fork\n"
	"4:	jmp *ts_real_vfork(%rip)\n"
	".size vfork, .-vfork\n");
#elif defined(__aarch64__)
/* The return address is in x30; sp stays 16-byte aligned throughout. */
__asm__(".text\n"
	".globl vfork\n"
	".type vfork, %function\n"
	"vfork:\n"
	"	adrp x16, ts_real_vfork\n"
	"	ldr x16, [x16, :lo12:ts_real_vfork]\n"
	"	cbz x16, 3f\n"
	"	stp x29, x30, [sp, #-16]!\n"
	"	mov x29, sp\n"
	"	mov x0, x30\n"
	"	bl ts_vfork_enter\n"
	"	ldp x29, x30, [sp], #16\n"
	"	adrp x16, ts_real_vfork\n"
	"	ldr x16, [x16, :lo12:ts_real_vfork]\n"
	"	cbz w0, 4f\n"
	"	blr x16\n"
	"	cbz w0, 2f\n"
	"	str x0, [sp, #-16]!\n"
	"	add x1, sp, #16\n"
	"	bl ts_vfork_parent_return\n"
	"	mov x30, x0\n"
	"	ldr x0, [sp], #16\n"
	"	ret\n"
	"2:	bl ts_vfork_child_return\n"
	"	mov x30, x0\n"
	"	mov x0, #0\n"
	"	ret\n"
	"3:	b ts_vfork_as_fork\n"
	"4:	br x16\n"
	".size vfork, .-vfork\n");
#else
TS_EXPORT pid_t vfork(void)
{
	return ts_traced_fork(TS_OP_VFORK);
}
#endif
