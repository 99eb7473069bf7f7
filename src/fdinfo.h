/* What a file descriptor refers to. The hot path only reads a generation
 * number per fd (bumped by the wrappers that create or close descriptors);
 * the drainer turns (fd, generation) into a type, a path or a peer address,
 * from the creating call's record or, failing that, by asking the kernel. */
#ifndef TS_FDINFO_H
#define TS_FDINFO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define TS_FDGEN_MAX 65536
extern _Atomic uint32_t ts_fdgen[TS_FDGEN_MAX];

static inline uint32_t ts_fd_gen(int fd)
{
	return (unsigned)fd < TS_FDGEN_MAX ?
		atomic_load_explicit(&ts_fdgen[fd], memory_order_relaxed) : 0;
}

/* Transport of sockets made by socket()/socketpair()/accept(), packed as
 * (generation << 8 | transport), so the drainer can still name it after the
 * socket is closed. */
extern _Atomic uint64_t ts_fdsock[TS_FDGEN_MAX];

static inline void ts_fd_set_transport(int fd, uint32_t gen, int transport)
{
	if ((unsigned)fd < TS_FDGEN_MAX)
		atomic_store_explicit(&ts_fdsock[fd], ((uint64_t)gen << 8) | (unsigned)transport,
				      memory_order_relaxed);
}

/* fd now refers to something new (or nothing); returns the new generation. */
static inline uint32_t ts_fd_changed(int fd)
{
	return (unsigned)fd < TS_FDGEN_MAX ?
		atomic_fetch_add_explicit(&ts_fdgen[fd], 1, memory_order_relaxed) + 1 : 0;
}

/* The descriptor the shim writes its trace to (-1: none). Wrappers of close,
 * close_range, closefrom and dup2 keep the program from closing or replacing
 * it; ts_private_fd_evict() moves it when the program wants its number. */
extern _Atomic int ts_private_fd;

static inline int ts_fd_is_private(int fd)
{
	return fd >= 0 && fd == atomic_load_explicit(&ts_private_fd, memory_order_relaxed);
}

void ts_private_fd_evict(int wanted_fd);

enum ts_fd_type {
	TS_FD_UNKNOWN = 0, TS_FD_FILE, TS_FD_DIR, TS_FD_PIPE, TS_FD_SOCKET, TS_FD_TTY,
	TS_FD_CHR, TS_FD_BLOCK, TS_FD_OTHER,
};

struct ts_fdinfo {
	uint8_t type;               /* enum ts_fd_type */
	uint8_t transport;          /* 0, or 1 tcp, 2 udp, 3 unix */
	uint8_t family;             /* AF_INET, AF_INET6, AF_UNIX or 0 */
	uint16_t port;              /* peer port */
	char path[256];             /* file path, or peer address text */
};

const char *ts_fd_type_name(int type);
/* 1 tcp, 2 udp, 3 unix, 0 unknown, from socket(2) arguments. */
int ts_transport_of(int domain, int type);
const char *ts_transport_name(int transport);

/* Drainer side (single-threaded). */
const struct ts_fdinfo *ts_fdinfo_get(int fd, uint32_t gen);
void ts_fdinfo_set_path(int fd, uint32_t gen, const char *path, int type);
void ts_fdinfo_set_peer(int fd, uint32_t gen, const struct sockaddr *sa, unsigned len);
/* Fills info from a socket address; returns false if the family is unknown. */
bool ts_sockaddr_describe(const struct sockaddr *sa, unsigned len, struct ts_fdinfo *info);
void ts_fdinfo_reset(void);

#endif
