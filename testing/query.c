/* The test side of libtraceshim-testing: reading the record back, and
 * printing it for a failing test. */
#include "recorder.h"

#include <inttypes.h>
#include <string.h>

#define LOCKED(type, expr)                              \
	do {                                            \
		pthread_mutex_lock(&ts_rec_lock);       \
		type r_ = (expr);                       \
		pthread_mutex_unlock(&ts_rec_lock);     \
		return r_;                              \
	} while (0)

static const ts_testing_span_t *nth_named(const char *name, size_t n)
{
	for (size_t i = 0; name && i < ts_rec.nspans; i++) {
		if (strcmp(ts_rec.spans[i]->pub.name, name) == 0 && n-- == 0)
			return &ts_rec.spans[i]->pub;
	}
	return NULL;
}

static size_t count_named(const char *name)
{
	size_t n = 0;
	for (size_t i = 0; name && i < ts_rec.nspans; i++)
		n += strcmp(ts_rec.spans[i]->pub.name, name) == 0;
	return n;
}

static const ts_testing_span_t *by_handle(ts_span_t handle)
{
	const struct rec_span *s = ts_rec_find(handle);
	return s ? &s->pub : NULL;
}

static const ts_testing_span_t *child_of(const ts_testing_span_t *span, size_t i)
{
	for (size_t j = 0; span && j < ts_rec.nspans; j++) {
		if (ts_rec.spans[j]->pub.parent == span->handle && i-- == 0)
			return &ts_rec.spans[j]->pub;
	}
	return NULL;
}

static size_t children(const ts_testing_span_t *span)
{
	size_t n = 0;
	for (size_t j = 0; span && j < ts_rec.nspans; j++)
		n += ts_rec.spans[j]->pub.parent == span->handle;
	return n;
}

static const ts_testing_attr_t *attr_in(const ts_testing_attr_t *list, size_t n, const char *key)
{
	for (size_t i = 0; key && i < n; i++) {
		if (strcmp(list[i].key, key) == 0)
			return &list[i];
	}
	return NULL;
}

static const ts_testing_event_t *event_of(const ts_testing_span_t *span, size_t i)
{
	const struct rec_span *s = (const struct rec_span *)span;
	return span && i < span->nevents ? s->events[i] : NULL;
}

static const ts_testing_event_t *event_named(const ts_testing_span_t *span, const char *name)
{
	for (size_t i = 0; span && name && i < span->nevents; i++) {
		const ts_testing_event_t *e = event_of(span, i);
		if (strcmp(e->name, name) == 0)
			return e;
	}
	return NULL;
}

static const ts_testing_handoff_t *handoff_by_id(uint64_t id)
{
	for (size_t i = 0; id && i < ts_rec.nhandoffs; i++) {
		if (ts_rec.handoffs[i]->id == id)
			return ts_rec.handoffs[i];
	}
	return NULL;
}

TS_EXPORT size_t ts_testing_span_count(void)
{
	LOCKED(size_t, ts_rec.nspans);
}

TS_EXPORT const ts_testing_span_t *ts_testing_span(size_t i)
{
	LOCKED(const ts_testing_span_t *, i < ts_rec.nspans ? &ts_rec.spans[i]->pub : NULL);
}

TS_EXPORT size_t ts_testing_open_count(void)
{
	LOCKED(size_t, ts_rec.open);
}

TS_EXPORT const ts_testing_span_t *ts_testing_find(const char *name)
{
	LOCKED(const ts_testing_span_t *, nth_named(name, 0));
}

TS_EXPORT const ts_testing_span_t *ts_testing_find_nth(const char *name, size_t n)
{
	LOCKED(const ts_testing_span_t *, nth_named(name, n));
}

TS_EXPORT size_t ts_testing_count_named(const char *name)
{
	LOCKED(size_t, count_named(name));
}

TS_EXPORT const ts_testing_span_t *ts_testing_lookup(ts_span_t handle)
{
	LOCKED(const ts_testing_span_t *, by_handle(handle));
}

TS_EXPORT const ts_testing_span_t *ts_testing_parent(const ts_testing_span_t *span)
{
	LOCKED(const ts_testing_span_t *, span ? by_handle(span->parent) : NULL);
}

TS_EXPORT size_t ts_testing_child_count(const ts_testing_span_t *span)
{
	LOCKED(size_t, children(span));
}

TS_EXPORT const ts_testing_span_t *ts_testing_child(const ts_testing_span_t *span, size_t i)
{
	LOCKED(const ts_testing_span_t *, child_of(span, i));
}

TS_EXPORT const ts_testing_attr_t *ts_testing_attr(const ts_testing_span_t *span, const char *key)
{
	LOCKED(const ts_testing_attr_t *, span ? attr_in(span->attrs, span->nattrs, key) : NULL);
}

TS_EXPORT const char *ts_testing_attr_str(const ts_testing_span_t *span, const char *key)
{
	const ts_testing_attr_t *a = ts_testing_attr(span, key);
	return a && a->type == TS_ATTRIBUTE_STRING ? a->value.s : NULL;
}

TS_EXPORT const ts_testing_event_t *ts_testing_event(const ts_testing_span_t *span, size_t i)
{
	LOCKED(const ts_testing_event_t *, event_of(span, i));
}

TS_EXPORT const ts_testing_event_t *ts_testing_event_find(const ts_testing_span_t *span,
							   const char *name)
{
	LOCKED(const ts_testing_event_t *, event_named(span, name));
}

TS_EXPORT const ts_testing_attr_t *ts_testing_event_attr(const ts_testing_event_t *event,
							  const char *key)
{
	LOCKED(const ts_testing_attr_t *, event ? attr_in(event->attrs, event->nattrs, key) : NULL);
}

TS_EXPORT size_t ts_testing_handoff_count(void)
{
	LOCKED(size_t, ts_rec.nhandoffs);
}

TS_EXPORT const ts_testing_handoff_t *ts_testing_handoff(size_t i)
{
	LOCKED(const ts_testing_handoff_t *, i < ts_rec.nhandoffs ? ts_rec.handoffs[i] : NULL);
}

TS_EXPORT const ts_testing_handoff_t *ts_testing_handoff_lookup(uint64_t id)
{
	LOCKED(const ts_testing_handoff_t *, handoff_by_id(id));
}

/* Printing. */

static const char *status_name(int status)
{
	return status == TS_STATUS_OK ? "OK" : status == TS_STATUS_ERROR ? "ERROR" : "UNSET";
}

static void print_attrs(FILE *out, const ts_testing_attr_t *a, size_t n, size_t dropped)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(out, " %s=", a[i].key);
		switch (a[i].type) {
		case TS_ATTRIBUTE_STRING:
			fprintf(out, "\"%s\"", a[i].value.s);
			break;
		case TS_ATTRIBUTE_INT:
			fprintf(out, "%" PRId64, a[i].value.i);
			break;
		case TS_ATTRIBUTE_DOUBLE:
			fprintf(out, "%g", a[i].value.d);
			break;
		default:
			fputs(a[i].value.b ? "true" : "false", out);
			break;
		}
	}
	if (dropped)
		fprintf(out, " (%zu dropped)", dropped);
}

static void print_span(FILE *out, const ts_testing_span_t *s, unsigned depth)
{
	fprintf(out, "%*s#%" PRIu64 " \"%s\" %s thread %u", (int)depth * 2, "", s->handle, s->name,
		s->kind == TS_TESTING_ASYNC ? "async" : "scoped", s->begin_thread);
	if (s->ended)
		fprintf(out, "->%u %s seq %" PRIu64 "..%" PRIu64, s->end_thread,
			status_name(s->status), s->begin_seq, s->end_seq);
	else
		fprintf(out, " OPEN (%s) seq %" PRIu64 "..", status_name(s->status), s->begin_seq);
	if (s->handoff)
		fprintf(out, " handoff %" PRIu64, s->handoff);
	if (s->error)
		fprintf(out, " error %s: %s", s->error_type, s->error_message);
	print_attrs(out, s->attrs, s->nattrs, s->dropped_attrs);
	fputc('\n', out);
	for (size_t i = 0; i < s->nevents; i++) {
		const ts_testing_event_t *e = event_of(s, i);
		fprintf(out, "%*s  event \"%s\" thread %u seq %" PRIu64, (int)depth * 2, "", e->name,
			e->thread, e->seq);
		print_attrs(out, e->attrs, e->nattrs, e->dropped_attrs);
		fputc('\n', out);
	}
	/* Parents began first, so depth cannot pass the number of spans
	 * unless contexts of made-up handles made a cycle. */
	for (size_t i = 0; depth < ts_rec.nspans && i < ts_rec.nspans; i++) {
		if (ts_rec.spans[i]->pub.parent == s->handle)
			print_span(out, &ts_rec.spans[i]->pub, depth + 1);
	}
}

TS_EXPORT void ts_testing_dump(FILE *out)
{
	pthread_mutex_lock(&ts_rec_lock);
	fprintf(out, "traceshim-testing: %zu spans (%zu open), %zu hand-offs\n", ts_rec.nspans,
		ts_rec.open, ts_rec.nhandoffs);
	for (size_t i = 0; i < ts_rec.nspans; i++) {
		const ts_testing_span_t *s = &ts_rec.spans[i]->pub;
		if (!ts_rec_find(s->parent)) {
			if (s->parent)
				fprintf(out, "(under %" PRIu64 ", not recorded)\n", s->parent);
			print_span(out, s, 0);
		}
	}
	for (size_t i = 0; i < ts_rec.nhandoffs; i++) {
		const ts_testing_handoff_t *h = ts_rec.handoffs[i];
		fprintf(out, "hand-off %" PRIu64 " \"%s\" of #%" PRIu64 " thread %u seq %" PRIu64 "\n",
			h->id, h->name, h->span, h->thread, h->seq);
	}
	fflush(out);
}
