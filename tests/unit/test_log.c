/* Diagnostics: a misconfiguration is reported once per run, children told
 * by TRACESHIM_REPORTED; one line each, control characters replaced. */
#include "capture.h"
#include "check_main.h"
#include "log.h"

#include <stdlib.h>
#include <sys/wait.h>

START_TEST(each_message_once)
{
	ts_log_level = TS_LOG_OFF;
	capture_start();
	ts_warn_config("A='%s' is bad", "1");
	ts_warn_config("A='%s' is bad", "1");
	ts_warn_config("B='%s' is bad", "2");   /* another message: reported too */
	ts_log(TS_LOG_WARN, "not asked for");
	const char *out = capture_end();
	ck_assert_int_eq(count_lines(out, "A='1' is bad"), 1);
	ck_assert_int_eq(count_lines(out, "B='2' is bad"), 1);
	ck_assert_int_eq(count_lines(out, "traceshim["), 2);
	ck_assert_ptr_null(strstr(out, "not asked for"));
}
END_TEST

START_TEST(every_time_when_logging)
{
	ts_log_level = TS_LOG_WARN;
	capture_start();
	ts_warn_config("A is bad");
	ts_warn_config("A is bad");
	ck_assert_int_eq(count_lines(capture_end(), "A is bad"), 2);
}
END_TEST

START_TEST(one_line_without_control_characters)
{
	ts_log_level = TS_LOG_OFF;
	capture_start();
	ts_warn_config("V='%s' is bad", "a\nb\x1b[2J\r");
	const char *out = capture_end();
	ck_assert_ptr_nonnull(strstr(out, "V='a?b?[2J?' is bad\n"));
	ck_assert_int_eq(count_lines(out, ""), 1);
}
END_TEST

/* What a parent process reported, as its children's environment says. */
static void reported_by_a_parent(const char *msg, char *list, size_t cap)
{
	int fd[2];
	ck_assert_int_eq(pipe(fd), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(2);   /* the parent's report: not this test's */
		ts_warn_config("%s", msg);
		char text[TS_REPORTED_MAX + 1];
		size_t n = ts_log_reported(text, sizeof text);
		_exit(write(fd[1], text, n) == (ssize_t)n ? 0 : 1);
	}
	close(fd[1]);
	ssize_t n = read(fd[0], list, cap - 1);
	list[n > 0 ? n : 0] = 0;
	close(fd[0]);
	int status;
	waitpid(pid, &status, 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

START_TEST(children_stay_quiet_about_what_was_reported)
{
	char list[TS_REPORTED_MAX + 1];
	reported_by_a_parent("A='1' is bad", list, sizeof list);
	ck_assert_uint_eq(strlen(list), 8);
	ts_log_level = TS_LOG_OFF;
	ts_log_inherit(list);
	capture_start();
	ts_warn_config("A='%s' is bad", "1");
	ts_warn_config("A='%s' is bad", "2");   /* another value: reported */
	const char *out = capture_end();
	ck_assert_int_eq(count_lines(out, "A='1'"), 0);
	ck_assert_int_eq(count_lines(out, "A='2'"), 1);
	/* Grandchildren get both. */
	char now[TS_REPORTED_MAX + 1];
	ck_assert_uint_eq(ts_log_reported(now, sizeof now), 17);
	ck_assert(!strncmp(now, list, 8) && now[8] == ',');
}
END_TEST

START_TEST(reported_list_bounds)
{
	char list[TS_REPORTED_MAX + 1];
	ck_assert_uint_eq(ts_log_reported(list, sizeof list), 0);
	ck_assert_str_eq(list, "");
	ts_log_inherit("zz,12");            /* not ours: ignored */
	ts_log_inherit("0000000a,0000000b");
	ck_assert_uint_eq(ts_log_reported(list, sizeof list), 17);
	ck_assert_str_eq(list, "0000000a,0000000b");
	ts_log_level = TS_LOG_OFF;
	capture_start();
	for (int i = 0; i < 40; i++)
		ts_warn_config("message %d", i);
	const char *out = capture_end();
	ck_assert_int_eq(count_lines(out, "message"), 40);
	ck_assert_uint_eq(ts_log_reported(list, sizeof list), 32 * 9 - 1);   /* 32 kept */
	char small[10];
	ck_assert_uint_eq(ts_log_reported(small, sizeof small), 8);   /* whole entries only */
}
END_TEST

TS_CHECK_SUITE("log",
	       each_message_once,
	       every_time_when_logging,
	       one_line_without_control_characters,
	       children_stay_quiet_about_what_was_reported,
	       reported_list_bounds)
