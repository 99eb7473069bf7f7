/* What a descriptor is, as records say it: its generation (the hot path reads
 * it, records carry it, and a consumer in the process checks that a number
 * still is the descriptor a record names), a type and a transport packed in
 * one byte (a record's kind and aux_kind), and how the program's side and the
 * drain side classify one. */
#ifndef TS_FDKIND_H
#define TS_FDKIND_H

#include <stdatomic.h>
#include <stdint.h>

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

/* fd now refers to something new, of kind `kind` (0: unknown); returns the
 * new generation. Called by the wrappers of calls that make descriptors. */
enum ts_fd_type {
	TS_FD_UNKNOWN = 0, TS_FD_FILE, TS_FD_DIR, TS_FD_PIPE, TS_FD_SOCKET, TS_FD_TTY,
	TS_FD_CHR, TS_FD_BLOCK, TS_FD_OTHER, TS_FD_EVENTFD, TS_FD_EPOLL, TS_FD_TIMERFD,
	TS_FD_SIGNALFD, TS_FD_INOTIFY,
	TS_FD_TYPE_COUNT
};

static inline uint8_t ts_fd_kind(int type, int transport)
{
	return (uint8_t)(transport << 4 | type);
}

const char *ts_fd_type_name(int type);
struct stat;
/* Type from a stat() result; is_tty: a character device is a terminal (1),
 * is not (0), or unknown (-1: guessed from the device numbers). */
int ts_fd_type_of_stat(const struct stat *st, int is_tty);
/* 1 tcp, 2 udp, 3 unix (stream), 4 unix datagram or seqpacket (messages:
 * never HTTP, whose bytes the shim may add to), 0 unknown, from socket(2)
 * arguments. */
int ts_transport_of(int domain, int type);
const char *ts_transport_name(int transport);

#endif
