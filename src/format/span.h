/* The span model every exporter encodes: the drainer turns records into these.
 * Strings point into the drainer's scratch memory and live until the
 * exporter call returns. */
#ifndef TS_SPAN_H
#define TS_SPAN_H

#include "traceshim.h"   /* ts_status_code: one numbering, OpenTelemetry's */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

enum ts_val { TS_VAL_INT, TS_VAL_STR, TS_VAL_DOUBLE, TS_VAL_BOOL };

struct ts_attr {
	const char *key;         /* a string constant, unless dynkey */
	uint8_t type;            /* enum ts_val */
	uint8_t stable;          /* a string value whose address always holds this text */
	uint8_t dynkey;          /* the key is scratch text (the program's own attributes) */
	union {
		int64_t i;
		double d;
		bool b;
		const char *s;
	} v;
};

enum ts_span_event {
	TS_SPAN_BEGIN,       /* a span that stays open (process, thread) */
	TS_SPAN_END,         /* closes the innermost open span of the track */
	TS_SPAN_COMPLETE,    /* begin and end known at once */
};

#define TS_MAX_ATTRS 16
#define TS_EVENT_ATTRS 8
/* The attributes of the calls rolled up into a span (rollup.h), apart from
 * its own: a parent's list is bounded whatever it carries itself. */
#define TS_ROLLUP_ATTRS 16

/* Something that happened during a span (an exception): OTLP span events.
 * The Perfetto writer shows it as an instant on the lane instead. */
struct ts_event {
	const char *name;
	uint64_t time_ns;
	unsigned nattrs;
	struct ts_attr attrs[TS_EVENT_ATTRS];
};

struct ts_span {
	const char *name;
	uint64_t start_ns, end_ns;
	uint64_t span_id, parent_id;    /* parent 0: a root span */
	uint8_t kind;                   /* enum ts_kind */
	uint8_t status;                 /* enum ts_status_code */
	bool dyn_name;                  /* name is scratch text: encoders must not key it by address */
	const char *status_message;
	const char *error_type;         /* set with status ERROR */
	uint64_t flow_out;              /* a link to a span that starts later (pthread_create) */
	uint64_t flow_in;               /* the link this span ends */
	/* A blocking wait (decode_wait.c): the flow from the release that
	 * woke it, ended at this span's end (it began before the release);
	 * and the span an OTLP link names (the release, a joined thread). */
	uint64_t flow_in_end;
	uint64_t link_id;
	const uint64_t *more_flows_out; /* further links out (a parent with several children) */
	unsigned nmore_flows_out;
	const struct ts_event *events;  /* valid until the exporter call returns */
	unsigned nevents;
	unsigned dropped_events;
	/* A span of another trace than the process's: a request's server span
	 * that continues its caller's trace (traceparent), and the work done
	 * under it. remote_parent: parent_id is the caller's span, in another
	 * process. */
	bool own_trace, remote_parent;
	uint8_t trace_id[16];
	/* attrs[desc_first] and the desc_count after it say what the span's
	 * descriptor is, the same for the same desc_stamp (0: none), a number
	 * never given to another description in the process: an encoder may
	 * keep them encoded by it. */
	uint64_t desc_stamp;
	unsigned desc_first, desc_count;
	/* A traced call (decode.c): the operation's family (enum ts_family)
	 * says whether it may be rolled up into its parent (rollup.h). */
	bool call;
	uint8_t family;
	/* The calls rolled up into this span (traceshim.calls.*), at most
	 * TS_ROLLUP_ATTRS; valid until the exporter call returns. */
	const struct ts_attr *rolled;
	unsigned nrolled;
	unsigned nattrs;
	struct ts_attr attrs[TS_MAX_ATTRS];
};

/* Who a span belongs to: the process or one of its threads. */
struct ts_track {
	uint64_t uuid;
	uint64_t parent_uuid;           /* 0 for the process track */
	uint32_t sequence;              /* writer sequence id, unique in the file */
	pid_t pid, tid;                 /* tid 0 for the process track */
	pid_t ppid;                     /* the process track: its parent process */
	const char *name;
	void **sink_state;              /* where the exporter keeps per-track state */
};

static inline void ts_span_int(struct ts_span *s, const char *key, int64_t v)
{
	if (s->nattrs < TS_MAX_ATTRS)
		s->attrs[s->nattrs++] = (struct ts_attr){.key = key, .type = TS_VAL_INT, .v.i = v};
}

static inline void ts_span_str(struct ts_span *s, const char *key, const char *v)
{
	if (v && s->nattrs < TS_MAX_ATTRS)
		s->attrs[s->nattrs++] = (struct ts_attr){.key = key, .type = TS_VAL_STR, .v.s = v};
}

/* A string constant as value: encoders may cache it by address. */
static inline void ts_span_const(struct ts_span *s, const char *key, const char *v)
{
	if (v && s->nattrs < TS_MAX_ATTRS)
		s->attrs[s->nattrs++] = (struct ts_attr){.key = key, .type = TS_VAL_STR, .stable = 1,
							 .v.s = v};
}

/* Sets a in list (n of TS_MAX_ATTRS used): replaces the attribute with the
 * same key, else appends (dropped when the list is full). */
static inline void ts_attr_set(struct ts_attr *list, unsigned *n, const struct ts_attr *a)
{
	/* The same address, or else a first letter that differs, is most
	 * comparisons: no call to strcmp for them. */
	unsigned j = 0;
	while (j < *n && list[j].key != a->key &&
	       (list[j].key[0] != a->key[0] || strcmp(list[j].key, a->key) != 0))
		j++;
	if (j < *n)
		list[j] = *a;
	else if (*n < TS_MAX_ATTRS)
		list[(*n)++] = *a;
}

#endif
