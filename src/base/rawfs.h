/* The shim's own file-system calls, made as system calls. The library
 * exports stat, access, readlink, unlink, rename, mkdir, ftruncate... to trace
 * the program's calls (interpose/fs.c): the shim's code that runs on the
 * program's threads (start-up, fork, exec, exceptions, a thread's end) must
 * not go through those wrappers, or its own work would be traced, and
 * recorded from inside a recording. */
#ifndef TS_RAWFS_H
#define TS_RAWFS_H

#include "rawsys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* struct stat is the kernel's on the architectures with newfstatat. */
static inline int ts_sys_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	return (int)ts_syscall(SYS_newfstatat, dirfd, path, st, flags);
}

static inline int ts_sys_stat(const char *path, struct stat *st)
{
	return ts_sys_fstatat(AT_FDCWD, path, st, 0);
}

static inline int ts_sys_lstat(const char *path, struct stat *st)
{
	return ts_sys_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

static inline int ts_sys_fstat(int fd, struct stat *st)
{
	return (int)ts_syscall(SYS_fstat, fd, st);
}

/* faccessat with flags (AT_EACCESS, AT_SYMLINK_NOFOLLOW) needs faccessat2
 * (Linux 5.8); before it, the real-uid check without them, which is the
 * same answer for a program that is not set-uid. */
static inline int ts_sys_faccessat(int dirfd, const char *path, int mode, int flags)
{
#ifdef SYS_faccessat2
	if (flags) {
		int r = (int)ts_syscall(SYS_faccessat2, dirfd, path, mode, flags);
		if (r == 0 || errno != ENOSYS)
			return r;
	}
#endif
	return (int)ts_syscall(SYS_faccessat, dirfd, path, mode);
}

static inline int ts_sys_access(const char *path, int mode)
{
	return ts_sys_faccessat(AT_FDCWD, path, mode, 0);
}

static inline ssize_t ts_sys_readlink(const char *path, char *buf, size_t cap)
{
	return (ssize_t)ts_syscall(SYS_readlinkat, AT_FDCWD, path, buf, cap);
}

static inline int ts_sys_unlink(const char *path)
{
	return (int)ts_syscall(SYS_unlinkat, AT_FDCWD, path, 0);
}

static inline int ts_sys_mkdir(const char *path, mode_t mode)
{
	return (int)ts_syscall(SYS_mkdirat, AT_FDCWD, path, mode);
}

static inline int ts_sys_rename(const char *from, const char *to)
{
#ifdef SYS_renameat
	return (int)ts_syscall(SYS_renameat, AT_FDCWD, from, AT_FDCWD, to);
#else
	return (int)ts_syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 0);
#endif
}

static inline int ts_sys_ftruncate(int fd, off_t len)
{
	return (int)ts_syscall(SYS_ftruncate, fd, len);
}

/* Reserves the file's bytes [from, to) (fallocate, mode 0): pages a shared
 * mapping of it can then be written at, whatever the file system's room
 * later. True when done. */
static inline bool ts_sys_reserve(int fd, size_t from, size_t to)
{
	long rc;
	do
		rc = ts_syscall(SYS_fallocate, fd, 0, (off_t)from, (off_t)(to - from));
	while (rc != 0 && errno == EINTR);
	return rc == 0;
}

/* A directory read without opendir(): getdents64 fills buf (n bytes) with
 * struct linux_dirent64 records (ino and off, 8 bytes each, reclen 2, type
 * 1, then the name); ts_dirent_next gives the name at *at and moves past it,
 * NULL at the end. */
static inline long ts_sys_getdents64(int fd, void *buf, size_t cap)
{
	return ts_syscall(SYS_getdents64, fd, buf, cap);
}

static inline const char *ts_dirent_next(const char *buf, long n, long *at)
{
	if (*at + 19 >= n)
		return NULL;
	unsigned short reclen;
	memcpy(&reclen, buf + *at + 16, sizeof reclen);
	const char *name = buf + *at + 19;
	*at += reclen ? reclen : n;   /* a zero length would never end */
	return name;
}

#endif
