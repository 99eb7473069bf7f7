/* The consumer's drain cycle (consume.c). */
#ifndef TS_CONSUME_H
#define TS_CONSUME_H

#include "registry.h"

#include <stdbool.h>
#include <stdint.h>

struct ts_track_ctx;

/* The pool the rings' chunks are in, as the consumer sees it: the process's
 * own (set by its background thread), or an agent's worker's view of the
 * segment, never trusting the producer's pointers. */
extern const struct ts_pool_view *ts_consume_pool;
/* Records that did not decode, skipped. */
extern uint64_t ts_consume_damaged;

/* Consumes the new records of t's ring (its chunks in pool v) onto track c;
 * returns how many. A chunk read to its end goes back to the pool. Records
 * are trusted no further than their bounds: a damaged one is skipped (and
 * counted), never read past. */
unsigned ts_consume_ring(struct ts_track_ctx *c, struct ts_thread *t, const struct ts_pool_view *v);
/* Set by an agent's worker whose process exports to the Perfetto file
 * only: the conversion of records may then be deferred (defer.h), the
 * records waiting in the spool (spool.h). */
extern bool ts_consume_may_defer;
/* One cycle over every registered ring; returns how full the fullest got,
 * in 1/64ths of its size. final: the process is gone, threads need not be. */
unsigned ts_consume_cycle(bool final);
/* The last cycle: every ring, then every open span ended at end_ns, the
 * process span ended, and the exporters flushed (OTLP by deadline_ms,
 * monotonic). Returns the spans OTLP did not send meanwhile. */
size_t ts_consume_final(uint64_t end_ns, uint64_t deadline_ms);
/* A round of the CPU sampler (cpusample.h): every live thread of the
 * registry, attached and described as a cycle would (a thread is sampled
 * from its first round on, drained or not). */
void ts_consume_sample(void);
/* Forgets the ring views (their memory may be gone). */
void ts_consume_after_fork(void);

/* The pause between cycles: short while rings fill, longer when idle, up to
 * TRACESHIM_FLUSH_MS. */
struct ts_pace {
	unsigned max_fill, pause_ms;
};
#define TS_PACE_INIT {0, 10}
void ts_pace_saw(struct ts_pace *p, unsigned fill);
unsigned ts_pace_next(struct ts_pace *p);

#endif
