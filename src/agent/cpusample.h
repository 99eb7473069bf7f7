/* Each traced thread's CPU time, sampled by the consumer (drainer thread or
 * agent worker) every TRACESHIM_CPU_SAMPLE_MS from
 * /proc/<pid>/task/<tid>/schedstat: two counter tracks under the thread's
 * ("cpu %" and "waiting for CPU %", Perfetto only), and
 * traceshim.cpu_time_ns on the spans that last TRACESHIM_CPU_SPAN_MIN_US or
 * more, interpolated between the samples around their start and end. */
#ifndef TS_CPUSAMPLE_H
#define TS_CPUSAMPLE_H

#include "span.h"

#include <stdbool.h>
#include <stdint.h>

struct ts_track_ctx;
struct ts_thread;
struct ts_pool_view;

/* An agent's worker keeps each thread's schedstat open and reads it again
 * with one pread. The process's own writer opens, reads and closes it each
 * time: no descriptor of the shim stays open in the program. */
extern bool ts_cpu_keep_fds;
/* The process's CPU time at its end, plus one (0: unknown), set by whoever
 * saw it end (the exit path said it, or the writer read it), for the
 * process span. */
extern uint64_t ts_cpu_process_end_ns1;

/* The pause before the next cycle, at most ms: shorter when a sample is due
 * sooner. Unchanged when sampling is off or there is nothing to sample. */
unsigned ts_cpu_pause_ms(unsigned ms);
/* A sample of every thread is due. */
bool ts_cpu_due(void);
/* One sample of thread t (its registry slot live), on its track c; v: the
 * pool its ring's chunks are in. False when none could be had. */
bool ts_cpu_sample(struct ts_track_ctx *c, const struct ts_thread *t, const struct ts_pool_view *v);
/* A round of samples is over (ts_consume_sample()): `sampled` threads
 * were. None: the consumer sleeps as it would without the sampler. */
void ts_cpu_round_done(unsigned sampled);

/* Thread t of track c began at ns (its begin record) with CPU time cpu_ns1
 * (plus one; 0: unknown); v: the pool its ring's chunks are in. */
void ts_cpu_thread_begin(struct ts_track_ctx *c, const struct ts_thread *t,
			 const struct ts_pool_view *v, uint64_t ns, uint64_t cpu_ns1);
/* It ended at ns, with CPU time cpu_ns1 (plus one; 0: unknown): its
 * counters' last values. Again for a thread already ended: nothing. */
void ts_cpu_thread_end(struct ts_track_ctx *c, uint64_t ns, uint64_t cpu_ns1);
/* traceshim.cpu_time_ns on the thread span's end s, when known. */
void ts_cpu_thread_attr(struct ts_track_ctx *c, uint64_t end_ns, struct ts_span *s);
/* traceshim.cpu_time_ns on s, a span of the thread of track c from start
 * to end, when it is long enough and its CPU time can be known. */
void ts_cpu_attr(struct ts_track_ctx *c, uint64_t start, uint64_t end, struct ts_span *s);
/* The same as a value: false when it cannot be known (or is too short). */
bool ts_cpu_span_ns(struct ts_track_ctx *c, uint64_t start, uint64_t end, int64_t *cpu);
/* traceshim.cpu_time_ns on the process span (start..end). */
void ts_cpu_process_attr(uint64_t start, uint64_t end, struct ts_span *s);

/* The track is over: its descriptor closed, its samples freed. */
void ts_cpu_forget(struct ts_track_ctx *c);
/* A worker's next process starts anew. */
void ts_cpu_reset(void);

#define TS_CPU_ATTR "traceshim.cpu_time_ns"

#endif
