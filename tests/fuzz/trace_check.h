/* What the fuzz targets require of every Perfetto batch the encoders write:
 * length-delimited TracePackets whose known sub-messages all parse, each on a
 * writer sequence, track events only once their sequence was cleared, every
 * interned id defined on its sequence before it is used, known event types,
 * and never a slice end without a begin on its track (one track per sequence
 * in traceshim's writer); with check_times, timestamps below 2^63. The state spans calls, so batches written one
 * after another are checked as the one file they make. */
#ifndef TS_TRACE_CHECK_H
#define TS_TRACE_CHECK_H

#include "../unit/pbread.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

enum { TC_LEN = 2 };   /* length-delimited wire type */

struct tc_seq {
	uint32_t id;
	bool cleared;
	long depth;            /* slices open */
	uint64_t *iids;        /* (interned table << 56) | iid */
	size_t niids, cap;
};

struct tc_ctx {
	struct tc_seq *seqs;
	size_t nseqs, cap;
	/* Timestamps from 2^63 on are negative to the importer, which drops
	 * them: required of output made from times a client sent. */
	bool check_times;
};

static inline void tc_free(struct tc_ctx *c)
{
	for (size_t i = 0; i < c->nseqs; i++)
		free(c->seqs[i].iids);
	free(c->seqs);
	*c = (struct tc_ctx){.check_times = c->check_times};
}

static inline struct tc_seq *tc_seq_of(struct tc_ctx *c, uint32_t id)
{
	for (size_t i = 0; i < c->nseqs; i++)
		if (c->seqs[i].id == id)
			return &c->seqs[i];
	if (c->nseqs == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->seqs = realloc(c->seqs, c->cap * sizeof *c->seqs);
		if (!c->seqs)
			abort();
	}
	c->seqs[c->nseqs] = (struct tc_seq){.id = id};
	return &c->seqs[c->nseqs++];
}

/* The sequence is over (its track is gone): forget it. */
static inline void tc_forget(struct tc_ctx *c, uint32_t id)
{
	for (size_t i = 0; i < c->nseqs; i++)
		if (c->seqs[i].id == id) {
			free(c->seqs[i].iids);
			c->seqs[i] = c->seqs[--c->nseqs];
			return;
		}
}

static inline bool tc_known(const struct tc_seq *s, unsigned table, uint64_t iid)
{
	uint64_t key = (uint64_t)table << 56 | iid;
	for (size_t i = 0; i < s->niids; i++)
		if (s->iids[i] == key)
			return true;
	return false;
}

static inline void tc_define(struct tc_seq *s, unsigned table, uint64_t iid)
{
	if (tc_known(s, table, iid))
		return;
	if (s->niids == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 32;
		s->iids = realloc(s->iids, s->cap * sizeof *s->iids);
		if (!s->iids)
			abort();
	}
	s->iids[s->niids++] = (uint64_t)table << 56 | iid;
}

/* True when msg parses as protobuf fields to its end. */
static inline bool tc_walk(const uint8_t *msg, size_t len)
{
	const uint8_t *p = msg, *end = msg + len;
	struct pbr_field f;
	int r;
	while ((r = pbr_next(&p, end, &f)) == 1)
		;
	return r == 0;
}

/* InternedData: entries { iid = 1, name = 2 } in tables 2, 3 and 29. */
static inline const char *tc_interned(struct tc_seq *s, const uint8_t *msg, size_t len)
{
	const uint8_t *p = msg, *end = msg + len;
	struct pbr_field f, g;
	int r;
	while ((r = pbr_next(&p, end, &f)) == 1) {
		if (f.wire != TC_LEN)
			return "interned data: an entry is not a message";
		if (!tc_walk(f.data, f.len))
			return "interned data: an entry does not parse";
		if (!pbr_find(f.data, f.len, 1, &g) || g.wire != 0 || g.v == 0)
			return "interned data: an entry without an iid";
		if (!pbr_find(f.data, f.len, 2, &(struct pbr_field){0}))
			return "interned data: an entry without a name";
		tc_define(s, f.num, g.v);
	}
	return r == 0 ? NULL : "interned data does not parse";
}

static inline const char *tc_track_event(struct tc_seq *s, const uint8_t *msg, size_t len)
{
	const uint8_t *p = msg, *end = msg + len;
	struct pbr_field f, g;
	int r;
	uint64_t type = 0;
	while ((r = pbr_next(&p, end, &f)) == 1) {
		if (f.num == 9 && f.wire == 0)
			type = f.v;
		else if (f.num == 10 && (f.wire != 0 || !tc_known(s, 2, f.v)))
			return "track event: name iid not interned on its sequence";
		else if (f.num == 4) {
			if (f.wire != TC_LEN || !tc_walk(f.data, f.len))
				return "track event: a debug annotation does not parse";
			if (pbr_find(f.data, f.len, 1, &g) && !tc_known(s, 3, g.v))
				return "debug annotation: name iid not interned on its sequence";
			if (pbr_find(f.data, f.len, 17, &g) && !tc_known(s, 29, g.v))
				return "debug annotation: string iid not interned on its sequence";
			if (!pbr_find(f.data, f.len, 1, &g) && !pbr_find(f.data, f.len, 10, &g))
				return "debug annotation without a name";
		}
	}
	if (r != 0)
		return "track event does not parse";
	if (type < 1 || type > 3)
		return "track event: type is not slice begin, slice end or instant";
	if (type == 1)
		s->depth++;
	else if (type == 2 && s->depth-- == 0)
		return "slice end without a slice begin on its track";
	return NULL;
}

/* Sub-messages a packet may carry: they must parse. */
static inline bool tc_is_message(unsigned num)
{
	return num == 2 || num == 6 || num == 11 || num == 12 || num == 59 || num == 60;
}

static inline const char *tc_packet(struct tc_ctx *c, const uint8_t *msg, size_t len)
{
	struct pbr_field f;
	const uint8_t *p = msg, *end = msg + len;
	int r;
	bool has_ts = false, has_seq = false;
	uint32_t seq = 0;
	uint64_t flags = 0;
	while ((r = pbr_next(&p, end, &f)) == 1) {
		if (tc_is_message(f.num) && (f.wire != TC_LEN || !tc_walk(f.data, f.len)))
			return "a packet's sub-message does not parse";
		if (f.num == 8 && f.wire == 0 && f.v > INT64_MAX && c->check_times)
			return "a timestamp from 2^63 on (negative to the importer, which drops it)";
		if (f.num == 8 && f.wire == 0)
			has_ts = true;
		if (f.num == 10 && f.wire == 0 && f.v && f.v <= UINT32_MAX) {
			has_seq = true;
			seq = (uint32_t)f.v;
		}
		if (f.num == 13 && f.wire == 0)
			flags = f.v;
	}
	if (r != 0)
		return "a packet does not parse";
	if (!has_seq)
		return "a packet without a writer sequence";
	struct tc_seq *s = tc_seq_of(c, seq);
	if (flags & 1) {   /* SEQ_INCREMENTAL_STATE_CLEARED */
		s->cleared = true;
		s->niids = 0;
	}
	const char *err = NULL;
	if (pbr_find(msg, len, 12, &f))
		err = tc_interned(s, f.data, f.len);
	if (!err && pbr_find(msg, len, 11, &f)) {
		if (!s->cleared)
			return "a track event before its sequence was cleared";
		if (!has_ts)
			return "a track event without a timestamp";
		if (pbr_count(msg, len, 11) != 1)
			return "a packet with several track events";
		err = tc_track_event(s, f.data, f.len);
	}
	return err;
}

/* NULL when trace[0..len) is well formed (given what came before in c),
 * else what is wrong. */
static inline const char *tc_check(struct tc_ctx *c, const uint8_t *trace, size_t len)
{
	if (!len)
		return NULL;   /* an empty batch may have no buffer yet */
	const uint8_t *p = trace, *end = trace + len;
	struct pbr_field f;
	int r;
	while ((r = pbr_next(&p, end, &f)) == 1) {
		if (f.num != 1 || f.wire != TC_LEN)
			return "a top-level field that is not a TracePacket";
		const char *err = tc_packet(c, f.data, f.len);
		if (err)
			return err;
	}
	return r == 0 ? NULL : "the trace does not parse as length-delimited packets";
}

/* Slices still open on all sequences. */
static inline long tc_open_slices(const struct tc_ctx *c)
{
	long n = 0;
	for (size_t i = 0; i < c->nseqs; i++)
		n += c->seqs[i].depth;
	return n;
}

#endif
