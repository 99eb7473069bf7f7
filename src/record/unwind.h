/* Call stacks with libunwind, which is opened on first need rather than at
 * start: most processes never crash or throw, and loading it (with liblzma)
 * would cost every one of them. */
#ifndef TS_UNWIND_H
#define TS_UNWIND_H

#include <stdbool.h>
#include <stdint.h>

#define TS_STACK_MAX 32   /* frames kept per stack */

/* Opens libunwind in the calling thread (not async-signal-safe); false when
 * it is not installed. */
bool ts_unwind_load(void);
/* Called by the background thread when woken: unwinds the stack a signal
 * handler is waiting for, opening libunwind first if needed. */
void ts_unwind_serve(void);
/* A handler's stack waits to be unwound (ts_unwind_serve would take it). */
bool ts_unwind_pending(void);

/* Return addresses of the interrupted code, innermost first, from a signal
 * handler's ucontext; the first is the faulting instruction itself. The
 * background thread (or a task started for it) does the unwinding while
 * the handler waits, at most timeout_ms (it may be stuck behind a lock the
 * interrupted code holds). When neither can, only the frame-pointer chain
 * is followed: libunwind never runs on a thread of the program's.
 * Async-signal-safe. */
unsigned ts_unwind_context(void *ucontext, uint64_t *ips, unsigned max, unsigned timeout_ms);
/* Whether the calling thread may take one more stack this second: its
 * first TS_STACKS_PER_SECOND C++ throws and recovered signals of each second
 * do, later ones are recorded without one. Unwinding costs about what a
 * throw does, and more than a fault the program recovers from (the JVM
 * takes SIGSEGV for its null checks): a program doing either for control
 * flow is not made several times slower. Async-signal-safe. */
#define TS_STACKS_PER_SECOND 100
bool ts_unwind_budget(void);
/* The caller's stack, leaving out its `skip` innermost frames (not from a
 * signal handler; libunwind is not needed). */
unsigned ts_unwind_here(uint64_t *ips, unsigned max, unsigned skip);

#endif
