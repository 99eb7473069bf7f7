/* The program's side of traceshim.h: the table ts_api_get() hands to the
 * header. Each call appends a record to the calling thread's ring, like a
 * wrapper: no lock, no allocation, no system call. What is current on a
 * thread is its scope stack (thread.h); the drainer turns the records into
 * spans (userspan.c, asyncspan.c).
 *
 * A handle is (thread index << 32 | span number): span numbers come from
 * the thread's own counter, so handles are unique in the process and map to
 * span ids like every other span. A context of another thread is attached
 * through a local number that stands for it (a TS_REC_USER_LINK record):
 * records keep 32-bit parents and the drainer maps the number back. */
#include "attrpack.h"
#include "clock.h"
#include "ids.h"
#include "init.h"
#include "record.h"
#include "thread.h"
#include "traceshim.h"

#include <string.h>

#define TS_API_EXPORT __attribute__((visibility("default")))

static inline ts_span_t handle_of(uint32_t index, uint32_t span)
{
	return (uint64_t)index << 32 | span;
}

static inline uint32_t index_of(ts_span_t h)
{
	return (uint32_t)(h >> 32);
}

static inline uint32_t number_of(ts_span_t h)
{
	return (uint32_t)h;
}

static bool api_enabled(void)
{
	return atomic_load_explicit(&ts_active, memory_order_relaxed) && ts_caller();
}

/* Appends a record with name and attributes as payload; false when dropped. */
static bool put_named(struct ts_thread *t, struct ts_rec *rec, const char *name,
		      const ts_attribute_t *attrs, size_t nattrs)
{
	char buf[TS_PACK_MAX];
	unsigned len = ts_attrs_pack(buf, sizeof buf, name, attrs, nattrs);
	rec->fd = -1;
	return ts_record_put(t, rec, buf, len, 0);
}

/* Makes `span` current; the caller checked there is room. */
static void push(struct ts_thread *t, uint32_t span, ts_span_t handle, uint8_t kind)
{
	t->scopes[t->nscopes++] = (struct ts_scope){
		.span = span, .restore = t->cur_span, .handle = handle, .kind = kind,
	};
	t->cur_span = span;
}

static bool full(struct ts_thread *t)
{
	if (t->nscopes < TS_SCOPES)
		return false;
	atomic_fetch_add_explicit(&t->ring.dropped, 1, memory_order_relaxed);
	return true;
}

/* Pops scopes down to and including scopes[i]; the spans among them end
 * now, scopes[i] with `status`, the ones begun inside it UNSET. */
static void pop_to(struct ts_thread *t, uint32_t i, int status)
{
	uint64_t now = ts_ticks();
	for (uint32_t j = t->nscopes; j-- > i;) {
		const struct ts_scope *s = &t->scopes[j];
		/* Structural: its begin is in the ring, so its end must be too. */
		struct ts_rec *r;
		if (s->kind == TS_SCOPE_SPAN && (r = ts_ring_reserve(&t->ring, 0, 1))) {
			*r = (struct ts_rec){.t0 = now, .type = TS_REC_USER_END, .span = s->span,
					     .op = (uint16_t)(j == i ? status : TS_STATUS_UNSET), .fd = -1};
			ts_ring_commit(&t->ring, 1);
		}
		t->cur_span = s->restore;
	}
	t->nscopes = i;
}

/* The local number for ctx's span as a parent: its own number when it is
 * this thread's, else a new number standing for it. */
static uint32_t local_parent(struct ts_thread *t, ts_span_t span)
{
	if (!span)
		return t->cur_span;
	if (index_of(span) == t->index)
		return number_of(span);
	uint32_t local = t->next_span++;
	struct ts_rec rec = {.t0 = ts_ticks(), .type = TS_REC_USER_LINK, .span = local, .arg = span,
			     .fd = -1};
	ts_record_put(t, &rec, NULL, 0, 1);
	return local;
}

/* The common begin, a short name and no attributes, is one record: the
 * name goes in the record (TS_USER_NAME_INLINE) instead of a payload. */
static bool put_inline_begin(struct ts_thread *t, const struct ts_rec *proto, const char *name)
{
	size_t len = strnlen(name, TS_INLINE_NAME);
	if (len == TS_INLINE_NAME)
		return false;
	struct ts_rec *r = ts_ring_reserve(&t->ring, 0, 0);
	if (r) {
		*r = *proto;
		r->kind |= TS_USER_NAME_INLINE;
		memcpy(ts_rec_inline_name(r), name, len + 1);
		ts_ring_commit(&t->ring, 1);
	}
	return true;
}

static ts_span_t begin(struct ts_thread *t, uint32_t parent, uint64_t handoff, uint8_t flags,
		       const char *name, const ts_attribute_t *attrs, size_t nattrs)
{
	uint32_t n = t->next_span++;
	struct ts_rec rec = {.t0 = ts_ticks(), .type = TS_REC_USER_BEGIN, .span = n, .parent = parent,
			     .arg = handoff, .aux_kind = flags, .fd = -1};
	if (!nattrs && name) {
		if (put_inline_begin(t, &rec, name))
			return handle_of(t->index, n);   /* dropped or not, as put_named */
	}
	if (!put_named(t, &rec, name, attrs, nattrs))
		return 0;
	return handle_of(t->index, n);
}

static ts_span_t api_span_begin(const char *name, const ts_attribute_t *attrs, size_t nattrs)
{
	struct ts_thread *t = ts_caller();
	if (!t || full(t))
		return 0;
	ts_span_t h = begin(t, t->cur_span, 0, 0, name, attrs, nattrs);
	if (h)
		push(t, number_of(h), h, TS_SCOPE_SPAN);
	return h;
}

static ts_span_t api_span_start(const char *name, const ts_attribute_t *attrs, size_t nattrs)
{
	struct ts_thread *t = ts_caller();
	return t ? begin(t, t->cur_span, 0, TS_USER_ASYNC, name, attrs, nattrs) : 0;
}

static void note(ts_span_t span, enum ts_note kind, const char *name, const ts_attribute_t *attrs,
		 size_t nattrs)
{
	struct ts_thread *t = ts_caller();
	if (!t)
		return;
	struct ts_rec rec = {.type = TS_REC_USER_NOTE, .arg = span, .op = (uint16_t)kind};
	rec.t0 = rec.t1 = ts_ticks();
	put_named(t, &rec, name, attrs, nattrs);
}

static void api_span_set(ts_span_t span, const ts_attribute_t *attrs, size_t nattrs)
{
	note(span, TS_NOTE_ATTRS, "", attrs, nattrs);
}

static void api_span_event(ts_span_t span, const char *name, const ts_attribute_t *attrs,
			   size_t nattrs)
{
	note(span, TS_NOTE_EVENT, name, attrs, nattrs);
}

static void api_span_error(ts_span_t span, const char *type, const char *message)
{
	const ts_attribute_t msg = ts_str("exception.message", message ? message : "");
	note(span, TS_NOTE_ERROR, type && type[0] ? type : "error", &msg, 1);
}

static void api_span_end(ts_span_t span, int status)
{
	struct ts_thread *t = ts_caller();
	if (!t)
		return;
	if (status < TS_STATUS_UNSET || status > TS_STATUS_ERROR)
		status = TS_STATUS_UNSET;
	if (index_of(span) == t->index) {
		for (uint32_t i = t->nscopes; i-- > 0;) {
			if (t->scopes[i].kind == TS_SCOPE_SPAN && t->scopes[i].span == number_of(span)) {
				pop_to(t, i, status);
				return;
			}
		}
	}
	/* Not begun here and open: a span from ts_span_start(), which may end
	 * anywhere. The drainer ignores ends of spans it does not know. */
	struct ts_rec rec = {.type = TS_REC_USER_END, .arg = span, .op = (uint16_t)status,
			     .aux_kind = TS_USER_ASYNC, .fd = -1};
	rec.t0 = rec.t1 = ts_ticks();
	ts_record_put(t, &rec, NULL, 0, 1);
}

static ts_span_t api_span_current(void)
{
	struct ts_thread *t = ts_caller();
	if (!t)
		return 0;
	if (t->nscopes && t->scopes[t->nscopes - 1].span == t->cur_span)
		return t->scopes[t->nscopes - 1].handle;
	return handle_of(t->index, t->cur_span);
}

static ts_scope_t api_context_attach(ts_context_t ctx)
{
	struct ts_thread *t = ts_caller();
	if (!t || !ctx.span || full(t))
		return 0;
	push(t, local_parent(t, ctx.span), ctx.span, TS_SCOPE_ATTACH);
	/* The token: position in the stack (from 1) and the number made current. */
	return (uint64_t)t->nscopes << 32 | t->cur_span;
}

static void api_context_detach(ts_scope_t scope)
{
	struct ts_thread *t = ts_caller();
	uint32_t pos = (uint32_t)(scope >> 32);
	if (!t || pos == 0 || pos > t->nscopes)
		return;
	const struct ts_scope *s = &t->scopes[pos - 1];
	if (s->kind == TS_SCOPE_ATTACH && s->span == (uint32_t)scope)
		pop_to(t, pos - 1, TS_STATUS_UNSET);
}

static ts_context_t api_handoff(ts_context_t ctx, const char *name)
{
	struct ts_thread *t = ts_caller();
	if (!t)
		return ctx;
	uint32_t n = t->next_span++;
	struct ts_rec rec = {.type = TS_REC_HANDOFF, .span = n, .parent = t->cur_span, .arg = ctx.span};
	rec.t0 = rec.t1 = ts_ticks();
	if (put_named(t, &rec, name && name[0] ? name : "queued", NULL, 0))
		ctx.handoff = handle_of(t->index, n);
	return ctx;
}

static ts_span_t api_handoff_run(ts_context_t ctx, const char *name, const ts_attribute_t *attrs,
				 size_t nattrs)
{
	struct ts_thread *t = ts_caller();
	if (!t || full(t))
		return 0;
	ts_span_t h = begin(t, local_parent(t, ctx.span), ctx.handoff, 0, name, attrs, nattrs);
	if (h)
		push(t, number_of(h), h, TS_SCOPE_SPAN);
	return h;
}

static size_t api_traceparent(ts_span_t span, char *buf, size_t size)
{
	if (!span || size < 56)
		return 0;
	ts_traceparent_format(ts_ids.trace_id, ts_span_id(index_of(span), number_of(span)), 0x01, buf);
	return 55;
}

static const struct ts_api api = {
	.version = TRACESHIM_API_VERSION,
	.size = sizeof(struct ts_api),
	.enabled = api_enabled,
	.span_begin = api_span_begin,
	.span_start = api_span_start,
	.span_set = api_span_set,
	.span_event = api_span_event,
	.span_error = api_span_error,
	.span_end = api_span_end,
	.span_current = api_span_current,
	.context_attach = api_context_attach,
	.context_detach = api_context_detach,
	.handoff = api_handoff,
	.handoff_run = api_handoff_run,
	.traceparent = api_traceparent,
};

TS_API_EXPORT const struct ts_api *ts_api_get(unsigned version)
{
	return version >= 1 ? &api : NULL;
}
