/* Tick -> BOOTTIME conversion: close to the real clock, monotonic, and the
 * same for a tick whenever it is converted. The trace file's clock snapshot:
 * written under the file lock, never going back in file order. */
#include "check_main.h"
#include "clock.h"
#include "snapshot.h"
#include "pbread.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void spin_us(unsigned us)
{
	uint64_t end = ts_clock_boottime_ns() + us * 1000ull;
	while (ts_clock_boottime_ns() < end)
		;
}

START_TEST(tracks_boottime)
{
	ts_clock_init(false);
	spin_us(2000);
	ts_clock_sync();
	uint64_t before = ts_clock_boottime_ns();
	uint64_t tick = ts_ticks();
	uint64_t after = ts_clock_boottime_ns();
	uint64_t ns = ts_clock_to_ns(tick);
	/* Within 50 us of the real clock after a 2 ms calibration. */
	ck_assert_uint_ge(ns + 50000, before);
	ck_assert_uint_le(ns, after + 50000);
}
END_TEST

START_TEST(conversion_is_stable_and_monotonic)
{
	ts_clock_init(false);
	uint64_t ticks[200];
	uint64_t first[200];
	for (int i = 0; i < 200; i++) {
		ticks[i] = ts_ticks();
		if (i % 20 == 19) {
			spin_us(300);
			ts_clock_sync();
		}
		first[i] = ts_clock_to_ns(ticks[i]);
	}
	for (int i = 0; i < 200; i++) {
		/* Converting again after more syncs gives the same value. */
		ck_assert_uint_eq(ts_clock_to_ns(ticks[i]), first[i]);
		if (i)
			ck_assert_uint_ge(first[i], first[i - 1]);
	}
}
END_TEST

START_TEST(fallback_clock_is_identity)
{
	ts_clock_init(true);
	ck_assert_int_eq(ts_clock_tsc, 0);
	uint64_t t = ts_ticks();
	ck_assert_uint_eq(ts_clock_to_ns(t), t);
	ts_clock_init(false);
}
END_TEST

/* The wall-clock offset is one value for the whole process (every span on
 * one time base, however a read is interrupted), and it is the real one. */
START_TEST(unix_offset_is_stable_and_true)
{
	int64_t first = ts_clock_unix_offset_ns();
	for (int i = 0; i < 100000; i++)
		ck_assert_int_eq(ts_clock_unix_offset_ns(), first);
	/* The best of many tight reads is within 1 ms of it (the offset moves
	 * only by a step of more than that). */
	int64_t best = 0;
	uint64_t width = UINT64_MAX;
	for (int i = 0; i < 50; i++) {
		uint64_t a = ts_clock_boottime_ns();
		uint64_t r = ts_clock_realtime_ns();
		uint64_t b = ts_clock_boottime_ns();
		if (b - a < width) {
			width = b - a;
			best = (int64_t)(r - a);
		}
	}
	ck_assert_int_lt(width, 1000000);
	ck_assert_int_le(llabs(best - first), 1000000 + (int64_t)width);
}
END_TEST

enum { CLOCK_REALTIME_ID = 1, CLOCK_BOOTTIME_ID = 6 };

struct snap {
	uint64_t seq, boot, real;
};

/* The ClockSnapshot packets of a trace file, in file order. */
static int read_snapshots(int fd, struct snap *out, int cap)
{
	static uint8_t buf[1 << 16];
	ssize_t len = pread(fd, buf, sizeof buf, 0);
	ck_assert_int_ge(len, 0);
	const uint8_t *p = buf, *end = buf + len;
	struct pbr_field pkt, f;
	int n = 0, r;
	while ((r = pbr_next(&p, end, &pkt)) == 1) {
		ck_assert_uint_eq(pkt.num, 1);   /* Trace.packet */
		if (!pbr_find(pkt.data, pkt.len, 6, &f))
			continue;
		ck_assert_int_lt(n, cap);
		struct snap s = {0};
		struct pbr_field seq, clk, id, ts;
		if (pbr_find(pkt.data, pkt.len, 10, &seq))
			s.seq = seq.v;
		const uint8_t *q = f.data, *qend = f.data + f.len;
		while (pbr_next(&q, qend, &clk) == 1) {
			ck_assert(pbr_find(clk.data, clk.len, 1, &id));
			ck_assert(pbr_find(clk.data, clk.len, 2, &ts));
			if (id.v == CLOCK_BOOTTIME_ID)
				s.boot = ts.v;
			else if (id.v == CLOCK_REALTIME_ID)
				s.real = ts.v;
		}
		ck_assert(s.boot && s.real);
		out[n++] = s;
	}
	ck_assert_int_eq(r, 0);
	return n;
}

static int temp_trace(void)
{
	char path[] = "/tmp/ts-snapshot-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	return fd;
}

START_TEST(snapshot_waits_for_the_file_lock)
{
	int fd = temp_trace();
	int held[2], release[2];
	ck_assert_int_eq(pipe(held), 0);
	ck_assert_int_eq(pipe(release), 0);
	/* Another process holds the lock, through the very same open file (as
	 * after fork): a lock owned by the open file would not keep us out. */
	pid_t child = fork();
	if (child == 0) {
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		char c;
		close(release[1]);
		if (fcntl(fd, F_SETLK, &fl) != 0 || write(held[1], "x", 1) != 1)
			_exit(1);
		_exit(read(release[0], &c, 1) == 0 ? 0 : 1);
	}
	close(release[0]);
	char c;
	ck_assert_int_eq(read(held[0], &c, 1), 1);
	ts_snapshot_owe(42);
	ts_snapshot_write(fd);
	struct snap snaps[4];
	ck_assert_int_eq(read_snapshots(fd, snaps, 4), 0);   /* left for a later batch */

	close(release[1]);
	int status;
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert_int_eq(status, 0);
	uint64_t before = ts_clock_boottime_ns();
	ts_snapshot_write(fd);
	uint64_t after = ts_clock_boottime_ns();
	ck_assert_int_eq(read_snapshots(fd, snaps, 4), 1);
	ck_assert_uint_eq(snaps[0].seq, 42);
	/* Read at the write, not when it was owed. */
	ck_assert_uint_ge(snaps[0].boot, before);
	ck_assert_uint_le(snaps[0].boot, after);
	ts_snapshot_write(fd);   /* one per process */
	ck_assert_int_eq(read_snapshots(fd, snaps, 4), 1);
	close(fd);
}
END_TEST

START_TEST(forked_writers_keep_snapshots_in_order)
{
	enum { WRITERS = 12 };
	int fd = temp_trace();
	int start[2];
	ck_assert_int_eq(pipe(start), 0);
	pid_t kids[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		kids[i] = fork();
		ck_assert_int_ge(kids[i], 0);
		if (kids[i] == 0) {
			char c;
			close(start[1]);
			if (read(start[0], &c, 1) != 0)
				_exit(1);
			ts_snapshot_owe((uint32_t)i + 1);
			for (int k = 0; k < 100; k++)   /* the lock may be busy: later batches */
				ts_snapshot_write(fd);
			_exit(0);
		}
	}
	close(start[1]);   /* all at once */
	for (int i = 0; i < WRITERS; i++) {
		int status;
		ck_assert_int_eq(waitpid(kids[i], &status, 0), kids[i]);
		ck_assert_int_eq(status, 0);
	}
	struct snap snaps[WRITERS + 1];
	ck_assert_int_eq(read_snapshots(fd, snaps, WRITERS + 1), WRITERS);
	for (int i = 1; i < WRITERS; i++)
		ck_assert_uint_ge(snaps[i].boot, snaps[i - 1].boot);
	close(fd);
}
END_TEST

TS_CHECK_SUITE("clock",
	       tracks_boottime,
	       conversion_is_stable_and_monotonic,
	       fallback_clock_is_identity,
	       unix_offset_is_stable_and_true,
	       snapshot_waits_for_the_file_lock,
	       forked_writers_keep_snapshots_in_order)
