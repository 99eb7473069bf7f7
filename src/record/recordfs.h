/* Recording the file-metadata calls (family fs, interpose/fs.c): a path or
 * two as payload, and whether a failed stat or access was a miss of a PATH
 * walk, which the drain side cannot tell: the process's PATH is known here,
 * copied at start. */
#ifndef TS_RECORDFS_H
#define TS_RECORDFS_H

#include "record.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies PATH (the shells' default when unset) for ts_path_walk_miss. At
 * start, before any call is traced. */
void ts_fs_capture_path(void);

/* Whether path (plen bytes) is <dir>/<name> with dir one of the
 * colon-separated dirs (len bytes; an empty entry is the current directory,
 * as "<name>" or "./<name>"); trailing slashes do not count. */
bool ts_path_walk_match(const char *dirs, size_t len, const char *path, size_t plen);

/* A call on path, relative to dirfd (AT_FDCWD for calls without one), with
 * result ret (errno when negative). walk: a stat or access form, which a
 * shell's PATH walk uses. TS_OP_OPENDIR: ret is the new descriptor. */
void ts_record_path(struct ts_thread *t, enum ts_op op, int dirfd, const char *path, bool walk,
		    int64_t ret, uint64_t t0, uint64_t t1);

/* rename and renameat*: the source `from` (relative to fromfd) and the
 * target `to` (relative to tofd). */
void ts_record_path2(struct ts_thread *t, enum ts_op op, int fromfd, const char *from, int tofd,
		     const char *to, int64_t ret, uint64_t t0, uint64_t t1);

/* Packs a then b (NULL: empty) into buf (cap bytes, without NULs), cut so
 * that each keeps at least half of cap when both are long; *alen: a's
 * bytes. Returns the bytes written. */
unsigned ts_fs_pack2(char *buf, unsigned cap, const char *a, const char *b, unsigned *alen);

#endif
