/* Threads on the program's side: registering a thread and its ring (the
 * slots are registry.h's), the hot path's look-up, and the thread span. */
#ifndef TS_THREAD_H
#define TS_THREAD_H

#include "modules.h"
#include "registry.h"
#include "vforkstate.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct ts_thread *ts_thread_slow(void);
struct ts_thread *ts_thread_foreign(void);

/* The calling thread's state, or NULL when this call must not be traced. */
static inline struct ts_thread *ts_thread_self(void)
{
	struct ts_thread *t = ts_tls.thr;
	if (__builtin_expect(t != NULL, 1)) {
		uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
		if (__builtin_expect(sp - t->stack_lo < t->stack_size, 1))
			return t;
		return ts_thread_foreign();
	}
	return ts_thread_slow();
}

/* Context handed from pthread_create to the new thread's trampoline. */
struct ts_thread_link {
	uint32_t creator_index;
	uint32_t creator_span;
	uint32_t child_index;
};

/* Registers the calling thread (called by the trampoline before the user's
 * start routine); returns NULL when tracing is off. */
struct ts_thread *ts_thread_start(const struct ts_thread_link *link, void *start_routine);
/* Reserves the index a new thread will use, for the pthread_create record. */
uint32_t ts_thread_next_index(void);
/* At start-up: threads end their span as they exit. */
void ts_thread_setup_key(void);
/* Registers the main thread at start-up. */
void ts_thread_init_main(void);
/* Ends the calling thread's span (thread exit). */
void ts_thread_end(void);
/* The name of thread `handle` changed (NULL name: re-read it). */
void ts_thread_renamed(pthread_t handle);
/* Child after fork: forgets every thread (what is needed of the caller's is
 * kept in `saved`); then, once the child's ring memory is chosen, the caller
 * becomes the child's main thread with a fresh ring. */
struct ts_thread_saved {
	bool had;
	uintptr_t stack_lo, stack_size;
};
void ts_thread_forget_parent(struct ts_thread_saved *saved);
void ts_thread_adopt_main(const struct ts_thread_saved *saved);
/* True when a thread other than the caller is registered and running. */
bool ts_threads_others_live(void);

/* Calls made on a stack that is not the TLS owner's: threads made with clone()
 * without CLONE_SETTLS share the TLS of their creator, and signal handlers may
 * run on an alternate stack. ts_thread_foreign() finds (or registers) the
 * thread by its kernel tid instead, so every ring keeps a single producer. */
#endif
