/* The families of calls TRACESHIM_TRACE chooses from, and the set a process
 * traces. The wrappers of a family that is off call straight through: one
 * load of ts_families_off, and the descriptor's kind for I/O calls (an I/O
 * call on a socket counts as net whatever its own family). */
#ifndef TS_FAMILY_H
#define TS_FAMILY_H

#include <stdbool.h>
#include <stddef.h>

enum ts_family {
	TS_FAM_IO,       /* read, write and friends on files, pipes, terminals */
	TS_FAM_NET,      /* sockets: connect, accept, send, recv, and any I/O on a socket */
	TS_FAM_FILE,     /* open, close, fsync */
	TS_FAM_FS,       /* file metadata: stat, access, unlink, rename, mkdir... */
	TS_FAM_STDIO,    /* fopen, fgets, printf... */
	TS_FAM_PROC,     /* fork, exec, spawn */
	TS_FAM_THREAD,   /* pthread_create */
	TS_FAM_SQLITE,   /* SQLite statements */
	TS_FAM_HTTP,     /* HTTP/1 spans and traceparent, on sockets and over TLS */
	TS_FAM_API,      /* the program's own spans (traceshim.h) */
	TS_FAM_WAIT,     /* blocking waits: locks, condition variables, polls, sleeps */
	TS_FAM_COUNT
};

#define TS_FAM_BIT(f) (1u << (f))
#define TS_FAM_ALL (TS_FAM_BIT(TS_FAM_COUNT) - 1)
/* Always traced: the spans that hold a trace's tree together (a child
 * process's or thread's parent, the program's own spans around calls). */
#define TS_FAM_KEPT (TS_FAM_BIT(TS_FAM_PROC) | TS_FAM_BIT(TS_FAM_THREAD) | TS_FAM_BIT(TS_FAM_API))

/* The families not traced (0: every one, the default). Set once by
 * ts_config_load(), before any wrapper records; read by every wrapper. */
extern unsigned ts_families_off;

static inline bool ts_family_off(unsigned fam)
{
	return __builtin_expect(ts_families_off != 0, 0) && (ts_families_off & TS_FAM_BIT(fam));
}

/* "io", "net"...; NULL past the last. */
const char *ts_family_name(unsigned fam);

/* A TRACESHIM_TRACE value: words separated by commas, each a family, "all",
 * or "-family" to take one out. A list that begins with a removal starts from
 * every family, any other from none; the kept families are always added.
 * Returns the set traced, or false with the first word not understood in
 * *bad (its length in *bad_len). */
bool ts_families_parse(const char *s, unsigned *set, const char **bad, size_t *bad_len);

#endif
