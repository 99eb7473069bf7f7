/* What a file descriptor refers to, on the drain side: records carry a
 * descriptor's number and generation (fdstate.h); the drainer turns them
 * into a type, a path or a peer address, from the creating call's record or,
 * failing that, by asking the kernel. */
#ifndef TS_FDINFO_H
#define TS_FDINFO_H

#include "fdkind.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ts_fdinfo {
	/* This description's number, never given twice in the process (0:
	 * none): what a span says of its descriptor is the same for the same
	 * number, so the exporters may keep it encoded. */
	uint64_t stamp;
	uint8_t type;               /* enum ts_fd_type */
	uint8_t transport;          /* 0, or 1 tcp, 2 udp, 3 unix */
	uint8_t family;             /* AF_INET, AF_INET6, AF_UNIX or 0 */
	uint16_t port;              /* peer port */
	char path[256];             /* file path, or peer address text */
};

/* Type of what a path names (TS_FD_UNKNOWN if it is gone), as seen at most a
 * second ago. */
int ts_type_of_path(const char *path);
/* Drainer side (single-threaded). */
/* The newest generation described of each descriptor number (fdcache.c
 * keeps it, and the older generations apart): known here so that a lookup
 * of the newest generation of a number (most of them) is inline. */
struct ts_fdinfo_entry {
	uint32_t gen;
	uint8_t valid;
	struct ts_fdinfo info;
};
extern struct ts_fdinfo_entry *ts_fdinfo_cache;
extern size_t ts_fdinfo_cache_len;
const struct ts_fdinfo *ts_fdinfo_lookup(int fd, uint32_t gen, uint8_t kind);

/* What fd (generation gen) is; kind is what its creator recorded, used when
 * the kernel can no longer say. NULL when nothing is known. Valid until the
 * next description is stored. */
static inline const struct ts_fdinfo *ts_fdinfo_get(int fd, uint32_t gen, uint8_t kind)
{
	const struct ts_fdinfo_entry *e = (size_t)fd < ts_fdinfo_cache_len ? &ts_fdinfo_cache[fd] : NULL;
	return e && e->valid && e->gen == gen ? &e->info : ts_fdinfo_lookup(fd, gen, kind);
}
void ts_fdinfo_set_path(int fd, uint32_t gen, const char *path, int type);
void ts_fdinfo_set_peer(int fd, uint32_t gen, uint8_t kind, const struct sockaddr *sa,
			unsigned len);
/* Fills info from a socket address; returns false if the family is unknown. */
bool ts_sockaddr_describe(const struct sockaddr *sa, unsigned len, struct ts_fdinfo *info);
/* A TS_REC_FD_INFO record: fd (generation gen) is of kind `kind`; payload:
 * its /proc link text (link_len bytes), then a socket's peer address. */
void ts_fdinfo_described(int fd, uint32_t gen, uint8_t kind, const uint8_t *payload,
			 unsigned len, unsigned link_len);
/* newfd (generation newgen) is a duplicate of oldfd (generation oldgen). */
void ts_fdinfo_alias(int oldfd, uint32_t oldgen, uint8_t kind, int newfd, uint32_t newgen);
void ts_fdinfo_reset(void);
/* Child after fork: forgets the cache without touching the parent's memory. */
void ts_fdinfo_after_fork(void);

#endif
