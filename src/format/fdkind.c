/* Descriptor kinds (see fdkind.h). */
#include "fdkind.h"

#include "large.h"

#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

TS_LARGE _Atomic uint64_t ts_fdstate[TS_FDGEN_MAX];

const char *ts_fd_type_name(int type)
{
	static const char *const names[] = {
		[TS_FD_UNKNOWN] = "unknown", [TS_FD_FILE] = "file", [TS_FD_DIR] = "dir",
		[TS_FD_PIPE] = "pipe", [TS_FD_SOCKET] = "socket", [TS_FD_TTY] = "tty",
		[TS_FD_CHR] = "chr", [TS_FD_BLOCK] = "block", [TS_FD_OTHER] = "other",
		[TS_FD_EVENTFD] = "eventfd", [TS_FD_EPOLL] = "epoll", [TS_FD_TIMERFD] = "timerfd",
		[TS_FD_SIGNALFD] = "signalfd", [TS_FD_INOTIFY] = "inotify",
	};
	return (unsigned)type < TS_FD_TYPE_COUNT ? names[type] : "unknown";
}

int ts_transport_of(int domain, int type)
{
	type &= 0xf;   /* without SOCK_NONBLOCK / SOCK_CLOEXEC */
	if (domain == AF_UNIX)
		return type == SOCK_STREAM ? 3 : 4;
	return type == SOCK_STREAM ? 1 : type == SOCK_DGRAM ? 2 : 0;
}

const char *ts_transport_name(int transport)
{
	static const char *const names[] = {NULL, "tcp", "udp", "unix", "unix"};
	return (unsigned)transport <= 4 ? names[transport] : NULL;
}

/* Descriptor type from a stat() result; is_tty says a character device is
 * a terminal (known for an open fd; guessed from the device numbers of
 * terminals when only a path is left). */
int ts_fd_type_of_stat(const struct stat *st, int is_tty)
{
	switch (st->st_mode & S_IFMT) {
	case S_IFREG: return TS_FD_FILE;
	case S_IFDIR: return TS_FD_DIR;
	case S_IFIFO: return TS_FD_PIPE;
	case S_IFSOCK: return TS_FD_SOCKET;
	case S_IFBLK: return TS_FD_BLOCK;
	case S_IFCHR:
		if (is_tty < 0) {
			unsigned maj = major(st->st_rdev);
			is_tty = maj == 4 || maj == 5 || (maj >= 136 && maj <= 143);
		}
		return is_tty ? TS_FD_TTY : TS_FD_CHR;
	default: return TS_FD_OTHER;
	}
}
