/* Attributes, events and errors of open spans (see notes.h). */
#include "notes.h"

#include "exception.h"
#include "large.h"
#include "textpool.h"

#include <stdlib.h>
#include <string.h>

void ts_notes_init(struct ts_notes *n)
{
	memset(n, 0, sizeof *n);
}

void ts_notes_free(struct ts_notes *n)
{
	ts_text_free(&n->text);
	free(n->events);
	ts_notes_init(n);
}

void ts_notes_clear(struct ts_notes *n)
{
	ts_text_clear(&n->text);
	free(n->events);   /* rare, and up to TS_NOTES_EVENTS of them */
	n->events = NULL;
	n->nattrs = n->nevents = n->cap_events = n->dropped_events = 0;
	n->failed = false;
	n->error_type = n->error_message = NULL;
}

void ts_notes_attrs(struct ts_notes *n, const struct ts_attr *attrs, unsigned nattrs)
{
	for (unsigned i = 0; i < nattrs; i++) {
		struct ts_attr a = attrs[i];
		if (ts_text_keep_attr(&n->text, &a))
			ts_attr_set(n->attrs, &n->nattrs, &a);
	}
}

void ts_notes_event(struct ts_notes *n, const char *name, uint64_t time_ns,
		    const struct ts_attr *attrs, unsigned nattrs)
{
	if (n->nevents == n->cap_events) {
		unsigned cap = n->cap_events ? n->cap_events * 2 : 4;
		struct ts_event *grown = cap <= TS_NOTES_EVENTS ?
			realloc(n->events, cap * sizeof *grown) : NULL;
		if (!grown) {
			n->dropped_events++;
			return;
		}
		n->events = grown;
		n->cap_events = cap;
	}
	struct ts_event *e = &n->events[n->nevents];
	*e = (struct ts_event){.name = ts_text_keep(&n->text, name), .time_ns = time_ns};
	for (unsigned i = 0; i < nattrs && e->nattrs < TS_EVENT_ATTRS; i++) {
		e->attrs[e->nattrs] = attrs[i];
		if (ts_text_keep_attr(&n->text, &e->attrs[e->nattrs]))
			e->nattrs++;
	}
	if (!e->name) {
		n->dropped_events++;
		return;
	}
	n->nevents++;
}

void ts_notes_error(struct ts_notes *n, const char *type, const char *message, uint64_t time_ns)
{
	struct ts_attr ev[2] = {
		{.key = "exception.type", .type = TS_VAL_STR, .v.s = type},
		{.key = "exception.message", .type = TS_VAL_STR, .v.s = message},
	};
	ts_notes_event(n, "exception", time_ns, ev, message[0] ? 2 : 1);
	const char *t = ts_text_keep(&n->text, type), *m = ts_text_keep(&n->text, message);
	if (!t || !m)
		return;
	n->failed = true;
	n->error_type = t;
	n->error_message = m;
	struct ts_attr a = {.key = "error.type", .type = TS_VAL_STR, .v.s = t};
	ts_notes_attrs(n, &a, 1);
}

void ts_notes_apply(const struct ts_notes *n, struct ts_span *s, int status)
{
	for (unsigned i = 0; i < n->nattrs; i++)
		ts_attr_set(s->attrs, &s->nattrs, &n->attrs[i]);
	if (n->nevents) {
		/* After the exception events of crashes and throws, if any. */
		static TS_LARGE struct ts_event merged[TS_EXC_PENDING_MAX + TS_NOTES_EVENTS];
		unsigned k = 0;
		for (unsigned i = 0; i < s->nevents && k < TS_EXC_PENDING_MAX; i++)
			merged[k++] = s->events[i];
		memcpy(merged + k, n->events, n->nevents * sizeof *n->events);
		s->events = merged;
		s->nevents = k + n->nevents;
	}
	s->dropped_events += n->dropped_events;
	/* OK set by the program wins over a recorded error, as in OpenTelemetry. */
	if (status == TS_STATUS_OK) {
		s->status = TS_STATUS_OK;
	} else if (n->failed || status == TS_STATUS_ERROR) {
		s->status = TS_STATUS_ERROR;
		if (n->failed) {
			s->error_type = n->error_type;
			s->status_message = n->error_message;
		}
	}
}
