/* Hashing and comparing short strings of known length, inline: the
 * drainer looks up a few names and values for every span (interning in
 * the Perfetto encoder, attribute names kept for the process). */
#ifndef TS_STRHASH_H
#define TS_STRHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Eight bytes a step (FNV-1a's byte at a time was most of a lookup). */
static inline uint64_t ts_strhash(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;
	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (len >= 4) {   /* two 4-byte reads that may overlap */
		uint32_t a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + len - 4, 4);
		w = (uint64_t)a << 32 | b;
	} else {
		w = len ? (uint64_t)(uint8_t)s[0] << 16 | (uint64_t)(uint8_t)s[len / 2] << 8 |
				  (uint8_t)s[len - 1] : 0;
	}
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	h = (h ^ (h >> 32)) * 0xff51afd7ed558ccdull;
	return h ^ (h >> 29);
}

/* The first len bytes of a and b are equal. A call to memcmp costs more
 * than comparing the dozen bytes of a usual name. */
static inline bool ts_strsame(const char *a, const char *b, size_t len)
{
	uint64_t x, y;
	for (; len >= 8; a += 8, b += 8, len -= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return false;
	}
	if (len >= 4) {
		uint32_t p, q, r, t;
		memcpy(&p, a, 4);
		memcpy(&q, b, 4);
		memcpy(&r, a + len - 4, 4);
		memcpy(&t, b + len - 4, 4);
		return p == q && r == t;
	}
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

#endif
