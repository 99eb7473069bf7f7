/* fork, posix_spawn, system and popen (vfork is in vfork.c). Each is a span
 * in the caller; the child's process span is its child and an arrow joins
 * them. fork's child learns the span from memory (the fork handler), the
 * others from TRACEPARENT in the environment handed to the child.
 *
 * glibc's system and popen start the shell with an internal posix_spawn that
 * no wrapper sees; they are done here the same way, with the child's
 * environment passed explicitly. */
#include "barefork.h"
#include "childenv.h"
#include "ids.h"
#include "init.h"
#include "ownstdio.h"
#include "rawsys.h"
#include "streams.h"
#include "syncreal.h"
#include "vfork.h"
#include "wrap.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t ts_traced_fork(enum ts_op op)
{
	TS_REAL(fork, -1);
	struct ts_fork_span f = ts_fork_span_begin();
	if (!f.t)
		return real();
	ts_tls.fork_span = f.id;
	ts_fork_prepare();
	pid_t r = real();
	if (r == 0) {
		ts_fork_child();   /* the child's tracer, once every fork handler has run */
		return 0;
	}
	int saved = errno;
	ts_fork_parent();
	ts_tls.fork_span = 0;
	errno = saved;
	ts_fork_span_end(&f, op, r);
	return r;
}

TS_EXPORT pid_t fork(void)
{
	return ts_traced_fork(TS_OP_FORK);
}

/* Another thread may have held these at fork time: the child starts free. */
static void spawn_locks_after_fork(void);

__attribute__((constructor)) static void spawn_setup(void)
{
	pthread_atfork(NULL, NULL, spawn_locks_after_fork);
}

typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
			const posix_spawnattr_t *, char *const[], char *const[]);

static int traced_spawn(spawn_fn real, enum ts_op op, pid_t *pid, const char *path,
			const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
			char *const argv[], char *const envp[])
{
	struct ts_thread *t = ts_caller();
	if (!t)
		return real(pid, path, fa, attr, argv, envp);
	uint32_t span = t->next_span++;
	char **env = ts_childenv(envp, ts_span_id(t->index, span));
	pid_t child = 0;
	uint64_t t0 = ts_ticks();
	int r = real(&child, path, fa, attr, argv, env ? env : envp);
	uint64_t t1 = ts_ticks();
	int saved = errno;
	free(env);
	if (r == 0 && pid)
		*pid = child;
	ts_record_proc(t, op, span, r, r, r == 0 ? child : 0, -1, path, t0, t1);
	if (r == 0 && child > 0)
		ts_http_forked(child);
	errno = saved;
	return r;
}

TS_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	TS_REAL(posix_spawn, ENOSYS);
	return traced_spawn(real, TS_OP_POSIX_SPAWN, pid, path, fa, attr, argv, envp);
}

TS_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	TS_REAL(posix_spawnp, ENOSYS);
	return traced_spawn(real, TS_OP_POSIX_SPAWNP, pid, file, fa, attr, argv, envp);
}

/* /bin/sh -c CMD through libc's posix_spawn (no span of its own). */
static int spawn_shell(pid_t *child, const posix_spawn_file_actions_t *fa,
		       const posix_spawnattr_t *attr, const char *cmd, char **env)
{
	static spawn_fn real;
	if (!real)
		real = (spawn_fn)ts_resolve("posix_spawn", (const void *)posix_spawn);
	char *argv[] = {"sh", "-c", "--", (char *)cmd, NULL};
	return real ? real(child, "/bin/sh", fa, attr, argv, env) : ENOSYS;
}

/* ---- system ------------------------------------------------------------ */

/* While any thread waits in system(), SIGINT and SIGQUIT are ignored in the
 * caller, as POSIX asks; the first to come in and the last to leave switch. */
static pthread_mutex_t system_lock = PTHREAD_MUTEX_INITIALIZER;
static int system_refs;
static struct sigaction saved_int, saved_quit;

static int run_shell(const char *cmd, char **env, pid_t *child)
{
	struct sigaction ign = {.sa_handler = SIG_IGN};
	sigemptyset(&ign.sa_mask);
	ts_own_lock(&system_lock);
	if (system_refs++ == 0) {
		sigaction(SIGINT, &ign, &saved_int);
		sigaction(SIGQUIT, &ign, &saved_quit);
	}
	ts_own_unlock(&system_lock);
	sigset_t chld, old_mask;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old_mask);

	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	sigset_t dfl;
	sigemptyset(&dfl);
	if (saved_int.sa_handler != SIG_IGN)
		sigaddset(&dfl, SIGINT);
	if (saved_quit.sa_handler != SIG_IGN)
		sigaddset(&dfl, SIGQUIT);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setsigmask(&attr, &old_mask);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	int err = spawn_shell(child, NULL, &attr, cmd, env);
	posix_spawnattr_destroy(&attr);
	int status;
	if (err == 0) {
		pid_t w;
		while ((w = (pid_t)ts_syscall(SYS_wait4, *child, &status, 0, NULL)) < 0 && errno == EINTR)
			;
		if (w != *child)
			status = -1;
	} else {
		status = W_EXITCODE(127, 0);   /* as if the shell had exited with 127 */
	}

	int saved = errno;
	ts_own_lock(&system_lock);
	if (--system_refs == 0) {
		sigaction(SIGINT, &saved_int, NULL);
		sigaction(SIGQUIT, &saved_quit, NULL);
	}
	ts_own_unlock(&system_lock);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	errno = err ? err : saved;
	return status;
}

TS_EXPORT int system(const char *cmd)
{
	TS_REAL(system, -1);
	struct ts_thread *t = ts_caller();
	if (!cmd || !t)
		return real(cmd);
	uint32_t span = t->next_span++;
	char **env = ts_childenv(environ, ts_span_id(t->index, span));
	if (!env)
		return real(cmd);
	pid_t child = 0;
	uint64_t t0 = ts_ticks();
	int status = run_shell(cmd, env, &child);
	uint64_t t1 = ts_ticks();
	int saved = errno;
	free(env);
	ts_record_proc(t, TS_OP_SYSTEM, span, status, status < 0 ? saved : 0, child, status, "/bin/sh",
		       t0, t1);
	errno = saved;
	return status;
}

/* ---- popen, pclose ----------------------------------------------------- */

struct piped {
	FILE *f;
	pid_t pid;
	struct piped *next;
};
static pthread_mutex_t piped_lock = PTHREAD_MUTEX_INITIALIZER;
static struct piped *piped_list;

static void spawn_locks_after_fork(void)
{
	pthread_mutex_init(&system_lock, NULL);
	system_refs = 0;
	pthread_mutex_init(&piped_lock, NULL);
}

static void close_quietly(int fd)
{
	ts_syscall(SYS_close, fd);
	ts_fd_range_changed((unsigned)fd, (unsigned)fd);
}

/* The shell with one end of a pipe as its stdin or stdout; the streams of
 * earlier popen calls are closed in it, as POSIX asks. */
static FILE *open_pipe(const char *cmd, bool reading, bool cloexec, char **env, pid_t *child,
		       int *err)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		*err = errno;
		return NULL;
	}
	int mine = reading ? fds[0] : fds[1], theirs = reading ? fds[1] : fds[0];
	int target = reading ? 1 : 0;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (theirs != target)
		posix_spawn_file_actions_adddup2(&fa, theirs, target);
	else
		fcntl(theirs, F_SETFD, 0);   /* already the right number: keep it open */
	ts_own_lock(&piped_lock);
	for (struct piped *p = piped_list; p; p = p->next)
		posix_spawn_file_actions_addclose(&fa, fileno(p->f));
	*err = spawn_shell(child, &fa, NULL, cmd, env);
	posix_spawn_file_actions_destroy(&fa);
	close_quietly(theirs);
	FILE *f = NULL;
	struct piped *entry = *err ? NULL : malloc(sizeof *entry);
	if (entry) {
		if (!cloexec)
			fcntl(mine, F_SETFD, 0);
		f = ts_own_fdopen(mine, reading ? "r" : "w");   /* the shim's: no fdopen span */
	}
	if (f) {
		*entry = (struct piped){f, *child, piped_list};
		piped_list = entry;
	} else {
		if (!*err)
			*err = errno ? errno : ENOMEM;
		free(entry);
		close_quietly(mine);
	}
	ts_own_unlock(&piped_lock);
	return f;
}

TS_EXPORT FILE *popen(const char *cmd, const char *mode)
{
	TS_REAL(popen, NULL);
	struct ts_thread *t = ts_caller();
	if (!t || !cmd || !mode || (mode[0] != 'r' && mode[0] != 'w') ||
	    mode[1 + (mode[1] == 'e')] != 0)
		return real(cmd, mode);   /* glibc answers what it does not take */
	uint32_t span = t->next_span++;
	char **env = ts_childenv(environ, ts_span_id(t->index, span));
	if (!env)
		return real(cmd, mode);
	pid_t child = 0;
	int err = 0;
	uint64_t t0 = ts_ticks();
	FILE *f = open_pipe(cmd, mode[0] == 'r', mode[1] == 'e', env, &child, &err);
	uint64_t t1 = ts_ticks();
	free(env);
	ts_record_proc(t, TS_OP_POPEN, span, f ? 0 : -1, f ? 0 : err, f ? child : 0, -1, "/bin/sh",
		       t0, t1);
	if (!f)
		errno = err;
	return f;
}

TS_EXPORT int pclose(FILE *f)
{
	TS_REAL(pclose, -1);
	ts_own_lock(&piped_lock);
	struct piped **pp = &piped_list, *entry = NULL;
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->f == f) {
			entry = *pp;
			*pp = entry->next;
			break;
		}
	ts_own_unlock(&piped_lock);
	if (!entry)
		return real(f);
	pid_t pid = entry->pid;
	free(entry);
	/* Its end is pclose's: no fclose span; the descriptor is closed, and
	 * what the program's per-character calls counted on it is dropped. */
	int fd = fileno(f);
	ts_fd_changed(fd);
	ts_stream_take(fd, NULL);
	ts_own_fclose(f);
	int status;
	pid_t w;
	while ((w = (pid_t)ts_syscall(SYS_wait4, pid, &status, 0, NULL)) < 0 && errno == EINTR)
		;
	return w == pid ? status : -1;
}
