/* What a file descriptor refers to. The hot path only reads a generation
 * number per fd (bumped by the wrappers that create or close descriptors);
 * the drainer turns (fd, generation) into a type, a path or a peer address,
 * from the creating call's record or, failing that, by asking the kernel. */
#ifndef TS_FDINFO_H
#define TS_FDINFO_H

#include "vforkstate.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define TS_FDGEN_MAX 65536

/* Per descriptor number: a generation (low 32 bits), bumped whenever the
 * number starts to refer to something new, and what the creating call said
 * the descriptor is (bits 32-39: transport << 4 | type, 0 when unknown). One
 * load gives both to the hot path, and records carry both, so the drainer
 * can describe a descriptor the program has closed and reused since. */
extern _Atomic uint64_t ts_fdstate[TS_FDGEN_MAX];

static inline uint64_t ts_fd_state(int fd)
{
	return (unsigned)fd < TS_FDGEN_MAX ?
		atomic_load_explicit(&ts_fdstate[fd], memory_order_relaxed) : 0;
}

static inline uint32_t ts_fd_gen(int fd)
{
	return (uint32_t)ts_fd_state(fd);
}

static inline uint8_t ts_fd_state_kind(uint64_t state)
{
	return (uint8_t)(state >> 32);
}

static inline uint8_t ts_fd_kind(int type, int transport)
{
	return (uint8_t)(transport << 4 | type);
}

/* fd now refers to something new, of kind `kind` (0: unknown); returns the
 * new generation. Called by the wrappers of calls that make descriptors. */
static inline uint32_t ts_fd_made_kind(int fd, uint8_t kind)
{
	if ((unsigned)fd >= TS_FDGEN_MAX)
		return 0;
	if (ts_vfork_child())   /* its descriptors are not the parent's */
		return (uint32_t)ts_fd_state(fd);
	uint64_t old = atomic_load_explicit(&ts_fdstate[fd], memory_order_relaxed), next;
	do {
		next = ((uint64_t)kind << 32) | (uint32_t)(old + 1);
	} while (!atomic_compare_exchange_weak_explicit(&ts_fdstate[fd], &old, next,
							memory_order_relaxed, memory_order_relaxed));
	return (uint32_t)next;
}

static inline uint32_t ts_fd_changed(int fd)
{
	return ts_fd_made_kind(fd, 0);
}

static inline uint32_t ts_fd_made(int fd, int type, int transport)
{
	return ts_fd_made_kind(fd, ts_fd_kind(type, transport));
}

enum ts_fd_type {
	TS_FD_UNKNOWN = 0, TS_FD_FILE, TS_FD_DIR, TS_FD_PIPE, TS_FD_SOCKET, TS_FD_TTY,
	TS_FD_CHR, TS_FD_BLOCK, TS_FD_OTHER, TS_FD_EVENTFD, TS_FD_EPOLL, TS_FD_TIMERFD,
	TS_FD_SIGNALFD, TS_FD_INOTIFY,
	TS_FD_TYPE_COUNT
};

struct ts_fdinfo {
	uint8_t type;               /* enum ts_fd_type */
	uint8_t transport;          /* 0, or 1 tcp, 2 udp, 3 unix */
	uint8_t family;             /* AF_INET, AF_INET6, AF_UNIX or 0 */
	uint16_t port;              /* peer port */
	char path[256];             /* file path, or peer address text */
};

const char *ts_fd_type_name(int type);
struct stat;
/* Type from a stat() result; is_tty: a character device is a terminal (1),
 * is not (0), or unknown (-1: guessed from the device numbers). */
int ts_fd_type_of_stat(const struct stat *st, int is_tty);
/* Type of what a path names now (TS_FD_UNKNOWN if it is gone). */
int ts_type_of_path(const char *path);
/* 1 tcp, 2 udp, 3 unix, 0 unknown, from socket(2) arguments. */
int ts_transport_of(int domain, int type);
const char *ts_transport_name(int transport);

/* Drainer side (single-threaded). */
/* What fd (generation gen) is; kind is what its creator recorded, used when
 * the kernel can no longer say. NULL when nothing is known. */
const struct ts_fdinfo *ts_fdinfo_get(int fd, uint32_t gen, uint8_t kind);
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
