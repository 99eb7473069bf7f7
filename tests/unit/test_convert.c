/* OTLP -> Perfetto: services become processes, overlapping spans get lanes. */
#include "check_main.h"
#include "convert.h"
#include "perfetto.h"
#include "encode.h"
#include "pbread.h"

#include <stdio.h>
#include <stdlib.h>

static int flows_out, flows_in;

/* Counts track descriptors, SLICE_BEGINs, INSTANTs and flow ends in the batch. */
static void count(int *descriptors, int *begins, int *errors_marked)
{
	struct pb *b = ts_pf_batch();
	const uint8_t *p = b->data, *end = b->data + b->len;
	struct pbr_field pkt, te, f;
	*descriptors = *begins = *errors_marked = flows_out = flows_in = 0;
	while (pbr_next(&p, end, &pkt) == 1) {
		if (pbr_find(pkt.data, pkt.len, 60, &f))
			(*descriptors)++;
		if (pbr_find(pkt.data, pkt.len, 11, &te) && pbr_find(te.data, te.len, 9, &f)) {
			*begins += f.v == 1;
			*errors_marked += f.v == 3;
			flows_out += pbr_count(te.data, te.len, 47);
			flows_in += pbr_count(te.data, te.len, 48);
		}
	}
}

START_TEST(lanes_and_processes)
{
	static const uint8_t trace_id[16] = {9};
	struct ts_attr resource[] = {{.key = "service.name", .type = TS_VAL_STR, .v.s = "checkout"},
				     {.key = "process.pid", .type = TS_VAL_INT, .v.i = 77}};
	struct ts_span spans[3] = {
		{.name = "root", .start_ns = 1000, .end_ns = 2000, .span_id = 1, .kind = 2},
		{.name = "a", .start_ns = 1100, .end_ns = 1600, .span_id = 2, .parent_id = 1, .kind = 3},
		{.name = "b", .start_ns = 1500, .end_ns = 1900, .span_id = 3, .parent_id = 1, .kind = 3,
		 .status = TS_STATUS_ERROR, .status_message = "timeout"},
	};
	struct ts_otlp_batch batch = {.trace_id = trace_id, .resource = resource, .nresource = 2,
				      .scope_name = "test", .scope_version = "1", .spans = spans, .nspans = 3};
	uint8_t *body;
	size_t len = ts_otlp_encode(&batch, &body);
	ck_assert_uint_gt(len, 0);

	pb_clear(ts_pf_batch());
	struct ts_convert *cv = ts_convert_new();
	ck_assert_int_eq(ts_convert_request(cv, body, len), 3);
	int descriptors, begins, instants;
	count(&descriptors, &begins, &instants);
	ck_assert_int_eq(descriptors, 3);   /* the process and two lanes: a and b overlap */
	ck_assert_int_eq(begins, 3);
	ck_assert_int_eq(instants, 1);      /* the failed span's marker */
	/* b sits on its own lane: an arrow from root to it; a nests under root. */
	ck_assert_int_eq(flows_out, 1);
	ck_assert_int_eq(flows_in, 1);

	/* The same service again: no second process descriptor. */
	pb_clear(ts_pf_batch());
	ck_assert_int_eq(ts_convert_request(cv, body, len), 3);
	count(&descriptors, &begins, &instants);
	ck_assert_int_eq(descriptors, 2);
	ts_convert_free(cv);
	free(body);
}
END_TEST

/* The first flow id an event of the batch begins or continues (0: none). */
static uint64_t first_flow_out(void)
{
	struct pb *b = ts_pf_batch();
	const uint8_t *p = b->data, *end = b->data + b->len;
	struct pbr_field pkt, te, f;
	while (pbr_next(&p, end, &pkt) == 1)
		if (pbr_find(pkt.data, pkt.len, 11, &te) && pbr_find(te.data, te.len, 47, &f))
			return f.v;
	return 0;
}

static long send_one(struct ts_convert *cv, const struct ts_span *s)
{
	static const uint8_t trace_id[16] = {7};
	struct ts_attr resource[] = {{.key = "service.name", .type = TS_VAL_STR, .v.s = "svc"}};
	struct ts_otlp_batch batch = {.trace_id = trace_id, .resource = resource, .nresource = 1,
				      .scope_name = "test", .spans = s, .nspans = 1};
	uint8_t *body;
	size_t len = ts_otlp_encode(&batch, &body);
	pb_clear(ts_pf_batch());
	long n = ts_convert_request(cv, body, len);
	free(body);
	return n;
}

/* Children are exported before their parent, in earlier requests: the
 * parent, when it comes, draws an arrow to each of them. */
START_TEST(parent_in_a_later_request)
{
	struct ts_convert *cv = ts_convert_new();
	struct ts_span child = {.name = "child", .start_ns = 1100, .end_ns = 1200, .span_id = 5,
				.parent_id = 4, .kind = 1};
	struct ts_span parent = {.name = "parent", .start_ns = 1000, .end_ns = 2000, .span_id = 4,
				 .kind = 1};
	int descriptors, begins, instants;
	ck_assert_int_eq(send_one(cv, &child), 1);
	count(&descriptors, &begins, &instants);
	ck_assert_int_eq(flows_out, 1);
	ck_assert_int_eq(flows_in, 0);   /* an id seen once draws nothing if no parent comes */
	uint64_t id = first_flow_out();
	ck_assert_uint_ne(id, 0);

	ck_assert_int_eq(send_one(cv, &parent), 1);
	count(&descriptors, &begins, &instants);
	ck_assert_int_eq(flows_out, 1);
	ck_assert_uint_eq(first_flow_out(), id);

	/* Taken once: the parent sent again draws no second arrow. */
	ck_assert_int_eq(send_one(cv, &parent), 1);
	count(&descriptors, &begins, &instants);
	ck_assert_int_eq(flows_out, 0);
	ts_convert_free(cv);
}
END_TEST

START_TEST(corrupt_bodies_are_refused)
{
	struct ts_convert *cv = ts_convert_new();
	static const uint8_t junk[] = {0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01};
	ck_assert_int_eq(ts_convert_request(cv, junk, sizeof junk), -1);
	unsigned seed = 3;
	uint8_t buf[300];
	for (int round = 0; round < 3000; round++) {
		size_t n = (size_t)(rand_r(&seed) % sizeof buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		pb_clear(ts_pf_batch());
		(void)ts_convert_request(cv, buf, n);   /* must not crash */
	}
	ck_assert_int_eq(ts_convert_request(cv, NULL, 0), 0);   /* an empty request is valid */
	ts_convert_free(cv);
}
END_TEST

/* A span with all the attributes of its own it may have keeps the calls
 * rolled up into it too, as the shim's exporters have them. */
START_TEST(rolled_up_calls_kept_apart)
{
	struct ts_convert *cv = ts_convert_new();
	struct ts_span s = {.name = "GET", .start_ns = 1000, .end_ns = 2000, .span_id = 9, .kind = 2};
	static char keys[TS_MAX_ATTRS][16];
	for (int i = 0; i < TS_MAX_ATTRS; i++) {
		snprintf(keys[i], sizeof keys[i], "app.k%d", i);
		ts_span_int(&s, keys[i], i);
	}
	struct ts_attr rolled[] = {
		{.key = "traceshim.calls.read.count", .type = TS_VAL_INT, .v.i = 4},
		{.key = "traceshim.calls.read.time_ns", .type = TS_VAL_INT, .v.i = 400},
	};
	s.rolled = rolled;
	s.nrolled = 2;
	ck_assert_int_eq(send_one(cv, &s), 1);
	struct pb *b = ts_pf_batch();
	const uint8_t *p = b->data, *end = b->data + b->len;
	struct pbr_field pkt, te, f;
	int annotations = -1;
	while (pbr_next(&p, end, &pkt) == 1)
		if (pbr_find(pkt.data, pkt.len, 11, &te) && pbr_find(te.data, te.len, 9, &f) && f.v == 1)
			annotations = pbr_count(te.data, te.len, 4);
	ck_assert_int_eq(annotations, TS_MAX_ATTRS + 2);
	ts_convert_free(cv);
}
END_TEST

TS_CHECK_SUITE("convert",
	       rolled_up_calls_kept_apart,
	       lanes_and_processes,
	       parent_in_a_later_request,
	       corrupt_bodies_are_refused)
