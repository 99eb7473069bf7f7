/* A small program to look at under traceshim: worker threads writing and
 * reading files, a pipe between two threads, and one call that fails. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/traceshim-demo-XXXXXX";
static int pipefd[2];

static void *writer(void *arg)
{
	int n = (int)(long)arg;
	char name[16], path[64], block[256];
	snprintf(name, sizeof name, "writer-%d", n);
	pthread_setname_np(pthread_self(), name);
	snprintf(path, sizeof path, "%s/file-%d", dir, n);
	memset(block, 'a' + n, sizeof block);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return NULL;
	for (int i = 0; i < 64; i++)
		if (write(fd, block, sizeof block) < 0)
			break;
	fsync(fd);
	close(fd);
	fd = open(path, O_RDONLY);
	while (fd >= 0 && read(fd, block, sizeof block) > 0)
		;
	close(fd);
	unlink(path);
	return NULL;
}

static void *producer(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "producer");
	for (int i = 0; i < 8; i++) {
		char msg[32];
		int len = snprintf(msg, sizeof msg, "message %d\n", i);
		if (write(pipefd[1], msg, (size_t)len) < 0)
			break;
		usleep(1000);
	}
	close(pipefd[1]);
	return NULL;
}

int main(void)
{
	if (!mkdtemp(dir) || pipe(pipefd) != 0) {
		perror("demo");
		return 1;
	}
	pthread_t th[4];
	for (long i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, writer, (void *)i);
	pthread_create(&th[3], NULL, producer, NULL);

	char buf[64];
	ssize_t n, total = 0;
	while ((n = read(pipefd[0], buf, sizeof buf)) > 0)
		total += n;
	close(pipefd[0]);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);

	/* A failing call shows up as an error marker on the main thread's lane. */
	int fd = open("/nonexistent/traceshim-demo", O_RDONLY);
	if (fd >= 0)
		close(fd);
	rmdir(dir);
	printf("demo: 3 writers, %zd bytes through the pipe\n", total);
	return 0;
}
