/* Span batches (see batch.h). Strings go into 64 KiB chunks, so a batch of
 * hundreds of spans costs a few allocations. Attribute keys and values
 * marked stable are string constants of the shim and are not copied. */
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
	for (unsigned i = 0; i < d->nattrs; i++)
		if (d->attrs[i].type == TS_VAL_STR && !d->attrs[i].stable)
			d->attrs[i].v.s = keep(b, s->attrs[i].v.s, &ok);
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
