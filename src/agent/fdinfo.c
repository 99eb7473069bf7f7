/* Descriptor metadata for the drainer: a cache indexed by fd, valid for one
 * generation, filled from open/connect/accept records or by fstat() and
 * friends when the descriptor was made by a call the shim did not see
 * (reached from the drainer's own descriptor table through fdtable.h). */
#include "fdinfo.h"

#include "clock.h"
#include "fdtable.h"
#include "procinfo.h"
#include "strhash.h"

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

struct ts_fdinfo_entry *ts_fdinfo_cache;
size_t ts_fdinfo_cache_len;
static uint64_t stamps;   /* the last description's number (fdinfo.h) */

/* e now describes generation gen: a description of its own. */
static void set_described(struct ts_fdinfo_entry *e, uint32_t gen)
{
	e->gen = gen;
	e->valid = 1;
	e->info.stamp = ++stamps;
}

static struct ts_fdinfo_entry *slot(int fd)
{
	if (fd < 0 || fd >= TS_FDGEN_MAX)
		return NULL;
	if ((size_t)fd >= ts_fdinfo_cache_len) {
		size_t n = ts_fdinfo_cache_len ? ts_fdinfo_cache_len : 64;
		while (n <= (size_t)fd)
			n *= 2;
		struct ts_fdinfo_entry *grown = realloc(ts_fdinfo_cache, n * sizeof *ts_fdinfo_cache);
		if (!grown)
			return NULL;
		memset(grown + ts_fdinfo_cache_len, 0, (n - ts_fdinfo_cache_len) * sizeof *ts_fdinfo_cache);
		ts_fdinfo_cache = grown;
		ts_fdinfo_cache_len = n;
	}
	return &ts_fdinfo_cache[fd];
}

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
	int type = stat(path, &st) == 0 ? ts_fd_type_of_stat(&st, -1) : TS_FD_UNKNOWN;
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
	if (local >= 0 ? fstat(local, &st) != 0 : stat(link, &st) != 0)
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
	ssize_t n = readlink(link, target, sizeof target - 1);
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

/* The entry describes a newer generation than gen: records of a thread are
 * read in order, but one thread's ring may be read after another's that
 * saw the descriptor number reused. An older generation never replaces it. */
static bool newer(const struct ts_fdinfo_entry *e, uint32_t gen)
{
	return e->valid && (int32_t)(e->gen - gen) > 0;
}

const struct ts_fdinfo *ts_fdinfo_lookup(int fd, uint32_t gen, uint8_t kind)
{
	struct ts_fdinfo_entry *e = slot(fd);
	if (!e)
		return NULL;
	if (e->valid && e->gen == gen)
		return &e->info;
	if (newer(e, gen)) {
		/* An older generation: the old one is what its creator said. */
		static struct ts_fdinfo old;
		if (!kind)
			return NULL;
		memset(&old, 0, sizeof old);
		old.type = (uint8_t)(kind & 15);
		old.transport = (uint8_t)(kind >> 4);
		return &old;
	}
	memset(&e->info, 0, sizeof e->info);
	/* Only ask the kernel if fd still is the descriptor the call used. */
	if (ts_fd_gen(fd) == gen)
		classify(fd, &e->info);
	if (e->info.type == TS_FD_UNKNOWN) {
		/* Closed or replaced since: what its creator said is all there is. */
		if (!kind)
			return NULL;
		e->info.type = (uint8_t)(kind & 15);
		e->info.transport = (uint8_t)(kind >> 4);
	}
	set_described(e, gen);
	return &e->info;
}

void ts_fdinfo_set_path(int fd, uint32_t gen, const char *path, int type)
{
	struct ts_fdinfo_entry *e = slot(fd);
	if (!e || newer(e, gen))
		return;
	/* Every open of a file comes here: no printf, no clearing of the whole
	 * path buffer (what follows its NUL is never read). */
	size_t n = strnlen(path, sizeof e->info.path - 1);
	e->info.type = (uint8_t)type;
	e->info.transport = e->info.family = 0;
	e->info.port = 0;
	memcpy(e->info.path, path, n);
	e->info.path[n] = 0;
	set_described(e, gen);
}

void ts_fdinfo_set_peer(int fd, uint32_t gen, uint8_t kind, const struct sockaddr *sa,
			unsigned len)
{
	struct ts_fdinfo_entry *e = slot(fd);
	struct ts_fdinfo info = {.type = TS_FD_SOCKET};
	if (!e || newer(e, gen) || !ts_sockaddr_describe(sa, len, &info))
		return;
	if (info.transport == 0)
		info.transport = (uint8_t)(kind >> 4);
	if (info.transport == 0) {
		/* Not made by a traced socket(): ask the socket itself. */
		if (ts_fd_gen(fd) == gen) {
			int type = 0, local = ts_fd_borrow(fd);
			socklen_t tl = sizeof type;
			if (local >= 0 && getsockopt(local, SOL_SOCKET, SO_TYPE, &type, &tl) == 0)
				info.transport = type == SOCK_STREAM ? 1 : type == SOCK_DGRAM ? 2 : 0;
			ts_fd_give_back(local);
		} else if (e->valid && e->gen == gen) {
			info.transport = e->info.transport;
		}
	}
	e->info = info;
	set_described(e, gen);
}

void ts_fdinfo_described(int fd, uint32_t gen, uint8_t kind, const uint8_t *payload,
			 unsigned len, unsigned link_len)
{
	struct ts_fdinfo_entry *e = slot(fd);
	if (!e || newer(e, gen))
		return;
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
	e->info = info;
	set_described(e, gen);
}

void ts_fdinfo_alias(int oldfd, uint32_t oldgen, uint8_t kind, int newfd, uint32_t newgen)
{
	const struct ts_fdinfo *src = ts_fdinfo_get(oldfd, oldgen, kind);
	if (!src)
		return;
	struct ts_fdinfo info = *src;   /* slot() may move the cache src points into */
	struct ts_fdinfo_entry *e = slot(newfd);
	if (!e || newer(e, newgen))
		return;
	e->info = info;
	set_described(e, newgen);
}

void ts_fdinfo_after_fork(void)
{
	/* The parent's drainer may have been inside realloc(): drop, never free. */
	ts_fdinfo_cache = NULL;
	ts_fdinfo_cache_len = 0;
	memset(path_types, 0, sizeof path_types);
}

void ts_fdinfo_reset(void)
{
	free(ts_fdinfo_cache);
	ts_fdinfo_cache = NULL;
	ts_fdinfo_cache_len = 0;
	/* The next process served has a working directory of its own. */
	memset(path_types, 0, sizeof path_types);
}
