/* The agent's OTLP relay process (see relay.h): its main thread reads the
 * agent's control socket (new worker connections, the agent's end) and
 * every worker connection into the queue (relay_queue.c), whose sender
 * thread posts and answers. The relay leaves once the agent is done with it
 * and no worker connection is left. */
#include "relay.h"

#include "log.h"
#include "module.h"
#include "relay_queue.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int ctl = -1;
static bool ctl_eof;

static bool header_ok(const struct ts_relay_msg *h)
{
	switch (h->type) {
	case TS_RELAY_HELLO:
		return h->len == sizeof(struct ts_relay_hello);
	case TS_RELAY_DATA:
		return h->len && h->len <= TS_RELAY_BODY_MAX && h->nspans;
	case TS_RELAY_FIN:
		return h->len == 0;
	default:
		return false;
	}
}

/* Reads what c has; false at its end (or when it sent what no worker sends). */
static bool read_conn(struct ts_relay_conn *c)
{
	for (;;) {
		size_t hs = sizeof c->hdr;
		ssize_t n;
		if (c->got < hs)
			n = read(c->fd, (char *)&c->hdr + c->got, hs - c->got);
		else
			n = read(c->fd, c->body + (c->got - hs), c->hdr.len - (c->got - hs));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0)
			return false;
		c->got += (size_t)n;
		if (c->got == hs) {
			if (!header_ok(&c->hdr) || !(c->body = malloc(c->hdr.len ? c->hdr.len : 1)))
				return false;
		}
		if (c->got == hs + c->hdr.len) {
			bool ok = ts_relay_take_message(c);
			free(c->body);
			c->body = NULL;
			c->got = 0;
			if (!ok)
				return false;
		}
	}
}

static void read_ctl(void)
{
	char buf[16];
	union {
		char space[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {buf, sizeof buf};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.space,
			    .msg_controllen = sizeof u.space};
	ssize_t n = recvmsg(ctl, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	int fd = -1;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	if (n <= 0) {
		ctl_eof = true;
		ts_relay_ctl_ended();
	} else if (buf[0] == TS_RELAY_CONN) {
		if (fd >= 0)
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		ts_relay_conn_add(fd);
	} else {
		if (fd >= 0)
			close(fd);
		if (buf[0] == TS_RELAY_END && n == 1 + (ssize_t)sizeof(uint64_t)) {
			uint64_t end;
			memcpy(&end, buf + 1, sizeof end);
			ts_relay_bound_all(end);
		}
	}
}

int ts_relay_main(int ctl_fd, int log_level)
{
	ts_log_level = log_level;
	ctl = ctl_fd;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !ts_relay_queue_start(ctl_fd))
		return 1;
	/* p[0] is ctl, p[i] the connection polled[i]. */
	struct pollfd *p = NULL;
	struct ts_relay_conn **polled = NULL;
	size_t cap = 0;
	while (!ts_relay_finished()) {
		size_t n = ts_relay_conns_open(polled ? polled + 1 : NULL, cap ? cap - 1 : 0) + 1;
		if (n > cap) {
			struct pollfd *np = realloc(p, n * sizeof *p);
			struct ts_relay_conn **nc = np ? realloc(polled, n * sizeof *nc) : NULL;
			p = np ? np : p;
			polled = nc ? nc : polled;
			if (!np || !nc)
				break;
			cap = n;
			continue;   /* the list again, into room for it */
		}
		p[0] = (struct pollfd){ctl_eof ? -1 : ctl, POLLIN, 0};
		for (size_t i = 1; i < n; i++)
			p[i] = (struct pollfd){polled[i]->fd, POLLIN, 0};
		/* Once the agent is done, its end is looked for often. */
		if (poll(p, n, ctl_eof ? 10 : 200) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			read_ctl();
		for (size_t i = 1; i < n; i++)
			if (p[i].revents && !read_conn(polled[i]))
				ts_relay_conn_ended(polled[i]);
	}
	return ts_relay_undelivered() ? TS_RELAY_UNDELIVERED : 0;
}
