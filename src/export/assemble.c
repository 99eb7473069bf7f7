/* Begin/end pairs into complete spans (see assemble.h). Strings of a begun
 * span are copied into its own buffer, since the drainer reuses its scratch
 * memory for every record. Attribute keys are string constants by the span
 * model's rule and are not copied, except the program's own (dynkey). */
#include "assemble.h"

#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 2048

struct ts_open_span {
	struct ts_span span;
	char text[TEXT_MAX];
	size_t used;
};

/* Copies s into o's buffer; strings that do not fit are cut short. */
static const char *keep(struct ts_open_span *o, const char *s)
{
	if (!s)
		return NULL;
	size_t room = TEXT_MAX - o->used;
	if (room == 0)
		return "";
	size_t n = strnlen(s, room - 1);
	char *dst = o->text + o->used;
	memcpy(dst, s, n);
	dst[n] = 0;
	o->used += n + 1;
	return dst;
}

/* Adds from's attributes; one whose key is already there replaces it (the
 * end may update what the begin said). */
static void keep_attrs(struct ts_open_span *o, const struct ts_span *from)
{
	for (unsigned i = 0; i < from->nattrs; i++) {
		struct ts_attr a = from->attrs[i];
		if (a.type == TS_VAL_STR && !a.stable)
			a.v.s = keep(o, a.v.s);
		if (a.dynkey)
			a.key = keep(o, a.key);
		ts_attr_set(o->span.attrs, &o->span.nattrs, &a);
	}
}

bool ts_assemble_begin(struct ts_assembler *a, const struct ts_span *s)
{
	if (a->depth == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		struct ts_open_span **grown = realloc(a->stack, cap * sizeof *grown);
		if (!grown)
			return false;
		memset(grown + a->cap, 0, (cap - a->cap) * sizeof *grown);
		a->stack = grown;
		a->cap = cap;
	}
	/* Open spans hold pointers into themselves: they are allocated one by
	 * one, so growing the stack never moves them. */
	if (!a->stack[a->depth] && !(a->stack[a->depth] = malloc(sizeof **a->stack)))
		return false;
	struct ts_open_span *o = a->stack[a->depth++];
	o->used = 0;
	o->span = *s;
	o->span.nattrs = 0;
	o->span.events = NULL;
	o->span.nevents = 0;
	o->span.rolled = NULL;
	o->span.nrolled = 0;
	o->span.name = keep(o, s->name);
	o->span.status_message = keep(o, s->status_message);
	keep_attrs(o, s);
	return true;
}

bool ts_assemble_end(struct ts_assembler *a, const struct ts_span *end, struct ts_span *out)
{
	if (!a->depth)
		return false;
	struct ts_open_span *o = a->stack[--a->depth];
	o->span.end_ns = end->end_ns > o->span.start_ns ? end->end_ns : o->span.start_ns;
	keep_attrs(o, end);
	/* Events come with the end only (they belong to spans still open). */
	o->span.events = end->events;
	o->span.nevents = end->nevents;
	/* So do the calls rolled up into it (they are known at its end). */
	o->span.rolled = end->rolled;
	o->span.nrolled = end->nrolled;
	o->span.dropped_events = end->dropped_events;
	if (end->status) {
		o->span.status = end->status;
		o->span.error_type = end->error_type;
		o->span.status_message = keep(o, end->status_message);
	}
	*out = o->span;   /* its strings live in o->text until o is reused */
	return true;
}

size_t ts_assemble_open(const struct ts_assembler *a)
{
	return a->depth;
}

void ts_assemble_free(struct ts_assembler *a)
{
	for (size_t i = 0; i < a->cap; i++)
		free(a->stack[i]);
	free(a->stack);
	*a = (struct ts_assembler){0};
}
