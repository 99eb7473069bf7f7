/* Operation table and errno names. */
#include "ops.h"

#include <errno.h>
#include <stddef.h>

#define IO_IN(n)  {n, TS_SHAPE_IO, TS_KIND_INTERNAL, 1, TS_FAM_IO}
#define IO_OUT(n) {n, TS_SHAPE_IO, TS_KIND_INTERNAL, 2, TS_FAM_IO}
#define NET_IN(n)  {n, TS_SHAPE_IO, TS_KIND_INTERNAL, 1, TS_FAM_NET}
#define NET_OUT(n) {n, TS_SHAPE_IO, TS_KIND_INTERNAL, 2, TS_FAM_NET}

const struct ts_op_info ts_ops[TS_OP_COUNT] = {
	[TS_OP_NONE] = {"?", TS_SHAPE_FD, TS_KIND_INTERNAL, 0, TS_FAM_IO},
	[TS_OP_READ] = IO_IN("read"),
	[TS_OP_WRITE] = IO_OUT("write"),
	[TS_OP_PREAD] = IO_IN("pread"),
	[TS_OP_PWRITE] = IO_OUT("pwrite"),
	[TS_OP_READV] = IO_IN("readv"),
	[TS_OP_WRITEV] = IO_OUT("writev"),
	[TS_OP_PREADV] = IO_IN("preadv"),
	[TS_OP_PWRITEV] = IO_OUT("pwritev"),
	[TS_OP_RECV] = NET_IN("recv"),
	[TS_OP_SEND] = NET_OUT("send"),
	[TS_OP_RECVFROM] = NET_IN("recvfrom"),
	[TS_OP_SENDTO] = NET_OUT("sendto"),
	[TS_OP_RECVMSG] = NET_IN("recvmsg"),
	[TS_OP_SENDMSG] = NET_OUT("sendmsg"),
	[TS_OP_CONNECT] = {"connect", TS_SHAPE_CONNECT, TS_KIND_CLIENT, 0, TS_FAM_NET},
	[TS_OP_ACCEPT] = {"accept", TS_SHAPE_ACCEPT, TS_KIND_SERVER, 0, TS_FAM_NET},
	[TS_OP_OPEN] = {"open", TS_SHAPE_OPEN, TS_KIND_INTERNAL, 0, TS_FAM_FILE},
	[TS_OP_OPENAT] = {"openat", TS_SHAPE_OPEN, TS_KIND_INTERNAL, 0, TS_FAM_FILE},
	[TS_OP_CREAT] = {"creat", TS_SHAPE_OPEN, TS_KIND_INTERNAL, 0, TS_FAM_FILE},
	[TS_OP_CLOSE] = {"close", TS_SHAPE_FD, TS_KIND_INTERNAL, 0, TS_FAM_FILE},
	[TS_OP_FSYNC] = {"fsync", TS_SHAPE_FD, TS_KIND_INTERNAL, 0, TS_FAM_FILE},
	[TS_OP_FDATASYNC] = {"fdatasync", TS_SHAPE_FD, TS_KIND_INTERNAL, 0, TS_FAM_FILE},
	[TS_OP_PTHREAD_CREATE] = {"pthread_create", TS_SHAPE_THREAD, TS_KIND_INTERNAL, 0, TS_FAM_THREAD},
	[TS_OP_COPY_FILE_RANGE] = {"copy_file_range", TS_SHAPE_COPY, TS_KIND_INTERNAL, 2, TS_FAM_IO},
	[TS_OP_SENDFILE] = {"sendfile", TS_SHAPE_COPY, TS_KIND_INTERNAL, 2, TS_FAM_IO},
	[TS_OP_SPLICE] = {"splice", TS_SHAPE_COPY, TS_KIND_INTERNAL, 2, TS_FAM_IO},
	/* Named at decode time after the statement ("SELECT users"). */
	[TS_OP_SQL_STMT] = {"sqlite", TS_SHAPE_SQL, TS_KIND_CLIENT, 0, TS_FAM_SQLITE},
	[TS_OP_SQL_EXEC] = {"sqlite3_exec", TS_SHAPE_SQL_EXEC, TS_KIND_CLIENT, 0, TS_FAM_SQLITE},
	[TS_OP_SQL_PREPARE] = {"sqlite3_prepare", TS_SHAPE_SQL_EXEC, TS_KIND_CLIENT, 0, TS_FAM_SQLITE},
#define PROC(n) {n, TS_SHAPE_PROC, TS_KIND_INTERNAL, 0, TS_FAM_PROC}
	[TS_OP_FORK] = PROC("fork"),
	[TS_OP_VFORK] = PROC("vfork"),
	[TS_OP_EXECVE] = PROC("execve"),
	[TS_OP_EXECV] = PROC("execv"),
	[TS_OP_EXECVP] = PROC("execvp"),
	[TS_OP_EXECVPE] = PROC("execvpe"),
	[TS_OP_EXECL] = PROC("execl"),
	[TS_OP_EXECLP] = PROC("execlp"),
	[TS_OP_EXECLE] = PROC("execle"),
	[TS_OP_FEXECVE] = PROC("fexecve"),
	[TS_OP_EXECVEAT] = PROC("execveat"),
	[TS_OP_POSIX_SPAWN] = PROC("posix_spawn"),
	[TS_OP_POSIX_SPAWNP] = PROC("posix_spawnp"),
	[TS_OP_SYSTEM] = PROC("system"),
	[TS_OP_POPEN] = PROC("popen"),
#undef PROC
	/* OpenSSL (SSL_read_ex and the other _ex forms fold into these) and GnuTLS. */
	[TS_OP_SSL_READ] = {"SSL_read", TS_SHAPE_TLS, TS_KIND_INTERNAL, 1, TS_FAM_NET},
	[TS_OP_SSL_WRITE] = {"SSL_write", TS_SHAPE_TLS, TS_KIND_INTERNAL, 2, TS_FAM_NET},
	[TS_OP_SSL_PEEK] = {"SSL_peek", TS_SHAPE_TLS, TS_KIND_INTERNAL, 1, TS_FAM_NET},
	[TS_OP_GNUTLS_RECV] = {"gnutls_record_recv", TS_SHAPE_TLS, TS_KIND_INTERNAL, 1, TS_FAM_NET},
	[TS_OP_GNUTLS_SEND] = {"gnutls_record_send", TS_SHAPE_TLS, TS_KIND_INTERNAL, 2, TS_FAM_NET},
#define FS(n, shape) {n, shape, TS_KIND_INTERNAL, 0, TS_FAM_FS}
	[TS_OP_STAT] = FS("stat", TS_SHAPE_PATH),
	[TS_OP_LSTAT] = FS("lstat", TS_SHAPE_PATH),
	[TS_OP_FSTAT] = FS("fstat", TS_SHAPE_FD),
	[TS_OP_FSTATAT] = FS("fstatat", TS_SHAPE_PATH),
	[TS_OP_STATX] = FS("statx", TS_SHAPE_PATH),
	[TS_OP_ACCESS] = FS("access", TS_SHAPE_PATH),
	[TS_OP_FACCESSAT] = FS("faccessat", TS_SHAPE_PATH),
	[TS_OP_READLINK] = FS("readlink", TS_SHAPE_PATH),
	[TS_OP_READLINKAT] = FS("readlinkat", TS_SHAPE_PATH),
	[TS_OP_UNLINK] = FS("unlink", TS_SHAPE_PATH),
	[TS_OP_UNLINKAT] = FS("unlinkat", TS_SHAPE_PATH),
	[TS_OP_RENAME] = FS("rename", TS_SHAPE_PATH2),
	[TS_OP_RENAMEAT] = FS("renameat", TS_SHAPE_PATH2),
	[TS_OP_RENAMEAT2] = FS("renameat2", TS_SHAPE_PATH2),
	[TS_OP_MKDIR] = FS("mkdir", TS_SHAPE_PATH),
	[TS_OP_MKDIRAT] = FS("mkdirat", TS_SHAPE_PATH),
	[TS_OP_RMDIR] = FS("rmdir", TS_SHAPE_PATH),
	[TS_OP_CHDIR] = FS("chdir", TS_SHAPE_PATH),
	[TS_OP_FCHDIR] = FS("fchdir", TS_SHAPE_FD),
	[TS_OP_TRUNCATE] = FS("truncate", TS_SHAPE_PATH),
	[TS_OP_FTRUNCATE] = FS("ftruncate", TS_SHAPE_FD),
	[TS_OP_OPENDIR] = FS("opendir", TS_SHAPE_PATH),
	[TS_OP_FDOPENDIR] = FS("fdopendir", TS_SHAPE_FD),
	[TS_OP_GETDENTS64] = {"getdents64", TS_SHAPE_IO, TS_KIND_INTERNAL, 1, TS_FAM_FS},
#undef FS
	/* stdio: decoded by decode_stdio.c, which reads the mode, the stream's
	 * end-of-file and its per-character counts too. The 64-bit, _chk and
	 * _unlocked forms fold into these names. */
#define STDIO(n, shape, dir) {n, shape, TS_KIND_INTERNAL, dir, TS_FAM_STDIO}
	[TS_OP_FOPEN] = STDIO("fopen", TS_SHAPE_OPEN, 0),
	[TS_OP_FREOPEN] = STDIO("freopen", TS_SHAPE_OPEN, 0),
	[TS_OP_FDOPEN] = STDIO("fdopen", TS_SHAPE_FD, 0),
	[TS_OP_FCLOSE] = STDIO("fclose", TS_SHAPE_FD, 0),
	[TS_OP_FREAD] = STDIO("fread", TS_SHAPE_IO, 1),
	[TS_OP_FWRITE] = STDIO("fwrite", TS_SHAPE_IO, 2),
	[TS_OP_FGETS] = STDIO("fgets", TS_SHAPE_IO, 1),
	[TS_OP_FPUTS] = STDIO("fputs", TS_SHAPE_IO, 2),
	[TS_OP_PUTS] = STDIO("puts", TS_SHAPE_IO, 2),
	[TS_OP_GETLINE] = STDIO("getline", TS_SHAPE_IO, 1),
	[TS_OP_GETDELIM] = STDIO("getdelim", TS_SHAPE_IO, 1),
	[TS_OP_PRINTF] = STDIO("printf", TS_SHAPE_IO, 2),
	[TS_OP_FPRINTF] = STDIO("fprintf", TS_SHAPE_IO, 2),
	[TS_OP_VPRINTF] = STDIO("vprintf", TS_SHAPE_IO, 2),
	[TS_OP_VFPRINTF] = STDIO("vfprintf", TS_SHAPE_IO, 2),
	[TS_OP_DPRINTF] = STDIO("dprintf", TS_SHAPE_IO, 2),
	[TS_OP_VDPRINTF] = STDIO("vdprintf", TS_SHAPE_IO, 2),
	[TS_OP_FFLUSH] = STDIO("fflush", TS_SHAPE_IO, 2),
	/* Not a call: a stream's per-character counts, for a stream still open
	 * as the process ends (stdout). */
	[TS_OP_STDIO_EXIT] = STDIO("stdio at exit", TS_SHAPE_FD, 0),
#undef STDIO
	/* Waits on synchronisation objects (decode_wait.c): a span only when
	 * the call blocked for at least TRACESHIM_WAIT_MIN_US. */
#define WAIT(n) {n, TS_SHAPE_WAIT, TS_KIND_INTERNAL, 0, TS_FAM_WAIT}
#define WAKE(n) {n, TS_SHAPE_WAKE, TS_KIND_INTERNAL, 0, TS_FAM_WAIT}
	[TS_OP_MUTEX_LOCK] = WAIT("pthread_mutex_lock"),
	[TS_OP_MUTEX_TIMEDLOCK] = WAIT("pthread_mutex_timedlock"),
	[TS_OP_MUTEX_CLOCKLOCK] = WAIT("pthread_mutex_clocklock"),
	[TS_OP_RWLOCK_RDLOCK] = WAIT("pthread_rwlock_rdlock"),
	[TS_OP_RWLOCK_WRLOCK] = WAIT("pthread_rwlock_wrlock"),
	[TS_OP_RWLOCK_TIMEDRDLOCK] = WAIT("pthread_rwlock_timedrdlock"),
	[TS_OP_RWLOCK_TIMEDWRLOCK] = WAIT("pthread_rwlock_timedwrlock"),
	[TS_OP_RWLOCK_CLOCKRDLOCK] = WAIT("pthread_rwlock_clockrdlock"),
	[TS_OP_RWLOCK_CLOCKWRLOCK] = WAIT("pthread_rwlock_clockwrlock"),
	[TS_OP_COND_WAIT] = WAIT("pthread_cond_wait"),
	[TS_OP_COND_TIMEDWAIT] = WAIT("pthread_cond_timedwait"),
	[TS_OP_COND_CLOCKWAIT] = WAIT("pthread_cond_clockwait"),
	[TS_OP_SEM_WAIT] = WAIT("sem_wait"),
	[TS_OP_SEM_TIMEDWAIT] = WAIT("sem_timedwait"),
	[TS_OP_SEM_CLOCKWAIT] = WAIT("sem_clockwait"),
	[TS_OP_PTHREAD_JOIN] = WAIT("pthread_join"),
	[TS_OP_PTHREAD_TIMEDJOIN] = WAIT("pthread_timedjoin_np"),
	[TS_OP_PTHREAD_CLOCKJOIN] = WAIT("pthread_clockjoin_np"),
	/* Made only while a traced thread waits on the same object. */
	[TS_OP_MUTEX_UNLOCK] = WAKE("pthread_mutex_unlock"),
	[TS_OP_RWLOCK_UNLOCK] = WAKE("pthread_rwlock_unlock"),
	[TS_OP_COND_SIGNAL] = WAKE("pthread_cond_signal"),
	[TS_OP_COND_BROADCAST] = WAKE("pthread_cond_broadcast"),
	[TS_OP_SEM_POST] = WAKE("sem_post"),
#undef WAIT
#undef WAKE
	/* Waits in system calls: a span only when the call blocked
	 * (record/recordsyswait.h); decoded by decode_syswait.c, never rolled up. */
#define WAIT(n) {n, TS_SHAPE_SYSWAIT, TS_KIND_INTERNAL, 0, TS_FAM_WAIT}
	[TS_OP_POLL] = WAIT("poll"),
	[TS_OP_PPOLL] = WAIT("ppoll"),
	[TS_OP_SELECT] = WAIT("select"),
	[TS_OP_PSELECT] = WAIT("pselect"),
	[TS_OP_EPOLL_WAIT] = WAIT("epoll_wait"),
	[TS_OP_EPOLL_PWAIT] = WAIT("epoll_pwait"),
	[TS_OP_EPOLL_PWAIT2] = WAIT("epoll_pwait2"),
	[TS_OP_NANOSLEEP] = WAIT("nanosleep"),
	[TS_OP_CLOCK_NANOSLEEP] = WAIT("clock_nanosleep"),
	[TS_OP_USLEEP] = WAIT("usleep"),
	[TS_OP_SLEEP] = WAIT("sleep"),
	[TS_OP_WAITPID] = WAIT("waitpid"),
	[TS_OP_WAIT] = WAIT("wait"),
	[TS_OP_WAIT4] = WAIT("wait4"),
	[TS_OP_WAITID] = WAIT("waitid"),
	[TS_OP_FUTEX_WAIT] = WAIT("futex"),
#undef WAIT
};

const char *ts_errno_name(int err)
{
	/* strerrorname_np() needs glibc 2.32; a table keeps older systems working. */
	switch (err) {
#define E(x) case x: return #x;
	E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC)
	E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY) E(EEXIST)
	E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY)
	E(ETXTBSY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK) E(EPIPE) E(EDOM)
	E(ERANGE) E(EDEADLK) E(ENAMETOOLONG) E(ENOLCK) E(ENOSYS) E(ENOTEMPTY) E(ELOOP)
	E(ENOMSG) E(EIDRM) E(ENODATA) E(ETIME) E(ENOLINK) E(EPROTO) E(EBADMSG)
	E(EOVERFLOW) E(EILSEQ) E(ENOTSOCK) E(EDESTADDRREQ) E(EMSGSIZE) E(EPROTOTYPE)
	E(ENOPROTOOPT) E(EPROTONOSUPPORT) E(EOPNOTSUPP) E(EAFNOSUPPORT) E(EADDRINUSE)
	E(EADDRNOTAVAIL) E(ENETDOWN) E(ENETUNREACH) E(ENETRESET) E(ECONNABORTED)
	E(ECONNRESET) E(ENOBUFS) E(EISCONN) E(ENOTCONN) E(ESHUTDOWN) E(ETIMEDOUT)
	E(ECONNREFUSED) E(EHOSTDOWN) E(EHOSTUNREACH) E(EALREADY) E(EINPROGRESS)
	E(ESTALE) E(EDQUOT) E(ECANCELED) E(EOWNERDEAD) E(ENOTRECOVERABLE)
#undef E
	default: return NULL;
	}
}
