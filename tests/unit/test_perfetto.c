/* The Perfetto encoder, read back field by field. */
#include "check_main.h"
#include "perfetto.h"
#include "pbread.h"

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
	struct pbr_field f;
	int n = 0;
	while (packet(n, &f))
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

TS_CHECK_SUITE("perfetto",
	       rolled_calls_are_annotations,
	       first_packet_clears_and_sets_defaults,
	       names_and_values_interned_once,
	       flows_are_unpacked_fixed64,
	       failed_call_gets_marker_and_status,
	       thread_descriptor)
