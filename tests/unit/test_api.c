/* traceshim.h on one thread, against the recording test double: nesting,
 * the current span, status, attributes, events, copying and limits, the
 * calls that must be ignored, traceparent and the record's own queries. */
#include "api_check.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const struct ts_api *ts_api_get(unsigned version);

START_TEST(the_double_is_found)
{
	ck_assert(ts_enabled());
	ck_assert_ptr_nonnull(dlsym((void *)0, "ts_api_get"));
	ck_assert_ptr_null(ts_api_get(0));
	const struct ts_api *api = ts_api_get(TRACESHIM_API_VERSION);
	ck_assert_ptr_nonnull(api);
	ck_assert_uint_eq(api->version, 1);
	ck_assert_uint_eq(api->size, sizeof(struct ts_api));
	ck_assert_uint_eq(ts_testing_span_count(), 0);
	ck_assert_uint_eq(ts_span_current(), 0);
}
END_TEST

START_TEST(begin_nests_and_end_pops)
{
	ts_span_t a = ts_span_begin("outer", TS_NO_ATTRS);
	ck_assert_uint_ne(a, 0);
	ck_assert_uint_eq(ts_span_current(), a);
	ts_span_t b = ts_span_begin("inner", TS_NO_ATTRS);
	ck_assert_uint_ne(b, 0);
	ck_assert_uint_ne(b, a);
	ck_assert_uint_eq(ts_span_current(), b);
	ck_assert_uint_eq(ts_testing_depth(), 2);
	ck_assert_uint_eq(ts_context_capture().span, b);
	ck_assert_uint_eq(ts_context_capture().handoff, 0);

	ts_span_end(b, TS_STATUS_OK);
	ck_assert_uint_eq(ts_span_current(), a);
	ts_span_end(a, TS_STATUS_UNSET);
	ck_assert_uint_eq(ts_span_current(), 0);
	ck_assert_uint_eq(ts_testing_depth(), 0);

	ck_assert_uint_eq(ts_testing_span_count(), 2);
	const ts_testing_span_t *outer = ts_testing_span(0), *inner = ts_testing_span(1);
	ck_assert_ptr_null(ts_testing_span(2));
	ck_assert_str_eq(outer->name, "outer");
	ck_assert_str_eq(inner->name, "inner");
	ck_assert_uint_eq(outer->handle, a);
	ck_assert_uint_eq(outer->parent, 0);
	ck_assert_uint_eq(inner->parent, a);
	ck_assert_ptr_eq(ts_testing_parent(inner), outer);
	ck_assert_ptr_null(ts_testing_parent(outer));
	ck_assert_uint_eq(ts_testing_child_count(outer), 1);
	ck_assert_ptr_eq(ts_testing_child(outer, 0), inner);
	ck_assert_ptr_null(ts_testing_child(outer, 1));
	ck_assert_int_eq(inner->kind, TS_TESTING_SCOPED);
	ck_assert(outer->ended && inner->ended);
	ck_assert_int_eq(inner->status, TS_STATUS_OK);
	ck_assert_int_eq(outer->status, TS_STATUS_UNSET);
	ck_assert_uint_eq(outer->begin_thread, 0);
	ck_assert_uint_eq(inner->end_thread, 0);
	/* begin outer, begin inner, end inner, end outer */
	ck_assert_uint_eq(outer->begin_seq, 1);
	ck_assert_uint_eq(inner->begin_seq, 2);
	ck_assert_uint_eq(inner->end_seq, 3);
	ck_assert_uint_eq(outer->end_seq, 4);
	ck_assert_uint_eq(ts_testing_open_count(), 0);
}
END_TEST

START_TEST(ending_a_span_ends_the_spans_begun_inside)
{
	ts_span_t other = ts_span_start("elsewhere", TS_NO_ATTRS);
	ts_span_t a = ts_span_begin("a", TS_NO_ATTRS);
	ts_span_t b = ts_span_begin("b", TS_NO_ATTRS);
	ts_scope_t scope = ts_context_attach(ts_span_context(other));
	ck_assert_uint_ne(scope, 0);
	ck_assert_uint_eq(ts_span_current(), other);
	ts_span_t c = ts_span_begin("c", TS_NO_ATTRS);
	ck_assert_uint_eq(span_of(c)->parent, other);
	ck_assert_uint_eq(ts_testing_depth(), 4);

	ts_span_end(a, TS_STATUS_OK);
	ck_assert_uint_eq(ts_span_current(), 0);
	ck_assert_uint_eq(ts_testing_depth(), 0);
	ck_assert_int_eq(span_of(a)->status, TS_STATUS_OK);
	ck_assert_int_eq(span_of(b)->status, TS_STATUS_UNSET);
	ck_assert_int_eq(span_of(c)->status, TS_STATUS_UNSET);
	ck_assert(span_of(b)->ended && span_of(c)->ended);
	/* Innermost first. */
	ck_assert_uint_lt(span_of(c)->end_seq, span_of(b)->end_seq);
	ck_assert_uint_lt(span_of(b)->end_seq, span_of(a)->end_seq);
	/* The attached span is not ended by leaving it. */
	ck_assert(!span_of(other)->ended);
	ck_assert_uint_eq(ts_testing_open_count(), 1);
	/* Its scope is gone: detaching it now does nothing. */
	ts_span_t d = ts_span_begin("d", TS_NO_ATTRS);
	ts_context_detach(scope);
	ck_assert_uint_eq(ts_span_current(), d);
	ck_assert(!span_of(d)->ended);
}
END_TEST

START_TEST(start_does_not_change_the_current_span)
{
	ts_span_t a = ts_span_begin("a", TS_NO_ATTRS);
	ts_span_t s = ts_span_start("async", TS_NO_ATTRS);
	ck_assert_uint_ne(s, 0);
	ck_assert_uint_eq(ts_span_current(), a);
	ck_assert_uint_eq(ts_testing_depth(), 1);
	ts_span_t b = ts_span_begin("b", TS_NO_ATTRS);
	ck_assert_uint_eq(span_of(b)->parent, a);
	ck_assert_uint_eq(span_of(s)->parent, a);
	ck_assert_int_eq(span_of(s)->kind, TS_TESTING_ASYNC);
	/* Ending a does not end s, which is not on the stack. */
	ts_span_end(a, TS_STATUS_UNSET);
	ck_assert(!span_of(s)->ended);
	ts_span_end(s, TS_STATUS_ERROR);
	ck_assert(span_of(s)->ended);
	ck_assert_int_eq(span_of(s)->status, TS_STATUS_ERROR);
	ck_assert_uint_eq(ts_span_current(), 0);
}
END_TEST

START_TEST(status_rules)
{
	ts_span_t ok = ts_span_start("ok", TS_NO_ATTRS);
	ts_span_t err = ts_span_start("err", TS_NO_ATTRS);
	ts_span_t unset = ts_span_start("unset", TS_NO_ATTRS);
	ts_span_t failed = ts_span_start("failed", TS_NO_ATTRS);
	ts_span_t recovered = ts_span_start("recovered", TS_NO_ATTRS);
	ts_span_t odd = ts_span_start("odd", TS_NO_ATTRS);
	ts_span_error(failed, "IOError", "disk full");
	ts_span_error(recovered, "Timeout", "slow");
	ck_assert_int_eq(span_of(failed)->status, TS_STATUS_ERROR);   /* while open */
	ck_assert(!span_of(failed)->ended);
	ts_span_end(ok, TS_STATUS_OK);
	ts_span_end(err, TS_STATUS_ERROR);
	ts_span_end(unset, TS_STATUS_UNSET);
	ts_span_end(failed, TS_STATUS_UNSET);
	ts_span_end(recovered, TS_STATUS_OK);
	ts_span_end(odd, (ts_status_code_t)7);
	ck_assert_int_eq(span_of(ok)->status, TS_STATUS_OK);
	ck_assert_int_eq(span_of(err)->status, TS_STATUS_ERROR);
	ck_assert_int_eq(span_of(unset)->status, TS_STATUS_UNSET);
	ck_assert_int_eq(span_of(failed)->status, TS_STATUS_ERROR);
	ck_assert_int_eq(span_of(recovered)->status, TS_STATUS_OK);
	ck_assert_int_eq(span_of(odd)->status, TS_STATUS_UNSET);
	ck_assert(span_of(odd)->ended);
	ck_assert(!span_of(err)->error);
	ck_assert(span_of(recovered)->error);
}
END_TEST

START_TEST(error_records_an_exception_event)
{
	ts_span_t s = ts_span_begin("load", TS_ATTRS(ts_int("size", 3)));
	ts_span_error(s, "IOError", "disk full");
	const ts_testing_span_t *r = span_of(s);
	ck_assert(r->error);
	ck_assert_str_eq(r->error_type, "IOError");
	ck_assert_str_eq(r->error_message, "disk full");
	ck_assert_str_eq(ts_testing_attr_str(r, "error.type"), "IOError");
	ck_assert_uint_eq(r->nevents, 1);
	const ts_testing_event_t *e = ts_testing_event(r, 0);
	ck_assert_str_eq(e->name, "exception");
	ck_assert_uint_eq(e->nattrs, 2);
	ck_assert_str_eq(ts_testing_event_attr(e, "exception.type")->value.s, "IOError");
	ck_assert_str_eq(ts_testing_event_attr(e, "exception.message")->value.s, "disk full");
	ck_assert_ptr_eq(ts_testing_event_find(r, "exception"), e);

	/* A second error: another event, the last one wins, error.type replaced. */
	ts_span_error(s, NULL, NULL);
	ck_assert_uint_eq(r->nevents, 2);
	ck_assert_str_eq(r->error_type, "error");
	ck_assert_str_eq(r->error_message, "");
	ck_assert_str_eq(ts_testing_attr_str(r, "error.type"), "error");
	ck_assert_uint_eq(r->nattrs, 2);
	ck_assert_str_eq(ts_testing_event_attr(ts_testing_event(r, 1), "exception.type")->value.s,
			 "error");
	ts_span_end(s, TS_STATUS_UNSET);
	ck_assert_int_eq(r->status, TS_STATUS_ERROR);
}
END_TEST

START_TEST(attributes_are_typed_and_replaced_by_key)
{
	ts_span_t s = ts_span_begin("resize", TS_ATTRS(ts_str("file", "a.png"), ts_int("width", -640),
							ts_double("scale", 0.5), ts_bool("cached", true)));
	const ts_testing_span_t *r = span_of(s);
	ck_assert_uint_eq(r->nattrs, 4);
	ck_assert_str_eq(r->attrs[0].key, "file");
	ck_assert_int_eq(r->attrs[0].type, TS_ATTRIBUTE_STRING);
	ck_assert_str_eq(ts_testing_attr_str(r, "file"), "a.png");
	ck_assert_int_eq(ts_testing_attr(r, "width")->type, TS_ATTRIBUTE_INT);
	ck_assert_int_eq(ts_testing_attr(r, "width")->value.i, -640);
	ck_assert_int_eq(ts_testing_attr(r, "scale")->type, TS_ATTRIBUTE_DOUBLE);
	ck_assert_double_eq(ts_testing_attr(r, "scale")->value.d, 0.5);
	ck_assert_int_eq(ts_testing_attr(r, "cached")->type, TS_ATTRIBUTE_BOOL);
	ck_assert(ts_testing_attr(r, "cached")->value.b);
	ck_assert_ptr_null(ts_testing_attr(r, "height"));
	ck_assert_ptr_null(ts_testing_attr_str(r, "width"));   /* not a string */

	ts_span_set(s, TS_ATTRS(ts_int("file", 7), ts_int("height", 480)));
	ck_assert_uint_eq(r->nattrs, 5);
	ck_assert_str_eq(r->attrs[0].key, "file");   /* replaced in place */
	ck_assert_int_eq(r->attrs[0].type, TS_ATTRIBUTE_INT);
	ck_assert_int_eq(r->attrs[0].value.i, 7);
	ck_assert_str_eq(r->attrs[4].key, "height");
	ck_assert_uint_eq(r->dropped_attrs, 0);

	/* Skipped, not counted: no key, empty key, unknown type, NULL string. */
	ts_attribute_t bad[4] = {ts_int(NULL, 1), ts_int("", 2), ts_int("t", 3), ts_str("n", NULL)};
	bad[2].type = 9;
	ts_span_set(s, bad, 4);
	ck_assert_uint_eq(r->nattrs, 5);
	ck_assert_uint_eq(r->dropped_attrs, 0);
}
END_TEST

START_TEST(at_most_16_attributes_per_span)
{
	char keys[20][8];
	ts_attribute_t many[20];
	for (int i = 0; i < 20; i++) {
		snprintf(keys[i], sizeof keys[i], "k%d", i);
		many[i] = ts_int(keys[i], i);
	}
	ts_span_t s = ts_span_begin("many", many, 20);
	const ts_testing_span_t *r = span_of(s);
	ck_assert_uint_eq(r->nattrs, 16);
	ck_assert_uint_eq(r->dropped_attrs, 4);
	ck_assert_int_eq(ts_testing_attr(r, "k15")->value.i, 15);
	ck_assert_ptr_null(ts_testing_attr(r, "k16"));
	/* Full: a known key is still replaced, a new one dropped. */
	ts_span_set(s, TS_ATTRS(ts_int("k3", 99), ts_bool("new", false)));
	ck_assert_int_eq(ts_testing_attr(r, "k3")->value.i, 99);
	ck_assert_ptr_null(ts_testing_attr(r, "new"));
	ck_assert_uint_eq(r->nattrs, 16);
	ck_assert_uint_eq(r->dropped_attrs, 5);
}
END_TEST

START_TEST(text_is_copied_and_cut)
{
	char name[300], key[100], value[400], event[16];
	strcpy(name, "first");
	strcpy(key, "user");
	strcpy(value, "alice");
	strcpy(event, "retry");
	ts_span_t s = ts_span_begin(name, TS_ATTRS(ts_str(key, value)));
	ts_span_event(s, event, TS_ATTRS(ts_str(key, value)));
	ts_context_t ctx = ts_handoff(ts_span_context(s), event);
	memset(name, 'X', sizeof name - 1);
	memset(key, 'X', sizeof key - 1);
	memset(value, 'X', sizeof value - 1);
	memset(event, 'X', sizeof event - 1);
	const ts_testing_span_t *r = span_of(s);
	ck_assert_str_eq(r->name, "first");
	ck_assert_str_eq(ts_testing_attr_str(r, "user"), "alice");
	ck_assert_str_eq(ts_testing_event(r, 0)->name, "retry");
	ck_assert_str_eq(ts_testing_event_attr(ts_testing_event(r, 0), "user")->value.s, "alice");
	ck_assert_str_eq(ts_testing_handoff_lookup(ctx.handoff)->name, "retry");

	/* Longer than the limits: name 127 bytes, key 63, value 255. */
	name[sizeof name - 1] = key[sizeof key - 1] = value[sizeof value - 1] = 0;
	ts_span_t t = ts_span_begin(name, TS_ATTRS(ts_str(key, value)));
	r = span_of(t);
	ck_assert_uint_eq(strlen(r->name), 127);
	ck_assert_uint_eq(r->nattrs, 1);
	ck_assert_uint_eq(strlen(r->attrs[0].key), 63);
	ck_assert_uint_eq(strlen(r->attrs[0].value.s), 255);
	ck_assert_int_eq(r->attrs[0].value.s[0], 'X');
}
END_TEST

START_TEST(a_call_carries_at_most_1_kib)
{
	/* Each attribute takes 1 (type) + 3 (key) + 256 (value) = 260 bytes and
	 * the name 2: three fit in 1024; the fourth and all after it do not. */
	char value[256];
	memset(value, 'v', 255);
	value[255] = 0;
	ts_span_t s = ts_span_start("n", TS_ATTRS(ts_str("k0", value), ts_str("k1", value),
						   ts_str("k2", value), ts_str("k3", value),
						   ts_bool("k4", true)));
	const ts_testing_span_t *r = span_of(s);
	ck_assert_uint_eq(r->nattrs, 3);
	ck_assert_uint_eq(r->dropped_attrs, 2);
	ck_assert_ptr_null(ts_testing_attr(r, "k4"));
	/* The limit is per call. */
	ts_span_set(s, TS_ATTRS(ts_str("k3", value)));
	ck_assert_uint_eq(r->nattrs, 4);
}
END_TEST

START_TEST(events_keep_8_attributes)
{
	ts_span_t s = ts_span_begin("s", TS_NO_ATTRS);
	ts_span_event(s, "first", TS_NO_ATTRS);
	char keys[10][8];
	ts_attribute_t many[10];
	for (int i = 0; i < 10; i++) {
		snprintf(keys[i], sizeof keys[i], "e%d", i);
		many[i] = ts_double(keys[i], i * 1.5);
	}
	ts_span_event(s, "second", many, 10);
	const ts_testing_span_t *r = span_of(s);
	ck_assert_uint_eq(r->nevents, 2);
	const ts_testing_event_t *e = ts_testing_event(r, 1);
	ck_assert_str_eq(e->name, "second");
	ck_assert_uint_eq(e->nattrs, 8);
	ck_assert_uint_eq(e->dropped_attrs, 2);
	ck_assert_double_eq(ts_testing_event_attr(e, "e7")->value.d, 10.5);
	ck_assert_ptr_null(ts_testing_event_attr(e, "e8"));
	ck_assert_uint_lt(ts_testing_event(r, 0)->seq, e->seq);
	ck_assert_uint_eq(ts_testing_event(r, 0)->nattrs, 0);
	ck_assert_ptr_null(ts_testing_event(r, 2));
	ck_assert_ptr_eq(ts_testing_event_find(r, "second"), e);
	ck_assert_ptr_null(ts_testing_event_find(r, "third"));
	ck_assert_uint_eq(r->nattrs, 0);   /* events do not touch the span's */
}
END_TEST

TS_API_SUITE("api",
	     the_double_is_found,
	     begin_nests_and_end_pops,
	     ending_a_span_ends_the_spans_begun_inside,
	     start_does_not_change_the_current_span,
	     status_rules,
	     error_records_an_exception_event,
	     attributes_are_typed_and_replaced_by_key,
	     at_most_16_attributes_per_span,
	     text_is_copied_and_cut,
	     a_call_carries_at_most_1_kib,
	     events_keep_8_attributes)
