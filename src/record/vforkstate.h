/* A vfork() in progress on a thread (interpose/vfork.c). The child borrows
 * the thread (its stack and its TLS) until it execs or exits, so the
 * thread's pointer is put aside meanwhile: the child is never traced, and
 * the parent takes it back when vfork returns there. They nest (a signal
 * handler may vfork too). Kept apart from the thread registry so that the
 * descriptor table's inline helpers can ask without linking it. */
#ifndef TS_VFORKSTATE_H
#define TS_VFORKSTATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct ts_thread;

struct ts_vfork_frame {
	void *ret;                   /* where vfork returns to in the caller */
	struct ts_thread *thr;       /* the thread's pointer, given back to the parent */
	uint64_t t0;
	uint32_t span;               /* the vfork span (0: none is recorded) */
	pid_t tid;                   /* the parent's thread */
	uint8_t was_child;           /* `child` before this vfork */
};
#define TS_VFORK_DEPTH 4

struct ts_vfork_state {
	uint8_t child;               /* set by a vfork child (shared memory: the parent
				      * clears it); see ts_vfork_child() */
	uint8_t depth;               /* vforks in progress on this thread */
	struct ts_vfork_frame frame[TS_VFORK_DEPTH];
};
extern __thread struct ts_vfork_state ts_vfork __attribute__((tls_model("initial-exec")));

/* True in a vfork child: it shares the parent's memory, so nothing it does
 * through the shim may change the parent's state (its calls go straight to
 * the real functions). The flag alone would also be seen by a signal
 * handler of the parent that runs as vfork returns there; the tid tells. */
bool ts_vfork_child_slow(void);
static inline bool ts_vfork_child(void)
{
	return __builtin_expect(ts_vfork.child, 0) && ts_vfork_child_slow();
}

#endif
