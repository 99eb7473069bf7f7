/* The producer's side of the shared segment (segment.h): made once per
 * process image at start (and in a forked child), mapped shared, and its
 * descriptor closed at once, so the program never sees it. */
#include "rawsys.h"
#include "segment_prod.h"

#include "arena_prod.h"
#include "clock.h"
#include "config.h"
#include "fdtable.h"
#include "large.h"
#include "procinfo.h"
#include "log.h"
#include "rawfs.h"
#include "rlimits.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static size_t seg_bytes;
static TS_LARGE char seg_path[PATH_MAX];

/* argv as the kernel laid it out, NUL-separated, at most cap bytes. */
static size_t read_args(char *dst, size_t cap)
{
	extern void *__libc_stack_end;
	long *sp = __libc_stack_end;
	if (!sp)
		return 0;
	long argc = *sp;
	char **argv = (char **)(sp + 1);
	size_t n = 0;
	for (long i = 0; i < argc && argv[i]; i++) {
		size_t len = strlen(argv[i]) + 1;
		if (n + len > cap)
			break;
		memcpy(dst + n, argv[i], len);
		n += len;
	}
	return n;
}

/* The arguments as they were when the program started. A program may write
 * over them (setproctitle: nginx's "master process", PostgreSQL, Perl's $0),
 * and its forked children make their segments after that: they take this
 * copy, made by the first segment of the program's image. */
static TS_LARGE char args_kept[TS_SEG_ARGS_MAX];
static size_t args_kept_len;

static size_t copy_args(char *dst, size_t cap)
{
	if (!args_kept_len)
		args_kept_len = read_args(args_kept, sizeof args_kept);
	size_t n = args_kept_len <= cap ? args_kept_len : 0;
	memcpy(dst, args_kept, n);
	return n;
}

static bool is_setting(const char *e)
{
	return !strncmp(e, "TRACESHIM_", 10) || !strncmp(e, "OTEL_", 5) ||
	       !strncmp(e, "TRACEPARENT=", 12) || !strncmp(e, "TRACESTATE=", 11);
}

/* The settings the consumer applies on the process's behalf. */
static size_t copy_env(char *dst, size_t cap)
{
	extern void *__libc_stack_end;
	char **env = environ;
	if (!env && __libc_stack_end) {
		long *sp = __libc_stack_end;
		env = (char **)(sp + 1) + *sp + 1;
	}
	size_t n = 0;
	/* The file as this process resolved it (its default name holds this
	 * process's name and pid, a relative one its working directory). */
	if (ts_cfg.perfetto) {
		int w = snprintf(dst, cap, "TRACESHIM_OUTPUT=%s", ts_cfg.output);
		if (w > 0 && (size_t)w < cap)
			n = (size_t)w + 1;
	}
	/* What this process said already (its parent's messages and its
	 * own): its consumer does not say it again. */
	char said[TS_REPORTED_MAX + 1];
	bool told = ts_log_reported(said, sizeof said) > 0;
	if (told) {
		int w = snprintf(dst + n, cap - n, TS_REPORTED_VAR "=%s", said);
		if (w > 0 && (size_t)w < cap - n)
			n += (size_t)w + 1;
	}
	for (char **e = env; e && *e; e++) {
		size_t len = strlen(*e) + 1;
		if (!is_setting(*e) || !strncmp(*e, "TRACESHIM_OUTPUT=", 17) || n + len > cap ||
		    (told && !strncmp(*e, TS_REPORTED_VAR "=", sizeof TS_REPORTED_VAR)))
			continue;
		memcpy(dst + n, *e, len);
		n += len;
	}
	return n;
}

static void fill_header(struct ts_seg_header *h)
{
	h->header_size = ts_seg_header_size();
	h->slot_bytes = (uint32_t)ts_arena_layout(ts_cfg.pool_chunks).slot_bytes;
	h->nchunks = ts_cfg.pool_chunks;
	h->pool.nchunks = ts_cfg.pool_chunks;
	h->max_threads = TS_MAX_THREADS;
	h->pid = (int32_t)ts_syscall(SYS_getpid);
	h->ppid = (int32_t)ts_proc_ppid();
	h->uid = (uint32_t)geteuid();
	h->clock_tsc = ts_clock_tsc;
	ts_clock_anchor(&h->clock_tick, &h->clock_ns);
	h->start_ticks = ts_process_start_ticks;
	h->start_boottime_ns = ts_clock_boottime_ns();
	h->ids = ts_ids;
	h->ctx = ts_ctx;
	atomic_store(&h->exit_status, -1);
	atomic_store(&h->state, TS_SEG_LIVE);
	char *at = h->text;
	if (!getcwd(at, PATH_MAX))
		at[0] = 0;
	h->part_len[TS_SEG_CWD] = (uint32_t)strlen(at) + 1;
	at += h->part_len[TS_SEG_CWD];
	ts_proc_self_exe(at, PATH_MAX);
	h->part_len[TS_SEG_EXE] = (uint32_t)strlen(at) + 1;
	at += h->part_len[TS_SEG_EXE];
	h->part_len[TS_SEG_ARGS] = (uint32_t)copy_args(at, TS_SEG_ARGS_MAX);
	at += h->part_len[TS_SEG_ARGS];
	h->part_len[TS_SEG_ENV] = (uint32_t)copy_env(at, TS_SEG_ENV_MAX);
}

/* A segment's pages are reserved before anything is written to them: a
 * page of a shared file that the file system cannot give (a full /dev/shm,
 * 64 MiB in a container) is a SIGBUS for the program writing it. At the
 * start: the header, the first thread slots, the pool's links and its
 * first chunks; the agent's worker reserves more ahead of need
 * (agent/segback.c). */
#define START_SLOTS 4
#define START_CHUNKS 32

static uint32_t start_chunks(uint32_t nchunks)
{
	return START_CHUNKS < nchunks ? START_CHUNKS : nchunks;
}

static bool reserve_start(int fd, uint32_t nchunks)
{
	size_t chunks_end = ts_seg_chunk_off(nchunks, start_chunks(nchunks));
	return ts_sys_reserve(fd, 0, ts_seg_slot_off(nchunks, START_SLOTS)) &&
	       ts_sys_reserve(fd, ts_seg_links_off(nchunks), chunks_end);
}

bool ts_segment_slot_backed(uint32_t slot)
{
	struct ts_seg_header *h = ts_seg;
	if (!h || slot < atomic_load(&h->slots_backed))
		return true;
	uint32_t want = slot + 1, cur = atomic_load(&h->slots_wanted);
	while (cur < want && !atomic_compare_exchange_weak(&h->slots_wanted, &cur, want))
		;
	/* The worker reserves them within a cycle of being woken; without one
	 * (none yet, or gone), this thread goes untraced after a while. */
	for (int i = 0; i < 40 && !atomic_load(&h->no_room); i++) {
		uint32_t backed = atomic_load(&h->slots_backed);
		if (slot < backed)
			return true;
		ts_seg_wake(h);
		struct timespec step = {0, 5000000};
		ts_syscall(SYS_futex, &h->slots_backed, FUTEX_WAIT, backed, &step, NULL, 0);
	}
	return slot < atomic_load(&h->slots_backed);
}

bool ts_segment_create(const char *dir)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	long pid = (long)ts_syscall(SYS_getpid);
	unsigned long long stamp = (unsigned long long)ts_clock_boottime_ns();
	if ((size_t)snprintf(tmp, sizeof tmp, "%s/.p%ld.%llu.tmp", dir, pid, stamp) >= sizeof tmp ||
	    (size_t)snprintf(path, sizeof path, "%s/p%ld.%llu" TS_SEG_SUFFIX, dir, pid, stamp) >=
		    sizeof path)
		return false;
	size_t bytes = ts_seg_header_size() + ts_arena_layout(ts_cfg.pool_chunks).bytes;
	/* A file that size would pass RLIMIT_FSIZE: the kernel's SIGXFSZ
	 * would kill the program before its main. */
	if (!ts_fsize_allows_size(bytes)) {
		TS_INFO("no segment: its %zu bytes are over this process's file size limit", bytes);
		return false;
	}
	int fd = (int)ts_syscall(SYS_openat, AT_FDCWD, tmp,
			      O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		TS_INFO("cannot make a segment in %s: %s", dir, strerror(errno));
		return false;
	}
	void *mem = MAP_FAILED;
	const char *why = "cannot map a segment";
	if (ts_sys_ftruncate(fd, (off_t)bytes) == 0) {
		if (reserve_start(fd, ts_cfg.pool_chunks))
			mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		else
			why = "no room for a segment";
	}
	ts_syscall(SYS_close, fd);
	if (mem == MAP_FAILED) {
		TS_INFO("%s in %s: %s", why, dir, strerror(errno));
		ts_sys_unlink(tmp);
		return false;
	}
	struct ts_seg_header *h = mem;
	fill_header(h);
	atomic_store(&h->slots_backed, START_SLOTS);
	atomic_store(&h->pool.limit, start_chunks(h->nchunks));
	atomic_store_explicit(&h->magic, TS_SEG_MAGIC, memory_order_release);
	/* Appears whole: the agent only looks at names with TS_SEG_SUFFIX. */
	if (ts_sys_rename(tmp, path) != 0) {
		munmap(mem, bytes);
		ts_sys_unlink(tmp);
		return false;
	}
	ts_seg = h;
	seg_bytes = bytes;
	ts_arena_use((char *)h + h->header_size, h->nchunks, &h->pool);
	memcpy(seg_path, path, sizeof seg_path);
	return true;
}

bool ts_segment_nudge(void)
{
	struct ts_seg_header *h = ts_seg;
	if (h && atomic_exchange(&h->consumer_waiting, 0))
		ts_seg_wake(h);
	return h != NULL;
}

void ts_segment_finish(int exit_status, bool exec)
{
	struct ts_seg_header *h = ts_seg;
	if (!h)
		return;
	atomic_store(&h->exit_status, exit_status);
	atomic_store(&h->end_ticks, ts_ticks());
	atomic_store(&h->end_cpu_ns1, ts_clock_cpu_ns1(CLOCK_PROCESS_CPUTIME_ID));
	atomic_store_explicit(&h->state, exec ? TS_SEG_EXECED : TS_SEG_FINISHED,
			      memory_order_release);
	ts_seg_wake(h);
}

bool ts_segment_wait_written(unsigned ms)
{
	struct ts_seg_header *h = ts_seg;
	if (!h)
		return true;
	uint64_t end = ts_clock_monotonic_ms() + ms;
	while (!atomic_load(&h->written)) {
		uint64_t now = ts_clock_monotonic_ms();
		if (now >= end)
			return false;
		uint64_t left = end - now;
		struct timespec wait = {(time_t)(left / 1000), (long)(left % 1000) * 1000000L};
		ts_syscall(SYS_futex, &h->written, FUTEX_WAIT, 0, &wait, NULL, 0);
	}
	return true;
}

void ts_segment_tell(void)
{
	struct ts_seg_header *h = ts_seg;
	if (!h)
		return;
	uint32_t len = atomic_load(&h->report_len);
	if (len > sizeof h->report)
		len = sizeof h->report;
	if (!len)
		return;
	int fd = ts_fd_stderr();
	if (fd >= 0 && ts_fsize_allows(fd, len))
		ts_syscall(SYS_write, fd, h->report, len);
	ts_fd_give_back(fd);
}

void ts_segment_discard(void)
{
	if (!ts_seg)
		return;
	ts_sys_unlink(seg_path);
	munmap(ts_seg, seg_bytes);
	ts_seg = NULL;
	seg_bytes = 0;
	ts_arena_after_fork();   /* its arena was in the segment */
}

void ts_segment_after_fork(void)
{
	/* The parent's segment is the parent's: its consumer reads what is in
	 * it, this process gets a segment of its own. */
	if (ts_seg)
		munmap(ts_seg, seg_bytes);
	ts_seg = NULL;
	seg_bytes = 0;
}
