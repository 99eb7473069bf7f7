/* bench_serve: what the shim costs a web server's thread per request, on
 * its own: the calls nginx makes to answer a keep-alive GET for a small
 * static file (recv, open, fstat, writev, sendfile, write to its access log,
 * close), in one thread, with the client's side of a Unix socket pair in
 * that same thread. The client uses raw system calls, so that only the
 * server's calls go through a preloaded tracer: the difference with an
 * untraced run is what the server's thread pays, whatever the tracer's
 * consumer spends on another CPU. Under load, that is the cost that comes
 * off a server's throughput first.
 *
 * Usage: bench_serve N   (N requests after 1000 untimed ones)
 * Prints: nanoseconds per request (one number) on stdout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 1000
#define FILE_BYTES 4096

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The client's side, out of a tracer's sight. */
static long raw_write(int fd, const void *buf, size_t n)
{
	return syscall(SYS_write, fd, buf, n);
}

static long raw_read(int fd, void *buf, size_t n)
{
	return syscall(SYS_read, fd, buf, n);
}

/* A file of FILE_BYTES to serve, in a directory of its own; its path in
 * path (removed at exit by the caller). */
static int make_file(char *dir, char *path, size_t len)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, len, "%s/file.txt", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	char block[FILE_BYTES];
	memset(block, 'x', sizeof block);
	ssize_t w = write(fd, block, sizeof block);
	close(fd);
	return w == (ssize_t)sizeof block ? 0 : -1;
}

/* One request answered as nginx answers it; 0, or -1 on a failure. */
static int serve_one(int srv, int logfd, const char *path, char *buf)
{
	if (recv(srv, buf, 1024, 0) <= 0)
		return -1;
	int f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (f < 0 || fstat(f, &st) != 0)
		return -1;
	char head[512];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
			 "Date: Thu, 01 Jan 2026 00:00:00 GMT\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %lld\r\nLast-Modified: Thu, 01 Jan 2026 00:00:00 GMT\r\n"
			 "Connection: keep-alive\r\nETag: \"6773a000-1000\"\r\n"
			 "Accept-Ranges: bytes\r\n\r\n",
			 (long long)st.st_size);
	struct iovec v = {head, (size_t)n};
	off_t off = 0;
	static const char line[] = "127.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "
				   "\"GET /file.txt HTTP/1.1\" 200 4096 \"-\" \"wrk\"\n";
	if (writev(srv, &v, 1) != n || sendfile(srv, f, &off, (size_t)st.st_size) != st.st_size ||
	    write(logfd, line, sizeof line - 1) != (ssize_t)sizeof line - 1 || close(f) != 0)
		return -1;
	return n + (int)st.st_size;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	char dir[] = "/tmp/bench_serve.XXXXXX", path[64];
	int sv[2];
	if (n <= 0 || make_file(dir, path, sizeof path) != 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		perror("bench_serve: set-up");
		return 1;
	}
	int logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	static const char req[] = "GET /file.txt HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
				  "User-Agent: wrk\r\n\r\n";
	static char buf[65536];
	double t0 = 0;
	int status = 0;
	for (long i = -WARMUP; i < n; i++) {
		if (i == 0)
			t0 = now_ns();
		if (raw_write(sv[0], req, sizeof req - 1) != (long)sizeof req - 1) {
			status = 1;
			break;
		}
		int want = serve_one(sv[1], logfd, path, buf);
		for (int have = 0; want > 0 && have < want;) {
			long r = raw_read(sv[0], buf, sizeof buf);
			if (r <= 0) {
				want = -1;
				break;
			}
			have += (int)r;
		}
		if (want < 0) {
			status = 1;
			break;
		}
	}
	double per = (now_ns() - t0) / (double)n;
	unlink(path);
	rmdir(dir);
	if (status) {
		fprintf(stderr, "bench_serve: a request failed\n");
		return 1;
	}
	printf("%.0f\n", per);
	return 0;
}
