/* An HTTPS client linked with GnuTLS, for the TLS tests: four requests on
 * one connection to 127.0.0.1:PORT (/a.txt, /missing, /sub/b.txt, then
 * /drop, which the server answers by closing the socket with no TLS close),
 * sent with gnutls_record_send and gnutls_record_send2; responses are read
 * with gnutls_record_recv and gnutls_record_recv_seq in turn. The session's
 * transport is the descriptor (gnutls_transport_set_int), or with "own" the
 * program's own (vectored) push and pull functions on a pointer of its own,
 * as curl's are, and reads of at most 1000 bytes (most of them then served from what
 * GnuTLS has buffered, moving nothing on the socket). Prints the responses,
 * errno after each call (0 before it) and how the last read failed, so that
 * the traced run can be compared. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tls_http.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <sys/uio.h>

static int own;   /* own transport functions, small reads */

struct conn {
	int fd;
};

static ssize_t push(gnutls_transport_ptr_t p, const giovec_t *iov, int n)
{
	return writev(((struct conn *)p)->fd, (const struct iovec *)iov, n);
}

static ssize_t pull(gnutls_transport_ptr_t p, void *data, size_t n)
{
	return recv(((struct conn *)p)->fd, data, n, 0);
}

static long rd(void *session, char *buf, size_t n, int round)
{
	gnutls_session_t s = session;
	if (own && n > 1000)
		n = 1000;
	unsigned char seq[8];
	ssize_t r;
	/* GnuTLS asks to be called again after a message that carries no data
	 * (TLS 1.3 session tickets), even on a blocking socket. */
	do {
		errno = 0;
		r = round % 2 == 0 ? gnutls_record_recv(s, buf, n) : gnutls_record_recv_seq(s, buf, n, seq);
		printf("read %d: %s, errno %d\n", round, r >= 0 ? "ok" : gnutls_strerror_name((int)r),
		       errno);
	} while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
	return (long)r;
}

static void request(gnutls_session_t s, int port, const char *path, int two)
{
	char req[256];
	int len = snprintf(req, sizeof req,
			   "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: tls_gnutls\r\n\r\n",
			   path, port);
	errno = 0;
	ssize_t r = two ? gnutls_record_send2(s, req, (size_t)len, 0, 0)
			: gnutls_record_send(s, req, (size_t)len);
	printf("write %s: %s, errno %d\n", path, r == len ? "ok" : "failed", errno);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "own"))) {
		fprintf(stderr, "usage: tls_gnutls PORT [own]\n");
		return 2;
	}
	int port = atoi(argv[1]);
	own = argc == 3;
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	if (gnutls_global_init() < 0 || gnutls_certificate_allocate_credentials(&cred) < 0 ||
	    gnutls_init(&s, GNUTLS_CLIENT) < 0 || gnutls_set_default_priority(s) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred) < 0) {
		fprintf(stderr, "gnutls set-up failed\n");
		return 2;
	}
	struct conn c = {connect_loopback(port)};
	int fd = c.fd;
	if (own) {
		gnutls_transport_set_ptr(s, &c);
		gnutls_transport_set_vec_push_function(s, push);
		gnutls_transport_set_pull_function(s, pull);
	} else {
		gnutls_transport_set_int(s, fd);
	}
	int r;
	do
		r = gnutls_handshake(s);
	while (r < 0 && !gnutls_error_is_fatal(r));
	if (r < 0) {
		fprintf(stderr, "handshake: %s\n", gnutls_strerror(r));
		return 2;
	}
	request(s, port, "/a.txt", 0);
	if (read_response(s, rd) != 0)
		return 1;
	request(s, port, "/missing", 1);
	if (read_response(s, rd) != 0)
		return 1;
	request(s, port, "/sub/b.txt", 0);
	if (read_response(s, rd) != 0)
		return 1;
	request(s, port, "/drop", 0);
	char buf[512];
	ssize_t n;
	int err;
	do {
		errno = 0;
		n = gnutls_record_recv(s, buf, sizeof buf);
		err = errno;
	} while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
	printf("drop: gnutls_record_recv %s, errno %d\n", n < 0 ? gnutls_strerror_name((int)n) : "data",
	       err);
	gnutls_deinit(s);
	close(fd);
	gnutls_certificate_free_credentials(cred);
	gnutls_global_deinit();
	return 0;
}
