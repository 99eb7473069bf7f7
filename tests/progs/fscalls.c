/* fscalls DIR: the file-metadata calls a shell or coreutils do not make, in
 * the existing directory DIR, for the fs tests (test_fs.py): fstatat with a
 * directory descriptor, statx, renameat2, ftruncate, fchdir, opendir and
 * readdir, getdents64 and, when glibc exports it, the __xstat form programs
 * built against glibc < 2.33 call. Each call is checked, errno with it: a
 * failure's errno is the call's, a success leaves errno alone. Prints one
 * line per check, with nothing that differs between runs. Leaves DIR as it
 * found it. Exit status: 0 when every check passed. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HAVE_XSTAT
extern int __xstat(int ver, const char *path, struct stat *buf);
#endif

#define SENTINEL 12345

static int failures;

static void check(const char *what, int ok, int err, int want)
{
	if (ok && err == want) {
		printf("ok   %s\n", what);
	} else {
		failures++;
		printf("FAIL %s (errno %d, want %d)\n", what, err, want);
	}
}

/* call succeeds when cond holds, and leaves errno alone. */
#define OK(what, cond, call)                    \
	do {                                    \
		errno = SENTINEL;               \
		long r = (long)(call);          \
		int e_ = errno;                 \
		check(what, (cond), e_, SENTINEL); \
	} while (0)

/* call fails with -1 and errno want. */
#define FAILS(what, want, call)                 \
	do {                                    \
		errno = SENTINEL;               \
		long r_ = (long)(call);         \
		int e_ = errno;                 \
		check(what, r_ == -1, e_, want); \
	} while (0)

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fscalls DIR\n");
		return 2;
	}
	const char *dir = argv[1];
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0) {
		perror(dir);
		return 2;
	}
	int fd = openat(dfd, "f", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "0123456789", 10) != 10) {
		perror("f");
		return 2;
	}
	struct stat st;
	struct statx stx;
	OK("fstatat(dirfd, f)", r == 0 && st.st_size == 10, fstatat(dfd, "f", &st, 0));
	FAILS("fstatat(dirfd, missing)", ENOENT, fstatat(dfd, "missing", &st, 0));
	OK("statx(dirfd, f)", r == 0 && stx.stx_size == 10,
	   statx(dfd, "f", 0, STATX_SIZE, &stx));
	OK("renameat2(dirfd, f, dirfd, g)", r == 0,
	   renameat2(dfd, "f", dfd, "g", RENAME_NOREPLACE));
	FAILS("renameat2(dirfd, f, dirfd, g) again", ENOENT,
	      renameat2(dfd, "f", dfd, "g", RENAME_NOREPLACE));
	OK("ftruncate(g, 3)", r == 0, ftruncate(fd, 3));
	FAILS("ftruncate(directory)", EINVAL, ftruncate(dfd, 3));
	close(fd);

	DIR *d;
	OK("opendir(dir)", r != 0, d = opendir(dir));
	int names = 0;
	if (d) {
		for (struct dirent *e; (e = readdir(d));)
			names += !strcmp(e->d_name, "g");
		closedir(d);
	}
	check("readdir finds g", names == 1, 0, 0);
	char buf[4096] __attribute__((aligned(8)));
	int lfd = open(dir, O_RDONLY | O_DIRECTORY);
	OK("getdents64(dir)", r > 0, getdents64(lfd, buf, sizeof buf));
	close(lfd);
	FAILS("opendir(missing)", ENOENT, opendir("/nonexistent-fscalls") ? 0 : -1);

	int here = open(".", O_RDONLY | O_DIRECTORY);
	OK("fchdir(dirfd)", r == 0, fchdir(dfd));
	OK("stat(g) in dir", r == 0 && st.st_size == 3, stat("g", &st));
#ifdef HAVE_XSTAT
	OK("__xstat(g)", r == 0 && st.st_size == 3, __xstat(1, "g", &st));
	FAILS("__xstat(missing)", ENOENT, __xstat(1, "missing", &st));
#endif
	OK("fchdir(back)", r == 0, fchdir(here));
	close(here);

	OK("unlinkat(dirfd, g)", r == 0, unlinkat(dfd, "g", 0));
	close(dfd);
	printf("%d failed\n", failures);
	return failures ? 1 : 0;
}
