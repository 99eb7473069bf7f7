/* Records become spans with the right names, ids and attributes. */
#include "check_main.h"
#include "clock.h"
#include "decode.h"
#include "fdinfo.h"
#include "fdstate.h"
#include "ids.h"
#include "ops.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

static const struct ts_attr *attr(const struct ts_span *s, const char *key)
{
	for (unsigned i = 0; i < s->nattrs; i++)
		if (!strcmp(s->attrs[i].key, key))
			return &s->attrs[i];
	return NULL;
}

static struct ts_rec rec(enum ts_op op, int fd, int64_t ret, int err)
{
	uint64_t t = ts_ticks();
	return (struct ts_rec){.t0 = t, .t1 = t + 100, .ret = ret, .arg = 64, .span = 5,
			       .parent = 1, .fd = fd, .fdgen = ts_fd_gen(fd), .op = (uint16_t)op,
			       .type = TS_REC_SPAN, .err = (int16_t)err,
			       .kind = ts_fd_state_kind(ts_fd_state(fd))};
}

static void setup(void)
{
	ts_clock_init(false);
	ts_ids_init();
	ts_fdinfo_reset();
}

START_TEST(read_of_file)
{
	setup();
	int fd = open("/proc/self/exe", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ts_fd_changed(fd);
	struct ts_rec r = rec(TS_OP_READ, fd, 10, 0);
	struct ts_span s;
	ts_decode_call(3, &r, NULL, 0, &s);
	ck_assert_str_eq(s.name, "read");
	ck_assert(s.span_id == ts_span_id(3, 5));
	ck_assert(s.parent_id == ts_span_id(3, 1));
	ck_assert_uint_ge(s.end_ns, s.start_ns);
	ck_assert_int_eq(attr(&s, "traceshim.fd")->v.i, fd);
	ck_assert_str_eq(attr(&s, "traceshim.fd.type")->v.s, "file");
	ck_assert_ptr_nonnull(attr(&s, "file.path"));
	ck_assert_int_eq(attr(&s, "traceshim.io.requested")->v.i, 64);
	ck_assert_int_eq(attr(&s, "traceshim.io.bytes")->v.i, 10);
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);
	close(fd);
}
END_TEST

START_TEST(failure_sets_error)
{
	setup();
	struct ts_rec r = rec(TS_OP_OPEN, -1, -1, ENOENT);
	const char path[] = "/no/such/file";
	r.ext = 1;
	r.aux = sizeof path - 1;
	struct ts_span s;
	ts_decode_call(1, &r, (const uint8_t *)path, sizeof path - 1, &s);
	ck_assert_str_eq(s.name, "open");
	ck_assert_int_eq(s.status, TS_STATUS_ERROR);
	ck_assert_str_eq(s.error_type, "ENOENT");
	ck_assert_str_eq(attr(&s, "error.type")->v.s, "ENOENT");
	ck_assert_str_eq(attr(&s, "file.path")->v.s, "/no/such/file");
	ck_assert_str_eq(s.status_message, strerror(ENOENT));
}
END_TEST

START_TEST(eagain_is_not_an_error)
{
	setup();
	struct ts_rec r = rec(TS_OP_RECV, 99, -1, EAGAIN);
	struct ts_span s;
	ts_decode_call(1, &r, NULL, 0, &s);
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);
	ck_assert_ptr_null(attr(&s, "error.type"));
	ck_assert_str_eq(attr(&s, "traceshim.errno")->v.s, "EAGAIN");
	ck_assert_ptr_null(attr(&s, "traceshim.io.bytes"));
}
END_TEST

START_TEST(connect_describes_peer)
{
	setup();
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(8080)};
	sa.sin_addr.s_addr = htonl(0x7f000001);
	ts_fd_made(7, TS_FD_SOCKET, ts_transport_of(AF_INET, SOCK_STREAM));
	struct ts_rec r = rec(TS_OP_CONNECT, 7, 0, 0);
	struct ts_span s;
	ts_decode_call(1, &r, (const uint8_t *)&sa, sizeof sa, &s);
	ck_assert_int_eq(s.kind, TS_KIND_CLIENT);
	ck_assert_str_eq(attr(&s, "network.peer.address")->v.s, "127.0.0.1");
	ck_assert_int_eq(attr(&s, "network.peer.port")->v.i, 8080);
	ck_assert_str_eq(attr(&s, "network.transport")->v.s, "tcp");
	ck_assert_str_eq(attr(&s, "network.type")->v.s, "ipv4");
}
END_TEST

/* The IPv4 text is written without inet_ntop(): the same text, every octet
 * width and the ends of the range. */
START_TEST(ipv4_text_as_inet_ntop)
{
	static const uint32_t addrs[] = {0, 0xffffffff, 0x7f000001, 0x0a006409, 0xc0a80164,
					 0x01020304, 0x090a6364, 0xfe0affa0};
	for (size_t i = 0; i < sizeof addrs / sizeof *addrs + 2000; i++) {
		uint32_t a = i < sizeof addrs / sizeof *addrs ? addrs[i] : (uint32_t)(i * 2654435761u);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(443)};
		sa.sin_addr.s_addr = htonl(a);
		struct ts_fdinfo info;
		memset(&info, 'x', sizeof info);
		ck_assert(ts_sockaddr_describe((const struct sockaddr *)&sa, sizeof sa, &info));
		char want[INET_ADDRSTRLEN];
		ck_assert_ptr_nonnull(inet_ntop(AF_INET, &sa.sin_addr, want, sizeof want));
		ck_assert_str_eq(info.path, want);
		ck_assert_uint_eq(info.port, 443);
	}
}
END_TEST

START_TEST(thread_create_links_to_child)
{
	setup();
	struct ts_rec r = rec(TS_OP_PTHREAD_CREATE, -1, 0, 0);
	struct ts_span s;
	ts_decode_call(2, &r, NULL, 0, &s);
	ck_assert(s.flow_out == s.span_id);
	r.ret = EAGAIN;
	ts_decode_call(2, &r, NULL, 0, &s);
	ck_assert(s.flow_out == 0);
	ck_assert_str_eq(attr(&s, "traceshim.errno")->v.s, "EAGAIN");
}
END_TEST

/* A TLS call: its socket when known, the library's code when it failed. */
static struct ts_span tls_call(enum ts_op op, int fd, int64_t ret, int32_t code, int err)
{
	struct ts_rec r = rec(op, fd, ret, err);
	r.aux2 = (uint32_t)code;
	struct ts_span s;
	ts_decode_call(1, &r, NULL, 0, &s);
	return s;
}

START_TEST(tls_calls)
{
	setup();
	struct ts_span s = tls_call(TS_OP_SSL_READ, -1, 17, 0, 0);
	ck_assert_str_eq(s.name, "SSL_read");
	ck_assert_ptr_null(attr(&s, "traceshim.fd"));   /* a session on no socket */
	ck_assert_int_eq(attr(&s, "traceshim.io.requested")->v.i, 64);
	ck_assert_int_eq(attr(&s, "traceshim.io.bytes")->v.i, 17);
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);

	/* Try again (SSL_ERROR_WANT_READ): no error. */
	s = tls_call(TS_OP_SSL_WRITE, -1, -1, 2, 0);
	ck_assert_str_eq(s.name, "SSL_write");
	ck_assert_ptr_null(attr(&s, "traceshim.io.bytes"));
	ck_assert_str_eq(attr(&s, "traceshim.tls.error")->v.s, "SSL_ERROR_WANT_READ");
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);

	/* A protocol failure (SSL_ERROR_SSL). */
	s = tls_call(TS_OP_SSL_PEEK, -1, -1, 1, 0);
	ck_assert_str_eq(s.name, "SSL_peek");
	ck_assert_int_eq(s.status, TS_STATUS_ERROR);
	ck_assert_str_eq(attr(&s, "error.type")->v.s, "SSL_ERROR_SSL");

	/* The socket underneath failed (SSL_ERROR_SYSCALL): its errno. */
	s = tls_call(TS_OP_SSL_READ, -1, -1, 5, ECONNRESET);
	ck_assert_str_eq(attr(&s, "traceshim.tls.error")->v.s, "SSL_ERROR_SYSCALL");
	ck_assert_str_eq(attr(&s, "error.type")->v.s, "ECONNRESET");
	ck_assert_int_eq(s.status, TS_STATUS_ERROR);

	/* GnuTLS: GNUTLS_E_AGAIN is no error; GNUTLS_E_PULL_ERROR with EAGAIN
	 * neither; a premature end is; an unknown code by number. */
	s = tls_call(TS_OP_GNUTLS_RECV, -1, -1, -28, 0);
	ck_assert_str_eq(s.name, "gnutls_record_recv");
	ck_assert_str_eq(attr(&s, "traceshim.tls.error")->v.s, "GNUTLS_E_AGAIN");
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);
	s = tls_call(TS_OP_GNUTLS_RECV, -1, -1, -54, EAGAIN);
	ck_assert_str_eq(attr(&s, "traceshim.errno")->v.s, "EAGAIN");
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);
	s = tls_call(TS_OP_GNUTLS_SEND, -1, -1, -110, 0);
	ck_assert_str_eq(s.name, "gnutls_record_send");
	ck_assert_str_eq(s.error_type, "GNUTLS_E_PREMATURE_TERMINATION");
	ck_assert_int_eq(s.status, TS_STATUS_ERROR);
	s = tls_call(TS_OP_GNUTLS_SEND, -1, -1, -9999, 0);
	ck_assert_str_eq(attr(&s, "traceshim.tls.error")->v.s, "GNUTLS_E -9999");
	ck_assert_str_eq(attr(&s, "error.type")->v.s, "GNUTLS_E");
	ck_assert_int_eq(s.status, TS_STATUS_ERROR);
}
END_TEST

TS_CHECK_SUITE("decode",
	       read_of_file,
	       failure_sets_error,
	       eagain_is_not_an_error,
	       connect_describes_peer,
	       ipv4_text_as_inet_ntop,
	       thread_create_links_to_child,
	       tls_calls)
