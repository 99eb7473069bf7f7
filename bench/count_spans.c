/* count_spans: how many spans a Perfetto trace holds, per name.
 *
 * Walks the packets of a trace as traceshim and `traceshim collect` write it
 * (proto/perfetto_trace.proto), compressed bundles included, and counts the
 * TYPE_SLICE_BEGIN track events by name, interned or inline. scripts/bench
 * counts the spans of million-call runs with it: tests/integration/tracelib.py
 * decodes through protoc and takes minutes on such a file. It checks nothing
 * else about the trace; tracelib is the judge of a trace's shape.
 *
 * Usage: count_spans FILE
 * Prints: "spans TOTAL"; "dropped N", the largest traceshim.dropped_spans a
 * span ends with (a process's total, so for a trace of one process all the
 * calls it dropped); then "COUNT NAME" for each span name, most first.
 * Exits 1 when the file cannot be read or is not a trace.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum { F_PACKET = 1, F_TRACK_EVENT = 11, F_INTERNED = 12, F_SEQ_ID = 10, F_COMPRESSED = 50,
       F_EVENT_NAMES = 2, F_ANNOTATION_NAMES = 3, F_IID = 1, F_NAME = 2, F_TE_TYPE = 9,
       F_TE_NAME_IID = 10, F_TE_NAME = 23, F_TE_ANNOTATION = 4, F_DA_NAME_IID = 1,
       F_DA_NAME = 10, F_DA_UINT = 3, F_DA_INT = 4, TYPE_SLICE_BEGIN = 1, TYPE_SLICE_END = 2,
       MAX_NESTING = 4 };

/* Event names and annotation names are interned in tables of their own:
 * the kind is the low bit of the key's iid. */
enum { EVENT_NAME = 0, ANNOTATION_NAME = 1 };

struct name {
	char *text;
	size_t len;
	uint64_t count;
};

/* Distinct names (of spans and of annotations), and (sequence, iid) -> name
 * for interned ones; both open addressing, grown at half full. */
static struct name *names;
static size_t nnames, names_cap;
static size_t *name_slots, name_slots_cap;      /* index + 1, 0 = free */
static struct intern { uint32_t seq; uint64_t iid; size_t name; } *interned;
static size_t ninterned, interned_cap;           /* name + 1, 0 = free */
static uint64_t total, dropped;
static size_t dropped_key = SIZE_MAX;

static void *must(void *p)
{
	if (!p) {
		fprintf(stderr, "count_spans: out of memory\n");
		exit(1);
	}
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	return must(calloc(n, size));
}

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static uint64_t hash_key(uint32_t seq, uint64_t iid)
{
	return (iid * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)seq * 0xc2b2ae3d27d4eb4full);
}

static size_t name_index(const uint8_t *p, size_t n)
{
	if (2 * (nnames + 1) > name_slots_cap) {
		free(name_slots);
		name_slots_cap = name_slots_cap ? 2 * name_slots_cap : 64;
		name_slots = xcalloc(name_slots_cap, sizeof *name_slots);
		for (size_t i = 0; i < nnames; i++) {
			size_t s = hash_bytes((uint8_t *)names[i].text, names[i].len) & (name_slots_cap - 1);
			while (name_slots[s])
				s = (s + 1) & (name_slots_cap - 1);
			name_slots[s] = i + 1;
		}
	}
	size_t s = hash_bytes(p, n) & (name_slots_cap - 1);
	for (; name_slots[s]; s = (s + 1) & (name_slots_cap - 1)) {
		struct name *e = &names[name_slots[s] - 1];
		if (e->len == n && memcmp(e->text, p, n) == 0)
			return name_slots[s] - 1;
	}
	if (nnames == names_cap) {
		names_cap = names_cap ? 2 * names_cap : 64;
		names = must(realloc(names, names_cap * sizeof *names));
	}
	names[nnames] = (struct name){.text = xcalloc(n + 1, 1), .len = n};
	memcpy(names[nnames].text, p, n);
	name_slots[s] = ++nnames;
	return nnames - 1;
}

static struct intern *intern_slot(struct intern *table, size_t cap, uint32_t seq, uint64_t iid)
{
	size_t s = hash_key(seq, iid) & (cap - 1);
	while (table[s].name && !(table[s].seq == seq && table[s].iid == iid))
		s = (s + 1) & (cap - 1);
	return &table[s];
}

/* A sequence that clears its state interns its names again before using
 * them, so a later entry simply replaces an earlier one. */
static void intern_name(uint32_t seq, uint64_t iid, size_t name)
{
	if (2 * (ninterned + 1) > interned_cap) {
		size_t cap = interned_cap ? 2 * interned_cap : 1024;
		struct intern *grown = xcalloc(cap, sizeof *grown);
		for (size_t i = 0; i < interned_cap; i++)
			if (interned[i].name)
				*intern_slot(grown, cap, interned[i].seq, interned[i].iid) = interned[i];
		free(interned);
		interned = grown;
		interned_cap = cap;
	}
	struct intern *e = intern_slot(interned, interned_cap, seq, iid);
	if (!e->name)
		ninterned++;
	*e = (struct intern){.seq = seq, .iid = iid, .name = name + 1};
}

/* One field of a message: its number, and its value (varint) or bytes. */
struct field {
	uint32_t number;
	uint64_t value;
	const uint8_t *data;
	size_t len;
};

static int varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (b < 0x80)
			return 0;
	}
	return -1;
}

/* Reads the next field at *p; 1 when one was read, 0 at the end, -1 when
 * the bytes are not a message. */
static int next_field(const uint8_t **p, const uint8_t *end, struct field *f)
{
	uint64_t key;
	if (*p == end)
		return 0;
	if (varint(p, end, &key) < 0)
		return -1;
	f->number = (uint32_t)(key >> 3);
	f->data = NULL;
	f->len = 0;
	switch (key & 7) {
	case 0:
		return varint(p, end, &f->value) < 0 ? -1 : 1;
	case 1:
	case 5: {
		size_t n = (key & 7) == 1 ? 8 : 4;
		if ((size_t)(end - *p) < n)
			return -1;
		*p += n;
		return 1;
	}
	case 2:
		if (varint(p, end, &f->value) < 0 || f->value > (uint64_t)(end - *p))
			return -1;
		f->data = *p;
		f->len = (size_t)f->value;
		*p += f->len;
		return 1;
	default:
		return -1;
	}
}

static int interned_data(uint32_t seq, const uint8_t *p, const uint8_t *end)
{
	struct field f, g;
	int r;
	while ((r = next_field(&p, end, &f)) > 0) {
		if ((f.number != F_EVENT_NAMES && f.number != F_ANNOTATION_NAMES) || !f.data)
			continue;
		int kind = f.number == F_EVENT_NAMES ? EVENT_NAME : ANNOTATION_NAME;
		uint64_t iid = 0;
		const uint8_t *name = NULL, *q = f.data, *qend = f.data + f.len;
		size_t len = 0;
		while ((r = next_field(&q, qend, &g)) > 0) {
			if (g.number == F_IID && !g.data)
				iid = g.value;
			else if (g.number == F_NAME && g.data)
				name = g.data, len = g.len;
		}
		if (r < 0)
			return -1;
		if (name)
			intern_name(seq, 2 * iid + kind, name_index(name, len));
	}
	return r;
}

/* The name a field gives inline, or by an iid of the kind: its index. */
static size_t name_of(uint32_t seq, const uint8_t *name, size_t len, uint64_t iid, int kind)
{
	if (name)
		return name_index(name, len);
	struct intern *e = interned_cap ? intern_slot(interned, interned_cap, seq, 2 * iid + kind) : NULL;
	return e && e->name ? e->name - 1 : name_index((const uint8_t *)"(no name)", 9);
}

/* A span's end may say how many calls its thread or process dropped. */
static int dropped_count(uint32_t seq, const uint8_t *p, const uint8_t *end)
{
	struct field f;
	uint64_t iid = 0, value = 0;
	const uint8_t *name = NULL;
	size_t len = 0;
	int r;
	while ((r = next_field(&p, end, &f)) > 0) {
		if (f.number == F_DA_NAME_IID && !f.data)
			iid = f.value;
		else if (f.number == F_DA_NAME && f.data)
			name = f.data, len = f.len;
		else if ((f.number == F_DA_INT || f.number == F_DA_UINT) && !f.data)
			value = f.value;
	}
	if (r == 0 && name_of(seq, name, len, iid, ANNOTATION_NAME) == dropped_key && value > dropped)
		dropped = value;
	return r;
}

static int track_event(uint32_t seq, const uint8_t *p, const uint8_t *end)
{
	struct field f;
	uint64_t type = 0, iid = 0;
	const uint8_t *name = NULL, *start = p;
	size_t len = 0;
	int r;
	while ((r = next_field(&p, end, &f)) > 0) {
		if (f.number == F_TE_TYPE && !f.data)
			type = f.value;
		else if (f.number == F_TE_NAME_IID && !f.data)
			iid = f.value;
		else if (f.number == F_TE_NAME && f.data)
			name = f.data, len = f.len;
	}
	if (r < 0)
		return r;
	if (type == TYPE_SLICE_END)
		for (p = start; next_field(&p, end, &f) > 0;)
			if (f.number == F_TE_ANNOTATION && f.data &&
			    dropped_count(seq, f.data, f.data + f.len) < 0)
				return -1;
	if (type != TYPE_SLICE_BEGIN)
		return 0;
	names[name_of(seq, name, len, iid, EVENT_NAME)].count++;
	total++;
	return 0;
}

static int trace(const uint8_t *p, size_t n, int depth);

static int inflate_trace(const uint8_t *p, size_t n, int depth)
{
	z_stream z = {0};
	size_t cap = 4 * n + 4096, len = 0;
	uint8_t *out = must(malloc(cap));
	int r = inflateInit(&z);
	z.next_in = (Bytef *)p;
	z.avail_in = (uInt)n;
	while (r == Z_OK) {
		if (len == cap)
			out = must(realloc(out, cap *= 2));
		z.next_out = out + len;
		z.avail_out = (uInt)(cap - len);
		r = inflate(&z, Z_NO_FLUSH);
		len = cap - z.avail_out;
	}
	inflateEnd(&z);
	int ok = r == Z_STREAM_END ? trace(out, len, depth + 1) : -1;
	free(out);
	return ok;
}

static int packet(const uint8_t *p, const uint8_t *end, int depth)
{
	struct field f;
	const uint8_t *start = p, *te = NULL, *te_end = NULL;
	uint32_t seq = 0;
	int r;
	while ((r = next_field(&p, end, &f)) > 0)
		if (f.number == F_SEQ_ID && !f.data)
			seq = (uint32_t)f.value;
	if (r < 0)
		return -1;
	/* Interned data first: a packet may use a name it interns itself. */
	for (p = start; next_field(&p, end, &f) > 0;) {
		if (f.number == F_INTERNED && f.data && interned_data(seq, f.data, f.data + f.len) < 0)
			return -1;
		if (f.number == F_TRACK_EVENT && f.data)
			te = f.data, te_end = f.data + f.len;
		if (f.number == F_COMPRESSED && f.data &&
		    (depth >= MAX_NESTING || inflate_trace(f.data, f.len, depth) < 0))
			return -1;
	}
	return te ? track_event(seq, te, te_end) : 0;
}

static int trace(const uint8_t *p, size_t n, int depth)
{
	const uint8_t *end = p + n;
	struct field f;
	int r;
	while ((r = next_field(&p, end, &f)) > 0)
		if (f.number != F_PACKET || !f.data || packet(f.data, f.data + f.len, depth) < 0)
			return -1;
	return r;
}

static int by_count(const void *a, const void *b)
{
	const struct name *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->text, y->text);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: count_spans FILE\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	size_t len = 0, cap = 1 << 20, got;
	uint8_t *data = xcalloc(cap, 1);
	while ((got = fread(data + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap)
			data = must(realloc(data, cap *= 2));
	}
	fclose(f);
	const char *key = "traceshim.dropped_spans";
	dropped_key = name_index((const uint8_t *)key, strlen(key));
	if (trace(data, len, 0) < 0) {
		fprintf(stderr, "count_spans: %s is not a trace this tool can read\n", argv[1]);
		return 1;
	}
	qsort(names, nnames, sizeof *names, by_count);
	printf("spans %llu\ndropped %llu\n", (unsigned long long)total, (unsigned long long)dropped);
	for (size_t i = 0; i < nnames; i++)
		if (names[i].count)
			printf("%llu %s\n", (unsigned long long)names[i].count, names[i].text);
	return 0;
}
