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
#include <stdio.h>
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
	ck_assert(s.call && s.family == TS_FAM_IO);   /* what roll-ups decide by */
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

/* The record of a call on fd's generation gen, as the wrappers write it: an
 * open's descriptor has kind 0 (the type is found on the drain side). */
static struct ts_span call_on(enum ts_op op, int fd, uint32_t gen, uint8_t kind, const char *path)
{
	struct ts_rec r = rec(op, op == TS_OP_OPEN ? -1 : fd, op == TS_OP_OPEN ? fd : 0, 0);
	r.fdgen = gen;
	r.kind = kind;
	unsigned len = path ? (unsigned)strlen(path) : 0;
	r.ext = (uint8_t)((len + TS_REC_SIZE - 1) / TS_REC_SIZE);
	r.aux = len;
	struct ts_span s;
	ts_decode_call(1, &r, (const uint8_t *)path, len, &s);
	return s;
}

static void assert_file(const struct ts_span *s, const char *path)
{
	ck_assert_ptr_nonnull(attr(s, "traceshim.fd.type"));
	ck_assert_str_eq(attr(s, "traceshim.fd.type")->v.s, "file");
	ck_assert_ptr_nonnull(attr(s, "file.path"));
	ck_assert_str_eq(attr(s, "file.path")->v.s, path);
}

/* Two threads open, write and close a file under the same number, one
 * after the other; the drainer reads the second thread's ring first (rings
 * are read one after another, not in time order). Each generation keeps its
 * own file, also when the first thread's ring is read in two cycles. */
START_TEST(rings_read_out_of_order_keep_each_generation)
{
	setup();
	const int fd = 600;   /* not open here: nothing to ask the kernel */
	const char *a_path = "/nonexistent/thread0.txt", *b_path = "/nonexistent/thread1.txt";
	uint32_t a = ts_fd_changed(fd);   /* thread A's open */
	ts_fd_changed(fd);                /* its close */
	uint32_t b = ts_fd_changed(fd);   /* thread B's open */
	ts_fd_changed(fd);

	struct ts_span s = call_on(TS_OP_OPEN, fd, b, 0, b_path);
	assert_file(&s, b_path);
	s = call_on(TS_OP_WRITE, fd, b, 0, NULL);
	assert_file(&s, b_path);

	s = call_on(TS_OP_OPEN, fd, a, 0, a_path);
	assert_file(&s, a_path);
	s = call_on(TS_OP_WRITE, fd, a, 0, NULL);
	assert_file(&s, a_path);
	s = call_on(TS_OP_CLOSE, fd, a, 0, NULL);
	assert_file(&s, a_path);
	s = call_on(TS_OP_CLOSE, fd, b, 0, NULL);
	assert_file(&s, b_path);

	/* A's ring read up to its open, then B's, then the rest of A's. */
	ts_fdinfo_reset();
	s = call_on(TS_OP_OPEN, fd, a, 0, a_path);
	assert_file(&s, a_path);
	s = call_on(TS_OP_OPEN, fd, b, 0, b_path);
	assert_file(&s, b_path);
	s = call_on(TS_OP_WRITE, fd, a, 0, NULL);
	assert_file(&s, a_path);
	s = call_on(TS_OP_WRITE, fd, b, 0, NULL);
	assert_file(&s, b_path);

	/* Many generations of the number, every open read before any write. */
	ts_fdinfo_reset();
	enum { GENS = 32 };
	uint32_t gens[GENS];
	char paths[GENS][40];
	for (int i = 0; i < GENS; i++) {
		gens[i] = ts_fd_changed(fd);
		ts_fd_changed(fd);
		snprintf(paths[i], sizeof paths[i], "/nonexistent/file%d", i);
	}
	for (int i = GENS - 1; i >= 0; i--) {
		s = call_on(TS_OP_OPEN, fd, gens[i], 0, paths[i]);
		assert_file(&s, paths[i]);
	}
	for (int i = 0; i < GENS; i++) {
		s = call_on(TS_OP_WRITE, fd, gens[i], 0, NULL);
		assert_file(&s, paths[i]);
	}
}
END_TEST

/* A generation no open was read for (closed before the drain) is what its
 * records' kind says, never what another generation of the number was. */
START_TEST(unseen_generation_gets_no_other_generations_file)
{
	setup();
	const int fd = 601;
	uint32_t old = ts_fd_changed(fd);
	ts_fd_changed(fd);
	uint32_t cur = ts_fd_changed(fd);
	uint32_t later = cur + 1;
	struct ts_span s = call_on(TS_OP_OPEN, fd, cur, 0, "/nonexistent/current");
	assert_file(&s, "/nonexistent/current");

	s = call_on(TS_OP_WRITE, fd, old, 0, NULL);
	ck_assert_ptr_null(attr(&s, "traceshim.fd.type"));
	ck_assert_ptr_null(attr(&s, "file.path"));
	s = call_on(TS_OP_WRITE, fd, later, 0, NULL);
	ck_assert_ptr_null(attr(&s, "traceshim.fd.type"));
	ck_assert_ptr_null(attr(&s, "file.path"));

	uint8_t pipe_kind = ts_fd_kind(TS_FD_PIPE, 0);
	s = call_on(TS_OP_WRITE, fd, old - 1, pipe_kind, NULL);
	ck_assert_str_eq(attr(&s, "traceshim.fd.type")->v.s, "pipe");
	ck_assert_ptr_null(attr(&s, "file.path"));

	/* None of those lookups touched the current one's description. */
	s = call_on(TS_OP_WRITE, fd, cur, 0, NULL);
	assert_file(&s, "/nonexistent/current");
}
END_TEST


/* What a span's descriptor block says (span.h), as text, for comparing. */
static void block_text(const struct ts_span *s, char *out, size_t size)
{
	size_t at = 0;
	out[0] = 0;
	for (unsigned i = s->desc_first; i < s->desc_first + s->desc_count && at < size; i++) {
		const struct ts_attr *a = &s->attrs[i];
		int n = a->type == TS_VAL_INT ? snprintf(out + at, size - at, "%s=%lld;", a->key,
							 (long long)a->v.i) :
			a->type == TS_VAL_STR ? snprintf(out + at, size - at, "%s=%s;", a->key, a->v.s) :
						snprintf(out + at, size - at, "%s?;", a->key);
		at += n > 0 ? (size_t)n : 0;
	}
}

/* Every descriptor block a number (desc_stamp) was seen with, checked to say
 * the same each time: an encoder copies the block it keeps for the number. */
enum { SEEN_MAX = 4096 };
static struct seen_block {
	uint64_t stamp;
	char text[200];
} seen[SEEN_MAX];
static unsigned nseen;

static uint64_t check_block(const struct ts_span *s)
{
	ck_assert_uint_ne(s->desc_stamp, 0);
	ck_assert_uint_gt(s->desc_count, 0);
	ck_assert_uint_le(s->desc_first + s->desc_count, s->nattrs);
	char text[200];
	block_text(s, text, sizeof text);
	for (unsigned i = 0; i < nseen; i++)
		if (seen[i].stamp == s->desc_stamp) {
			ck_assert_str_eq(seen[i].text, text);
			return s->desc_stamp;
		}
	ck_assert_uint_lt(nseen, SEEN_MAX);
	seen[nseen].stamp = s->desc_stamp;
	snprintf(seen[nseen].text, sizeof seen[nseen].text, "%s", text);
	nseen++;
	return s->desc_stamp;
}

/* A description's number follows the generation it describes: kept when
 * the generation is moved to the older ones, another when a generation is
 * described again or a new one takes the number; never the same number for
 * two descriptions, even as older generations are forgotten and described
 * again by their kind alone. */
START_TEST(description_stamps_follow_generations)
{
	setup();
	nseen = 0;
	const int fd = 602;
	uint32_t a = ts_fd_changed(fd);
	ts_fd_changed(fd);
	uint32_t b = ts_fd_changed(fd);
	ts_fd_changed(fd);
	uint32_t c = ts_fd_changed(fd);
	ts_fd_changed(fd);

	struct ts_span s = call_on(TS_OP_OPEN, fd, b, 0, "/nonexistent/b");
	s = call_on(TS_OP_WRITE, fd, b, 0, NULL);
	uint64_t sb = check_block(&s);
	s = call_on(TS_OP_OPEN, fd, a, 0, "/nonexistent/a");   /* an older one, read late */
	s = call_on(TS_OP_WRITE, fd, a, 0, NULL);
	assert_file(&s, "/nonexistent/a");
	uint64_t sa = check_block(&s);
	ck_assert_uint_ne(sa, sb);
	s = call_on(TS_OP_WRITE, fd, b, 0, NULL);
	ck_assert_uint_eq(check_block(&s), sb);

	/* b described again: a new number. */
	s = call_on(TS_OP_OPEN, fd, b, 0, "/nonexistent/b2");
	s = call_on(TS_OP_WRITE, fd, b, 0, NULL);
	assert_file(&s, "/nonexistent/b2");
	uint64_t sb2 = check_block(&s);
	ck_assert_uint_ne(sb2, sb);

	/* c takes the number: b moves to the older ones with its description. */
	s = call_on(TS_OP_OPEN, fd, c, 0, "/nonexistent/c");
	s = call_on(TS_OP_WRITE, fd, c, 0, NULL);
	uint64_t sc = check_block(&s);
	ck_assert(sc != sa && sc != sb && sc != sb2);
	s = call_on(TS_OP_WRITE, fd, b, 0, NULL);
	assert_file(&s, "/nonexistent/b2");
	ck_assert_uint_eq(check_block(&s), sb2);
	s = call_on(TS_OP_WRITE, fd, a, 0, NULL);
	ck_assert_uint_eq(check_block(&s), sa);

	/* The same description for another number (dup): another number. */
	ts_fdinfo_alias(fd, c, 0, fd + 1, ts_fd_changed(fd + 1));
	s = call_on(TS_OP_WRITE, fd + 1, ts_fd_gen(fd + 1), 0, NULL);
	assert_file(&s, "/nonexistent/c");
	ck_assert_uint_ne(check_block(&s), sc);

	/* Many generations, more than the older ones kept: those forgotten are
	 * described again by their kind, each time under a new number. */
	enum { GENS = 3000 };   /* 1000 described: more than the older ones kept */
	static uint32_t gens[GENS];
	uint8_t pipe_kind = ts_fd_kind(TS_FD_PIPE, 0);
	for (int i = 0; i < GENS; i++) {
		gens[i] = ts_fd_changed(fd);
		ts_fd_changed(fd);
	}
	for (int round = 0; round < 2; round++)
		for (int i = GENS - 1; i >= 0; i -= 3) {
			s = call_on(TS_OP_WRITE, fd, gens[i], pipe_kind, NULL);
			check_block(&s);
			s = call_on(TS_OP_WRITE, fd, gens[i], pipe_kind, NULL);
			check_block(&s);
		}
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
	       rings_read_out_of_order_keep_each_generation,
	       unseen_generation_gets_no_other_generations_file,
	       description_stamps_follow_generations,
	       tls_calls)
