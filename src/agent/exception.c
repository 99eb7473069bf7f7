/* Exception events (see exception.h). */
#include "exception.h"

#include "clock.h"
#include "export.h"
#include "symbols.h"
#include "trackctx.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 4096

/* One event with its strings, waiting for its span to end. */
struct pending {
	uint32_t span;
	struct ts_event ev;
	char type[256], message[384], stack[TEXT_MAX];
};

struct ts_exc_state {
	struct pending *list[TS_EXC_PENDING_MAX];
	unsigned n;
	unsigned dropped;            /* events that found no place */
	struct ts_event out[TS_EXC_PENDING_MAX];
	struct pending *handed[TS_EXC_PENDING_MAX];
	unsigned nhanded;
	char crash[256];             /* "SIGSEGV" when the thread crashed */
};

static struct ts_exc_state *state_of(struct ts_track_ctx *c)
{
	if (!c->exceptions)
		c->exceptions = calloc(1, sizeof *c->exceptions);
	return c->exceptions;
}

static const char *code_name(int sig, int code)
{
	if (code <= 0)
		return code == SI_USER ? "SI_USER" : code == SI_TKILL ? "SI_TKILL" : "SI_QUEUE";
	switch (sig) {
	case SIGSEGV:
		return code == SEGV_MAPERR ? "SEGV_MAPERR" : code == SEGV_ACCERR ? "SEGV_ACCERR" : NULL;
	case SIGBUS:
		return code == BUS_ADRALN ? "BUS_ADRALN" : code == BUS_ADRERR ? "BUS_ADRERR" : NULL;
	case SIGFPE:
		return code == FPE_INTDIV ? "FPE_INTDIV" : code == FPE_FLTDIV ? "FPE_FLTDIV" : NULL;
	case SIGILL:
		return code == ILL_ILLOPC ? "ILL_ILLOPC" : NULL;
	}
	return NULL;
}

const char *ts_signal_name(int sig, char buf[16])
{
	const char *abbrev = sigabbrev_np(sig);
	if (abbrev)
		snprintf(buf, 16, "SIG%s", abbrev);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, 16, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, 16, "SIG%d", sig);
	return buf;
}

static void describe(struct pending *p, const struct ts_rec *r, const char *type)
{
	int sig = r->op;
	if (sig) {
		char name[16];
		snprintf(p->type, sizeof p->type, "%s", ts_signal_name(sig, name));
		const char *code = code_name(sig, r->err);
		const char *what = sigdescr_np(sig);
		bool fault = r->err > 0 && (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL);
		if (fault)
			snprintf(p->message, sizeof p->message, "%s (%s, code %d) at address 0x%lx",
				 what ? what : p->type, code ? code : "?", r->err, (unsigned long)r->arg);
		else
			snprintf(p->message, sizeof p->message, "%s (%s)", what ? what : p->type,
				 code ? code : "?");
	} else {
		char dem[256];
		snprintf(p->type, sizeof p->type, "%s", ts_symbols_demangle(type, dem, sizeof dem));
		snprintf(p->message, sizeof p->message, "C++ exception of type %s thrown", p->type);
	}
}

void ts_exception_record(struct ts_track_ctx *c, const struct ts_rec *r, const uint8_t *payload,
			 unsigned len)
{
	struct ts_exc_state *st = state_of(c);
	struct pending *p = calloc(1, sizeof *p);
	if (!st || !p) {
		free(p);
		return;
	}
	/* Payload (ring.h): n addresses, n module numbers, the type name. */
	unsigned nips = r->fd > 0 && (unsigned)r->fd * 10 <= len ? (unsigned)r->fd : 0;
	if (nips > 32)
		nips = 32;
	uint64_t ips[32];
	uint16_t modules[32];
	memcpy(ips, payload, nips * 8);
	memcpy(modules, payload + nips * 8, nips * 2);
	unsigned at = nips * 10;
	char type[256];
	size_t tlen = len > at ? strnlen((const char *)payload + at, len - at) : 0;
	if (tlen >= sizeof type)
		tlen = sizeof type - 1;
	memcpy(type, payload + at, tlen);
	type[tlen] = 0;

	describe(p, r, type);
	ts_symbols_format(ips, modules, nips, p->stack, sizeof p->stack);
	p->span = r->parent;
	p->ev = (struct ts_event){.name = "exception", .time_ns = ts_clock_to_ns(r->t0)};
	struct ts_span attrs = {0};
	ts_span_str(&attrs, "exception.type", p->type);
	ts_span_str(&attrs, "exception.message", p->message);
	if (p->stack[0])
		ts_span_str(&attrs, "exception.stacktrace", p->stack);
	memcpy(p->ev.attrs, attrs.attrs, attrs.nattrs * sizeof *attrs.attrs);
	p->ev.nattrs = attrs.nattrs;
	ts_export_instant(&c->track, p->ev.time_ns, "exception", false, &attrs, 0);
	if (r->kind)
		snprintf(st->crash, sizeof st->crash, "%s", p->type);
	if (st->n == TS_EXC_PENDING_MAX) {
		st->dropped++;
		free(p);
		return;
	}
	st->list[st->n++] = p;
}

void ts_exception_attach(struct ts_track_ctx *c, uint32_t span, struct ts_span *s)
{
	struct ts_exc_state *st = c->exceptions;
	if (!st)
		return;
	unsigned kept = 0;
	st->nhanded = 0;
	for (unsigned i = 0; i < st->n; i++) {
		struct pending *p = st->list[i];
		if (span == 0 || p->span == span) {
			st->out[st->nhanded] = p->ev;
			st->handed[st->nhanded++] = p;
		} else {
			st->list[kept++] = p;
		}
	}
	st->n = kept;
	if (st->nhanded) {
		s->events = st->out;
		s->nevents = st->nhanded;
	}
	if (span == 0) {
		s->dropped_events = st->dropped;
		if (st->crash[0]) {
			s->status = TS_STATUS_ERROR;
			s->status_message = st->crash;
			s->error_type = st->crash;
			ts_span_str(s, "error.type", st->crash);
		}
	}
}

void ts_exception_done(struct ts_track_ctx *c)
{
	struct ts_exc_state *st = c->exceptions;
	if (!st)
		return;
	for (unsigned i = 0; i < st->nhanded; i++)
		free(st->handed[i]);
	st->nhanded = 0;
}

void ts_exception_forget(struct ts_track_ctx *c)
{
	struct ts_exc_state *st = c->exceptions;
	if (!st)
		return;
	ts_exception_done(c);
	for (unsigned i = 0; i < st->n; i++)
		free(st->list[i]);
	free(st);
	c->exceptions = NULL;
}
