/* read/write and their positional, vectored and _FORTIFY_SOURCE variants.
 * The 64-bit-offset and checked variants are separate symbols in glibc and
 * distribution binaries call them directly; each records under its base name. */
#include "wrap.h"

#include "fdwake.h"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

/* Not in the public headers. */
extern ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
extern ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
extern ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen);

TS_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	TS_REAL(read, -1);
	TS_NET_BODY(TS_OP_READ, fd, TS_HTTP_IN, false, buf, n, real(fd, buf, n));
}

TS_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	TS_REAL(__read_chk, -1);
	TS_NET_BODY(TS_OP_READ, fd, TS_HTTP_IN, false, buf, n, real(fd, buf, n, buflen));
}

/* write as the real writev, when the shim adds a line to what it sends on
 * a socket (httpinject.c). */
static ssize_t via_writev(const struct ts_http_sender *self, int fd, const struct iovec *iov,
			  int cnt)
{
	(void)self;
	TS_REAL(writev, -1);
	return real(fd, iov, cnt);
}

static const struct ts_http_sender write_sender = {via_writev};

/* A write while some poll of a pipe or eventfd is in progress: when fd is
 * the write end of one (fdwake.h), the write is noted as the one that woke
 * it, and made and recorded here. False when fd is not such a descriptor:
 * the usual path then makes the call. */
static bool write_waking(ssize_t (*real)(int, const void *, size_t), int fd, const void *buf,
			 size_t n, ssize_t *out)
{
	struct ts_thread *t = ts_caller();
	if (!t || ts_call_off(TS_OP_WRITE, fd))
		return false;
	int rfd = -1;
	uint64_t word = ts_fdwake_post(fd, t, &rfd);
	if (!word)
		return false;
	uint64_t t0 = ts_ticks();
	ssize_t r = real(fd, buf, n);
	uint64_t t1 = ts_ticks();
	int err = errno;
	if (r <= 0)
		ts_fdwake_retract(rfd, word);   /* nothing written: woke nobody */
	ts_record_io_flags(t, TS_OP_WRITE, fd, n, r, r > 0 ? TS_IO_WOKE : 0, t0, t1);
	errno = err;
	*out = r;
	return true;
}

TS_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	TS_REAL(write, -1);
	ssize_t woke;
	if (ts_fdwake_any_polling() && write_waking(real, fd, buf, n, &woke))
		return woke;
	TS_HTTP_SEND(TS_OP_WRITE, fd, buf, n, &write_sender);
	TS_NET_BODY(TS_OP_WRITE, fd, TS_HTTP_OUT, false, buf, n, real(fd, buf, n));
}

TS_EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	TS_REAL(pread, -1);
	TS_IO_BODY(TS_OP_PREAD, fd, n, real(fd, buf, n, off));
}

TS_EXPORT ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
	TS_REAL(pread64, -1);
	TS_IO_BODY(TS_OP_PREAD, fd, n, real(fd, buf, n, off));
}

TS_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	TS_REAL(__pread_chk, -1);
	TS_IO_BODY(TS_OP_PREAD, fd, n, real(fd, buf, n, off, buflen));
}

TS_EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen)
{
	TS_REAL(__pread64_chk, -1);
	TS_IO_BODY(TS_OP_PREAD, fd, n, real(fd, buf, n, off, buflen));
}

TS_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	TS_REAL(pwrite, -1);
	TS_IO_BODY(TS_OP_PWRITE, fd, n, real(fd, buf, n, off));
}

TS_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	TS_REAL(pwrite64, -1);
	TS_IO_BODY(TS_OP_PWRITE, fd, n, real(fd, buf, n, off));
}

TS_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	TS_REAL(readv, -1);
	TS_NETV_BODY(TS_OP_READV, fd, TS_HTTP_IN, false, iov, cnt, real(fd, iov, cnt));
}

TS_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	TS_REAL(writev, -1);
	if (iov && cnt > 0)
		TS_HTTP_SENDV(TS_OP_WRITEV, fd, iov, cnt, &write_sender);
	TS_NETV_BODY(TS_OP_WRITEV, fd, TS_HTTP_OUT, false, iov, cnt, real(fd, iov, cnt));
}

TS_EXPORT ssize_t preadv(int fd, const struct iovec *iov, int cnt, off_t off)
{
	TS_REAL(preadv, -1);
	TS_IO_BODY(TS_OP_PREADV, fd, ts_iov_bytes(iov, cnt), real(fd, iov, cnt, off));
}

TS_EXPORT ssize_t preadv64(int fd, const struct iovec *iov, int cnt, off64_t off)
{
	TS_REAL(preadv64, -1);
	TS_IO_BODY(TS_OP_PREADV, fd, ts_iov_bytes(iov, cnt), real(fd, iov, cnt, off));
}

TS_EXPORT ssize_t preadv2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	TS_REAL(preadv2, -1);
	TS_IO_BODY(TS_OP_PREADV, fd, ts_iov_bytes(iov, cnt), real(fd, iov, cnt, off, flags));
}

TS_EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	TS_REAL(pwritev, -1);
	TS_IO_BODY(TS_OP_PWRITEV, fd, ts_iov_bytes(iov, cnt), real(fd, iov, cnt, off));
}

TS_EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off)
{
	TS_REAL(pwritev64, -1);
	TS_IO_BODY(TS_OP_PWRITEV, fd, ts_iov_bytes(iov, cnt), real(fd, iov, cnt, off));
}

TS_EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	TS_REAL(pwritev2, -1);
	TS_IO_BODY(TS_OP_PWRITEV, fd, ts_iov_bytes(iov, cnt), real(fd, iov, cnt, off, flags));
}

/* In-kernel copies (cat and cp use copy_file_range when writing to a file). */

/* The bytes a copy moves are not shown: an HTTP connection at either end
 * counts them (a static file's body sent with sendfile). */
static inline void record_copy(struct ts_thread *t, enum ts_op op, int in, int out, uint64_t n,
			       int64_t r, uint64_t t0, uint64_t t1)
{
	ts_record_copy(t, op, in, out, n, r, t0, t1);
	uint64_t out_st = ts_fd_state(out), in_st = ts_fd_state(in);
	if (__builtin_expect(ts_http_watched(out_st), 0) && r > 0)
		ts_http_skip(t, out, out_st, TS_HTTP_OUT, r, t0, t1);
	if (__builtin_expect(ts_http_watched(in_st), 0) && r > 0)
		ts_http_skip(t, in, in_st, TS_HTTP_IN, r, t0, t1);
}

#define COPY_BODY(op, in, out, n, call)                                                  \
	TS_TRACED_UNLESS(ts_call_off(op, out) && !ts_http_watched(ts_fd_state(in)), call,   \
			 record_copy(t_, op, in, out, n, r_, t0_, t1_))

TS_EXPORT ssize_t copy_file_range(int in, off64_t *in_off, int out, off64_t *out_off, size_t n,
				  unsigned int flags)
{
	TS_REAL(copy_file_range, -1);
	COPY_BODY(TS_OP_COPY_FILE_RANGE, in, out, n, real(in, in_off, out, out_off, n, flags));
}

TS_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t n)
{
	TS_REAL(sendfile, -1);
	COPY_BODY(TS_OP_SENDFILE, in, out, n, real(out, in, off, n));
}

TS_EXPORT ssize_t sendfile64(int out, int in, off64_t *off, size_t n)
{
	TS_REAL(sendfile64, -1);
	COPY_BODY(TS_OP_SENDFILE, in, out, n, real(out, in, off, n));
}

TS_EXPORT ssize_t splice(int in, off64_t *in_off, int out, off64_t *out_off, size_t n,
			 unsigned int flags)
{
	TS_REAL(splice, -1);
	COPY_BODY(TS_OP_SPLICE, in, out, n, real(in, in_off, out, out_off, n, flags));
}
