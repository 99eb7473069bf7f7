/* OTLP span batches: spans copied with their strings, times moved to the
 * Unix epoch, and a full batch refusing more. */
#include "check_main.h"
#include "batch.h"

#include <string.h>

START_TEST(copies_and_shifts)
{
	struct ts_batch *b = ts_batch_new(2);
	ck_assert_ptr_nonnull(b);
	char name[16] = "read", path[32] = "/tmp/data", msg[32] = "No such file";
	struct ts_span s = {.name = name, .start_ns = 100, .end_ns = 250, .span_id = 9,
			    .status = TS_STATUS_ERROR, .status_message = msg, .error_type = "ENOENT"};
	ts_span_str(&s, "file.path", path);
	ts_span_const(&s, "traceshim.fd.type", "file");
	ts_span_int(&s, "traceshim.fd", 3);
	struct ts_attr rolled[] = {{.key = "traceshim.calls.read.count", .type = TS_VAL_INT, .v.i = 5}};
	s.rolled = rolled;
	s.nrolled = 1;
	ck_assert(ts_batch_add(b, &s, 1000000));
	rolled[0].v.i = 0;
	/* The drainer reuses its memory: the batch must not see it change. */
	strcpy(name, "XXXX");
	strcpy(path, "/overwritten");
	strcpy(msg, "gone");
	const struct ts_span *c = &b->spans[0];
	ck_assert_str_eq(c->name, "read");
	ck_assert_str_eq(c->attrs[0].v.s, "/tmp/data");
	ck_assert_str_eq(c->status_message, "No such file");
	ck_assert_str_eq(c->error_type, "ENOENT");
	ck_assert_str_eq(c->attrs[1].v.s, "file");
	ck_assert_int_eq(c->attrs[2].v.i, 3);
	ck_assert_uint_eq(c->nrolled, 1);
	ck_assert_ptr_ne(c->rolled, rolled);
	ck_assert_int_eq(c->rolled[0].v.i, 5);
	ck_assert_uint_eq(c->start_ns, 1000100);
	ck_assert_uint_eq(c->end_ns, 1000250);

	/* Long strings get room of their own. */
	static char big[200000];
	memset(big, 'a', sizeof big - 1);
	struct ts_span l = {.name = big};
	ck_assert(ts_batch_add(b, &l, 0));
	ck_assert_uint_eq(strlen(b->spans[1].name), sizeof big - 1);
	ck_assert(!ts_batch_add(b, &s, 0));   /* full */
	ck_assert_uint_eq(b->n, 2);
	ts_batch_free(b);
}
END_TEST

TS_CHECK_SUITE("batch", copies_and_shifts)
