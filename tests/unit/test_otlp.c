/* The OTLP encoder, read back with protobuf-c. */
#include "check_main.h"
#include "encode.h"
#include "otlp_trace_service.pb-c.h"

#include <stdlib.h>
#include <string.h>

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest Request;

static Request *roundtrip(const struct ts_otlp_batch *b)
{
	uint8_t *buf;
	size_t len = ts_otlp_encode(b, &buf);
	ck_assert_uint_gt(len, 0);
	Request *req = opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
		NULL, len, buf);
	free(buf);
	ck_assert_ptr_nonnull(req);
	return req;
}

START_TEST(spans_ids_and_attributes)
{
	static const uint8_t trace_id[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	struct ts_attr resource[] = {
		{.key = "service.name", .type = TS_VAL_STR, .v.s = "cat"},
		{.key = "process.pid", .type = TS_VAL_INT, .v.i = 42},
	};
	struct ts_span spans[2] = {
		{.name = "main", .start_ns = 100, .end_ns = 900, .span_id = 0x1111, .kind = 1},
		{.name = "open", .start_ns = 200, .end_ns = 300, .span_id = 0x2222,
		 .parent_id = 0x1111, .kind = 1, .status = TS_STATUS_ERROR,
		 .status_message = "No such file or directory"},
	};
	ts_span_str(&spans[1], "file.path", "/nope");
	ts_span_str(&spans[1], "error.type", "ENOENT");
	ts_span_int(&spans[1], "traceshim.fd", -1);
	/* The calls rolled up into a span follow its own attributes. */
	struct ts_attr rolled[] = {{.key = "traceshim.calls.read.count", .type = TS_VAL_INT, .v.i = 7}};
	spans[0].rolled = rolled;
	spans[0].nrolled = 1;
	struct ts_otlp_batch b = {
		.trace_id = trace_id, .resource = resource, .nresource = 2,
		.scope_name = "traceshim", .scope_version = "0.1.0", .spans = spans, .nspans = 2,
	};
	Request *req = roundtrip(&b);
	ck_assert_uint_eq(req->n_resource_spans, 1);
	Opentelemetry__Proto__Trace__V1__ResourceSpans *rs = req->resource_spans[0];
	ck_assert_uint_eq(rs->resource->n_attributes, 2);
	ck_assert_str_eq(rs->resource->attributes[0]->key, "service.name");
	ck_assert_str_eq(rs->resource->attributes[0]->value->string_value, "cat");
	ck_assert_int_eq(rs->resource->attributes[1]->value->int_value, 42);
	ck_assert_uint_eq(rs->n_scope_spans, 1);
	ck_assert_str_eq(rs->scope_spans[0]->scope->name, "traceshim");
	ck_assert_uint_eq(rs->scope_spans[0]->n_spans, 2);

	Opentelemetry__Proto__Trace__V1__Span *root = rs->scope_spans[0]->spans[0];
	Opentelemetry__Proto__Trace__V1__Span *child = rs->scope_spans[0]->spans[1];
	ck_assert_uint_eq(root->trace_id.len, 16);
	ck_assert(!memcmp(root->trace_id.data, trace_id, 16));
	ck_assert_uint_eq(root->span_id.len, 8);
	ck_assert_uint_eq(root->span_id.data[7], 0x11);
	ck_assert_uint_eq(root->span_id.data[6], 0x11);
	ck_assert_uint_eq(root->parent_span_id.len, 0);
	ck_assert(!memcmp(child->parent_span_id.data, root->span_id.data, 8));
	ck_assert_str_eq(child->name, "open");
	ck_assert_uint_eq(child->start_time_unix_nano, 200);
	ck_assert_uint_eq(child->end_time_unix_nano, 300);
	ck_assert_int_eq(child->kind, OPENTELEMETRY__PROTO__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_INTERNAL);
	ck_assert_uint_eq(child->n_attributes, 3);
	ck_assert_str_eq(child->attributes[1]->value->string_value, "ENOENT");
	ck_assert_int_eq(child->attributes[2]->value->int_value, -1);
	ck_assert_int_eq(child->status->code,
			 OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_ERROR);
	ck_assert_str_eq(child->status->message, "No such file or directory");
	ck_assert_uint_eq(root->n_attributes, 1);
	ck_assert_str_eq(root->attributes[0]->key, "traceshim.calls.read.count");
	ck_assert_int_eq(root->attributes[0]->value->int_value, 7);
	ck_assert_int_eq(root->status->code,
			 OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_UNSET);
	opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(req, NULL);
}
END_TEST

START_TEST(empty_batch)
{
	static const uint8_t trace_id[16] = {1};
	struct ts_otlp_batch b = {.trace_id = trace_id, .scope_name = "traceshim", .scope_version = "0"};
	Request *req = roundtrip(&b);
	ck_assert_uint_eq(req->resource_spans[0]->scope_spans[0]->n_spans, 0);
	opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(req, NULL);
}
END_TEST

TS_CHECK_SUITE("otlp",
	       spans_ids_and_attributes,
	       empty_batch)
