/* The program's spans on the drainer side (see userspan.h). */
#include "userspan.h"

#include "asyncspan.h"
#include "attrpack.h"
#include "clock.h"
#include "context.h"
#include "cpusample.h"
#include "exception.h"
#include "export.h"
#include "ids.h"
#include "names.h"
#include "notes.h"
#include "ops.h"
#include "summary.h"
#include "trackctx.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define LINKS 64   /* contexts of other threads attached lately */
#define FOREIGN 16   /* spans of other traces open lately (server spans) */

struct open_span {
	uint32_t span;
	uint64_t start_ns;
	char name[TS_NAME_MAX + 1];
	struct ts_notes notes;
};

struct ts_user_track {
	struct {
		uint32_t local;
		uint64_t id;
	} links[LINKS];
	unsigned nlinks;                  /* ever added; the last LINKS are kept */
	struct open_span *open[TS_SCOPES];
	unsigned depth;
	/* Spans of the thread that belong to another trace than the
	 * process's (a server span continuing its caller's trace): the work
	 * under them is in that trace too. */
	struct {
		uint32_t local;
		uint8_t trace_id[16];
	} foreign[FOREIGN];
	unsigned nforeign;                /* ever added; the last FOREIGN are kept */
};

static inline uint64_t id_of(uint64_t handle)
{
	return ts_span_id((uint32_t)(handle >> 32), (uint32_t)handle);
}

static struct ts_user_track *state_of(struct ts_track_ctx *c)
{
	if (!c->user)
		c->user = calloc(1, sizeof *c->user);
	return c->user;
}

uint64_t ts_user_parent(const struct ts_track_ctx *c, uint32_t local)
{
	const struct ts_user_track *u = c->user;
	if (u && u->nlinks) {
		unsigned kept = u->nlinks < LINKS ? u->nlinks : LINKS;
		for (unsigned i = 1; i <= kept; i++) {
			unsigned at = (u->nlinks - i) % LINKS;
			if (u->links[at].local == local)
				return u->links[at].id;
		}
	}
	return ts_span_id(c->index, local);
}

void ts_user_trace(const struct ts_track_ctx *c, uint32_t parent, struct ts_span *s)
{
	const struct ts_user_track *u = c->user;
	unsigned kept = u ? (u->nforeign < FOREIGN ? u->nforeign : FOREIGN) : 0;
	for (unsigned i = 1; i <= kept; i++) {
		unsigned at = (u->nforeign - i) % FOREIGN;
		if (u->foreign[at].local == parent) {
			s->own_trace = true;
			memcpy(s->trace_id, u->foreign[at].trace_id, 16);
			return;
		}
	}
}

static void foreign_add(struct ts_track_ctx *c, uint32_t local, const uint8_t trace_id[16])
{
	struct ts_user_track *u = state_of(c);
	if (!u)
		return;
	unsigned at = u->nforeign++ % FOREIGN;
	u->foreign[at].local = local;
	memcpy(u->foreign[at].trace_id, trace_id, 16);
}

/* The caller's context a server span continues (httpconn.c passes the
 * request's traceparent as this attribute): taken out of the attributes. */
static void remote_parent(struct ts_span *s)
{
	for (unsigned i = 0; i < s->nattrs; i++) {
		const struct ts_attr *a = &s->attrs[i];
		/* The first letter first: no call to strcmp for the others. */
		if (a->type != TS_VAL_STR || a->key[0] != TS_REMOTE_PARENT_KEY[0] ||
		    strcmp(a->key, TS_REMOTE_PARENT_KEY))
			continue;
		uint8_t trace_id[16], flags;
		uint64_t span_id;
		if (ts_traceparent_parse(a->v.s, trace_id, &span_id, &flags)) {
			s->own_trace = s->remote_parent = true;
			memcpy(s->trace_id, trace_id, 16);
			s->parent_id = span_id;
			/* The arrow from the caller's span, when it is in the same
			 * trace file: a flow both carry (the client's span id), not
			 * one this span terminates, since the caller may not be
			 * traced at all. */
			s->flow_out = span_id;
		}
		s->attrs[i] = s->attrs[--s->nattrs];
		return;
	}
}

/* The program's attribute names are few and come again and again: kept once
 * for the process (names.h), a span's copy of its text and the exporters'
 * lookups by content are saved. */
static void keep_keys(struct ts_attr *attrs, unsigned n, unsigned place)
{
	for (unsigned i = 0; i < n; i++) {
		if (!attrs[i].dynkey)
			continue;   /* a known key (attrpack.h): a constant already */
		const char *k = ts_key_keep_at(place + i, attrs[i].key, strlen(attrs[i].key));
		if (k) {
			attrs[i].key = k;
			attrs[i].dynkey = 0;
		}
	}
}

/* A span name of the program's, kept the same way when the table of them
 * has room (else it stays scratch text). */
static void keep_name(struct ts_span *s, const char *name)
{
	const char *kept = name[0] ? ts_user_name_keep(name, strlen(name)) : "span";
	s->name = kept ? kept : name;
	s->dyn_name = !kept;
}

static struct open_span *find_open(struct ts_track_ctx *c, uint32_t span)
{
	struct ts_user_track *u = c->user;
	for (unsigned i = u ? u->depth : 0; i-- > 0;)
		if (u->open[i]->span == span)
			return u->open[i];
	return NULL;
}

/* Where notes for the span with this handle go: its slice when it is open on
 * a thread's track, else the spans that may end anywhere. */
static struct ts_notes *notes_for(struct ts_track_ctx *c, uint64_t handle)
{
	uint32_t index = (uint32_t)(handle >> 32), span = (uint32_t)handle;
	struct ts_track_ctx *owner = index == c->index ? c : ts_tracks_by_index(index);
	struct open_span *o = owner ? find_open(owner, span) : NULL;
	if (o)
		return &o->notes;
	if (span <= 1)
		return NULL;   /* a thread span: no notes */
	return ts_async_notes(handle);
}

/* A client span whose request went out with the shim's traceparent. */
static bool injected(const struct ts_span *s)
{
	for (unsigned i = 0; i < s->nattrs; i++)
		if (!strcmp(s->attrs[i].key, ts_known_keys.HTTP_TRACEPARENT))
			return s->attrs[i].type == TS_VAL_STR && !strcmp(s->attrs[i].v.s, "injected");
	return false;
}

static void begin(struct ts_track_ctx *c, const struct ts_rec *r, const uint8_t *payload,
		  unsigned len)
{
	struct ts_span s;
	memset(&s, 0, offsetof(struct ts_span, attrs));   /* attrs are filled as counted */
	const char *name;
	char inline_name[TS_INLINE_NAME];
	uint64_t handle = (uint64_t)c->index << 32 | r->span;
	bool owned = false;   /* the strings are the async span's own (asyncspan.h) */
	if (r->kind & TS_USER_NAME_INLINE) {
		memcpy(inline_name, &r->t1, sizeof inline_name);
		inline_name[TS_INLINE_NAME - 1] = 0;
		name = inline_name;
	} else {
		const uint8_t *own = r->aux_kind & TS_USER_ASYNC ?
			ts_async_payload(handle, payload, len) : NULL;
		owned = own != NULL;
		s.nattrs = ts_attrs_unpack(own ? own : payload, len, &name, s.attrs, TS_MAX_ATTRS);
		keep_keys(s.attrs, s.nattrs, 0);
	}
	keep_name(&s, name);
	s.kind = r->aux_kind & TS_USER_CLIENT   ? TS_KIND_CLIENT :
		 r->aux_kind & TS_USER_SERVER ? TS_KIND_SERVER : TS_KIND_INTERNAL;
	s.start_ns = ts_clock_to_ns(r->t0);
	s.span_id = ts_span_id(c->index, r->span);
	s.parent_id = ts_user_parent(c, r->parent);
	if (r->arg)   /* run after a hand-off: the arrow from where it was queued */
		s.flow_in = id_of(r->arg);
	remote_parent(&s);
	if (!s.own_trace)
		ts_user_trace(c, r->parent, &s);
	if (s.own_trace)
		foreign_add(c, r->span, s.trace_id);
	/* To the server span, when it is in the same trace file: only a request
	 * that took the shim's traceparent names this span to its server. */
	if ((r->aux_kind & TS_USER_CLIENT) && injected(&s))
		s.flow_out = s.span_id;
	c->last_ns = s.start_ns;
	if (r->aux_kind & TS_USER_ASYNC) {
		/* It goes out whole, later: a parent that is a call (the TLS
		 * call sending its request) comes first, and must stay a span. */
		ts_export_announce(&c->track, &s);
		ts_async_begin(handle, &s, owned);
		return;
	}
	struct ts_user_track *u = state_of(c);
	if (!u || u->depth == TS_SCOPES)
		return;   /* cannot happen: the program side keeps to TS_SCOPES */
	struct open_span *o = u->open[u->depth];
	if (!o && !(o = u->open[u->depth] = calloc(1, sizeof *o)))
		return;
	o->span = r->span;
	o->start_ns = s.start_ns;
	size_t n = strnlen(s.name, sizeof o->name - 1);
	memcpy(o->name, s.name, n);
	o->name[n] = 0;
	ts_notes_clear(&o->notes);
	u->depth++;
	ts_export_span(&c->track, TS_SPAN_BEGIN, &s);
	c->open_spans++;
}

static void end_one(struct ts_track_ctx *c, struct open_span *o, uint64_t ns, int status)
{
	struct ts_span e = {.end_ns = ns > o->start_ns ? ns : o->start_ns};
	ts_exception_attach(c, o->span, &e);
	ts_notes_apply(&o->notes, &e, status);
	ts_cpu_attr(c, o->start_ns, e.end_ns, &e);   /* after the program's own: they come first */
	ts_export_span(&c->track, TS_SPAN_END, &e);
	ts_exception_done(c);
	c->open_spans--;
	/* The summary counts it like a finished call. */
	e.name = o->name;
	e.kind = TS_KIND_INTERNAL;
	e.start_ns = o->start_ns;
	e.events = NULL;
	e.nevents = 0;
	ts_summary_span(&e);
}

/* Ends scoped span `span` and, before it, any begun inside it still open. */
static void end(struct ts_track_ctx *c, uint32_t span, uint64_t ns, int status)
{
	struct ts_user_track *u = c->user;
	unsigned i = u ? u->depth : 0;
	while (i > 0 && u->open[i - 1]->span != span)
		i--;
	if (i-- == 0)
		return;   /* not open here: ended twice, or its begin was dropped */
	while (u->depth > i) {
		u->depth--;
		end_one(c, u->open[u->depth], ns, u->depth == i ? status : TS_STATUS_UNSET);
	}
	c->last_ns = ns;
}

static void note(struct ts_track_ctx *c, const struct ts_rec *r, const uint8_t *payload,
		 unsigned len)
{
	if (r->op == TS_NOTE_HTTP_STATUS) {   /* no payload to read */
		struct ts_notes *n = notes_for(c, r->arg);
		const struct ts_attr status = {.key = ts_known_keys.HTTP_STATUS_CODE, .type = TS_VAL_INT,
					       .v.i = r->ret};
		if (n)
			ts_notes_attrs(n, &status, 1);
		c->last_ns = ts_clock_to_ns(r->t0);
		return;
	}
	struct ts_span a;   /* the attributes, and what Perfetto shows of them */
	memset(&a, 0, offsetof(struct ts_span, attrs));
	const char *name;
	a.nattrs = ts_attrs_unpack(payload, len, &name, a.attrs, TS_MAX_ATTRS);
	keep_keys(a.attrs, a.nattrs, TS_MAX_ATTRS);
	uint64_t ns = ts_clock_to_ns(r->t0);
	struct ts_notes *n = notes_for(c, r->arg);
	switch (r->op) {
	case TS_NOTE_ATTRS:
		if (n)
			ts_notes_attrs(n, a.attrs, a.nattrs);
		break;
	case TS_NOTE_EVENT:
		ts_export_instant(&c->track, ns, name[0] ? name : "event", true, &a, 0);
		if (n)
			ts_notes_event(n, name[0] ? name : "event", ns, a.attrs, a.nattrs);
		break;
	case TS_NOTE_ERROR: {
		const char *msg = a.nattrs && a.attrs[0].type == TS_VAL_STR ? a.attrs[0].v.s : "";
		ts_export_instant(&c->track, ns, name, true, &a, 0);
		if (n)
			ts_notes_error(n, name, msg, ns);
		break;
	}
	}
	c->last_ns = ns;
}

static void handoff(struct ts_track_ctx *c, const struct ts_rec *r, const uint8_t *payload,
		    unsigned len)
{
	const char *name;
	struct ts_attr none[1];
	ts_attrs_unpack(payload, len, &name, none, 0);
	uint64_t ns = ts_clock_to_ns(r->t0);
	/* The arrow starts here and ends where the work runs. */
	ts_export_instant(&c->track, ns, name, true, NULL, ts_span_id(c->index, r->span));
	struct ts_notes *n = notes_for(c, r->arg);
	if (n)
		ts_notes_event(n, name, ns, NULL, 0);
	c->last_ns = ns;
}

static void link(struct ts_track_ctx *c, const struct ts_rec *r)
{
	struct ts_user_track *u = state_of(c);
	if (!u)
		return;
	unsigned at = u->nlinks++ % LINKS;
	u->links[at].local = r->span;
	u->links[at].id = id_of(r->arg);
}

/* A span that may end on any thread (an HTTP exchange, the program's
 * ts_span_start()): its CPU time when it ends on the thread it began on,
 * which is the one whose samples say it. */
static void async_cpu(struct ts_track_ctx *c, uint64_t handle, uint64_t end_ns)
{
	uint64_t start;
	int64_t cpu;
	if ((uint32_t)(handle >> 32) != c->index || !ts_async_started(handle, &start) ||
	    !ts_cpu_span_ns(c, start, end_ns, &cpu))
		return;
	struct ts_notes *n = ts_async_notes(handle);
	const struct ts_attr a = {.key = TS_CPU_ATTR, .type = TS_VAL_INT, .v.i = cpu};
	if (n)
		ts_notes_attrs(n, &a, 1);
}

void ts_user_record(struct ts_track_ctx *c, const struct ts_rec *r, const uint8_t *payload,
		    unsigned len)
{
	switch (r->type) {
	case TS_REC_USER_BEGIN:
		begin(c, r, payload, len);
		break;
	case TS_REC_USER_END:
		if (r->aux_kind & TS_USER_ASYNC) {
			async_cpu(c, r->arg, ts_clock_to_ns(r->t0));
			uint8_t role = r->aux_kind & (TS_USER_CLIENT | TS_USER_SERVER);
			if (role && r->fd >= 0)
				ts_async_end_peer(r->arg, ts_clock_to_ns(r->t0), r->op, r->fd, r->fdgen,
						  (uint8_t)r->aux2, role, payload, len);
			else
				ts_async_end(r->arg, ts_clock_to_ns(r->t0), r->op);
		}
		else
			end(c, r->span, ts_clock_to_ns(r->t0), r->op);
		break;
	case TS_REC_USER_NOTE:
		note(c, r, payload, len);
		break;
	case TS_REC_USER_LINK:
		link(c, r);
		break;
	case TS_REC_HANDOFF:
		handoff(c, r, payload, len);
		break;
	}
}

void ts_user_track_end(struct ts_track_ctx *c, uint64_t ns)
{
	struct ts_user_track *u = c->user;
	/* Innermost first, by place rather than by number: numbers read from a
	 * damaged ring may repeat, and a span left open here would be ended
	 * again later, with the track's count of open spans already at 0. */
	while (u && u->depth) {
		u->depth--;
		end_one(c, u->open[u->depth], ns, TS_STATUS_UNSET);
		c->last_ns = ns;
	}
}

void ts_user_forget(struct ts_track_ctx *c)
{
	struct ts_user_track *u = c->user;
	if (!u)
		return;
	for (unsigned i = 0; i < TS_SCOPES; i++) {
		if (u->open[i])
			ts_notes_free(&u->open[i]->notes);
		free(u->open[i]);
	}
	free(u);
	c->user = NULL;
}
