/* Blocking waits (TS_SHAPE_WAIT) and the releases that end them
 * (TS_SHAPE_WAKE) as spans: what was waited on, for how long it could have
 * waited, how it ended, and the arrow from the release that woke it. A
 * release's span starts a flow numbered by its own span id; the wait whose
 * record names that span (thread index, span number: record/wake.h) ends
 * the flow at its end, where Perfetto draws the arrow, and carries an OTLP
 * link to it. A broadcast that wakes several waiters draws one arrow, to
 * the first that found it (a Perfetto flow ends once); every waiter keeps
 * its link. A join links to the joined thread's span, with no arrow. */
#include "decode.h"

#include "ids.h"
#include "ops.h"

#include <errno.h>
#include <stdio.h>

static char addr_buf[2 + 16 + 1], waker_buf[16 + 1];

static bool is_mutex(unsigned op)
{
	return op == TS_OP_MUTEX_LOCK || op == TS_OP_MUTEX_TIMEDLOCK || op == TS_OP_MUTEX_CLOCKLOCK;
}

static bool is_rwlock(unsigned op)
{
	return op >= TS_OP_RWLOCK_RDLOCK && op <= TS_OP_RWLOCK_CLOCKWRLOCK;
}

static bool is_join(unsigned op)
{
	return op == TS_OP_PTHREAD_JOIN || op == TS_OP_PTHREAD_TIMEDJOIN ||
	       op == TS_OP_PTHREAD_CLOCKJOIN;
}

static void address(struct ts_span *s, uint64_t addr)
{
	snprintf(addr_buf, sizeof addr_buf, "0x%llx", (unsigned long long)addr);
	ts_span_str(s, "traceshim.wait.address", addr_buf);
}

int ts_decode_wait(unsigned op, const struct ts_rec *r, struct ts_span *s)
{
	if (ts_ops[op].shape == TS_SHAPE_WAKE) {
		address(s, r->arg);
		ts_span_int(s, "traceshim.wake.waiters", r->aux);
		s->flow_out = s->span_id;   /* ended by the wait it woke, if any */
		return r->err;
	}
	if (is_join(op)) {
		if (r->aux)
			ts_span_int(s, "traceshim.wait.thread_tid", r->aux);
	} else {
		address(s, r->arg);
		if (r->aux && is_mutex(op))
			ts_span_int(s, "traceshim.wait.owner_tid", r->aux);
		else if (r->aux && is_rwlock(op))
			ts_span_int(s, "traceshim.wait.writer_tid", r->aux);
	}
	if (r->aux_kind & TS_WAIT_TIMED)
		ts_span_int(s, "traceshim.wait.timeout_ms", r->aux2);
	int err = r->err;
	const char *result = err == 0 || err == EOWNERDEAD ? "woken" :
			     err == ETIMEDOUT ? "timeout" : "error";
	ts_span_const(s, "traceshim.wait.result", result);
	if (r->fd >= 0) {
		uint64_t waker = ts_span_id((uint32_t)r->fd, r->fdgen);
		s->link_id = waker;
		if (r->aux_kind & TS_WAIT_ARROW)   /* the first waiter the release woke */
			s->flow_in_end = waker;
		snprintf(waker_buf, sizeof waker_buf, "%016llx", (unsigned long long)waker);
		ts_span_str(s, "traceshim.wait.woken_by", waker_buf);
	}
	/* A timeout is an outcome, not a failure; a robust mutex's dead owner
	 * (EOWNERDEAD) is a lock taken, and said as an error type. */
	return err == ETIMEDOUT ? 0 : err;
}
