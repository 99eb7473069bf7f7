/* Span model -> OTLP protobuf, through the protobuf-c messages generated
 * from proto/otlp. Every message of a request lives in one arena sized up
 * front, so encoding a batch costs a handful of allocations. */
#include "encode.h"

#include "otlp_trace_service.pb-c.h"

#include <stdlib.h>
#include <string.h>

typedef Opentelemetry__Proto__Common__V1__KeyValue KeyValue;
typedef Opentelemetry__Proto__Common__V1__AnyValue AnyValue;
typedef Opentelemetry__Proto__Trace__V1__Span Span;

/* Bump allocator for one request; everything is freed at once. */
struct arena {
	char *base;
	size_t used, cap;
};

static void *take(struct arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (a->used + n > a->cap)
		return NULL;
	void *p = a->base + a->used;
	a->used += n;
	return p;
}

static void big_endian(uint64_t v, uint8_t *out)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* src's n attributes, then more's nmore (a span's own, then those of the
 * calls rolled up into it), as one list. */
static int fill_attrs2(struct arena *a, const struct ts_attr *src, unsigned n,
		       const struct ts_attr *more, unsigned nmore, KeyValue ***out)
{
	unsigned total = n + nmore;
	KeyValue **list = take(a, total * sizeof *list);
	KeyValue *kv = take(a, total * sizeof *kv);
	AnyValue *val = take(a, total * sizeof *val);
	if (total && (!list || !kv || !val))
		return 0;
	for (unsigned i = 0; i < total; i++) {
		const struct ts_attr *at = i < n ? &src[i] : &more[i - n];
		opentelemetry__proto__common__v1__key_value__init(&kv[i]);
		opentelemetry__proto__common__v1__any_value__init(&val[i]);
		kv[i].key = (char *)at->key;
		kv[i].value = &val[i];
		switch (at->type) {
		case TS_VAL_INT:
			val[i].value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
			val[i].int_value = at->v.i;
			break;
		case TS_VAL_DOUBLE:
			val[i].value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE;
			val[i].double_value = at->v.d;
			break;
		case TS_VAL_BOOL:
			val[i].value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE;
			val[i].bool_value = at->v.b;
			break;
		default:
			val[i].value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
			val[i].string_value = (char *)at->v.s;
			break;
		}
		list[i] = &kv[i];
	}
	*out = list;
	return 1;
}

static int fill_attrs(struct arena *a, const struct ts_attr *src, unsigned n, KeyValue ***out)
{
	return fill_attrs2(a, src, n, NULL, 0, out);
}

typedef Opentelemetry__Proto__Trace__V1__Span__Event Event;

static int fill_events(struct arena *a, const struct ts_span *s, Span *out)
{
	Event *ev = take(a, s->nevents * sizeof *ev);
	Event **list = take(a, s->nevents * sizeof *list);
	if (!ev || !list)
		return 0;
	for (unsigned i = 0; i < s->nevents; i++) {
		const struct ts_event *e = &s->events[i];
		opentelemetry__proto__trace__v1__span__event__init(&ev[i]);
		ev[i].time_unix_nano = e->time_ns;
		ev[i].name = (char *)e->name;
		if (!fill_attrs(a, e->attrs, e->nattrs, &ev[i].attributes))
			return 0;
		ev[i].n_attributes = e->nattrs;
		list[i] = &ev[i];
	}
	out->events = list;
	out->n_events = s->nevents;
	return 1;
}

typedef Opentelemetry__Proto__Trace__V1__Span__Link Link;

/* A wait's link to the release that woke it, or to the thread it joined
 * (decode_wait.c), in the same trace. The parent/child flows of the tree
 * are no links: they are parent ids already. */
static int fill_link(struct arena *a, const ProtobufCBinaryData *trace_id, uint64_t id, Span *out)
{
	Link *link = take(a, sizeof *link);
	Link **list = take(a, sizeof *list);
	uint8_t *bytes = take(a, 8);
	if (!link || !list || !bytes)
		return 0;
	opentelemetry__proto__trace__v1__span__link__init(link);
	big_endian(id, bytes);
	link->trace_id = *trace_id;
	link->span_id = (ProtobufCBinaryData){8, bytes};
	list[0] = link;
	out->links = list;
	out->n_links = 1;
	return 1;
}

static int fill_span(struct arena *a, const struct ts_otlp_batch *b, const struct ts_span *s, Span *out)
{
	opentelemetry__proto__trace__v1__span__init(out);
	uint8_t *ids = take(a, 16);
	Opentelemetry__Proto__Trace__V1__Status *status = take(a, sizeof *status);
	if (!ids || !status)
		return 0;
	big_endian(s->span_id, ids);
	big_endian(s->parent_id, ids + 8);
	out->trace_id = (ProtobufCBinaryData){16, (uint8_t *)(s->own_trace ? s->trace_id : b->trace_id)};
	out->span_id = (ProtobufCBinaryData){8, ids};
	if (s->parent_id)
		out->parent_span_id = (ProtobufCBinaryData){8, ids + 8};
	/* Sampled; whether the parent is known to be remote (0x100 | 0x200). */
	out->flags = 0x01 | 0x100 | (s->remote_parent ? 0x200 : 0);
	out->name = (char *)s->name;
	out->kind = (Opentelemetry__Proto__Trace__V1__Span__SpanKind)s->kind;
	out->start_time_unix_nano = s->start_ns;
	out->end_time_unix_nano = s->end_ns;
	if (!fill_attrs2(a, s->attrs, s->nattrs, s->rolled, s->nrolled, &out->attributes))
		return 0;
	out->n_attributes = s->nattrs + s->nrolled;
	if (s->nevents && !fill_events(a, s, out))
		return 0;
	if (s->link_id && !fill_link(a, &out->trace_id, s->link_id, out))
		return 0;
	out->dropped_events_count = s->dropped_events;
	opentelemetry__proto__trace__v1__status__init(status);
	if (s->status == TS_STATUS_ERROR) {
		status->code = OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_ERROR;
		status->message = (char *)(s->status_message ? s->status_message : "");
	} else if (s->status == TS_STATUS_OK) {
		status->code = OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_OK;
	}
	out->status = status;
	return 1;
}

/* Arena size: a bound on what fill_span and fill_attrs take per span. */
static size_t arena_size(const struct ts_otlp_batch *b)
{
	size_t per_attr = 3 * 16 + sizeof(KeyValue) + sizeof(AnyValue) + sizeof(KeyValue *);
	size_t per_span = sizeof(Span) + sizeof(Span *) + 16 + 16 +
		sizeof(Opentelemetry__Proto__Trace__V1__Status) + 64 +
		sizeof(Link) + sizeof(Link *) + 16 +
		(TS_MAX_ATTRS + TS_ROLLUP_ATTRS) * per_attr;
	size_t per_event = sizeof(Event) + sizeof(Event *) + 32 + TS_EVENT_ATTRS * per_attr;
	size_t events = 0;
	for (size_t i = 0; i < b->nspans; i++)
		events += b->spans[i].nevents;
	return 4096 + b->nresource * per_attr + b->nspans * per_span + events * per_event;
}

size_t ts_otlp_encode(const struct ts_otlp_batch *b, uint8_t **out)
{
	*out = NULL;
	struct arena a = {.cap = arena_size(b)};
	a.base = malloc(a.cap);
	if (!a.base)
		return 0;
	size_t len = 0;
	Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest req;
	Opentelemetry__Proto__Trace__V1__ResourceSpans rs, *rsp = &rs;
	Opentelemetry__Proto__Resource__V1__Resource res;
	Opentelemetry__Proto__Trace__V1__ScopeSpans ss, *ssp = &ss;
	Opentelemetry__Proto__Common__V1__InstrumentationScope scope;
	opentelemetry__proto__collector__trace__v1__export_trace_service_request__init(&req);
	opentelemetry__proto__trace__v1__resource_spans__init(&rs);
	opentelemetry__proto__resource__v1__resource__init(&res);
	opentelemetry__proto__trace__v1__scope_spans__init(&ss);
	opentelemetry__proto__common__v1__instrumentation_scope__init(&scope);
	scope.name = (char *)b->scope_name;
	scope.version = (char *)b->scope_version;
	ss.scope = &scope;
	rs.resource = &res;
	rs.scope_spans = &ssp;
	rs.n_scope_spans = 1;
	req.resource_spans = &rsp;
	req.n_resource_spans = 1;

	Span *spans = take(&a, b->nspans * sizeof *spans);
	Span **list = take(&a, b->nspans * sizeof *list);
	if (!fill_attrs(&a, b->resource, b->nresource, &res.attributes) ||
	    (b->nspans && (!spans || !list)))
		goto done;
	res.n_attributes = b->nresource;
	for (size_t i = 0; i < b->nspans; i++) {
		if (!fill_span(&a, b, &b->spans[i], &spans[i]))
			goto done;
		list[i] = &spans[i];
	}
	ss.spans = list;
	ss.n_spans = b->nspans;

	len = opentelemetry__proto__collector__trace__v1__export_trace_service_request__get_packed_size(&req);
	*out = malloc(len ? len : 1);
	if (*out)
		opentelemetry__proto__collector__trace__v1__export_trace_service_request__pack(&req, *out);
	else
		len = 0;
done:
	free(a.base);
	return len;
}
