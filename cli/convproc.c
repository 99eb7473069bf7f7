/* The processes of an OTLP -> Perfetto conversion (convproc.h). A resource
 * names its service and, usually, its pid: together they make the process
 * track's uuid, so a service's requests land on one process however many
 * requests carry them. */
#include "convproc.h"

#include "ids.h"
#include "perfetto.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef Opentelemetry__Proto__Common__V1__KeyValue KeyValue;

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

static const KeyValue *find(KeyValue **kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (kv[i] && kv[i]->key && !strcmp(kv[i]->key, key) && kv[i]->value)
			return kv[i];
	return NULL;
}

uint32_t ts_conv_sequence(uint64_t uuid)
{
	uint32_t s = (uint32_t)ts_mix64(uuid ^ 0x5e9);
	return s ? s : 1;
}

static bool pid_taken(const struct ts_conv_procs *ps, pid_t pid)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->v[i].track.pid == pid)
			return true;
	return false;
}

struct ts_conv_process *ts_conv_process_of(struct ts_conv_procs *ps,
					   const Opentelemetry__Proto__Resource__V1__Resource *res,
					   uint64_t first_ns, uint64_t *clock_floor)
{
	KeyValue **attrs = res ? res->attributes : NULL;
	size_t n = res ? res->n_attributes : 0;
	const KeyValue *svc = find(attrs, n, "service.name");
	const KeyValue *pidkv = find(attrs, n, "process.pid");
	const char *service = svc && svc->value->value_case ==
		OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE ?
		svc->value->string_value : "unknown_service";
	int64_t pid = pidkv && pidkv->value->value_case ==
		OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE ? pidkv->value->int_value : 0;
	uint64_t uuid = ts_mix64(hash_str(service) ^ (uint64_t)pid) | 1;
	for (size_t i = 0; i < ps->n; i++)
		if (ps->v[i].uuid == uuid)
			return &ps->v[i];
	struct ts_conv_process *grown = realloc(ps->v, (ps->n + 1) * sizeof *grown);
	if (!grown)
		return NULL;
	ps->v = grown;
	/* Pointers into the array change as it grows: fix up the tracks' own. */
	for (size_t i = 0; i < ps->n; i++) {
		ps->v[i].track.name = ps->v[i].name;
		ps->v[i].track.sink_state = &ps->v[i].state;
	}
	/* A service without process.pid still needs a pid for its process
	 * track, and two services never share one (the importer would take the
	 * second for the first's pid reused). */
	pid_t shown = pid > 0 && pid < (1 << 30) ? (pid_t)pid : (pid_t)(1000000 + uuid % 1000000);
	for (uint64_t tries = 1; pid_taken(ps, shown); tries++)
		shown = (pid_t)(1000000 + (uuid + tries) % 1000000);
	struct ts_conv_process *p = &ps->v[ps->n++];
	memset(p, 0, sizeof *p);
	p->uuid = uuid;
	snprintf(p->name, sizeof p->name, "%s", service);
	p->track = (struct ts_track){.uuid = uuid, .sequence = ts_conv_sequence(uuid), .pid = shown,
				     .name = p->name, .sink_state = &p->state};
	/* OTLP times are wall-clock: the snapshot maps them onto the trace clock
	 * 1:1, at any point, so it may as well be one no earlier than any snapshot
	 * already in the file (the importer wants their BOOTTIMEs in order). */
	if (first_ns > *clock_floor)
		*clock_floor = first_ns;
	ts_pf_process(&p->track, *clock_floor, *clock_floor, NULL, 0);
	return p;
}

void ts_conv_procs_forget(struct ts_conv_procs *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		ts_pf_forget(&ps->v[i].state);
	ps->n = 0;
}
