/* threadexec: starts threads and at once replaces itself with `true`
 * (execl), while they are still starting or writing. The exec writes the
 * trace and ends the process's spans as it begins; a thread that the kernel
 * ran only after that began its span after the time its span was ended at.
 * Each thread writes to /dev/null, then sleeps until the exec ends it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

enum { THREADS = 8 };

static int null_fd;

static void *worker(void *arg)
{
	for (int i = 0; i < 4; i++)
		(void)!write(null_fd, "thread\n", 7);
	usleep(200000);
	return arg;
}

int main(void)
{
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null_fd < 0)
		return 1;
	for (int i = 0; i < THREADS; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, NULL) != 0)
			return 1;
	}
	execl("/bin/true", "true", (char *)NULL);
	return 127;
}
