/* libtraceshim-testing: the struct ts_api that ts_api_get() hands to
 * traceshim.h, recording every call into memory with the semantics of the
 * real tracer (see traceshim-testing.h). One lock guards everything: this
 * is a test double, not a fast path. */
#include "recorder.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static ts_span_t current(const struct tstate *t)
{
	return t->depth ? t->stack[t->depth - 1].span : 0;
}

static void end_span(struct rec_span *s, int status, unsigned thread)
{
	if (status == TS_STATUS_OK || status == TS_STATUS_ERROR)
		s->pub.status = (ts_status_code_t)status;
	/* UNSET keeps what it was: ERROR after ts_span_error(), else UNSET. */
	s->pub.ended = true;
	s->pub.end_thread = thread;
	s->pub.end_seq = ++ts_rec.seq;
	ts_rec.open--;
}

/* Pops t's stack down to and including entry i: the spans begun above it
 * end UNSET, entry i, when a span, with `status`. */
static void pop_to(struct tstate *t, size_t i, int status)
{
	for (size_t j = t->depth; j-- > i;) {
		struct rec_span *s = t->stack[j].rec;
		if (s && !s->pub.ended)
			end_span(s, j == i ? status : TS_STATUS_UNSET, t->ordinal);
	}
	t->depth = i;
}

/* The span, when it is recorded and open. */
static struct rec_span *open_span(ts_span_t handle)
{
	struct rec_span *s = ts_rec_find(handle);
	return s && !s->pub.ended ? s : NULL;
}

static struct rec_span *begin(struct tstate *t, ts_span_t parent, ts_testing_kind_t kind,
			      const char *name, const ts_attribute_t *attrs, size_t nattrs)
{
	struct rec_span *s = ts_rec_add_span(name, parent, kind, t->ordinal);
	size_t budget = TS_TESTING_CALL_MAX - ts_rec_name_cost(name);
	s->pub.dropped_attrs += ts_rec_merge(s->pub.attrs, &s->pub.nattrs, TS_TESTING_SPAN_ATTRS,
					     attrs, nattrs, &budget);
	return s;
}

static bool api_enabled(void)
{
	return true;
}

static ts_span_t api_span_begin(const char *name, const ts_attribute_t *attrs, size_t nattrs)
{
	pthread_mutex_lock(&ts_rec_lock);
	struct tstate *t = ts_rec_self();
	struct rec_span *s = begin(t, current(t), TS_TESTING_SCOPED, name, attrs, nattrs);
	ts_rec_push(t, s->pub.handle, s, 0);
	pthread_mutex_unlock(&ts_rec_lock);
	return s->pub.handle;
}

static ts_span_t api_span_start(const char *name, const ts_attribute_t *attrs, size_t nattrs)
{
	pthread_mutex_lock(&ts_rec_lock);
	struct tstate *t = ts_rec_self();
	ts_span_t h = begin(t, current(t), TS_TESTING_ASYNC, name, attrs, nattrs)->pub.handle;
	pthread_mutex_unlock(&ts_rec_lock);
	return h;
}

static void api_span_set(ts_span_t span, const ts_attribute_t *attrs, size_t nattrs)
{
	pthread_mutex_lock(&ts_rec_lock);
	ts_rec_self();
	struct rec_span *s = open_span(span);
	if (s) {
		size_t budget = TS_TESTING_CALL_MAX - ts_rec_name_cost("");
		s->pub.dropped_attrs += ts_rec_merge(s->pub.attrs, &s->pub.nattrs,
						     TS_TESTING_SPAN_ATTRS, attrs, nattrs, &budget);
	}
	pthread_mutex_unlock(&ts_rec_lock);
}

/* Appends an event to s; the caller holds the lock. */
static void add_event(struct rec_span *s, unsigned thread, const char *name,
		      const ts_attribute_t *attrs, size_t nattrs)
{
	ts_testing_event_t *e = ts_rec_alloc(sizeof *e);
	ts_rec_copy(e->name, name, TS_TESTING_NAME_MAX);
	e->thread = thread;
	e->seq = ++ts_rec.seq;
	size_t budget = TS_TESTING_CALL_MAX - ts_rec_name_cost(name);
	e->dropped_attrs = ts_rec_merge(e->attrs, &e->nattrs, TS_TESTING_EVENT_ATTRS, attrs, nattrs,
					&budget);
	s->events = ts_rec_grow(s->events, &s->cap_events, s->pub.nevents + 1, sizeof *s->events);
	s->events[s->pub.nevents++] = e;
}

static void api_span_event(ts_span_t span, const char *name, const ts_attribute_t *attrs,
			   size_t nattrs)
{
	pthread_mutex_lock(&ts_rec_lock);
	struct tstate *t = ts_rec_self();
	struct rec_span *s = open_span(span);
	if (s)
		add_event(s, t->ordinal, name, attrs, nattrs);
	pthread_mutex_unlock(&ts_rec_lock);
}

static void api_span_error(ts_span_t span, const char *type, const char *message)
{
	char cut[TS_TESTING_NAME_MAX + 1];
	ts_rec_copy(cut, type && type[0] ? type : "error", TS_TESTING_NAME_MAX);
	if (!message)
		message = "";

	pthread_mutex_lock(&ts_rec_lock);
	struct tstate *t = ts_rec_self();
	struct rec_span *s = open_span(span);
	if (s) {
		const ts_attribute_t ev[] = {ts_str("exception.type", cut),
					     ts_str("exception.message", message)};
		add_event(s, t->ordinal, "exception", ev, 2);
		s->pub.error = true;
		s->pub.status = TS_STATUS_ERROR;
		ts_rec_copy(s->pub.error_type, cut, TS_TESTING_NAME_MAX);
		ts_rec_copy(s->pub.error_message, message, TS_TESTING_VALUE_MAX);
		const ts_attribute_t attr = ts_str("error.type", cut);
		size_t budget = TS_TESTING_CALL_MAX;
		s->pub.dropped_attrs += ts_rec_merge(s->pub.attrs, &s->pub.nattrs,
						     TS_TESTING_SPAN_ATTRS, &attr, 1, &budget);
	}
	pthread_mutex_unlock(&ts_rec_lock);
}

static void api_span_end(ts_span_t span, int status)
{
	if (status != TS_STATUS_OK && status != TS_STATUS_ERROR)
		status = TS_STATUS_UNSET;
	pthread_mutex_lock(&ts_rec_lock);
	struct tstate *t = ts_rec_self();
	struct rec_span *s = open_span(span);
	if (s && s->pub.kind == TS_TESTING_SCOPED) {
		/* Only on the thread that began it, where it is on the stack. */
		for (size_t i = t->depth; i-- > 0;) {
			if (t->stack[i].rec == s) {
				pop_to(t, i, status);
				break;
			}
		}
	} else if (s) {
		end_span(s, status, t->ordinal);
	}
	pthread_mutex_unlock(&ts_rec_lock);
}

static ts_span_t api_span_current(void)
{
	pthread_mutex_lock(&ts_rec_lock);
	ts_span_t h = current(ts_rec_self());
	pthread_mutex_unlock(&ts_rec_lock);
	return h;
}

static ts_scope_t api_context_attach(ts_context_t ctx)
{
	if (!ctx.span)
		return 0;
	pthread_mutex_lock(&ts_rec_lock);
	struct tstate *t = ts_rec_self();
	ts_scope_t token = ts_rec_next_id();
	ts_rec_push(t, ctx.span, NULL, token);
	pthread_mutex_unlock(&ts_rec_lock);
	return token;
}

static void api_context_detach(ts_scope_t scope)
{
	if (!scope)
		return;
	pthread_mutex_lock(&ts_rec_lock);
	struct tstate *t = ts_rec_self();
	for (size_t i = t->depth; i-- > 0;) {
		if (t->stack[i].token == scope) {
			pop_to(t, i, TS_STATUS_UNSET);
			break;
		}
	}
	pthread_mutex_unlock(&ts_rec_lock);
}

static ts_context_t api_handoff(ts_context_t ctx, const char *name)
{
	ts_testing_handoff_t *h = ts_rec_alloc(sizeof *h);
	ts_rec_copy(h->name, name && name[0] ? name : "queued", TS_TESTING_NAME_MAX);
	h->span = ctx.span;

	pthread_mutex_lock(&ts_rec_lock);
	h->thread = ts_rec_self()->ordinal;
	h->id = ts_rec_next_id();
	h->seq = ++ts_rec.seq;
	ts_rec.handoffs = ts_rec_grow(ts_rec.handoffs, &ts_rec.cap_handoffs, ts_rec.nhandoffs + 1,
				      sizeof *ts_rec.handoffs);
	ts_rec.handoffs[ts_rec.nhandoffs++] = h;
	/* And, as traceshim.h says, an event on ctx's span. */
	struct rec_span *s = open_span(ctx.span);
	if (s)
		add_event(s, h->thread, h->name, NULL, 0);
	pthread_mutex_unlock(&ts_rec_lock);

	ctx.handoff = h->id;
	return ctx;
}

static ts_span_t api_handoff_run(ts_context_t ctx, const char *name, const ts_attribute_t *attrs,
				 size_t nattrs)
{
	pthread_mutex_lock(&ts_rec_lock);
	struct tstate *t = ts_rec_self();
	ts_span_t parent = ctx.span ? ctx.span : current(t);
	struct rec_span *s = begin(t, parent, TS_TESTING_SCOPED, name, attrs, nattrs);
	s->pub.handoff = ctx.handoff;
	ts_rec_push(t, s->pub.handle, s, 0);
	pthread_mutex_unlock(&ts_rec_lock);
	return s->pub.handle;
}

static size_t api_traceparent(ts_span_t span, char *buf, size_t size)
{
	if (!span || size < 56) {
		if (size)
			buf[0] = 0;
		return 0;
	}
	snprintf(buf, size, "00-%s-%016" PRIx64 "-01", TS_TESTING_TRACE_ID, span);
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

TS_EXPORT const struct ts_api *ts_api_get(unsigned version);

TS_EXPORT const struct ts_api *ts_api_get(unsigned version)
{
	return version >= 1 ? &api : NULL;
}

TS_EXPORT void ts_testing_reset(void)
{
	pthread_mutex_lock(&ts_rec_lock);
	ts_rec_forget();
	pthread_mutex_unlock(&ts_rec_lock);
}

TS_EXPORT unsigned ts_testing_thread(void)
{
	pthread_mutex_lock(&ts_rec_lock);
	unsigned ordinal = ts_rec_self()->ordinal;
	pthread_mutex_unlock(&ts_rec_lock);
	return ordinal;
}

TS_EXPORT size_t ts_testing_depth(void)
{
	pthread_mutex_lock(&ts_rec_lock);
	size_t depth = ts_rec_self()->depth;
	pthread_mutex_unlock(&ts_rec_lock);
	return depth;
}
