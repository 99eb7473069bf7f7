/* The file-metadata calls (family fs): which failed stat is a miss of a PATH
 * walk, how two paths share one payload, and what the records become once
 * decoded (recordfs.c, decode_fs.c), from records made on a real ring. */
#include "check_main.h"
#include "clock.h"
#include "config.h"
#include "decode.h"
#include "fdinfo.h"
#include "fdstate.h"
#include "ids.h"
#include "recordfs.h"
#include "thread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool walk(const char *dirs, const char *path)
{
	return ts_path_walk_match(dirs, strlen(dirs), path, strlen(path));
}

START_TEST(a_walk_miss_is_a_name_in_a_path_directory)
{
	const char *dirs = "/usr/local/bin:/usr/bin/:/opt/x//";
	ck_assert(walk(dirs, "/usr/local/bin/nosuch"));
	ck_assert(walk(dirs, "/usr/bin/nosuch"));
	ck_assert(walk(dirs, "/usr/bin//nosuch"));   /* dash joins "/usr/bin/" and the name */
	ck_assert(walk(dirs, "/opt/x/nosuch"));
	ck_assert(!walk(dirs, "/usr/nosuch"));
	ck_assert(!walk(dirs, "/usr/bin/sub/nosuch"));   /* a name has no slash */
	ck_assert(!walk(dirs, "/usr/local/binx/nosuch"));
	ck_assert(!walk(dirs, "/usr/bin/"));
	ck_assert(!walk(dirs, "nosuch"));
	ck_assert(!walk(dirs, "./nosuch"));
	ck_assert(!walk(dirs, ""));
	/* The root, and an empty entry: the current directory, as dash ("name")
	 * and bash ("./name") spell it. */
	ck_assert(walk("/bin:/", "/nosuch"));
	ck_assert(!walk("/bin", "/nosuch"));
	ck_assert(walk("/bin::/usr/bin", "nosuch"));
	ck_assert(walk("/bin:", "./nosuch"));
	ck_assert(walk(":/bin", "nosuch"));
	ck_assert(walk("/bin:.", "./nosuch"));
	ck_assert(!walk("/bin:.", "nosuch"));
}
END_TEST

START_TEST(two_paths_share_the_payload)
{
	char buf[64];
	unsigned first = 99;
	ck_assert_uint_eq(ts_fs_pack2(buf, sizeof buf, "from", "to/here", &first), 11);
	ck_assert_uint_eq(first, 4);
	ck_assert(!memcmp(buf, "fromto/here", 11));
	ck_assert_uint_eq(ts_fs_pack2(buf, sizeof buf, NULL, "x", &first), 1);
	ck_assert_uint_eq(first, 0);
	/* Both long: half each; one short: the other takes the rest. */
	char a[100], b[100];
	memset(a, 'a', sizeof a - 1);
	memset(b, 'b', sizeof b - 1);
	a[99] = b[99] = 0;
	ck_assert_uint_eq(ts_fs_pack2(buf, sizeof buf, a, b, &first), 64);
	ck_assert_uint_eq(first, 32);
	ck_assert_int_eq(buf[31], 'a');
	ck_assert_int_eq(buf[32], 'b');
	ck_assert_uint_eq(ts_fs_pack2(buf, sizeof buf, "abc", b, &first), 64);
	ck_assert_uint_eq(first, 3);
	ck_assert_uint_eq(ts_fs_pack2(buf, sizeof buf, a, "xyz", &first), 64);
	ck_assert_uint_eq(first, 61);
}
END_TEST

static struct ts_thread *thread(void)
{
	ts_clock_init(false);
	ts_ids_init();
	ts_fdinfo_reset();
	ts_cfg.pool_chunks = 64;
	ts_cfg.perfetto = false;
	atomic_store(&ts_active, 1);
	struct ts_thread_link link = {.creator_index = 1, .creator_span = 2, .child_index = 3};
	struct ts_thread *t = ts_thread_start(&link, NULL);
	ck_assert_ptr_nonnull(t);
	return t;
}

/* The span the record at ring position `at` decodes to. */
static struct ts_span span_at(struct ts_thread *t, uint64_t at)
{
	ck_assert_uint_gt(atomic_load(&t->ring.head), at);
	const struct ts_rec *r = ts_ring_at(&t->ring, t->ring.pool, at);
	ck_assert_uint_eq(r->type, TS_REC_SPAN);
	unsigned len = r->aux < r->ext * TS_REC_SIZE ? r->aux : r->ext * TS_REC_SIZE;
	struct ts_span s;
	ts_decode_call(3, r, (const uint8_t *)(r + 1), len, &s);
	return s;
}

static const struct ts_attr *attr(const struct ts_span *s, const char *key)
{
	for (unsigned i = 0; i < s->nattrs; i++)
		if (!strcmp(s->attrs[i].key, key))
			return &s->attrs[i];
	return NULL;
}

static const char *str(const struct ts_span *s, const char *key)
{
	const struct ts_attr *a = attr(s, key);
	return a ? a->v.s : NULL;
}

/* A failed path call recorded with errno err; errno is as it was after. */
static struct ts_span failed(struct ts_thread *t, enum ts_op op, int dirfd, const char *path,
			     bool walks, int err)
{
	uint64_t at = atomic_load(&t->ring.head);
	errno = err;
	ts_record_path(t, op, dirfd, path, walks, -1, ts_ticks(), ts_ticks());
	ck_assert_int_eq(errno, err);
	return span_at(t, at);
}

START_TEST(a_failed_stat_is_an_error_unless_a_walk_missed)
{
	setenv("PATH", "/opt/none/bin:/usr/bin:", 1);
	ts_fs_capture_path();
	struct ts_thread *t = thread();
	struct ts_span s = failed(t, TS_OP_STAT, AT_FDCWD, "/nonexistent", true, ENOENT);
	ck_assert_str_eq(s.name, "stat");
	ck_assert_str_eq(str(&s, "file.path"), "/nonexistent");
	ck_assert_int_eq(s.status, TS_STATUS_ERROR);
	ck_assert_str_eq(str(&s, "error.type"), "ENOENT");
	ck_assert_ptr_null(attr(&s, "traceshim.dirfd"));

	s = failed(t, TS_OP_STAT, AT_FDCWD, "/opt/none/bin/cmd", true, ENOENT);
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);
	ck_assert_ptr_null(attr(&s, "error.type"));
	ck_assert_str_eq(str(&s, "traceshim.errno"), "ENOENT");
	ck_assert_str_eq(str(&s, "file.path"), "/opt/none/bin/cmd");
	s = failed(t, TS_OP_ACCESS, AT_FDCWD, "/usr/bin/cmd", true, ENOTDIR);
	ck_assert_str_eq(str(&s, "traceshim.errno"), "ENOTDIR");
	s = failed(t, TS_OP_FACCESSAT, AT_FDCWD, "cmd", true, ENOENT);   /* the empty entry */
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);

	/* Not a walk: another error, another call, another directory, a dirfd. */
	s = failed(t, TS_OP_STAT, AT_FDCWD, "/usr/bin/cmd", true, EACCES);
	ck_assert_str_eq(str(&s, "error.type"), "EACCES");
	s = failed(t, TS_OP_UNLINK, AT_FDCWD, "/usr/bin/cmd", false, ENOENT);
	ck_assert_int_eq(s.status, TS_STATUS_ERROR);
	s = failed(t, TS_OP_STAT, AT_FDCWD, "/usr/cmd", true, ENOENT);
	ck_assert_int_eq(s.status, TS_STATUS_ERROR);
	s = failed(t, TS_OP_FSTATAT, 5, "/usr/bin/cmd", true, ENOENT);
	ck_assert_int_eq(s.status, TS_STATUS_ERROR);
	ck_assert_int_eq(attr(&s, "traceshim.dirfd")->v.i, 5);
	ck_assert_str_eq(s.name, "fstatat");
}
END_TEST

START_TEST(a_bad_address_is_not_read)
{
	struct ts_thread *t = thread();
	struct ts_span s = failed(t, TS_OP_STAT, AT_FDCWD, (const char *)16, true, EFAULT);
	ck_assert_ptr_null(attr(&s, "file.path"));
	ck_assert_str_eq(str(&s, "error.type"), "EFAULT");
	uint64_t at = atomic_load(&t->ring.head);
	errno = EFAULT;
	ts_record_path2(t, TS_OP_RENAME, AT_FDCWD, (const char *)16, AT_FDCWD, (const char *)32, -1,
			ts_ticks(), ts_ticks());
	s = span_at(t, at);
	ck_assert_ptr_null(attr(&s, "file.path"));
	ck_assert_ptr_null(attr(&s, "traceshim.target.path"));
	ck_assert_str_eq(str(&s, "error.type"), "EFAULT");
}
END_TEST

START_TEST(a_rename_names_source_and_target)
{
	struct ts_thread *t = thread();
	uint64_t at = atomic_load(&t->ring.head);
	ts_record_path2(t, TS_OP_RENAMEAT2, 7, "a/from", AT_FDCWD, "/b/to", 0, ts_ticks(), ts_ticks());
	struct ts_span s = span_at(t, at);
	ck_assert_str_eq(s.name, "renameat2");
	ck_assert_str_eq(str(&s, "file.path"), "a/from");
	ck_assert_str_eq(str(&s, "traceshim.target.path"), "/b/to");
	ck_assert_int_eq(attr(&s, "traceshim.dirfd")->v.i, 7);
	ck_assert_ptr_null(attr(&s, "traceshim.target.dirfd"));
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);

	/* Two long paths keep half of the payload each. */
	char from[900], to[900];
	memset(from, 'f', sizeof from - 1);
	memset(to, 't', sizeof to - 1);
	from[899] = to[899] = 0;
	at = atomic_load(&t->ring.head);
	errno = EXDEV;
	ts_record_path2(t, TS_OP_RENAME, AT_FDCWD, from, 9, to, -1, ts_ticks(), ts_ticks());
	s = span_at(t, at);
	unsigned half = TS_PAYLOAD_MAX_SLOTS * TS_REC_SIZE / 2;
	ck_assert_uint_eq(strlen(str(&s, "file.path")), half);
	ck_assert_uint_eq(strlen(str(&s, "traceshim.target.path")), half);
	ck_assert_int_eq(str(&s, "traceshim.target.path")[0], 't');
	ck_assert_int_eq(attr(&s, "traceshim.target.dirfd")->v.i, 9);
	ck_assert_str_eq(str(&s, "error.type"), "EXDEV");
}
END_TEST

START_TEST(opendir_makes_a_directory_descriptor)
{
	struct ts_thread *t = thread();
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	uint64_t at = atomic_load(&t->ring.head);
	ts_record_path(t, TS_OP_OPENDIR, AT_FDCWD, "/tmp", false, fd, ts_ticks(), ts_ticks());
	struct ts_span s = span_at(t, at);
	ck_assert_str_eq(s.name, "opendir");
	ck_assert_str_eq(str(&s, "file.path"), "/tmp");
	ck_assert_int_eq(attr(&s, "traceshim.fd")->v.i, fd);
	ck_assert_str_eq(str(&s, "traceshim.fd.type"), "dir");
	ck_assert_ptr_null(attr(&s, "traceshim.dirfd"));
	/* The calls on its descriptor are described, even once it is closed. */
	close(fd);
	at = atomic_load(&t->ring.head);
	ts_record_io(t, TS_OP_FCHDIR, fd, 0, 0, ts_ticks(), ts_ticks());
	ts_record_io(t, TS_OP_GETDENTS64, fd, 4096, 120, ts_ticks(), ts_ticks());
	s = span_at(t, at);
	ck_assert_str_eq(s.name, "fchdir");
	ck_assert_int_eq(attr(&s, "traceshim.fd")->v.i, fd);
	ck_assert_str_eq(str(&s, "traceshim.fd.type"), "dir");
	ck_assert_str_eq(str(&s, "file.path"), "/tmp");
	s = span_at(t, at + 1);
	ck_assert_str_eq(s.name, "getdents64");
	ck_assert_int_eq(attr(&s, "traceshim.io.requested")->v.i, 4096);
	ck_assert_int_eq(attr(&s, "traceshim.io.bytes")->v.i, 120);
	ck_assert_str_eq(str(&s, "file.path"), "/tmp");
}
END_TEST

START_TEST(every_fs_operation_is_of_the_fs_family)
{
	for (int op = TS_OP_STAT; op <= TS_OP_GETDENTS64; op++) {
		ck_assert_ptr_nonnull(ts_ops[op].name);
		ck_assert_int_eq(ts_ops[op].family, TS_FAM_FS);
	}
}
END_TEST

TS_CHECK_SUITE("fs", a_walk_miss_is_a_name_in_a_path_directory, two_paths_share_the_payload,
	       a_failed_stat_is_an_error_unless_a_walk_missed, a_bad_address_is_not_read,
	       a_rename_names_source_and_target, opendir_makes_a_directory_descriptor,
	       every_fs_operation_is_of_the_fs_family)
