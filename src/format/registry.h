/* The thread registry as both its sides use it: the slots (thread.c fills
 * them in the program, a consumer reads and frees them), the hot path's
 * thread-local pointer, and the tasks that are the shim's own. Nothing here
 * calls into the rest of the core. */
#ifndef TS_REGISTRY_H
#define TS_REGISTRY_H

#include "thread.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

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
void ts_shim_tids_after_fork(void);

#endif
