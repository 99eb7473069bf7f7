/* bench_sqlite: what tracing adds per sqlite3_step().
 *
 * An in-memory table of ROWS integers. Mode "scan" steps through the whole
 * table with one prepared statement (one span per execution, ROWS steps);
 * mode "point" looks up one row by key (two steps per execution: the row,
 * then SQLITE_DONE, so one span per two steps).
 *
 * Usage: bench_sqlite scan|point N [PAUSE_MS]
 *   N executions (scan) or lookups (point), after an untimed warm-up and a
 *   busy pause of PAUSE_MS (default 0): with a pause longer than the tracer's
 *   flush interval and an N whose spans fit its buffer, the figure is the
 *   cost of recording alone, without the background thread working at the
 *   same time.
 * Prints: nanoseconds per sqlite3_step() call (one number) on stdout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROWS 10000

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long run(sqlite3_stmt *st, int point, long n)
{
	long steps = 0;
	for (long i = 0; i < n; i++) {
		if (point)
			sqlite3_bind_int(st, 1, (int)(i % ROWS) + 1);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			steps++;
		steps++;
		if (rc != SQLITE_DONE)
			return -1;
		sqlite3_reset(st);
	}
	return steps;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4 || (strcmp(argv[1], "scan") && strcmp(argv[1], "point"))) {
		fprintf(stderr, "usage: bench_sqlite scan|point N [PAUSE_MS]\n");
		return 2;
	}
	int point = !strcmp(argv[1], "point");
	long n = atol(argv[2]);
	sqlite3 *db;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return 1;
	sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v INT);"
			 "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000) "
			 "INSERT INTO t SELECT x, x * 7 FROM c;", NULL, NULL, NULL);
	sqlite3_stmt *st;
	const char *sql = point ? "SELECT v FROM t WHERE id = ?" : "SELECT v FROM t";
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 1;
	run(st, point, point ? 20000 : 2);   /* warm-up */
	long pause_ms = argc > 3 ? atol(argv[3]) : 0;
	/* Busy, not asleep: an idle virtual CPU comes back slow and cold, which
	 * would be measured as the loop's cost. */
	for (double end = now_ns() + (double)pause_ms * 1e6; now_ns() < end;)
		;
	double t0 = now_ns();
	long steps = run(st, point, n);
	double t1 = now_ns();
	if (steps <= 0)
		return 1;
	printf("%.1f\n", (t1 - t0) / (double)steps);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
}
