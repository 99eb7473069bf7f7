/* Attributes, events and errors of open spans (see notes.h). */
#include "notes.h"

#include "exception.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK 2048

struct ts_notes_text {
	struct ts_notes_text *next;
	size_t used, cap;
	char data[];
};

void ts_notes_init(struct ts_notes *n)
{
	memset(n, 0, sizeof *n);
}

void ts_notes_free(struct ts_notes *n)
{
	while (n->text) {
		struct ts_notes_text *c = n->text;
		n->text = c->next;
		free(c);
	}
	free(n->events);
	ts_notes_init(n);
}

static const char *keep(struct ts_notes *n, const char *s)
{
	size_t len = strlen(s) + 1;
	struct ts_notes_text *c = n->text;
	if (!c || c->cap - c->used < len) {
		size_t cap = len > CHUNK ? len : CHUNK;
		if (!(c = malloc(sizeof *c + cap)))
			return NULL;
		*c = (struct ts_notes_text){.next = n->text, .cap = cap};
		n->text = c;
	}
	char *dst = c->data + c->used;
	memcpy(dst, s, len);
	c->used += len;
	return dst;
}

/* A copy of a whose text lives in n; false when n is out of room. */
static bool keep_attr(struct ts_notes *n, const struct ts_attr *a, struct ts_attr *out)
{
	*out = *a;
	if (a->dynkey && !(out->key = keep(n, a->key)))
		return false;
	if (a->type == TS_VAL_STR && !a->stable && !(out->v.s = keep(n, a->v.s)))
		return false;
	return true;
}

/* Sets a in list (n of TS_MAX_ATTRS used): replaces the same key, else appends. */
static void set_attr(struct ts_attr *list, unsigned *n, const struct ts_attr *a)
{
	unsigned j = 0;
	while (j < *n && strcmp(list[j].key, a->key) != 0)
		j++;
	if (j < *n)
		list[j] = *a;
	else if (*n < TS_MAX_ATTRS)
		list[(*n)++] = *a;
}

void ts_attrs_merge(struct ts_span *s, const struct ts_attr *attrs, unsigned nattrs)
{
	for (unsigned i = 0; i < nattrs; i++)
		set_attr(s->attrs, &s->nattrs, &attrs[i]);
}

void ts_notes_attrs(struct ts_notes *n, const struct ts_attr *attrs, unsigned nattrs)
{
	for (unsigned i = 0; i < nattrs; i++) {
		struct ts_attr a;
		if (keep_attr(n, &attrs[i], &a))
			set_attr(n->attrs, &n->nattrs, &a);
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
	*e = (struct ts_event){.name = keep(n, name), .time_ns = time_ns};
	for (unsigned i = 0; i < nattrs && e->nattrs < TS_EVENT_ATTRS; i++)
		if (keep_attr(n, &attrs[i], &e->attrs[e->nattrs]))
			e->nattrs++;
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
	const char *t = keep(n, type), *m = keep(n, message);
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
	ts_attrs_merge(s, n->attrs, n->nattrs);
	if (n->nevents) {
		/* After the exception events of crashes and throws, if any. */
		static struct ts_event merged[TS_EXC_PENDING_MAX + TS_NOTES_EVENTS];
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
