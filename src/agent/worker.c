/* An agent's worker: consumes one traced process's segment. It is a process
 * of its own (forked by the agent), so it takes on that process's identity
 * and settings and runs the very drain cycle the process would run itself,
 * and a segment that does not decode can end this worker, never the agent.
 *
 * It drains as records come, and once the process is ending (it marked its
 * segment at exit, at a fatal signal or at exec) or gone without a word
 * (SIGKILL, a raw exit_group: endwatch.c sees it die and reads how) it
 * drains the rest, ends what is still open at that time, flushes within
 * TRACESHIM_EXIT_TIMEOUT_MS, tells a process waiting for that, and removes
 * the segment. */
#include "worker.h"

#include "arena.h"
#include "clock.h"
#include "config.h"
#include "consume.h"
#include "defer.h"
#include "cpusample.h"
#include "endwatch.h"
#include "export.h"
#include "fdinfo.h"
#include "fdtable.h"
#include "log.h"
#include "names.h"
#include "procinfo.h"
#include "rawsys.h"
#include "registry.h"
#include "rundir.h"
#include "segback.h"
#include "segment.h"
#include "sink.h"
#include "spool.h"
#include "sqlinfo.h"
#include "summary.h"
#include "symbols.h"
#include "tracks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct seg {
	struct ts_seg_header *h;
	int fd;   /* the file: its lock tells other agents it is served */
	size_t bytes;
	/* The geometry as checked once; never read again from the segment. */
	uint32_t header_size, nchunks;
	size_t slot_bytes;
	struct ts_pool_view pool;
};

static bool geometry_ok(struct seg *s)
{
	const struct ts_seg_header *h = s->h;
	s->header_size = h->header_size;
	s->nchunks = h->nchunks;
	struct ts_arena_layout l = ts_arena_layout(s->nchunks);
	s->slot_bytes = l.slot_bytes;
	if (atomic_load(&s->h->magic) != TS_SEG_MAGIC || s->header_size != ts_seg_header_size() ||
	    h->slot_bytes != l.slot_bytes || h->max_threads != TS_MAX_THREADS || !s->nchunks ||
	    s->nchunks > (1u << 24) || s->header_size + l.bytes > s->bytes)
		return false;
	ts_arena_view((char *)s->h + s->header_size, s->nchunks, &s->h->pool, &s->pool);
	return true;
}

/* A part of the header's text as a string of at most cap - 1 bytes. */
static void part_string(const struct ts_seg_header *h, enum ts_seg_part p, char *buf, size_t cap)
{
	size_t len;
	const char *text = ts_seg_part(h, p, &len);
	len = strnlen(text, len < cap - 1 ? len : cap - 1);
	memcpy(buf, text, len);
	buf[len] = 0;
}

/* The environment made for the process served (freed for the next one). */
static char *env_text;
static char **env_list;

/* The settings of the process: its TRACESHIM_* and OTEL_* variables, as
 * the whole environment (a copy of the segment's, which is the process's
 * to change). */
static void take_settings(const struct ts_seg_header *h)
{
	clearenv();
	free(env_list);
	free(env_text);
	env_list = NULL;
	env_text = NULL;
	size_t len;
	const char *text = ts_seg_part(h, TS_SEG_ENV, &len);
	env_text = malloc(len + 1);
	env_list = calloc(len / 2 + 2, sizeof *env_list);
	if (env_text && env_list) {
		memcpy(env_text, text, len);
		env_text[len] = 0;
		size_t n = 0;
		for (char *p = env_text, *end = env_text + len; p < end;) {
			char *nul = memchr(p, 0, (size_t)(end - p));
			if (!nul)
				break;   /* unterminated: left out */
			if (strchr(p, '='))
				env_list[n++] = p;
			p = nul + 1;
		}
		env_list[n] = NULL;
		environ = env_list;
	}
	char cwd[PATH_MAX];
	part_string(h, TS_SEG_CWD, cwd, sizeof cwd);
	if (chdir(cwd[0] == '/' ? cwd : "/") != 0 && chdir("/") != 0)
		TS_INFO("cannot enter / either");
}

static void take_identity(const struct ts_seg_header *h)
{
	static char name[256];
	char exe[PATH_MAX];
	part_string(h, TS_SEG_EXE, exe, sizeof exe);
	size_t args_len;
	const char *args = ts_seg_part(h, TS_SEG_ARGS, &args_len);
	if (args_len > TS_SEG_ARGS_MAX)
		args_len = TS_SEG_ARGS_MAX;
	const char *arg0 = args_len ? args : exe;
	size_t arg0_len = strnlen(arg0, args_len ? args_len : sizeof exe);
	const char *slash = memrchr(arg0, '/', arg0_len);
	const char *base = slash ? slash + 1 : arg0;
	snprintf(name, sizeof name, "%.*s", (int)(arg0_len - (size_t)(base - arg0)), base);
	ts_program_name_set(name[0] ? name : "process");
	ts_proc_set(h->pid, h->ppid, exe, args, args_len);
	ts_proc_set_owner(0);
	ts_ids = h->ids;
	ts_ctx = h->ctx;
	ts_ctx.tracestate[sizeof ts_ctx.tracestate - 1] = 0;
	ts_process_start_ticks = h->start_ticks;
}

/* Registry slots the producer has claimed: their regions, seen through the
 * worker's own geometry. */
static void map_threads(const struct seg *s)
{
	for (int i = 0; i < TS_MAX_THREADS; i++) {
		if (ts_threads[i] || !atomic_load_explicit(&s->h->claimed[i], memory_order_acquire))
			continue;
		char *slot = (char *)s->h + s->header_size + (size_t)i * s->slot_bytes;
		atomic_store(&ts_threads[i], (struct ts_thread *)slot);
	}
}

/* Sleeps up to ms, or until woken (records to drain, the process ending);
 * true when woken. */
static bool sleep_for(struct seg *s, unsigned ms)
{
	uint32_t seen = atomic_load(&s->h->wake);
	atomic_store(&s->h->consumer_waiting, 1);
	struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
	ts_syscall(SYS_futex, &s->h->wake, FUTEX_WAIT, seen, &pause, NULL, 0);
	atomic_store(&s->h->consumer_waiting, 0);
	return atomic_load(&s->h->wake) != seen;
}

static struct seg served;         /* the segment being served */
static struct seg *served_seg;

/* The process has ended while a write waits for the trace's reader: the
 * wait is bounded as the process's own exit would bound it. */
static uint64_t ended_deadline(void)
{
	struct seg *s = served_seg;
	if (atomic_load(&s->h->state) == TS_SEG_LIVE && !ts_endwatch_gone())
		return 0;
	return ts_clock_monotonic_ms() + ts_cfg.exit_timeout_ms * 9u / 10u;
}

static void serve(struct seg *s)
{
	struct ts_pace pace = TS_PACE_INIT;
	/* A drain cycle is due at drain_at (CLOCK_MONOTONIC ms), or when woken;
	 * the CPU sampler may wake the worker in between (cpusample.h). */
	uint64_t drain_at = 0;
	bool woken = false;
	for (;;) {
		ts_segback_ahead(s->h, s->fd, s->nchunks);
		map_threads(s);
		if (ts_cpu_due())
			ts_consume_sample();
		if (woken || ts_clock_monotonic_ms() >= drain_at) {
			ts_pace_saw(&pace, ts_consume_cycle(false));
			atomic_fetch_add(&s->h->consumer_beat, 1);
			drain_at = ts_clock_monotonic_ms() + ts_pace_next(&pace);
		}
		/* Ending (exit, a fatal signal, exec) or gone without a word. */
		if (atomic_load_explicit(&s->h->state, memory_order_acquire) != TS_SEG_LIVE ||
		    ts_endwatch_gone())
			return;
		uint64_t now = ts_clock_monotonic_ms();
		unsigned ms = ts_cpu_pause_ms(drain_at > now ? (unsigned)(drain_at - now) : 0);
		woken = ms ? sleep_for(s, ms) : false;
	}
}

/* Gone without a word while a later segment of its pid waits in the
 * directory (one cannot be served before this one is done): the process
 * executed a program with the execve system call itself (Go's
 * syscall.Exec), which the shim does not see, and its new image has ended
 * too (under `traceshim run` nobody waits at exit). This image ended by an
 * exec, where the later one starts. */
static void replaced_by_later(struct seg *s, const char *path)
{
	const char *slash = strrchr(path, '/');
	long pid, p;
	unsigned long long stamp, st, best = 0;
	char dir[PATH_MAX], later[PATH_MAX + NAME_MAX + 2];
	if (atomic_load(&s->h->state) != TS_SEG_LIVE || !slash ||
	    !ts_rundir_segment_of(slash + 1, &pid, &stamp) || (size_t)(slash - path) >= sizeof dir)
		return;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (ts_rundir_segment_of(e->d_name, &p, &st) && p == pid && st > stamp &&
		    (!best || st < best)) {
			best = st;
			snprintf(later, sizeof later, "%s/%s", dir, e->d_name);
		}
	}
	if (d)
		closedir(d);
	int fd = best ? open(later, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
	const struct ts_seg_header *h = MAP_FAILED;
	if (fd >= 0) {
		h = mmap(NULL, sizeof *h, PROT_READ, MAP_SHARED, fd, 0);
		close(fd);
	}
	if (h == MAP_FAILED)
		return;
	if (atomic_load(&h->magic) == TS_SEG_MAGIC && h->pid == s->h->pid)
		ts_seg_replaced_by(s->h, h);
	munmap((void *)h, sizeof *h);
}

/* How the process ended: what it said, or, when it went without a word
 * (SIGKILL, the exit_group system call made directly, a signal the shim's
 * handler never saw), the wait status read at its death. */
static void take_end(const struct seg *s)
{
	uint32_t state = atomic_load(&s->h->state);
	int st = atomic_load(&s->h->exit_status);
	if (state == TS_SEG_LIVE) {
		st = ts_endwatch_status();
		/* Unknown: reaped before it could be read (a kernel before 6.15
		 * keeps no status past the reaping), or never found. Killed, as
		 * SIGKILL is the usual way to go without a word. */
		if (st < 0)
			st = TS_EXIT_SIGNAL | 9;
	}
	ts_set_exit_status(st);
}

int ts_worker_run(int fd, const char *path, int relay_fd)
{
	struct stat st;
	struct seg *s = &served;   /* unmapped by ts_worker_reset() */
	*s = (struct seg){.fd = fd};
	if (fstat(fd, &st) != 0 || (size_t)st.st_size < ts_seg_header_size())
		return 2;
	s->bytes = (size_t)st.st_size;
	/* fd stays open: its lock tells other agents this segment is served. */
	s->h = mmap(NULL, s->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s->h == MAP_FAILED) {
		s->h = NULL;
		return 2;
	}
	if (!geometry_ok(s)) {
		TS_WARN("%s is not a segment this agent can read; removed", path);
		unlink(path);
		return 2;
	}
	/* Gone or another's: served all the same, as one gone without a word. */
	(void)ts_endwatch_start(s->h->pid, s->h->start_boottime_ns, &s->h->wake);
	ts_log_capture(s->h->report, sizeof s->h->report, &s->h->report_len);
	take_settings(s->h);
	/* The process read these settings at its start and said what was
	 * wrong with them: once is enough. */
	ts_log_quiet(true);
	ts_config_load();
	ts_log_quiet(false);
	take_identity(s->h);
	/* The process's own sampling decision (it is made from the trace id). */
	if (ts_cfg.otlp && !ts_sample(&ts_otel, ts_ids.trace_id, ts_ctx.parent_sampled))
		ts_cfg.otlp = false;
	/* A collector gets the spans as they come; the file may wait. */
	ts_consume_may_defer = ts_cfg.perfetto && !ts_cfg.otlp;
	ts_clock_init_at(s->h->clock_tsc != 0, s->h->clock_tick, s->h->clock_ns);
	ts_seg = s->h;   /* thread slots are freed in the segment */
	ts_fd_borrow_from((int)s->h->pid);   /* the program's descriptors, not ours */
	ts_consume_pool = &s->pool;
	ts_cpu_keep_fds = true;   /* one pread a sample: the descriptors are the worker's */
	ts_symbols_may_load();
	(void)ts_summary_init(ts_cfg.summary);
	ts_export_set_relay(relay_fd);
	bool file_ok = !ts_cfg.perfetto || ts_sink_open(true);
	if (!ts_export_open() || (!file_ok && !ts_cfg.otlp)) {
		unlink(path);
		return 1;
	}
	served_seg = s;
	ts_sink_deadline_hook(ended_deadline);
	ts_defer_start();
	serve(s);
	map_threads(s);
	replaced_by_later(s, path);
	take_end(s);
	uint64_t deadline = ts_clock_monotonic_ms() + ts_cfg.exit_timeout_ms * 9u / 10u;
	ts_sink_give_up_at(deadline);
	/* The time it ended, as it said; else (gone without a word) now, when
	 * it is seen gone. */
	uint64_t end = atomic_load(&s->h->state) != TS_SEG_LIVE ? atomic_load(&s->h->end_ticks) : 0;
	/* Its CPU time, as its exit path read it (unknown when killed). */
	ts_cpu_process_end_ns1 = end ? atomic_load(&s->h->end_cpu_ns1) : 0;
	(void)ts_consume_final(ts_clock_to_ns(end ? end : ts_ticks()), deadline);
	/* A process waiting at exit for its spans to be in the file goes on. */
	atomic_store(&s->h->written, 1);
	ts_syscall(SYS_futex, &s->h->written, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
	unlink(path);
	return 0;
}

bool ts_worker_reusable(void)
{
	return !ts_export_otlp_loaded();
}

void ts_worker_reset(int log_level)
{
	/* The watcher first: it may still bump the segment's wake word. */
	ts_endwatch_end();
	ts_tracks_reset();
	ts_fdinfo_reset();
	ts_sqlinfo_reset();
	ts_names_reset();
	ts_symbols_reset();
	ts_summary_forget();
	ts_export_reset();
	ts_log_reset(log_level);
	ts_set_exit_status(-1);
	ts_consume_damaged = 0;
	ts_consume_pool = NULL;
	ts_consume_may_defer = false;
	ts_spool_reset();
	ts_defer_reset();
	ts_seg = NULL;
	for (int i = 0; i < TS_MAX_THREADS; i++)
		atomic_store(&ts_threads[i], NULL);
	served_seg = NULL;
	if (served.h)
		munmap(served.h, served.bytes);
	served = (struct seg){.fd = -1};
}
