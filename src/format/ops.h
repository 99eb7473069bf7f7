/* The operations traceshim records: one entry per span name, with the shape of
 * the data its records carry. Wrappers of several symbols (open, open64,
 * __open_2, ...) share one operation. */
#ifndef TS_OPS_H
#define TS_OPS_H

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
};

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
	/* stdio */
	TS_OP_FOPEN, TS_OP_FREOPEN, TS_OP_FDOPEN, TS_OP_FCLOSE,
	TS_OP_FREAD, TS_OP_FWRITE, TS_OP_FGETS, TS_OP_FPUTS, TS_OP_PUTS, TS_OP_GETLINE,
	TS_OP_GETDELIM, TS_OP_PRINTF, TS_OP_FPRINTF, TS_OP_VPRINTF, TS_OP_VFPRINTF,
	TS_OP_DPRINTF, TS_OP_VDPRINTF, TS_OP_FFLUSH, TS_OP_STDIO_EXIT,
	TS_OP_COUNT
};

/* The families TRACESHIM_TRACE turns on and off. An I/O call (shapes IO, FD
 * and COPY) on a socket counts as net whatever its own family. */
enum ts_family {
	TS_FAM_IO,       /* read, write and friends on files, pipes, terminals */
	TS_FAM_NET,      /* sockets: connect, accept, send, recv, and any I/O on a socket */
	TS_FAM_FILE,     /* open, close, fsync */
	TS_FAM_FS,       /* file metadata: stat, access, unlink, rename, mkdir... */
	TS_FAM_STDIO,    /* fopen, fgets, printf... */
	TS_FAM_PROC,     /* fork, exec, spawn */
	TS_FAM_THREAD,   /* pthread_create */
	TS_FAM_SQLITE,   /* SQLite statements */
	TS_FAM_HTTP,     /* HTTP/1 spans and traceparent on sockets and TLS */
	TS_FAM_API,      /* the program's own spans (traceshim.h) */
	TS_FAM_COUNT
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
