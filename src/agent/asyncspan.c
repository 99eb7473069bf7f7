/* Spans that end anywhere, kept whole until they end (see asyncspan.h). */
#include "asyncspan.h"

#include "export.h"
#include "fdinfo.h"
#include "ids.h"
#include "large.h"
#include "procinfo.h"
#include "textpool.h"
#include "trackctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define BUCKETS 1024
#define MAX_OPEN 16384       /* beyond this, new spans are dropped (counted) */
#define LANES 64

struct entry {
	struct entry *next;
	uint64_t handle;
	bool begun, ended;
	int status;
	uint64_t end_ns;
	unsigned cycle;          /* when first seen */
	struct ts_span span;     /* from the start; its strings live in text */
	struct ts_text_chunk *text;
	struct ts_notes notes;
	/* An HTTP span's connection, named at its end: its peer is looked up
	 * once the cycle has read every ring (the accept that tells it may be
	 * in another thread's ring), and the span goes out then. */
	int peer_fd;
	uint32_t peer_gen;
	uint8_t peer_kind;
	uint8_t peer_role;       /* 0: none; TS_USER_CLIENT or TS_USER_SERVER */
};

struct lane {
	struct ts_track track;
	void *state[TS_STATE_COUNT];
	uint64_t busy_until;
	char name[16];
};

static TS_LARGE struct entry *buckets[BUCKETS];
/* Entries of spans gone out, kept with their text memory for the next: a
 * server makes and ends one for every request, and a cycle may begin and
 * end hundreds (each entry is about 1 KiB). */
#define SPARES 512
static struct entry *spares;
static unsigned nspares;
static unsigned nopen, nunbegun, npeer, cycle_no;
static uint64_t dropped;
static struct lane *lanes[LANES];
static unsigned nlanes;

static struct entry **slot_of(uint64_t handle)
{
	struct entry **p = &buckets[ts_mix64(handle) % BUCKETS];
	while (*p && (*p)->handle != handle)
		p = &(*p)->next;
	return p;
}

static struct entry *get(uint64_t handle)
{
	struct entry **p = slot_of(handle);
	if (*p)
		return *p;
	if (nopen == MAX_OPEN) {
		dropped++;
		return NULL;
	}
	struct entry *e = spares;
	if (e) {
		spares = e->next;
		nspares--;
	} else if ((e = malloc(sizeof *e))) {
		e->text = NULL;
		ts_notes_init(&e->notes);
	} else {
		dropped++;
		return NULL;
	}
	e->next = NULL;
	e->handle = handle;
	e->begun = e->ended = false;
	e->status = 0;
	e->peer_role = 0;
	e->end_ns = 0;
	e->cycle = cycle_no;
	*p = e;
	nopen++;
	nunbegun++;
	return e;
}

static void drop(struct entry *e)
{
	struct entry **p = slot_of(e->handle);
	*p = e->next;
	nopen--;
	if (!e->begun)
		nunbegun--;
	if (e->peer_role)
		npeer--;
	if (nspares < SPARES) {
		ts_notes_clear(&e->notes);
		ts_text_clear(&e->text);
		e->next = spares;
		spares = e;
		nspares++;
		return;
	}
	ts_notes_free(&e->notes);
	ts_text_free(&e->text);
	free(e);
}

static struct lane *new_lane(unsigned i, uint64_t ts)
{
	struct lane *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	const struct ts_track *proc = ts_tracks_process();
	snprintf(l->name, sizeof l->name, "async %u", i + 1);
	l->track = (struct ts_track){
		.uuid = ts_mix64(ts_ids.seed ^ (0xa5a5ull << 48) ^ i) | 1,
		.parent_uuid = proc->uuid,
		.sequence = (uint32_t)ts_mix64(ts_ids.seed ^ (0xa5a6ull << 40) ^ i) | 0x80000000u,
		.pid = proc->pid, .name = l->name, .sink_state = l->state,
	};
	ts_export_lane(proc, &l->track, ts);
	return l;
}

/* The first lane free at start, a new one, or (all taken) the one that
 * frees soonest. */
static struct lane *lane_for(uint64_t start, uint64_t end)
{
	struct lane *best = NULL;
	for (unsigned i = 0; i < nlanes; i++) {
		if (lanes[i]->busy_until <= start) {
			best = lanes[i];
			break;
		}
		if (!best || lanes[i]->busy_until < best->busy_until)
			best = lanes[i];
	}
	if ((!best || best->busy_until > start) && nlanes < LANES) {
		struct lane *l = new_lane(nlanes, start);
		if (l)
			best = lanes[nlanes++] = l;
	}
	if (best && end > best->busy_until)
		best->busy_until = end;
	return best;
}

/* The other end of an HTTP span's connection (HTTP spans conventions): the
 * client for a server span, the peer for a client span. */
static bool add_peer(struct entry *e, const struct ts_fdinfo *given)
{
	const struct ts_fdinfo *fi =
		given ? given : ts_fdinfo_get(e->peer_fd, e->peer_gen, e->peer_kind);
	bool server = e->peer_role == TS_USER_SERVER;
	if (!fi || fi->type != TS_FD_SOCKET || !fi->path[0])
		return false;
	struct ts_attr a[2] = {
		{.key = server ? "client.address" : "network.peer.address", .type = TS_VAL_STR,
		 .v.s = fi->path},
		{.key = server ? "client.port" : "network.peer.port", .type = TS_VAL_INT,
		 .v.i = fi->port},
	};
	ts_notes_attrs(&e->notes, a, fi->port ? 2 : 1);
	return true;
}

static void emit(struct entry *e, bool unended)
{
	if (e->peer_role) {
		add_peer(e, NULL);
		e->peer_role = 0;
		npeer--;
	}
	struct ts_span s = e->span;
	s.end_ns = e->end_ns > s.start_ns ? e->end_ns : s.start_ns;
	ts_notes_apply(&e->notes, &s, e->status);
	if (unended && s.nattrs < TS_MAX_ATTRS)
		s.attrs[s.nattrs++] = (struct ts_attr){.key = "traceshim.unended", .type = TS_VAL_BOOL,
						       .v.b = true};
	struct lane *l = lane_for(s.start_ns, s.end_ns);
	if (l)
		ts_export_span(&l->track, TS_SPAN_COMPLETE, &s);
	drop(e);
}

const uint8_t *ts_async_payload(uint64_t handle, const uint8_t *payload, unsigned len)
{
	struct entry *e = get(handle);
	return e && !e->begun ? ts_text_keep_bytes(&e->text, payload, len) : NULL;
}

void ts_async_begin(uint64_t handle, const struct ts_span *s, bool owned)
{
	struct entry *e = get(handle);
	if (!e || e->begun)
		return;
	e->span = *s;
	e->span.name = s->dyn_name && !owned ? ts_text_keep(&e->text, s->name) : s->name;
	if (!owned)
		e->span.nattrs = 0;
	for (unsigned i = 0; !owned && i < s->nattrs; i++) {
		e->span.attrs[e->span.nattrs] = s->attrs[i];
		if (ts_text_keep_attr(&e->text, &e->span.attrs[e->span.nattrs]))
			e->span.nattrs++;
	}
	if (!e->span.name)
		e->span.name = "span";
	e->begun = true;
	nunbegun--;
	if (e->ended)
		emit(e, false);
}

static void end_entry(struct entry *e, uint64_t ns, int status)
{
	e->ended = true;
	e->end_ns = ns;
	e->status = status;
	if (e->begun && !e->peer_role)
		emit(e, false);
}

void ts_async_end(uint64_t handle, uint64_t ns, int status)
{
	struct entry *e = get(handle);
	if (e && !e->ended)
		end_entry(e, ns, status);
}

void ts_async_end_peer(uint64_t handle, uint64_t ns, int status, int fd, uint32_t gen,
		       uint8_t kind, uint8_t role, const uint8_t *addr, unsigned alen)
{
	struct entry *e = get(handle);
	if (!e || e->ended)
		return;
	e->peer_fd = fd;
	e->peer_gen = gen;
	e->peer_kind = kind;
	e->peer_role = role;
	/* Known now, it is taken now: by the end of the cycle the number may
	 * name a newer connection. */
	struct ts_fdinfo said = {.type = TS_FD_SOCKET};
	struct sockaddr_storage sa;
	bool known = alen && alen <= sizeof sa &&
		     (memcpy(&sa, addr, alen), ts_sockaddr_describe((struct sockaddr *)&sa, alen, &said));
	if (add_peer(e, known ? &said : NULL))
		e->peer_role = 0;
	else
		npeer++;
	end_entry(e, ns, status);
}

struct ts_notes *ts_async_notes(uint64_t handle)
{
	struct entry *e = get(handle);
	return e ? &e->notes : NULL;
}

bool ts_async_started(uint64_t handle, uint64_t *start_ns)
{
	const struct entry *e = *slot_of(handle);
	if (!e || !e->begun || e->ended)
		return false;
	*start_ns = e->span.start_ns;
	return true;
}

void ts_async_cycle_end(void)
{
	cycle_no++;
	for (unsigned b = 0; npeer && b < BUCKETS; b++) {
		struct entry *e = buckets[b];
		while (e) {
			struct entry *next = e->next;
			if (e->peer_role && e->begun && e->ended)
				emit(e, false);
			e = next;
		}
	}
	if (!nunbegun)
		return;
	/* A start is always written before its end and its notes, and every
	 * ring is read each cycle: by now it would have come. */
	for (unsigned b = 0; b < BUCKETS; b++) {
		struct entry *e = buckets[b];
		while (e) {
			struct entry *next = e->next;
			if (!e->begun && cycle_no - e->cycle >= 2)
				drop(e);
			e = next;
		}
	}
}

uint64_t ts_async_end_all(uint64_t end_ns)
{
	/* A process killed by a signal cut what it had under way short. */
	int st = ts_exit_status();
	bool killed = st >= 0 && (st & TS_EXIT_SIGNAL);
	const struct ts_attr cut = {.key = "error.type", .type = TS_VAL_STR, .v.s = "signal"};
	for (unsigned b = 0; b < BUCKETS; b++) {
		while (buckets[b]) {
			struct entry *e = buckets[b];
			if (!e->begun) {
				drop(e);
				continue;
			}
			bool unended = !e->ended;
			if (unended)
				e->end_ns = end_ns;
			if (unended && killed) {
				ts_notes_attrs(&e->notes, &cut, 1);
				e->status = TS_STATUS_ERROR;
			}
			emit(e, unended);
		}
	}
	return dropped;
}

void ts_async_after_fork(void)
{
	/* The parent's spans are its own: forget them (leaked, never freed, as
	 * the rest of the parent's drainer state). */
	memset(buckets, 0, sizeof buckets);
	memset(lanes, 0, sizeof lanes);
	spares = NULL;
	nspares = 0;
	nopen = nunbegun = npeer = cycle_no = nlanes = 0;
	dropped = 0;
}

void ts_async_reset(void)
{
	for (unsigned b = 0; b < BUCKETS; b++)
		while (buckets[b])
			drop(buckets[b]);
	while (spares) {
		struct entry *e = spares;
		spares = e->next;
		ts_notes_free(&e->notes);
		ts_text_free(&e->text);
		free(e);
	}
	nspares = 0;
	for (unsigned i = 0; i < nlanes; i++) {
		ts_export_forget(lanes[i]->state);
		free(lanes[i]);
		lanes[i] = NULL;
	}
	nopen = nunbegun = npeer = cycle_no = nlanes = 0;
	dropped = 0;
}
