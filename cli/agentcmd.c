/* traceshim agent [--dir DIR] [--detach | --status]: runs the agent of a run
 * directory in the foreground (until SIGTERM), starts it detached (what a
 * traced process does when its run has none), or tells what the agent of
 * the directory is serving. */
#include "agent.h"
#include "fdlimit.h"
#include "run.h"

#include "log.h"
#include "rundir.h"
#include "segment.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void ts_agent_usage(FILE *to)
{
	fprintf(to,
		"traceshim agent [--dir DIR] [--detach | --status | --wait [SECONDS]]\n"
		"          consume the records of traced processes of a run directory (default:\n"
		"          the user's, as TRACESHIM_RUN_DIR or /dev/shm/traceshim-UID) and write\n"
		"          or send their spans; traced processes start one when there is none\n"
		"  --detach   start in the background and return (it ends once idle)\n"
		"  --status   tell which agent serves DIR and the processes it is serving\n"
		"  --wait     wait (at most SECONDS, default 60) until everything the traced\n"
		"             processes of DIR recorded is written or sent: for spans sent\n"
		"             over OTLP after a plain LD_PRELOAD run; exits 1 on timeout\n");
}

static long vm_kib(long pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	FILE *f = fopen(path, "re");
	long v = -1;
	size_t n = strlen(field);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, field, n) && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static long agent_pid(const char *dir)
{
	struct ts_agent_seen seen = {0};
	return ts_rundir_agent(dir, false, &seen) ? seen.pid : 0;
}

/* A "NAME NUMBER" line of the agent's lock, or 0. */
static long noted(const char *dir, const char *name)
{
	char path[PATH_MAX + 16], text[160];
	snprintf(path, sizeof path, "%s/" TS_AGENT_LOCK, dir);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = fd >= 0 ? pread(fd, text, sizeof text - 1, 0) : -1;
	if (fd >= 0)
		close(fd);
	text[n > 0 ? n : 0] = 0;
	char key[32];
	int klen = snprintf(key, sizeof key, "\n%s ", name);
	const char *at = strstr(text, key);
	return at ? strtol(at + klen, NULL, 10) : 0;
}

static void show_segment(const char *dir, const char *name)
{
	char path[PATH_MAX + NAME_MAX + 2];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(struct ts_seg_header)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	bool served = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	const struct ts_seg_header *h = mmap(NULL, sizeof *h, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED)
		return;
	unsigned threads = 0;
	for (int i = 0; i < TS_MAX_THREADS; i++)
		threads += atomic_load(&h->claimed[i]) != 0;
	uint32_t state = atomic_load(&h->state);
	size_t alen;
	const char *args = ts_seg_part(h, TS_SEG_ARGS, &alen);
	printf("  pid %-7d %-8s %-9s threads %-4u %.*s\n", (int)h->pid,
	       state == TS_SEG_LIVE ? "running" : state == TS_SEG_FINISHED ? "exiting" : "exec'd",
	       served ? "served" : "waiting", threads, (int)strnlen(args, alen), args);
	munmap((void *)h, sizeof *h);
}

static int status(const char *dir)
{
	long pid = agent_pid(dir);
	printf("run directory %s\n", dir);
	if (pid > 0)
		printf("agent pid %ld, RSS %ld KiB (peak %ld KiB)\n", pid, vm_kib(pid, "VmRSS"),
		       vm_kib(pid, "VmHWM"));
	else
		printf("no agent\n");
	long relay = pid > 0 ? noted(dir, "relay") : 0;
	if (relay > 0)
		printf("OTLP relay pid %ld (sends for every process), RSS %ld KiB (peak %ld KiB)\n",
		       relay, vm_kib(relay, "VmRSS"), vm_kib(relay, "VmHWM"));
	long forked = pid > 0 ? noted(dir, "workers") : 0;
	if (forked > 0)
		printf("worker processes started %ld\n", forked);
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;
	while (d && (e = readdir(d))) {
		if (ts_rundir_is_segment(e->d_name)) {
			if (!n++)
				printf("processes:\n");
			show_segment(dir, e->d_name);
		}
	}
	if (d)
		closedir(d);
	if (!n)
		printf("no traced process\n");
	return pid > 0 ? 0 : 3;
}

static bool has_segments(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;
	while (d && !found && (e = readdir(d)))
		found = ts_rundir_is_segment(e->d_name);
	if (d)
		closedir(d);
	return found;
}

/* Until no process of dir has records left and no agent serves it. */
static int wait_idle(const char *dir, unsigned seconds)
{
	struct timespec start, now, step = {0, 20000000};
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (!has_segments(dir) && agent_pid(dir) <= 0)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)seconds) {
			fprintf(stderr, "traceshim agent: %s is still busy after %u s\n", dir, seconds);
			return 1;
		}
		nanosleep(&step, NULL);
	}
}

/* Forks the agent proper into a session of its own and returns once it holds
 * the lock (or found another agent holding it). */
static int detach(struct ts_agent *a)
{
	/* Known before the starting process is told anything: it then writes
	 * its own spans rather than wait for an agent that cannot serve. */
	char why[PATH_MAX + 128];
	if (!ts_agent_prepare(a, why, sizeof why)) {
		TS_INFO("the agent does not start: %s", why);
		return TS_AGENT_EXIT_CANNOT_SERVE;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return 1;
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid > 0) {
		close(p[1]);
		char c = 0;
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		return c == 'y' || c == 'n' ? 0 : 1;
	}
	close(p[0]);
	setsid();
	if (chdir("/") != 0)
		_exit(1);
	int null = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd);
	if (null > 2)
		close(null);
	bool mine = ts_agent_lock(a);
	char c = mine ? 'y' : 'n';
	if (write(p[1], &c, 1) != 1)
		TS_INFO("the starting process is gone");
	close(p[1]);
	if (!mine)
		_exit(0);
	a->stop_when_idle = true;
	_exit(ts_agent_serve(a));
}

int ts_agent_main(int argc, char **argv)
{
	struct ts_agent a = {.lock_fd = -1, .keep_fds = {-1, -1, -1}, .relay_ctl = -1};
	bool want_detach = false, want_status = false, want_wait = false;
	unsigned wait_s = 60;
	const char *dir = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
			dir = argv[++i];
		} else if (!strcmp(argv[i], "--detach")) {
			want_detach = true;
		} else if (!strcmp(argv[i], "--status")) {
			want_status = true;
		} else if (!strcmp(argv[i], "--wait")) {
			want_wait = true;
			char *end;
			if (i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9') {
				unsigned long v = strtoul(argv[i + 1], &end, 10);
				if (*end || v > 86400) {
					fprintf(stderr, "traceshim agent: --wait %s is not a number of "
						"seconds\n", argv[i + 1]);
					return 2;
				}
				wait_s = (unsigned)v;
				i++;
			}
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			ts_agent_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "traceshim agent: unknown argument %s\n\n", argv[i]);
			ts_agent_usage(stderr);
			return 2;
		}
	}
	if (dir && (size_t)snprintf(a.dir, sizeof a.dir, "%s", dir) >= sizeof a.dir)
		return 2;
	if (!dir && !ts_rundir_path(a.dir, sizeof a.dir)) {
		fprintf(stderr, "traceshim agent: no run directory\n");
		return 2;
	}
	if (want_status)
		return status(a.dir);
	if (want_wait)
		return wait_idle(a.dir, wait_s);
	char why[PATH_MAX + 64];
	if (!ts_rundir_usable(a.dir, true, why, sizeof why)) {
		fprintf(stderr, "traceshim agent: %s\n", why);
		return 2;
	}
	/* When told to stop: the OTLP relay gives up what it holds within the
	 * exit bound of the traced processes. */
	/* Its own limit, not the one of the program that started it. */
	ts_fdlimit_raise(NULL);
	const char *t = getenv("TRACESHIM_EXIT_TIMEOUT_MS");
	a.end_bound_ms = t ? (unsigned)strtoul(t, NULL, 10) : 2000;
	if (a.end_bound_ms > 600000)
		a.end_bound_ms = 2000;
	char lib[PATH_MAX];
	if (ts_find_library(lib, sizeof lib))
		ts_agent_set_module_dir(&a, dirname(lib));
	if (want_detach)
		return detach(&a);
	if (!ts_agent_prepare(&a, why, sizeof why)) {
		fprintf(stderr, "traceshim agent: cannot serve %s: %s\n", a.dir, why);
		return 2;
	}
	if (!ts_agent_lock(&a)) {
		fprintf(stderr, "traceshim agent: another agent serves %s\n", a.dir);
		return 1;
	}
	return ts_agent_serve(&a);
}
