/* Sockets: connect/accept (with the peer address) and the send/recv family,
 * including the _FORTIFY_SOURCE variants; socket()/socketpair() only mark
 * their descriptors as new. */
#include "wrap.h"

#include <sys/socket.h>

extern ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
extern ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
			      struct sockaddr *addr, socklen_t *alen);

TS_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	TS_REAL(send, -1);
	TS_IO_BODY(TS_OP_SEND, fd, n, real(fd, buf, n, flags));
}

TS_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	TS_REAL(recv, -1);
	TS_IO_BODY(TS_OP_RECV, fd, n, real(fd, buf, n, flags));
}

TS_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	TS_REAL(__recv_chk, -1);
	TS_IO_BODY(TS_OP_RECV, fd, n, real(fd, buf, n, buflen, flags));
}

TS_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			 const struct sockaddr *addr, socklen_t alen)
{
	TS_REAL(sendto, -1);
	TS_IO_BODY(TS_OP_SENDTO, fd, n, real(fd, buf, n, flags, addr, alen));
}

TS_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
			   socklen_t *alen)
{
	TS_REAL(recvfrom, -1);
	TS_IO_BODY(TS_OP_RECVFROM, fd, n, real(fd, buf, n, flags, addr, alen));
}

TS_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
				 struct sockaddr *addr, socklen_t *alen)
{
	TS_REAL(__recvfrom_chk, -1);
	TS_IO_BODY(TS_OP_RECVFROM, fd, n, real(fd, buf, n, buflen, flags, addr, alen));
}

TS_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	TS_REAL(sendmsg, -1);
	TS_IO_BODY(TS_OP_SENDMSG, fd, msg ? ts_iov_bytes(msg->msg_iov, (int)msg->msg_iovlen) : 0,
		   real(fd, msg, flags));
}

TS_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	TS_REAL(recvmsg, -1);
	TS_IO_BODY(TS_OP_RECVMSG, fd, msg ? ts_iov_bytes(msg->msg_iov, (int)msg->msg_iovlen) : 0,
		   real(fd, msg, flags));
}

TS_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	TS_REAL(connect, -1);
	struct ts_thread *t = ts_thread_self();
	if (!t)
		return real(fd, addr, len);
	uint64_t t0 = ts_ticks();
	int r = real(fd, addr, len);
	uint64_t t1 = ts_ticks();
	ts_record_sockaddr(t, TS_OP_CONNECT, fd, addr, len, r, t0, t1);
	return r;
}

/* The peer address is only known when the caller asked for it; otherwise the
 * drainer asks the new socket itself. */
static int accept_common(int fd, struct sockaddr *addr, socklen_t *len, int flags, int four,
			 int (*real_accept)(int, struct sockaddr *, socklen_t *),
			 int (*real_accept4)(int, struct sockaddr *, socklen_t *, int))
{
	struct ts_thread *t = ts_thread_self();
	if (!t)
		return four ? real_accept4(fd, addr, len, flags) : real_accept(fd, addr, len);
	uint64_t t0 = ts_ticks();
	int r = four ? real_accept4(fd, addr, len, flags) : real_accept(fd, addr, len);
	uint64_t t1 = ts_ticks();
	socklen_t got = (r >= 0 && addr && len) ? *len : 0;
	ts_record_sockaddr(t, TS_OP_ACCEPT, fd, got ? addr : NULL, got, r, t0, t1);
	return r;
}

TS_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	TS_REAL(accept, -1);
	return accept_common(fd, addr, len, 0, 0, real, NULL);
}

TS_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	TS_REAL(accept4, -1);
	return accept_common(fd, addr, len, flags, 1, NULL, real);
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
