/* Process start-up and shut-down of the tracer. */
#ifndef TS_INIT_H
#define TS_INIT_H

#include "procinfo.h"   /* the exit status the process ends with */
#include "started.h"
#include "thread.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Starts the tracer if it has not started (wrappers can run before the
 * library constructor); returns whether calls should be traced. Lock-free: a
 * call that races a start-up in progress is simply not traced. */
bool ts_start(void);

/* The calling thread for a traced call (the entry points: wrappers and the
 * API), or NULL when the call is not traced: as ts_thread_self(), starting
 * the tracer first when this is the process's first call. */
struct ts_thread *ts_caller_first(void);
static inline struct ts_thread *ts_caller(void)
{
	struct ts_thread *t = ts_thread_self();
	if (__builtin_expect(t != NULL, 1) || ts_vfork.depth ||
	    atomic_load_explicit(&ts_start_state, memory_order_relaxed) != TS_START_NONE)
		return t;
	return ts_caller_first();
}

/* What closes with the process, recorded on t, the thread that ends it: the
 * per-character counts of the streams still open (stdout, mostly) and the
 * ends of its HTTP connections. */
void ts_process_closing(struct ts_thread *t);
/* The process is ending without running exit handlers (_exit): flush. */
void ts_process_exit(void);

/* True in the process the tracer started in (false in a vfork child, which
 * shares its memory). */
bool ts_own_process(void);
/* exec is about to replace this process: every span so far is ended and
 * written, as at exit. */
void ts_process_exec(void);
/* The shim's fork(), around the real one: before it, then in the parent or
 * the child once fork has returned (every fork handler has run). */
void ts_fork_prepare(void);
void ts_fork_parent(void);
void ts_fork_child(void);
/* In the child of a fork no fork handler saw (_Fork(), the system call,
 * interpose/barefork.c), fork_span the parent's span of it (0: none): the
 * child records nothing, and what it execs is that span's child. */
void ts_bare_fork_child(uint64_t fork_span);
/* In such a child: true, and its fork span in *span. */
bool ts_bare_fork_span(uint64_t *span);
/* ...and it failed: tracing goes on where it can, as a new process span in
 * the same trace, child of the exec span. */
void ts_process_exec_failed(uint64_t exec_span);

#endif
