/* forkchurn: forks while another thread allocates without pause, as a
 * server with a background save does (redis-server's BGSAVE). Run with an
 * allocator that has fork handlers of its own (jemalloc, preloaded after the
 * shim: its handlers run around the shim's), under the in-process writer,
 * whose background thread allocates too: neither fork nor the child may
 * hang.
 *
 * Usage: forkchurn N   (N forks; each child allocates, then exits 0)
 * Prints "forked N" when every child has exited 0; exit status 0. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *churn(void *arg)
{
	(void)arg;
	for (;;) {
		void *p[64];
		for (int i = 0; i < 64; i++)
			p[i] = malloc(16 + (size_t)i * 64);
		for (int i = 0; i < 64; i++)
			free(p[i]);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10, ok = 0;
	pthread_t th;
	if (pthread_create(&th, NULL, churn, NULL) != 0)
		return 2;
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			char *p = malloc(100);
			if (p)
				strcpy(p, "child");
			free(p);
			_exit(0);
		}
		int st;
		if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
	}
	printf("forked %d\n", ok);
	fflush(stdout);
	_exit(ok == n ? 0 : 1);
}
