/* A stack of the shim's own for its part of a signal handler. A program's
 * alternate signal stack can be small: Rust's is 8 KiB with a guard page
 * below it, and a SIGSEGV handler that calls abort() there (Rust's "thread
 * has overflowed its stack") leaves the SIGABRT little more than its own
 * signal frame. The shim's recording, the wait for the stack to be unwound
 * and the final flush would run into the guard page, and the process would
 * die by SIGSEGV instead of SIGABRT. */
#ifndef TS_CRASHSTACK_H
#define TS_CRASHSTACK_H

/* Calls fn(arg) from a signal handler whose context is ucontext: on the
 * shim's stack, with every signal blocked, when the handler runs on the
 * alternate signal stack with less than TS_CRASHSTACK_ROOM left on it and
 * that stack is free (one thread at a time); on the handler's stack
 * otherwise. Async-signal-safe. */
#define TS_CRASHSTACK_ROOM (16 * 1024)
void ts_crashstack_run(const void *ucontext, void (*fn)(void *), void *arg);

#endif
