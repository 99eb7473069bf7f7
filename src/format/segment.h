/* A traced process's shared segment: one file in the run directory, mapped
 * shared by the process (the producer) and by the agent's worker for it (the
 * consumer). It holds what the consumer needs to know of the process and
 * every thread's ring, and outlives the process, so spans recorded before a
 * SIGKILL are still there to be read.
 *
 * Layout: the header (with the chunk pool's free stack), then the arena
 * (arena.h): thread slots and the pool's chunks. The file is sparse: a page
 * costs memory only once it is written. The producer never trusts the consumer and the
 * consumer never trusts the producer: every size and offset is checked
 * against the consumer's own copy of the header's geometry. */
#ifndef TS_SEGMENT_H
#define TS_SEGMENT_H

#include "arena.h"
#include "context.h"
#include "ids.h"
#include "rawsys.h"
#include "registry.h"
#include "rundir.h"

#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>

#define TS_SEG_MAGIC 0x31677374u     /* "tsg1", written last */
#define TS_SEG_ENV_MAX 16384
#define TS_SEG_ARGS_MAX 4096

/* What the process was as it started, one part after the other in the
 * header's text, each of part_len bytes: its working directory and its
 * executable (each with its NUL), its arguments (NUL-separated, as
 * /proc/PID/cmdline) and its settings (NUL-separated NAME=VALUE:
 * TRACESHIM_*, OTEL_*, TRACEPARENT, TRACESTATE). Packed, a usual process
 * writes one page of the segment for them instead of one page each. */
enum ts_seg_part { TS_SEG_CWD, TS_SEG_EXE, TS_SEG_ARGS, TS_SEG_ENV, TS_SEG_PARTS };
#define TS_SEG_TEXT_MAX (2 * PATH_MAX + TS_SEG_ARGS_MAX + TS_SEG_ENV_MAX)

/* FINISHED: exit has begun; EXECED: the image is replaced. Either way the
 * consumer drains what is there, ends what is open and writes it. */
enum ts_seg_state { TS_SEG_LIVE = 1, TS_SEG_FINISHED, TS_SEG_EXECED };

struct ts_seg_header {
	_Atomic uint32_t magic;
	uint32_t header_size;        /* offset of the arena */
	uint32_t slot_bytes;         /* one thread slot (a check of struct ts_thread's size) */
	uint32_t nchunks;            /* the pool's chunks */
	uint32_t max_threads;
	int32_t pid, ppid;
	uint32_t uid;
	int32_t clock_tsc;           /* ticks are TSC cycles (else BOOTTIME ns) */
	uint64_t clock_tick, clock_ns;   /* the process's first (ticks, ns) anchor */
	uint64_t start_ticks;        /* the process span's start */
	uint64_t start_boottime_ns;  /* when the segment was made: tells pid reuse */
	struct ts_ids ids;
	struct ts_incoming_ctx ctx;
	/* Written by the producer as the process goes on. */
	_Atomic uint32_t state;      /* enum ts_seg_state */
	_Atomic int32_t exit_status; /* as ts_exit_status() */
	_Atomic uint64_t end_ticks;  /* when it was marked finished or exec'd */
	_Atomic uint64_t end_cpu_ns1;   /* the process's CPU time then, plus one (0: unknown) */
	_Atomic uint64_t untraced_threads;
	/* The consumer's side. */
	_Atomic uint32_t consumer_waiting;   /* the worker sleeps on `wake` */
	_Atomic uint32_t wake;               /* futex word (shared) */
	_Atomic uint64_t consumer_beat;      /* bumped every drain cycle */
	_Atomic uint32_t written;            /* futex: the final drain is written */
	_Atomic uint32_t report_len;
	char report[1024];                   /* the worker's diagnostics, for the process */
	struct ts_pool pool;         /* the chunks' free stack */
	/* The file's pages are reserved (fallocate) as they come to be needed,
	 * never written before: thread slots [0, slots_backed) are; a thread
	 * wanting slot n asks for n + 1 in slots_wanted and waits. The pool's
	 * chunks up to pool.limit are. no_room: the file system has no more. */
	_Atomic uint32_t slots_backed;
	_Atomic uint32_t slots_wanted;
	_Atomic uint32_t no_room;
	/* Which thread slots are claimed (registry.c). */
	_Atomic uint32_t claimed[TS_MAX_THREADS];
	/* The process as it started (enum ts_seg_part), packed. */
	uint32_t part_len[TS_SEG_PARTS];
	char text[TS_SEG_TEXT_MAX];
};

/* Part p of h's text, its length in *len: within the text whatever the
 * producer wrote. The lengths are read once each; a consumer copies what
 * it keeps. */
static inline const char *ts_seg_part(const struct ts_seg_header *h, enum ts_seg_part p,
				      size_t *len)
{
	size_t at = 0, l = 0;
	for (int i = 0; i <= (int)p; i++) {
		at += l;
		l = ((const volatile uint32_t *)h->part_len)[i];
		if (l > TS_SEG_TEXT_MAX - at)
			l = TS_SEG_TEXT_MAX - at;
	}
	*len = l;
	return h->text + at;
}

static inline uint32_t ts_seg_header_size(void)
{
	return (uint32_t)((sizeof(struct ts_seg_header) + 4095) & ~(size_t)4095);
}

/* Wakes the segment's worker (it sleeps on `wake`). */
static inline void ts_seg_wake(struct ts_seg_header *h)
{
	atomic_fetch_add(&h->wake, 1);
	ts_syscall(SYS_futex, &h->wake, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* An image of a process that the next one replaced without the shim
 * seeing the exec (the execve system call made directly): ended by that
 * exec, a little before the next one's start, as the two convert ticks to
 * time from anchors of their own, which differ by some nanoseconds. 10,000
 * ticks: a few microseconds of TSC, 10 of BOOTTIME; an exec takes longer. */
static inline void ts_seg_replaced_by(struct ts_seg_header *h, const struct ts_seg_header *next)
{
	uint64_t at = next->start_ticks;
	atomic_store(&h->end_ticks, at > 10000 ? at - 10000 : at);
	atomic_store_explicit(&h->state, TS_SEG_EXECED, memory_order_release);
}

/* Where the file's parts are, from the segment's start (arena.h's layout
 * after the header): thread slot i, the pool's links, and chunk c. */
static inline size_t ts_seg_slot_off(uint32_t nchunks, uint32_t i)
{
	return ts_seg_header_size() + (size_t)i * ts_arena_layout(nchunks).slot_bytes;
}

static inline size_t ts_seg_links_off(uint32_t nchunks)
{
	return ts_seg_header_size() + ts_arena_layout(nchunks).next_off;
}

static inline size_t ts_seg_chunk_off(uint32_t nchunks, uint32_t c)
{
	return ts_seg_header_size() + ts_arena_layout(nchunks).chunks_off + (size_t)c * TS_CHUNK_BYTES;
}

#endif
