/* Kept strings (see textpool.h). */
#include "textpool.h"

#include <stdlib.h>
#include <string.h>

#define FIRST_CHUNK 1024
#define MAX_CHUNK (64u << 10)
#define KEEP_CHUNK (4u << 10)

struct ts_text_chunk {
	struct ts_text_chunk *next;
	size_t used, cap;
	char data[];
};

static void *place(struct ts_text_chunk **pool, const void *p, size_t n, size_t align)
{
	struct ts_text_chunk *c = *pool;
	size_t at = c ? (c->used + align - 1) & ~(align - 1) : 0;
	if (!c || at + n > c->cap) {
		size_t cap = c ? (c->cap * 2 < MAX_CHUNK ? c->cap * 2 : MAX_CHUNK) : FIRST_CHUNK;
		if (cap < n)
			cap = n;
		if (!(c = malloc(sizeof *c + cap)))
			return NULL;
		*c = (struct ts_text_chunk){.next = *pool, .cap = cap};
		*pool = c;
		at = 0;
	}
	void *dst = c->data + at;
	memcpy(dst, p, n);
	c->used = at + n;
	return dst;
}

const char *ts_text_keep(struct ts_text_chunk **pool, const char *s)
{
	return s ? place(pool, s, strlen(s) + 1, 1) : NULL;
}

void *ts_text_keep_bytes(struct ts_text_chunk **pool, const void *p, size_t n)
{
	return place(pool, p, n, 8);
}

bool ts_text_keep_attr(struct ts_text_chunk **pool, struct ts_attr *a)
{
	if (a->dynkey && !(a->key = ts_text_keep(pool, a->key)))
		return false;
	if (a->type == TS_VAL_STR && !a->stable && !(a->v.s = ts_text_keep(pool, a->v.s)))
		return false;
	return true;
}

void ts_text_clear(struct ts_text_chunk **pool)
{
	/* A chunk grown big for a span with much text is not kept. */
	if (!*pool || (*pool)->cap > KEEP_CHUNK) {
		ts_text_free(pool);
		return;
	}
	ts_text_free(&(*pool)->next);
	(*pool)->used = 0;
}

void ts_text_free(struct ts_text_chunk **pool)
{
	while (*pool) {
		struct ts_text_chunk *c = *pool;
		*pool = c->next;
		free(c);
	}
}
