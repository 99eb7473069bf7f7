/* traceshim.h: manual spans and context hand-off for programs traced with
 * traceshim.
 *
 * Header only: nothing to link (but -ldl on C libraries older than glibc
 * 2.34). The first call in each source file looks up the tracer loaded in
 * the process: libtraceshim.so through LD_PRELOAD, or the recording test
 * double, libtraceshim-testing. With neither, every call returns at once:
 * 0 handles, nothing recorded, about a nanosecond. A tracer loaded with
 * dlopen() after that first call is not seen.
 *
 * Two kinds of span:
 * - ts_span_begin() starts a span on the calling thread and makes it current
 *   there: the thread's traced calls (read, write, connect, sqlite3_step...)
 *   and the spans begun after it are its children until it ends. It ends on
 *   the same thread; ending it also ends the spans begun inside it that are
 *   still open. In Perfetto it is a slice on the thread's lane.
 * - ts_span_start() starts a span without making it current: it may end on
 *   any thread (an operation driven by callbacks, a coroutine). Work is put
 *   under it with ts_context_attach(ts_span_context(span)), ts_with_span() or
 *   ts_handoff_run(). In Perfetto it is a slice on one of the process's
 *   "async" lanes.
 *
 * Hand-off: ts_handoff() marks where work is queued (an instant on the
 * submitting thread's lane) and returns a context; ts_handoff_run() on the
 * thread that runs the work begins a span there, child of the context's span,
 * and Perfetto draws an arrow from the queueing point to it.
 *
 * Names, keys and string values are copied when the call is made. Up to 16
 * attributes per span and 8 per event are kept; text longer than the limits
 * (name 127 bytes, key 63, string value 255, 1 KiB per call in all) is cut.
 * The calls are thread-safe; they are not async-signal-safe. */
#ifndef TRACESHIM_H
#define TRACESHIM_H

#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TRACESHIM_API_VERSION 1

/* A span. 0 is "no span": every call accepts it and does nothing. */
typedef uint64_t ts_span_t;

/* What work is part of: a span, and the hand-off it came through, if any.
 * A plain value: copy it into a task, a callback's closure, a coroutine. */
typedef struct ts_context {
	ts_span_t span;
	uint64_t handoff;
} ts_context_t;

/* Returned by ts_context_attach(), for ts_context_detach(). */
typedef uint64_t ts_scope_t;

/* Span status, numbered as in OpenTelemetry. */
typedef enum ts_status_code {
	TS_STATUS_UNSET = 0,
	TS_STATUS_OK = 1,
	TS_STATUS_ERROR = 2,
} ts_status_code_t;

typedef enum ts_attribute_type {
	TS_ATTRIBUTE_STRING = 1,
	TS_ATTRIBUTE_INT = 2,
	TS_ATTRIBUTE_DOUBLE = 3,
	TS_ATTRIBUTE_BOOL = 4,
} ts_attribute_type_t;

typedef struct ts_attribute {
	const char *key;
	int type;                /* ts_attribute_type_t */
	union {
		const char *s;
		int64_t i;
		double d;
		bool b;
	} value;
} ts_attribute_t;

static inline ts_attribute_t ts_str(const char *key, const char *v)
{
	ts_attribute_t a;
	a.key = key;
	a.type = TS_ATTRIBUTE_STRING;
	a.value.s = v;
	return a;
}

static inline ts_attribute_t ts_int(const char *key, int64_t v)
{
	ts_attribute_t a;
	a.key = key;
	a.type = TS_ATTRIBUTE_INT;
	a.value.i = v;
	return a;
}

static inline ts_attribute_t ts_double(const char *key, double v)
{
	ts_attribute_t a;
	a.key = key;
	a.type = TS_ATTRIBUTE_DOUBLE;
	a.value.d = v;
	return a;
}

static inline ts_attribute_t ts_bool(const char *key, bool v)
{
	ts_attribute_t a;
	a.key = key;
	a.type = TS_ATTRIBUTE_BOOL;
	a.value.b = v;
	return a;
}

#ifndef __cplusplus
/* An attribute list and its length, for the calls that take both:
 *   ts_span_begin("resize", TS_ATTRS(ts_int("width", w), ts_str("file", path))); */
#define TS_ATTRS(...) \
	((const ts_attribute_t[]){__VA_ARGS__}), \
	(sizeof((const ts_attribute_t[]){__VA_ARGS__}) / sizeof(ts_attribute_t))
#endif
/* No attributes. */
#define TS_NO_ATTRS NULL, 0

/* The tracer's entry points. A tracer exports ts_api_get(); this header calls
 * it once per translation unit. Later versions only append members. */
struct ts_api {
	uint32_t version;        /* TRACESHIM_API_VERSION of the tracer */
	uint32_t size;           /* sizeof(struct ts_api) of the tracer */
	bool (*enabled)(void);
	ts_span_t (*span_begin)(const char *name, const ts_attribute_t *attrs, size_t nattrs);
	ts_span_t (*span_start)(const char *name, const ts_attribute_t *attrs, size_t nattrs);
	void (*span_set)(ts_span_t span, const ts_attribute_t *attrs, size_t nattrs);
	void (*span_event)(ts_span_t span, const char *name, const ts_attribute_t *attrs,
			   size_t nattrs);
	void (*span_error)(ts_span_t span, const char *type, const char *message);
	void (*span_end)(ts_span_t span, int status);
	ts_span_t (*span_current)(void);
	ts_scope_t (*context_attach)(ts_context_t ctx);
	void (*context_detach)(ts_scope_t scope);
	ts_context_t (*handoff)(ts_context_t ctx, const char *name);
	ts_span_t (*handoff_run)(ts_context_t ctx, const char *name, const ts_attribute_t *attrs,
				 size_t nattrs);
	size_t (*traceparent)(ts_span_t span, char *buf, size_t size);
};

typedef const struct ts_api *(*ts_api_get_fn)(unsigned version);

/* Per translation unit: the tracer, NULL for none, or the address of
 * ts__unresolved_ before the first call. */
static char ts__unresolved_ __attribute__((unused));
static const struct ts_api *ts__api_ __attribute__((unused)) =
	(const struct ts_api *)(void *)&ts__unresolved_;

static inline const struct ts_api *ts__resolve_(void)
{
	/* RTLD_DEFAULT without needing _GNU_SOURCE: it is the null handle. */
	union {
		void *p;
		ts_api_get_fn f;
	} get;
	get.p = dlsym((void *)0, "ts_api_get");
	const struct ts_api *api = get.p ? get.f(TRACESHIM_API_VERSION) : NULL;
	if (api && (api->version < 1 || api->size < sizeof(struct ts_api)))
		api = NULL;
	__atomic_store_n(&ts__api_, api, __ATOMIC_RELEASE);
	return api;
}

static inline const struct ts_api *ts__api(void)
{
	const struct ts_api *api = __atomic_load_n(&ts__api_, __ATOMIC_ACQUIRE);
	if (__builtin_expect(api == (const struct ts_api *)(void *)&ts__unresolved_, 0))
		api = ts__resolve_();
	return api;
}

/* True when a tracer is loaded and recording: skip costly attribute work
 * when it is not. */
static inline bool ts_enabled(void)
{
	const struct ts_api *a = ts__api();
	return a && a->enabled();
}

/* Begins a span on this thread, child of the current span, and makes it
 * current. name: e.g. "resize image"; attrs may be NULL. */
static inline ts_span_t ts_span_begin(const char *name, const ts_attribute_t *attrs,
				      size_t nattrs)
{
	const struct ts_api *a = ts__api();
	return a ? a->span_begin(name, attrs, nattrs) : 0;
}

/* Starts a span, child of the current span, without making it current; it
 * may end on any thread. */
static inline ts_span_t ts_span_start(const char *name, const ts_attribute_t *attrs,
				      size_t nattrs)
{
	const struct ts_api *a = ts__api();
	return a ? a->span_start(name, attrs, nattrs) : 0;
}

/* Adds (or replaces) attributes of an open span. */
static inline void ts_span_set(ts_span_t span, const ts_attribute_t *attrs, size_t nattrs)
{
	const struct ts_api *a = ts__api();
	if (a && span)
		a->span_set(span, attrs, nattrs);
}

/* Something that happened during the span, now. */
static inline void ts_span_event(ts_span_t span, const char *name, const ts_attribute_t *attrs,
				 size_t nattrs)
{
	const struct ts_api *a = ts__api();
	if (a && span)
		a->span_event(span, name, attrs, nattrs);
}

/* Records an error: an "exception" event (exception.type, exception.message),
 * and the span's status becomes ERROR with this message and error.type. */
static inline void ts_span_error(ts_span_t span, const char *type, const char *message)
{
	const struct ts_api *a = ts__api();
	if (a && span)
		a->span_error(span, type, message);
}

/* Ends the span now with a status: TS_STATUS_OK (wins over an error
 * recorded before, as in OpenTelemetry), TS_STATUS_ERROR, or
 * TS_STATUS_UNSET (ERROR when ts_span_error() was called). A span ended
 * twice, or 0, is ignored. A span may end while spans it is the parent of
 * are still open elsewhere: they keep running and keep their parent. */
static inline void ts_span_end(ts_span_t span, ts_status_code_t status)
{
	const struct ts_api *a = ts__api();
	if (a && span)
		a->span_end(span, (int)status);
}

/* The span this thread's work is part of now: the innermost span begun or
 * attached here, else the thread's own span. 0 when not traced. */
static inline ts_span_t ts_span_current(void)
{
	const struct ts_api *a = ts__api();
	return a ? a->span_current() : 0;
}

/* The context of this thread's current span, to carry to other threads. */
static inline ts_context_t ts_context_capture(void)
{
	ts_context_t c;
	c.span = ts_span_current();
	c.handoff = 0;
	return c;
}

/* The context of a given span. */
static inline ts_context_t ts_span_context(ts_span_t span)
{
	ts_context_t c;
	c.span = span;
	c.handoff = 0;
	return c;
}

/* Makes ctx's span current on this thread until ts_context_detach(): the
 * calls and spans made here are its children. Attach and detach nest. */
static inline ts_scope_t ts_context_attach(ts_context_t ctx)
{
	const struct ts_api *a = ts__api();
	return a && ctx.span ? a->context_attach(ctx) : 0;
}

/* Restores what was current before the matching attach (spans begun since
 * and still open end now). */
static inline void ts_context_detach(ts_scope_t scope)
{
	const struct ts_api *a = ts__api();
	if (a && scope)
		a->context_detach(scope);
}

/* Runs fn(arg) with span current on this thread. */
static inline void ts_with_span(ts_span_t span, void (*fn)(void *), void *arg)
{
	ts_scope_t scope = ts_context_attach(ts_span_context(span));
	fn(arg);
	ts_context_detach(scope);
}

/* Marks the point where work is queued for another thread (or for later):
 * an instant named `name` on this thread's lane, and an event on ctx's span.
 * Returns the context to hand to the work, for ts_handoff_run(). */
static inline ts_context_t ts_handoff(ts_context_t ctx, const char *name)
{
	const struct ts_api *a = ts__api();
	return a && ctx.span ? a->handoff(ctx, name) : ctx;
}

/* Where the work runs: begins span `name` on this thread, child of ctx's
 * span, with an arrow from the ts_handoff() that made ctx. Like a span of
 * ts_span_begin(), it is current until ts_span_end() on this thread. With
 * a context from ts_context_capture() or ts_span_context() it is simply a
 * child of that span; with a zero context, of the current span. */
static inline ts_span_t ts_handoff_run(ts_context_t ctx, const char *name,
				       const ts_attribute_t *attrs, size_t nattrs)
{
	const struct ts_api *a = ts__api();
	return a ? a->handoff_run(ctx, name, attrs, nattrs) : 0;
}

/* The W3C traceparent of a span ("00-<trace id>-<span id>-01"), to carry the
 * trace over a protocol of the program's own. buf needs TS_TRACEPARENT_SIZE
 * bytes. Returns the length written (55), or 0 with buf set to "" when
 * there is none. */
#define TS_TRACEPARENT_SIZE 56
static inline size_t ts_traceparent(ts_span_t span, char *buf, size_t size)
{
	const struct ts_api *a = ts__api();
	size_t n = a && span && size >= TS_TRACEPARENT_SIZE ? a->traceparent(span, buf, size) : 0;
	if (!n && size)
		buf[0] = 0;
	return n;
}

#ifdef __cplusplus
}
#endif

#endif
