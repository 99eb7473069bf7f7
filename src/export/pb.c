/* Protobuf writer: the out-of-line parts. */
#include "pb.h"

#include <stdlib.h>
#include <string.h>

bool pb_grow(struct pb *b, size_t extra)
{
	if (b->failed)
		return false;
	if (b->len + extra <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + extra)
		cap *= 2;
	uint8_t *grown = realloc(b->data, cap);
	if (!grown) {
		b->failed = true;
		return false;
	}
	b->data = grown;
	b->cap = cap;
	return true;
}

void pb_free(struct pb *b)
{
	free(b->data);
	*b = (struct pb){0};
}

void pb_raw(struct pb *b, const void *data, size_t len)
{
	if (!pb_reserve(b, len))
		return;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
}

void pb_fixed64(struct pb *b, unsigned field, uint64_t v)
{
	uint8_t le[8];
	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	pb_tag(b, field, PB_FIXED64);
	pb_raw(b, le, 8);
}

void pb_fixed32(struct pb *b, unsigned field, uint32_t v)
{
	uint8_t le[4];
	for (int i = 0; i < 4; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	pb_tag(b, field, PB_FIXED32);
	pb_raw(b, le, 4);
}

void pb_double(struct pb *b, unsigned field, double v)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof bits);
	pb_fixed64(b, field, bits);
}

void pb_bytes(struct pb *b, unsigned field, const void *data, size_t len)
{
	pb_tag(b, field, PB_LEN);
	pb_varint(b, len);
	pb_raw(b, data, len);
}

void pb_string(struct pb *b, unsigned field, const char *s)
{
	pb_bytes(b, field, s, strlen(s));
}

/* pb_end() of a body of 128 bytes or more: its length takes more than the
 * byte reserved, the body moves up. */
void pb_end_long(struct pb *b, size_t mark)
{
	size_t body = b->len - mark;
	size_t extra = pb_varint_size(body) - 1;
	if (!pb_reserve(b, extra))
		return;
	memmove(b->data + mark + extra, b->data + mark, body);
	b->len += extra;
	pb_put_varint(b->data + mark - 1, body);
}
