/* Descriptors the process had before the shim saw a call (see inherited.h).
 * They are described at start, on the program's side: programs often close
 * them before the first drain (coreutils does at exit), and they are the
 * descriptors most calls use. The description waits here until a thread
 * registers, since records need a ring, and goes into that thread's ring
 * right after its begin record. Descriptors above 2 that the process
 * inherited are described by the drain side, which asks the kernel when a
 * call first uses one; here only their kind is noted (ts_inherited_kinds),
 * so that the wrappers know an inherited socket for one (its family, the
 * HTTP sniffer). */
#include "inherited.h"

#include "passedfds.h"

#include "clock.h"
#include "fdstate.h"
#include "rawfs.h"
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#define LINK_MAX_BYTES 255

struct described {
	int fd;
	uint32_t gen;
	uint8_t kind;
	unsigned link_len, len;
	dev_t dev;
	ino_t ino;
	uint8_t payload[LINK_MAX_BYTES + sizeof(struct sockaddr_storage)];
};

static struct described stdio_fds[3];
static unsigned nstdio;
static _Atomic int pending;

/* A socket's transport (fdkind.h), from the kernel; -1 when its type cannot
 * be had. */
static int socket_transport(int fd)
{
	int domain = 0, type = 0;
	socklen_t len = sizeof domain;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0)
		domain = 0;
	len = sizeof type;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
		return -1;
	return ts_transport_of(domain, type);
}

/* A socket's transport, and its peer address after the link text. */
static int describe_socket(int fd, struct described *d)
{
	int transport = socket_transport(fd);
	if (transport < 0)
		return 0;
	struct sockaddr_storage peer;
	socklen_t plen = sizeof peer;
	if (getpeername(fd, (struct sockaddr *)&peer, &plen) == 0 && plen <= sizeof peer) {
		memcpy(d->payload + d->len, &peer, plen);
		d->len += plen;
	}
	return transport;
}

/* An earlier one of the n described that is the same terminal or file
 * (2>&1, or all three on one terminal): its text is this one's too. */
static const struct described *same_as(const struct stat *st, unsigned n)
{
	if (!S_ISREG(st->st_mode) && !S_ISCHR(st->st_mode))
		return NULL;
	for (unsigned i = 0; i < n; i++)
		if (stdio_fds[i].dev == st->st_dev && stdio_fds[i].ino == st->st_ino)
			return &stdio_fds[i];
	return NULL;
}

/* fd, described as d, is known to the wrappers too (an inetd-style
 * server's socket), once; d takes its generation. */
static bool known(int fd, struct described *d)
{
	if (!ts_fd_state_kind(ts_fd_state(fd)))
		ts_fd_made_kind(fd, d->kind);
	d->gen = ts_fd_gen(fd);
	return true;
}

static bool describe(int fd, struct described *d)
{
	struct stat st;
	if (ts_sys_fstat(fd, &st) != 0)
		return false;
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	const struct described *same = same_as(&st, nstdio);
	if (same) {
		memcpy(d->payload, same->payload, same->len);
		d->fd = fd;
		d->link_len = same->link_len;
		d->len = same->len;
		d->kind = same->kind;
		return known(fd, d);
	}
	/* What /proc would say, without asking it where the answer is known:
	 * every process of a tree describes these three at start. */
	bool null = S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
	struct termios tio;
	int tty = S_ISCHR(st.st_mode) && !null ? ioctl(fd, TCGETS, &tio) == 0 : 0;
	int type = ts_fd_type_of_stat(&st, tty);
	ssize_t n;
	if (null) {
		n = (ssize_t)strlen("/dev/null");
		memcpy(d->payload, "/dev/null", (size_t)n);
	} else if (S_ISSOCK(st.st_mode)) {
		n = snprintf((char *)d->payload, LINK_MAX_BYTES, "socket:[%llu]",
			     (unsigned long long)st.st_ino);
	} else {
		char link[32];
		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
		n = ts_sys_readlink(link, (char *)d->payload, LINK_MAX_BYTES);
	}
	d->fd = fd;
	d->link_len = d->len = n > 0 ? (unsigned)n : 0;
	int transport = type == TS_FD_SOCKET ? describe_socket(fd, d) : 0;
	d->kind = ts_fd_kind(type, transport);
	return known(fd, d);
}

/* fd's kind, from the kernel, as a descriptor just made. */
static void note_kind(int fd)
{
	struct stat st;
	if (fd < 0 || fd >= TS_FDGEN_MAX || ts_sys_fstat(fd, &st) != 0)
		return;
	int transport = S_ISSOCK(st.st_mode) ? socket_transport(fd) : 0;
	ts_fd_made_kind(fd, ts_fd_kind(ts_fd_type_of_stat(&st, -1), transport > 0 ? transport : 0));
}

static void note_received(int fd, void *arg)
{
	(void)arg;
	note_kind(fd);
}

void ts_fds_received(const struct msghdr *msg)
{
	int saved = errno;
	ts_passed_fds(msg, note_received, NULL);
	errno = saved;
}

void ts_inherited_kinds(void)
{
	int saved = errno;
	int dir = (int)ts_syscall(SYS_openat, AT_FDCWD, "/proc/self/fd",
			       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		errno = saved;
		return;
	}
	char buf[2048] __attribute__((aligned(8)));
	for (long n; (n = ts_sys_getdents64(dir, buf, sizeof buf)) > 0;) {
		long at = 0;
		for (const char *name; (name = ts_dirent_next(buf, n, &at));) {
			int fd = atoi(name);
			if (name[0] >= '0' && name[0] <= '9' && fd > 2 && fd != dir &&
			    fd < TS_FDGEN_MAX && !ts_fd_state_kind(ts_fd_state(fd)))
				note_kind(fd);
		}
	}
	ts_syscall(SYS_close, dir);
	errno = saved;
}

void ts_inherited_describe(void)
{
	int saved = errno;
	atomic_store(&pending, 0);
	nstdio = 0;
	for (int fd = 0; fd < 3; fd++)
		if (describe(fd, &stdio_fds[nstdio]))
			nstdio++;
	atomic_store(&pending, 1);
	errno = saved;
}

int ts_inherited_same_socket(int fd)
{
	for (unsigned i = 0; i < nstdio; i++) {
		const struct described *d = &stdio_fds[i];
		if (d->fd != fd)
			continue;
		if ((d->kind & 0xf) != TS_FD_SOCKET)
			return -1;
		for (unsigned j = 0; j < i; j++)
			if (stdio_fds[j].dev == d->dev && stdio_fds[j].ino == d->ino)
				return stdio_fds[j].fd;
	}
	return -1;
}

void ts_inherited_record(struct ts_thread *t)
{
	if (!atomic_exchange(&pending, 0))
		return;
	for (unsigned i = 0; i < nstdio; i++) {
		const struct described *d = &stdio_fds[i];
		struct ts_rec rec = {
			.t0 = ts_ticks(), .type = TS_REC_FD_INFO, .fd = d->fd, .fdgen = d->gen,
			.kind = d->kind, .aux2 = d->link_len,
		};
		rec.t1 = rec.t0;
		ts_record_put(t, &rec, d->payload, d->len, 1);
	}
}
