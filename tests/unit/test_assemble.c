/* Begin/end pairs become whole spans, with their own copies of strings. */
#include "assemble.h"
#include "check_main.h"

#include <stdio.h>
#include <string.h>

START_TEST(nested_pairs)
{
	struct ts_assembler a = {0};
	char scratch[32];
	strcpy(scratch, "outer");
	struct ts_span outer = {.name = scratch, .start_ns = 10, .span_id = 1};
	ts_span_str(&outer, "thread.name", scratch);
	ck_assert(ts_assemble_begin(&a, &outer));
	strcpy(scratch, "inner");   /* the drainer reuses its buffers */
	struct ts_span inner = {.name = scratch, .start_ns = 20, .span_id = 2, .parent_id = 1};
	ck_assert(ts_assemble_begin(&a, &inner));
	ck_assert_uint_eq(ts_assemble_open(&a), 2);

	struct ts_span done, end = {.end_ns = 30};
	ck_assert(ts_assemble_end(&a, &end, &done));
	ck_assert_str_eq(done.name, "inner");
	ck_assert_uint_eq(done.start_ns, 20);
	ck_assert_uint_eq(done.end_ns, 30);
	ck_assert(done.parent_id == 1);

	/* The calls rolled up into it come with its end. */
	struct ts_attr rolled[] = {{.key = "traceshim.calls.read.count", .type = TS_VAL_INT, .v.i = 2}};
	struct ts_span end2 = {.end_ns = 50, .status = TS_STATUS_ERROR, .status_message = "boom",
			       .rolled = rolled, .nrolled = 1};
	ts_span_int(&end2, "traceshim.dropped_spans", 3);
	ck_assert(ts_assemble_end(&a, &end2, &done));
	ck_assert_str_eq(done.name, "outer");
	ck_assert_str_eq(done.attrs[0].v.s, "outer");
	ck_assert_str_eq(done.attrs[1].key, "traceshim.dropped_spans");
	ck_assert_int_eq(done.attrs[1].v.i, 3);
	ck_assert_int_eq(done.status, TS_STATUS_ERROR);
	ck_assert_str_eq(done.status_message, "boom");
	ck_assert_uint_eq(done.nrolled, 1);
	ck_assert_int_eq(done.rolled[0].v.i, 2);
	ck_assert(!ts_assemble_end(&a, &end, &done));
	ts_assemble_free(&a);
}
END_TEST

START_TEST(end_before_start_is_clamped)
{
	struct ts_assembler a = {0};
	struct ts_span s = {.name = "x", .start_ns = 100};
	ck_assert(ts_assemble_begin(&a, &s));
	struct ts_span end = {.end_ns = 90}, done;
	ck_assert(ts_assemble_end(&a, &end, &done));
	ck_assert_uint_eq(done.end_ns, 100);
	ts_assemble_free(&a);
}
END_TEST

START_TEST(deep_stacks_grow)
{
	struct ts_assembler a = {0};
	char name[16];
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof name, "level %d", i);
		struct ts_span s = {.name = name, .start_ns = (uint64_t)i};
		ck_assert(ts_assemble_begin(&a, &s));
	}
	struct ts_span end = {.end_ns = 1000}, done;
	for (int i = 99; i >= 0; i--) {
		ck_assert(ts_assemble_end(&a, &end, &done));
		ck_assert_uint_eq(done.start_ns, (uint64_t)i);
		snprintf(name, sizeof name, "level %d", i);
		ck_assert_str_eq(done.name, name);   /* still valid after the stack grew */
	}
	ts_assemble_free(&a);
}
END_TEST

TS_CHECK_SUITE("assemble",
	       nested_pairs,
	       end_before_start_is_clamped,
	       deep_stacks_grow)
