/* Span batches (see batch.h). Strings go into the batch's text pool, so a
 * batch of hundreds of spans costs a few allocations. Attribute keys (but the
 * program's own) and values marked stable are string constants of the shim
 * and are not copied. */
#include "batch.h"

#include "textpool.h"

#include <stdlib.h>
#include <string.h>

struct ts_batch *ts_batch_new(size_t cap)
{
	struct ts_batch *b = calloc(1, sizeof *b);
	if (b && !(b->spans = malloc(cap * sizeof *b->spans))) {
		free(b);
		return NULL;
	}
	if (b)
		b->cap = cap;
	return b;
}

/* The batch's copy of s; *ok becomes false when memory ran out. */
static const char *keep(struct ts_batch *b, const char *s, bool *ok)
{
	const char *d = ts_text_keep(&b->text, s);
	if (s && !d)
		*ok = false;
	return d;
}

static const struct ts_event *keep_events(struct ts_batch *b, const struct ts_event *ev,
					  unsigned n, int64_t unix_offset_ns, bool *ok)
{
	struct ts_event *d = ts_text_keep_bytes(&b->text, ev, n * sizeof *ev);
	if (!d)
		*ok = false;
	for (unsigned i = 0; d && i < n; i++) {
		d[i].time_ns = (uint64_t)((int64_t)ev[i].time_ns + unix_offset_ns);
		d[i].name = keep(b, ev[i].name, ok);
		for (unsigned j = 0; j < d[i].nattrs; j++)
			*ok = ts_text_keep_attr(&b->text, &d[i].attrs[j]) && *ok;
	}
	return d;
}

bool ts_batch_add(struct ts_batch *b, const struct ts_span *s, int64_t unix_offset_ns)
{
	if (b->n == b->cap)
		return false;
	struct ts_span *d = &b->spans[b->n];
	bool ok = true;
	*d = *s;
	d->start_ns = (uint64_t)((int64_t)s->start_ns + unix_offset_ns);
	d->end_ns = (uint64_t)((int64_t)s->end_ns + unix_offset_ns);
	d->name = keep(b, s->name, &ok);
	d->status_message = keep(b, s->status_message, &ok);
	d->error_type = keep(b, s->error_type, &ok);
	d->more_flows_out = NULL;   /* links within one process: parent ids say it all */
	d->nmore_flows_out = 0;
	if (s->nevents)
		d->events = keep_events(b, s->events, s->nevents, unix_offset_ns, &ok);
	for (unsigned i = 0; i < d->nattrs; i++)
		ok = ts_text_keep_attr(&b->text, &d->attrs[i]) && ok;
	if (s->nrolled) {
		struct ts_attr *r = ts_text_keep_bytes(&b->text, s->rolled, s->nrolled * sizeof *r);
		if (!r)
			ok = false;
		for (unsigned i = 0; r && i < s->nrolled; i++)
			ok = ts_text_keep_attr(&b->text, &r[i]) && ok;
		d->rolled = r;
	}
	if (ok)
		b->n++;
	return ok;
}

void ts_batch_free(struct ts_batch *b)
{
	if (!b)
		return;
	ts_text_free(&b->text);
	free(b->spans);
	free(b);
}
