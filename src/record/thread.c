/* The thread registry: claiming a ring for a thread, the thread span's
 * begin and end records, names, and threads found by tid. */
#include "thread.h"

#include "arena_prod.h"
#include "clock.h"
#include "config.h"
#include "inherited.h"
#include "lastthread.h"
#include "log.h"
#include "modules.h"
#include "rawsys.h"
#include "registry.h"
#include "rlimits.h"
#include "segment_prod.h"
#include "started.h"

#include <errno.h>
#include <limits.h>
#include <time.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static _Atomic uint32_t next_index = 1;   /* 0 is the process itself */
static pthread_key_t exit_key;
static _Atomic int exit_key_ready;

uint32_t ts_thread_next_index(void)
{
	return atomic_fetch_add_explicit(&next_index, 1, memory_order_relaxed);
}

/* glibc calls a thread's thread-specific destructors in rounds, in key
 * order, and again while one of them sets a value, up to
 * PTHREAD_DESTRUCTOR_ITERATIONS rounds. This key was made at start-up, before
 * the program's: set again, the thread's span ends in the last round, after
 * the program's own destructors ran (jemalloc's, Rust's), so the calls they
 * make are on its track rather than lost. */
static void on_thread_exit(void *arg)
{
	if (++ts_tls.exit_rounds < PTHREAD_DESTRUCTOR_ITERATIONS && ts_tls.thr == arg &&
	    pthread_setspecific(exit_key, arg) == 0)
		return;
	ts_thread_end();
}

void ts_thread_setup_key(void)
{
	if (pthread_key_create(&exit_key, on_thread_exit) == 0)
		atomic_store(&exit_key_ready, 1);
}

static struct ts_thread *alloc_slot(void)
{
	/* The arena is made at start-up (or with the segment); a thread that
	 * registers before that (from a library constructor) makes it. */
	if (!ts_arena_base && !ts_arena_use(NULL, ts_cfg.pool_chunks, NULL))
		return NULL;
	_Atomic uint32_t *claimed = ts_registry_claims();
	for (int i = 0; i < TS_MAX_THREADS; i++) {
		uint32_t expect = 0;
		if (atomic_load_explicit(&claimed[i], memory_order_relaxed))
			continue;
		/* Its pages first: claimed, the worker reads it. */
		if (!ts_segment_slot_backed((uint32_t)i))
			break;
		if (!atomic_compare_exchange_strong(&claimed[i], &expect, 1))
			continue;
		struct ts_thread *t = ts_arena_thread(i);
		t->ring.pool = &ts_arena_pool;
		t->ring.cap = (TS_RING_CHUNKS - 1) * TS_CHUNK_RECS;
		atomic_store(&ts_threads[i], t);
		return t;
	}
	/* Tried again at its next call; counted once. */
	if (!ts_tls.unslotted) {
		ts_tls.unslotted = 1;
		atomic_fetch_add(&ts_threads_untraced, 1);
		if (ts_seg)
			atomic_fetch_add(&ts_seg->untraced_threads, 1);
	}
	return NULL;
}

/* Under a seccomp filter the name is left as it was known: prctl may be
 * refused, or kill. */
static void read_own_name(char name[16])
{
	char buf[16] = {0};
	if (!ts_sandboxed() && ts_syscall(SYS_prctl, PR_GET_NAME, buf, 0, 0, 0) == 0)
		memcpy(name, buf, 16);
	name[15] = 0;
}

/* The begin record, with the start routine's name (when known) as payload:
 * the drain side never has to look the address up in this process. */
static void begin_record(struct ts_thread *t, const struct ts_thread_link *link,
			 void *start_routine, const char *name)
{
	enum { NAME_MAX_BYTES = 4 * TS_REC_SIZE };   /* with its NUL */
	unsigned len = name ? (unsigned)strnlen(name, NAME_MAX_BYTES - 1) : 0;
	unsigned ext = len ? (len + 1 + TS_REC_SIZE - 1) / TS_REC_SIZE : 0;
	/* The ring is empty: the reserve always has room. */
	struct ts_rec *r = ts_ring_reserve(&t->ring, ext, 1);
	*r = (struct ts_rec){
		.t0 = ts_ticks(), .type = TS_REC_THREAD_BEGIN, .span = 1, .ext = (uint8_t)ext,
		.arg = (uint64_t)(uintptr_t)start_routine,
		.aux = link ? link->creator_index : 0,
		.aux2 = link ? link->creator_span : 1,
		.fd = -1,
		/* A thread that did not just begin (the main thread, one adopted
		 * late): the CPU time it had already used, for its span's. Once
		 * per thread, and only for those. */
		.ret = link ? 0 : (int64_t)ts_clock_cpu_ns1(CLOCK_THREAD_CPUTIME_ID),
	};
	if (ext) {
		char buf[NAME_MAX_BYTES] = {0};
		memcpy(buf, name, len);
		ts_ring_put_payload(&t->ring, r, buf, ext * TS_REC_SIZE);
	}
	ts_ring_commit(&t->ring, 1 + ext);
}

/* Claims a slot and writes the thread's begin record. name: the start
 * routine's, or NULL. */
static struct ts_thread *register_thread(uint32_t index, pid_t tid, const struct ts_thread_link *link,
					 void *start_routine, const char *name, bool foreign)
{
	struct ts_thread *t = alloc_slot();
	if (!t)
		return NULL;
	atomic_store_explicit(&t->ring.head, 0, memory_order_relaxed);
	atomic_store_explicit(&t->ring.tail, 0, memory_order_relaxed);
	atomic_store_explicit(&t->ring.dropped, 0, memory_order_relaxed);
	t->ring.tail_seen = 0;
	t->ring.busy = 0;
	t->ring.block = ts_cfg.on_full_block;
	t->next_span = 2;
	t->cur_span = 1;
	memset(t->open_calls, 0, sizeof t->open_calls);
	t->nscopes = 0;
	t->tls_depth = 0;
	t->tls_sock = -1;
	t->stack_lo = 0;
	t->stack_size = UINTPTR_MAX;
	t->index = index;
	t->tid = tid;
	/* Read by other threads' pthread_join (interpose/join.c). */
	__atomic_store_n(&t->handle, foreign ? 0 : pthread_self(), __ATOMIC_RELAXED);
	__atomic_store_n(&t->foreign, foreign, __ATOMIC_RELAXED);
	t->sink_state = NULL;
	atomic_store(&t->name_gen, 0);
	memset(t->name, 0, sizeof t->name);
	if (!foreign)
		read_own_name(t->name);
	memset(t->modules_sent, 0, sizeof t->modules_sent);

	begin_record(t, link, start_routine, name);
	ts_inherited_record(t);   /* the first thread to register carries them */
	atomic_store_explicit(&t->state, TS_SLOT_LIVE, memory_order_release);
	return t;
}

static void set_stack_from_attr(struct ts_thread *t)
{
	pthread_attr_t attr;
	void *addr;
	size_t size;
	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return;
	if (pthread_attr_getstack(&attr, &addr, &size) == 0 && size) {
		t->stack_lo = (uintptr_t)addr;
		t->stack_size = size;
	}
	pthread_attr_destroy(&attr);
}

static void publish(struct ts_thread *t)
{
	ts_tls.thr = t;
	if (atomic_load(&exit_key_ready))
		pthread_setspecific(exit_key, t);
}

/* Registers the calling thread and makes it its own at once, its stack not
 * yet known (every stack is taken for its own): what the caller does next to
 * learn the stack may call the program's code, as pthread_getattr_np() calls
 * realloc() and a program's allocator (rustc's jemalloc) may lock a mutex.
 * Such a call is the thread's and lands on its track; were the thread still
 * unknown, it would be registered a second time, with a second track for the
 * same tid that the importer refuses while the first lives. */
static struct ts_thread *register_own(uint32_t index, const struct ts_thread_link *link,
				      void *start_routine, const char *name)
{
	ts_tls.registering = 1;
	struct ts_thread *t = register_thread(index, (pid_t)ts_syscall(SYS_gettid), link, start_routine,
					      name, false);
	if (t)
		publish(t);
	ts_tls.registering = 0;
	return t;
}

struct ts_thread *ts_thread_start(const struct ts_thread_link *link, void *start_routine)
{
	if (ts_tls.muted || !atomic_load(&ts_active))
		return NULL;
	int saved = errno;
	/* Not dladdr(): it takes the loader's lock, which a constructor that
	 * started this thread and waits for it may be holding in dlopen(). */
	ts_modules_refresh();
	const char *name = start_routine ? ts_modules_symbol((uintptr_t)start_routine) : NULL;
	struct ts_thread *t = register_own(link->child_index, link, start_routine, name);
	if (t)
		set_stack_from_attr(t);
	errno = saved;
	return t;
}

void ts_thread_init_main(void)
{
	if (ts_tls.thr || ts_tls.muted)
		return;
	ts_lastthread_started();
	ts_modules_refresh();   /* the modules loaded at start */
	struct ts_thread *t = register_own(ts_thread_next_index(), NULL, NULL, NULL);
	if (!t)
		return;
	/* The main stack grows down from __libc_stack_end by up to RLIMIT_STACK. */
	extern void *__libc_stack_end;
	struct rlimit rl;
	uintptr_t top = (uintptr_t)__libc_stack_end + 65536;
	uintptr_t size = 8u << 20;
	if (getrlimit(RLIMIT_STACK, &rl) == 0) {
		if (rl.rlim_cur == RLIM_INFINITY)
			size = (uintptr_t)1 << 32;
		else if (rl.rlim_cur > size)
			size = rl.rlim_cur;
	}
	size += 65536;
	if (top > size) {
		t->stack_lo = top - size;
		t->stack_size = size;
	}
}

/* While a vfork is in progress the thread's pointer is put aside: a signal
 * handler of the parent gets it back, the child (its own tid) nothing. */
static struct ts_thread *during_vfork(void)
{
	int saved = errno;
	struct ts_thread *t = ts_vfork_child() ? NULL : ts_vfork.frame[ts_vfork.depth - 1].thr;
	errno = saved;
	return t;
}

struct ts_thread *ts_thread_slow(void)
{
	if (__builtin_expect(ts_vfork.depth, 0))
		return during_vfork();
	if (ts_tls.muted || ts_tls.gone || ts_tls.registering || !ts_init_for_call())
		return NULL;
	int saved = errno;
	struct ts_thread *t;
	if (ts_syscall(SYS_gettid) == ts_syscall(SYS_getpid)) {
		ts_thread_init_main();
		t = ts_tls.thr;
	} else {
		/* A thread the shim did not see start (created before the shim was
		 * ready or by a library's internal pthread_create). */
		t = register_own(ts_thread_next_index(), NULL, NULL, NULL);
	}
	errno = saved;
	return t;
}

struct ts_thread *ts_thread_foreign(void)
{
	if (!atomic_load(&ts_active))
		return NULL;
	int saved = errno;
	pid_t tid = (pid_t)ts_syscall(SYS_gettid);
	if (ts_shim_tid(tid)) {   /* a task of the shim sharing a thread's TLS */
		errno = saved;
		return NULL;
	}
	struct ts_thread *found = NULL;
	for (int i = 0; i < TS_MAX_THREADS && !found; i++) {
		struct ts_thread *t = atomic_load_explicit(&ts_threads[i], memory_order_acquire);
		if (t && t->tid == tid &&
		    atomic_load_explicit(&t->state, memory_order_acquire) == TS_SLOT_LIVE)
			found = t;
	}
	if (!found)
		found = register_thread(ts_thread_next_index(), tid, NULL, NULL, NULL, true);
	errno = saved;
	return found;
}

void ts_thread_end(void)
{
	struct ts_thread *t = ts_tls.thr;
	if (!t)
		return;
	int saved = errno;
	read_own_name(t->name);
	struct ts_rec *r = ts_ring_reserve(&t->ring, 0, 1);
	if (r) {
		/* The thread's CPU time, exactly, for its span: once per thread. */
		*r = (struct ts_rec){.t0 = ts_ticks(), .type = TS_REC_THREAD_END, .span = 1, .fd = -1,
				     .arg = ts_clock_cpu_ns1(CLOCK_THREAD_CPUTIME_ID)};
		ts_ring_commit(&t->ring, 1);
	}
	ts_tls.thr = NULL;
	ts_tls.gone = 1;
	atomic_store_explicit(&t->state, TS_SLOT_DEAD, memory_order_release);
	errno = saved;
}

void ts_thread_renamed(pthread_t handle)
{
	if (ts_vfork_child())   /* the thread is the parent's */
		return;
	for (int i = 0; i < TS_MAX_THREADS; i++) {
		struct ts_thread *t = atomic_load_explicit(&ts_threads[i], memory_order_acquire);
		if (!t || t->foreign || !pthread_equal(t->handle, handle) ||
		    atomic_load_explicit(&t->state, memory_order_acquire) != TS_SLOT_LIVE)
			continue;
		char name[16] = {0};
		if (pthread_equal(handle, pthread_self()))
			read_own_name(name);
		else if (pthread_getname_np(handle, name, sizeof name) != 0)
			return;
		memcpy(t->name, name, sizeof name);
		atomic_fetch_add(&t->name_gen, 1);
		return;
	}
}

bool ts_threads_others_live(void)
{
	for (int i = 0; i < TS_MAX_THREADS; i++) {
		struct ts_thread *t = atomic_load(&ts_threads[i]);
		if (t && t != ts_tls.thr && atomic_load(&t->state) == TS_SLOT_LIVE)
			return true;
	}
	return false;
}

/* Child after fork: only the forking thread exists. Its ring starts over
 * (the parent drains the records it holds) and it becomes the child's main
 * thread; every other slot is free again. Rings in the parent's segment are
 * the parent's: they are neither touched nor reused. */
void ts_thread_forget_parent(struct ts_thread_saved *saved)
{
	struct ts_thread *self = ts_tls.thr;
	saved->had = self != NULL;
	saved->stack_lo = self ? self->stack_lo : 0;
	saved->stack_size = self ? self->stack_size : 0;
	/* The arena is the parent's (or a copy the child does not use): every
	 * slot is forgotten, untouched. */
	for (int i = 0; i < TS_MAX_THREADS; i++)
		atomic_store(&ts_threads[i], NULL);
	ts_arena_after_fork();
	ts_registry_after_fork();
	atomic_store(&next_index, 1);
	ts_tls.thr = NULL;
	ts_lastthread_after_fork();
	ts_modules_after_fork();
}

void ts_thread_adopt_main(const struct ts_thread_saved *saved)
{
	if (!saved->had)
		return;
	struct ts_thread *t = register_own(ts_thread_next_index(), NULL, NULL, NULL);
	if (t) {
		t->stack_lo = saved->stack_lo;
		t->stack_size = saved->stack_size;
	}
}
