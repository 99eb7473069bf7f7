/* The operations traceshim records: one entry per span name, with the shape of
 * the data its records carry. Wrappers of several symbols (open, open64,
 * __open_2, ...) share one operation. */
#ifndef TS_OPS_H
#define TS_OPS_H

#include "family.h"

#include <stdint.h>

enum ts_shape {
	TS_SHAPE_IO,        /* fd, bytes requested, bytes done */
	TS_SHAPE_FD,        /* fd only (close, fsync) */
	TS_SHAPE_OPEN,      /* path payload, result is a new fd */
	TS_SHAPE_CONNECT,   /* fd, sockaddr payload */
	TS_SHAPE_ACCEPT,    /* listening fd, result is a new fd, peer sockaddr payload */
	TS_SHAPE_THREAD,    /* pthread_create: links to the new thread */
	TS_SHAPE_COPY,      /* in-kernel copy: fd is the destination, aux the source */
	TS_SHAPE_SQL,       /* a statement's execution: statement in arg, rows in aux */
	TS_SHAPE_SQL_EXEC,  /* sqlite3_exec: database file, error and SQL as payload */
	TS_SHAPE_PROC,      /* starts a process: child pid in arg, program path payload */
	TS_SHAPE_TLS,       /* a TLS library's read or write of plaintext: fd (-1 when not
			     * known), bytes requested and done (-1: failed, with the
			     * library's error code in aux2 and errno in err) */
	TS_SHAPE_PATH,      /* a path payload, relative to dirfd in fd (AT_FDCWD when the
			     * call has none); arg: TS_PATH_* flags. opendir: the new
			     * fd as result, its generation in fdgen */
	TS_SHAPE_PATH2,     /* two paths (rename): payload the source then the target,
			     * arg the source's length; fd and aux2 their dirfds */
	TS_SHAPE_WAIT,      /* a blocking wait on a lock, condition, semaphore or thread
			     * (family wait): see TS_WAIT_* below */
	TS_SHAPE_WAKE,      /* a release another thread was waiting for: arg the
			     * object's address, aux the waiters counted on it */
	TS_SHAPE_SYSWAIT,   /* a blocking wait in a system call: a poll, a sleep, a child
			     * process, a futex (family wait, syswait.h): fd -1; what was
			     * waited on in arg, aux, aux2 and aux_kind by operation */
};

/* A TS_SHAPE_WAIT record: arg the object's address; err the result (0, or
 * the error number: ETIMEDOUT when it timed out); fd and fdgen the thread
 * index and span number of the release that woke it, or of the joined
 * thread's span (fd -1: not known), which ends the release's flow when
 * aux_kind has TS_WAIT_ARROW; aux a mutex's owner tid when the wait began,
 * or the joined thread's tid (0: not known); aux2 the timeout in ms when
 * aux_kind has TS_WAIT_TIMED. */
enum { TS_WAIT_TIMED = 1, TS_WAIT_ARROW = 2 };

/* arg of a TS_SHAPE_PATH record: a miss of a PATH walk (a stat or access
 * of <dir>/<name>, dir one of the process's PATH, failing with ENOENT or
 * ENOTDIR): a shell looking for a program, normal flow. */
enum { TS_PATH_WALK = 1 };

/* aux2 of a TS_SHAPE_IO record: the write woke a poll of another thread
 * (record/fdwake.h), whose record names this span. */
enum { TS_IO_WOKE = 1 };

enum ts_op {
	TS_OP_NONE = 0,
	TS_OP_READ, TS_OP_WRITE, TS_OP_PREAD, TS_OP_PWRITE,
	TS_OP_READV, TS_OP_WRITEV, TS_OP_PREADV, TS_OP_PWRITEV,
	TS_OP_RECV, TS_OP_SEND, TS_OP_RECVFROM, TS_OP_SENDTO, TS_OP_RECVMSG, TS_OP_SENDMSG,
	TS_OP_CONNECT, TS_OP_ACCEPT,
	TS_OP_OPEN, TS_OP_OPENAT, TS_OP_CREAT,
	TS_OP_CLOSE, TS_OP_FSYNC, TS_OP_FDATASYNC,
	TS_OP_PTHREAD_CREATE,
	TS_OP_COPY_FILE_RANGE, TS_OP_SENDFILE, TS_OP_SPLICE,
	TS_OP_SQL_STMT, TS_OP_SQL_EXEC,
	TS_OP_FORK, TS_OP_VFORK,
	TS_OP_EXECVE, TS_OP_EXECV, TS_OP_EXECVP, TS_OP_EXECVPE, TS_OP_EXECL, TS_OP_EXECLP,
	TS_OP_EXECLE, TS_OP_FEXECVE, TS_OP_EXECVEAT,
	TS_OP_POSIX_SPAWN, TS_OP_POSIX_SPAWNP, TS_OP_SYSTEM, TS_OP_POPEN,
	TS_OP_SSL_READ, TS_OP_SSL_WRITE, TS_OP_SSL_PEEK, TS_OP_GNUTLS_RECV, TS_OP_GNUTLS_SEND,
	/* File metadata (family fs). */
	TS_OP_STAT, TS_OP_LSTAT, TS_OP_FSTAT, TS_OP_FSTATAT, TS_OP_STATX, TS_OP_ACCESS,
	TS_OP_FACCESSAT, TS_OP_READLINK, TS_OP_READLINKAT, TS_OP_UNLINK, TS_OP_UNLINKAT,
	TS_OP_RENAME, TS_OP_RENAMEAT, TS_OP_RENAMEAT2, TS_OP_MKDIR, TS_OP_MKDIRAT, TS_OP_RMDIR,
	TS_OP_CHDIR, TS_OP_FCHDIR, TS_OP_TRUNCATE, TS_OP_FTRUNCATE, TS_OP_OPENDIR, TS_OP_FDOPENDIR,
	TS_OP_GETDENTS64,
	/* stdio */
	TS_OP_FOPEN, TS_OP_FREOPEN, TS_OP_FDOPEN, TS_OP_FCLOSE,
	TS_OP_FREAD, TS_OP_FWRITE, TS_OP_FGETS, TS_OP_FPUTS, TS_OP_PUTS, TS_OP_GETLINE,
	TS_OP_GETDELIM, TS_OP_PRINTF, TS_OP_FPRINTF, TS_OP_VPRINTF, TS_OP_VFPRINTF,
	TS_OP_DPRINTF, TS_OP_VDPRINTF, TS_OP_FFLUSH, TS_OP_STDIO_EXIT,
	/* Blocking waits on synchronisation objects (family wait), and the
	 * releases that wake them. */
	TS_OP_MUTEX_LOCK, TS_OP_MUTEX_TIMEDLOCK, TS_OP_MUTEX_CLOCKLOCK,
	TS_OP_RWLOCK_RDLOCK, TS_OP_RWLOCK_WRLOCK, TS_OP_RWLOCK_TIMEDRDLOCK,
	TS_OP_RWLOCK_TIMEDWRLOCK, TS_OP_RWLOCK_CLOCKRDLOCK, TS_OP_RWLOCK_CLOCKWRLOCK,
	TS_OP_COND_WAIT, TS_OP_COND_TIMEDWAIT, TS_OP_COND_CLOCKWAIT,
	TS_OP_SEM_WAIT, TS_OP_SEM_TIMEDWAIT, TS_OP_SEM_CLOCKWAIT,
	TS_OP_PTHREAD_JOIN, TS_OP_PTHREAD_TIMEDJOIN, TS_OP_PTHREAD_CLOCKJOIN,
	TS_OP_MUTEX_UNLOCK, TS_OP_RWLOCK_UNLOCK, TS_OP_COND_SIGNAL, TS_OP_COND_BROADCAST,
	TS_OP_SEM_POST,
	/* Blocking waits on descriptors, time and child processes (family wait). */
	TS_OP_POLL, TS_OP_PPOLL, TS_OP_SELECT, TS_OP_PSELECT, TS_OP_EPOLL_WAIT,
	TS_OP_EPOLL_PWAIT, TS_OP_EPOLL_PWAIT2, TS_OP_NANOSLEEP, TS_OP_CLOCK_NANOSLEEP,
	TS_OP_USLEEP, TS_OP_SLEEP, TS_OP_WAITPID, TS_OP_WAIT, TS_OP_WAIT4, TS_OP_WAITID,
	TS_OP_FUTEX_WAIT,
	/* A statement SQLite would not compile (sqlite3_prepare*). */
	TS_OP_SQL_PREPARE,
	TS_OP_COUNT
};

/* Span kinds, numbered as in OTLP. */
enum ts_kind { TS_KIND_INTERNAL = 1, TS_KIND_SERVER = 2, TS_KIND_CLIENT = 3 };

struct ts_op_info {
	const char *name;
	uint8_t shape;
	uint8_t kind;
	uint8_t direction;   /* 0 none, 1 in (read side), 2 out (write side) */
	uint8_t family;      /* enum ts_family */
};

extern const struct ts_op_info ts_ops[TS_OP_COUNT];

/* Name of an errno value ("ENOENT"), or NULL when unknown. */
const char *ts_errno_name(int err);

#endif
