/* lastthread MODE: the main thread ends before the other thread, which
 * writes 20 lines to stdout and returns. The process must end as it would
 * without a tracer:
 *   pthread_exit  main calls pthread_exit(): glibc then ends the process
 *                 with exit(0) when the worker returns (atexit handlers run,
 *                 stdio is flushed: "atexit" is printed)
 *   sys_exit      main calls syscall(SYS_exit, 3): the process ends when
 *                 the worker is gone, with status 3 and no exit handlers
 *   seccomp       main enters seccomp strict mode and makes a forbidden call:
 *                 the kernel kills the main thread alone; the process ends
 *                 when the worker is gone (killed by SIGKILL, as the main
 *                 thread was)
 *   wait          main calls pthread_exit(); the worker writes its lines,
 *                 then waits (up to 20 s) for a signal: SIGTERM kills it
 *                 (for the test that sends it)
 * The worker waits until the main thread is gone before writing. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *mode;
static pid_t main_tid;

/* The main thread is a zombie (or gone) once /proc says so. */
static int main_gone(void)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)main_tid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = 0;
	const char *p = strrchr(buf, ')');
	return p && (p[2] == 'Z' || p[2] == 'X');
}

static void *worker(void *arg)
{
	(void)arg;
	struct timespec ms = {0, 1000000};
	for (int i = 0; i < 10000 && !main_gone(); i++)
		nanosleep(&ms, NULL);
	char line[32];
	for (int i = 0; i < 20; i++) {
		int n = snprintf(line, sizeof line, "line %d\n", i);
		if (write(1, line, (size_t)n) != n)
			return NULL;
	}
	if (!strcmp(mode, "wait")) {
		struct timespec s = {20, 0};
		nanosleep(&s, NULL);
	}
	return NULL;
}

static void at_exit(void)
{
	printf("atexit\n");
}

int main(int argc, char **argv)
{
	mode = argc > 1 ? argv[1] : "pthread_exit";
	main_tid = (pid_t)syscall(SYS_gettid);
	atexit(at_exit);
	printf("main starts\n");   /* buffered when stdout is a pipe: flushed by exit() only */
	pthread_t th;
	if (pthread_create(&th, NULL, worker, NULL) != 0)
		return 2;
	if (!strcmp(mode, "pthread_exit") || !strcmp(mode, "wait"))
		pthread_exit(NULL);
	if (!strcmp(mode, "sys_exit"))
		syscall(SYS_exit, 3);
	if (!strcmp(mode, "seccomp")) {
		fflush(stdout);
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) != 0)
			return 4;
		syscall(SYS_getpid);   /* not read, write, exit or sigreturn: killed */
	}
	return 5;
}
