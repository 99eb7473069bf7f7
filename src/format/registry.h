/* The thread registry as both its sides use it: the slots and what each
 * holds (a thread's ring and identity; record/thread.c fills them in the
 * program, a consumer reads and frees them), the segment they are in, the
 * hot path's thread-local pointer, and the tasks that are the shim's own.
 * Nothing here calls into the rest of the core. */
#ifndef TS_REGISTRY_H
#define TS_REGISTRY_H

#include "ring.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Module numbers records carry (TS_REC_MODULE): 1..TS_MODULES_MAX over a
 * process's life. */
#define TS_MODULES_MAX 512

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
/* TS_SCOPE_HTTP: a server span is current while its request is handled
 * (httpconn.c); like ATTACH, its end is not the scope's. */
enum ts_scope_kind { TS_SCOPE_SPAN = 1, TS_SCOPE_ATTACH, TS_SCOPE_HTTP };
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
	/* Owned by the thread: a TLS call in progress (interpose/tlscall.h),
	 * how deep they nest, and the stream socket the calls made inside it
	 * moved bytes on (-1 none yet, -2 more than one). */
	uint32_t tls_depth;
	int32_t tls_sock;
};

/* What the hot path reads: one pointer, in the initial-exec TLS model so the
 * access is a single %fs-relative load even from a preloaded library. */
struct ts_tls {
	struct ts_thread *thr;
	uint8_t muted;               /* the shim's own threads: never traced */
	uint8_t gone;                /* thread span ended: no more records */
	uint8_t registering;         /* the thread is being registered: a call made
				      * meanwhile (a signal handler's) is not traced */
	uint8_t exit_rounds;         /* rounds of thread-specific destructors seen */
	uint8_t in_fork;             /* in the shim's fork(): it does the fork handlers' work
				      * outside them (process/init.c) */
	uint8_t unslotted;           /* found every thread slot taken (counted once) */
	uint64_t fork_span;          /* the fork() span in progress: the child's parent */
	uint32_t stack_second;       /* throws and recovered signals: the coarse second counted, */
	uint32_t stacks;             /* and the stacks taken in it (ts_unwind_budget) */
};
extern __thread struct ts_tls ts_tls __attribute__((tls_model("initial-exec")));

extern _Atomic int ts_active;    /* tracing on in this process */

#define TS_MAX_THREADS 1024
extern struct ts_thread *_Atomic ts_threads[TS_MAX_THREADS];

/* The segment the rings are in: the process's own, or, in an agent's
 * worker, the one it consumes; NULL when the rings are private memory. */
extern struct ts_seg_header *ts_seg;


/* Which slots are taken: the process's own table for private rings, the
 * segment's when the rings are shared (the consumer frees slots there). */
_Atomic uint32_t *ts_registry_claims(void);
/* Child after fork: the private table is empty again. */
void ts_registry_after_fork(void);
/* Consumer: the thread in `slot` is gone and drained; frees the slot. */
void ts_thread_release(int slot);
/* Threads left untraced because every slot was taken. */
extern _Atomic uint64_t ts_threads_untraced;

/* The shim's own threads (background writer, exporter): by kernel tid. */
bool ts_shim_tid(pid_t tid);
unsigned ts_shim_tids_count(void);
/* The calling task is the shim's (without touching the TLS it may share). */
void ts_shim_thread_begin(void);
void ts_shim_thread_end(void);
/* Marks the calling thread as the shim's own: never traced. */
void ts_thread_mute(void);
void ts_shim_tids_after_fork(void);

#endif
