/* Internals of libtraceshim-testing shared by its files: the record (spans,
 * hand-offs, handle index), the threads' stacks, and copying attributes
 * within the limits. Everything here is used with `ts_rec_lock` held. */
#ifndef TS_TESTING_RECORDER_H
#define TS_TESTING_RECORDER_H

#include "traceshim-testing.h"

#include <pthread.h>

#define TS_EXPORT __attribute__((visibility("default")))

/* A recorded span; pub first, so a ts_testing_span_t * is a rec_span *. */
struct rec_span {
	ts_testing_span_t pub;
	ts_testing_event_t **events;   /* each allocated alone: pointers stay valid */
	size_t cap_events;
};

/* An entry of a thread's stack: a span begun there (rec set, token 0) or an
 * attached context (rec NULL, token set). */
struct entry {
	ts_span_t span;
	struct rec_span *rec;
	uint64_t token;
};

struct tstate {
	unsigned long generation;      /* of the record the stack belongs to */
	unsigned ordinal;
	struct entry *stack;
	size_t depth, cap;
};

struct record {
	struct rec_span **spans;       /* in begin order */
	size_t nspans, cap_spans, open;
	ts_testing_handoff_t **handoffs;
	size_t nhandoffs, cap_handoffs;
	struct rec_span **index;       /* by handle: open addressing, NULL free */
	size_t index_cap;
	uint64_t seq;
	unsigned long generation;
	unsigned next_ordinal;
};

extern pthread_mutex_t ts_rec_lock;
extern struct record ts_rec;

void *ts_rec_alloc(size_t size);                        /* zeroed; aborts when out of memory */
/* array holds *cap elements of elem bytes: returns it with room for need. */
void *ts_rec_grow(void *array, size_t *cap, size_t need, size_t elem);
uint64_t ts_rec_next_id(void);                          /* unique in the process */
struct tstate *ts_rec_self(void);                       /* the calling thread, up to date */
void ts_rec_push(struct tstate *t, ts_span_t span, struct rec_span *rec, uint64_t token);

struct rec_span *ts_rec_add_span(const char *name, ts_span_t parent, ts_testing_kind_t kind,
				 unsigned thread);
struct rec_span *ts_rec_find(ts_span_t handle);         /* NULL when unknown */
void ts_rec_forget(void);                               /* frees the record */

/* Copies text cut to max bytes into dst (max + 1 bytes); NULL is "". */
void ts_rec_copy(char *dst, const char *src, size_t max);

/* Merges attrs into list (*n of max) as a call of the API does: skips the
 * invalid ones, drops those past *budget bytes, replaces same keys, adds the
 * others while there is room. Returns how many were dropped. */
size_t ts_rec_merge(ts_testing_attr_t *list, size_t *n, size_t max, const ts_attribute_t *attrs,
		    size_t nattrs, size_t *budget);

/* The bytes a call's name takes out of its TS_TESTING_CALL_MAX. */
size_t ts_rec_name_cost(const char *name);

#endif
