/* Sockets: connect/accept (with the peer address) and the send/recv family,
 * including the _FORTIFY_SOURCE variants; socket()/socketpair() only mark
 * their descriptors as new. */
#include "inherited.h"
#include "wrap.h"

#include <sys/socket.h>

extern ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
extern ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
			      struct sockaddr *addr, socklen_t *alen);

/* send and sendto as the real sendmsg, when the shim adds a line to what
 * they send (httpinject.c): the program's flags and address kept. */
struct msg_sender {
	struct ts_http_sender base;
	int flags;
	const struct sockaddr *addr;
	socklen_t alen;
	const struct msghdr *msg;   /* sendmsg: its address and control data */
};

/* sendmsg, and the connections the message handed to another process. */
static ssize_t sending(ssize_t (*real)(int, const struct msghdr *, int), int fd,
		       const struct msghdr *msg, int flags)
{
	ssize_t r = real(fd, msg, flags);
	if (r >= 0 && msg && msg->msg_control && msg->msg_controllen)
		ts_http_sent_away(fd, msg);
	return r;
}

static ssize_t via_sendmsg(const struct ts_http_sender *self, int fd, const struct iovec *iov,
			   int cnt)
{
	const struct msg_sender *m = (const struct msg_sender *)self;
	TS_REAL(sendmsg, -1);
	struct msghdr h = {.msg_name = (void *)m->addr, .msg_namelen = m->addr ? m->alen : 0};
	if (m->msg)
		h = *m->msg;
	h.msg_iov = (struct iovec *)iov;
	h.msg_iovlen = (size_t)cnt;
	return sending(real, fd, &h, m->flags);
}

TS_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	TS_REAL(send, -1);
	const struct msg_sender snd = {{via_sendmsg}, flags, NULL, 0, NULL};
	TS_HTTP_SEND(TS_OP_SEND, fd, buf, n, &snd.base);
	TS_NET_BODY(TS_OP_SEND, fd, TS_HTTP_OUT, false, buf, n, real(fd, buf, n, flags));
}

TS_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	TS_REAL(recv, -1);
	TS_NET_BODY(TS_OP_RECV, fd, TS_HTTP_IN, flags & MSG_PEEK, buf, n, real(fd, buf, n, flags));
}

TS_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	TS_REAL(__recv_chk, -1);
	TS_NET_BODY(TS_OP_RECV, fd, TS_HTTP_IN, flags & MSG_PEEK, buf, n,
		    real(fd, buf, n, buflen, flags));
}

TS_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			 const struct sockaddr *addr, socklen_t alen)
{
	TS_REAL(sendto, -1);
	const struct msg_sender snd = {{via_sendmsg}, flags, addr, alen, NULL};
	TS_HTTP_SEND(TS_OP_SENDTO, fd, buf, n, &snd.base);
	TS_NET_BODY(TS_OP_SENDTO, fd, TS_HTTP_OUT, false, buf, n,
		    real(fd, buf, n, flags, addr, alen));
}

TS_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
			   socklen_t *alen)
{
	TS_REAL(recvfrom, -1);
	TS_NET_BODY(TS_OP_RECVFROM, fd, TS_HTTP_IN, flags & MSG_PEEK, buf, n,
		    real(fd, buf, n, flags, addr, alen));
}

TS_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
				 struct sockaddr *addr, socklen_t *alen)
{
	TS_REAL(__recvfrom_chk, -1);
	TS_NET_BODY(TS_OP_RECVFROM, fd, TS_HTTP_IN, flags & MSG_PEEK, buf, n,
		    real(fd, buf, n, buflen, flags, addr, alen));
}

TS_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	TS_REAL(sendmsg, -1);
	if (msg && msg->msg_iov && msg->msg_iovlen > 0 && msg->msg_iovlen <= INT32_MAX) {
		const struct msg_sender snd = {{via_sendmsg}, flags, NULL, 0, msg};
		TS_HTTP_SENDV(TS_OP_SENDMSG, fd, msg->msg_iov, (int)msg->msg_iovlen, &snd.base);
	}
	TS_NETV_BODY(TS_OP_SENDMSG, fd, TS_HTTP_OUT, false, msg ? msg->msg_iov : NULL,
		     msg ? msg->msg_iovlen : 0, sending(real, fd, msg, flags));
}

/* recvmsg, and the kinds of the descriptors the message carried. */
static ssize_t receiving(ssize_t (*real)(int, struct msghdr *, int), int fd, struct msghdr *msg,
			 int flags)
{
	ssize_t r = real(fd, msg, flags);
	if (r >= 0 && msg && msg->msg_control && msg->msg_controllen)
		ts_fds_received(msg);
	return r;
}

TS_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	TS_REAL(recvmsg, -1);
	TS_NETV_BODY(TS_OP_RECVMSG, fd, TS_HTTP_IN, flags & MSG_PEEK, msg ? msg->msg_iov : NULL,
		     msg ? msg->msg_iovlen : 0, receiving(real, fd, msg, flags));
}

static void record_connect(struct ts_thread *t, int fd, const struct sockaddr *addr,
			   socklen_t len, int r, uint64_t t0, uint64_t t1)
{
	int err = errno;
	ts_record_sockaddr(t, TS_OP_CONNECT, fd, addr, len, r, t0, t1);
	/* Non-blocking: in progress is a connection too. */
	if (r == 0 || err == EINPROGRESS)
		ts_http_peer(fd, ts_fd_state(fd), addr, len);
	errno = err;
}

TS_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	TS_REAL(connect, -1);
	TS_TRACED_OP(TS_OP_CONNECT, fd, real(fd, addr, len), record_connect(t_, fd, addr, len, r_, t0_, t1_));
}

/* given: the size of the buffer at addr. The kernel sets *len to the
 * address's whole size even when it copied only `given` bytes of it. */
static void record_accept(struct ts_thread *t, int fd, struct sockaddr *addr, socklen_t given,
			  socklen_t *len, int r, uint64_t t0, uint64_t t1)
{
	socklen_t got = (r >= 0 && addr && len) ? *len : 0;
	if (got > given)
		got = given;
	ts_record_sockaddr(t, TS_OP_ACCEPT, fd, got ? addr : NULL, got, r, t0, t1);
	if (got)
		ts_http_peer(r, ts_fd_state(r), addr, got);
}

/* A program that accepts with no address (libuv: accept4(fd, NULL, NULL,
 * flags)) gets the peer asked for in its stead, in the same system call: the
 * kernel copies it to the shim's buffer, and the program sees nothing of it
 * (its own length, when it passed one with no address, is left as it was).
 * The one difference the kernel could make, ECONNABORTED when the new
 * socket has no peer name, cannot happen to an accepted TCP or Unix socket. */
struct peer_buf {
	socklen_t len;
	struct sockaddr_storage addr;
};

/* The address and length to pass to the kernel: the program's, or own's. */
#define PEER_ARGS(addr, len, own)                                                    \
	struct peer_buf own = {.len = sizeof own.addr};                             \
	struct sockaddr *a = (addr) ? (addr) : (struct sockaddr *)&own.addr;        \
	socklen_t *l = (addr) ? (len) : &own.len;                                   \
	socklen_t given = l ? *l : 0

TS_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	TS_REAL(accept, -1);
	PEER_ARGS(addr, len, own);
	TS_TRACED_OP(TS_OP_ACCEPT, fd, real(fd, a, l), record_accept(t_, fd, a, given, l, r_, t0_, t1_));
}

TS_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	TS_REAL(accept4, -1);
	PEER_ARGS(addr, len, own);
	TS_TRACED_OP(TS_OP_ACCEPT, fd, real(fd, a, l, flags), record_accept(t_, fd, a, given, l, r_, t0_, t1_));
}

TS_EXPORT int socket(int domain, int type, int protocol)
{
	TS_REAL(socket, -1);
	int r = real(domain, type, protocol);
	if (r >= 0)
		ts_fd_made(r, TS_FD_SOCKET, ts_transport_of(domain, type));
	return r;
}

TS_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	TS_REAL(socketpair, -1);
	int r = real(domain, type, protocol, sv);
	if (r == 0) {
		int transport = ts_transport_of(domain, type);
		ts_fd_made(sv[0], TS_FD_SOCKET, transport);
		ts_fd_made(sv[1], TS_FD_SOCKET, transport);
	}
	return r;
}
