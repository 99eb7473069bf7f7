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
				* ret: a thread not made by a traced pthread_create (the
				* main thread, one adopted): its CPU time in ns then, plus
				* one (0: unknown; a new thread's is 0);
				* payload (optional): the start routine's symbol name,
				* NUL-terminated within its slots (aux is taken, so the
				* length is not kept: read up to the NUL or ext slots) */
	TS_REC_THREAD_END,     /* arg: the thread's CPU time in ns, plus one (0: unknown) */
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
	TS_REC_USER_NOTE,      /* arg: span handle; op: enum ts_note; payload as for begin
				* (TS_NOTE_HTTP_STATUS: none, ret: the status code) */
	TS_REC_USER_LINK,      /* span: a local number standing for the span whose handle is arg */
	TS_REC_HANDOFF,        /* span: hand-off number; arg: handle of the span it is for;
				* payload: name */
	/* Facts the drain side would otherwise ask the process for. */
	TS_REC_MODULE,         /* a loaded module, once per thread before the first
				* exception that names it: aux2: its number (process-wide,
				* never reused); arg: load bias; payload: file path */
	TS_REC_PAD,            /* nothing: fills the end of a chunk (1 + ext slots) */
	TS_REC_FD_INFO,        /* fd (generation fdgen) as the process found it (not made
				* by a traced call: stdin, stdout, stderr); kind: type |
				* transport << 4; payload: its /proc/<pid>/fd link text
				* (aux2 bytes), then a socket's peer address, if any */
};

/* aux_kind of user records: a span that may end on any thread. kind of a
 * begin: its name (under TS_INLINE_NAME bytes) is in the record itself, in
 * t1 and ret, and the payload holds nothing. */
enum { TS_USER_ASYNC = 1, TS_USER_NAME_INLINE = 1 };
/* aux_kind of a begin or an end made by the shim itself (an HTTP exchange,
 * httpspan.c): the span's kind, INTERNAL when neither. An end names its
 * connection: fd, fdgen, in aux2 the connection's kind, and as payload the
 * peer's socket address when the connect or accept said it. */
enum { TS_USER_CLIENT = 2, TS_USER_SERVER = 4 };
/* An attribute of such a begin that is not the span's: the traceparent of the
 * request a server span continues. */
#define TS_REMOTE_PARENT_KEY "traceshim.remote_parent"
#define TS_INLINE_NAME 16
enum ts_note { TS_NOTE_ATTRS, TS_NOTE_EVENT, TS_NOTE_ERROR, TS_NOTE_HTTP_STATUS };

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

/* The chunks every ring of a process takes its slots from, 64 records
 * (4 KiB) at a time: a process's record memory follows how many records are
 * waiting to be consumed, not how many threads it has. Free chunks are a
 * lock-free stack (LIFO: the chunk freed last, whose pages are warm, is used
 * next); chunks never used yet are handed out from `fresh`. */
#define TS_CHUNK_SHIFT 6
#define TS_CHUNK_RECS (1u << TS_CHUNK_SHIFT)
#define TS_CHUNK_BYTES (TS_CHUNK_RECS * TS_REC_SIZE)
/* A ring holds up to this many chunks' worth of records (one less: see the
 * capacity below). */
#define TS_RING_CHUNKS 256

struct ts_pool {
	_Atomic uint64_t top;        /* free stack: (tag << 32) | (chunk + 1); 0: empty */
	_Atomic uint32_t fresh;      /* chunks [fresh, nchunks) were never used */
	uint32_t nchunks;
	_Atomic uint32_t out;        /* chunks held by rings now */
	_Atomic uint32_t progress;   /* futex: bumped by the consumer after a cycle that took
				      * records (wraps) */
	_Atomic uint32_t waiters;    /* producers waiting for room or a chunk */
	/* Chunks [0, limit) may be handed out fresh (0: all): those of a
	 * segment beyond are not backed yet by the file, whose pages a full
	 * file system could not give (a write there would be SIGBUS). */
	_Atomic uint32_t limit;
};

/* A pool as one process sees it (the producer and a consumer in another
 * process map it at different addresses). */
struct ts_pool_view {
	struct ts_pool *pool;
	_Atomic uint32_t *next;      /* free stack links, one per chunk */
	struct ts_rec *chunks;       /* nchunks * TS_CHUNK_RECS records */
	uint32_t nchunks;            /* the viewer's own copy, checked once */
};

static inline struct ts_rec *ts_pool_chunk(const struct ts_pool_view *v, uint32_t c)
{
	return v->chunks + ((size_t)c << TS_CHUNK_SHIFT);
}

/* A free chunk, or UINT32_MAX when there is none. */
static inline uint32_t ts_pool_take(const struct ts_pool_view *v)
{
	struct ts_pool *p = v->pool;
	uint64_t top = atomic_load_explicit(&p->top, memory_order_acquire);
	while (top & 0xffffffffu) {
		uint32_t c = (uint32_t)top - 1;
		uint32_t next = c < v->nchunks ? atomic_load_explicit(&v->next[c], memory_order_relaxed) : 0;
		uint64_t to = ((top >> 32) + 1) << 32 | next;
		if (atomic_compare_exchange_weak_explicit(&p->top, &top, to, memory_order_acquire,
							  memory_order_acquire)) {
			if (c >= v->nchunks)
				return UINT32_MAX;   /* damaged: never happens with our own pool */
			atomic_fetch_add_explicit(&p->out, 1, memory_order_relaxed);
			return c;
		}
	}
	uint32_t f = atomic_load_explicit(&p->fresh, memory_order_relaxed);
	uint32_t limit = atomic_load_explicit(&p->limit, memory_order_acquire);
	if (!limit || limit > v->nchunks)
		limit = v->nchunks;
	while (f < limit) {
		if (atomic_compare_exchange_weak_explicit(&p->fresh, &f, f + 1, memory_order_relaxed,
							  memory_order_relaxed)) {
			atomic_fetch_add_explicit(&p->out, 1, memory_order_relaxed);
			return f;
		}
	}
	return UINT32_MAX;
}

static inline void ts_pool_give(const struct ts_pool_view *v, uint32_t c)
{
	if (c >= v->nchunks)
		return;
	struct ts_pool *p = v->pool;
	uint64_t top = atomic_load_explicit(&p->top, memory_order_relaxed);
	do
		atomic_store_explicit(&v->next[c], (uint32_t)top, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&p->top, &top, ((top >> 32) + 1) << 32 | (c + 1),
						      memory_order_release, memory_order_relaxed));
	atomic_fetch_sub_explicit(&p->out, 1, memory_order_relaxed);
}

struct ts_ring {
	/* Producer side: written only by the owning thread. */
	_Atomic uint64_t head;          /* records published */
	uint64_t tail_seen;             /* last tail the producer read */
	volatile uint32_t busy;         /* an append is in progress */
	uint32_t cap;                   /* records it may hold: (TS_RING_CHUNKS - 1) chunks */
	_Atomic uint64_t dropped;       /* records lost to a full ring or a nested append */
	uint32_t block;                 /* wait for room when full (TRACESHIM_ON_FULL=block) */
	uint32_t pad0;
	uint64_t at;                    /* where the record being appended starts */
	const struct ts_pool_view *pool;   /* the producer's view of its pool */
	char pad[64 - 56];
	/* Consumer side. */
	_Atomic uint64_t tail;
	char pad2[64 - 8];
	/* Chunk k of the ring's record sequence (records [64k, 64k + 64)) is
	 * chunk table[k % TS_RING_CHUNKS] of the pool. Written by the producer
	 * before the records of that chunk are published. */
	_Atomic uint32_t table[TS_RING_CHUNKS];
};

/* Slow paths (ringwait.c). A full ring: wakes the consumer and waits, with a
 * bound, until `need` more records fit; false when they did not. A new chunk
 * for records from h on: false when the pool has none (and, when the ring
 * waits, none came back in time). */
bool ts_ring_wait_room(struct ts_ring *r, uint64_t need);
bool ts_ring_new_chunk(struct ts_ring *r, uint64_t h);
/* How a waiting producer wakes the consumer (the process's background
 * thread, or the agent's worker): true when there is one. Set at start. */
void ts_ring_set_nudge(bool (*fn)(void));

/* Records kept free for the structural records (thread begin/end) so a flood
 * of calls never breaks the nesting of the thread span. */
#define TS_RING_RESERVE 16

static inline struct ts_rec *ts_ring_at(const struct ts_ring *r, const struct ts_pool_view *v,
					uint64_t i)
{
	uint32_t c = atomic_load_explicit(&r->table[(i >> TS_CHUNK_SHIFT) % TS_RING_CHUNKS],
					  memory_order_relaxed);
	return ts_pool_chunk(v, c) + (i & (TS_CHUNK_RECS - 1));
}

static inline struct ts_rec *ts_ring_drop(struct ts_ring *r)
{
	atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	r->busy = 0;
	return NULL;
}

/* Starts an append of 1 + ext slots; returns the first slot or NULL (dropped).
 * Must be followed by ts_ring_commit(). A record never straddles two
 * chunks: when it would, the rest of the chunk is filled with a padding
 * record first. */
static inline struct ts_rec *ts_ring_reserve(struct ts_ring *r, unsigned ext, int structural)
{
	if (r->busy) {
		atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
		return NULL;
	}
	r->busy = 1;
	atomic_signal_fence(memory_order_seq_cst);
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	unsigned n = 1 + ext, off = (unsigned)(h & (TS_CHUNK_RECS - 1));
	unsigned pad = off && off + n > TS_CHUNK_RECS ? TS_CHUNK_RECS - off : 0;
	uint64_t need = pad + n + (structural ? 0 : TS_RING_RESERVE);
	if (h + need - r->tail_seen > r->cap) {
		r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (h + need - r->tail_seen > r->cap && !(r->block && ts_ring_wait_room(r, need)))
			return ts_ring_drop(r);
	}
	if (pad) {
		struct ts_rec *p = ts_ring_at(r, r->pool, h);
		p->type = TS_REC_PAD;
		p->ext = (uint8_t)(pad - 1);
		h += pad;
	}
	if (!(h & (TS_CHUNK_RECS - 1)) && !ts_ring_new_chunk(r, h))
		return ts_ring_drop(r);
	r->at = h;
	return ts_ring_at(r, r->pool, h);
}

/* Publishes the nslots appended (and a padding record before them). */
static inline void ts_ring_commit(struct ts_ring *r, unsigned nslots)
{
	atomic_store_explicit(&r->head, r->at + nslots, memory_order_release);
	atomic_signal_fence(memory_order_seq_cst);
	r->busy = 0;
}

/* Slot i after the reserved one (in the same chunk). */
static inline struct ts_rec *ts_ring_slot(struct ts_ring *r, struct ts_rec *first, unsigned i)
{
	(void)r;
	return first + i;
}

/* Copies n bytes into the payload slots following `first`. */
static inline void ts_ring_put_payload(struct ts_ring *r, struct ts_rec *first,
				       const void *data, unsigned n)
{
	(void)r;
	memcpy(first + 1, data, n);
}

#endif
