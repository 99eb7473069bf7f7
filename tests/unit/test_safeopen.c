/* Output files opened safely: never through a symbolic link, never another
 * user's file, only the kinds of file asked for, never truncated. */
#include "check_main.h"
#include "safeopen.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static char why[160];

static void make_dir(void)
{
	snprintf(dir, sizeof dir, "/tmp/ts-safeopen-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static const char *in_dir(const char *name)
{
	static char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Removes what the tests made in dir, then dir. */
static void clean_dir(void)
{
	static const char *const names[] = {"trace", "target", "link", "dangling", "nowhere",
					    "fifo", "theirs"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		unlink(in_dir(names[i]));
	rmdir(dir);
}

static off_t size_of(const char *path)
{
	struct stat st;
	ck_assert_int_eq(lstat(path, &st), 0);
	return st.st_size;
}

START_TEST(creates_and_appends)
{
	make_dir();
	const char *path = in_dir("trace");
	int fd = ts_open_output(path, O_WRONLY | O_CREAT | O_APPEND, 0600, 0, why, sizeof why);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_eq(write(fd, "ab", 2), 2);
	close(fd);
	/* O_TRUNC is never honoured: truncation comes after the checks. */
	fd = ts_open_output(path, O_WRONLY | O_APPEND | O_TRUNC, 0, 0, why, sizeof why);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(size_of(path), 2);
	clean_dir();
}
END_TEST

START_TEST(symlink_not_followed)
{
	make_dir();
	char target[128];
	snprintf(target, sizeof target, "%s", in_dir("target"));
	write_file(target, "precious\n");
	ck_assert_int_eq(symlink(target, in_dir("link")), 0);   /* in_dir: one buffer */
	int fd = ts_open_output(in_dir("link"), O_WRONLY | O_CREAT | O_APPEND, 0600,
				TS_OPEN_FIFO | TS_OPEN_CHR, why, sizeof why);
	ck_assert_int_eq(fd, -1);
	ck_assert_ptr_nonnull(strstr(why, "symbolic link"));
	ck_assert_int_eq(size_of(target), 9);
	/* A dangling link is not followed to create its target either. */
	snprintf(target, sizeof target, "%s", in_dir("nowhere"));
	ck_assert_int_eq(symlink(target, in_dir("dangling")), 0);
	ck_assert_int_eq(ts_open_output(in_dir("dangling"), O_WRONLY | O_CREAT, 0600, 0, why,
					sizeof why), -1);
	ck_assert_int_ne(access(in_dir("nowhere"), F_OK), 0);
	clean_dir();
}
END_TEST

START_TEST(only_the_kinds_asked_for)
{
	make_dir();
	ck_assert_int_eq(mkfifo(in_dir("fifo"), 0600), 0);
	int fd = ts_open_output(in_dir("fifo"), O_RDWR, 0, 0, why, sizeof why);
	ck_assert_int_eq(fd, -1);
	ck_assert_ptr_nonnull(strstr(why, "not a regular file"));
	fd = ts_open_output(in_dir("fifo"), O_RDWR, 0, TS_OPEN_FIFO, why, sizeof why);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(ts_open_output("/dev/null", O_WRONLY, 0, TS_OPEN_FIFO, why, sizeof why), -1);
	fd = ts_open_output("/dev/null", O_WRONLY, 0, TS_OPEN_CHR, why, sizeof why);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(ts_open_output(dir, O_WRONLY, 0, TS_OPEN_FIFO | TS_OPEN_CHR, why,
					sizeof why), -1);
	clean_dir();
}
END_TEST

START_TEST(another_users_file_refused)
{
	if (geteuid() != 0)
		return;   /* only root can give a file away */
	make_dir();
	const char *path = in_dir("theirs");
	write_file(path, "precious\n");
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
	int fd = ts_open_output(path, O_WRONLY | O_APPEND, 0, 0, why, sizeof why);
	ck_assert_int_eq(fd, -1);
	ck_assert_ptr_nonnull(strstr(why, "owned by uid 65534"));
	clean_dir();
}
END_TEST

TS_CHECK_SUITE("safeopen",
	       creates_and_appends,
	       symlink_not_followed,
	       only_the_kinds_asked_for,
	       another_users_file_refused)
