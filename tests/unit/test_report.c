/* The summary report: blocks of several processes merged into one table. */
#include "check_main.h"
#include "summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *report_of(const char *blocks)
{
	char path[] = "/tmp/ts-report-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, blocks, strlen(blocks)), (ssize_t)strlen(blocks));
	close(fd);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	ck_assert(ts_summary_report(path, out));
	fclose(out);
	unlink(path);
	return text;
}

START_TEST(merges_processes)
{
	char *text = report_of(
		/* cc1, then the same pid runs as (exec), then make fails */
		"P\t20\t10\t5000000\t0\t0\t105000000\tcc1\n"
		"A\t1\t10\t2\t3000\t900\t4096\topen\n"
		"S\t900\topen\n"
		"F\topen\tENOENT\tNo such file or directory\t2\n"
		"P\t20\t10\t1000000\t0\t0\t106000000\tas\n"
		"A\t1\t5\t0\t500\t200\t100\tread\n"
		"P\t21\t10\t4000000\t0\t0\t104000000\tcc1\n"
		"A\t1\t4\t1\t1000\t600\t0\topen\n"
		"F\topen\tENOENT\tNo such file or directory\t1\n"
		"P\t10\t1\t20000000\t2\t1\t120000000\tmake\n"
		/* written before make's block, though it ended first */
		"P\t30\t10\t1000000\t1\t1\t110000000\tprog\n"
		"garbage line\n");
	ck_assert_ptr_nonnull(strstr(text, "traceshim summary: 4 processes (2 failed), 19 spans (3 failed)"));
	/* Two cc1 processes, 9 ms in all, the longest 5 ms. */
	ck_assert_ptr_nonnull(strstr(text, "        2       0      9.0 ms      4.5 ms      5.0 ms            -  process   cc1\n"));
	ck_assert_ptr_nonnull(strstr(text, "       14       3      4.0 us      285 ns      900 ns         4096  internal  open\n"));
	ck_assert_ptr_nonnull(strstr(text, "slowest processes:\n      20.0 ms  make (pid 10)\n"));
	/* In the order they ended. */
	ck_assert_ptr_nonnull(strstr(text, "failed processes:\n  prog (pid 30): exit code 1\n"
				     "  make (pid 10): exit code 2\n"));
	ck_assert_ptr_nonnull(strstr(text, "        3  open in cc1 (2 processes): ENOENT: No such file or directory\n"));
	free(text);
}
END_TEST

START_TEST(missing_file)
{
	ck_assert(!ts_summary_report("/nonexistent/traceshim-summary", stderr));
}
END_TEST

TS_CHECK_SUITE("report", merges_processes, missing_file)
