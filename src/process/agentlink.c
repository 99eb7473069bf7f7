/* Finding the agent of this run, or starting one (see agentlink.h). */
#include "agentlink.h"

#include "config.h"
#include "context.h"
#include "large.h"
#include "log.h"
#include "rawfs.h"
#include "rawsys.h"
#include "resolve.h"
#include "rundir.h"
#include "ts_version.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static bool is_program(const char *p)
{
	struct stat st;
	return ts_sys_stat(p, &st) == 0 && S_ISREG(st.st_mode) && ts_sys_access(p, X_OK) == 0;
}

/* Next to this library (installed side by side, or the build tree's cli/),
 * then the install's bindir. */
static bool find_program(char *out, size_t cap)
{
	Dl_info info;
	if (dladdr((void *)find_program, &info) && info.dli_fname && info.dli_fname[0]) {
		char dir[PATH_MAX];
		size_t at = 0;
		/* LD_PRELOAD=./libtraceshim.so names it from the directory the
		 * program started in, which is still the working directory while
		 * the constructor runs. */
		if (info.dli_fname[0] != '/' && ts_syscall(SYS_getcwd, dir, sizeof dir - 1) > 0 &&
		    dir[0] == '/') {
			at = strlen(dir);
			dir[at++] = '/';
		}
		if (info.dli_fname[0] != '/' && at == 0)
			dir[0] = 0;
		else if (at + strlen(info.dli_fname) < sizeof dir)
			memcpy(dir + at, info.dli_fname, strlen(info.dli_fname) + 1);
		else
			dir[0] = 0;
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		static const char *const rel[] = {"traceshim", "cli/traceshim", "../bin/traceshim"};
		for (size_t i = 0; dir[0] && i < sizeof rel / sizeof *rel; i++)
			if ((size_t)snprintf(out, cap, "%s/%s", dir, rel[i]) < cap && is_program(out))
				return true;
	}
	return (size_t)snprintf(out, cap, "%s/traceshim", TS_BINDIR) < cap && is_program(out);
}

struct spawn_args {
	const char *path;
	char *const *argv;
	char *const *envp;
};

/* Runs in the clone child, on a stack of its own but in this process's
 * memory (vfork semantics): raw system calls only. */
static int spawn_child(void *arg)
{
	const struct spawn_args *a = arg;
	ts_syscall(SYS_close_range, 3, ~0U, 0);   /* its descriptor table is its own copy */
	int null = (int)ts_syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR);
	if (null >= 0) {
		for (int fd = 0; fd < 3; fd++)
			ts_syscall(SYS_dup3, null, fd, 0) ;
		if (null > 2)
			ts_syscall(SYS_close, null);
	}
	sigset_t none;
	sigemptyset(&none);
	ts_syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(long));
	ts_syscall(SYS_execve, a->path, a->argv, a->envp);
	ts_syscall(SYS_exit, 127);
	return 127;
}

/* Starts `traceshim agent --detach` for dir; it forks the agent proper and
 * returns, so only a short-lived child is ever ours. That child sends no
 * SIGCHLD and a plain wait() of the program never reports it. */
static bool spawn_agent(const char *dir)
{
	char prog[PATH_MAX];
	if (!find_program(prog, sizeof prog)) {
		TS_INFO("no traceshim program next to the library or in %s", TS_BINDIR);
		return false;
	}
	char dir_arg[PATH_MAX], log_env[64] = "";
	snprintf(dir_arg, sizeof dir_arg, "%s", dir);
	const char *lvl = ts_env("TRACESHIM_LOG");
	if (lvl)
		snprintf(log_env, sizeof log_env, "TRACESHIM_LOG=%s", lvl);
	char *argv[] = {"traceshim", "agent", "--detach", "--dir", dir_arg, NULL};
	char *envp[] = {"PATH=/usr/bin:/bin", log_env[0] ? log_env : NULL, NULL};
	struct spawn_args a = {prog, argv, envp};
	static char stack[32768] TS_LARGE __attribute__((aligned(16)));
	int saved = errno;
	pid_t pid = ts_real_clone(spawn_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK, &a, NULL,
				  NULL, NULL);
	if (pid < 0) {
		errno = saved;
		return false;
	}
	int st = 0;
	pid_t got;
	do
		got = (pid_t)ts_syscall(SYS_wait4, pid, &st, __WALL, NULL);
	while (got < 0 && errno == EINTR);
	errno = saved;
	if (got == pid && WIFEXITED(st) && WEXITSTATUS(st) == TS_AGENT_EXIT_CANNOT_SERVE) {
		TS_INFO("the agent (%s) cannot serve %s (too few file descriptors?); spans are "
			"written by this process", prog, dir);
		return false;
	}
	if (got != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		TS_INFO("the agent (%s) did not start (wait status %d%s)", prog, got == pid ? st : -1,
			got == pid ? "" : ", not reaped");
		return false;
	}
	return true;
}

bool ts_agent_dir(char *dir, size_t cap)
{
	char why[PATH_MAX + 64];
	if (!ts_rundir_path(dir, cap)) {
		ts_warn_config("TRACESHIM_RUN_DIR must be an absolute path; spans are written by "
			       "each process itself");
		return false;
	}
	if (!ts_rundir_usable(dir, true, why, sizeof why)) {
		if (ts_tree_of_another_user(dir))
			TS_INFO("run directory not usable (%s): this process runs as another user than "
				"its tree; its spans are written by itself", why);
		else
			ts_warn_config("run directory not usable (%s); spans are written by each "
				       "process itself", why);
		return false;
	}
	return true;
}

bool ts_agent_elsewhere(const char *dir)
{
	struct ts_agent_seen seen = {0};
	if (!ts_rundir_agent(dir, false, &seen) || !seen.pidns)
		return false;
	unsigned long long mine = ts_rundir_pidns();
	return mine && mine != seen.pidns;
}

bool ts_agent_ensure(const char *dir)
{
	return ts_rundir_agent(dir, true, NULL) || spawn_agent(dir);
}
