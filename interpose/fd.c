/* Descriptor bookkeeping without spans: calls that create, replace or close
 * descriptors in bulk. They keep the generation table right, so a read on a
 * reused number is not described with the old file. (The shim's own
 * descriptors are in its background thread's table, out of the program's
 * reach: nothing here has to step around them.) */
#include "wrap.h"

#include "fdwake.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Since glibc 2.34; declared here so older headers still build. */
extern int close_range(unsigned int first, unsigned int last, int flags);
extern void closefrom(int lowfd);

/* r is now a duplicate of fd (state): described as it is, and the same HTTP
 * connection. was: what r referred to before the call (dup2, dup3), which
 * the call closed; 0 when nothing. */
static void duplicated(int fd, uint64_t state, int r, uint64_t was)
{
	int saved = errno;
	struct ts_thread *t = ts_caller();
	if (was && t)
		ts_http_closed(t, r, was, ts_ticks());
	ts_record_fd_alias(t, fd, state, r);
	ts_http_dup(fd, state, r, ts_fd_state(r));
	errno = saved;
}

TS_EXPORT int dup(int fd)
{
	TS_REAL(dup, -1);
	uint64_t state = ts_fd_state(fd);
	int r = real(fd);
	if (r >= 0)
		duplicated(fd, state, r, 0);
	return r;
}

TS_EXPORT int dup2(int fd, int fd2)
{
	TS_REAL(dup2, -1);
	uint64_t state = ts_fd_state(fd), was = ts_fd_state(fd2);
	int r = real(fd, fd2);
	if (r >= 0 && fd != fd2)
		duplicated(fd, state, r, was);
	return r;
}

TS_EXPORT int dup3(int fd, int fd2, int flags)
{
	TS_REAL(dup3, -1);
	uint64_t state = ts_fd_state(fd), was = ts_fd_state(fd2);
	int r = real(fd, fd2, flags);
	if (r >= 0)
		duplicated(fd, state, r, was);
	return r;
}

TS_EXPORT int pipe(int fds[2])
{
	TS_REAL(pipe, -1);
	int r = real(fds);
	if (r == 0) {
		ts_fd_made(fds[0], TS_FD_PIPE, 0);
		ts_fd_made(fds[1], TS_FD_PIPE, 0);
		if (ts_caller())   /* not the shim's, in a descriptor table of its own */
			ts_fdwake_pipe(fds[0], fds[1]);   /* a write wakes a poll of fds[0] */
	}
	return r;
}

TS_EXPORT int pipe2(int fds[2], int flags)
{
	TS_REAL(pipe2, -1);
	int r = real(fds, flags);
	if (r == 0) {
		ts_fd_made(fds[0], TS_FD_PIPE, 0);
		ts_fd_made(fds[1], TS_FD_PIPE, 0);
		if (ts_caller())   /* not the shim's, in a descriptor table of its own */
			ts_fdwake_pipe(fds[0], fds[1]);   /* a write wakes a poll of fds[0] */
	}
	return r;
}

/* fcntl's third argument is an int or a pointer; both travel in one
 * register, so it is forwarded as a pointer-sized value. */
typedef int (*fcntl_fn)(int, int, ...);

static int fcntl_common(fcntl_fn real, int fd, int cmd, void *arg)
{
	uint64_t state = ts_fd_state(fd);
	int r = real(fd, cmd, arg);
	if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		duplicated(fd, state, r, 0);
	return r;
}

TS_EXPORT int fcntl(int fd, int cmd, ...)
{
	TS_REAL(fcntl, -1);
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(real, fd, cmd, arg);
}

TS_EXPORT int fcntl64(int fd, int cmd, ...)
{
	TS_REAL_TYPED(fcntl_fn, fcntl64, -1);
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(real, fd, cmd, arg);
}

void ts_fds_closed(unsigned first, unsigned last)
{
	struct ts_thread *t = ts_caller();
	if (t) {
		int saved = errno;
		uint64_t at = ts_ticks();
		for (unsigned fd = first; fd <= last && fd < TS_FDGEN_MAX; fd++) {
			uint64_t st = ts_fd_state((int)fd);
			if (__builtin_expect(ts_http_watched(st), 0))
				ts_http_closed(t, (int)fd, st, at);
		}
		errno = saved;
	}
	ts_fd_range_changed(first, last);
}

TS_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	TS_REAL(close_range, -1);
	int r = real(first, last, flags);
	if (r == 0 && !(flags & CLOSE_RANGE_CLOEXEC))
		ts_fds_closed(first, last);
	return r;
}

TS_EXPORT void closefrom(int lowfd)
{
	TS_REAL(closefrom, );
	real(lowfd);
	ts_fds_closed(lowfd < 0 ? 0 : (unsigned)lowfd, ~0u);
}
