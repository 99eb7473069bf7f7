/* The Perfetto encoder, read back field by field. */
#include "check_main.h"
#include "perfetto.h"
#include "flowends.h"
#include "pbread.h"
#include "intern.h"

#include <stdio.h>
#include <stdlib.h>

static void *state;
static const struct ts_track track = {
	.uuid = 0xabcdef, .parent_uuid = 0x1234, .sequence = 77, .pid = 10, .tid = 11,
	.name = "worker", .sink_state = &state,
};

/* The n-th TracePacket of the batch. */
static int packet(int n, struct pbr_field *out)
{
	struct pb *b = ts_pf_batch();
	const uint8_t *p = b->data, *end = b->data + b->len;
	struct pbr_field f;
	for (int i = 0; pbr_next(&p, end, &f) == 1; i++) {
		ck_assert_uint_eq(f.num, 1);
		if (i == n) {
			*out = f;
			return 1;
		}
	}
	return 0;
}

static int count_packets(void)
{
	struct pb *b = ts_pf_batch();
	const uint8_t *p = b->data, *end = b->data + b->len;
	struct pbr_field f;
	int n = 0;
	while (pbr_next(&p, end, &f) == 1)
		n++;
	return n;
}

static void reset(void)
{
	pb_clear(ts_pf_batch());
	ts_pf_forget(&state);
}

static struct ts_span leaf(const char *name, uint64_t start, uint64_t end)
{
	struct ts_span s = {.name = name, .start_ns = start, .end_ns = end};
	return s;
}

START_TEST(first_packet_clears_and_sets_defaults)
{
	reset();
	struct ts_span s = leaf("read", 1000, 2000);
	ts_pf_span(&track, TS_SPAN_COMPLETE, &s);
	ck_assert_int_eq(count_packets(), 2);
	struct pbr_field pkt, f, d, ted;
	ck_assert(packet(0, &pkt));
	ck_assert(pbr_find(pkt.data, pkt.len, 13, &f));
	ck_assert_uint_eq(f.v, 3);
	ck_assert(pbr_find(pkt.data, pkt.len, 10, &f));
	ck_assert_uint_eq(f.v, 77);
	ck_assert(pbr_find(pkt.data, pkt.len, 8, &f));
	ck_assert_uint_eq(f.v, 1000);
	ck_assert(pbr_find(pkt.data, pkt.len, 59, &d));
	ck_assert(pbr_find(d.data, d.len, 11, &ted));
	ck_assert(pbr_find(ted.data, ted.len, 11, &f));
	ck_assert_uint_eq(f.v, 0xabcdef);
	/* The name is interned in the same packet. */
	struct pbr_field idata, en, te;
	ck_assert(pbr_find(pkt.data, pkt.len, 12, &idata));
	ck_assert(pbr_find(idata.data, idata.len, 2, &en));
	ck_assert(pbr_find(en.data, en.len, 2, &f));
	ck_assert_uint_eq(f.len, 4);
	ck_assert(!memcmp(f.data, "read", 4));
	ck_assert(pbr_find(pkt.data, pkt.len, 11, &te));
	ck_assert(pbr_find(te.data, te.len, 9, &f));
	ck_assert_uint_eq(f.v, 1);   /* SLICE_BEGIN */
	ck_assert(pbr_find(te.data, te.len, 10, &f));
	ck_assert_uint_eq(f.v, 1);
	/* END: flags 2, no name, timestamp of the end. */
	ck_assert(packet(1, &pkt));
	ck_assert(pbr_find(pkt.data, pkt.len, 13, &f));
	ck_assert_uint_eq(f.v, 2);
	ck_assert(pbr_find(pkt.data, pkt.len, 8, &f));
	ck_assert_uint_eq(f.v, 2000);
	ck_assert(pbr_find(pkt.data, pkt.len, 11, &te));
	ck_assert(!pbr_find(te.data, te.len, 10, &f));
	ck_assert(pbr_find(te.data, te.len, 9, &f));
	ck_assert_uint_eq(f.v, 2);
}
END_TEST

START_TEST(names_and_values_interned_once)
{
	reset();
	for (int i = 0; i < 3; i++) {
		struct ts_span s = leaf("write", 100 + 10 * (uint64_t)i, 105 + 10 * (uint64_t)i);
		ts_span_int(&s, "traceshim.fd", 1);
		ts_span_str(&s, "file.path", "/tmp/x");
		ts_pf_span(&track, TS_SPAN_COMPLETE, &s);
	}
	struct pbr_field pkt, te, da, f;
	ck_assert(packet(0, &pkt));
	ck_assert(pbr_find(pkt.data, pkt.len, 12, &f));
	ck_assert(packet(2, &pkt));
	ck_assert(!pbr_find(pkt.data, pkt.len, 12, &f));   /* nothing new to intern */
	ck_assert(pbr_find(pkt.data, pkt.len, 11, &te));
	ck_assert_int_eq(pbr_count(te.data, te.len, 4), 2);
	const uint8_t *p = te.data, *end = te.data + te.len;
	int seen_string_iid = 0;
	while (pbr_next(&p, end, &da) == 1)
		if (da.num == 4 && pbr_find(da.data, da.len, 17, &f))
			seen_string_iid = 1;
	ck_assert(seen_string_iid);
	/* A leaf span with two annotations stays small before compression. */
	struct pbr_field end_pkt;
	ck_assert(packet(3, &end_pkt));
	ck_assert_uint_lt(pkt.len + end_pkt.len + 4, 64);
}
END_TEST

START_TEST(flows_are_unpacked_fixed64)
{
	reset();
	struct ts_span s = leaf("pthread_create", 10, 20);
	s.flow_out = 0x1111222233334444ull;
	ts_pf_span(&track, TS_SPAN_COMPLETE, &s);
	struct ts_span t = leaf("thread", 30, 30);
	t.flow_in = 0x1111222233334444ull;
	ts_pf_span(&track, TS_SPAN_BEGIN, &t);
	struct pbr_field pkt, te, f;
	ck_assert(packet(0, &pkt));
	ck_assert(pbr_find(pkt.data, pkt.len, 11, &te));
	ck_assert(pbr_find(te.data, te.len, 47, &f));
	ck_assert_uint_eq(f.wire, 1);
	ck_assert(f.v == 0x1111222233334444ull);
	ck_assert(packet(2, &pkt));
	ck_assert(pbr_find(pkt.data, pkt.len, 11, &te));
	ck_assert(pbr_find(te.data, te.len, 48, &f));
	ck_assert_uint_eq(f.wire, 1);
	ck_assert(f.v == 0x1111222233334444ull);
}
END_TEST

START_TEST(failed_call_gets_marker_and_status)
{
	reset();
	struct ts_span s = leaf("open", 10, 20);
	s.status = TS_STATUS_ERROR;
	s.error_type = "ENOENT";
	s.status_message = "No such file or directory";
	ts_pf_span(&track, TS_SPAN_COMPLETE, &s);
	ck_assert_int_eq(count_packets(), 3);
	struct pbr_field pkt, te, f;
	ck_assert(packet(1, &pkt));
	ck_assert(pbr_find(pkt.data, pkt.len, 11, &te));
	ck_assert(pbr_find(te.data, te.len, 9, &f));
	ck_assert_uint_eq(f.v, 3);   /* INSTANT */
	ck_assert(pbr_find(pkt.data, pkt.len, 8, &f));
	ck_assert_uint_eq(f.v, 20);
	/* The BEGIN carries otel.status_code and otel.status_description. */
	ck_assert(packet(0, &pkt));
	ck_assert(pbr_find(pkt.data, pkt.len, 11, &te));
	ck_assert_int_eq(pbr_count(te.data, te.len, 4), 2);
}
END_TEST

START_TEST(thread_descriptor)
{
	reset();
	struct ts_track proc = {.uuid = 0x1234, .sequence = 5, .pid = 10, .name = "app"};
	ts_pf_thread(&proc, &track, 99);
	struct pbr_field pkt, td, th, f;
	ck_assert(packet(0, &pkt));
	ck_assert(pbr_find(pkt.data, pkt.len, 60, &td));
	ck_assert(pbr_find(td.data, td.len, 1, &f));
	ck_assert_uint_eq(f.v, 0xabcdef);
	ck_assert(pbr_find(td.data, td.len, 5, &f));
	ck_assert_uint_eq(f.v, 0x1234);
	ck_assert(pbr_find(td.data, td.len, 4, &th));
	ck_assert(pbr_find(th.data, th.len, 2, &f));
	ck_assert_uint_eq(f.v, 11);
	ck_assert(pbr_find(th.data, th.len, 5, &f));
	ck_assert(!memcmp(f.data, "worker", 6));
}
END_TEST

/* A counter track: under the thread's, a CounterDescriptor (even empty);
 * its values COUNTER events naming it, a double (field 44, fixed64), on
 * the thread's sequence, the first of which clears its state. */
START_TEST(counter_track_and_values)
{
	reset();
	struct ts_track proc = {.uuid = 0x1234, .sequence = 5, .pid = 10, .name = "app"};
	ts_pf_counter_track(&proc, &track, 0x5555, "cpu %", 90);
	ts_pf_counter(&track, 0x5555, 100, 42.5);
	ts_pf_counter(&track, 0x5555, 110, 0);
	ck_assert_int_eq(count_packets(), 3);
	struct pbr_field pkt, td, te, f;
	ck_assert(packet(0, &pkt));
	ck_assert(pbr_find(pkt.data, pkt.len, 10, &f));
	ck_assert_uint_eq(f.v, 5);   /* described on the process's sequence */
	ck_assert(pbr_find(pkt.data, pkt.len, 60, &td));
	ck_assert(pbr_find(td.data, td.len, 1, &f));
	ck_assert_uint_eq(f.v, 0x5555);
	ck_assert(pbr_find(td.data, td.len, 5, &f));
	ck_assert_uint_eq(f.v, 0xabcdef);
	ck_assert(pbr_find(td.data, td.len, 2, &f));
	ck_assert(f.len == 5 && !memcmp(f.data, "cpu %", 5));
	ck_assert(pbr_find(td.data, td.len, 8, &f));
	ck_assert_uint_eq(f.wire, PB_LEN);
	ck_assert(!pbr_find(td.data, td.len, 4, &f));   /* not a thread */
	for (int i = 1; i <= 2; i++) {
		ck_assert(packet(i, &pkt));
		ck_assert(pbr_find(pkt.data, pkt.len, 8, &f));
		ck_assert_uint_eq(f.v, i == 1 ? 100 : 110);
		ck_assert(pbr_find(pkt.data, pkt.len, 10, &f));
		ck_assert_uint_eq(f.v, 77);   /* the thread's sequence */
		ck_assert(pbr_find(pkt.data, pkt.len, 13, &f));
		ck_assert_uint_eq(f.v, i == 1 ? 3 : 2);
		ck_assert(pbr_find(pkt.data, pkt.len, 11, &te));
		ck_assert(pbr_find(te.data, te.len, 9, &f));
		ck_assert_uint_eq(f.v, 4);
		ck_assert(pbr_find(te.data, te.len, 11, &f));
		ck_assert_uint_eq(f.v, 0x5555);
		ck_assert(pbr_find(te.data, te.len, 44, &f));
		ck_assert_uint_eq(f.wire, PB_FIXED64);
		double v;
		memcpy(&v, &f.v, sizeof v);
		ck_assert(v == (i == 1 ? 42.5 : 0.0));
		ck_assert(!pbr_find(te.data, te.len, 23, &f) && !pbr_find(te.data, te.len, 10, &f));
	}
}
END_TEST

/* The annotation of the last packet's event with name (inline or interned
 * under iid name_iid), 1 when found. */
static int annotation_named(const struct pbr_field *pkt, const char *name, uint64_t name_iid,
			    struct pbr_field *out)
{
	struct pbr_field te, f;
	ck_assert(pbr_find(pkt->data, pkt->len, 11, &te));
	const uint8_t *p = te.data, *end = te.data + te.len;
	while (pbr_next(&p, end, out) == 1) {
		if (out->num != 4)
			continue;
		if (name && pbr_find(out->data, out->len, 10, &f) && f.len == strlen(name) &&
		    !memcmp(f.data, name, f.len))
			return 1;
		if (!name && pbr_find(out->data, out->len, 1, &f) && f.v == name_iid)
			return 1;
	}
	return 0;
}

/* Once a sequence has as many annotation names as it may intern, a new
 * name is written inline, whatever its value's type; a long value too. */
START_TEST(full_tables_write_inline)
{
	reset();
	static char keys[TS_INTERN_MAX][16];
	for (int i = 0; i < TS_INTERN_MAX; i += TS_MAX_ATTRS) {
		struct ts_span s = leaf("fill", 100 + (uint64_t)i, 101 + (uint64_t)i);
		for (int j = 0; j < TS_MAX_ATTRS && i + j < TS_INTERN_MAX; j++) {
			snprintf(keys[i + j], sizeof keys[0], "k%d", i + j);
			s.attrs[s.nattrs++] = (struct ts_attr){.key = keys[i + j], .dynkey = 1,
							       .type = TS_VAL_INT, .v.i = j};
		}
		ts_pf_span(&track, TS_SPAN_COMPLETE, &s);
		pb_clear(ts_pf_batch());
	}
	static char long_value[700];
	memset(long_value, 'v', sizeof long_value - 1);
	struct ts_span s = leaf("last", 1000000, 1000001);
	s.attrs[s.nattrs++] = (struct ts_attr){.key = "new.int", .dynkey = 1, .type = TS_VAL_INT,
					       .v.i = -5};
	s.attrs[s.nattrs++] = (struct ts_attr){.key = "new.double", .dynkey = 1,
					       .type = TS_VAL_DOUBLE, .v.d = 2.5};
	s.attrs[s.nattrs++] = (struct ts_attr){.key = "new.bool", .dynkey = 1, .type = TS_VAL_BOOL,
					       .v.b = true};
	s.attrs[s.nattrs++] = (struct ts_attr){.key = "new.long", .dynkey = 1, .type = TS_VAL_STR,
					       .v.s = long_value};
	ts_pf_span(&track, TS_SPAN_COMPLETE, &s);
	struct pbr_field pkt, da, f;
	ck_assert(packet(0, &pkt));
	ck_assert(annotation_named(&pkt, "new.int", 0, &da));
	ck_assert(pbr_find(da.data, da.len, 4, &f));
	ck_assert_int_eq((int64_t)f.v, -5);
	ck_assert(annotation_named(&pkt, "new.double", 0, &da));
	ck_assert(pbr_find(da.data, da.len, 5, &f));
	double d;
	memcpy(&d, &f.v, sizeof d);
	ck_assert(d == 2.5);
	ck_assert(annotation_named(&pkt, "new.bool", 0, &da));
	ck_assert(pbr_find(da.data, da.len, 2, &f));
	ck_assert_uint_eq(f.v, 1);
	ck_assert(annotation_named(&pkt, "new.long", 0, &da));
	ck_assert(pbr_find(da.data, da.len, 6, &f));
	ck_assert_uint_eq(f.len, sizeof long_value - 1);
	reset();
}
END_TEST

/* A value that is not a constant is interned by its text: written again
 * under the same name it has the same id, another text another id. */
START_TEST(repeated_values_keep_their_ids)
{
	reset();
	static const char *values[] = {"/a", "/a", "/b", "/a"};
	uint64_t iids[4];
	for (int i = 0; i < 4; i++) {
		char text[8];
		snprintf(text, sizeof text, "%s", values[i]);   /* a fresh buffer each time */
		struct ts_span s = leaf("open", 100 + 10 * (uint64_t)i, 105 + 10 * (uint64_t)i);
		ts_span_str(&s, "file.path", text);
		ts_pf_span(&track, TS_SPAN_COMPLETE, &s);
		struct pbr_field pkt, te, da, f;
		ck_assert(packet(2 * i, &pkt));
		ck_assert(pbr_find(pkt.data, pkt.len, 11, &te));
		ck_assert(pbr_find(te.data, te.len, 4, &da));
		ck_assert(pbr_find(da.data, da.len, 17, &f));
		iids[i] = f.v;
	}
	ck_assert_uint_eq(iids[0], iids[1]);
	ck_assert_uint_ne(iids[0], iids[2]);
	ck_assert_uint_eq(iids[0], iids[3]);
	reset();
}
END_TEST

/* A span's descriptor block (span.h), encoded once for its number and
 * copied after: the same bytes as encoding it each time. */
START_TEST(descriptor_blocks_as_encoded)
{
	static void *state2;
	const struct ts_track track2 = {.uuid = 0xabcdef, .parent_uuid = 0x1234, .sequence = 77,
					.pid = 10, .tid = 11, .name = "worker", .sink_state = &state2};
	struct pb with = {0};
	char addr[16];
	for (int round = 0; round < 2; round++) {
		reset();
		for (int i = 0; i < 6; i++) {
			struct ts_span s = leaf("recv", 100 + 10 * (uint64_t)i, 105 + 10 * (uint64_t)i);
			snprintf(addr, sizeof addr, "10.0.0.%d", i / 3);   /* a new description at 3 */
			ts_span_int(&s, "before", i);
			s.desc_first = s.nattrs;
			ts_span_int(&s, "traceshim.fd", 5);
			ts_span_const(&s, "traceshim.fd.type", "socket");
			ts_span_str(&s, "network.peer.address", addr);
			s.desc_count = s.nattrs - s.desc_first;
			s.desc_stamp = round ? 0 : 40 + (uint64_t)(i / 3);
			ts_span_int(&s, "traceshim.io.bytes", 10 * i);
			ts_pf_span(round ? &track2 : &track, TS_SPAN_COMPLETE, &s);
		}
		if (!round) {
			pb_raw(&with, ts_pf_batch()->data, ts_pf_batch()->len);
			pb_clear(ts_pf_batch());
		}
	}
	ck_assert_uint_eq(with.len, ts_pf_batch()->len);
	ck_assert(!memcmp(with.data, ts_pf_batch()->data, with.len));
	pb_free(&with);
	ts_pf_forget(&state2);
	reset();
}
END_TEST

/* The calls rolled up into a span are annotations on its END (the importer
 * adds them to the slice it closes) or on the BEGIN of a complete one. */
START_TEST(rolled_calls_are_annotations)
{
	reset();
	struct ts_attr rolled[2] = {
		{.key = "traceshim.calls.write.count", .type = TS_VAL_INT, .v.i = 50},
		{.key = "traceshim.calls.write.time_ns", .type = TS_VAL_INT, .v.i = 900},
	};
	struct ts_span b = leaf("thread", 10, 10);
	ts_span_int(&b, "thread.id", 11);
	ts_pf_span(&track, TS_SPAN_BEGIN, &b);
	struct ts_span e = {.end_ns = 90, .rolled = rolled, .nrolled = 2};
	ts_pf_span(&track, TS_SPAN_END, &e);
	struct pbr_field pkt, te, f;
	ck_assert(packet(1, &pkt));
	ck_assert(pbr_find(pkt.data, pkt.len, 11, &te));
	ck_assert(pbr_find(te.data, te.len, 9, &f));
	ck_assert_uint_eq(f.v, 2);   /* SLICE_END */
	ck_assert_int_eq(pbr_count(te.data, te.len, 4), 2);
	struct ts_span c = leaf("SSL_write", 100, 200);
	ts_span_int(&c, "traceshim.fd", 3);
	c.rolled = rolled;
	c.nrolled = 2;
	ts_pf_span(&track, TS_SPAN_COMPLETE, &c);
	ck_assert(packet(2, &pkt));
	ck_assert(pbr_find(pkt.data, pkt.len, 11, &te));
	ck_assert_int_eq(pbr_count(te.data, te.len, 4), 3);
}
END_TEST

/* How many packets write a flow id in [lo, hi) as a start (TrackEvent
 * field 47), in one pass; the timestamp of the last in *ts. */
static int starts_in(uint64_t lo, uint64_t hi, uint64_t *ts)
{
	int n = 0;
	struct pb *b = ts_pf_batch();
	const uint8_t *p = b->data, *end = b->data + b->len;
	struct pbr_field pkt, te, f, t;
	while (pbr_next(&p, end, &pkt) == 1) {
		if (!pbr_find(pkt.data, pkt.len, 11, &te) || !pbr_find(te.data, te.len, 47, &f) ||
		    f.v < lo || f.v >= hi)
			continue;
		n++;
		if (pbr_find(pkt.data, pkt.len, 8, &t))
			*ts = t.v;
	}
	return n;
}

static int starts_of(uint64_t id, uint64_t *ts)
{
	return starts_in(id, id + 1, ts);
}

/* A process track for the arrows' missing starts, the tables emptied. */
static void *flows_proc_state;
static const struct ts_track flows_proc = {
	.uuid = 0x1234, .sequence = 78, .pid = 10, .name = "proc", .sink_state = &flows_proc_state,
};

static void flows_begin(void)
{
	reset();
	ts_pf_forget(&flows_proc_state);
	ts_pf_flows_close();
	ts_pf_flows_process(&flows_proc);
}

START_TEST(unmatched_flow_ends_get_a_start)
{
	/* Waits on a thread track whose arrows end there: one whose release
	 * was written before, one whose release comes after (another ring),
	 * one whose release never comes (the process ended first). Only the
	 * last gets a start of its own, on the process track, at the close;
	 * an end on a track that is not a thread's (its start may be another
	 * process's) never does. */
	flows_begin();
	const uint64_t before = 0xb0, after = 0xa0, never = 0xdead, other = 0x0e;
	struct ts_span release = leaf("pthread_mutex_unlock", 100, 110);
	release.flow_out = before;
	ts_pf_span(&track, TS_SPAN_COMPLETE, &release);
	struct ts_span w1 = leaf("pthread_mutex_lock", 90, 120), w2 = leaf("pthread_mutex_lock", 200, 300),
		       w3 = leaf("pthread_mutex_lock", 400, 500), p = leaf("proc", 5, 5);
	w1.flow_in_end = before;
	w2.flow_in_end = after;
	w3.flow_in_end = never;
	p.flow_in = other;
	ts_pf_span(&track, TS_SPAN_COMPLETE, &w1);
	ts_pf_span(&track, TS_SPAN_COMPLETE, &w2);
	ts_pf_span(&track, TS_SPAN_COMPLETE, &w3);
	ts_pf_span(&flows_proc, TS_SPAN_BEGIN, &p);
	struct ts_span late = leaf("pthread_mutex_unlock", 250, 260);
	late.flow_out = after;
	ts_pf_span(&track, TS_SPAN_COMPLETE, &late);
	int written = count_packets();
	ts_pf_flows_close();
	ck_assert_int_eq(count_packets(), written + 1);
	uint64_t ts = 0;
	ck_assert_int_eq(starts_of(never, &ts), 1);
	ck_assert_uint_eq(ts, 499);
	ck_assert_int_eq(starts_of(before, &ts), 1);
	ck_assert_int_eq(starts_of(after, &ts), 1);
	ck_assert_int_eq(starts_of(other, &ts), 0);
	ts_pf_flows_close();   /* nothing is left for a second close */
	ck_assert_int_eq(count_packets(), written + 1);
	ts_pf_forget(&flows_proc_state);
}
END_TEST

START_TEST(many_ends_before_their_starts_get_none)
{
	/* Thousands of short threads joined: each join's end is written
	 * before the thread's ring, which holds its start, is read. None of
	 * them gets a start of its own; only one whose start never comes
	 * does, at the close. (A table of 256 that put out its newest gave
	 * hundreds of them.) */
	flows_begin();
	enum { N = 3000 };
	for (uint64_t i = 0; i < N; i++) {
		struct ts_span w = leaf("pthread_join", 1000 + 10 * i, 1005 + 10 * i);
		w.flow_in_end = 0x10000 + i;
		ts_pf_span(&track, TS_SPAN_COMPLETE, &w);
	}
	struct ts_span lost = leaf("pthread_join", 90000, 90010);
	lost.flow_in_end = 0xdead;
	ts_pf_span(&track, TS_SPAN_COMPLETE, &lost);
	for (uint64_t i = 0; i < N; i++) {
		struct ts_span end = leaf("thread", 1001 + 10 * i, 1002 + 10 * i);
		end.flow_out = 0x10000 + i;
		ts_pf_span(&track, TS_SPAN_COMPLETE, &end);
	}
	int written = count_packets();
	ts_pf_flows_close();
	ck_assert_int_eq(count_packets(), written + 1);
	uint64_t ts = 0;
	ck_assert_int_eq(starts_of(0xdead, &ts), 1);
	ck_assert_uint_eq(ts, 90009);
	ck_assert_int_eq(starts_in(0x10000, 0x10000 + N, &ts), N);   /* the threads' own */
	ts_pf_forget(&flows_proc_state);
}
END_TEST

TS_CHECK_SUITE("perfetto",
	       unmatched_flow_ends_get_a_start,
	       many_ends_before_their_starts_get_none,
	       rolled_calls_are_annotations,
	       first_packet_clears_and_sets_defaults,
	       names_and_values_interned_once,
	       flows_are_unpacked_fixed64,
	       failed_call_gets_marker_and_status,
	       thread_descriptor,
	       counter_track_and_values,
	       full_tables_write_inline,
	       repeated_values_keep_their_ids,
	       descriptor_blocks_as_encoded)
