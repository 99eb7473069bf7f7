/* sigwrite: target program for the safety tests.
 *
 * A signal handler that itself calls write() can interrupt the tracer in the
 * middle of recording a write (or a read): the tracer's wrapper is then
 * re-entered on the same thread while its per-thread state is half updated.
 * A fast interval timer makes that happen thousands of times. The tracer must
 * neither deadlock (e.g. on a lock taken by the interrupted wrapper) nor
 * corrupt its buffers, and must keep errno intact for the interrupted code.
 *
 * Output is a fixed "done" line so runs with and without the tracer compare
 * equal; the handler count is not printed because it varies from run to run.
 * Usage: sigwrite [LOOPS]   (default 200000 writes, each followed by a read)
 * Exit status: 0, or 1 when a write failed or errno was clobbered.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_LOOPS 200000
/* Keep going past the loop count until the handler ran this often, so the interesting
 * interleaving is really exercised even on a very fast machine... */
#define MIN_HANDLER_RUNS 50
/* ...but never for longer than this, so a broken timer cannot hang the test. */
#define MAX_SECONDS 10

static volatile sig_atomic_t handler_runs;
static int devnull_fd = -1;
static int pipe_w = -1;

static void on_alarm(int sig)
{
	/* The interrupted code may be between a failing call and its errno
	 * check, so the handler must give errno back as it found it. */
	int saved = errno;
	(void)sig;
	if (write(devnull_fd, "s", 1) != 1)
		handler_runs = -1000000;
	/* The pipe is non-blocking: when main falls behind, EAGAIN is fine. */
	(void)!write(pipe_w, "h", 1);
	handler_runs++;
	errno = saved;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long loops = argc > 1 ? atol(argv[1]) : DEFAULT_LOOPS;
	int pfd[2];
	char c[16];
	int bad = 0;

	devnull_fd = open("/dev/null", O_WRONLY);
	if (devnull_fd < 0 || pipe2(pfd, O_NONBLOCK) != 0) {
		perror("setup");
		return 2;
	}
	pipe_w = pfd[1];

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0) {
		perror("sigaction");
		return 2;
	}
	struct itimerval it = {{0, 200}, {0, 200}};
	if (setitimer(ITIMER_REAL, &it, NULL) != 0) {
		perror("setitimer");
		return 2;
	}

	double start = now();
	for (long i = 0;; i++) {
		if (i >= loops && (handler_runs >= MIN_HANDLER_RUNS ||
				   now() - start > MAX_SECONDS))
			break;
		errno = 777;
		ssize_t n = write(devnull_fd, "m", 1);
		if (n != 1 || errno != 777)
			bad++;
		/* Drain what the handler wrote; mostly this returns EAGAIN,
		 * which must come back as exactly EAGAIN. */
		errno = 0;
		n = read(pfd[0], c, sizeof c);
		if (n < 0 && errno != EAGAIN)
			bad++;
	}

	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	if (handler_runs < 0)
		bad++;

	if (bad) {
		fprintf(stderr, "sigwrite: %d bad results\n", bad);
		return 1;
	}
	printf("done\n");
	return 0;
}
