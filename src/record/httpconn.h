/* HTTP/1 exchanges on the program's stream sockets as spans: the socket
 * wrappers hand every byte a call moved to the connection's sniffer
 * (http1.h), and the requests and responses it finds become CLIENT or SERVER
 * spans, recorded like the program's own spans that may end on any thread
 * (TS_REC_USER_* records with TS_USER_ASYNC). Runs in the program's threads:
 * no allocation, no lock, no system call.
 *
 * A socket that is not HTTP costs its first call a look at a few bytes;
 * after that one load and compare per call (ts_http_watched, then the
 * descriptor's entry). */
#ifndef TS_HTTPCONN_H
#define TS_HTTPCONN_H

#include "fdkind.h"
#include "ops.h"
#include "thread.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

enum { TS_HTTP_OUT = 0, TS_HTTP_IN = 1 };   /* as enum ts_http1_dir */

/* Which bytes of a descriptor: what goes over the socket, or the plaintext
 * of a TLS session on it (SSL_read/SSL_write: the socket then carries
 * ciphertext, which is not HTTP). Each has its own sniffer. */
enum ts_http_layer { TS_HTTP_SOCKET = 0, TS_HTTP_TLS = 1 };

/* Set at start: TRACESHIM_HTTP_QUERY=raw keeps query values. */
void ts_http_configure(bool query_raw);

/* The descriptor (its state, ts_fd_state()) may carry HTTP/1: a TCP or Unix
 * stream socket, as its creating call described it. */
static inline bool ts_http_watched(uint64_t state)
{
	uint8_t kind = ts_fd_state_kind(state);
	return (kind & 0xf) == TS_FD_SOCKET && ((kind >> 4) == 1 || (kind >> 4) == 3) &&
	       !ts_family_off(TS_FAM_HTTP);
}

/* A call on fd moved `done` bytes of buf in direction dir (done 0 on a read:
 * the peer closed its side), between ticks t0 and t1. */
void ts_http_bytes(struct ts_thread *t, int fd, uint64_t state, enum ts_http_layer layer, int dir,
		   const void *buf, int64_t done, uint64_t t0, uint64_t t1);
/* Byte c was given back to be read again (ungetc on a stream over fd): when
 * it is one fd received (the last, or the one before the last given back),
 * its next read is not new. A byte the program read out of the shim's sight
 * (an inlined getc_unlocked, fscanf) is new when read again. */
void ts_http_unread(int fd, uint64_t state, int c);
/* The same for a vectored call: the first `done` bytes of iov. */
void ts_http_iov(struct ts_thread *t, int fd, uint64_t state, enum ts_http_layer layer, int dir,
		 const struct iovec *iov, size_t cnt, int64_t done, uint64_t t0, uint64_t t1);
/* The same for `done` bytes the kernel moved without showing them (sendfile,
 * splice, copy_file_range): they are counted within a body whose length is
 * known, else the connection stops being followed. */
void ts_http_skip(struct ts_thread *t, int fd, uint64_t state, int dir, int64_t done, uint64_t t0,
		  uint64_t t1);
/* fd, whose state before the call was `state`, was closed at tick `at`: both
 * layers end. */
void ts_http_closed(struct ts_thread *t, int fd, uint64_t state, uint64_t at);
/* newfd (newstate: its ts_fd_state() now) was made a duplicate of fd (state)
 * by dup, dup2, dup3 or fcntl, or came so from the parent (inetd-style):
 * its calls go to the same connection, whose spans end when the last of them
 * is closed. */
void ts_http_dup(int fd, uint64_t state, int newfd, uint64_t newstate);
/* fd (state: its ts_fd_state() now) was connected to, or accepted from, the
 * peer at sa: its HTTP spans name it (kept per descriptor, no system call). */
struct sockaddr;
void ts_http_peer(int fd, uint64_t state, const struct sockaddr *sa, unsigned len);
/* The process exits (not an exec): its descriptors close, and with them
 * every connection it follows; what they had open ends at `at`, on t (a body
 * that lasts until the connection closes ends well). */
void ts_http_at_exit(struct ts_thread *t, uint64_t at);
/* A forked child: the parent's connections are not its own to end. */
void ts_http_after_fork(void);
/* The parent of a child just made (fork, posix_spawn): the connections with
 * an exchange open are the child's too; closing its own end, the parent
 * does not end them as failed (a CGI child answers a request its parent
 * read). */
void ts_http_forked(pid_t child);
/* The same for the connections a message the process sent over the Unix
 * socket fd carried (SCM_RIGHTS), to a worker started before, say (its pid
 * from SO_PEERCRED when that names another process, else -1: not known). */
void ts_http_sent_away(int fd, const struct msghdr *msg);

/* Adding traceparent to the requests the program sends (httpinject.c):
 * set at start from TRACESHIM_HTTP_INJECT, on by default. */
void ts_http_set_inject(bool on);
bool ts_http_injecting(void);
/* fd (state: its ts_fd_state() now) may still take a traceparent line: false
 * once its bytes were found not to be HTTP, so that its sends go straight
 * to the real call. */
bool ts_http_may_inject(int fd, uint64_t state);
/* How a wrapper's call sends a vector of bytes: the real sendmsg (with the
 * program's flags and address) or writev behind send, sendto or write. */
struct ts_http_sender {
	ssize_t (*vsend)(const struct ts_http_sender *self, int fd, const struct iovec *iov, int cnt);
};
/* A send of the cnt elements of iov (one for send, sendto and write) on a
 * socket that may carry HTTP/1 (the caller checked ts_http_watched() and
 * ts_http_injecting()): sends them through snd, with the shim's traceparent
 * line when the first element holds the whole head of a request beginning
 * there, records the call as op and feeds the sniffer. Returns what the
 * program's call returns (its own bytes), errno as the call left it. */
ssize_t ts_http_sendv(struct ts_thread *t, int fd, enum ts_op op, const struct iovec *iov, int cnt,
		      const struct ts_http_sender *snd);
/* How a TLS wrapper sends one plaintext buffer (SSL_write,
 * gnutls_record_send): > 0 the bytes taken, else the library's failure
 * value, returned to the program as it is. */
struct ts_http_tls_sender {
	ssize_t (*send)(const struct ts_http_tls_sender *self, const void *buf, size_t n);
};
/* The same for a TLS session on socket fd (the caller checked
 * ts_http_watched() and ts_http_injecting()): sends buf through snd, with the
 * line when it holds the whole head of a request beginning there (and the
 * whole is at most TS_HTTP_JOIN_MAX bytes); neither records nor feeds, which
 * the TLS call's own recording does (tlscall.h). Returns what the program's
 * call returns: its own bytes, or the library's failure value. */
ssize_t ts_http_tls_send(struct ts_thread *t, int fd, const void *buf, size_t n,
			 const struct ts_http_tls_sender *snd);

#endif
