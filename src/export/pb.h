/* A minimal protobuf writer into a growable buffer: varints, fixed64,
 * length-delimited fields and nested messages whose length is patched in
 * when they end. Allocation failure is sticky and reported by pb_ok(). */
#ifndef TS_PB_H
#define TS_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pb {
	uint8_t *data;
	size_t len, cap;
	bool failed;
};

enum { PB_VARINT = 0, PB_FIXED64 = 1, PB_LEN = 2, PB_FIXED32 = 5 };

bool pb_grow(struct pb *b, size_t extra);

static inline bool pb_reserve(struct pb *b, size_t extra)
{
	return (b->len + extra <= b->cap && !b->failed) || pb_grow(b, extra);
}
void pb_free(struct pb *b);
static inline bool pb_ok(const struct pb *b) { return !b->failed; }
static inline void pb_clear(struct pb *b) { b->len = 0; b->failed = false; }

static inline size_t pb_varint_size(uint64_t v)
{
	/* 7 bits a byte: (significant bits + 6) / 7, without a loop. */
	return ((unsigned)(64 - __builtin_clzll(v | 1)) * 9 + 64) / 64;
}

static inline uint8_t *pb_put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline void pb_varint(struct pb *b, uint64_t v)
{
	if (!pb_reserve(b, 10))
		return;
	b->len = (size_t)(pb_put_varint(b->data + b->len, v) - b->data);
}

static inline void pb_tag(struct pb *b, unsigned field, unsigned wire)
{
	pb_varint(b, ((uint64_t)field << 3) | wire);
}

static inline void pb_uint(struct pb *b, unsigned field, uint64_t v)
{
	pb_tag(b, field, PB_VARINT);
	pb_varint(b, v);
}

static inline void pb_int(struct pb *b, unsigned field, int64_t v)
{
	pb_uint(b, field, (uint64_t)v);   /* int64: two's complement varint */
}

void pb_fixed64(struct pb *b, unsigned field, uint64_t v);
void pb_fixed32(struct pb *b, unsigned field, uint32_t v);
void pb_double(struct pb *b, unsigned field, double v);
void pb_bytes(struct pb *b, unsigned field, const void *data, size_t len);
void pb_string(struct pb *b, unsigned field, const char *s);
void pb_raw(struct pb *b, const void *data, size_t len);

/* Nested message: pb_begin() returns a mark for pb_end(). One byte is
 * reserved for the length; pb_end() moves the body when the length needs
 * more, which is rare for the small messages written here. Inline: the
 * encoder opens a few for every span. */
static inline size_t pb_begin(struct pb *b, unsigned field)
{
	pb_tag(b, field, PB_LEN);
	if (!pb_reserve(b, 1))
		return 0;
	b->data[b->len++] = 0;
	return b->len;
}

void pb_end_long(struct pb *b, size_t mark);

static inline void pb_end(struct pb *b, size_t mark)
{
	if (b->failed || !mark)
		return;
	size_t body = b->len - mark;
	if (body < 0x80)
		b->data[mark - 1] = (uint8_t)body;
	else
		pb_end_long(b, mark);
}

#endif
