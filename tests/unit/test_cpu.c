/* The CPU sampler's arithmetic: the schedstat line (well formed, malformed,
 * fields missing) and the CPU time of a span interpolated from a thread's
 * samples (between samples, outside them, idle stretches, a full history). */
#include "check_main.h"
#include "config.h"
#include "cpuhist.h"
#include "cpusample.h"
#include "thread.h"
#include "trackctx.h"

#include <string.h>

static bool parse(const char *text, struct ts_schedstat *st)
{
	return ts_schedstat_parse(text, strlen(text), st);
}

/* A process whose threads stay off the CPU is sampled every 100 ms after a
 * second of that; a new thread brings the set period back. */
START_TEST(quiet_process_is_sampled_less_often)
{
	ts_cfg.cpu_sample_ms = 10;
	static struct ts_track_ctx c;
	static struct ts_thread t;
	ts_cpu_thread_begin(&c, &t, NULL, 1, 0);
	ts_cpu_round_done(1);
	ck_assert_uint_le(ts_cpu_pause_ms(1000), 10);
	for (int i = 0; i < 99; i++)
		ts_cpu_round_done(1);
	ck_assert_uint_le(ts_cpu_pause_ms(1000), 10);   /* 990 ms quiet: not yet */
	ts_cpu_round_done(1);
	unsigned slow = ts_cpu_pause_ms(1000);
	ck_assert_uint_gt(slow, 50);
	ck_assert_uint_le(slow, 100);
	ts_cpu_thread_begin(&c, &t, NULL, 2, 0);   /* busy again */
	ts_cpu_round_done(1);
	ck_assert_uint_le(ts_cpu_pause_ms(1000), 10);
	ts_cpu_forget(&c);
}
END_TEST

START_TEST(schedstat_well_formed)
{
	struct ts_schedstat st;
	ck_assert(parse("346725395 558225 23\n", &st));
	ck_assert_uint_eq(st.cpu_ns, 346725395);
	ck_assert_uint_eq(st.wait_ns, 558225);
	ck_assert_uint_eq(st.slices, 23);
	ck_assert(parse("0 0 1", &st));   /* no newline */
	ck_assert_uint_eq(st.cpu_ns, 0);
	ck_assert_uint_eq(st.slices, 1);
	ck_assert(parse("18446744073709551615 1 2\n", &st));
	ck_assert_uint_eq(st.cpu_ns, UINT64_MAX);
}
END_TEST

START_TEST(schedstat_malformed)
{
	struct ts_schedstat st = {7, 8, 9};
	const char *bad[] = {
		"", "\n", "12", "12 34", "12 34\n", "12 34 ",      /* fields missing */
		"12  34 56", " 12 34 56", "12\t34\t56",            /* not single spaces */
		"12 34 56 78", "12 34 56\n\n", "12 34 56x",        /* more after them */
		"-1 2 3", "1 two 3", "0x10 2 3",                   /* not decimal */
		"18446744073709551616 1 2",                        /* past 64 bits */
		"000000000000000000000001 1 2",                    /* too long */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(!parse(bad[i], &st), "accepted '%s'", bad[i]);
	ck_assert_uint_eq(st.cpu_ns, 7);   /* untouched */
	/* Only len bytes are read: a line cut short is a line with fields missing. */
	ck_assert(!ts_schedstat_parse("12 34 56\n", 5, &st));
}
END_TEST

START_TEST(interpolated_between_samples)
{
	static struct ts_cpu_hist h;
	memset(&h, 0, sizeof h);
	uint64_t cpu;
	ck_assert(!ts_cpu_hist_at(&h, 5, &cpu));   /* no samples: unknown */
	ts_cpu_hist_add(&h, 1000, 100);
	ts_cpu_hist_add(&h, 2000, 600);   /* half busy */
	ts_cpu_hist_add(&h, 3000, 1600);  /* all busy */
	ck_assert(ts_cpu_hist_at(&h, 1000, &cpu));
	ck_assert_uint_eq(cpu, 100);
	ck_assert(ts_cpu_hist_at(&h, 1500, &cpu));
	ck_assert_uint_eq(cpu, 350);
	ck_assert(ts_cpu_hist_at(&h, 2500, &cpu));
	ck_assert_uint_eq(cpu, 1100);
	ck_assert(ts_cpu_hist_at(&h, 3000, &cpu));
	ck_assert_uint_eq(cpu, 1600);
	ck_assert(!ts_cpu_hist_at(&h, 999, &cpu));    /* before the first */
	ck_assert(!ts_cpu_hist_at(&h, 3001, &cpu));   /* after the last */
	ck_assert(ts_cpu_hist_span(&h, 1500, 2500, &cpu));
	ck_assert_uint_eq(cpu, 750);
	ck_assert(!ts_cpu_hist_span(&h, 500, 2500, &cpu));
	ck_assert(!ts_cpu_hist_span(&h, 1500, 3500, &cpu));
	ck_assert(!ts_cpu_hist_span(&h, 2500, 1500, &cpu));   /* ends before it starts */
	/* Older or lower samples than the last are ignored. */
	ts_cpu_hist_add(&h, 2999, 5000);
	ts_cpu_hist_add(&h, 4000, 1500);
	ck_assert_uint_eq(h.n, 3);
}
END_TEST

START_TEST(never_more_than_the_time)
{
	static struct ts_cpu_hist h;
	memset(&h, 0, sizeof h);
	uint64_t cpu;
	/* Samples read a little apart from their times may say more CPU time
	 * than time went by: one thread has no more than all of it. */
	ts_cpu_hist_add(&h, 0, 0);
	ts_cpu_hist_add(&h, 1000, 1200);
	ck_assert(ts_cpu_hist_span(&h, 0, 1000, &cpu));
	ck_assert_uint_eq(cpu, 1000);
}
END_TEST

START_TEST(idle_stretch_is_one_entry)
{
	static struct ts_cpu_hist h;
	memset(&h, 0, sizeof h);
	ts_cpu_hist_add(&h, 0, 0);
	ts_cpu_hist_add(&h, 10, 50);
	for (uint64_t t = 20; t <= 10000; t += 10)
		ts_cpu_hist_add(&h, t, 50);   /* asleep */
	ck_assert_uint_eq(h.n, 3);
	uint64_t cpu;
	/* Exactly what every sample would have said. */
	ck_assert(ts_cpu_hist_span(&h, 15, 9995, &cpu));
	ck_assert_uint_eq(cpu, 0);
	ck_assert(ts_cpu_hist_span(&h, 5, 5000, &cpu));
	ck_assert_uint_eq(cpu, 25);
	ts_cpu_hist_add(&h, 10010, 60);   /* awake again */
	ck_assert(ts_cpu_hist_span(&h, 10000, 10010, &cpu));
	ck_assert_uint_eq(cpu, 10);
}
END_TEST

START_TEST(full_history_thins_the_past)
{
	static struct ts_cpu_hist h;
	memset(&h, 0, sizeof h);
	/* Busy at 1/2 for ten times what the history holds. */
	for (uint64_t i = 0; i < 10 * TS_CPU_HIST; i++)
		ts_cpu_hist_add(&h, 1000 + i * 10, i * 5);
	ck_assert_uint_le(h.n, TS_CPU_HIST);
	ck_assert_uint_eq(h.t[0], 1000);   /* reaches back to the first */
	ck_assert_uint_eq(h.t[h.n - 1], 1000 + (10 * TS_CPU_HIST - 1) * 10);
	for (unsigned i = 1; i < h.n; i++)
		ck_assert(h.t[i] > h.t[i - 1] && h.cpu[i] >= h.cpu[i - 1]);
	/* The recent past at full resolution. */
	ck_assert_uint_eq(h.t[h.n - 1] - h.t[h.n - 2], 10);
	uint64_t cpu;
	ck_assert(ts_cpu_hist_span(&h, 1000, h.t[h.n - 1], &cpu));
	ck_assert_uint_eq(cpu, (h.t[h.n - 1] - 1000) / 2);
}
END_TEST

START_TEST(thread_start_in_front)
{
	static struct ts_cpu_hist h;
	memset(&h, 0, sizeof h);
	ts_cpu_hist_add(&h, 2000, 1000);
	ts_cpu_hist_front(&h, 1000, 0);   /* the thread began at 1000 with 0 */
	uint64_t cpu;
	ck_assert(ts_cpu_hist_span(&h, 1000, 2000, &cpu));
	ck_assert_uint_eq(cpu, 1000);
	ck_assert(ts_cpu_hist_at(&h, 1500, &cpu));
	ck_assert_uint_eq(cpu, 500);
	/* Not before the first, or more CPU than it: ignored. */
	ts_cpu_hist_front(&h, 1500, 0);
	ts_cpu_hist_front(&h, 500, 2000);
	ck_assert_uint_eq(h.n, 2);
	ck_assert_uint_eq(h.t[0], 1000);
}
END_TEST

TS_CHECK_SUITE("cpu",
	       schedstat_well_formed,
	       schedstat_malformed,
	       interpolated_between_samples,
	       never_more_than_the_time,
	       idle_stretch_is_one_entry,
	       full_history_thins_the_past,
	       thread_start_in_front,
	       quiet_process_is_sampled_less_often)
