/* The agent: serves one run directory. It holds the directory's lock (so
 * traced processes know it is there), watches for segments, and hands each
 * to a worker (src/agent/worker.c), which consumes that process's records
 * and writes or sends its spans: an idle worker kept from an earlier
 * segment (pool.c), else one forked for it. The agent itself reads no record: a
 * segment that does not decode can only end its own worker.
 *
 * `traceshim agent --detach` is what a traced process starts when the run
 * has no agent: it leaves at once, having forked the agent proper into a
 * session of its own; that one ends once it has been idle (no segment, no
 * worker) for a moment. `traceshim run` serves its own run directory with
 * the same loop while its command runs. */
#include "agent.h"
#include "callerfds.h"

#include "endwatch.h"
#include "export.h"
#include "fdlimit.h"
#include "log.h"
#include "module.h"
#include "otlprelay.h"
#include "pool.h"
#include "rundir.h"
#include "segment.h"
#include "worker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 512
#define IDLE_MS 200
/* Descriptors a new worker costs the agent while it is handed its segment
 * (the segment, its process's pins, a relay connection, the control pair,
 * the directory read on the way), with some to spare: below that many free,
 * no worker is started until one ends. */
#define WORKER_FDS 16

/* A worker: serving the segment name, or (name empty) idle since
 * idle_since, or told to end (ctl closed) and not yet reaped. */
struct served {
	pid_t pid;
	int ctl;                 /* its control connection; -1 once closed */
	bool idle;
	uint64_t idle_since;
	char name[NAME_MAX + 1];
};

static struct served workers[MAX_WORKERS];
static unsigned nworkers;

static bool served(const char *name)
{
	for (unsigned i = 0; i < nworkers; i++)
		if (workers[i].name[0] && !strcmp(workers[i].name, name))
			return true;
	return false;
}

/* Workers serving a segment: idle ones keep nothing from ending. */
static unsigned busy_workers(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < nworkers; i++)
		n += workers[i].name[0] != 0;
	return n;
}

static uint64_t now_ms(void);

/* The worker is told to end (it exits when it reads the end of ctl). */
static void retire(struct served *w)
{
	if (w->ctl >= 0)
		close(w->ctl);
	w->ctl = -1;
	w->idle = false;
}

void ts_agent_set_module_dir(struct ts_agent *a, const char *dir)
{
	snprintf(a->module_dir, sizeof a->module_dir, "%s", dir);
	ts_export_set_module_dir(dir);
}

/* True when the segment's process asks for OTLP. */
static bool wants_otlp(int fd)
{
	const struct ts_seg_header *h = mmap(NULL, sizeof *h, PROT_READ, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		return true;   /* not known: a worker of its own */
	size_t len;
	const char *env = ts_seg_part(h, TS_SEG_ENV, &len);
	bool otlp = memmem(env, len, "OTEL_EXPORTER_OTLP_", 19) != NULL;
	munmap((void *)h, sizeof *h);
	return otlp;
}

/* The OTLP module (protobuf-c; not libcurl nor TLS, which its sender module
 * brings to the relay alone), loaded in the agent the first time a process
 * asks for OTLP: every later worker, and the relay that sends for them all,
 * has it already. True when otlp is asked and the module is there. When it
 * is not, the agent says so (on the run's stderr under traceshim run), and
 * the workers it forks, which remember that, do not say it again. */
static bool preload_otlp(struct ts_agent *a, bool otlp)
{
	if (!a->module_dir[0] || !otlp)
		return false;
	if (!a->otlp)
		a->otlp = ts_export_otlp_module();
	return a->otlp != NULL;
}

/* The agent's own descriptors: stdio, its lock, signalfd and inotify, the
 * relay's control connection and one per worker. */
static unsigned long fds_held(const struct ts_agent *a)
{
	unsigned long n = 6 + (a->relay_ctl >= 0);
	for (unsigned i = 0; i < nworkers; i++)
		n += workers[i].ctl >= 0;
	return n;
}

/* Said once: out of descriptors, the agent serves fewer processes at a time
 * (the others wait for a worker to end) rather than try again and again. */
static void short_of_fds(const char *what)
{
	static bool said;
	if (!said)
		TS_WARN("the agent is short of file descriptors (limit %lu, %s): processes wait "
			"for a worker to end", ts_fdlimit_now(), what);
	said = true;
}

static bool out_of_fds(int err)
{
	return err == EMFILE || err == ENFILE;
}

/* Forks the worker for dir/name, made by process maker; false when none
 * could start now (it is tried again at the next scan). */
static bool serve_segment(struct ts_agent *a, const char *name, pid_t maker)
{
	if (served(name) || strlen(name) > NAME_MAX)
		return false;
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", a->dir, name) >= sizeof path)
		return false;
	/* Held first: a process that ends without a word may be reaped by
	 * its parent any moment, and the worker learns how it ended only if
	 * it was held before (see src/agent/endwatch.c). */
	ts_endwatch_pin(maker);
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (out_of_fds(errno))
			short_of_fds("opening a segment");
		ts_endwatch_unpin();
		return false;
	}
	struct stat st;
	/* The lock says a worker (of this agent or of one before it) serves
	 * the segment: a segment is never consumed twice. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    flock(fd, LOCK_EX | LOCK_NB) != 0) {
		ts_endwatch_unpin();
		close(fd);
		return false;
	}
	bool otlp = wants_otlp(fd);
	/* An idle worker, when the process wants no OTLP (a worker that
	 * exported over OTLP is not kept, see pool.c). */
	for (unsigned i = 0; !otlp && i < nworkers; i++) {
		struct served *w = &workers[i];
		if (!w->idle)
			continue;
		int pid_fd, stat_fd;
		ts_endwatch_pinned(&pid_fd, &stat_fd);
		if (!ts_pool_hand(w->ctl, maker, name, fd, pid_fd, stat_fd)) {
			retire(w);   /* gone: reaped soon */
			continue;
		}
		ts_endwatch_unpin();
		close(fd);
		w->idle = false;
		snprintf(w->name, sizeof w->name, "%s", name);
		a->served_total++;
		return true;
	}
	bool room = fds_held(a) + WORKER_FDS <= ts_fdlimit_now();
	if (!room)
		short_of_fds("one more worker");
	if (nworkers >= MAX_WORKERS || !room) {
		ts_endwatch_unpin();
		close(fd);
		return false;
	}
	/* Its requests go to the relay, which sends for every worker. */
	int relay = preload_otlp(a, otlp) ? ts_relay_connect(a, fd) : -1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		if (out_of_fds(errno))
			short_of_fds("a worker's control connection");
		sv[0] = sv[1] = -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 3; i++)
			if (a->keep_fds[i] >= 0)
				close(a->keep_fds[i]);
		if (a->relay_pid)
			close(a->relay_ctl);
		/* The others' connections: each must end when the agent closes it. */
		ts_agent_close_workers();
		ts_callerfds_close();
		if (sv[0] >= 0)
			close(sv[0]);
		/* A group of its own: a signal to the run's group (timeout's
		 * SIGTERM, a hang-up) ends the programs, not the writing of
		 * their spans. */
		setpgid(0, 0);
		/* No stdio of `run`'s: a worker lives as long as its process,
		 * and a daemon the command left must not hold the caller's
		 * pipe ($(traceshim run -- pg_ctl start)). What a worker says
		 * goes to its process's stderr (log.h). */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (int i = 0; i < 3 && null >= 0; i++)
			if (i != null)
				dup2(null, i);
		if (null > 2)
			close(null);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGTERM, SIG_DFL);
		_exit(sv[1] >= 0 ? ts_pool_worker(sv[1], a->dir, fd, path, relay)
				 : ts_worker_run(fd, path, relay));
	}
	ts_endwatch_unpin();
	close(fd);
	if (relay >= 0)
		close(relay);
	if (sv[1] >= 0)
		close(sv[1]);
	if (pid < 0) {
		if (sv[0] >= 0)
			close(sv[0]);
		return false;
	}
	workers[nworkers] = (struct served){.pid = pid, .ctl = sv[0]};
	snprintf(workers[nworkers].name, sizeof workers[nworkers].name, "%s", name);
	nworkers++;
	a->served_total++;
	a->forked++;
	ts_agent_note(a);
	return true;
}

/* What the workers said: one idle again (its segment is written and
 * removed) or closing (it ends). True when one became idle. */
static bool hear(const struct pollfd *p, unsigned n)
{
	bool any = false;
	for (unsigned k = 0; k < n; k++) {
		if (!p[k].revents)
			continue;
		for (unsigned i = 0; i < nworkers; i++) {
			struct served *w = &workers[i];
			if (w->ctl != p[k].fd)
				continue;
			int said;
			while ((said = ts_pool_heard(w->ctl)) == 1) {
				w->name[0] = 0;
				w->idle = true;
				w->idle_since = now_ms();
				any = true;
			}
			if (said < 0)
				retire(w);   /* a segment it serves stays its until reaped */
			break;
		}
	}
	return any;
}

/* Idle workers are let go after IDLE_MS (all of them, when the agent
 * ends); true when some are idle still. */
static bool retire_idle(bool all)
{
	bool left = false;
	uint64_t now = now_ms();
	for (unsigned i = 0; i < nworkers; i++)
		if (workers[i].idle) {
			if (all || now - workers[i].idle_since >= IDLE_MS)
				retire(&workers[i]);
			else
				left = true;
		}
	return left;
}

/* Serves the segments of the directory, oldest first. The segments of one
 * pid (a forked child, then the program it exec'd) are served one after the
 * other: their writer sequences have the same ids, and the importer needs
 * the first one's to be complete before the next one's start. */
static void scan(struct ts_agent *a)
{
	static struct ts_seg_found list[4096];
	size_t n = ts_agent_list_segments(a, list, sizeof list / sizeof *list);
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		while (j > 0 && list[j - 1].pid != list[i].pid)
			j--;
		if (j == 0)
			serve_segment(a, list[i].name, (pid_t)list[i].pid);
		else   /* a later image of the process: the one before may be over */
			ts_agent_end_replaced(a, &list[j - 1], &list[i]);
	}
}

/* Reaps what has ended; true when a worker did (a segment it held back may
 * be served now). */
static bool reap(struct ts_agent *a)
{
	int st;
	pid_t pid;
	bool any = false;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == a->child) {
			a->child_status = st;
			a->child = 0;
			continue;
		}
		if (ts_relay_reaped(a, pid, st))
			continue;
		for (unsigned i = 0; i < nworkers; i++)
			if (workers[i].pid == pid) {
				if (workers[i].ctl >= 0)
					close(workers[i].ctl);
				if (workers[i].name[0] && (!WIFEXITED(st) || WEXITSTATUS(st) > 1)) {
					/* Not served again: it would end the same way. */
					char path[PATH_MAX + NAME_MAX + 2];
					snprintf(path, sizeof path, "%s/%s", a->dir, workers[i].name);
					unlink(path);
					a->failed++;
					TS_WARN("the worker for %s ended badly (status %d)",
						workers[i].name, st);
				}
				workers[i] = workers[--nworkers];
				any = true;
				break;
			}
	}
	return any;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* True when a segment nobody serves is in the directory. */
static bool unserved(struct ts_agent *a)
{
	DIR *d = opendir(a->dir);
	bool found = false;
	struct dirent *e;
	while (d && !found && (e = readdir(d)))
		found = ts_rundir_is_segment(e->d_name) && !served(e->d_name);
	if (d)
		closedir(d);
	return found;
}

/* Every worker told to end; the idle ones (they exit at once) are waited
 * for, briefly. A worker still serving finishes on its own. */
static void end_workers(void)
{
	retire_idle(true);
	for (unsigned i = 0; i < nworkers; i++)
		retire(&workers[i]);
	uint64_t until = now_ms() + 500;
	for (unsigned i = 0; i < nworkers;) {
		struct served *w = &workers[i];
		if (w->name[0] || waitpid(w->pid, NULL, WNOHANG) != 0 || now_ms() >= until) {
			i++;
			continue;
		}
		struct timespec step = {0, 1000000};
		nanosleep(&step, NULL);
	}
}

/* The agent's work is throughput, never latency: as SCHED_BATCH its wake-ups
 * do not preempt the traced programs (the scheduler takes it for a CPU-bound
 * task), while its share of the CPU stays what it was. A policy someone set
 * on purpose (chrt) is kept. Its threads and workers inherit it; under
 * `traceshim run` the program was started before. */
static void yield_to_programs(void)
{
	if (sched_getscheduler(0) != SCHED_OTHER)
		return;
	struct sched_param p = {0};
	if (sched_setscheduler(0, SCHED_BATCH, &p) != 0)
		TS_INFO("the agent keeps its scheduling policy: %s", strerror(errno));
}

/* The agent writes the trace of every process of its run: a file size
 * limit of the process that happened to start it (`ulimit -f`) is not
 * theirs, and past it the kernel's SIGXFSZ would end the agent. The soft
 * limit goes up to the hard one, and past that a write only fails (EFBIG),
 * which the writer reports. Its workers inherit both. */
static void no_file_size_signal(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_FSIZE, &rl);
	}
	signal(SIGXFSZ, SIG_IGN);
}

static void served_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGCHLD);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
}

bool ts_agent_prepare(struct ts_agent *a, char *why, size_t cap)
{
	if (a->keep_fds[0] >= 0)
		return true;
	unsigned long limit = ts_fdlimit_now();
	if (limit < TS_AGENT_MIN_FDS) {
		snprintf(why, cap, "it may open only %lu file descriptors (ulimit -n), fewer than "
			 "the %d it needs", limit, TS_AGENT_MIN_FDS);
		return false;
	}
	sigset_t mask;
	served_signals(&mask);
	/* Read once blocked (ts_agent_serve): under traceshim run, after the
	 * command was started with the mask this process was given. */
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	/* Segments appear by rename, whole: the making of one wakes nobody. */
	int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (sfd < 0 || ino < 0 || inotify_add_watch(ino, a->dir, IN_MOVED_TO) < 0) {
		snprintf(why, cap, "cannot watch %s: %s", a->dir, strerror(errno));
		if (sfd >= 0)
			close(sfd);
		if (ino >= 0)
			close(ino);
		return false;
	}
	a->keep_fds[0] = sfd;
	a->keep_fds[1] = ino;
	return true;
}

/* The idle agent found a segment nobody serves after it let go of its lock,
 * and could not serve it either (out of descriptors, or a worker of an agent
 * before it holds it): it waits as an idle agent does, and leaves once that
 * has lasted this long, as it would have without the segment. */
#define STUCK_MS 2000

int ts_agent_serve(struct ts_agent *a)
{
	char why[PATH_MAX + 128];
	if (!ts_agent_prepare(a, why, sizeof why)) {
		TS_WARN("the agent does not serve %s: %s", a->dir, why);
		return 1;
	}
	yield_to_programs();
	no_file_size_signal();
	sigset_t mask;
	served_signals(&mask);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = a->keep_fds[0], ino = a->keep_fds[1];
	a->keep_fds[2] = a->lock_fd;
	scan(a);
	uint64_t idle_since = now_ms(), until = 0, stuck_since = 0;
	bool term = false;
	for (;;) {
		if (reap(a))
			scan(a);
		bool idle_left = retire_idle(false);
		bool busy = busy_workers() || a->child || ts_relay_busy(a);
		if (busy) {
			idle_since = now_ms();
			stuck_since = 0;
		}
		if (term && !a->child && !a->child_started)
			break;   /* under run, the command's end is waited for as always */
		if (a->child_started && !a->child) {
			/* The command is done: what its processes recorded is
			 * written, within one bound for the whole run. */
			if (!until)
				until = now_ms() + a->end_bound_ms;
			if ((!busy_workers() && !ts_relay_busy(a) && !unserved(a)) || now_ms() >= until)
				break;
		}
		if (!busy && a->stop_when_idle && now_ms() - idle_since >= IDLE_MS) {
			/* Let go of the lock first: a process that saw it held has
			 * made its segment already, and one that did not starts an
			 * agent of its own. */
			ts_agent_unlock(a);
			if (!unserved(a) || !ts_agent_lock(a))
				break;
			a->keep_fds[2] = a->lock_fd;
			unsigned long before = a->served_total;
			scan(a);
			if (a->served_total != before) {
				stuck_since = 0;
				continue;
			}
			/* Nothing could be served: not again at once (that
			 * would spin, and never read a SIGTERM), and not for
			 * ever. */
			uint64_t now = now_ms();
			if (!stuck_since)
				stuck_since = now;
			else if (now - stuck_since >= STUCK_MS)
				break;
			idle_since = now;
		}
		static struct pollfd p[3 + MAX_WORKERS];
		p[0] = (struct pollfd){sfd, POLLIN, 0};
		p[1] = (struct pollfd){ino, POLLIN, 0};
		p[2] = (struct pollfd){ts_relay_ctl(a), POLLIN, 0};
		unsigned np = 3;
		for (unsigned i = 0; i < nworkers; i++)
			if (workers[i].ctl >= 0)
				p[np++] = (struct pollfd){workers[i].ctl, POLLIN, 0};
		int ms = until ? 5 : busy ? 1000 : IDLE_MS;
		if (idle_left && ms > IDLE_MS / 4)
			ms = IDLE_MS / 4;   /* to let them go on time */
		if (poll(p, np, ms) < 0 && errno != EINTR)
			break;
		if (hear(p + 3, np - 3))
			scan(a);   /* a segment held back behind the one served may go */
		if (p[2].revents)
			ts_relay_read(a);
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof si) == sizeof si)
				if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP) {
					term = true;
					if (a->child)
						kill(a->child, (int)si.ssi_signo);
				}
		}
		if (p[1].revents & POLLIN) {
			char buf[4096] __attribute__((aligned(8)));
			while (read(ino, buf, sizeof buf) > 0)
				;
			scan(a);
		} else if (busy_workers() < MAX_WORKERS && !(p[0].revents & POLLIN)) {
			scan(a);   /* a queue overflow, or segments left waiting */
		}
	}
	/* What the relay still holds is given up within the run's bound (or,
	 * for an agent told to stop, within the exit bound from now). */
	ts_relay_end(a, until ? until : now_ms() + a->end_bound_ms, !term);
	end_workers();
	close(sfd);
	close(ino);
	a->keep_fds[0] = a->keep_fds[1] = -1;
	return 0;
}

void ts_agent_close_workers(void)
{
	for (unsigned i = 0; i < nworkers; i++)
		if (workers[i].ctl >= 0)
			close(workers[i].ctl);
}

unsigned ts_agent_workers(void)
{
	return busy_workers();
}
