/* File metadata (family fs): the stat forms, access, readlink, unlink,
 * rename, mkdir, rmdir, chdir, truncate, opendir and getdents64. Each is a
 * span named by the call's base name (stat64 and __xstat are "stat", as
 * open64 is "open") with the path as payload (recordfs.h); the calls on a
 * descriptor are recorded as descriptor calls, getdents64 as a read. The
 * __xstat forms are what programs built against glibc < 2.33 call. */
#include "recordfs.h"
#include "wrap.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* Declared by glibc's headers before 2.33 only. */
extern int __xstat(int ver, const char *path, struct stat *buf);
extern int __xstat64(int ver, const char *path, struct stat64 *buf);
extern int __lxstat(int ver, const char *path, struct stat *buf);
extern int __lxstat64(int ver, const char *path, struct stat64 *buf);
extern int __fxstat(int ver, int fd, struct stat *buf);
extern int __fxstat64(int ver, int fd, struct stat64 *buf);
extern int __fxstatat(int ver, int dirfd, const char *path, struct stat *buf, int flags);
extern int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *buf, int flags);

/* A call on a path; walk: a stat or access form, as a PATH walk makes. */
#define PATH_BODY(op, dirfd, path, walk, call) \
	TS_TRACED_OP(op, -1, call, ts_record_path(t_, op, dirfd, path, walk, (int64_t)r_, t0_, t1_))

#define PATH2_BODY(op, fromfd, from, tofd, to, call) \
	TS_TRACED_OP(op, -1, call, ts_record_path2(t_, op, fromfd, from, tofd, to, (int64_t)r_, t0_, t1_))

#define FD_BODY(op, fd, call) TS_IO_BODY(op, fd, 0, call)

TS_EXPORT int stat(const char *path, struct stat *buf)
{
	TS_REAL(stat, -1);
	PATH_BODY(TS_OP_STAT, AT_FDCWD, path, true, real(path, buf));
}

TS_EXPORT int stat64(const char *path, struct stat64 *buf)
{
	TS_REAL(stat64, -1);
	PATH_BODY(TS_OP_STAT, AT_FDCWD, path, true, real(path, buf));
}

TS_EXPORT int lstat(const char *path, struct stat *buf)
{
	TS_REAL(lstat, -1);
	PATH_BODY(TS_OP_LSTAT, AT_FDCWD, path, true, real(path, buf));
}

TS_EXPORT int lstat64(const char *path, struct stat64 *buf)
{
	TS_REAL(lstat64, -1);
	PATH_BODY(TS_OP_LSTAT, AT_FDCWD, path, true, real(path, buf));
}

TS_EXPORT int fstat(int fd, struct stat *buf)
{
	TS_REAL(fstat, -1);
	FD_BODY(TS_OP_FSTAT, fd, real(fd, buf));
}

TS_EXPORT int fstat64(int fd, struct stat64 *buf)
{
	TS_REAL(fstat64, -1);
	FD_BODY(TS_OP_FSTAT, fd, real(fd, buf));
}

TS_EXPORT int fstatat(int dirfd, const char *path, struct stat *buf, int flags)
{
	TS_REAL(fstatat, -1);
	PATH_BODY(TS_OP_FSTATAT, dirfd, path, true, real(dirfd, path, buf, flags));
}

TS_EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *buf, int flags)
{
	TS_REAL(fstatat64, -1);
	PATH_BODY(TS_OP_FSTATAT, dirfd, path, true, real(dirfd, path, buf, flags));
}

TS_EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf)
{
	TS_REAL(statx, -1);
	PATH_BODY(TS_OP_STATX, dirfd, path, true, real(dirfd, path, flags, mask, buf));
}

TS_EXPORT int __xstat(int ver, const char *path, struct stat *buf)
{
	TS_REAL(__xstat, -1);
	PATH_BODY(TS_OP_STAT, AT_FDCWD, path, true, real(ver, path, buf));
}

TS_EXPORT int __xstat64(int ver, const char *path, struct stat64 *buf)
{
	TS_REAL(__xstat64, -1);
	PATH_BODY(TS_OP_STAT, AT_FDCWD, path, true, real(ver, path, buf));
}

TS_EXPORT int __lxstat(int ver, const char *path, struct stat *buf)
{
	TS_REAL(__lxstat, -1);
	PATH_BODY(TS_OP_LSTAT, AT_FDCWD, path, true, real(ver, path, buf));
}

TS_EXPORT int __lxstat64(int ver, const char *path, struct stat64 *buf)
{
	TS_REAL(__lxstat64, -1);
	PATH_BODY(TS_OP_LSTAT, AT_FDCWD, path, true, real(ver, path, buf));
}

TS_EXPORT int __fxstat(int ver, int fd, struct stat *buf)
{
	TS_REAL(__fxstat, -1);
	FD_BODY(TS_OP_FSTAT, fd, real(ver, fd, buf));
}

TS_EXPORT int __fxstat64(int ver, int fd, struct stat64 *buf)
{
	TS_REAL(__fxstat64, -1);
	FD_BODY(TS_OP_FSTAT, fd, real(ver, fd, buf));
}

TS_EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *buf, int flags)
{
	TS_REAL(__fxstatat, -1);
	PATH_BODY(TS_OP_FSTATAT, dirfd, path, true, real(ver, dirfd, path, buf, flags));
}

TS_EXPORT int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *buf, int flags)
{
	TS_REAL(__fxstatat64, -1);
	PATH_BODY(TS_OP_FSTATAT, dirfd, path, true, real(ver, dirfd, path, buf, flags));
}

TS_EXPORT int access(const char *path, int mode)
{
	TS_REAL(access, -1);
	PATH_BODY(TS_OP_ACCESS, AT_FDCWD, path, true, real(path, mode));
}

TS_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	TS_REAL(faccessat, -1);
	PATH_BODY(TS_OP_FACCESSAT, dirfd, path, true, real(dirfd, path, mode, flags));
}

TS_EXPORT ssize_t readlink(const char *path, char *buf, size_t len)
{
	TS_REAL(readlink, -1);
	PATH_BODY(TS_OP_READLINK, AT_FDCWD, path, false, real(path, buf, len));
}

TS_EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	TS_REAL(readlinkat, -1);
	PATH_BODY(TS_OP_READLINKAT, dirfd, path, false, real(dirfd, path, buf, len));
}

TS_EXPORT int unlink(const char *path)
{
	TS_REAL(unlink, -1);
	PATH_BODY(TS_OP_UNLINK, AT_FDCWD, path, false, real(path));
}

TS_EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
	TS_REAL(unlinkat, -1);
	PATH_BODY(TS_OP_UNLINKAT, dirfd, path, false, real(dirfd, path, flags));
}

TS_EXPORT int rename(const char *from, const char *to)
{
	TS_REAL(rename, -1);
	PATH2_BODY(TS_OP_RENAME, AT_FDCWD, from, AT_FDCWD, to, real(from, to));
}

TS_EXPORT int renameat(int fromfd, const char *from, int tofd, const char *to)
{
	TS_REAL(renameat, -1);
	PATH2_BODY(TS_OP_RENAMEAT, fromfd, from, tofd, to, real(fromfd, from, tofd, to));
}

TS_EXPORT int renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned int flags)
{
	TS_REAL(renameat2, -1);
	PATH2_BODY(TS_OP_RENAMEAT2, fromfd, from, tofd, to, real(fromfd, from, tofd, to, flags));
}

TS_EXPORT int mkdir(const char *path, mode_t mode)
{
	TS_REAL(mkdir, -1);
	PATH_BODY(TS_OP_MKDIR, AT_FDCWD, path, false, real(path, mode));
}

TS_EXPORT int mkdirat(int dirfd, const char *path, mode_t mode)
{
	TS_REAL(mkdirat, -1);
	PATH_BODY(TS_OP_MKDIRAT, dirfd, path, false, real(dirfd, path, mode));
}

TS_EXPORT int rmdir(const char *path)
{
	TS_REAL(rmdir, -1);
	PATH_BODY(TS_OP_RMDIR, AT_FDCWD, path, false, real(path));
}

TS_EXPORT int chdir(const char *path)
{
	TS_REAL(chdir, -1);
	PATH_BODY(TS_OP_CHDIR, AT_FDCWD, path, false, real(path));
}

TS_EXPORT int fchdir(int fd)
{
	TS_REAL(fchdir, -1);
	FD_BODY(TS_OP_FCHDIR, fd, real(fd));
}

TS_EXPORT int truncate(const char *path, off_t len)
{
	TS_REAL(truncate, -1);
	PATH_BODY(TS_OP_TRUNCATE, AT_FDCWD, path, false, real(path, len));
}

TS_EXPORT int truncate64(const char *path, off64_t len)
{
	TS_REAL(truncate64, -1);
	PATH_BODY(TS_OP_TRUNCATE, AT_FDCWD, path, false, real(path, len));
}

TS_EXPORT int ftruncate(int fd, off_t len)
{
	TS_REAL(ftruncate, -1);
	FD_BODY(TS_OP_FTRUNCATE, fd, real(fd, len));
}

TS_EXPORT int ftruncate64(int fd, off64_t len)
{
	TS_REAL(ftruncate64, -1);
	FD_BODY(TS_OP_FTRUNCATE, fd, real(fd, len));
}

/* The stream's descriptor is new: recorded as a directory, so the calls on
 * it (fchdir, getdents64) are described without asking the kernel. */
TS_EXPORT DIR *opendir(const char *path)
{
	TS_REAL(opendir, NULL);
	TS_TRACED_OP(TS_OP_OPENDIR, -1, real(path), ts_record_path(t_, TS_OP_OPENDIR, AT_FDCWD, path, false,
					     r_ ? dirfd(r_) : -1, t0_, t1_));
}

TS_EXPORT DIR *fdopendir(int fd)
{
	TS_REAL(fdopendir, NULL);
	TS_TRACED_OP(TS_OP_FDOPENDIR, fd, real(fd), ts_record_io(t_, TS_OP_FDOPENDIR, fd, 0, r_ ? 0 : -1, t0_, t1_));
}

/* Bytes of directory entries read, as a read records them. readdir reads
 * with glibc's own internal call: only direct calls are seen. */
TS_EXPORT ssize_t getdents64(int fd, void *buf, size_t len)
{
	TS_REAL(getdents64, -1);
	TS_IO_BODY(TS_OP_GETDENTS64, fd, len, real(fd, buf, len));
}
