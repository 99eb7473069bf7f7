/* The agent's OTLP relay (src/otlp/relay.c): a process the agent forks, the
 * OTLP module loaded, before the first worker that exports over OTLP. Each
 * such worker gets a socket of its own to it (the agent makes the pair and
 * passes the relay's end over the control socket), hands it its encoded
 * requests and may leave: the relay sends them, one keep-alive connection
 * for the whole run, and the agent waits for it as for a worker, so a dead
 * receiver costs the run its exit bound once. The relay alone loads the
 * OTLP module's sender (libcurl, TLS): the agent and its workers do not.
 * When the relay cannot start, or cannot load the sender, each worker posts
 * its own spans; when it dies, the spans it held are lost (counted failed by
 * the workers still waiting) and the next worker that needs one starts
 * another. */
#include "otlprelay.h"

#include "callerfds.h"
#include "log.h"
#include "module.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool start(struct ts_agent *a, int seg_fd)
{
	if (!a->otlp || !a->otlp->relay || a->relay_off)
		return false;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return false;
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		close(seg_fd);
		for (int i = 0; i < 3; i++)
			if (a->keep_fds[i] >= 0)
				close(a->keep_fds[i]);
		ts_agent_close_workers();
		ts_callerfds_close();
		setpgid(0, 0);   /* as a worker: out of the run's group */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_IGN);
		_exit(a->otlp->relay(sv[1], ts_log_level));
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return false;
	}
	a->relay_pid = pid;
	a->relay_ctl = sv[0];
	a->relay_passed = a->relay_idle = 0;
	ts_agent_note(a);
	return true;
}

/* Passes fd to the relay. */
static bool pass(struct ts_agent *a, int fd)
{
	char tag = TS_RELAY_CONN;
	union {
		char space[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct iovec iov = {&tag, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.space,
			    .msg_controllen = sizeof u.space};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	ssize_t n;
	while ((n = sendmsg(a->relay_ctl, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return n == 1;
}

int ts_relay_connect(struct ts_agent *a, int seg_fd)
{
	if (!a->relay_pid && !start(a, seg_fd))
		return -1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	bool ok = pass(a, sv[1]);
	close(sv[1]);
	if (!ok) {
		close(sv[0]);
		TS_INFO("cannot reach the OTLP relay: %s", strerror(errno));
		return -1;
	}
	a->relay_passed++;
	return sv[0];
}

bool ts_relay_busy(const struct ts_agent *a)
{
	return a->relay_pid && a->relay_idle != a->relay_passed;
}

int ts_relay_ctl(const struct ts_agent *a)
{
	return a->relay_pid ? a->relay_ctl : -1;
}

void ts_relay_read(struct ts_agent *a)
{
	uint32_t n;
	while (a->relay_pid && recv(a->relay_ctl, &n, sizeof n, MSG_DONTWAIT) == (ssize_t)sizeof n)
		a->relay_idle = n;
}

static void forget(struct ts_agent *a)
{
	close(a->relay_ctl);
	a->relay_ctl = -1;
	a->relay_pid = 0;
	ts_agent_note(a);
}

bool ts_relay_reaped(struct ts_agent *a, pid_t pid, int status)
{
	if (!a->relay_pid || pid != a->relay_pid)
		return false;
	if (WIFEXITED(status) && WEXITSTATUS(status) == TS_RELAY_NO_SENDER) {
		/* It cannot load the sender, nor would another: later workers
		 * post themselves, and each says why it cannot. */
		a->relay_off = true;
		TS_WARN("the OTLP relay cannot post; no other is started");
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == TS_RELAY_UNDELIVERED) {
		a->relay_undelivered = true;   /* each loss was logged as it happened */
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		a->relay_undelivered = true;
		TS_WARN("the OTLP relay ended badly (status %d); spans it held are lost", status);
	}
	forget(a);
	return true;
}

void ts_relay_end(struct ts_agent *a, uint64_t cutoff_ms, bool wait)
{
	if (!a->relay_pid)
		return;
	char msg[1 + sizeof cutoff_ms];
	msg[0] = TS_RELAY_END;
	memcpy(msg + 1, &cutoff_ms, sizeof cutoff_ms);
	(void)send(a->relay_ctl, msg, sizeof msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	/* Its end: it leaves once what it holds is sent or given up, unless
	 * workers that outlive the agent still talk to it. */
	shutdown(a->relay_ctl, SHUT_WR);
	/* A moment past the cutoff: the request in flight is cut then. */
	uint64_t until = (cutoff_ms > now_ms() ? cutoff_ms : now_ms()) + 100;
	bool ended = false;
	while (wait && now_ms() < until) {
		int st;
		pid_t r = waitpid(a->relay_pid, &st, WNOHANG);
		if (r == a->relay_pid) {
			ended = true;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				a->relay_undelivered = true;
			break;
		}
		if (r < 0 && errno != EINTR)
			break;
		struct timespec step = {0, 2000000};
		nanosleep(&step, NULL);
	}
	if (wait && !ended)
		a->relay_undelivered = true;   /* still sending at the bound */
	forget(a);
}
