/* A tiny protobuf reader for the unit tests: walks the fields of a message so
 * tests can check what the encoders wrote without trusting the encoder. */
#ifndef TS_PBREAD_H
#define TS_PBREAD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pbr_field {
	unsigned num, wire;
	uint64_t v;              /* varint or fixed64 */
	const uint8_t *data;     /* length-delimited */
	size_t len;
};

/* Reads a varint; returns 0 when it runs past end or past 64 bits. */
static inline int pbr_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	*out = 0;
	for (int shift = 0; *p < end && shift <= 63; shift += 7) {
		uint8_t b = *(*p)++;
		*out |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 1;
	}
	return 0;
}

/* Returns 1 and the next field, 0 at the end, -1 on malformed input. */
static inline int pbr_next(const uint8_t **p, const uint8_t *end, struct pbr_field *f)
{
	if (*p >= end)
		return 0;
	uint64_t key;
	if (!pbr_varint(p, end, &key))
		return -1;
	f->num = (unsigned)(key >> 3);
	f->wire = (unsigned)(key & 7);
	f->data = NULL;
	f->len = 0;
	f->v = 0;
	switch (f->wire) {
	case 0:
		return pbr_varint(p, end, &f->v) ? 1 : -1;
	case 1:
		if (end - *p < 8)
			return -1;
		for (int i = 0; i < 8; i++)
			f->v |= (uint64_t)(*p)[i] << (8 * i);
		*p += 8;
		return 1;
	case 2: {
		uint64_t len;
		if (!pbr_varint(p, end, &len) || (uint64_t)(end - *p) < len)
			return -1;
		f->data = *p;
		f->len = (size_t)len;
		*p += len;
		return 1;
	}
	case 5:
		if (end - *p < 4)
			return -1;
		for (int i = 0; i < 4; i++)
			f->v |= (uint64_t)(*p)[i] << (8 * i);
		*p += 4;
		return 1;
	default:
		return -1;
	}
}

/* Finds the first field `num` of a message; returns 1 if found. */
static inline int pbr_find(const uint8_t *msg, size_t len, unsigned num, struct pbr_field *out)
{
	const uint8_t *p = msg, *end = msg + len;
	struct pbr_field f;
	int r;
	while ((r = pbr_next(&p, end, &f)) == 1)
		if (f.num == num) {
			*out = f;
			return 1;
		}
	return 0;
}

/* Counts fields `num` of a message. */
static inline int pbr_count(const uint8_t *msg, size_t len, unsigned num)
{
	const uint8_t *p = msg, *end = msg + len;
	struct pbr_field f;
	int n = 0;
	while (pbr_next(&p, end, &f) == 1)
		n += f.num == num;
	return n;
}

#endif
