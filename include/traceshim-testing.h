/* traceshim-testing.h: the recording test double for traceshim.h.
 *
 * Link a test program with libtraceshim-testing (pkg-config
 * traceshim-testing) and run it without LD_PRELOAD=libtraceshim.so: the
 * calls of traceshim.h then record into memory, and the functions below read
 * the record back, to check which spans a program made, their parents,
 * attributes, events, status and hand-offs. Including this header keeps the
 * library linked even with --as-needed.
 *
 * What the double does, as the real tracer does:
 * - Handles, scope tokens and hand-off ids are non-zero and unique in the
 *   process (never reused, not even after ts_testing_reset()).
 * - Each thread has a stack of current spans. ts_span_begin() and
 *   ts_handoff_run() push their span, ts_context_attach() pushes the
 *   attached span; ts_span_current() is the top, or 0 (the double has no
 *   per-thread span).
 * - ts_span_end() of a span begun on this thread ends the spans begun above
 *   it that are still open (status UNSET), pops the attached contexts above
 *   it, then ends it. A span from ts_span_start() ends from any thread.
 *   Anything else is ignored: 0, unknown handles, spans already ended, spans
 *   begun on another thread.
 * - ts_context_detach() pops its entry and everything above it (open spans
 *   there end, UNSET); a token not on this thread's stack is ignored.
 * - Status: ended OK is OK, ended ERROR is ERROR, ended UNSET is ERROR after
 *   ts_span_error(), else UNSET. Any other status value counts as UNSET.
 * - ts_span_error() adds an "exception" event (exception.type,
 *   exception.message), sets the attribute error.type and makes the status
 *   ERROR. An empty type is "error"; the type is cut like a name.
 * - Text is copied and cut: names (spans, events, hand-offs) at 127 bytes,
 *   keys at 63, string values at 255. Attributes with no key, an unknown
 *   type or a NULL string are skipped. A call carries at most 1 KiB (name,
 *   then per attribute 1 byte + key + NUL + value: string + NUL, 8 for int
 *   and double, 1 for bool); the attributes past it are dropped. A span keeps
 *   16 attributes, an event 8; a key already there is replaced, the others
 *   are dropped and counted (dropped_attrs).
 * - ts_handoff() records a hand-off (ts_testing_handoff()) and adds an event
 *   of the same name, without attributes, to ctx's span when it is open. A
 *   null or empty name is "queued".
 * - A thread that exits leaves the spans it began and did not end open.
 * - ts_traceparent() gives TS_TESTING_TRACE_ID and the handle as span id.
 *
 * The query functions take the recorder's lock; the records they return stay
 * valid until ts_testing_reset(), and change while threads still record into
 * them: read them once the threads are joined. They accept NULL for a span
 * or event and then return NULL or 0, so a chain such as
 * ts_testing_attr(ts_testing_find("x"), "k") is safe when "x" is missing. */
#ifndef TRACESHIM_TESTING_H
#define TRACESHIM_TESTING_H

#include "traceshim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TS_TESTING_API __attribute__((visibility("default")))

#define TS_TESTING_NAME_MAX 127
#define TS_TESTING_KEY_MAX 63
#define TS_TESTING_VALUE_MAX 255
#define TS_TESTING_CALL_MAX 1024       /* bytes of text per call */
#define TS_TESTING_SPAN_ATTRS 16
#define TS_TESTING_EVENT_ATTRS 8
/* The trace id of every traceparent the double writes. */
#define TS_TESTING_TRACE_ID "74726163657368696d2d74657374696e"

typedef enum ts_testing_kind {
	TS_TESTING_SCOPED = 1,   /* ts_span_begin(), ts_handoff_run(): current on its thread */
	TS_TESTING_ASYNC = 2,    /* ts_span_start(): may end on any thread */
} ts_testing_kind_t;

/* A copied attribute: value.s for TS_ATTRIBUTE_STRING, i, d or b for the
 * others. */
typedef struct ts_testing_attr {
	char key[TS_TESTING_KEY_MAX + 1];
	int type;                                  /* ts_attribute_type_t */
	union {
		char s[TS_TESTING_VALUE_MAX + 1];
		int64_t i;
		double d;
		bool b;
	} value;
} ts_testing_attr_t;

typedef struct ts_testing_event {
	char name[TS_TESTING_NAME_MAX + 1];
	unsigned thread;                           /* ordinal of the recording thread */
	uint64_t seq;                              /* position in the record's sequence */
	size_t nattrs;
	size_t dropped_attrs;
	ts_testing_attr_t attrs[TS_TESTING_EVENT_ATTRS];
} ts_testing_event_t;

typedef struct ts_testing_span {
	ts_span_t handle;
	ts_span_t parent;                          /* current span when it began, or 0 */
	char name[TS_TESTING_NAME_MAX + 1];
	ts_testing_kind_t kind;
	uint64_t handoff;                          /* ctx.handoff of ts_handoff_run(), else 0 */
	unsigned begin_thread;                     /* thread ordinals, see ts_testing_thread() */
	unsigned end_thread;                       /* when ended */
	bool ended;
	ts_status_code_t status;                   /* so far while open */
	bool error;                                /* ts_span_error() was called */
	char error_type[TS_TESTING_NAME_MAX + 1];  /* of the last ts_span_error() */
	char error_message[TS_TESTING_VALUE_MAX + 1];
	uint64_t begin_seq;                        /* sequence numbers: begins, ends, */
	uint64_t end_seq;                          /* events and hand-offs, from 1 */
	size_t nattrs;
	size_t dropped_attrs;
	ts_testing_attr_t attrs[TS_TESTING_SPAN_ATTRS];
	size_t nevents;                            /* see ts_testing_event() */
} ts_testing_span_t;

typedef struct ts_testing_handoff {
	uint64_t id;                               /* the returned ctx.handoff */
	char name[TS_TESTING_NAME_MAX + 1];
	ts_span_t span;                            /* ctx.span */
	unsigned thread;                           /* where ts_handoff() was called */
	uint64_t seq;
} ts_testing_handoff_t;

/* Forgets everything recorded and the threads' stacks; the sequence and the
 * thread ordinals start again (the next thread to call in is 0). */
TS_TESTING_API void ts_testing_reset(void);

/* Spans in the order they began; i from 0. NULL past the end. */
TS_TESTING_API size_t ts_testing_span_count(void);
TS_TESTING_API const ts_testing_span_t *ts_testing_span(size_t i);
/* How many spans are not ended. */
TS_TESTING_API size_t ts_testing_open_count(void);

/* The first span named `name`, the n-th (from 0), how many have the name. */
TS_TESTING_API const ts_testing_span_t *ts_testing_find(const char *name);
TS_TESTING_API const ts_testing_span_t *ts_testing_find_nth(const char *name, size_t n);
TS_TESTING_API size_t ts_testing_count_named(const char *name);
/* The span with this handle, NULL when unknown. */
TS_TESTING_API const ts_testing_span_t *ts_testing_lookup(ts_span_t handle);

/* The span's parent, NULL when it has none or the parent is not recorded. */
TS_TESTING_API const ts_testing_span_t *ts_testing_parent(const ts_testing_span_t *span);
/* The span's children, in the order they began. */
TS_TESTING_API size_t ts_testing_child_count(const ts_testing_span_t *span);
TS_TESTING_API const ts_testing_span_t *ts_testing_child(const ts_testing_span_t *span, size_t i);

/* The span's attribute with this key, NULL when absent. _str: the value of
 * a string attribute, NULL when absent or not a string. */
TS_TESTING_API const ts_testing_attr_t *ts_testing_attr(const ts_testing_span_t *span,
							 const char *key);
TS_TESTING_API const char *ts_testing_attr_str(const ts_testing_span_t *span, const char *key);

/* The span's events in order (span->nevents of them), the first named
 * `name`, and an event's attribute by key. */
TS_TESTING_API const ts_testing_event_t *ts_testing_event(const ts_testing_span_t *span, size_t i);
TS_TESTING_API const ts_testing_event_t *ts_testing_event_find(const ts_testing_span_t *span,
								const char *name);
TS_TESTING_API const ts_testing_attr_t *ts_testing_event_attr(const ts_testing_event_t *event,
							       const char *key);

/* Hand-offs in the order they were made, and by id. */
TS_TESTING_API size_t ts_testing_handoff_count(void);
TS_TESTING_API const ts_testing_handoff_t *ts_testing_handoff(size_t i);
TS_TESTING_API const ts_testing_handoff_t *ts_testing_handoff_lookup(uint64_t id);

/* The calling thread's ordinal: 0 for the first thread that called in since
 * the last reset, then 1, 2... (calling this counts as calling in). */
TS_TESTING_API unsigned ts_testing_thread(void);
/* How many entries (spans begun, contexts attached) the calling thread's
 * stack holds. */
TS_TESTING_API size_t ts_testing_depth(void);

/* Prints the record as a tree of spans, then the hand-offs: for a failing
 * test's log. */
TS_TESTING_API void ts_testing_dump(FILE *out);

/* Keeps the library linked (--as-needed) in a program that includes this
 * header: the calls of traceshim.h find it by name only. */
static void (*const ts_testing__link_)(void) __attribute__((used)) = ts_testing_reset;

#ifdef __cplusplus
}
#endif

#endif
