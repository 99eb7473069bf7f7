/* The run directory: where traced processes leave their segments and the
 * agent serving them holds its lock. One per user by default, private to
 * that user; `traceshim run` makes one for its tree alone. */
#include "rundir.h"

#include "config.h"
#include "rawfs.h"
#include "rawsys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* tmpfs first: segments are written at memory speed and never reach a disk. */
static bool base_dir(char *out, size_t cap)
{
	struct stat st;
	unsigned uid = (unsigned)geteuid();
	if (ts_sys_stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
	    ts_sys_access("/dev/shm", W_OK | X_OK) == 0)
		return (size_t)snprintf(out, cap, "/dev/shm/traceshim-%u", uid) < cap;
	const char *xdg = ts_env("XDG_RUNTIME_DIR");
	if (xdg && xdg[0] == '/')
		return (size_t)snprintf(out, cap, "%s/traceshim", xdg) < cap;
	return (size_t)snprintf(out, cap, "/tmp/traceshim-%u", uid) < cap;
}

bool ts_rundir_default(char *out, size_t cap)
{
	return base_dir(out, cap);
}

bool ts_rundir_path(char *out, size_t cap)
{
	const char *set = ts_env("TRACESHIM_RUN_DIR");
	if (set)
		return set[0] == '/' && (size_t)snprintf(out, cap, "%s", set) < cap;
	return base_dir(out, cap);
}

bool ts_rundir_usable(const char *dir, bool create, char *why, size_t cap)
{
	struct stat st;
	/* Made only when missing: it is there for every process but the first. */
	int got = ts_sys_lstat(dir, &st);
	if (got != 0 && errno == ENOENT && create) {
		if (ts_sys_mkdir(dir, 0700) != 0 && errno != EEXIST) {
			snprintf(why, cap, "cannot make %s: %s", dir, strerror(errno));
			return false;
		}
		got = ts_sys_lstat(dir, &st);
	}
	if (got != 0) {
		snprintf(why, cap, "%s: %s", dir, strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, cap, "%s is not a directory", dir);
		return false;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, cap, "%s belongs to another user", dir);
		return false;
	}
	if (st.st_mode & 077) {
		snprintf(why, cap, "%s is open to other users (mode %03o)", dir,
			 (unsigned)(st.st_mode & 0777));
		return false;
	}
	return true;
}

bool ts_rundir_agent(const char *dir, bool create, struct ts_agent_seen *seen)
{
	char lock[PATH_MAX + 16];
	if ((size_t)snprintf(lock, sizeof lock, "%s/" TS_AGENT_LOCK, dir) >= sizeof lock)
		return false;
	/* Raw system calls: this runs in traced processes, whose wrappers must
	 * not see the shim's own files. */
	int fd = (int)ts_syscall(SYS_openat, AT_FDCWD, lock,
			      O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
	if (fd < 0)
		return false;
	bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	if (held && seen) {
		/* "PID\n", then "NAME NUMBER" lines (cli/agentdir.c). */
		char buf[160];
		ssize_t n = ts_syscall(SYS_pread64, fd, buf, sizeof buf - 1, 0);
		buf[n > 0 ? n : 0] = 0;
		seen->pid = strtol(buf, NULL, 10);
		const char *ns = strstr(buf, "\npidns ");
		seen->pidns = ns ? strtoull(ns + 7, NULL, 10) : 0;
	}
	ts_syscall(SYS_close, fd);   /* drops the shared lock, if it was taken */
	return held;
}

unsigned long long ts_rundir_pidns(void)
{
	struct stat st;
	return ts_sys_stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long long)st.st_ino : 0;
}
