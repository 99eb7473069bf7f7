/* Library constructor and destructor, lazy initialisation for calls that
 * arrive first, and the fork handler. */
#include "init.h"

#include "clock.h"
#include "config.h"
#include "drain.h"
#include "fdinfo.h"
#include "ids.h"
#include "log.h"
#include "thread.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { INIT_NONE, INIT_RUNNING, INIT_DONE };
static _Atomic int init_state;
uint64_t ts_process_start_ticks;
static pid_t traced_pid;
static _Atomic int exit_status = -1;

void ts_set_exit_status(int status)
{
	atomic_store(&exit_status, status);
}

int ts_exit_status(void)
{
	return atomic_load(&exit_status);
}

/* Describe stdin/stdout/stderr now: programs often close them before the
 * first drain (coreutils does at exit), and they are the fds most calls use.
 * The drainer owns this cache but is not running yet. */
static void describe_stdio(void)
{
	for (int fd = 0; fd < 3; fd++)
		(void)ts_fdinfo_get(fd, ts_fd_gen(fd), 0);
}

/* The child of fork() is a new process: new pid and ids, its own rings and
 * its own background thread; it goes on writing to the same trace file. */
static void after_fork_child(void)
{
	if (!atomic_load(&ts_active))
		return;
	int saved = errno;
	traced_pid = (pid_t)syscall(SYS_getpid);
	ts_ids_init();
	ts_process_start_ticks = ts_ticks();
	atomic_store(&exit_status, -1);
	ts_drain_after_fork();
	describe_stdio();
	ts_thread_after_fork();
	if (!ts_drain_start())
		atomic_store(&ts_active, 0);
	errno = saved;
}

static void init_once(void)
{
	ts_config_load();
	if (ts_cfg.disabled) {
		TS_INFO("tracing disabled by the environment");
		return;
	}
	ts_clock_init(ts_cfg.force_clock_gettime);
	ts_process_start_ticks = ts_ticks();
	traced_pid = (pid_t)syscall(SYS_getpid);
	ts_ids_init();
	if (ts_cfg.otlp && !ts_sample(&ts_otel, ts_ids.trace_id, -1)) {
		TS_INFO("this trace is not sampled (OTEL_TRACES_SAMPLER): no OTLP export");
		ts_cfg.otlp = false;
	}
	if (!ts_cfg.otlp && !ts_cfg.perfetto)
		return;   /* nothing would be written anywhere */
	ts_thread_setup_key();
	pthread_atfork(NULL, NULL, after_fork_child);
	describe_stdio();
	atomic_store(&ts_active, 1);
	if (!ts_drain_start()) {
		atomic_store(&ts_active, 0);
		return;
	}
	if (ts_cfg.perfetto)
		TS_INFO("tracing to %s", ts_cfg.output);
	if (ts_cfg.otlp)
		TS_INFO("exporting to %s", ts_otel.endpoint);
}

bool ts_init_for_call(void)
{
	int st = atomic_load_explicit(&init_state, memory_order_acquire);
	if (st == INIT_DONE)
		return atomic_load_explicit(&ts_active, memory_order_relaxed);
	int expect = INIT_NONE;
	if (!atomic_compare_exchange_strong(&init_state, &expect, INIT_RUNNING))
		return false;
	init_once();
	atomic_store_explicit(&init_state, INIT_DONE, memory_order_release);
	return atomic_load(&ts_active);
}

__attribute__((constructor)) static void ts_constructor(void)
{
	if (ts_init_for_call() && !ts_tls.thr)
		(void)ts_thread_slow();   /* registers the main thread */
}

__attribute__((destructor)) static void ts_destructor(void)
{
	if (atomic_load(&init_state) == INIT_DONE && atomic_load(&ts_active))
		ts_drain_shutdown(true);
}

void ts_process_exit(void)
{
	/* A vfork child shares our memory but is another process: not ours to flush. */
	if (atomic_load(&init_state) == INIT_DONE && atomic_load(&ts_active) &&
	    syscall(SYS_getpid) == traced_pid)
		ts_drain_shutdown(false);
}
