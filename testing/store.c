/* The recorder's memory: spans and their handle index, the threads' stacks
 * and ordinals, and attributes copied within the limits of traceshim.h. */
#include "recorder.h"

#include <stdlib.h>
#include <string.h>

pthread_mutex_t ts_rec_lock = PTHREAD_MUTEX_INITIALIZER;
struct record ts_rec = {.generation = 1};

static uint64_t next_id = 1;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static _Thread_local struct tstate *self;

void *ts_rec_alloc(size_t size)
{
	void *p = calloc(1, size);
	if (!p) {
		fputs("traceshim-testing: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *ts_rec_grow(void *array, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return array;
	size_t cap2 = *cap ? *cap * 2 : 16;
	while (cap2 < need)
		cap2 *= 2;
	void *p = realloc(array, cap2 * elem);
	if (!p) {
		fputs("traceshim-testing: out of memory\n", stderr);
		abort();
	}
	*cap = cap2;
	return p;
}

uint64_t ts_rec_next_id(void)
{
	return __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
}

static void thread_gone(void *p)
{
	struct tstate *t = p;
	free(t->stack);
	free(t);
	self = NULL;
}

static void make_key(void)
{
	if (pthread_key_create(&key, thread_gone) != 0)
		abort();
}

struct tstate *ts_rec_self(void)
{
	if (!self) {
		pthread_once(&key_once, make_key);
		self = ts_rec_alloc(sizeof *self);
		pthread_setspecific(key, self);
	}
	if (self->generation != ts_rec.generation) {
		/* First call since the thread started or the record was reset. */
		self->generation = ts_rec.generation;
		self->ordinal = ts_rec.next_ordinal++;
		self->depth = 0;
	}
	return self;
}

void ts_rec_push(struct tstate *t, ts_span_t span, struct rec_span *rec, uint64_t token)
{
	t->stack = ts_rec_grow(t->stack, &t->cap, t->depth + 1, sizeof *t->stack);
	t->stack[t->depth++] = (struct entry){.span = span, .rec = rec, .token = token};
}

static size_t slot_of(uint64_t handle, size_t cap)
{
	handle *= 0x9e3779b97f4a7c15ull;
	return (size_t)(handle >> 32) & (cap - 1);
}

static void index_put(struct rec_span *s)
{
	size_t i = slot_of(s->pub.handle, ts_rec.index_cap);
	while (ts_rec.index[i])
		i = (i + 1) & (ts_rec.index_cap - 1);
	ts_rec.index[i] = s;
}

struct rec_span *ts_rec_add_span(const char *name, ts_span_t parent, ts_testing_kind_t kind,
				 unsigned thread)
{
	struct rec_span *s = ts_rec_alloc(sizeof *s);
	s->pub.handle = ts_rec_next_id();
	s->pub.parent = parent;
	ts_rec_copy(s->pub.name, name, TS_TESTING_NAME_MAX);
	s->pub.kind = kind;
	s->pub.begin_thread = thread;
	s->pub.status = TS_STATUS_UNSET;
	s->pub.begin_seq = ++ts_rec.seq;

	ts_rec.spans = ts_rec_grow(ts_rec.spans, &ts_rec.cap_spans, ts_rec.nspans + 1,
				   sizeof *ts_rec.spans);
	ts_rec.spans[ts_rec.nspans++] = s;
	ts_rec.open++;
	if (2 * ts_rec.nspans > ts_rec.index_cap) {
		/* At most half full: rebuild twice as large. */
		free(ts_rec.index);
		ts_rec.index_cap = ts_rec.index_cap ? ts_rec.index_cap * 2 : 64;
		ts_rec.index = ts_rec_alloc(ts_rec.index_cap * sizeof *ts_rec.index);
		for (size_t i = 0; i < ts_rec.nspans; i++)
			index_put(ts_rec.spans[i]);
	} else {
		index_put(s);
	}
	return s;
}

struct rec_span *ts_rec_find(ts_span_t handle)
{
	if (!handle || !ts_rec.index_cap)
		return NULL;
	for (size_t i = slot_of(handle, ts_rec.index_cap); ts_rec.index[i];
	     i = (i + 1) & (ts_rec.index_cap - 1)) {
		if (ts_rec.index[i]->pub.handle == handle)
			return ts_rec.index[i];
	}
	return NULL;
}

void ts_rec_forget(void)
{
	for (size_t i = 0; i < ts_rec.nspans; i++) {
		struct rec_span *s = ts_rec.spans[i];
		for (size_t j = 0; j < s->pub.nevents; j++)
			free(s->events[j]);
		free(s->events);
		free(s);
	}
	for (size_t i = 0; i < ts_rec.nhandoffs; i++)
		free(ts_rec.handoffs[i]);
	free(ts_rec.spans);
	free(ts_rec.handoffs);
	free(ts_rec.index);
	unsigned long generation = ts_rec.generation;
	ts_rec = (struct record){.generation = generation + 1};
}

void ts_rec_copy(char *dst, const char *src, size_t max)
{
	size_t n = src ? strnlen(src, max) : 0;
	if (n)
		memcpy(dst, src, n);
	dst[n] = 0;
}

size_t ts_rec_name_cost(const char *name)
{
	return (name ? strnlen(name, TS_TESTING_NAME_MAX) : 0) + 1;
}

static bool valid(const ts_attribute_t *a)
{
	return a->key && a->key[0] && a->type >= TS_ATTRIBUTE_STRING && a->type <= TS_ATTRIBUTE_BOOL &&
	       (a->type != TS_ATTRIBUTE_STRING || a->value.s);
}

/* Bytes the attribute takes of a call's 1 KiB. */
static size_t cost(const ts_attribute_t *a)
{
	size_t n = 1 + strnlen(a->key, TS_TESTING_KEY_MAX) + 1;
	switch (a->type) {
	case TS_ATTRIBUTE_STRING:
		return n + strnlen(a->value.s, TS_TESTING_VALUE_MAX) + 1;
	case TS_ATTRIBUTE_BOOL:
		return n + 1;
	default:
		return n + 8;
	}
}

size_t ts_rec_merge(ts_testing_attr_t *list, size_t *n, size_t max, const ts_attribute_t *attrs,
		    size_t nattrs, size_t *budget)
{
	size_t dropped = 0;
	bool full = false;   /* past the budget: the rest of the call is dropped */
	for (size_t i = 0; attrs && i < nattrs; i++) {
		const ts_attribute_t *a = &attrs[i];
		if (!valid(a))
			continue;
		if (!full && cost(a) > *budget)
			full = true;
		if (full) {
			dropped++;
			continue;
		}
		*budget -= cost(a);

		ts_testing_attr_t copy;
		memset(&copy, 0, sizeof copy);
		ts_rec_copy(copy.key, a->key, TS_TESTING_KEY_MAX);
		copy.type = a->type;
		if (a->type == TS_ATTRIBUTE_STRING)
			ts_rec_copy(copy.value.s, a->value.s, TS_TESTING_VALUE_MAX);
		else if (a->type == TS_ATTRIBUTE_INT)
			copy.value.i = a->value.i;
		else if (a->type == TS_ATTRIBUTE_DOUBLE)
			copy.value.d = a->value.d;
		else
			copy.value.b = a->value.b;

		size_t j = 0;
		while (j < *n && strcmp(list[j].key, copy.key) != 0)
			j++;
		if (j < *n)
			list[j] = copy;
		else if (*n < max)
			list[(*n)++] = copy;
		else
			dropped++;
	}
	return dropped;
}
