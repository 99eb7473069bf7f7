/* Fixed-size records and the per-thread single-producer ring they go into.
 *
 * The owning thread is the only producer; the drainer is the only consumer.
 * Appending takes no lock, allocates nothing and makes no system call. A
 * signal handler that interrupts an append sees `busy` set and drops its own
 * record (counted), so the ring stays consistent without atomic
 * read-modify-write instructions. */
#ifndef TS_RING_H
#define TS_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum ts_rec_type {
	TS_REC_SPAN = 1,       /* a complete call: t0..t1 */
	TS_REC_THREAD_BEGIN,   /* arg: start routine; aux: creator index; aux2: creator span;
				* payload (optional): the start routine's symbol name,
				* NUL-terminated within its slots (aux is taken, so the
				* length is not kept: read up to the NUL or ext slots) */
	TS_REC_THREAD_END,
	TS_REC_FD_ALIAS,       /* fd (fdgen) duplicates aux (generation aux2); not a span */
	TS_REC_SQL_PREPARED,   /* arg: statement; payload: database file, NUL, SQL text */
	TS_REC_SQL_FINALIZED,  /* arg: statement */
	TS_REC_EXCEPTION,      /* a crash (op: signal) or C++ throw (op 0); fd: number of
				* frames n; payload: n return addresses (u64), n module
				* numbers (u16, 0 unknown; see TS_REC_MODULE), the
				* thrown type's mangled name, NUL */
	/* The program's own spans (traceshim.h); a "handle" is (thread index
	 * << 32 | span number). See api.c and userspan.c. */
	TS_REC_USER_BEGIN,     /* span, parent; arg: hand-off handle or 0; aux_kind: TS_USER_ASYNC;
				* payload: name and attributes (attrpack.h) */
	TS_REC_USER_END,       /* span, or with TS_USER_ASYNC the handle in arg; op: status */
	TS_REC_USER_NOTE,      /* arg: span handle; op: enum ts_note; payload as for begin */
	TS_REC_USER_LINK,      /* span: a local number standing for the span whose handle is arg */
	TS_REC_HANDOFF,        /* span: hand-off number; arg: handle of the span it is for;
				* payload: name */
	/* Facts the drain side would otherwise ask the process for. */
	TS_REC_MODULE,         /* a loaded module, once per thread before the first
				* exception that names it: aux2: its number (process-wide,
				* never reused); arg: load bias; payload: file path */
	TS_REC_FD_INFO,        /* fd (generation fdgen) as the process found it (not made
				* by a traced call: stdin, stdout, stderr); kind: type |
				* transport << 4; payload: its /proc/<pid>/fd link text
				* (aux2 bytes), then a socket's peer address, if any */
};

/* aux_kind of user records: a span that may end on any thread. kind of a
 * begin: its name (under TS_INLINE_NAME bytes) is in the record itself, in
 * t1 and ret, and the payload holds nothing. */
enum { TS_USER_ASYNC = 1, TS_USER_NAME_INLINE = 1 };
#define TS_INLINE_NAME 16
enum ts_note { TS_NOTE_ATTRS, TS_NOTE_EVENT, TS_NOTE_ERROR };

#define TS_REC_SIZE 64
#define TS_PAYLOAD_MAX_SLOTS 16   /* up to 1 KiB of path, address or SQL text */

struct ts_rec {
	uint64_t t0, t1;     /* ticks */
	int64_t ret;         /* the call's result */
	uint64_t arg;        /* bytes requested, flags, or start routine */
	uint32_t span;       /* this span's number in its thread */
	uint32_t parent;     /* number of the parent span in the same thread */
	int32_t fd;
	uint32_t fdgen;      /* generation of fd when the call ran */
	uint16_t op;         /* enum ts_op */
	uint8_t type;        /* enum ts_rec_type */
	uint8_t ext;         /* payload slots that follow */
	int16_t err;         /* errno when the call failed */
	uint8_t kind;        /* the fd's kind from its creator (see fdinfo.h) */
	uint8_t aux_kind;    /* the same for the second descriptor (aux) */
	uint32_t aux, aux2;  /* per-operation extras; payload length for payload ops */
};
_Static_assert(sizeof(struct ts_rec) == TS_REC_SIZE, "record must be one cache line");

static inline char *ts_rec_inline_name(struct ts_rec *r)
{
	return (char *)&r->t1;   /* t1 and ret: 16 bytes */
}
_Static_assert(offsetof(struct ts_rec, ret) == offsetof(struct ts_rec, t1) + 8,
	       "an inline name spans t1 and ret");

struct ts_ring {
	/* Producer side: written only by the owning thread. */
	_Atomic uint64_t head;          /* records published */
	uint64_t tail_seen;             /* last tail the producer read */
	volatile uint32_t busy;         /* an append is in progress */
	uint32_t mask;                  /* capacity - 1 */
	_Atomic uint64_t dropped;       /* records lost to a full ring or a nested append */
	uint32_t block;                 /* wait for room when full (TRACESHIM_ON_FULL=block) */
	char pad[64 - 36];
	/* Consumer side. */
	_Atomic uint64_t tail;
	struct ts_rec *slots;
};

/* The full ring's slow path (ringwait.c): wakes the consumer and waits, with
 * a bound, until `need` more slots fit; false when they did not. */
bool ts_ring_wait_room(struct ts_ring *r, uint64_t need);

/* Records kept free for the structural records (thread begin/end) so a flood
 * of calls never breaks the nesting of the thread span. */
#define TS_RING_RESERVE 16

/* Starts an append of 1 + ext slots; returns the first slot or NULL (dropped).
 * Must be followed by ts_ring_commit(). */
static inline struct ts_rec *ts_ring_reserve(struct ts_ring *r, unsigned ext, int structural)
{
	if (r->busy) {
		atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
		return NULL;
	}
	r->busy = 1;
	atomic_signal_fence(memory_order_seq_cst);
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t need = 1 + ext + (structural ? 0 : TS_RING_RESERVE);
	if (h + need - r->tail_seen > (uint64_t)r->mask + 1) {
		r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (h + need - r->tail_seen > (uint64_t)r->mask + 1 &&
		    !(r->block && ts_ring_wait_room(r, need))) {
			atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
			atomic_signal_fence(memory_order_seq_cst);
			r->busy = 0;
			return NULL;
		}
	}
	return &r->slots[h & r->mask];
}

static inline void ts_ring_commit(struct ts_ring *r, unsigned nslots)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	atomic_store_explicit(&r->head, h + nslots, memory_order_release);
	atomic_signal_fence(memory_order_seq_cst);
	r->busy = 0;
}

/* Slot i after the reserved one, wrapping at the end of the ring. */
static inline struct ts_rec *ts_ring_slot(struct ts_ring *r, struct ts_rec *first, unsigned i)
{
	return &r->slots[((uint64_t)(first - r->slots) + i) & r->mask];
}

/* Copies n bytes into the payload slots following `first`. */
static inline void ts_ring_put_payload(struct ts_ring *r, struct ts_rec *first,
				       const void *data, unsigned n)
{
	const char *src = data;
	for (unsigned i = 1; n; i++) {
		unsigned chunk = n < TS_REC_SIZE ? n : TS_REC_SIZE;
		memcpy(ts_ring_slot(r, first, i), src, chunk);
		src += chunk;
		n -= chunk;
	}
}

#endif
