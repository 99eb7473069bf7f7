/* The descriptors a socket message carries (SCM_RIGHTS), for the wrappers of
 * sendmsg and recvmsg. */
#ifndef TS_PASSEDFDS_H
#define TS_PASSEDFDS_H

#include <string.h>
#include <sys/socket.h>

/* fn(fd, arg) for each descriptor of msg's SCM_RIGHTS messages. */
static inline void ts_passed_fds(const struct msghdr *msg, void (*fn)(int fd, void *arg), void *arg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0))
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
			fn(fd, arg);
		}
	}
}

#endif
