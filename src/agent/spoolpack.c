/* Packing and unpacking the spool's records (spoolpack.h). A slot is eight
 * words, each taken as its XOR with the reference's word: a byte says which
 * differ, then come their lengths in bytes and their low bytes. A record's slot is
 * preceded by a byte naming its reference (the same type and operation
 * find the same one), which the unpacking side reads rather than works
 * out, since it does not have the record yet. */
#include "spoolpack.h"

#include "registry.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define KEYS 32    /* references per thread: by type and operation */
#define DEPTH 4    /* a record and its first payload slots */
#define WORDS (TS_REC_SIZE / 8)

struct refs {
	uint64_t w[KEYS][DEPTH][WORDS];
};

/* Each side's references, per thread slot; both made together, when the
 * packing side first meets the slot, so that unpacking never fails. */
static struct refs *refs[2][TS_MAX_THREADS];

static unsigned key_of(const struct ts_rec *r)
{
	return ((uint32_t)r->op << 4 ^ r->type) * 0x9E3779B1u >> 27;   /* 0 .. KEYS - 1 */
}

/* Words as little-endian bytes: the bytes kept are the low ones. */
static inline uint64_t le64(uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

/* Bits set in a byte, without a call (no popcnt instruction assumed). */
static inline unsigned bits8(unsigned v)
{
	v = v - ((v >> 1) & 0x55);
	v = (v & 0x33) + ((v >> 2) & 0x33);
	return (v + (v >> 4)) & 0x0f;
}

static inline uint64_t load64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

/* ref: the reference's words, which become this slot's; NULL: none (the
 * words are written as they are). In a record's slot the second word, its
 * end time, is taken as the time after its start: calls of one kind last
 * about as long. */
static uint8_t *pack_slot(const struct ts_rec *r, uint64_t *ref, bool record, uint8_t *out)
{
	uint64_t x[WORDS];
	unsigned mask = 0;
	for (unsigned i = 0; i < WORDS; i++) {
		uint64_t w = load64((const uint8_t *)r + 8 * i);
		if (record && i == 1)
			w -= load64(r);
		x[i] = w ^ (ref ? ref[i] : 0);
		mask |= (x[i] != 0) << i;
		if (ref)
			ref[i] = w;
	}
	/* The mask of the words that differ, their lengths two to a byte,
	 * then their low bytes. */
	unsigned count = bits8(mask);
	uint8_t *lens = out + 1, *data = lens + (count + 1) / 2;
	*out = (uint8_t)mask;
	memset(lens, 0, (count + 1) / 2);
	for (unsigned i = 0, k = 0; i < WORDS; i++) {
		if (!x[i])
			continue;
		unsigned len = (unsigned)(71 - __builtin_clzll(x[i])) / 8;
		uint64_t bytes = le64(x[i]);
		memcpy(data, &bytes, 8);   /* whole: the next word's bytes go over the rest */
		data += len;
		lens[k / 2] = (uint8_t)(lens[k / 2] | len << (4 * (k % 2)));
		k++;
	}
	return data;
}

static const uint8_t *unpack_slot(const uint8_t *in, uint64_t *ref, bool record, struct ts_rec *r)
{
	unsigned mask = *in, count = bits8(mask);
	const uint8_t *lens = in + 1, *data = lens + (count + 1) / 2;
	uint64_t w[WORDS];
	for (unsigned i = 0, k = 0; i < WORDS; i++) {
		uint64_t x = 0;
		if (mask >> i & 1) {
			unsigned len = lens[k / 2] >> (4 * (k % 2)) & 15;
			len = len < 1 ? 1 : len > 8 ? 8 : len;
			x = le64(load64(data)) & (~0ull >> (64 - 8 * len));
			data += len;
			k++;
		}
		w[i] = x ^ (ref ? ref[i] : 0);
		if (ref)
			ref[i] = w[i];
	}
	if (record)
		w[1] += w[0];
	memcpy(r, w, sizeof w);
	return data;
}

/* The payload slots after a record at r[i]: as many as it says, within n. */
static unsigned ext_of(const struct ts_rec *rec, unsigned i, unsigned n)
{
	unsigned ext = rec->ext;
	return ext < n - 1 - i ? ext : n - 1 - i;
}

size_t ts_spoolpack_put(unsigned slot, const struct ts_rec *r, unsigned n, uint8_t *out)
{
	if (slot >= TS_MAX_THREADS)
		return 0;
	if (!refs[TS_SPOOLPACK_PACK][slot]) {
		struct refs *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
		if (!a || !b) {
			free(a);
			free(b);
			return 0;
		}
		refs[TS_SPOOLPACK_PACK][slot] = a;
		refs[TS_SPOOLPACK_UNPACK][slot] = b;
	}
	struct refs *f = refs[TS_SPOOLPACK_PACK][slot];
	uint8_t *p = out;
	for (unsigned i = 0; i < n;) {
		struct ts_rec rec;
		memcpy(&rec, &r[i], sizeof rec);   /* read once: the ring is shared */
		unsigned key = key_of(&rec), ext = ext_of(&rec, i, n);
		*p++ = (uint8_t)key;
		p = pack_slot(&rec, f->w[key][0], true, p);
		for (unsigned j = 1; j <= ext; j++)
			p = pack_slot(&r[i + j], j < DEPTH ? f->w[key][j] : NULL, false, p);
		i += 1 + ext;
	}
	return (size_t)(p - out);
}

size_t ts_spoolpack_get(unsigned slot, const uint8_t *in, unsigned n, struct ts_rec *out)
{
	struct refs *f = slot < TS_MAX_THREADS ? refs[TS_SPOOLPACK_UNPACK][slot] : NULL;
	const uint8_t *p = in;
	if (!f)
		return 0;   /* never packed */
	for (unsigned i = 0; i < n;) {
		unsigned key = *p++ % KEYS;
		p = unpack_slot(p, f->w[key][0], true, &out[i]);
		unsigned ext = ext_of(&out[i], i, n);
		for (unsigned j = 1; j <= ext; j++)
			p = unpack_slot(p, j < DEPTH ? f->w[key][j] : NULL, false, &out[i + j]);
		i += 1 + ext;
	}
	return (size_t)(p - in);
}

void ts_spoolpack_reset(void)
{
	for (unsigned s = 0; s < TS_MAX_THREADS; s++) {
		for (int side = 0; side < 2; side++) {
			free(refs[side][s]);
			refs[side][s] = NULL;
		}
	}
}
