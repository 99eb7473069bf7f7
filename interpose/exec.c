/* The exec family. The child's environment carries the exec span's context
 * (and LD_PRELOAD and the settings, so the new program is traced too). An
 * exec that will most likely succeed (the program exists and may be run)
 * writes its span and flushes the whole trace first, as at exit, since the
 * new image replaces this memory; one that fails is recorded like any other
 * call. The execl forms and those without an envp argument call execve or
 * execvpe with the environment spelled out, as glibc itself does. */
#include "childenv.h"
#include "ids.h"
#include "init.h"
#include "procinfo.h"
#include "rawfs.h"
#include "rawsys.h"
#include "vfork.h"
#include "wrap.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* How to run the real call once the environment is known. */
struct exec_call {
	enum ts_op op;
	const char *path;          /* as the span shows it */
	int dirfd, flags;          /* execveat; fexecve: fd in dirfd */
	char *const *argv;
	bool search;               /* PATH search (execvp forms) */
};

static int run(const struct exec_call *c, char *const envp[])
{
	if (c->op == TS_OP_FEXECVE) {
		TS_REAL(fexecve, -1);
		return real(c->dirfd, c->argv, envp);
	}
	if (c->op == TS_OP_EXECVEAT) {
		TS_REAL(execveat, -1);
		return real(c->dirfd, c->path, c->argv, envp, c->flags);
	}
	if (c->search) {
		TS_REAL(execvpe, -1);
		return real(c->path, c->argv, envp);
	}
	TS_REAL(execve, -1);
	return real(c->path, c->argv, envp);
}

static bool runnable_at(int dirfd, const char *path, int flags)
{
	struct stat st;
	/* System calls: the library's faccessat and fstatat would trace these. */
	return ts_sys_faccessat(dirfd, path, X_OK, AT_EACCESS | flags) == 0 &&
	       ts_sys_fstatat(dirfd, path, &st, flags) == 0 && S_ISREG(st.st_mode);
}

/* Whether the kernel will most likely take the program: a failing exec
 * (every miss of a shell's PATH walk) must not end the trace. */
static bool will_run(const struct exec_call *c)
{
	if (c->op == TS_OP_FEXECVE)
		return true;
	if (c->op == TS_OP_EXECVEAT)
		return (c->flags & AT_EMPTY_PATH && !*c->path) ||
		       runnable_at(c->dirfd, c->path, c->flags & AT_SYMLINK_NOFOLLOW);
	if (!*c->path)
		return false;
	if (!c->search || strchr(c->path, '/'))
		return runnable_at(AT_FDCWD, c->path, 0);
	const char *dirs = getenv("PATH");
	if (!dirs)
		dirs = "/bin:/usr/bin";
	size_t flen = strlen(c->path);
	for (const char *p = dirs;;) {
		size_t n = strcspn(p, ":");
		char full[PATH_MAX];
		if (n + flen + 2 <= sizeof full) {
			memcpy(full, n ? p : ".", n ? n : 1);
			size_t at = n ? n : 1;
			full[at] = '/';
			memcpy(full + at + 1, c->path, flen + 1);
			if (runnable_at(AT_FDCWD, full, 0))
				return true;
		}
		if (!p[n])
			return false;
		p += n + 1;
	}
}

/* A vfork child records nothing (its parent's vfork span is the start of
 * the new program, see vfork.c) and allocates nothing (the heap is its
 * parent's): the environment is built on the stack, which is the child's
 * to use below the frame it returned to. So is a child of a fork no
 * handler saw (barefork.c), which may only make async-signal-safe calls:
 * its parent's fork span is the start of the new program. */
static int exec_with_span(const struct exec_call *c, char *const envp[], uint64_t span)
{
	size_t need = ts_childenv_ready() ? ts_childenv_size(envp) : 0;
	if (!need || need > 512 * 1024)
		return run(c, envp);
	void *block[(need + sizeof(void *) - 1) / sizeof(void *)];
	return run(c, ts_childenv_in(envp, span, block));
}

static int traced_exec(const struct exec_call *c, char *const envp[])
{
	uint64_t bare_span;
	if (ts_vfork_child())
		return exec_with_span(c, envp, ts_vfork_span_id());
	if (ts_bare_fork_span(&bare_span))
		return exec_with_span(c, envp, bare_span);
	struct ts_thread *t = ts_caller();
	if (!t) {
		/* Untraced: the environment still follows the settings (with
		 * following off, the library leaves the child's preload). */
		char **env = ts_childenv_ready() ? ts_childenv(envp, 0) : NULL;
		int r = run(c, env ? env : envp);
		int saved = errno;
		free(env);
		errno = saved;
		return r;
	}
	bool borrowed = !ts_own_process();
	pid_t self = borrowed ? (pid_t)ts_syscall(SYS_getpid) : 0;
	uint32_t span = t->next_span++;
	uint64_t span_id = ts_span_id(t->index, span);
	char **env = ts_childenv(envp, span_id);
	uint64_t t0 = ts_ticks();
	bool recorded = will_run(c);
	if (recorded) {
		ts_record_proc(t, c->op, span, 0, 0, self, -1, c->path, t0, ts_ticks());
		if (!borrowed)
			ts_process_exec();
	}
	int r = run(c, env ? env : envp);
	int saved = errno;
	free(env);
	if (recorded) {
		if (!borrowed) {
			uint64_t began = ts_process_start_ticks;
			ts_process_exec_failed(span_id);
			t = ts_caller();
			/* Traced on as a new process span: the failed call is its
			 * first, within it (the old one ended at t0). */
			if (ts_process_start_ticks != began)
				t0 = ts_ticks();
		}
		if (t)
			span = t->next_span++;
	}
	if (t)
		ts_record_proc(t, c->op, span, r, saved, self, -1, c->path, t0, ts_ticks());
	errno = saved;
	return r;
}

TS_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	struct exec_call c = {.op = TS_OP_EXECVE, .path = path, .argv = argv};
	return traced_exec(&c, envp);
}

TS_EXPORT int execv(const char *path, char *const argv[])
{
	struct exec_call c = {.op = TS_OP_EXECV, .path = path, .argv = argv};
	return traced_exec(&c, environ);
}

TS_EXPORT int execvp(const char *file, char *const argv[])
{
	struct exec_call c = {.op = TS_OP_EXECVP, .path = file, .argv = argv, .search = true};
	return traced_exec(&c, environ);
}

TS_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	struct exec_call c = {.op = TS_OP_EXECVPE, .path = file, .argv = argv, .search = true};
	return traced_exec(&c, envp);
}

TS_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	struct exec_call c = {.op = TS_OP_FEXECVE, .path = "", .dirfd = fd, .argv = argv};
	return traced_exec(&c, envp);
}

TS_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
		       int flags)
{
	struct exec_call c = {.op = TS_OP_EXECVEAT, .path = path, .dirfd = dirfd, .flags = flags,
			      .argv = argv};
	return traced_exec(&c, envp);
}

/* The execl forms: the arguments into an array on the stack, as glibc does. */
/* Declares argv[] on the stack from the execl arguments (first, ..., NULL)
 * and leaves ap open just after the NULL, where execle's envp is. */
#define ARGV_FROM_VA(first, ap, argv)                              \
	size_t n_;                                                 \
	va_start(ap, first);                                       \
	for (n_ = 1; va_arg(ap, const char *); n_++)               \
		;                                                  \
	va_end(ap);                                                \
	char *argv[n_ + 1];                                        \
	va_start(ap, first);                                       \
	argv[0] = (char *)first;                                   \
	for (size_t i_ = 1; i_ <= n_; i_++)                        \
		argv[i_] = va_arg(ap, char *)

TS_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	ARGV_FROM_VA(arg, ap, argv);
	va_end(ap);
	return traced_exec(&(struct exec_call){.op = TS_OP_EXECL, .path = path, .argv = argv},
			   environ);
}

TS_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	ARGV_FROM_VA(arg, ap, argv);
	va_end(ap);
	return traced_exec(&(struct exec_call){.op = TS_OP_EXECLP, .path = file, .argv = argv,
					       .search = true},
			   environ);
}

TS_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	ARGV_FROM_VA(arg, ap, argv);
	char *const *envp = va_arg(ap, char *const *);
	va_end(ap);
	return traced_exec(&(struct exec_call){.op = TS_OP_EXECLE, .path = path, .argv = argv}, envp);
}
