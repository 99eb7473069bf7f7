/* Threads as the core sees them: a registry of per-thread rings, the
 * thread-local pointer the hot path reads, and the thread span. */
#ifndef TS_THREAD_H
#define TS_THREAD_H

#include "modules.h"
#include "ring.h"
#include "vforkstate.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum ts_thread_state { TS_SLOT_FREE = 0, TS_SLOT_LIVE, TS_SLOT_DEAD };

/* A span made of several calls on one object: a SQLite statement's execution
 * runs from its first sqlite3_step() to the last. */
struct ts_open_call {
	const void *key;             /* NULL: free */
	uint32_t span, parent;
	uint64_t t0, t_last;         /* ticks: first call's start, last call's end */
	uint64_t count;              /* rows returned so far */
};
#define TS_OPEN_CALLS 8

/* What the program's API calls made current on a thread (api.c): a span it
 * began, or a context it attached. They nest. */
struct ts_scope {
	uint32_t span;               /* the number now current (for a context of another
				      * thread, a local number standing for it) */
	uint32_t restore;            /* cur_span before */
	uint64_t handle;             /* what ts_span_current() returns meanwhile */
	uint8_t kind;                /* enum ts_scope_kind */
};
enum ts_scope_kind { TS_SCOPE_SPAN = 1, TS_SCOPE_ATTACH };
#define TS_SCOPES 32

struct ts_thread {
	struct ts_ring ring;
	/* Owned by the thread itself. */
	uint32_t next_span;          /* next span number; 1 is the thread span */
	uint32_t cur_span;           /* span new calls are children of */
	struct ts_open_call open_calls[TS_OPEN_CALLS];
	struct ts_scope scopes[TS_SCOPES];
	uint32_t nscopes;
	uintptr_t stack_lo;          /* calls from outside [lo, lo+size) run on */
	uintptr_t stack_size;        /* a stack that is not this thread's */
	/* Identity, set at registration. */
	uint32_t index;              /* process-wide, never reused; 0 is the process */
	pid_t tid;
	pthread_t handle;
	_Atomic int state;           /* enum ts_thread_state */
	bool foreign;                /* registered by tid, not reachable from TLS */
	_Atomic uint32_t name_gen;   /* bumped when the name changes */
	char name[16];
	void *sink_state;            /* the drainer's per-sequence state */
	/* Modules this ring has carried a TS_REC_MODULE record for (bit id-1). */
	uint64_t modules_sent[TS_MODULES_MAX / 64];
};

/* What the hot path reads: one pointer, in the initial-exec TLS model so the
 * access is a single %fs-relative load even from a preloaded library. */
struct ts_tls {
	struct ts_thread *thr;
	uint8_t muted;               /* the shim's own threads: never traced */
	uint8_t gone;                /* thread span ended: no more records */
	uint64_t fork_span;          /* the fork() span in progress: the child's parent */
};
extern __thread struct ts_tls ts_tls __attribute__((tls_model("initial-exec")));

extern _Atomic int ts_active;    /* tracing on in this process */

#define TS_MAX_THREADS 1024
extern struct ts_thread *_Atomic ts_threads[TS_MAX_THREADS];

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
/* Marks the calling thread as the shim's own: never traced. */
void ts_thread_mute(void);

/* Calls made on a stack that is not the TLS owner's: threads made with clone()
 * without CLONE_SETTLS share the TLS of their creator, and signal handlers may
 * run on an alternate stack. ts_thread_foreign() finds (or registers) the
 * thread by its kernel tid instead, so every ring keeps a single producer. */
#endif
