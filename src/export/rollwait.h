/* The counts of rolled-up calls waiting for their parent span to go out
 * (rollup.c): one entry per parent span id, the begun spans of each track,
 * and the ids of the spans gone out lately. Drainer thread only. */
#ifndef TS_ROLLWAIT_H
#define TS_ROLLWAIT_H

#include "rolltally.h"

#include <stdbool.h>
#include <stdint.h>

#define TS_WAIT_BUCKETS 4096
#define TS_WAIT_RECENT 4096    /* ids of spans gone out lately */
#define TS_WAIT_MAX 65536      /* entries; beyond, nothing folds any more */

struct ts_wait {
	uint64_t id;
	struct ts_wait *next;                   /* in its bucket */
	/* NULL: the span is begun on a track, and its end will come. Else the
	 * begun span that takes these counts at its end if this span has not
	 * come by then; this entry is in its list of orphans. */
	struct ts_wait *owner;
	struct ts_wait *orphans;
	struct ts_wait *prev_orphan, *next_orphan;
	bool kept_child;                        /* a child went out: it must not fold */
	struct ts_tally tally;
};

struct ts_waits {
	struct ts_wait *buckets[TS_WAIT_BUCKETS];
	uint64_t recent[TS_WAIT_RECENT];
	unsigned n;
	bool full;   /* entries ran out once: nothing may fold any more */
};

/* The entry of span id (the latest made), or NULL. */
struct ts_wait *ts_wait_find(struct ts_waits *w, uint64_t id);
/* A new entry for span id, owned by owner (NULL: begun); NULL (and w full)
 * when memory or room ran out. */
struct ts_wait *ts_wait_make(struct ts_waits *w, uint64_t id, struct ts_wait *owner);
/* e stops waiting for its span as its owner's orphan (it is begun now). */
void ts_wait_disown(struct ts_wait *e);
/* Unlinks and frees e; its orphans must have been taken. */
void ts_wait_drop(struct ts_waits *w, struct ts_wait *e);
/* e's counts and its orphans' (whose spans never came) into t; e and its
 * orphans are let go. */
void ts_wait_take(struct ts_waits *w, struct ts_wait *e, struct ts_tally *t);
/* Span id has gone out / has it, lately. */
void ts_wait_gone(struct ts_waits *w, uint64_t id);
bool ts_wait_gone_out(const struct ts_waits *w, uint64_t id);
/* Frees every entry; w is as new. */
void ts_wait_free_all(struct ts_waits *w);

/* A track's begun spans, innermost last; e is NULL when memory ran out. */
struct ts_stack {
	struct ts_frame {
		uint64_t id;
		struct ts_wait *e;
	} *at;
	unsigned depth, cap;
};

/* The track's stack, made at first use; NULL when memory ran out. */
struct ts_stack *ts_stack_of(void **state);
bool ts_stack_push(struct ts_stack *st, uint64_t id, struct ts_wait *e);
void ts_stack_free(void **state);

#endif
