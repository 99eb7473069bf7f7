/* Facts the drain side needs travel in records: a thread's start routine
 * name in its begin record, each stack frame's module (file and load bias)
 * in module records, stdin/stdout/stderr in descriptor records. The drain
 * side is run on those records here, and given records about a library this
 * process never loaded, to show it asks nothing of the current process. */
#include "check_main.h"
#include "config.h"
#include "cpusample.h"
#include "drain.h"
#include "exception.h"
#include "fdinfo.h"
#include "fdstate.h"
#include "inherited.h"
#include "modules.h"
#include "record.h"
#include "symbols.h"
#include "procinfo.h"
#include "thread.h"
#include "tracks.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *local_lib(void)
{
	const char *path = getenv("TS_LOCAL_LIB");
	ck_assert_msg(path != NULL, "TS_LOCAL_LIB must name the test library");
	return path;
}

/* The calling thread registered as one started by pthread_create with
 * start routine fn, exporters off: the drain side only decodes. */
static struct ts_thread *start_thread(void *fn)
{
	ts_cfg.pool_chunks = 64;
	ts_cfg.perfetto = false;
	atomic_store(&ts_active, 1);
	struct ts_thread_link link = {.creator_index = 1, .creator_span = 2, .child_index = 3};
	struct ts_thread *t = ts_thread_start(&link, fn);
	ck_assert_ptr_nonnull(t);
	return t;
}

static __attribute__((noinline)) int static_function(int x)
{
	return x * 3 + 1;
}

START_TEST(thread_begin_carries_the_start_routine_name)
{
	void *h = dlopen(local_lib(), RTLD_NOW | RTLD_LOCAL);
	ck_assert_ptr_nonnull(h);
	void *fn = dlsym(h, "tslocal_answer");
	ck_assert_ptr_nonnull(fn);
	struct ts_thread *t = start_thread(fn);
	const struct ts_rec *r = ts_ring_at(&t->ring, t->ring.pool, 0);
	ck_assert_uint_eq(r->type, TS_REC_THREAD_BEGIN);
	ck_assert_uint_eq(r->aux, 1);   /* the creator stays in aux/aux2 */
	ck_assert_uint_eq(r->aux2, 2);
	ck_assert_uint_ge(r->ext, 1);
	ck_assert_str_eq((const char *)ts_ring_at(&t->ring, t->ring.pool, 1), "tslocal_answer");

	/* The drain side names the thread span from the payload. */
	struct ts_track_ctx c = {0};
	ts_drain_ring(&c, t);
	ck_assert_str_eq(c.span_name, "tslocal_answer");
	ts_cpu_forget(&c);   /* the drain side's state of the thread */
}
END_TEST

START_TEST(thread_begin_without_a_name_is_a_thread)
{
	/* Not in a dynamic symbol table: no name, as dladdr() would give. */
	struct ts_thread *t = start_thread((void *)static_function);
	ck_assert_uint_eq(ts_ring_at(&t->ring, t->ring.pool, 0)->ext, 0);
	struct ts_track_ctx c = {0};
	ts_drain_ring(&c, t);
	ck_assert_str_eq(c.span_name, "");
	ts_cpu_forget(&c);   /* the drain side's state of the thread */
}
END_TEST

START_TEST(modules_name_the_file_and_bias_of_an_address)
{
	ts_modules_refresh();
	struct ts_module m;
	ck_assert(ts_modules_find((uintptr_t)static_function, &m));
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(m.path_len, (unsigned)n);
	ck_assert(!memcmp(m.path, exe, (size_t)n));
	/* And the drain side finds a static function from (file, pc - bias). */
	exe[n] = 0;
	uint64_t start = 0;
	const char *name = ts_symbols_in_file(exe, (uintptr_t)static_function + 2 - m.bias, &start);
	ck_assert_ptr_nonnull(name);
	ck_assert_str_eq(name, "static_function");
	ck_assert_uint_eq(start, (uintptr_t)static_function - m.bias);
	ck_assert_int_eq(static_function(1), 4);
}
END_TEST

/* Where tslocal_answer lies in its file, learnt by a child process that
 * loads the library, so this one never does. */
static uint64_t offset_in_other_process(const char *path)
{
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		void *fn = h ? dlsym(h, "tslocal_answer") : NULL;
		Dl_info info;
		struct link_map *lm = NULL;
		uint64_t off = 0;
		if (fn && dladdr1(fn, &info, (void **)&lm, RTLD_DL_LINKMAP) && lm)
			off = (uintptr_t)fn - lm->l_addr;
		_exit(write(fds[1], &off, sizeof off) == sizeof off ? 0 : 1);
	}
	close(fds[1]);
	uint64_t off = 0;
	ck_assert_int_eq(read(fds[0], &off, sizeof off), sizeof off);
	close(fds[0]);
	int st;
	waitpid(pid, &st, 0);
	ck_assert_uint_ne(off, 0);
	return off;
}

START_TEST(symbolizes_a_module_this_process_never_loaded)
{
	const char *path = local_lib();
	uint64_t off = offset_in_other_process(path);
	ck_assert_ptr_null(dlopen(path, RTLD_NOW | RTLD_NOLOAD));
	uint64_t bias = 0x7f1234560000ull;
	uint64_t ips[2] = {bias + off + 4, bias + off + 5};
	uint16_t mods[2] = {9, 0};
	char out[512];
	ts_symbols_format(ips, mods, 2, out, sizeof out);
	/* Without the module record nothing is known. */
	ck_assert_ptr_nonnull(strstr(out, "#0 0x"));
	ck_assert_ptr_null(strstr(out, "tslocal_answer"));

	ts_symbols_module(9, bias, path, (unsigned)strlen(path));
	ts_symbols_format(ips, mods, 2, out, sizeof out);
	ck_assert_msg(strstr(out, "#0 tslocal_answer+0x4 (libtslocal.so)\n") == out, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "#1 0x"));   /* frame 1 names no module */
	ck_assert_ptr_null(dlopen(path, RTLD_NOW | RTLD_NOLOAD));
}
END_TEST

START_TEST(exception_records_carry_their_modules)
{
	struct ts_thread *t = start_thread(NULL);
	ts_modules_refresh();
	uint64_t ips[2] = {(uintptr_t)static_function + 1, (uintptr_t)static_function + 3};
	ts_record_exception(t, SIGSEGV, 1, 0, false, ips, 2, NULL);
	/* One module record (both frames are in this program), then the event. */
	uint64_t head = atomic_load(&t->ring.head);
	unsigned modules = 0;
	for (uint64_t i = 0; i < head; i += 1 + ts_ring_at(&t->ring, t->ring.pool, i)->ext)
		modules += ts_ring_at(&t->ring, t->ring.pool, i)->type == TS_REC_MODULE;
	ck_assert_uint_eq(modules, 1);
	ts_record_exception(t, SIGSEGV, 1, 0, false, ips, 2, NULL);
	unsigned again = 0;
	for (uint64_t i = head; i < atomic_load(&t->ring.head); i += 1 + ts_ring_at(&t->ring, t->ring.pool, i)->ext)
		again += ts_ring_at(&t->ring, t->ring.pool, i)->type == TS_REC_MODULE;
	ck_assert_uint_eq(again, 0);   /* once per ring */

	struct ts_track_ctx c = {0};
	ts_drain_ring(&c, t);
	struct ts_span s = {0};
	ts_exception_attach(&c, 0, &s);
	ck_assert_uint_eq(s.nevents, 2);
	const char *stack = NULL;
	for (unsigned i = 0; i < s.events[0].nattrs; i++)
		if (!strcmp(s.events[0].attrs[i].key, "exception.stacktrace"))
			stack = s.events[0].attrs[i].v.s;
	ck_assert_ptr_nonnull(stack);
	ck_assert_msg(strstr(stack, "#0 static_function+0x1 (test_records)\n") == stack, "%s", stack);
	ck_assert_ptr_nonnull(strstr(stack, "#1 static_function+0x3 (test_records)\n"));
	ts_exception_done(&c);
	ts_exception_forget(&c);
	ts_cpu_forget(&c);   /* the drain side's state of the thread */
}
END_TEST

START_TEST(stdio_is_described_in_records)
{
	char path[] = "/tmp/ts_records_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, 0), 0);
	close(fd);
	ts_inherited_describe();
	struct ts_thread *t = start_thread(NULL);
	uint32_t gen = ts_fd_gen(0);
	/* Closed before the drain, as coreutils does: only the record knows. */
	close(0);
	unlink(path);
	struct ts_track_ctx c = {0};
	ts_drain_ring(&c, t);
	const struct ts_fdinfo *info = ts_fdinfo_get(0, gen, 0);
	ck_assert_ptr_nonnull(info);
	ck_assert_str_eq(ts_fd_type_name(info->type), "file");
	ck_assert_str_eq(info->path, path);
	ts_cpu_forget(&c);   /* the drain side's state of the thread */
}
END_TEST

START_TEST(stdio_socket_peer_is_in_the_record)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(dup2(sv[0], 1), 1);
	ts_inherited_describe();
	struct ts_thread *t = start_thread(NULL);
	uint32_t gen = ts_fd_gen(1);
	close(1);
	struct ts_track_ctx c = {0};
	ts_drain_ring(&c, t);
	const struct ts_fdinfo *info = ts_fdinfo_get(1, gen, 0);
	ck_assert_ptr_nonnull(info);
	ck_assert_str_eq(ts_fd_type_name(info->type), "socket");
	ck_assert_str_eq(ts_transport_name(info->transport), "unix");
	ts_cpu_forget(&c);   /* the drain side's state of the thread */
}
END_TEST

/* One thread's ring may be read after another's that saw the number reused:
 * an accept read late must not lose the newer connection's peer. */
START_TEST(an_older_generation_read_late_keeps_the_newer_description)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(4242),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	uint8_t tcp = ts_fd_kind(TS_FD_SOCKET, 1);
	ts_fdinfo_set_peer(900, 7, tcp, (const struct sockaddr *)&a, sizeof a);
	/* The closing of generation 6, read afterwards. */
	const struct ts_fdinfo *old = ts_fdinfo_get(900, 6, tcp);
	ck_assert_ptr_nonnull(old);
	ck_assert_str_eq(old->path, "");
	ts_fdinfo_set_path(900, 5, "/an/old/file", TS_FD_FILE);
	const struct ts_fdinfo *now = ts_fdinfo_get(900, 7, tcp);
	ck_assert_ptr_nonnull(now);
	ck_assert_str_eq(now->path, "127.0.0.1");
	ck_assert_int_eq(now->port, 4242);
}
END_TEST

START_TEST(target_pid_is_this_process_unless_set)
{
	ck_assert_int_eq(ts_proc_pid(), getpid());
	ts_proc_set(getpid() + 1, 1, "/bin/x", "x", 2);
	ck_assert_int_eq(ts_proc_pid(), getpid() + 1);
	ck_assert_str_eq(ts_proc_exe(), "/bin/x");
	ts_proc_set(0, 0, "", "", 0);
	ck_assert_int_eq(ts_proc_pid(), getpid());
}
END_TEST

TS_CHECK_SUITE("records", thread_begin_carries_the_start_routine_name,
	       thread_begin_without_a_name_is_a_thread, modules_name_the_file_and_bias_of_an_address,
	       symbolizes_a_module_this_process_never_loaded, exception_records_carry_their_modules,
	       stdio_is_described_in_records, stdio_socket_peer_is_in_the_record,
	       an_older_generation_read_late_keeps_the_newer_description,
	       target_pid_is_this_process_unless_set)
