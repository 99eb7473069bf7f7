/* Blocking waits in system calls: their records become spans with what was
 * waited for and how it ended (decode_syswait.c), timeouts and
 * interruptions being no errors; the table that tells which write woke a
 * poll (fdwake.c); the shim's own code told from other objects'. */
#include "check_main.h"
#include "clock.h"
#include "decode.h"
#include "fdinfo.h"
#include "fdstate.h"
#include "fdwake.h"
#include "ids.h"
#include "ops.h"
#include "recordsyswait.h"
#include "syswait.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

static const struct ts_attr *attr(const struct ts_span *s, const char *key)
{
	for (unsigned i = 0; i < s->nattrs; i++)
		if (!strcmp(s->attrs[i].key, key))
			return &s->attrs[i];
	return NULL;
}

static const char *result(const struct ts_span *s)
{
	const struct ts_attr *a = attr(s, "traceshim.wait.result");
	return a ? a->v.s : "(none)";
}

static struct ts_span decode(enum ts_op op, int64_t ret, int err, uint64_t arg, uint32_t aux,
			     uint32_t aux2, uint8_t aux_kind, uint32_t waker1)
{
	uint64_t t = ts_ticks();
	struct ts_rec r = {.t0 = t, .t1 = t + 1000, .ret = ret, .arg = arg, .span = 9, .parent = 1,
			   .fd = -1, .fdgen = waker1, .op = (uint16_t)op, .type = TS_REC_SPAN,
			   .err = (int16_t)err, .aux_kind = aux_kind, .aux = aux, .aux2 = aux2};
	struct ts_span s;
	ts_decode_call(2, &r, NULL, 0, &s);
	return s;
}

static void setup(void)
{
	ts_clock_init(false);
	ts_ids_init();
	ts_fdinfo_reset();
}

START_TEST(polls)
{
	struct ts_span s = decode(TS_OP_POLL, 0, 0, 60, 1, 0, 0, 0);
	ck_assert_str_eq(s.name, "poll");
	ck_assert(s.call && s.family == TS_FAM_WAIT);   /* never rolled up */
	ck_assert_str_eq(result(&s), "timeout");
	ck_assert_int_eq(attr(&s, "traceshim.wait.fds")->v.i, 1);
	ck_assert_int_eq(attr(&s, "traceshim.wait.timeout_ms")->v.i, 60);
	ck_assert_ptr_null(attr(&s, "traceshim.wait.ready"));
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);
	ck_assert(!s.flow_in_end && !s.link_id);

	/* Infinite; woken by span 42 of thread 7. */
	s = decode(TS_OP_SELECT, 2, 0, (uint64_t)-1, 8, 42, 0, 7 + 1);
	ck_assert_str_eq(s.name, "select");
	ck_assert_str_eq(result(&s), "ready");
	ck_assert_int_eq(attr(&s, "traceshim.wait.ready")->v.i, 2);
	ck_assert_ptr_null(attr(&s, "traceshim.wait.timeout_ms"));
	ck_assert(s.flow_in_end == ts_span_id(7, 42));   /* at the wait's end */
	ck_assert(s.link_id == ts_span_id(7, 42));
	ck_assert(!s.flow_in);

	s = decode(TS_OP_EPOLL_WAIT, -1, EINTR, 100, 16, 0, 0, 0);
	ck_assert_str_eq(result(&s), "interrupted");
	ck_assert_str_eq(attr(&s, "traceshim.errno")->v.s, "EINTR");
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);

	s = decode(TS_OP_PPOLL, -1, EFAULT, 100, 1, 0, 0, 0);
	ck_assert_str_eq(s.name, "ppoll");
	ck_assert_str_eq(result(&s), "error");
	ck_assert_int_eq(s.status, TS_STATUS_ERROR);
	ck_assert_str_eq(s.error_type, "EFAULT");
}
END_TEST

START_TEST(sleeps)
{
	struct ts_span s = decode(TS_OP_NANOSLEEP, 0, 0, 60000000, 0, 0, 0, 0);
	ck_assert_str_eq(result(&s), "completed");
	ck_assert_int_eq(attr(&s, "traceshim.wait.requested_ns")->v.i, 60000000);
	s = decode(TS_OP_NANOSLEEP, -1, EINTR, 60000000, 0, 0, 0, 0);
	ck_assert_str_eq(result(&s), "interrupted");
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);
	/* clock_nanosleep returns its error, errno untouched. */
	s = decode(TS_OP_CLOCK_NANOSLEEP, EINTR, 0, 0, 0, 0, TS_WAIT_ABSOLUTE, 0);
	ck_assert_str_eq(result(&s), "interrupted");
	ck_assert_str_eq(attr(&s, "traceshim.wait.until")->v.s, "deadline");
	ck_assert_ptr_null(attr(&s, "traceshim.wait.requested_ns"));
	s = decode(TS_OP_CLOCK_NANOSLEEP, EINVAL, 0, 5, 0, 0, 0, 0);
	ck_assert_str_eq(result(&s), "error");
	ck_assert_int_eq(s.status, TS_STATUS_ERROR);
	/* sleep: the seconds it did not sleep. */
	s = decode(TS_OP_SLEEP, 3, 0, 5000000000ull, 0, 0, 0, 0);
	ck_assert_str_eq(result(&s), "interrupted");
	ck_assert_int_eq(attr(&s, "traceshim.wait.unslept_s")->v.i, 3);
	s = decode(TS_OP_SLEEP, 0, 0, 1000000000ull, 0, 0, 0, 0);
	ck_assert_str_eq(result(&s), "completed");
}
END_TEST

START_TEST(child_waits)
{
	struct ts_span s = decode(TS_OP_WAITPID, 1234, 0, 1234, 1234, 7, TS_WAIT_CHILD_EXITED, 0);
	ck_assert_str_eq(result(&s), "exited");
	ck_assert_int_eq(attr(&s, "traceshim.wait.pid")->v.i, 1234);
	ck_assert_int_eq(attr(&s, "traceshim.wait.child.pid")->v.i, 1234);
	ck_assert_int_eq(attr(&s, "process.exit.code")->v.i, 7);
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);   /* the child's exit code is its own */
	s = decode(TS_OP_WAIT, 99, 0, (uint64_t)-1, 99, 9, TS_WAIT_CHILD_KILLED, 0);
	ck_assert_int_eq(attr(&s, "traceshim.wait.pid")->v.i, -1);
	ck_assert_str_eq(result(&s), "killed");
	ck_assert_int_eq(attr(&s, "traceshim.wait.signal")->v.i, 9);
	s = decode(TS_OP_WAITID, 0, 0, 5, 0, 0, TS_WAIT_CHILD_NONE, 0);
	ck_assert_str_eq(result(&s), "none");
	ck_assert_ptr_null(attr(&s, "traceshim.wait.child.pid"));
	s = decode(TS_OP_WAIT4, -1, ECHILD, 5, 0, 0, 0, 0);
	ck_assert_str_eq(result(&s), "error");
	ck_assert_str_eq(s.error_type, "ECHILD");
}
END_TEST

START_TEST(futex_waits)
{
	struct ts_span s = decode(TS_OP_FUTEX_WAIT, 0, 0, 0x7f00dead0010ull, 128, 0, 0, 0);
	ck_assert_str_eq(s.name, "futex");
	ck_assert_str_eq(result(&s), "woken");
	ck_assert_str_eq(attr(&s, "traceshim.wait.address")->v.s, "0x7f00dead0010");
	ck_assert_ptr_null(attr(&s, "traceshim.wait.timeout_ms"));
	s = decode(TS_OP_FUTEX_WAIT, -1, ETIMEDOUT, 0x10, 128, 60 + 1, 0, 0);
	ck_assert_str_eq(result(&s), "timeout");
	ck_assert_int_eq(attr(&s, "traceshim.wait.timeout_ms")->v.i, 60);
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);
	s = decode(TS_OP_FUTEX_WAIT, -1, EAGAIN, 0x10, 128, 0, 0, 0);
	ck_assert_str_eq(result(&s), "value_changed");
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);
	s = decode(TS_OP_FUTEX_WAIT, -1, EINTR, 0x10, 128, 0, 0, 0);
	ck_assert_str_eq(result(&s), "interrupted");
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);
	s = decode(TS_OP_FUTEX_WAIT, -1, EFAULT, 0x10, 128, 0, 0, 0);
	ck_assert_int_eq(s.status, TS_STATUS_ERROR);
}
END_TEST

/* A write that woke a poll says so, and its span starts the flow. */
START_TEST(waking_write_starts_a_flow)
{
	uint64_t t = ts_ticks();
	struct ts_rec r = {.t0 = t, .t1 = t + 10, .ret = 8, .arg = 8, .span = 42, .parent = 1,
			   .fd = 900, .op = TS_OP_WRITE, .type = TS_REC_SPAN, .aux2 = TS_IO_WOKE};
	struct ts_span s;
	ts_decode_call(7, &r, NULL, 0, &s);
	ck_assert(s.flow_out == ts_span_id(7, 42));
	r.aux2 = 0;
	ts_decode_call(7, &r, NULL, 0, &s);
	ck_assert(!s.flow_out);
}
END_TEST

START_TEST(fdwake_table)
{
	enum { R = 900, W = 901, E = 902 };
	ts_fd_made(R, TS_FD_PIPE, 0);
	ts_fd_made(W, TS_FD_PIPE, 0);
	ts_fd_made(E, TS_FD_EVENTFD, 0);
	struct ts_thread t = {.index = 7, .next_span = 42};
	int rfd = -1;
	ck_assert(!ts_fdwake_enter(R));                 /* not known yet */
	ts_fdwake_pipe(R, W);
	ts_fdwake_eventfd(E);
	ck_assert(ts_fdwake_any_known());
	ck_assert(!ts_fdwake_any_polling());
	ck_assert_uint_eq(ts_fdwake_post(W, &t, &rfd), 0);   /* nobody polls */
	ck_assert(!ts_fdwake_enter(W));                 /* the write end is no readable end */

	ck_assert(ts_fdwake_enter(R));
	ck_assert(ts_fdwake_any_polling());
	uint64_t w = ts_fdwake_post(W, &t, &rfd);
	ck_assert_uint_ne(w, 0);
	ck_assert_int_eq(rfd, R);
	t.next_span = 50;
	ck_assert_uint_eq(ts_fdwake_post(W, &t, &rfd), 0);   /* the first write woke it */
	ck_assert_uint_eq(ts_fdwake_leave(R, true), (uint64_t)(7 + 1) << 32 | 42);
	ck_assert(!ts_fdwake_any_polling());

	/* A new poll forgets the last one's writer; a retracted write is none;
	 * a poll that did not find the descriptor readable takes no writer. */
	ck_assert(ts_fdwake_enter(R));
	w = ts_fdwake_post(W, &t, &rfd);
	ts_fdwake_retract(rfd, w);
	ck_assert_uint_eq(ts_fdwake_leave(R, true), 0);
	ck_assert(ts_fdwake_enter(R));
	ck_assert_uint_ne(ts_fdwake_post(W, &t, &rfd), 0);
	ck_assert_uint_eq(ts_fdwake_leave(R, false), 0);

	/* An eventfd is both ends. */
	ck_assert(ts_fdwake_enter(E));
	ck_assert_uint_ne(ts_fdwake_post(E, &t, &rfd), 0);
	ck_assert_int_eq(rfd, E);
	ck_assert_uint_eq(ts_fdwake_leave(E, true), (uint64_t)(7 + 1) << 32 | 50);

	/* Closed and reused: neither end is the pipe any more. */
	ts_fd_changed(R);
	ck_assert(!ts_fdwake_enter(R));
	ts_fd_made(R, TS_FD_PIPE, 0);
	ts_fd_changed(W);
	ts_fdwake_pipe(R, 903);
	ck_assert(ts_fdwake_enter(R));
	ck_assert_uint_eq(ts_fdwake_post(W, &t, &rfd), 0);
	ts_fdwake_leave(R, false);
}
END_TEST

/* The code the record side is linked into (here this test program; in the
 * shim, libtraceshim.so) is told from other objects' (libc's). */
START_TEST(shim_code_is_told)
{
	ck_assert(ts_wait_shim_code((const void *)ts_record_syswait));
	ck_assert(ts_wait_shim_code((const void *)setup));
	/* libc's own address (a function's address taken here could be the
	 * program's PLT entry). */
	void *libc_fn = dlsym(RTLD_DEFAULT, "strlen");
	ck_assert_ptr_nonnull(libc_fn);
	ck_assert(!ts_wait_shim_code(libc_fn));
	ck_assert(!ts_wait_shim_code(&errno));   /* data, not code */
}
END_TEST

TS_CHECK_SUITE_SETUP("waits", setup,
		     shim_code_is_told,
		     polls,
		     sleeps,
		     child_waits,
		     futex_waits,
		     waking_write_starts_a_flow,
		     fdwake_table)
