/* OTLP -> Perfetto conversion (see convert.h). Lanes are packed per request:
 * spans of a later request may start before ones already written, so they
 * get lanes of their own rather than a place on earlier ones. Input is
 * hostile: times outside what Perfetto imports are skipped or clamped, and
 * arrows are drawn only in ways its importer accepts. Not thread-safe (the
 * encoder's batch is one per process): callers serialise. */
#include "convert.h"

#include "convproc.h"
#include "perfetto.h"
#include "ids.h"
#include "lanes.h"
#include "orphans.h"
#include "otlp_trace_service.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

typedef Opentelemetry__Proto__Trace__V1__Span OtlpSpan;
typedef Opentelemetry__Proto__Common__V1__KeyValue KeyValue;

/* Perfetto's timestamps are int64: later ones read as negative. */
#define TIME_MAX ((uint64_t)INT64_MAX)

struct ts_convert {
	struct ts_conv_procs procs;
	uint64_t requests;
	struct ts_orphans *orphans;   /* children whose parent is yet to come */
	/* Random per converter: lanes and arrows of another run appending to
	 * the same file never share its uuids or flow ids. */
	uint64_t salt;
	uint64_t clock_floor;         /* the latest BOOTTIME of a snapshot written */
	uint64_t skipped, clamped;
};

struct ts_convert *ts_convert_new(void)
{
	struct ts_convert *cv = calloc(1, sizeof *cv);
	if (cv && !(cv->orphans = ts_orphans_new())) {
		free(cv);
		return NULL;
	}
	if (cv && getrandom(&cv->salt, sizeof cv->salt, GRND_NONBLOCK) != sizeof cv->salt) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		cv->salt = ts_mix64((uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 30) ^
				    ((uint64_t)getpid() << 12) ^ (uint64_t)(uintptr_t)cv);
	}
	return cv;
}

void ts_convert_clock_floor(struct ts_convert *cv, uint64_t floor_ns)
{
	if (floor_ns > cv->clock_floor)
		cv->clock_floor = floor_ns < TIME_MAX ? floor_ns : TIME_MAX;
}

void ts_convert_lost_output(struct ts_convert *cv)
{
	ts_conv_procs_forget(&cv->procs);
}

void ts_convert_stats(const struct ts_convert *cv, struct ts_convert_stats *st)
{
	*st = (struct ts_convert_stats){.spans_skipped = cv->skipped, .ends_clamped = cv->clamped,
					.orphans_forgotten = ts_orphans_evicted(cv->orphans)};
}

void ts_convert_free(struct ts_convert *cv)
{
	if (!cv)
		return;
	ts_conv_procs_forget(&cv->procs);
	free(cv->procs.v);
	ts_orphans_free(cv->orphans);
	free(cv);
}

static uint64_t id_of(ProtobufCBinaryData b)
{
	uint64_t v = 0;
	for (size_t i = 0; i < b.len && i < 8; i++)
		v = v << 8 | b.data[i];
	return v;
}

/* iv: the span's times, checked. The counts of calls rolled up into it
 * (traceshim.calls.*) go to rolled (TS_ROLLUP_ATTRS, or NULL: left out),
 * apart from its own attributes, as the shim's exporters have them. */
static void to_span(const OtlpSpan *o, const struct ts_interval *iv, struct ts_span *s,
		    struct ts_attr *rolled)
{
	memset(s, 0, offsetof(struct ts_span, attrs));
	s->name = o->name && *o->name ? o->name : "span";
	s->start_ns = iv->start;
	s->end_ns = iv->end;
	s->span_id = id_of(o->span_id);
	s->parent_id = id_of(o->parent_span_id);
	s->kind = (uint8_t)o->kind;
	s->rolled = rolled;
	for (size_t i = 0; i < o->n_attributes; i++) {
		const KeyValue *kv = o->attributes[i];
		if (!kv || !kv->key || !kv->value)
			continue;
		bool counts = !strncmp(kv->key, "traceshim.calls.", 16);
		if (counts ? !rolled || s->nrolled == TS_ROLLUP_ATTRS : s->nattrs == TS_MAX_ATTRS)
			continue;
		const Opentelemetry__Proto__Common__V1__AnyValue *v = kv->value;
		struct ts_attr a = {.key = kv->key};
		switch (v->value_case) {
		case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE:
			a.type = TS_VAL_STR;
			a.v.s = v->string_value;
			break;
		case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE:
			a.type = TS_VAL_INT;
			a.v.i = v->int_value;
			break;
		case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE:
			a.type = TS_VAL_DOUBLE;
			a.v.d = v->double_value;
			break;
		case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE:
			a.type = TS_VAL_BOOL;
			a.v.b = v->bool_value;
			break;
		default:
			continue;   /* arrays, maps and bytes are not shown */
		}
		if (counts) {
			rolled[s->nrolled++] = a;
			continue;
		}
		s->attrs[s->nattrs++] = a;
		if (!strcmp(kv->key, "error.type") && a.type == TS_VAL_STR)
			s->error_type = a.v.s;
	}
	if (o->status && o->status->code ==
	    OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_ERROR) {
		s->status = TS_STATUS_ERROR;
		s->status_message = o->status->message && *o->status->message ? o->status->message : NULL;
		if (!s->error_type)
			s->error_type = "error";
	}
}

static const struct ts_interval *sort_base;

/* Start order, the enclosing span first on a tie: parents begin before
 * their children in the file, which is how ties nest. */
static int by_start(const void *a, const void *b)
{
	const struct ts_interval *x = &sort_base[*(const size_t *)a], *y = &sort_base[*(const size_t *)b];
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static void end_span(const struct ts_track *t, const OtlpSpan *o, const struct ts_interval *iv)
{
	struct ts_span s;
	to_span(o, iv, &s, NULL);
	if (s.status == TS_STATUS_ERROR)
		ts_pf_instant(t, s.end_ns, s.error_type, true, NULL, 0);   /* the failure marker */
	struct ts_span end = {.end_ns = s.end_ns};
	ts_pf_span(t, TS_SPAN_END, &end);
}

/* What writing the lanes of one resource needs. */
struct batch_ctx {
	const OtlpSpan **spans;
	const struct ts_interval *iv;
	const size_t *order;
	size_t n;
	size_t *stack;
	/* Parent links across lanes: the flow ids each span's begin carries
	 * (flows[first[k]] .. + nflows[k]) and the one it terminates (0: none). */
	uint64_t *flows;
	size_t *first, *nflows;
	uint64_t *ends_flow;
	uint64_t salt;   /* flow ids differ per request: a re-sent batch draws its own arrows */
};

/* One id per child of the batch: span ids may repeat in hostile input. */
static uint64_t flow_id(const struct batch_ctx *b, size_t child)
{
	return ts_mix64(b->salt + (child + 1) * 0x9e3779b97f4a7c15ull) | 1;
}

/* Writes one lane's spans as begin/end events in time order (they nest, so
 * a stack of open spans gives the order): the file reads as it happened. */
static void emit_lane(const struct ts_track *t, const struct batch_ctx *b, size_t lane)
{
	size_t depth = 0;
	for (size_t i = 0; i < b->n; i++) {
		size_t k = b->order[i];
		if (b->iv[k].lane != lane)
			continue;
		while (depth && b->iv[b->stack[depth - 1]].end <= b->iv[k].start) {
			size_t j = b->stack[--depth];
			end_span(t, b->spans[j], &b->iv[j]);
		}
		struct ts_span s;
		struct ts_attr rolled[TS_ROLLUP_ATTRS];
		to_span(b->spans[k], &b->iv[k], &s, rolled);
		s.more_flows_out = b->flows + b->first[k];
		s.nmore_flows_out = (unsigned)b->nflows[k];
		s.flow_in = b->ends_flow[k];
		ts_pf_span(t, TS_SPAN_BEGIN, &s);
		b->stack[depth++] = k;
	}
	while (depth) {
		size_t j = b->stack[--depth];
		end_span(t, b->spans[j], &b->iv[j]);
	}
}

static void free_ctx(struct batch_ctx *b)
{
	free(b->stack);
	free(b->flows);
	free(b->first);
	free(b->nflows);
	free(b->ends_flow);
}

struct id_index {
	uint64_t id;
	size_t k;
};

static int by_id(const void *a, const void *b)
{
	uint64_t x = ((const struct id_index *)a)->id, y = ((const struct id_index *)b)->id;
	return x < y ? -1 : x > y;
}

/* The arrow from a parent to a child of an earlier request: plain flow ids
 * on both (an id seen once draws nothing, so a parent that never comes
 * leaves no dangling arrow). */
static uint64_t cross_id(const struct ts_convert *cv, uint64_t child_span_id)
{
	return ts_mix64(child_span_id ^ cv->salt) | 1;
}

/* Fills the flow tables of b: an arrow from a parent to each child that
 * landed on another lane (same lane: the nesting already shows it), and to
 * each child of an earlier request still waiting for this parent. The
 * importer draws arrows in time order and a terminating id must find its
 * flow begun: a child that starts after its parent ends the parent's flow;
 * one that starts with or before it (clock skew between hosts) carries a
 * plain id, like the parent, and the arrow goes the way time does. */
static bool link_parents(struct ts_convert *cv, struct batch_ctx *b)
{
	size_t n = b->n;
	struct id_index *ids = malloc((n ? n : 1) * sizeof *ids);
	size_t *parent = malloc((n ? n : 1) * sizeof *parent);
	uint64_t **waiting = calloc(n ? n : 1, sizeof *waiting);
	size_t *nwaiting = calloc(n ? n : 1, sizeof *nwaiting);
	bool *orphan = calloc(n ? n : 1, sizeof *orphan);
	bool ok = ids && parent && waiting && nwaiting && orphan;
	for (size_t k = 0; ok && k < n; k++)
		ids[k] = (struct id_index){id_of(b->spans[k]->span_id), k};
	if (ok)
		qsort(ids, n, sizeof *ids, by_id);
	size_t total = 0;
	for (size_t k = 0; ok && k < n; k++) {
		parent[k] = SIZE_MAX;
		uint64_t own = id_of(b->spans[k]->span_id);
		struct id_index key = {id_of(b->spans[k]->parent_span_id), 0};
		const struct id_index *hit = key.id ? bsearch(&key, ids, n, sizeof *ids, by_id) : NULL;
		if (hit && hit->k != k && b->iv[hit->k].lane != b->iv[k].lane) {
			parent[k] = hit->k;
			b->nflows[hit->k]++;
			if (b->iv[hit->k].start < b->iv[k].start)
				b->ends_flow[k] = flow_id(b, k);
			else
				b->nflows[k]++;
		} else if (!hit && key.id && ts_orphans_add(cv->orphans, key.id, own)) {
			orphan[k] = true;
			b->nflows[k]++;   /* its end of the arrow its parent will draw */
		}
		nwaiting[k] = ts_orphans_take(cv->orphans, own, &waiting[k]);
		b->nflows[k] += nwaiting[k];
	}
	for (size_t k = 0; ok && k < n; k++)
		total += b->nflows[k];
	ok = ok && (b->flows = malloc((total ? total : 1) * sizeof *b->flows));
	size_t off = 0;
	for (size_t k = 0; ok && k < n; k++) {
		b->first[k] = off;
		off += b->nflows[k];
		b->nflows[k] = 0;
	}
	for (size_t k = 0; ok && k < n; k++) {
		uint64_t own = id_of(b->spans[k]->span_id);
		if (parent[k] != SIZE_MAX) {
			size_t j = parent[k];
			b->flows[b->first[j] + b->nflows[j]++] = flow_id(b, k);
			if (!b->ends_flow[k])
				b->flows[b->first[k] + b->nflows[k]++] = flow_id(b, k);
		} else if (orphan[k]) {
			b->flows[b->first[k] + b->nflows[k]++] = cross_id(cv, own);
		}
		for (size_t c = 0; c < nwaiting[k]; c++)
			b->flows[b->first[k] + b->nflows[k]++] = cross_id(cv, waiting[k][c]);
	}
	free(ids);
	free(parent);
	free(orphan);
	for (size_t k = 0; waiting && k < n; k++)
		free(waiting[k]);
	free(waiting);
	free(nwaiting);
	return ok;
}

static long convert_resource(struct ts_convert *cv, const Opentelemetry__Proto__Trace__V1__ResourceSpans *rs)
{
	size_t n = 0;
	for (size_t i = 0; i < rs->n_scope_spans; i++)
		n += rs->scope_spans[i] ? rs->scope_spans[i]->n_spans : 0;
	if (!n)
		return 0;
	const OtlpSpan **spans = malloc(n * sizeof *spans);
	struct ts_interval *iv = malloc(n * sizeof *iv);
	long done = -1;
	if (!spans || !iv)
		goto out;
	size_t k = 0;
	uint64_t first = UINT64_MAX;
	for (size_t i = 0; i < rs->n_scope_spans; i++)
		for (size_t j = 0; rs->scope_spans[i] && j < rs->scope_spans[i]->n_spans; j++) {
			const OtlpSpan *o = rs->scope_spans[i]->spans[j];
			if (!o)
				continue;
			uint64_t start = o->start_time_unix_nano, end = o->end_time_unix_nano;
			if (!start || start > TIME_MAX) {
				cv->skipped++;   /* no place on any timeline */
				continue;
			}
			if (end < start || end > TIME_MAX) {
				cv->clamped++;
				end = start;
			}
			spans[k] = o;
			iv[k] = (struct ts_interval){start, end, 0};
			if (start < first)
				first = start;
			k++;
		}
	n = k;
	if (!n) {
		done = 0;
		goto out;
	}
	struct ts_conv_process *p = ts_conv_process_of(&cv->procs, rs->resource, first, &cv->clock_floor);
	size_t lanes = p ? ts_pack_lanes(iv, n) : 0;
	if (!lanes)
		goto out;
	/* One pass per lane keeps each lane's events in start order. The
	 * packing sorted by start; emit in that order too. */
	size_t *order = malloc(n * sizeof *order);
	struct batch_ctx b = {
		.spans = spans, .iv = iv, .order = order, .n = n,
		.stack = malloc(n * sizeof(size_t)),
		.first = malloc(n * sizeof(size_t)), .nflows = calloc(n, sizeof(size_t)),
		.ends_flow = calloc(n, sizeof(uint64_t)),
		.salt = ts_mix64(p->uuid ^ cv->salt ^ (cv->requests + 1)),
	};
	if (!order || !b.stack || !b.first || !b.nflows || !b.ends_flow || !link_parents(cv, &b)) {
		free(order);
		free_ctx(&b);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	sort_base = iv;
	qsort(order, n, sizeof *order, by_start);
	cv->requests++;
	for (size_t lane = 0; lane < lanes; lane++) {
		char name[160];
		void *state = NULL;
		snprintf(name, sizeof name, "%s spans %llu.%zu", p->name, (unsigned long long)cv->requests, lane);
		uint64_t uuid = ts_mix64(p->uuid ^ cv->salt ^ (cv->requests << 20) ^ lane) | 1;
		struct ts_track t = {.uuid = uuid, .parent_uuid = p->uuid, .sequence = ts_conv_sequence(uuid),
				     .pid = p->track.pid, .name = name, .sink_state = &state};
		ts_pf_named_track(&p->track, &t, first);
		emit_lane(&t, &b, lane);
		ts_pf_forget(&state);
	}
	free(order);
	free_ctx(&b);
	done = (long)n;
out:
	free(spans);
	free(iv);
	return done;
}

long ts_convert_request(struct ts_convert *cv, const uint8_t *body, size_t len)
{
	Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest *req =
		opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(NULL, len, body);
	if (!req)
		return -1;
	long total = 0;
	for (size_t i = 0; i < req->n_resource_spans && total >= 0; i++) {
		long n = req->resource_spans[i] ? convert_resource(cv, req->resource_spans[i]) : 0;
		total = n < 0 ? -1 : total + n;
	}
	opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(req, NULL);
	return total;
}
