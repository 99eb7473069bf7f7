/* Which request a thread's work is for. A server span is current on the
 * thread that read its request until its response is sent there: what the
 * thread does meanwhile (files, SQL, the calls it makes) is under it, in its
 * caller's trace (httpinject.c takes the trace for the requests it sends).
 *
 * A thread serving one request at a time (a thread per connection, or an
 * event loop whose requests do not overlap) has it right. An event loop that
 * reads a request before it has answered the one before cannot be told
 * apart from the bytes: which of them a call is for is not known. While more
 * than one is open on the thread none is current (the calls are under the
 * thread, in no request's trace), rather than a wrong one; once only one is
 * left, it is current again. Never is a request's span the child of
 * another's. */
#include "httpconn_int.h"

#include "context.h"

#include <string.h>

/* The requests read on this thread and not answered yet: the slot's handle
 * (zeroed when the span ends, on whichever thread) says whether one still
 * is. Past SERVED, they are only counted (`untracked`) until they are
 * answered on this thread; while any is, none is current. */
#define SERVED 8

struct request {
	uint64_t handle;
	const uint64_t *live;   /* the slot's handle of its request */
	uint8_t trace_id[16];   /* its caller's trace, when it said one */
	uint8_t flags;
	bool remote;
};

static __thread struct {
	struct request req[SERVED];
	uint32_t n, untracked;
	uint64_t current;   /* the handle whose scope this file pushed, or 0 */
} served __attribute__((tls_model("initial-exec")));

void ts_http_scope_after_fork(void)
{
	memset(&served, 0, sizeof served);
}

uint32_t ts_http_outside_requests(const struct ts_thread *t)
{
	for (uint32_t i = 0; i < t->nscopes; i++)
		if (t->scopes[i].kind == TS_SCOPE_HTTP)
			return t->scopes[i].restore;
	return t->cur_span;
}

/* The request whose scope is on the thread (the innermost of its kind:
 * spans the program began inside it may be above it), or NULL. */
static const struct request *current(const struct ts_thread *t)
{
	if (!served.current)
		return NULL;
	bool scoped = false;
	for (uint32_t i = 0; i < t->nscopes && !scoped; i++)
		scoped = t->scopes[i].kind == TS_SCOPE_HTTP && t->scopes[i].handle == served.current;
	for (uint32_t i = 0; scoped && i < served.n; i++)
		if (served.req[i].handle == served.current)
			return &served.req[i];
	return NULL;
}

bool ts_http_current_trace(const struct ts_thread *t, uint8_t trace_id[16], uint8_t *flags)
{
	const struct request *r = current(t);
	if (!r || !r->remote)
		return false;
	memcpy(trace_id, r->trace_id, 16);
	*flags = r->flags;
	return true;
}

/* The one request open becomes current, unless a request's scope is already
 * on the thread (under spans the program began and left open). */
static void push(struct ts_thread *t, const struct request *r)
{
	for (uint32_t i = 0; i < t->nscopes; i++)
		if (t->scopes[i].kind == TS_SCOPE_HTTP)
			return;
	if (t->nscopes == TS_SCOPES)
		return;
	t->scopes[t->nscopes++] = (struct ts_scope){
		.span = (uint32_t)r->handle, .restore = t->cur_span, .handle = r->handle,
		.kind = TS_SCOPE_HTTP,
	};
	t->cur_span = (uint32_t)r->handle;
	served.current = r->handle;
}

/* The current request's scope ends, when it is the thread's innermost (what
 * the program began inside it and left open keeps it). */
static void pop(struct ts_thread *t)
{
	if (!t->nscopes)
		return;
	const struct ts_scope *top = &t->scopes[t->nscopes - 1];
	if (top->kind == TS_SCOPE_HTTP && top->handle == served.current) {
		t->cur_span = top->restore;
		t->nscopes--;
		served.current = 0;
	}
}

/* Forgets the requests whose spans have ended, here or on another thread. */
static void purge(void)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < served.n; i++)
		if (__atomic_load_n(served.req[i].live, __ATOMIC_RELAXED) == served.req[i].handle)
			served.req[k++] = served.req[i];
	served.n = k;
}

void ts_http_enter(struct ts_thread *t, uint64_t handle, const uint64_t *live, const char *traceparent)
{
	purge();
	pop(t);   /* another one open (or one ended elsewhere): not current any more */
	if (served.n == SERVED) {
		served.untracked++;
		return;
	}
	struct request *r = &served.req[served.n++];
	*r = (struct request){.handle = handle, .live = live};
	uint64_t span_id;
	r->remote = traceparent && ts_traceparent_parse(traceparent, r->trace_id, &span_id, &r->flags);
	if (served.n == 1 && !served.untracked)
		push(t, r);
}

void ts_http_leave(struct ts_thread *t, uint64_t handle)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < served.n; i++)
		if (served.req[i].handle != handle)
			served.req[k++] = served.req[i];
	if (k < served.n)
		served.n = k;
	else if ((uint32_t)(handle >> 32) == t->index && served.untracked)
		served.untracked--;   /* read here, past SERVED */
	else
		return;   /* not read on this thread */
	if (served.current == handle)
		pop(t);
	purge();
	if (served.n == 1 && !served.untracked && !served.current)
		push(t, &served.req[0]);
}
