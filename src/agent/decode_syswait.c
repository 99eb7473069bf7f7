/* Record -> span for the blocking waits in system calls: on descriptors,
 * time, child processes and futex words (TS_SHAPE_SYSWAIT, the record's
 * layout in format/syswait.h; the waits on locks, conditions, semaphores
 * and joins are decode_wait.c's): what was waited for, how long it was
 * allowed to take, and how it ended, as traceshim.wait.*. A timeout, a
 * signal that ended the wait, or a futex word that had already changed are
 * how waits end, not errors. A poll that a write of another thread woke
 * ends that write's flow and links to it. */
#include "decode.h"

#include "ids.h"
#include "ops.h"
#include "syswait.h"

#include <errno.h>
#include <stdio.h>

static char addr_buf[24];   /* the futex word's address; valid until the next decode */

static void result(struct ts_span *s, const char *what)
{
	ts_span_const(s, "traceshim.wait.result", what);
}

/* A failure: EINTR is an interruption, anything else an error; the error
 * number for decode.c to describe (ts_decode_error: EINTR as no error). */
static int failed(struct ts_span *s, int err)
{
	result(s, err == EINTR ? "interrupted" : "error");
	return err;
}

static void timeout_ms(struct ts_span *s, int64_t ms)
{
	if (ms >= 0)
		ts_span_int(s, "traceshim.wait.timeout_ms", ms);
}

static int decode_poll(const struct ts_rec *r, struct ts_span *s)
{
	int err = 0;
	ts_span_int(s, "traceshim.wait.fds", r->aux);
	timeout_ms(s, (int64_t)r->arg);
	if (r->ret > 0) {
		result(s, "ready");
		ts_span_int(s, "traceshim.wait.ready", r->ret);
	} else if (r->ret == 0) {
		result(s, "timeout");
	} else {
		err = failed(s, r->err);
	}
	if (r->fdgen) {
		/* The write that woke it (fdwake.h): its flow ends where the
		 * wait does, and the OTLP span links to it. */
		uint64_t waker = ts_span_id(r->fdgen - 1, r->aux2);
		s->flow_in_end = waker;
		s->link_id = waker;
	}
	return err;
}

static int decode_sleep(unsigned op, const struct ts_rec *r, struct ts_span *s)
{
	if (r->aux_kind == TS_WAIT_ABSOLUTE)
		ts_span_const(s, "traceshim.wait.until", "deadline");
	else
		ts_span_int(s, "traceshim.wait.requested_ns", (int64_t)r->arg);
	/* clock_nanosleep returns its error; sleep the seconds it did not sleep. */
	int err = op == TS_OP_CLOCK_NANOSLEEP ? (int)r->ret : r->ret < 0 ? r->err : 0;
	if (op == TS_OP_SLEEP && r->ret > 0) {
		result(s, "interrupted");
		ts_span_int(s, "traceshim.wait.unslept_s", r->ret);
	} else if (err) {
		return failed(s, err);
	} else {
		result(s, "completed");
	}
	return 0;
}

static int decode_child(const struct ts_rec *r, struct ts_span *s)
{
	ts_span_int(s, "traceshim.wait.pid", (int64_t)r->arg);
	if (r->ret < 0)
		return failed(s, r->err);
	if (r->aux)
		ts_span_int(s, "traceshim.wait.child.pid", r->aux);
	switch (r->aux_kind) {
	case TS_WAIT_CHILD_EXITED:
		result(s, "exited");
		ts_span_int(s, "process.exit.code", r->aux2);
		break;
	case TS_WAIT_CHILD_KILLED:
		result(s, "killed");
		ts_span_int(s, "traceshim.wait.signal", r->aux2);
		break;
	case TS_WAIT_CHILD_STOPPED:
		result(s, "stopped");
		ts_span_int(s, "traceshim.wait.signal", r->aux2);
		break;
	case TS_WAIT_CHILD_CONTINUED:
		result(s, "continued");
		break;
	default:
		result(s, "none");   /* WNOHANG with no child ready */
		break;
	}
	return 0;
}

static int decode_futex(const struct ts_rec *r, struct ts_span *s)
{
	snprintf(addr_buf, sizeof addr_buf, "0x%llx", (unsigned long long)r->arg);
	ts_span_str(s, "traceshim.wait.address", addr_buf);
	if (r->aux2)
		timeout_ms(s, (int64_t)r->aux2 - 1);
	if (r->ret >= 0) {
		result(s, "woken");
	} else if (r->err == ETIMEDOUT) {
		result(s, "timeout");
		ts_span_const(s, "traceshim.errno", ts_errno_name(ETIMEDOUT));
	} else if (r->err == EAGAIN) {
		result(s, "value_changed");   /* the word had changed: no error */
		return EAGAIN;                /* (ts_decode_error: no error either) */
	} else {
		return failed(s, r->err);
	}
	return 0;
}

int ts_decode_syswait(unsigned op, const struct ts_rec *r, struct ts_span *s)
{
	switch (op) {
	case TS_OP_POLL: case TS_OP_PPOLL: case TS_OP_SELECT: case TS_OP_PSELECT:
	case TS_OP_EPOLL_WAIT: case TS_OP_EPOLL_PWAIT: case TS_OP_EPOLL_PWAIT2:
		return decode_poll(r, s);
	case TS_OP_NANOSLEEP: case TS_OP_CLOCK_NANOSLEEP: case TS_OP_USLEEP: case TS_OP_SLEEP:
		return decode_sleep(op, r, s);
	case TS_OP_WAITPID: case TS_OP_WAIT: case TS_OP_WAIT4: case TS_OP_WAITID:
		return decode_child(r, s);
	case TS_OP_FUTEX_WAIT:
		return decode_futex(r, s);
	default:
		return 0;
	}
}
