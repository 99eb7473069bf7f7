/* stdio streams on the program's side (streams.h): the per-character counts
 * per descriptor, lossless once the process has threads and started again
 * for each stream, and the records of opens, closes and the process's end,
 * read back off the ring and decoded into the spans they stand for. */
#include "check_main.h"
#include "clock.h"
#include "config.h"
#include "decode.h"
#include "fdinfo.h"
#include "ids.h"
#include "streams.h"
#include "thread.h"

#include <pthread.h>
#include <string.h>

static struct ts_thread *start_thread(void)
{
	ts_cfg.pool_chunks = 64;
	ts_cfg.perfetto = false;
	atomic_store(&ts_active, 1);
	ts_clock_init(false);
	ts_ids_init();
	ts_fdinfo_reset();
	struct ts_thread_link link = {.creator_index = 1, .creator_span = 2, .child_index = 3};
	struct ts_thread *t = ts_thread_start(&link, NULL);
	ck_assert_ptr_nonnull(t);
	return t;
}

static const struct ts_attr *attr(const struct ts_span *s, const char *key)
{
	for (unsigned i = 0; i < s->nattrs; i++)
		if (!strcmp(s->attrs[i].key, key))
			return &s->attrs[i];
	return NULL;
}

static int64_t int_attr(const struct ts_span *s, const char *key)
{
	const struct ts_attr *a = attr(s, key);
	ck_assert_msg(a != NULL, "no %s on %s", key, s->name);
	return a->v.i;
}

/* The next span record in t's ring from record number *at on, decoded into
 * s as a consumer would (payload length in aux); *at moves past it. Strings
 * in s live until the next decode. */
static bool next_span(struct ts_thread *t, uint64_t *at, struct ts_span *s)
{
	uint64_t head = atomic_load(&t->ring.head);
	while (*at < head) {
		const struct ts_rec *r = ts_ring_at(&t->ring, t->ring.pool, *at);
		*at += 1 + r->ext;
		if (r->type != TS_REC_SPAN)
			continue;
		unsigned len = r->ext ? r->aux : 0;
		ts_decode_call(t->index, r, (const uint8_t *)(r + 1), len, s);
		return true;
	}
	return false;
}

START_TEST(counts_per_descriptor)
{
	for (int i = 0; i < 3; i++)
		ts_stream_count(5, false, true);
	ts_stream_count(5, false, false);   /* the end of the file */
	ts_stream_count(5, true, true);
	ts_stream_count(5, true, true);
	ts_stream_count(6, true, true);
	struct ts_stdio_counts c;
	ck_assert(ts_stream_take(5, &c));
	ck_assert_uint_eq(c.getc_calls, 4);
	ck_assert_uint_eq(c.getc_bytes, 3);
	ck_assert_uint_eq(c.putc_calls, 2);
	ck_assert_uint_eq(c.putc_bytes, 2);
	/* Taken: the next stream on 5 starts from nothing; 6 is its own. */
	ck_assert(!ts_stream_take(5, &c));
	ck_assert_uint_eq(c.getc_calls + c.putc_calls, 0);
	ck_assert(ts_stream_take(6, NULL));
	ck_assert(!ts_stream_take(6, NULL));
	/* Out of the table: not counted, nothing breaks. */
	ts_stream_count(-1, false, true);
	ts_stream_count(TS_STREAM_FDS, false, true);
	ck_assert(!ts_stream_take(-1, &c));
	ck_assert(!ts_stream_take(TS_STREAM_FDS, &c));
}
END_TEST

#define COUNTERS 4
#define EACH 100000

static void *count_on_9(void *arg)
{
	(void)arg;
	for (int i = 0; i < EACH; i++)
		ts_stream_count(9, i & 1, true);
	return NULL;
}

/* With threads, glibc's single-thread flag is off and every count is an
 * atomic add: none is lost. */
START_TEST(threads_lose_no_count)
{
	pthread_t th[COUNTERS];
	for (int i = 0; i < COUNTERS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, count_on_9, NULL), 0);
	for (int i = 0; i < COUNTERS; i++)
		pthread_join(th[i], NULL);
	struct ts_stdio_counts c;
	ck_assert(ts_stream_take(9, &c));
	ck_assert_uint_eq(c.getc_calls, COUNTERS * EACH / 2);
	ck_assert_uint_eq(c.putc_calls, COUNTERS * EACH / 2);
	ck_assert_uint_eq(c.putc_bytes, COUNTERS * EACH / 2);
}
END_TEST

START_TEST(open_and_close_records)
{
	struct ts_thread *t = start_thread();
	uint64_t at = atomic_load(&t->ring.head);
	uint64_t t0 = ts_ticks();
	errno = ENOENT;
	ts_record_stream_open(t, TS_OP_FOPEN, -1, "/no/such/file", "r", -1, NULL, t0, t0 + 10);
	ck_assert_int_eq(errno, ENOENT);   /* the program's, untouched */
	ts_record_stream_open(t, TS_OP_FOPEN, -1, "/tmp/ts-streams-a", "w+e", 40, NULL, t0, t0 + 10);
	/* freopen: the counts of the stream it closed, then the path. */
	struct ts_stdio_counts closed = {.getc_calls = 3, .getc_bytes = 2};
	ts_record_stream_open(t, TS_OP_FREOPEN, -1, "/tmp/ts-streams-b", "r,ccs=UTF-8", 40, &closed,
			      t0, t0 + 10);
	ts_record_stream_open(t, TS_OP_FDOPEN, 41, NULL, "a", 41, NULL, t0, t0 + 10);
	for (int i = 0; i < 5; i++)
		ts_stream_count(40, true, i < 4);
	struct ts_stdio_counts c;
	ck_assert(ts_stream_take(40, &c));
	ts_record_stream_close(t, 40, ts_fd_state(40), 0, &c, t0, t0 + 10);
	ts_record_stream_close(t, 41, ts_fd_state(41), 0, NULL, t0, t0 + 10);

	struct ts_span s;
	ck_assert(next_span(t, &at, &s));
	ck_assert_str_eq(s.name, "fopen");
	ck_assert_str_eq(attr(&s, "file.path")->v.s, "/no/such/file");
	ck_assert_str_eq(attr(&s, "error.type")->v.s, "ENOENT");
	ck_assert_int_eq(s.status, TS_STATUS_ERROR);
	ck_assert_ptr_null(attr(&s, "traceshim.fd"));

	ck_assert(next_span(t, &at, &s));
	ck_assert_str_eq(attr(&s, "file.path")->v.s, "/tmp/ts-streams-a");
	ck_assert_int_eq(int_attr(&s, "traceshim.fd"), 40);
	ck_assert_str_eq(attr(&s, "traceshim.stdio.mode")->v.s, "w+e");
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);

	ck_assert(next_span(t, &at, &s));
	ck_assert_str_eq(s.name, "freopen");
	ck_assert_str_eq(attr(&s, "file.path")->v.s, "/tmp/ts-streams-b");
	ck_assert_str_eq(attr(&s, "traceshim.stdio.mode")->v.s, "r,ccs=UT");   /* 8 bytes kept */
	ck_assert_int_eq(int_attr(&s, "traceshim.stdio.getc_calls"), 3);
	ck_assert_int_eq(int_attr(&s, "traceshim.stdio.getc_bytes"), 2);
	ck_assert_ptr_null(attr(&s, "traceshim.stdio.putc_calls"));

	ck_assert(next_span(t, &at, &s));
	ck_assert_str_eq(s.name, "fdopen");
	ck_assert_int_eq(int_attr(&s, "traceshim.fd"), 41);
	ck_assert_str_eq(attr(&s, "traceshim.stdio.mode")->v.s, "a");

	ck_assert(next_span(t, &at, &s));
	ck_assert_str_eq(s.name, "fclose");
	ck_assert_int_eq(int_attr(&s, "traceshim.fd"), 40);
	ck_assert_str_eq(attr(&s, "file.path")->v.s, "/tmp/ts-streams-b");
	ck_assert_int_eq(int_attr(&s, "traceshim.stdio.putc_calls"), 5);
	ck_assert_int_eq(int_attr(&s, "traceshim.stdio.putc_bytes"), 4);

	ck_assert(next_span(t, &at, &s));
	ck_assert_str_eq(s.name, "fclose");
	ck_assert_int_eq(int_attr(&s, "traceshim.fd"), 41);
	ck_assert_ptr_null(attr(&s, "traceshim.stdio.putc_calls"));
	ck_assert(!next_span(t, &at, &s));
}
END_TEST

START_TEST(io_records)
{
	struct ts_thread *t = start_thread();
	uint64_t at = atomic_load(&t->ring.head);
	uint64_t t0 = ts_ticks();
	ts_record_stream_io(t, TS_OP_FGETS, 3, 63, 0, 0, TS_STDIO_EOF, t0, t0 + 5);
	ts_record_stream_io(t, TS_OP_GETLINE, 3, 0, 12, 0, TS_STDIO_NO_REQUEST, t0, t0 + 5);
	ts_record_stream_io(t, TS_OP_FFLUSH, -1, 0, 0, 0, TS_STDIO_NO_REQUEST | TS_STDIO_NO_BYTES,
			    t0, t0 + 5);
	ts_record_stream_io(t, TS_OP_FWRITE, 3, 100, -1, ENOSPC, 0, t0, t0 + 5);
	struct ts_span s;
	ck_assert(next_span(t, &at, &s));
	ck_assert_str_eq(s.name, "fgets");
	ck_assert_int_eq(int_attr(&s, "traceshim.io.requested"), 63);
	ck_assert_int_eq(int_attr(&s, "traceshim.io.bytes"), 0);
	ck_assert(attr(&s, "traceshim.stdio.eof")->v.b);
	ck_assert(next_span(t, &at, &s));
	ck_assert_str_eq(s.name, "getline");
	ck_assert_ptr_null(attr(&s, "traceshim.io.requested"));
	ck_assert_int_eq(int_attr(&s, "traceshim.io.bytes"), 12);
	ck_assert_ptr_null(attr(&s, "traceshim.stdio.eof"));
	ck_assert(next_span(t, &at, &s));
	ck_assert_str_eq(s.name, "fflush");
	ck_assert_ptr_null(attr(&s, "traceshim.fd"));
	ck_assert_ptr_null(attr(&s, "traceshim.io.requested"));
	ck_assert_ptr_null(attr(&s, "traceshim.io.bytes"));
	ck_assert(next_span(t, &at, &s));
	ck_assert_str_eq(s.name, "fwrite");
	ck_assert_ptr_null(attr(&s, "traceshim.io.bytes"));
	ck_assert_str_eq(attr(&s, "error.type")->v.s, "ENOSPC");
	ck_assert(!next_span(t, &at, &s));
}
END_TEST

/* Streams never closed (stdout) show their counts as the process ends,
 * once: what is taken is gone. */
START_TEST(counts_left_at_exit)
{
	struct ts_thread *t = start_thread();
	uint64_t at = atomic_load(&t->ring.head);
	for (int i = 0; i < 7; i++)
		ts_stream_count(1, true, true);
	ts_stream_count(0, false, false);
	errno = EBADF;
	ts_record_streams_at_exit(t);
	ck_assert_int_eq(errno, EBADF);
	ts_record_streams_at_exit(t);
	struct ts_span s;
	ck_assert(next_span(t, &at, &s));
	ck_assert_str_eq(s.name, "stdio at exit");
	ck_assert_int_eq(int_attr(&s, "traceshim.fd"), 0);
	ck_assert_int_eq(int_attr(&s, "traceshim.stdio.getc_calls"), 1);
	ck_assert_int_eq(int_attr(&s, "traceshim.stdio.getc_bytes"), 0);
	ck_assert(next_span(t, &at, &s));
	ck_assert_int_eq(int_attr(&s, "traceshim.fd"), 1);
	ck_assert_int_eq(int_attr(&s, "traceshim.stdio.putc_calls"), 7);
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);
	ck_assert(!next_span(t, &at, &s));
}
END_TEST

START_TEST(mode_text_round_trip)
{
	char out[9];
	ck_assert_str_eq(ts_stdio_mode_unpack(ts_stdio_mode_pack("rb+"), out), "rb+");
	ck_assert_str_eq(ts_stdio_mode_unpack(ts_stdio_mode_pack(""), out), "");
	ck_assert_str_eq(ts_stdio_mode_unpack(ts_stdio_mode_pack(NULL), out), "");
	ck_assert_str_eq(ts_stdio_mode_unpack(ts_stdio_mode_pack("abcdefghij"), out), "abcdefgh");
}
END_TEST

TS_CHECK_SUITE("streams", counts_per_descriptor, threads_lose_no_count, open_and_close_records,
	       io_records, counts_left_at_exit, mode_text_round_trip)
