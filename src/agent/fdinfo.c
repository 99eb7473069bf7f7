/* Descriptor metadata for the drainer: what each generation of a descriptor
 * number is (kept in fdcache.h), from open/connect/accept records or by
 * fstat() and friends when the descriptor was made by a call the shim did
 * not see (reached from the drainer's own descriptor table through
 * fdtable.h). */
#include "fdinfo.h"

#include "clock.h"
#include "fdcache.h"
#include "fdtable.h"
#include "procinfo.h"
#include "strhash.h"
#include "rawfs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* What inet_ntop() writes for an IPv4 address ("a.b.c.d", no leading
 * zeros), without its printf: a server's every request describes one. */
static void ipv4_text(const uint8_t a[4], char *out)
{
	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];
		if (v >= 100)
			*out++ = (char)('0' + v / 100);
		if (v >= 10)
			*out++ = (char)('0' + v / 10 % 10);
		*out++ = (char)('0' + v % 10);
		*out++ = i < 3 ? '.' : 0;
	}
}

bool ts_sockaddr_describe(const struct sockaddr *sa, unsigned len, struct ts_fdinfo *info)
{
	if (!sa || len < sizeof(sa_family_t))
		return false;
	info->family = (uint8_t)sa->sa_family;
	switch (sa->sa_family) {
	case AF_INET: {
		if (len < sizeof(struct sockaddr_in))
			return false;
		const struct sockaddr_in *in = (const void *)sa;
		ipv4_text((const uint8_t *)&in->sin_addr, info->path);
		info->port = ntohs(in->sin_port);
		return true;
	}
	case AF_INET6: {
		if (len < sizeof(struct sockaddr_in6))
			return false;
		const struct sockaddr_in6 *in6 = (const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, info->path, sizeof info->path);
		info->port = ntohs(in6->sin6_port);
		return true;
	}
	case AF_UNIX: {
		const struct sockaddr_un *un = (const void *)sa;
		size_t max = len > offsetof(struct sockaddr_un, sun_path) ?
			len - offsetof(struct sockaddr_un, sun_path) : 0;
		if (max > sizeof un->sun_path)
			max = sizeof un->sun_path;
		if (max && un->sun_path[0] == 0) {   /* abstract socket */
			info->path[0] = '@';
			size_t n = max - 1 < sizeof info->path - 2 ? max - 1 : sizeof info->path - 2;
			memcpy(info->path + 1, un->sun_path + 1, n);
			info->path[n + 1] = 0;
		} else {
			size_t n = strnlen(un->sun_path, max);
			if (n >= sizeof info->path)
				n = sizeof info->path - 1;
			memcpy(info->path, un->sun_path, n);
			info->path[n] = 0;
		}
		info->port = 0;
		info->transport = 3;
		return true;
	}
	default:
		return false;
	}
}

static void classify_socket(int fd, struct ts_fdinfo *info)
{
	int type = 0;
	socklen_t len = sizeof type;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
		ts_sockaddr_describe((struct sockaddr *)&ss, sl, info);
	else {
		sl = sizeof ss;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
			info->family = (uint8_t)ss.ss_family;
		info->path[0] = 0;
	}
	if (info->family == AF_UNIX)
		info->transport = 3;
	else if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0)
		info->transport = type == SOCK_STREAM ? 1 : type == SOCK_DGRAM ? 2 : 0;
}

/* What a path names, remembered for a second: a server opens the same files
 * over and over (nginx: once a request), and a stat a span costs the drainer
 * more than the rest of the span. Keyed by a 64-bit hash of the path. */
#define PATH_TYPES 256
#define PATH_TYPE_TTL_MS 1000
static struct path_type {
	uint64_t hash;
	uint64_t at_ms;   /* when it was looked up; 0: empty */
	int type;
} path_types[PATH_TYPES];

int ts_type_of_path(const char *path)
{
	/* Eight bytes a step: FNV-1a's byte at a time over a server's long
	 * paths was most of the lookup. */
	uint64_t h = ts_strhash(path, strlen(path)), now = ts_clock_coarse_ms() + 1;
	struct path_type *e = &path_types[h % PATH_TYPES];
	if (e->at_ms && e->hash == h && now - e->at_ms < PATH_TYPE_TTL_MS)
		return e->type;
	struct stat st;
	int type = ts_sys_stat(path, &st) == 0 ? ts_fd_type_of_stat(&st, -1) : TS_FD_UNKNOWN;
	*e = (struct path_type){h, now, type};
	return type;
}


/* What a descriptor's /proc link text adds to its type: which anonymous
 * inode (eventfd, epoll and friends) it is, or the path of a file,
 * directory or device. */
static void apply_link(struct ts_fdinfo *info, const char *target)
{
	if (info->type == TS_FD_OTHER || info->type == TS_FD_FILE) {
		static const struct { const char *link; int type; } anon[] = {
			{"anon_inode:[eventfd]", TS_FD_EVENTFD}, {"anon_inode:[eventpoll]", TS_FD_EPOLL},
			{"anon_inode:[timerfd]", TS_FD_TIMERFD}, {"anon_inode:[signalfd]", TS_FD_SIGNALFD},
			{"anon_inode:inotify", TS_FD_INOTIFY},
		};
		for (size_t i = 0; i < sizeof anon / sizeof *anon; i++)
			if (!strcmp(target, anon[i].link)) {
				info->type = (uint8_t)anon[i].type;
				return;
			}
	}
	if (info->type == TS_FD_FILE || info->type == TS_FD_DIR || info->type == TS_FD_CHR ||
	    info->type == TS_FD_TTY || info->type == TS_FD_BLOCK)
		snprintf(info->path, sizeof info->path, "%s", target);
}

/* Describes the program's fd: local is a descriptor for it on this thread
 * (-1: none, then only what its /proc link says), link its /proc link. */
static void describe(int local, const char *link, struct ts_fdinfo *info)
{
	struct stat st;
	if (local >= 0 ? ts_sys_fstat(local, &st) != 0 : ts_sys_stat(link, &st) != 0)
		return;
	struct termios tio;
	int tty = !S_ISCHR(st.st_mode) ? 0 : local >= 0 ? ioctl(local, TCGETS, &tio) == 0 : -1;
	info->type = (uint8_t)ts_fd_type_of_stat(&st, tty);
	if (info->type == TS_FD_SOCKET) {
		if (local >= 0)
			classify_socket(local, info);
		return;
	}
	char target[sizeof info->path];
	ssize_t n = ts_sys_readlink(link, target, sizeof target - 1);
	target[n > 0 ? n : 0] = 0;
	apply_link(info, target);
}

/* Asks the kernel what the program's fd is now. */
static void classify(int fd, struct ts_fdinfo *info)
{
	memset(info, 0, sizeof *info);
	char link[48];
	/* The traced process's table, also from a consumer in another process. */
	snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)ts_proc_pid(), fd);
	int local = ts_fd_borrow(fd);
	describe(local, link, info);
	ts_fd_give_back(local);
}

/* What the kernel says fd is, if fd still is generation gen (info left
 * empty otherwise): checked again once asked, since the program may have
 * closed it and opened something else under the number meanwhile (close
 * moves the generation on before the descriptor goes), and that would be
 * another generation's description. */
static void classify_gen(int fd, uint32_t gen, struct ts_fdinfo *info)
{
	memset(info, 0, sizeof *info);
	if (ts_fd_gen(fd) != gen)
		return;
	classify(fd, info);
	if (ts_fd_gen(fd) != gen)
		memset(info, 0, sizeof *info);
}

const struct ts_fdinfo *ts_fdinfo_lookup(int fd, uint32_t gen, uint8_t kind)
{
	if (fd < 0 || fd >= TS_FDGEN_MAX)
		return NULL;
	const struct ts_fdinfo *known = ts_fdcache_find(fd, gen);
	if (known)
		return known;
	/* Never described. Once a newer generation has been seen the number
	 * is something else: only the records can say what gen was. */
	struct ts_fdinfo info = {0};
	if (!ts_fdcache_newer_seen(fd, gen))
		classify_gen(fd, gen, &info);
	if (info.type == TS_FD_UNKNOWN) {
		/* Closed or replaced since: what its creator said is all there is. */
		if (!kind)
			return NULL;
		info.type = (uint8_t)(kind & 15);
		info.transport = (uint8_t)(kind >> 4);
	}
	const struct ts_fdinfo *stored = ts_fdcache_store(fd, gen, &info);
	if (stored)
		return stored;
	static struct ts_fdinfo unstored;   /* out of memory: for this one use */
	unstored = info;
	return &unstored;
}

void ts_fdinfo_set_path(int fd, uint32_t gen, const char *path, int type)
{
	/* Every open of a file comes here: no printf. */
	struct ts_fdinfo info = {.type = (uint8_t)type};
	size_t n = strnlen(path, sizeof info.path - 1);
	memcpy(info.path, path, n);
	info.path[n] = 0;
	(void)ts_fdcache_store(fd, gen, &info);
}

void ts_fdinfo_set_peer(int fd, uint32_t gen, uint8_t kind, const struct sockaddr *sa,
			unsigned len)
{
	struct ts_fdinfo info = {.type = TS_FD_SOCKET};
	if (fd < 0 || fd >= TS_FDGEN_MAX || !ts_sockaddr_describe(sa, len, &info))
		return;
	if (info.transport == 0)
		info.transport = (uint8_t)(kind >> 4);
	if (info.transport == 0) {
		/* Not made by a traced socket(): what was found before, or the
		 * socket itself while it still is this generation. */
		const struct ts_fdinfo *known = ts_fdcache_find(fd, gen);
		if (known) {
			info.transport = known->transport;
		} else if (ts_fd_gen(fd) == gen) {
			int type = 0, local = ts_fd_borrow(fd);
			socklen_t tl = sizeof type;
			if (local >= 0 && getsockopt(local, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 &&
			    ts_fd_gen(fd) == gen)
				info.transport = type == SOCK_STREAM ? 1 : type == SOCK_DGRAM ? 2 : 0;
			ts_fd_give_back(local);
		}
	}
	(void)ts_fdcache_store(fd, gen, &info);
}

void ts_fdinfo_described(int fd, uint32_t gen, uint8_t kind, const uint8_t *payload,
			 unsigned len, unsigned link_len)
{
	if (link_len > len)
		link_len = len;
	struct ts_fdinfo info = {.type = (uint8_t)(kind & 15), .transport = (uint8_t)(kind >> 4)};
	char target[sizeof info.path];
	size_t n = link_len < sizeof target - 1 ? link_len : sizeof target - 1;
	memcpy(target, payload, n);
	target[n] = 0;
	if (info.type == TS_FD_SOCKET) {
		struct sockaddr_storage peer;
		unsigned plen = len - link_len < sizeof peer ? len - link_len : sizeof peer;
		memcpy(&peer, payload + link_len, plen);   /* the payload is not aligned */
		if (plen)
			(void)ts_sockaddr_describe((const struct sockaddr *)&peer, plen, &info);
		if (!info.transport)
			info.transport = (uint8_t)(kind >> 4);
	} else {
		apply_link(&info, target);
	}
	(void)ts_fdcache_store(fd, gen, &info);
}

void ts_fdinfo_alias(int oldfd, uint32_t oldgen, uint8_t kind, int newfd, uint32_t newgen)
{
	const struct ts_fdinfo *src = ts_fdinfo_get(oldfd, oldgen, kind);
	if (src)
		(void)ts_fdcache_store(newfd, newgen, src);   /* it copies src first */
}

void ts_fdinfo_after_fork(void)
{
	ts_fdcache_after_fork();
	memset(path_types, 0, sizeof path_types);
}

void ts_fdinfo_reset(void)
{
	ts_fdcache_reset();
	/* The next process served has a working directory of its own. */
	memset(path_types, 0, sizeof path_types);
}
