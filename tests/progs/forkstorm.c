/* forkstorm N: forks N short children, one after another, while two other
 * threads keep writing to /dev/null, a write every 200 us (so a fork often
 * lands while another thread is inside a traced call). Each child writes once and leaves with
 * _exit(0) (odd ones) or exit(0) (even ones). Prints how many children
 * succeeded. */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static atomic_int stop;

static void *busy(void *arg)
{
	int fd = *(int *)arg;
	char byte = 'x';
	struct timespec pause = {0, 200000};
	while (!atomic_load(&stop)) {
		if (write(fd, &byte, 1) != 1)
			break;
		nanosleep(&pause, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	int fd = open("/dev/null", O_WRONLY);
	if (fd < 0)
		return 1;
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, busy, &fd);
	int ok = 0;
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			char c = 'c';
			if (write(fd, &c, 1) != 1)
				_exit(2);
			if (i % 2)
				_exit(0);
			exit(0);
		}
		int status;
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	printf("%d children ok\n", ok);
	return ok == n ? 0 : 1;
}
