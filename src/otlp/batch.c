/* Span batches (see batch.h). Strings go into 64 KiB chunks, so a batch of
 * hundreds of spans costs a few allocations. Attribute keys (but the
 * program's own) and values marked stable are string constants of the shim
 * and are not copied. */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES (64u << 10)

struct ts_text_chunk {
	struct ts_text_chunk *next;
	size_t used, cap;
	char data[];
};

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

/* A copy of s in the batch's text, or NULL when memory ran out. */
static const char *keep(struct ts_batch *b, const char *s, bool *ok)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	struct ts_text_chunk *c = b->text;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK_BYTES ? n : CHUNK_BYTES;
		if (!(c = malloc(sizeof *c + cap))) {
			*ok = false;
			return NULL;
		}
		*c = (struct ts_text_chunk){.next = b->text, .cap = cap};
		b->text = c;
	}
	char *dst = c->data + c->used;
	memcpy(dst, s, n);
	c->used += n;
	return dst;
}

/* A copy of n bytes, 8-byte aligned, in the batch's text. */
static void *keep_bytes(struct ts_batch *b, const void *p, size_t n, bool *ok)
{
	struct ts_text_chunk *c = b->text;
	size_t at = c ? (c->used + 7) & ~(size_t)7 : 0;
	if (!c || at + n > c->cap) {
		size_t cap = n > CHUNK_BYTES ? n : CHUNK_BYTES;
		if (!(c = malloc(sizeof *c + cap))) {
			*ok = false;
			return NULL;
		}
		*c = (struct ts_text_chunk){.next = b->text, .cap = cap};
		b->text = c;
		at = 0;
	}
	void *dst = c->data + at;
	memcpy(dst, p, n);
	c->used = at + n;
	return dst;
}

/* Copies what an attribute points to that may not outlive the call. */
static void keep_attr(struct ts_batch *b, struct ts_attr *a, bool *ok)
{
	if (a->type == TS_VAL_STR && !a->stable)
		a->v.s = keep(b, a->v.s, ok);
	if (a->dynkey)
		a->key = keep(b, a->key, ok);
}

static const struct ts_event *keep_events(struct ts_batch *b, const struct ts_event *ev,
					  unsigned n, int64_t unix_offset_ns, bool *ok)
{
	struct ts_event *d = keep_bytes(b, ev, n * sizeof *ev, ok);
	for (unsigned i = 0; d && i < n; i++) {
		d[i].time_ns = (uint64_t)((int64_t)ev[i].time_ns + unix_offset_ns);
		d[i].name = keep(b, ev[i].name, ok);
		for (unsigned j = 0; j < d[i].nattrs; j++)
			keep_attr(b, &d[i].attrs[j], ok);
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
		keep_attr(b, &d->attrs[i], &ok);
	if (ok)
		b->n++;
	return ok;
}

void ts_batch_free(struct ts_batch *b)
{
	if (!b)
		return;
	while (b->text) {
		struct ts_text_chunk *c = b->text;
		b->text = c->next;
		free(c);
	}
	free(b->spans);
	free(b);
}
