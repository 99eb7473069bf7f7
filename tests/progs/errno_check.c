/* errno_check: target program for the safety tests.
 *
 * A tracer that interposes libc calls must hand errno back exactly as the real
 * call left it: on failure the real errno value, on success the caller's old
 * value (glibc's own wrappers never touch errno on success, and programs do
 * rely on that in practice). Each wrapped call is made once failing and once
 * succeeding, errno is checked right after the call (before anything else can
 * clobber it), and one line per check is printed. The output never contains
 * fd numbers or ports, because those differ when a tracer holds fds of its own,
 * and the test compares output with and without the tracer.
 *
 * Exit status: 0 when every check passed, 1 otherwise.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* An errno value no call ever produces, so "untouched" is unambiguous. */
#define SENTINEL 12345

static int failures;
static int checks;

static const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
	case SENTINEL: return "SENTINEL";
	case EBADF: return "EBADF";
	case ENOENT: return "ENOENT";
	case ENOTSOCK: return "ENOTSOCK";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EAGAIN: return "EAGAIN";
	case EINVAL: return "EINVAL";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EPIPE: return "EPIPE";
	case ESPIPE: return "ESPIPE";
	default: return "other";
	}
}

/* Expect a failure: return value -1 and errno exactly `want`. */
static void expect_fail(const char *what, long ret, int got, int want)
{
	checks++;
	if (ret == -1 && got == want) {
		printf("ok   %-40s fails with %s\n", what, errname(want));
	} else {
		failures++;
		printf("FAIL %-40s ret=%ld errno=%s(%d), want -1 with %s\n", what, ret,
		       errname(got), got, errname(want));
	}
}

/* Expect success: `ok` says whether the return value was right, and errno
 * must still hold the sentinel stored before the call. */
static void expect_ok(const char *what, int ok, int got)
{
	checks++;
	if (ok && got == SENTINEL) {
		printf("ok   %-40s succeeds, errno untouched\n", what);
	} else {
		failures++;
		printf("FAIL %-40s %s, errno=%s(%d), want SENTINEL\n", what,
		       ok ? "returned ok" : "bad return value", errname(got), got);
	}
}

/* A fd number that is certainly closed right now; a high one so that fds
 * opened later by the program or a tracer are unlikely to land on it. */
static int closed_fd(void)
{
	for (int fd = 900; fd > 2; fd--)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF)
			return fd;
	fprintf(stderr, "no closed fd found\n");
	exit(2);
}

/* The fd numbers below are created fresh per check, so each macro stores the
 * sentinel, makes the call and captures errno in one statement sequence. */
#define FAIL_CHECK(what, want, call)                                           \
	do {                                                                   \
		errno = SENTINEL;                                              \
		long r_ = (long)(call);                                        \
		int e_ = errno;                                                \
		expect_fail(what, r_, e_, want);                               \
	} while (0)

#define OK_CHECK(what, cond_on_r, call)                                        \
	do {                                                                   \
		errno = SENTINEL;                                              \
		long r = (long)(call);                                         \
		int e_ = errno;                                                \
		expect_ok(what, (cond_on_r), e_);                              \
	} while (0)

static void *thread_fn(void *arg)
{
	return arg;
}

int main(void)
{
	char buf[64];
	char path[300], missing[300], missing_dir_file[300];
	struct iovec iov = {buf, sizeof buf};
	struct msghdr msg;
	struct sockaddr_in sa;
	socklen_t salen;
	int bad = closed_fd();

	memset(buf, 'x', sizeof buf);
	memset(&msg, 0, sizeof msg);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;

	const char *tmpdir = getenv("TMPDIR");
	char dir[200];
	if (!tmpdir || !*tmpdir || strlen(tmpdir) > 170)
		tmpdir = "/tmp";
	snprintf(dir, sizeof dir, "%s/errno_check.XXXXXX", tmpdir);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof path, "%s/file", dir);
	snprintf(missing, sizeof missing, "%s/missing", dir);
	snprintf(missing_dir_file, sizeof missing_dir_file, "%s/nodir/file", dir);

	/* ---- failures on a bad fd ---- */
	FAIL_CHECK("read(bad fd)", EBADF, read(bad, buf, sizeof buf));
	FAIL_CHECK("write(bad fd)", EBADF, write(bad, buf, sizeof buf));
	FAIL_CHECK("pread(bad fd)", EBADF, pread(bad, buf, sizeof buf, 0));
	FAIL_CHECK("pwrite(bad fd)", EBADF, pwrite(bad, buf, sizeof buf, 0));
	FAIL_CHECK("readv(bad fd)", EBADF, readv(bad, &iov, 1));
	FAIL_CHECK("writev(bad fd)", EBADF, writev(bad, &iov, 1));
	FAIL_CHECK("preadv(bad fd)", EBADF, preadv(bad, &iov, 1, 0));
	FAIL_CHECK("pwritev(bad fd)", EBADF, pwritev(bad, &iov, 1, 0));
	FAIL_CHECK("fsync(bad fd)", EBADF, fsync(bad));
	FAIL_CHECK("fdatasync(bad fd)", EBADF, fdatasync(bad));
	FAIL_CHECK("close(-1)", EBADF, close(-1));
	FAIL_CHECK("close(bad fd)", EBADF, close(bad));

	/* ---- failures on paths ---- */
	FAIL_CHECK("open(missing)", ENOENT, open(missing, O_RDONLY));
	FAIL_CHECK("open(missing, O_CREAT in missing dir)", ENOENT,
		   open(missing_dir_file, O_WRONLY | O_CREAT, 0600));
	FAIL_CHECK("openat(AT_FDCWD, missing)", ENOENT,
		   openat(AT_FDCWD, missing, O_RDONLY));
	FAIL_CHECK("openat(bad dirfd, relative)", EBADF,
		   openat(bad, "relative", O_RDONLY));
	FAIL_CHECK("creat(missing dir)", ENOENT, creat(missing_dir_file, 0600));

	/* ---- failures on a fd of the wrong kind ---- */
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror("open temp file");
		return 2;
	}
	salen = sizeof sa;
	memset(&sa, 0, sizeof sa);
	FAIL_CHECK("send(not a socket)", ENOTSOCK, send(fd, buf, 1, 0));
	FAIL_CHECK("recv(not a socket)", ENOTSOCK, recv(fd, buf, 1, 0));
	FAIL_CHECK("sendto(not a socket)", ENOTSOCK, sendto(fd, buf, 1, 0, NULL, 0));
	FAIL_CHECK("recvfrom(not a socket)", ENOTSOCK,
		   recvfrom(fd, buf, 1, 0, (struct sockaddr *)&sa, &salen));
	FAIL_CHECK("sendmsg(not a socket)", ENOTSOCK, sendmsg(fd, &msg, 0));
	FAIL_CHECK("recvmsg(not a socket)", ENOTSOCK, recvmsg(fd, &msg, 0));
	FAIL_CHECK("accept(not a socket)", ENOTSOCK, accept(fd, NULL, NULL));
	FAIL_CHECK("connect(not a socket)", ENOTSOCK,
		   connect(fd, (struct sockaddr *)&sa, sizeof sa));

	/* ---- EAGAIN is reported, not an error, but errno must still be right */
	int pfd[2];
	if (pipe2(pfd, O_NONBLOCK) != 0) {
		perror("pipe2");
		return 2;
	}
	FAIL_CHECK("read(empty nonblocking pipe)", EAGAIN, read(pfd[0], buf, 1));

	/* ---- connect refused: a port that was bound and then closed ---- */
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	salen = sizeof sa;
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    getsockname(ls, (struct sockaddr *)&sa, &salen) != 0) {
		perror("bind loopback");
		return 2;
	}
	close(ls);
	int cs = socket(AF_INET, SOCK_STREAM, 0);
	FAIL_CHECK("connect(closed loopback port)", ECONNREFUSED,
		   connect(cs, (struct sockaddr *)&sa, sizeof sa));
	close(cs);

	/* ---- successes leave errno alone ---- */
	OK_CHECK("write(file)", r == 8, write(fd, "abcdefgh", 8));
	OK_CHECK("pwrite(file)", r == 4, pwrite(fd, "ABCD", 4, 0));
	OK_CHECK("pread(file)", r == 8, pread(fd, buf, 8, 0));
	OK_CHECK("lseek+read(file)", r == 3, (lseek(fd, 5, SEEK_SET), read(fd, buf, 3)));
	iov.iov_len = 4;
	OK_CHECK("writev(file)", r == 4, writev(fd, &iov, 1));
	OK_CHECK("pwritev(file)", r == 4, pwritev(fd, &iov, 1, 0));
	OK_CHECK("preadv(file)", r == 4, preadv(fd, &iov, 1, 0));
	OK_CHECK("readv(file at EOF)", r == 0, readv(fd, &iov, 1));
	OK_CHECK("fsync(file)", r == 0, fsync(fd));
	OK_CHECK("fdatasync(file)", r == 0, fdatasync(fd));
	OK_CHECK("close(file)", r == 0, close(fd));

	OK_CHECK("open(existing)", r >= 0, fd = open(path, O_RDONLY));
	OK_CHECK("close(existing)", r == 0, close(fd));
	OK_CHECK("openat(AT_FDCWD, existing)", r >= 0,
		 fd = openat(AT_FDCWD, path, O_RDONLY));
	OK_CHECK("read(file)", r == 12, read(fd, buf, sizeof buf));
	close(fd);
	OK_CHECK("creat(new)", r >= 0, fd = creat(missing, 0600));
	close(fd);
	OK_CHECK("write(pipe)", r == 1, write(pfd[1], "p", 1));
	OK_CHECK("read(pipe)", r == 1, read(pfd[0], buf, 1));
	close(pfd[0]);
	close(pfd[1]);

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		perror("socketpair");
		return 2;
	}
	iov.iov_len = 2;
	OK_CHECK("send(socketpair)", r == 2, send(sv[0], "hi", 2, 0));
	OK_CHECK("recv(socketpair)", r == 2, recv(sv[1], buf, 2, 0));
	OK_CHECK("sendto(socketpair)", r == 2, sendto(sv[0], "hi", 2, 0, NULL, 0));
	OK_CHECK("recvfrom(socketpair)", r == 2, recvfrom(sv[1], buf, 2, 0, NULL, NULL));
	OK_CHECK("sendmsg(socketpair)", r == 2, sendmsg(sv[0], &msg, 0));
	OK_CHECK("recvmsg(socketpair)", r == 2, recvmsg(sv[1], &msg, 0));
	FAIL_CHECK("recv(empty socket, MSG_DONTWAIT)", EAGAIN,
		   recv(sv[1], buf, 1, MSG_DONTWAIT));
	close(sv[0]);
	close(sv[1]);

	/* TCP over loopback: a successful connect and accept. */
	ls = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_port = 0;
	salen = sizeof sa;
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(ls, 4) != 0 ||
	    getsockname(ls, (struct sockaddr *)&sa, &salen) != 0) {
		perror("listen loopback");
		return 2;
	}
	cs = socket(AF_INET, SOCK_STREAM, 0);
	OK_CHECK("connect(listening loopback port)", r == 0,
		 connect(cs, (struct sockaddr *)&sa, sizeof sa));
	int as = -1;
	OK_CHECK("accept(pending connection)", r >= 0, as = accept(ls, NULL, NULL));
	OK_CHECK("send(tcp)", r == 3, send(cs, "tcp", 3, 0));
	OK_CHECK("recv(tcp)", r == 3, recv(as, buf, 3, MSG_WAITALL));
	close(as);
	close(cs);
	close(ls);

	pthread_t t;
	OK_CHECK("pthread_create", r == 0, pthread_create(&t, NULL, thread_fn, NULL));
	pthread_join(t, NULL);

	unlink(missing);
	unlink(path);
	rmdir(dir);

	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
