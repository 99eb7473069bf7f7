/* A Perfetto writer sequence's state (one per track): whether its first
 * packet is out, the head its later packets share, and its interning
 * tables with the caches in front of them. The lookups are inline: the
 * encoder (perfetto.c) makes a dozen for every span. */
#ifndef TS_PERFETTO_SEQ_H
#define TS_PERFETTO_SEQ_H

#include "intern.h"
#include "pb.h"
#include "span.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* String values longer than this are written inline: they rarely repeat. */
#define TS_PF_INTERN_VALUE_MAX 512

/* Ids of constant strings by address: most names, keys and values are
 * constants, and this skips hashing them for every event. Span names must be
 * constants (or buffers that never change while the track lives). A string
 * may be in the slot its address hashes to or the next: two of a track's
 * dozen names often hash to the same slot, and would take turns missing. */
#define TS_PF_PCACHE 128
struct ts_pf_pcache {
	const char *str;
	uint64_t iid;
};

/* The same for annotation names, with the last string value written under
 * each: a descriptor's path, a peer's address is mostly the one of the time
 * before, and comparing it with the values table's copy costs less than
 * hashing it. */
struct ts_pf_kcache {
	const char *str;
	uint64_t iid;
	const char *vstr;   /* the values table's copy of the last value, or NULL */
	size_t vlen;
	uint64_t viid;
};

/* A span's descriptor block (span.h) as encoded last on the sequence, by its
 * number: a server's spans on one connection say the same of it each time. */
#define TS_PF_BLOCKS 16
struct ts_pf_block {
	uint64_t stamp;   /* 0: empty */
	uint8_t len;
	uint8_t bytes[87];
};

struct ts_pf_seq {
	bool started;
	/* What follows the timestamp in every packet once the sequence has
	 * started (sequence id, SEQ_NEEDS): encoded once, copied after. */
	uint8_t head[8];
	uint8_t head_len;
	struct ts_intern names, keys, values;
	struct ts_pf_pcache names_pc[TS_PF_PCACHE], values_pc[TS_PF_PCACHE];
	struct ts_pf_kcache keys_kc[TS_PF_PCACHE];
	struct ts_pf_block blocks[TS_PF_BLOCKS];
};

/* The InternedData entries of the packet being made. */
extern struct pb ts_pf_interned;

struct ts_pf_seq *ts_pf_seq_new(const struct ts_track *t);

/* The track's sequence state, made on first use (NULL: out of memory). */
static inline struct ts_pf_seq *ts_pf_seq_of(const struct ts_track *t)
{
	struct ts_pf_seq *st = *t->sink_state;
	return st ? st : ts_pf_seq_new(t);
}
/* Before a sequence's first packet: its tables start empty, so they hold no
 * id the reader has not seen. */
void ts_pf_seq_restart(struct ts_pf_seq *st);
void ts_pf_seq_free(struct ts_pf_seq *st);
void ts_pf_interned_entry(unsigned id_field, uint64_t iid, const char *s, size_t len);
uint64_t ts_pf_intern_const_miss(struct ts_intern *table, struct ts_pf_pcache *e,
				 unsigned id_field, const char *s);
/* A constant annotation name not in its cache slots: looked up, then put
 * in slot e (*kc, or NULL when it has no id). */
uint64_t ts_pf_intern_key_miss(struct ts_pf_seq *st, unsigned id_field, struct ts_pf_kcache *e,
			       const char *key, struct ts_pf_kcache **kc);

/* The iid of s in table, adding an InternedData entry when new (0: none,
 * write s inline); *copy: the table's copy of s. */
static inline uint64_t ts_pf_intern_copy(struct ts_intern *table, unsigned id_field,
					 const char *s, size_t len, const char **copy)
{
	int fresh;
	uint64_t iid = ts_intern_find(table, s, len, &fresh, copy);
	if (fresh)
		ts_pf_interned_entry(id_field, iid, s, len);
	return iid;
}

static inline uint64_t ts_pf_intern(struct ts_intern *table, unsigned id_field, const char *s,
				    size_t len)
{
	const char *copy;
	return ts_pf_intern_copy(table, id_field, s, len, &copy);
}

static inline size_t ts_pf_pslot(const char *s)
{
	return ((uintptr_t)s * 0x9e3779b97f4a7c15ull) >> 57;
}

/* The iid of a constant string. */
static inline uint64_t ts_pf_intern_const(struct ts_intern *table, struct ts_pf_pcache *pc,
					  unsigned id_field, const char *s)
{
	size_t i = ts_pf_pslot(s);
	struct ts_pf_pcache *e = &pc[i], *f = &pc[(i + 1) % TS_PF_PCACHE];
	if (e->str == s)
		return e->iid;
	if (f->str == s)
		return f->iid;
	return ts_pf_intern_const_miss(table, e->str ? f : e, id_field, s);
}

/* A constant annotation name's iid; *kc: its cache entry, NULL when it has
 * none (a name not interned). */
static inline uint64_t ts_pf_intern_key(struct ts_pf_seq *st, unsigned id_field, const char *key,
					struct ts_pf_kcache **kc)
{
	size_t i = ts_pf_pslot(key);
	struct ts_pf_kcache *e = &st->keys_kc[i];
	if (e->str != key) {
		struct ts_pf_kcache *f = &st->keys_kc[(i + 1) % TS_PF_PCACHE];
		if (f->str != key)
			return ts_pf_intern_key_miss(st, id_field, e->str ? f : e, key, kc);
		e = f;
	}
	*kc = e;
	return e->iid;
}

/* A string value that is not a constant: the one last written under its
 * name, else looked up (and then remembered for the name). */
static inline uint64_t ts_pf_intern_value(struct ts_pf_seq *st, unsigned id_field,
					  struct ts_pf_kcache *kc, const char *v, size_t len)
{
	if (kc && kc->vstr && kc->vlen == len && ts_strsame(kc->vstr, v, len))
		return kc->viid;
	if (len > TS_PF_INTERN_VALUE_MAX)
		return 0;
	const char *copy;
	uint64_t iid = ts_pf_intern_copy(&st->values, id_field, v, len, &copy);
	if (iid && kc) {
		kc->vstr = copy;
		kc->vlen = len;
		kc->viid = iid;
	}
	return iid;
}

#endif
