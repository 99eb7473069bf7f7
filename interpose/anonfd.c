/* Descriptors that are neither files nor sockets: eventfd, epoll, timerfd,
 * signalfd and inotify. Not traced as spans; their creation is noted so calls
 * on them are described even after the program closed them. */
#include "wrap.h"

#include "fdwake.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#define MADE(type, call)                           \
	do {                                       \
		int r_ = call;                     \
		if (r_ >= 0)                       \
			ts_fd_made(r_, type, 0);   \
		return r_;                         \
	} while (0)

TS_EXPORT int eventfd(unsigned int count, int flags)
{
	TS_REAL(eventfd, -1);
	int r = real(count, flags);
	if (r >= 0) {
		ts_fd_made(r, TS_FD_EVENTFD, 0);
		if (ts_caller())   /* not the shim's, in a descriptor table of its own */
			ts_fdwake_eventfd(r);   /* a write wakes a poll of it */
	}
	return r;
}

TS_EXPORT int epoll_create(int size)
{
	TS_REAL(epoll_create, -1);
	MADE(TS_FD_EPOLL, real(size));
}

TS_EXPORT int epoll_create1(int flags)
{
	TS_REAL(epoll_create1, -1);
	MADE(TS_FD_EPOLL, real(flags));
}

TS_EXPORT int timerfd_create(int clockid, int flags)
{
	TS_REAL(timerfd_create, -1);
	MADE(TS_FD_TIMERFD, real(clockid, flags));
}

TS_EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
	TS_REAL(signalfd, -1);
	if (fd != -1)
		return real(fd, mask, flags);   /* changes the mask of an existing one */
	MADE(TS_FD_SIGNALFD, real(fd, mask, flags));
}

TS_EXPORT int inotify_init(void)
{
	TS_REAL(inotify_init, -1);
	MADE(TS_FD_INOTIFY, real());
}

TS_EXPORT int inotify_init1(int flags)
{
	TS_REAL(inotify_init1, -1);
	MADE(TS_FD_INOTIFY, real(flags));
}
