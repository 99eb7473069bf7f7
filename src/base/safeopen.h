/* Opening a file to write output into (the trace, the summary, `traceshim
 * run`'s truncation) without being turned against the user: a symbolic link
 * at the last path component is never followed, and a regular file or FIFO
 * someone else owns is never written to. */
#ifndef TS_SAFEOPEN_H
#define TS_SAFEOPEN_H

#include <stddef.h>
#include <sys/types.h>

/* What may be found at the path besides a regular file. */
enum { TS_OPEN_FIFO = 1, TS_OPEN_CHR = 2 };

/* openat(AT_FDCWD, path, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode),
 * then the checks on what was opened. flags must not hold O_TRUNC: truncate
 * with ftruncate() once this has returned. Returns the descriptor, or -1
 * with errno set and `why` holding the reason in words. */
int ts_open_output(const char *path, int flags, mode_t mode, unsigned also, char *why,
		   size_t cap);

#endif
