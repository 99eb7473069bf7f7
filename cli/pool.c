/* The agent's workers are kept: forking a worker for every traced process,
 * and its exit, cost the agent more CPU than serving the process does. A
 * worker that has served a segment (written its spans, removed it) resets
 * itself to the state of a fresh one (ts_worker_reset) and says it is idle
 * on its control connection, a socket pair with the agent; the agent hands
 * it the next segment there: the segment's descriptor (whose lock marks it
 * served), its name, and the descriptors that pin its process (see
 * src/agent/endwatch.c). The agent closes its end when the worker has been
 * idle a while or the agent ends; the worker then exits.
 *
 * A worker whose process used OTLP is not kept (its exporter thread and
 * batches are not reset): it exits, and the agent forks one for each
 * process that asks for OTLP. */
#include "pool.h"

#include "endwatch.h"
#include "log.h"
#include "worker.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct job {
	int32_t maker;
	uint32_t has;        /* which of pidfd, statfd follow the segment's */
	char name[NAME_MAX + 1];
};

#define HAS_PIDFD 1u
#define HAS_STATFD 2u

bool ts_pool_hand(int ctl, pid_t maker, const char *name, int seg, int pid_fd, int stat_fd)
{
	struct job j = {.maker = (int32_t)maker};
	snprintf(j.name, sizeof j.name, "%s", name);
	int fds[3] = {seg};
	unsigned n = 1;
	if (pid_fd >= 0) {
		j.has |= HAS_PIDFD;
		fds[n++] = pid_fd;
	}
	if (stat_fd >= 0) {
		j.has |= HAS_STATFD;
		fds[n++] = stat_fd;
	}
	union {
		char buf[CMSG_SPACE(sizeof fds)];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct iovec iov = {&j, sizeof j};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			   .msg_controllen = CMSG_SPACE(n * sizeof(int))};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	ssize_t w;
	while ((w = sendmsg(ctl, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return w == (ssize_t)sizeof j;
}

int ts_pool_heard(int ctl)
{
	char c;
	ssize_t r = recv(ctl, &c, 1, MSG_DONTWAIT);
	if (r == 1)
		return 1;
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return -1;
}

/* The next job; false when the agent has closed (or said something else). */
static bool next_job(int ctl, struct job *j, int fds[3])
{
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {j, sizeof *j};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			   .msg_controllen = sizeof u.buf};
	ssize_t r;
	while ((r = recvmsg(ctl, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	int got[3] = {-1, -1, -1};
	unsigned n = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); r > 0 && c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			n = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			if (n > 3)
				n = 3;
			memcpy(got, CMSG_DATA(c), n * sizeof(int));
		}
	unsigned want = 1 + !!(j->has & HAS_PIDFD) + !!(j->has & HAS_STATFD);
	if (r != (ssize_t)sizeof *j || n != want || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		for (unsigned i = 0; i < n; i++)
			close(got[i]);
		return false;
	}
	j->name[sizeof j->name - 1] = 0;
	unsigned k = 1;
	fds[0] = got[0];
	fds[1] = j->has & HAS_PIDFD ? got[k++] : -1;
	fds[2] = j->has & HAS_STATFD ? got[k++] : -1;
	return true;
}

int ts_pool_worker(int ctl, const char *dir, int seg, const char *path, int relay)
{
	/* The level each process's settings start from: the agent's. */
	int level = ts_log_level;
	int rc = ts_worker_run(seg, path, relay);
	for (;;) {
		if (rc != 0 || !ts_worker_reusable())
			return rc;
		ts_worker_reset(level);
		/* Closed after the reset, which unmapped it: the lock goes with
		 * the last descriptor, and the segment is gone by now. */
		close(seg);
		if (relay >= 0)
			close(relay);
		relay = -1;
		char idle = 'i';
		struct job j;
		int fds[3];
		if (send(ctl, &idle, 1, MSG_NOSIGNAL) != 1 || !next_job(ctl, &j, fds))
			return 0;
		seg = fds[0];
		ts_endwatch_adopt((pid_t)j.maker, fds[1], fds[2]);
		char next[PATH_MAX];
		if ((size_t)snprintf(next, sizeof next, "%s/%s", dir, j.name) >= sizeof next)
			return 2;
		rc = ts_worker_run(seg, next, -1);
	}
}
