/* stdio streams on the program's side (interpose/stdio*.c): their records,
 * and the per-character calls (fgetc, putc...), which are counted per
 * descriptor instead of recorded one by one (stdiorec.h). Counting is a load
 * and a store while the process has one thread (glibc's own test for
 * skipping a stream's lock), an atomic add once it has more: no lock, no
 * allocation, no system call. */
#ifndef TS_STREAMS_H
#define TS_STREAMS_H

#include "record.h"
#include "stdiorec.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Descriptors counted: those of streams on higher numbers are not. */
#define TS_STREAM_FDS 4096

struct ts_stream_slot {
	_Atomic uint64_t getc_calls, getc_fails, putc_calls, putc_fails;
};
extern struct ts_stream_slot ts_stream_slots[TS_STREAM_FDS];
/* One more than the highest descriptor ever counted: what the exit scan reads. */
extern _Atomic unsigned ts_stream_top;

#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define TS_SINGLE_THREADED() (__libc_single_threaded != 0)
#else
#define TS_SINGLE_THREADED() 0
#endif

void ts_stream_raise_top(unsigned top);

static inline void ts_stream_bump(_Atomic uint64_t *c)
{
	/* A signal handler counting between the load and the store loses its
	 * count: a small price for not locking every character. */
	if (TS_SINGLE_THREADED())
		atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
				      memory_order_relaxed);
	else
		atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* One per-character call on descriptor fd: a read (fgetc...) or a write
 * (putc...), which moved its byte unless it returned EOF. */
static inline void ts_stream_count(int fd, bool put, bool moved)
{
	if ((unsigned)fd >= TS_STREAM_FDS)
		return;
	struct ts_stream_slot *s = &ts_stream_slots[fd];
	ts_stream_bump(put ? &s->putc_calls : &s->getc_calls);
	if (__builtin_expect(!moved, 0))
		ts_stream_bump(put ? &s->putc_fails : &s->getc_fails);
	if (__builtin_expect((unsigned)fd >= atomic_load_explicit(&ts_stream_top, memory_order_relaxed), 0))
		ts_stream_raise_top((unsigned)fd + 1);
}

/* Takes fd's counts (into out, unless NULL) and starts them again from 0:
 * the stream on fd ends (fclose, freopen), or a new one begins there.
 * True when there was any. */
bool ts_stream_take(int fd, struct ts_stdio_counts *out);

/* An I/O call on a stream: requested, ret and flags as stdiorec.h says; err
 * the errno of a failed call (ret -1). Inline: the hot path. */
static inline void ts_record_stream_io(struct ts_thread *t, enum ts_op op, int fd,
				       uint64_t requested, int64_t ret, int err, uint32_t flags,
				       uint64_t t0, uint64_t t1)
{
	struct ts_rec *r = ts_ring_reserve(&t->ring, 0, 0);
	if (!r)
		return;
	ts_rec_fill(r, t, op, fd, ret, err, t0, t1);
	r->arg = requested;
	r->aux2 = flags;
	r->span = t->next_span++;
	ts_ring_commit(&t->ring, 1);
}

/* fopen, freopen or fdopen. fd: the descriptor the call was given (fdopen;
 * freopen of no path: the stream's), else -1; path: NULL for those; ret: the
 * new stream's descriptor or -1 (errno says why); closed: the counts of the
 * stream freopen closed, or NULL. A path opened a new file: its descriptor
 * gets a new generation. */
void ts_record_stream_open(struct ts_thread *t, enum ts_op op, int fd, const char *path,
			   const char *mode, int ret, const struct ts_stdio_counts *closed,
			   uint64_t t0, uint64_t t1);
/* fclose of the stream on fd (state: its ts_fd_state() before the call),
 * with its counts (or NULL); ret 0 or -1 (errno says why). */
void ts_record_stream_close(struct ts_thread *t, int fd, uint64_t state, int ret,
			    const struct ts_stdio_counts *counts, uint64_t t0, uint64_t t1);
/* The process ends (exit, _exit; not a crash, whose exception is the last
 * thing its thread shows): one record for each descriptor with counts left
 * (a stream never closed, as stdout mostly is), taken. */
void ts_record_streams_at_exit(struct ts_thread *t);
/* A forked child: the counts so far are its parent's calls. */
void ts_streams_after_fork(void);

#endif
