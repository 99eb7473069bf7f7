/* threadpool: tasks handed from main to a pool of worker threads.
 *
 * main begins a span "batch" and queues 12 tasks. Each submit marks the
 * hand-off (ts_handoff) and keeps the context in the task; the worker that
 * picks the task up runs it under ts_handoff_run(), so in the trace every
 * "task" span is a child of "batch", with an arrow from where it was queued,
 * and the task's own I/O (a file written and read back, a round trip to a
 * loopback echo server) and its "checksum" span are under it. Task 7 fails.
 *
 *   traceshim run -o pool.pftrace -- ./threadpool [DIR]
 *   LD_PRELOAD=path/to/libtraceshim.so ./threadpool [DIR]
 *
 * DIR is where the task files go (a new temporary directory by default). The
 * output is the same with or without the tracer, whatever the scheduling. */
#include <traceshim.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NTASKS 12
#define NWORKERS 4
#define FAILING_TASK 7

struct task {
	int id;
	ts_context_t ctx;        /* from ts_handoff(): where the task was queued */
	struct task *next;
	/* Results, read by main once every task is done. */
	size_t bytes;
	uint32_t checksum;
	char error[128];
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t more;     /* a task was queued, or stop */
	pthread_cond_t done;     /* a task finished */
	struct task *head, *tail;
	int finished;
	int stop;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
	  NULL, NULL, 0, 0};

static char dir[4096];
static struct sockaddr_in echo_addr;
static atomic_bool echo_stop;

static uint32_t fnv1a(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

/* The loopback echo server: one connection at a time, until main sets
 * echo_stop and connects once more to wake it up. */
static void *echo_server(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	pthread_setname_np(pthread_self(), "echo-server");
	for (;;) {
		int c = accept(lfd, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (atomic_load(&echo_stop)) {
			close(c);
			break;
		}
		char buf[512];
		ssize_t n;
		while ((n = read(c, buf, sizeof buf)) > 0)
			if (write(c, buf, (size_t)n) != n)
				break;
		close(c);
	}
	return NULL;
}

static int fail(struct task *t, ts_span_t span, const char *what)
{
	snprintf(t->error, sizeof t->error, "%s: %s", what, strerror(errno));
	ts_span_error(span, "io", t->error);
	return -1;
}

/* Writes the task's file and reads it back into buf. */
static int file_round_trip(struct task *t, ts_span_t span, const char *data, size_t len,
			   char *buf, size_t size)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/task-%02d.txt", dir, t->id);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return fail(t, span, "create file");
	ssize_t w = write(fd, data, len);
	if (close(fd) != 0 || w != (ssize_t)len)
		return fail(t, span, "write file");
	if (t->id == FAILING_TASK) {
		/* The failure: this task also wants a file nobody wrote. */
		snprintf(path, sizeof path, "%s/task-%02d.extra", dir, t->id);
	}
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail(t, span, "open input");
	ssize_t n = read(fd, buf, size);
	close(fd);
	if (n != (ssize_t)len)
		return fail(t, span, "read file");
	return 0;
}

/* Sends buf to the echo server and reads the echo back into it. */
static int echo_round_trip(struct task *t, ts_span_t span, char *buf, size_t len)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&echo_addr, sizeof echo_addr) != 0 ||
	    write(fd, buf, len) != (ssize_t)len || shutdown(fd, SHUT_WR) != 0) {
		if (fd >= 0)
			close(fd);
		return fail(t, span, "echo send");
	}
	size_t got = 0;
	ssize_t n;
	while (got < len && (n = read(fd, buf + got, len - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got != len) {
		errno = EPROTO;
		return fail(t, span, "echo receive");
	}
	return 0;
}

static void run_task(struct task *t)
{
	/* A span on this thread, child of "batch", arrow from the hand-off. */
	ts_span_t span = ts_handoff_run(t->ctx, "task", TS_ATTRS(ts_int("task.id", t->id)));

	char data[256], buf[256];
	int len = snprintf(data, sizeof data, "task %d:", t->id);
	for (int i = 0; i <= t->id; i++)
		len += snprintf(data + len, sizeof data - (size_t)len, " %d", i * i);
	data[len++] = '\n';

	if (file_round_trip(t, span, data, (size_t)len, buf, sizeof buf) != 0 ||
	    echo_round_trip(t, span, buf, (size_t)len) != 0) {
		ts_span_end(span, TS_STATUS_ERROR);
		return;
	}

	ts_span_t sum = ts_span_begin("checksum", TS_ATTRS(ts_int("bytes", len)));
	t->bytes = (size_t)len;
	t->checksum = fnv1a(buf, (size_t)len);
	ts_span_set(sum, TS_ATTRS(ts_int("checksum", t->checksum)));
	ts_span_end(sum, TS_STATUS_OK);

	ts_span_end(span, TS_STATUS_OK);
}

static void *worker(void *arg)
{
	char name[16];
	snprintf(name, sizeof name, "worker-%d", (int)(intptr_t)arg);
	pthread_setname_np(pthread_self(), name);
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		while (!pool.head && !pool.stop)
			pthread_cond_wait(&pool.more, &pool.lock);
		struct task *t = pool.head;
		if (!t)
			break;   /* stop, and nothing left */
		pool.head = t->next;
		if (!pool.head)
			pool.tail = NULL;
		pthread_mutex_unlock(&pool.lock);

		run_task(t);

		pthread_mutex_lock(&pool.lock);
		pool.finished++;
		pthread_cond_signal(&pool.done);
	}
	pthread_mutex_unlock(&pool.lock);
	return NULL;
}

static void submit(struct task *t)
{
	/* The queueing point: an instant here, and the context for the worker. */
	t->ctx = ts_handoff(ts_context_capture(), "queue task");
	pthread_mutex_lock(&pool.lock);
	t->next = NULL;
	if (pool.tail)
		pool.tail->next = t;
	else
		pool.head = t;
	pool.tail = t;
	pthread_cond_signal(&pool.more);
	pthread_mutex_unlock(&pool.lock);
}

static int start_echo_server(pthread_t *th)
{
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	socklen_t alen = sizeof echo_addr;
	echo_addr.sin_family = AF_INET;
	echo_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	echo_addr.sin_port = 0;   /* any free port */
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&echo_addr, sizeof echo_addr) != 0 ||
	    listen(lfd, NTASKS) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&echo_addr, &alen) != 0 ||
	    pthread_create(th, NULL, echo_server, (void *)(intptr_t)lfd) != 0) {
		perror("echo server");
		exit(1);
	}
	return lfd;
}

static void stop_echo_server(pthread_t th, int lfd)
{
	atomic_store(&echo_stop, true);
	int wake = socket(AF_INET, SOCK_STREAM, 0);
	if (wake < 0 || connect(wake, (struct sockaddr *)&echo_addr, sizeof echo_addr) != 0) {
		perror("stop echo server");
		exit(1);
	}
	close(wake);
	pthread_join(th, NULL);
	close(lfd);
}

int main(int argc, char **argv)
{
	int made_dir = argc < 2;
	if (made_dir) {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/threadpool-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			return 1;
		}
	} else {
		snprintf(dir, sizeof dir, "%s", argv[1]);
	}

	pthread_t server, workers[NWORKERS];
	int lfd = start_echo_server(&server);
	for (int i = 0; i < NWORKERS; i++)
		if (pthread_create(&workers[i], NULL, worker, (void *)(intptr_t)i) != 0) {
			perror("pthread_create");
			return 1;
		}

	static struct task tasks[NTASKS];
	ts_span_t batch = ts_span_begin("batch", TS_ATTRS(ts_int("batch.tasks", NTASKS),
							  ts_int("pool.workers", NWORKERS)));
	for (int i = 0; i < NTASKS; i++) {
		tasks[i].id = i;
		submit(&tasks[i]);
	}
	pthread_mutex_lock(&pool.lock);
	while (pool.finished < NTASKS)
		pthread_cond_wait(&pool.done, &pool.lock);
	pool.stop = 1;
	pthread_cond_broadcast(&pool.more);
	pthread_mutex_unlock(&pool.lock);

	int failed = 0;
	for (int i = 0; i < NTASKS; i++)
		failed += tasks[i].error[0] != 0;
	ts_span_set(batch, TS_ATTRS(ts_int("batch.failed", failed)));
	ts_span_end(batch, TS_STATUS_UNSET);

	for (int i = 0; i < NWORKERS; i++)
		pthread_join(workers[i], NULL);
	stop_echo_server(server, lfd);

	uint32_t total = 0;
	size_t bytes = 0;
	for (int i = 0; i < NTASKS; i++) {
		const struct task *t = &tasks[i];
		char path[4200];
		snprintf(path, sizeof path, "%s/task-%02d.txt", dir, i);
		unlink(path);
		if (t->error[0]) {
			printf("task %2d: error: %s\n", i, t->error);
			continue;
		}
		printf("task %2d: %3zu bytes, checksum %08x\n", i, t->bytes, t->checksum);
		total ^= t->checksum;
		bytes += t->bytes;
	}
	printf("%d tasks, %d failed, %zu bytes, combined checksum %08x\n", NTASKS, failed, bytes,
	       total);
	if (made_dir)
		rmdir(dir);
	return 0;
}
