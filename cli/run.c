/* traceshim run [-o FILE] [--otlp URL] [--summary] [--no-follow] -- CMD ARGS...
 *
 * Finds libtraceshim.so, starts CMD with it preloaded and the settings in its
 * environment, waits for it and leaves with its exit status, or dies by the
 * signal that killed it. Every process CMD starts is traced into the same
 * trace (the library passes itself on). One line on stderr says where the
 * trace is; --summary adds the table of the run's spans. */
#include "run.h"

#include "agent.h"
#include "callerfds.h"
#include "clock.h"
#include "fdlimit.h"
#include "rundir.h"
#include "safeopen.h"
#include "summary.h"
#include "ts_version.h"
#include "url.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

void ts_run_usage(FILE *to)
{
	fprintf(to,
		"traceshim run [-o FILE] [--otlp URL] [--summary] [--no-follow] -- CMD [ARGS...]\n"
		"          run CMD with every process it starts traced into one trace; exits as\n"
		"          CMD does (its status, or its signal)\n"
		"  -o, --output FILE  Perfetto trace to write (default CMD.PID.pftrace, here);\n"
		"                     truncated first\n"
		"  --otlp URL         export over OTLP/HTTP to URL (e.g. http://127.0.0.1:4318);\n"
		"                     no Perfetto file then unless -o is given too\n"
		"  --summary          print a table of the run's spans on stderr at the end\n"
		"                     (also TRACESHIM_SUMMARY=1)\n"
		"  --no-follow        trace CMD only, not the processes it starts\n"
		"  TRACESHIM_* and OTEL_* variables in the environment apply as usual.\n");
}

static bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Next to this program (installed side by side, or the build tree's cli/),
 * then the install directory. */
bool ts_find_library(char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = 0;
		char *dir = dirname(self);
		static const char *const rel[] = {
			"libtraceshim.so", "../libtraceshim.so", "../lib/libtraceshim.so",
			"../" TS_LIBDIR_REL "/libtraceshim.so",
		};
		for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
			snprintf(out, cap, "%s/%s", dir, rel[i]);
			char real[PATH_MAX];
			if (is_file(out) && realpath(out, real)) {
				snprintf(out, cap, "%s", real);
				return true;
			}
		}
	}
	snprintf(out, cap, "%s/libtraceshim.so", TS_LIBDIR);
	return is_file(out);
}

struct opts {
	const char *output, *otlp;
	bool summary, follow;
	char **cmd;
};

static int parse(int argc, char **argv, struct opts *o)
{
	const char *s = getenv("TRACESHIM_SUMMARY");
	o->summary = s && (!strcmp(s, "1") || !strcasecmp(s, "true"));
	o->follow = true;
	int i = 0;
	for (; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && v) {
			o->output = v;
			i++;
		} else if (!strcmp(a, "--otlp") && v) {
			o->otlp = v;
			i++;
		} else if (!strcmp(a, "--summary")) {
			o->summary = true;
		} else if (!strcmp(a, "--no-follow")) {
			o->follow = false;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			ts_run_usage(stdout);
			return 0;
		} else if (a[0] == '-') {
			fprintf(stderr, "traceshim run: unknown option %s\n\n", a);
			ts_run_usage(stderr);
			return 2;
		} else {
			break;   /* the command, without "--" */
		}
	}
	if (i >= argc) {
		fprintf(stderr, "traceshim run: no command given\n\n");
		ts_run_usage(stderr);
		return 2;
	}
	o->cmd = argv + i;
	return -1;
}

static void set(const char *name, const char *value)
{
	if (setenv(name, value, 1) != 0) {
		fprintf(stderr, "traceshim run: cannot set %s: %s\n", name, strerror(errno));
		exit(2);
	}
}

/* LD_PRELOAD with the library after anything the user preloads (a sanitizer
 * runtime must stay first). */
static void set_preload(const char *lib)
{
	const char *cur = getenv("LD_PRELOAD");
	if (!cur || !*cur) {
		set("LD_PRELOAD", lib);
		return;
	}
	size_t n = strlen(lib) + strlen(cur) + 2;
	char *v = malloc(n);
	if (!v)
		exit(2);
	snprintf(v, n, "%s:%s", cur, lib);
	set("LD_PRELOAD", v);
	free(v);
}

/* Sets up the environment; returns the trace path (NULL: OTLP only). */
static const char *prepare(const struct opts *o, const char *lib, char *trace, size_t cap,
			   char *summary, size_t scap)
{
	set_preload(lib);
	set("TRACESHIM_FOLLOW", o->follow ? "true" : "false");
	/* A traced program's mark for the process it starts: the command's
	 * parent is this one, whose spans, if any, are in another file. The
	 * W3C context (TRACEPARENT) goes on. */
	unsetenv("TRACESHIM_PARENT_SPAN");
	/* The TSC is checked once here rather than by every process of the tree. */
	if (!getenv("TRACESHIM_CLOCK") && ts_clock_tsc_invariant())
		set("TRACESHIM_CLOCK", "tsc");
	const char *out = o->output;
	if (o->otlp) {
		set("OTEL_EXPORTER_OTLP_ENDPOINT", o->otlp);
		unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
		unsetenv("OTEL_TRACES_EXPORTER");
	}
	if (!out && !o->otlp)
		out = getenv("TRACESHIM_OUTPUT");
	char def[PATH_MAX];
	if (!out && !o->otlp) {
		char *base = strrchr(o->cmd[0], '/');
		snprintf(def, sizeof def, "%s.%ld.pftrace", base ? base + 1 : o->cmd[0], (long)getpid());
		out = def;
	}
	const char *result = NULL;
	if (out) {
		char cwd[PATH_MAX];
		if (out[0] != '/' && getcwd(cwd, sizeof cwd) && strlen(cwd) + strlen(out) + 2 <= cap) {
			strcpy(trace, cwd);
			strcat(trace, "/");
			strcat(trace, out);
		} else {
			snprintf(trace, cap, "%s", out);
		}
		/* A new run: a new trace. Emptied only once it is known to be the
		 * user's own regular file (never through a symbolic link); a FIFO
		 * or a device is left as it is. */
		char why[160];
		int fd = ts_open_output(trace, O_WRONLY | O_CREAT | O_NONBLOCK, 0644,
					TS_OPEN_FIFO | TS_OPEN_CHR, why, sizeof why);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(fd, 0) != 0) {
			snprintf(why, sizeof why, "%s", strerror(errno));
			close(fd);
			fd = -1;
		}
		if (fd < 0 && errno != ENXIO) {   /* ENXIO: a FIFO not read yet */
			fprintf(stderr, "traceshim run: cannot write the trace to %s: %s\n", trace, why);
			exit(2);
		}
		if (fd >= 0)
			close(fd);
		set("TRACESHIM_OUTPUT", trace);
		result = trace;
	} else {
		unsetenv("TRACESHIM_OUTPUT");
	}
	if (o->summary) {
		const char *dir = getenv("TMPDIR");
		snprintf(summary, scap, "%s/traceshim-summary.XXXXXX", dir && *dir ? dir : "/tmp");
		int fd = mkstemp(summary);
		if (fd < 0) {
			fprintf(stderr, "traceshim run: cannot create a summary file: %s\n", strerror(errno));
			exit(2);
		}
		close(fd);
		char pid[24];
		snprintf(pid, sizeof pid, "%ld", (long)getpid());
		set("TRACESHIM_SUMMARY", "1");
		set("TRACESHIM_SUMMARY_FILE", summary);
		set("TRACESHIM_SUMMARY_ROOT", pid);   /* no process of the run reports itself */
	} else {
		unsetenv("TRACESHIM_SUMMARY");
	}
	return result;
}

/* Waits for the child; SIGINT and SIGQUIT from the terminal reach it (they go
 * to the whole foreground group) and are ignored here, SIGTERM and SIGHUP
 * are passed on. */
static pid_t child_pid;

static void pass_on(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

static int wait_child(pid_t pid)
{
	child_pid = pid;
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	struct sigaction sa = {.sa_handler = pass_on};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Blocked while an agent served (a signalfd read them): one that came
	 * since is passed on now. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* The run's own directory, served by this process while the command runs:
 * every process of the tree leaves its records there (TRACESHIM_RUN_DIR).
 * False (each process writes its own spans) when TRACESHIM_AGENT=off or no
 * directory can be made; when the directory is made but cannot be served
 * (too few descriptors), the tree is told TRACESHIM_AGENT=off, so that no
 * process of it waits for an agent, or leaves a segment, in a directory
 * nobody serves. */
static bool own_agent(struct ts_agent *a, const char *lib)
{
	*a = (struct ts_agent){.lock_fd = -1, .keep_fds = {-1, -1, -1}, .relay_ctl = -1};
	const char *mode = getenv("TRACESHIM_AGENT");
	if (mode && !strcasecmp(mode, "off"))
		return false;
	char base[PATH_MAX], why[PATH_MAX + 128];
	if (!ts_rundir_default(base, sizeof base) || !ts_rundir_usable(base, true, why, sizeof why)) {
		fprintf(stderr, "traceshim run: %s; each process writes its own spans\n", why);
		return false;
	}
	if ((size_t)snprintf(a->dir, sizeof a->dir, "%s/run.XXXXXX", base) >= sizeof a->dir ||
	    !mkdtemp(a->dir))
		return false;
	if (!ts_agent_prepare(a, why, sizeof why) ||
	    (!ts_agent_lock(a) && snprintf(why, sizeof why, "cannot lock %s: %s", a->dir,
					   strerror(errno)))) {
		fprintf(stderr, "traceshim run: no agent for the run (%s); each process writes its "
			"own spans\n", why);
		for (int i = 0; i < 2; i++)
			if (a->keep_fds[i] >= 0) {
				close(a->keep_fds[i]);
				a->keep_fds[i] = -1;
			}
		rmdir(a->dir);
		set("TRACESHIM_AGENT", "off");
		return false;
	}
	char libdir[PATH_MAX];
	snprintf(libdir, sizeof libdir, "%s", lib);
	ts_agent_set_module_dir(a, dirname(libdir));
	const char *t = getenv("TRACESHIM_EXIT_TIMEOUT_MS");
	a->end_bound_ms = t ? (unsigned)strtoul(t, NULL, 10) : 2000;
	if (a->end_bound_ms > 600000)
		a->end_bound_ms = 2000;
	set("TRACESHIM_RUN_DIR", a->dir);
	/* Its processes need not wait at exit for their spans to be written:
	 * this process waits, once, at the end. */
	set("TRACESHIM_RUN_WAITS", "1");
	return true;
}

/* Segments no worker serves (none could be, within the run's bound): their
 * spans are not coming, and their files are memory on tmpfs. */
static void remove_unserved(struct ts_agent *a)
{
	static struct ts_seg_found list[4096];
	size_t n = ts_agent_list_segments(a, list, sizeof list / sizeof *list);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + NAME_MAX + 2];
		if ((size_t)snprintf(path, sizeof path, "%s/%s", a->dir, list[i].name) >= sizeof path)
			continue;
		int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
			unlink(path);
		if (fd >= 0)
			close(fd);
	}
}

/* Lets go of the run's directory; it is removed unless a process of the
 * tree is still running (its segment is there, served by its worker). */
static void end_agent(struct ts_agent *a)
{
	char lock[PATH_MAX + 16];
	snprintf(lock, sizeof lock, "%s/" TS_AGENT_LOCK, a->dir);
	remove_unserved(a);
	if (!ts_agent_workers())
		unlink(lock);
	ts_agent_unlock(a);
	rmdir(a->dir);
}

/* False when the trace is known not to be written: a regular file that is
 * still empty (a FIFO or a device cannot tell). */
static bool trace_written(const char *where)
{
	struct stat st;
	return stat(where, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 0;
}

int ts_run_main(int argc, char **argv)
{
	ts_callerfds_note();
	struct opts o = {0};
	int rc = parse(argc, argv, &o);
	if (rc >= 0)
		return rc;
	char lib[PATH_MAX];
	if (!ts_find_library(lib, sizeof lib)) {
		fprintf(stderr, "traceshim run: libtraceshim.so is neither next to this program nor in %s\n",
			TS_LIBDIR);
		return 2;
	}
	char trace[PATH_MAX], summary[PATH_MAX];
	const char *where = prepare(&o, lib, trace, sizeof trace, summary, sizeof summary);

	/* The agent's descriptors are this process's: as many as it may have.
	 * The command is started with the limits run was given: the soft one
	 * is put back for the moment of the spawn (the child is made with the
	 * limits of that moment; run is single-threaded here). */
	struct rlimit given;
	bool raised = ts_fdlimit_raise(&given) != 0 && given.rlim_cur != given.rlim_max;
	struct ts_agent agent;
	bool served = own_agent(&agent, lib);
	pid_t pid;
	if (raised)
		setrlimit(RLIMIT_NOFILE, &given);
	int err = posix_spawnp(&pid, o.cmd[0], NULL, NULL, o.cmd, environ);
	if (raised)
		ts_fdlimit_raise(NULL);
	if (err) {
		fprintf(stderr, "traceshim run: cannot run %s: %s\n", o.cmd[0], strerror(err));
		if (o.summary)
			unlink(summary);
		if (served)
			end_agent(&agent);
		return err == ENOENT ? 127 : 126;
	}
	int status;
	if (served) {
		agent.child = pid;
		agent.child_started = true;
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		ts_agent_serve(&agent);
		end_agent(&agent);
		/* An agent that stopped before the command ended: run still
		 * ends as the command does. */
		status = agent.child ? wait_child(pid) : agent.child_status;
	} else {
		status = wait_child(pid);
	}

	if (o.summary) {
		ts_summary_report(summary, stderr);
		unlink(summary);
	}
	char shown[512];
	const char *bad = o.otlp ? ts_url_parse(o.otlp, strlen(o.otlp), NULL) : NULL;
	if (o.otlp)
		ts_url_redact(o.otlp, shown, sizeof shown);
	if (bad)
		fprintf(stderr, "traceshim: nothing exported: --otlp '%s' is not a valid URL: %s\n",
			shown, bad);
	else if (o.otlp && !where && served && agent.relay_undelivered)
		fprintf(stderr, "traceshim: not every span reached %s (it refused them or did not "
			"answer in time; TRACESHIM_LOG=warn says more)\n", shown);
	else if (o.otlp && !where)
		fprintf(stderr, "traceshim: spans exported to %s\n", shown);
	if (where && trace_written(where))
		fprintf(stderr, "traceshim: trace written to %s\n", where);
	else if (where)
		fprintf(stderr, "traceshim: no trace written to %s: no process of the run could "
			"write its spans (TRACESHIM_LOG=warn tells why)\n", where);

	if (status >= 0 && WIFSIGNALED(status)) {
		/* Die the same way, without a core file of our own. */
		int sig = WTERMSIG(status);
		struct rlimit none = {0, 0};
		setrlimit(RLIMIT_CORE, &none);
		signal(sig, SIG_DFL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		return 128 + sig;
	}
	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
