/* Perfetto TrackEvent encoding (field numbers: Perfetto's trace proto).
 *
 * Every track has its own trusted_packet_sequence_id. The first event packet
 * of a sequence sets SEQ_INCREMENTAL_STATE_CLEARED and TracePacketDefaults
 * (the track uuid); every later one says SEQ_NEEDS_INCREMENTAL_STATE. Event
 * names, annotation names and string values are interned per sequence
 * (perfetto_seq.h). */
#include "perfetto.h"

#include "flowends.h"
#include "perfetto_fields.h"
#include "perfetto_seq.h"

#include <string.h>

static struct pb batch;
static struct pb event;   /* scratch, reused for every packet */
static const struct ts_track *flows_proc;   /* where a missing start is put (flowends.h) */

struct pb *ts_pf_batch(void)
{
	return &batch;
}

void ts_pf_after_fork(void)
{
	ts_pf_flows_reset();
	flows_proc = NULL;
	batch = (struct pb){0};
	event = (struct pb){0};
	ts_pf_interned = (struct pb){0};
}

void ts_pf_forget(void **state)
{
	if (*state)
		ts_pf_seq_free(*state);
	*state = NULL;
}

/* The rare annotation the fast path below does not take: a name or a
 * string value written inline (a table full, a long value). */
static void annotation_inline(const struct ts_attr *a, uint64_t key, uint64_t iid, size_t len)
{
	size_t m = pb_begin(&event, F_TE_ANNOTATION);
	if (key)
		pb_uint(&event, F_DA_NAME_IID, key);
	else
		pb_string(&event, F_DA_NAME, a->key);
	switch (a->type) {
	case TS_VAL_INT:
		pb_int(&event, F_DA_INT, a->v.i);
		break;
	case TS_VAL_DOUBLE:
		pb_double(&event, F_DA_DOUBLE, a->v.d);
		break;
	case TS_VAL_BOOL:
		pb_uint(&event, F_DA_BOOL, a->v.b);
		break;
	case TS_VAL_STR:
		if (iid)
			pb_uint(&event, F_DA_STRING_IID, iid);
		else
			pb_bytes(&event, F_DA_STRING, a->v.s, len);
		break;
	}
	pb_end(&event, m);
}

/* A DebugAnnotation. With an interned name (and value, for a string) its
 * body is under 32 bytes: written in place, its length byte after. */
static inline __attribute__((always_inline)) void annotation(struct ts_pf_seq *st,
							       const struct ts_attr *a)
{
	struct ts_pf_kcache *kc = NULL;
	uint64_t key = a->dynkey ? ts_pf_intern(&st->keys, F_ID_ANNOTATION_NAMES, a->key, strlen(a->key)) :
		ts_pf_intern_key(st, F_ID_ANNOTATION_NAMES, a->key, &kc);
	uint64_t iid = 0;
	size_t len = 0;
	if (a->type == TS_VAL_STR) {
		if (a->stable) {
			iid = ts_pf_intern_const(&st->values, st->values_pc, F_ID_STRING_VALUES, a->v.s);
		} else {
			len = strlen(a->v.s);
			iid = ts_pf_intern_value(st, F_ID_STRING_VALUES, kc, a->v.s, len);
		}
		if (!iid && a->stable)
			len = strlen(a->v.s);
	}
	if (!key || (a->type == TS_VAL_STR && !iid)) {
		annotation_inline(a, key, iid, len);
		return;
	}
	if (!pb_reserve(&event, 32))
		return;
	uint8_t *p = event.data + event.len, *q = p + 2;
	*q++ = TAG(F_DA_NAME_IID, PB_VARINT);
	q = pb_put_varint(q, key);
	switch (a->type) {
	case TS_VAL_INT:
		*q++ = TAG(F_DA_INT, PB_VARINT);
		q = pb_put_varint(q, (uint64_t)a->v.i);   /* int64: two's complement varint */
		break;
	case TS_VAL_DOUBLE: {
		uint64_t bits;
		memcpy(&bits, &a->v.d, sizeof bits);
		*q++ = TAG(F_DA_DOUBLE, PB_FIXED64);
		for (int i = 0; i < 8; i++)
			*q++ = (uint8_t)(bits >> (8 * i));
		break;
	}
	case TS_VAL_BOOL:
		*q++ = TAG(F_DA_BOOL, PB_VARINT);
		*q++ = a->v.b;
		break;
	case TS_VAL_STR:
		q = pb_put_varint(q, (uint64_t)F_DA_STRING_IID << 3 | PB_VARINT);
		q = pb_put_varint(q, iid);
		break;
	}
	p[0] = TAG(F_TE_ANNOTATION, PB_LEN);
	p[1] = (uint8_t)(q - p - 2);
	event.len = (size_t)(q - event.data);
}

/* A span's annotations, in one loop with the encoding inline: a span has
 * half a dozen. */
static void annotations(struct ts_pf_seq *st, const struct ts_attr *a, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		annotation(st, &a[i]);
}

/* A span's annotations. Its descriptor's block, when it has one, is copied
 * as it was encoded the last time on this sequence: the same number, the
 * same attributes, the same ids (they last as long as the sequence). */
static void span_annotations(struct ts_pf_seq *st, const struct ts_span *s)
{
	bool block = s->desc_stamp && s->desc_count && s->desc_first + s->desc_count <= s->nattrs;
	if (!block) {
		annotations(st, s->attrs, s->nattrs);
		return;
	}
	annotations(st, s->attrs, s->desc_first);
	struct ts_pf_block *b = &st->blocks[s->desc_stamp % TS_PF_BLOCKS];
	if (b->stamp == s->desc_stamp) {
		/* The whole buffer, a fixed-size copy: what is past the block's
		 * length is written over next. */
		if (pb_reserve(&event, sizeof b->bytes)) {
			memcpy(event.data + event.len, b->bytes, sizeof b->bytes);
			event.len += b->len;
		}
	} else {
		size_t at = event.len;
		annotations(st, s->attrs + s->desc_first, s->desc_count);
		size_t n = event.len - at;
		if (!event.failed && n <= sizeof b->bytes) {
			b->stamp = s->desc_stamp;
			b->len = (uint8_t)n;
			memcpy(b->bytes, event.data + at, n);
		}
	}
	unsigned end = s->desc_first + s->desc_count;
	annotations(st, s->attrs + end, s->nattrs - end);
}

/* Wraps the scratch event (and any new interned entries) into a packet:
 * the first of its sequence (SEQ_CLEARED and the defaults). */
static void emit_first_packet(const struct ts_track *t, struct ts_pf_seq *st, uint64_t ts)
{
	size_t pkt = pb_begin(&batch, F_TRACE_PACKET);
	pb_uint(&batch, F_PKT_TIMESTAMP, ts);
	pb_uint(&batch, F_PKT_SEQ_ID, t->sequence);
	pb_uint(&batch, F_PKT_SEQ_FLAGS, SEQ_CLEARED | SEQ_NEEDS);
	size_t d = pb_begin(&batch, F_PKT_DEFAULTS);
	size_t ted = pb_begin(&batch, F_DEF_TRACK_EVENT);
	pb_uint(&batch, F_TED_TRACK_UUID, t->uuid);
	pb_end(&batch, ted);
	pb_end(&batch, d);
	if (ts_pf_interned.len)
		pb_bytes(&batch, F_PKT_INTERNED, ts_pf_interned.data, ts_pf_interned.len);
	pb_bytes(&batch, F_PKT_TRACK_EVENT, event.data, event.len);
	pb_end(&batch, pkt);
	uint8_t *h = st->head;
	*h++ = TAG(F_PKT_SEQ_ID, PB_VARINT);
	h = pb_put_varint(h, t->sequence);
	*h++ = TAG(F_PKT_SEQ_FLAGS, PB_VARINT);
	*h++ = SEQ_NEEDS;
	st->head_len = (uint8_t)(h - st->head);
	st->started = true;
}

/* Any later packet: its length is known before it is written, so it goes
 * out in one pass, without a length to patch or a body to move. */
static void emit_packet(const struct ts_track *t, struct ts_pf_seq *st, uint64_t ts)
{
	if (event.failed || ts_pf_interned.failed) {
		batch.failed = true;   /* the batch is dropped: nothing to add */
		return;
	}
	if (!st->started) {
		emit_first_packet(t, st, ts);
		return;
	}
	size_t in = ts_pf_interned.len, ev = event.len;
	size_t body = 1 + pb_varint_size(ts) + st->head_len + 1 + pb_varint_size(ev) + ev;
	if (in)
		body += 1 + pb_varint_size(in) + in;
	/* 8 bytes of slack: the head is copied whole, a fixed-size copy. */
	if (!pb_reserve(&batch, 1 + pb_varint_size(body) + body + sizeof st->head))
		return;
	uint8_t *p = batch.data + batch.len;
	*p++ = TAG(F_TRACE_PACKET, PB_LEN);
	p = pb_put_varint(p, body);
	*p++ = TAG(F_PKT_TIMESTAMP, PB_VARINT);
	p = pb_put_varint(p, ts);
	memcpy(p, st->head, sizeof st->head);
	p += st->head_len;
	if (in) {
		*p++ = TAG(F_PKT_INTERNED, PB_LEN);
		p = pb_put_varint(p, in);
		memcpy(p, ts_pf_interned.data, in);
		p += in;
	}
	*p++ = TAG(F_PKT_TRACK_EVENT, PB_LEN);
	p = pb_put_varint(p, ev);
	memcpy(p, event.data, ev);
	p += ev;
	batch.len = (size_t)(p - batch.data);
}

/* The end of a slice with nothing to add, on a started sequence: half the
 * packets of a trace, each the same but for its timestamp, written whole. */
static void emit_end(const struct ts_pf_seq *st, uint64_t ts)
{
	size_t body = 1 + pb_varint_size(ts) + st->head_len + 4;   /* under 128 */
	if (!pb_reserve(&batch, 2 + body + sizeof st->head))
		return;
	uint8_t *p = batch.data + batch.len;
	*p++ = TAG(F_TRACE_PACKET, PB_LEN);
	*p++ = (uint8_t)body;
	*p++ = TAG(F_PKT_TIMESTAMP, PB_VARINT);
	p = pb_put_varint(p, ts);
	memcpy(p, st->head, sizeof st->head);
	p += st->head_len;
	*p++ = TAG(F_PKT_TRACK_EVENT, PB_LEN);
	*p++ = 2;
	*p++ = TAG(F_TE_TYPE, PB_VARINT);
	*p++ = TYPE_SLICE_END;
	batch.len = (size_t)(p - batch.data);
}

void ts_pf_flows_process(const struct ts_track *proc)
{
	flows_proc = proc;
}

static void track_event(const struct ts_track *t, int type, uint64_t ts, const char *name,
			bool dyn_name, const struct ts_span *s, uint64_t flow_out, uint64_t flow_in);

/* The start of a flow whose end found none (flowends.h). */
static void start_of_unmatched(const struct ts_flow_end *end)
{
	if (flows_proc)
		track_event(flows_proc, TYPE_INSTANT, end->ts ? end->ts - 1 : 0,
			    "flow start not recorded", false, NULL, end->id, 0);
}

void ts_pf_flows_close(void)
{
	struct ts_flow_end end;
	while (ts_pf_flow_unmatched(&end))
		start_of_unmatched(&end);
	ts_pf_flows_reset();
}

/* name: a constant, or scratch text when dyn_name (interned by content). */
static void track_event(const struct ts_track *t, int type, uint64_t ts, const char *name,
			bool dyn_name, const struct ts_span *s, uint64_t flow_out, uint64_t flow_in)
{
	struct ts_pf_seq *st = ts_pf_seq_of(t);
	if (!st) {
		batch.failed = true;
		return;
	}
	if (type == TYPE_SLICE_END && !s && !flow_in && st->started) {
		emit_end(st, ts);
		return;
	}
	if (!st->started)
		ts_pf_seq_restart(st);
	pb_clear(&event);
	pb_clear(&ts_pf_interned);
	pb_uint(&event, F_TE_TYPE, (uint64_t)type);
	if (name) {
		uint64_t iid = dyn_name ? ts_pf_intern(&st->names, F_ID_EVENT_NAMES, name, strlen(name)) :
			ts_pf_intern_const(&st->names, st->names_pc, F_ID_EVENT_NAMES, name);
		if (iid)
			pb_uint(&event, F_TE_NAME_IID, iid);
		else
			pb_string(&event, F_TE_NAME, name);
	}
	if (flow_out) {
		pb_fixed64(&event, F_TE_FLOW, flow_out);
		ts_pf_flow_begun(flow_out);
	}
	for (unsigned i = 0; s && type == TYPE_SLICE_BEGIN && i < s->nmore_flows_out; i++) {
		pb_fixed64(&event, F_TE_FLOW, s->more_flows_out[i]);
		ts_pf_flow_begun(s->more_flows_out[i]);
	}
	struct ts_flow_end evicted;
	bool give_start = false;
	if (flow_in) {
		pb_fixed64(&event, F_TE_TERM_FLOW, flow_in);
		give_start = ts_pf_flow_ended(t, flow_in, ts, &evicted);
	}
	if (s) {
		span_annotations(st, s);
		annotations(st, s->rolled, s->nrolled);   /* roll-ups (rollup.h) */
	}
	if (s && s->status == TS_STATUS_OK) {
		const struct ts_attr code = {.key = "otel.status_code", .type = TS_VAL_STR, .stable = 1,
					     .v.s = "OK"};
		annotations(st, &code, 1);
	} else if (s && s->status == TS_STATUS_ERROR) {
		/* Perfetto has no status field: the OTLP names, as annotations. */
		const struct ts_attr code = {.key = "otel.status_code", .type = TS_VAL_STR, .stable = 1,
					     .v.s = "ERROR"};
		annotations(st, &code, 1);
		if (s->status_message) {
			const struct ts_attr msg = {.key = "otel.status_description", .type = TS_VAL_STR,
						    .v.s = s->status_message};
			annotations(st, &msg, 1);
		}
	}
	emit_packet(t, st, ts);
	if (give_start)
		start_of_unmatched(&evicted);
}

void ts_pf_span(const struct ts_track *t, enum ts_span_event ev, const struct ts_span *s)
{
	if (ev == TS_SPAN_END) {
		/* The importer adds an end's annotations to the slice it closes. */
		track_event(t, TYPE_SLICE_END, s->end_ns, NULL, false,
			    s->nattrs || s->nrolled || s->status ? s : NULL, 0, s->flow_in_end);
		return;
	}
	track_event(t, TYPE_SLICE_BEGIN, s->start_ns, s->name, s->dyn_name, s, s->flow_out,
		    s->flow_in);
	if (ev != TS_SPAN_COMPLETE)
		return;
	/* A failed call gets a marker inside its slice, so errors stand out on the lane. */
	if (s->status == TS_STATUS_ERROR && s->error_type)
		track_event(t, TYPE_INSTANT, s->end_ns, s->error_type, true, NULL, 0, 0);
	const struct ts_pf_seq *st = *t->sink_state;
	if (s->flow_in_end)   /* the arrow from the release that ended the wait */
		track_event(t, TYPE_SLICE_END, s->end_ns, NULL, false, NULL, 0, s->flow_in_end);
	else if (st && st->started)
		emit_end(st, s->end_ns);
	else
		track_event(t, TYPE_SLICE_END, s->end_ns, NULL, false, NULL, 0, 0);
}

void ts_pf_counter(const struct ts_track *t, uint64_t uuid, uint64_t ts_ns, double value)
{
	struct ts_pf_seq *st = ts_pf_seq_of(t);
	if (!st) {
		batch.failed = true;
		return;
	}
	if (!st->started)
		ts_pf_seq_restart(st);
	pb_clear(&event);
	pb_clear(&ts_pf_interned);
	pb_uint(&event, F_TE_TYPE, TYPE_COUNTER);
	pb_uint(&event, F_TE_TRACK_UUID, uuid);   /* not the sequence's default track */
	pb_double(&event, F_TE_DOUBLE_COUNTER, value);
	emit_packet(t, st, ts_ns);
}

void ts_pf_instant(const struct ts_track *t, uint64_t ts_ns, const char *name, bool dyn_name,
		   const struct ts_span *attrs, uint64_t flow_out)
{
	track_event(t, TYPE_INSTANT, ts_ns, name, dyn_name, attrs, flow_out, 0);
}
