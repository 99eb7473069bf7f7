#!/usr/bin/env python3
"""Process trees: `traceshim run` on shells, make, Python and programs that
fork, exec, spawn, system() and popen(). One trace holds every process,
each with its own named process track, its parent pid (ProcessTree) and an
arrow from the call that started it; exit statuses and signals are those of
the command; --summary prints the run's table on stderr.

Run:  TRACESHIM_LIB=build/libtraceshim.so TRACESHIM_CLI=build/cli/traceshim \\
      PROGS_DIR=build/tests/progs python3 tests/integration/test_process.py
"""

import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

STARTERS = {"fork", "vfork", "execve", "execv", "execvp", "execvpe", "execl", "execlp",
            "execle", "fexecve", "execveat", "posix_spawn", "posix_spawnp", "system", "popen"}


def prog(name):
    return os.path.join(os.environ["PROGS_DIR"], name)


cli = tracelib.traceshim_cli
clean_env = tracelib.clean_env


def process_spans(trace):
    """[(process track, its process span)] for every process track."""
    out = []
    for track in trace.process_tracks():
        spans = [s for s in trace.slices if s.track_uuid == track.uuid and s.depth == 0]
        out.append((track, spans[0] if spans else None))
    return out


class ProcessTreeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="traceshim-proc-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.trace_path = os.path.join(self.tmp, "run.pftrace")

    def run_cli(self, argv, options=(), env=None, cwd=None, plain=True, timeout=120):
        """Runs argv plain (to compare) and under `traceshim run`; returns
        (traced CompletedProcess, Trace or None)."""
        run = dict(cwd=cwd or self.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   stdin=subprocess.DEVNULL, timeout=timeout)
        before = subprocess.run(argv, env=clean_env(env), **run) if plain else None
        traced = subprocess.run([cli(), "run", "-o", self.trace_path, *options, "--", *argv],
                                env=clean_env(env), **run)
        if before is not None:
            self.assertEqual(traced.returncode, before.returncode, traced.stderr.decode())
            self.assertEqual(traced.stdout, before.stdout)
        trace = None
        if os.path.exists(self.trace_path):
            trace = tracelib.load_trace(self.trace_path)
            self.assertEqual(tracelib.structural_errors(trace), [])
        return traced, trace

    def run_traced(self, argv, how="preload", env=None, timeout=60):
        """Runs argv traced into a fresh self.trace_path, by a plain
        LD_PRELOAD (how "preload", with a run directory of its own) or under
        `traceshim run` (how "run"); returns the CompletedProcess."""
        if os.path.exists(self.trace_path):
            os.unlink(self.trace_path)
        env = clean_env(env)
        if how == "run":
            argv = [cli(), "run", "-o", self.trace_path, "--", *argv]
        else:
            env.update(LD_PRELOAD=tracelib.shim_preload(), TRACESHIM_OUTPUT=self.trace_path,
                       TRACESHIM_RUN_DIR=tracelib.private_run_dir(self.tmp))
        return subprocess.run(argv, env=env, stdout=subprocess.PIPE, timeout=timeout)

    def assert_tree(self, trace, root_name):
        """Every process has a named track and a span; every one but the root
        has its parent pid in the trace and an arrow from a fork/exec/spawn
        slice. Returns {pid: [names]} and {pid: ppid}."""
        names, roots = {}, []
        for track, span in process_spans(trace):
            self.assertTrue(track.process_name, track)
            self.assertIsNotNone(span, "process %s has no span" % track.label())
            self.assertIsNotNone(span.dur, "process span of %s never ended" % track.label())
            names.setdefault(track.pid, []).append(track.process_name)
            if not span.terminating_flow_ids:
                roots.append(track)
                continue
            flow = [f for f in trace.flows if f.slices[-1] is span]
            self.assertEqual(len(flow), 1, "no arrow into %s" % track.label())
            self.assertIn(flow[0].slices[0].name, STARTERS, track.label())
        self.assertEqual([t.process_name for t in roots], [root_name])
        pids = set(names)
        for pid in pids:
            self.assertIn(pid, trace.parent_pids, "no ProcessTree entry for %d" % pid)
            if pid != roots[0].pid:
                self.assertIn(trace.parent_pids[pid], pids, "parent of %s" % names[pid])
        return names, trace.parent_pids

    def ancestors(self, pid, ppids):
        out = []
        while pid in ppids and ppids[pid] not in out and ppids[pid] != pid:
            pid = ppids[pid]
            out.append(pid)
        return out

    # ------------------------------------------------------------ shells
    def test_shell_pipeline_and_subshells(self):
        script = 'printf "b\\na\\n" | sort | head -n 1; (cat /dev/null; echo sub); (exit 3)'
        traced, trace = self.run_cli(["sh", "-c", script])
        self.assertEqual(traced.returncode, 3)
        self.assertIn(b"trace written to " + self.trace_path.encode(), traced.stderr)
        names, _ = self.assert_tree(trace, "sh")
        every = {n for ns in names.values() for n in ns}
        self.assertTrue({"sh", "sort", "head", "cat"} <= every, every)

    def test_a_program_that_writes_over_its_arguments_keeps_its_name(self):
        # Perl's $0 writes over argv, as setproctitle does (nginx's
        # "master process"); the child forked after it is still perl.
        if not shutil.which("perl"):
            self.skipTest("perl is not installed")
        script = ('$0 = "a title much longer than the program name"; '
                  'if (fork() == 0) { open(F, ">/dev/null"); print F "x"; close F; exit 0 } wait')
        traced, trace = self.run_cli(["perl", "-e", script])
        self.assertEqual(traced.returncode, 0, traced.stderr)
        names, _ = self.assert_tree(trace, "perl")
        self.assertEqual(len(names), 2)
        self.assertEqual({n for ns in names.values() for n in ns}, {"perl"})

    def test_exit_signal_is_the_commands(self):
        traced, trace = self.run_cli(["sh", "-c", "kill -TERM $$"])
        self.assertEqual(traced.returncode, -signal.SIGTERM)
        spans = [s for _, s in process_spans(trace)]
        self.assertEqual(spans[0].args.get("process.exit.code"), 128 + signal.SIGTERM)

    # ------------------------------------------------------------ make
    def write_project(self, fail=False):
        src = os.path.join(self.tmp, "proj")
        os.mkdir(src)
        with open(os.path.join(src, "a.c"), "w") as f:
            f.write("int b(void);\nint main(void) { return b(); }\n")
        with open(os.path.join(src, "b.c"), "w") as f:
            f.write("#include <stdio.h>\nint b(void) { puts(\"built\"); return %d; }\n"
                    % (1 if fail else 0))
        with open(os.path.join(src, "Makefile"), "w") as f:
            f.write("prog: a.o b.o\n\tgcc -o prog a.o b.o\n"
                    "%.o: %.c\n\tgcc -c $< -o $@\n"
                    "test: prog\n\t./prog\n")
        return src

    def make_available(self):
        if not shutil.which("make") or not shutil.which("gcc"):
            self.skipTest("make and gcc are needed")

    def test_make_j2_compiles_and_tests(self):
        self.make_available()
        src = self.write_project()
        traced, trace = self.run_cli(["make", "-s", "-j2", "test"], options=["--summary"],
                                     cwd=src, plain=False)
        self.assertEqual(traced.returncode, 0, traced.stderr.decode())
        self.assertEqual(traced.stdout, b"built\n")
        names, ppids = self.assert_tree(trace, "make")
        make_pid = [p for p, n in names.items() if "make" in n][0]
        every = {n for ns in names.values() for n in ns}
        self.assertTrue({"make", "gcc", "cc1", "as", "prog"} <= every, every)
        for pid, ns in names.items():
            if pid != make_pid:
                self.assertIn(make_pid, self.ancestors(pid, ppids), "%s not under make" % ns)
        err = traced.stderr.decode()
        self.assertIn("traceshim summary:", err)
        self.assertRegex(err, r"\n\s+2\s+0\s+.*process\s+cc1\n")
        self.assertIn("slowest processes:", err)

    def test_make_failure_is_pointed_at(self):
        self.make_available()
        src = self.write_project(fail=True)
        traced, _ = self.run_cli(["make", "-s", "test"], options=["--summary"], cwd=src,
                                 plain=False)
        self.assertEqual(traced.returncode, 2)
        err = traced.stderr.decode()
        self.assertRegex(err, r"failed processes:\n  prog \(pid \d+\): exit code 1\n"
                              r"  make \(pid \d+\): exit code 2\n")

    # ------------------------------------------------------------ Python
    def test_python_subprocess(self):
        code = ("import subprocess, sys\n"
                "r = subprocess.run(['ls', '/traceshim-nonexistent'], capture_output=True)\n"
                "print(r.returncode)\n"
                "sys.exit(r.returncode)\n")
        traced, trace = self.run_cli([sys.executable, "-c", code])
        self.assertEqual(traced.returncode, 2)
        names, ppids = self.assert_tree(trace, os.path.basename(sys.executable))
        ls = [p for p, n in names.items() if "ls" in n]
        self.assertEqual(len(ls), 1, names)
        ls_span = [s for t, s in process_spans(trace) if t.process_name == "ls"][0]
        self.assertEqual(ls_span.args.get("process.exit.code"), 2)
        self.assertEqual(ls_span.args.get("otel.status_code"), "ERROR")

    # ------------------------------------------------------------ programs
    def spawner(self, mode, plain=False):
        return self.run_cli([prog("spawner"), mode], plain=plain)

    def child_env(self, out):
        return dict(line.split("=", 1) for line in out.decode().splitlines() if "=" in line)

    def test_exec_with_an_empty_environment(self):
        traced, trace = self.spawner("empty")
        self.assertEqual(traced.returncode, 0)
        env = self.child_env(traced.stdout)
        self.assertRegex(env.get("TRACEPARENT", ""), r"^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")
        self.assertIn("libtraceshim.so", env.get("LD_PRELOAD", ""))
        self.assertEqual(env.get("TRACESHIM_OUTPUT"), self.trace_path)
        names, _ = self.assert_tree(trace, "spawner")
        self.assertEqual(list(names.values()), [["spawner", "env"]])
        execve = trace.slices_named("execve")
        self.assertEqual(len(execve), 1)
        self.assertEqual(execve[0].args.get("traceshim.child.path"), "/usr/bin/env")

    def test_posix_spawn_with_its_own_environment(self):
        traced, trace = self.spawner("spawn")
        self.assertEqual(traced.returncode, 0)
        env = self.child_env(traced.stdout)
        self.assertEqual(env.get("FOO"), "bar")
        self.assertIn("TRACEPARENT", env)
        names, _ = self.assert_tree(trace, "spawner")
        self.assertEqual(sorted(n for ns in names.values() for n in ns), ["env", "spawner"])

    def test_system_and_popen(self):
        traced, trace = self.spawner("system")
        self.assertEqual(traced.returncode, 3)
        span = trace.slices_named("system")[0]
        self.assertEqual(span.args.get("process.exit.code"), 3)
        self.assert_tree(trace, "spawner")
        os.unlink(self.trace_path)
        traced, trace = self.spawner("popen")
        self.assertEqual(traced.returncode, 0)
        self.assertIn("TRACEPARENT", self.child_env(traced.stdout))
        names, _ = self.assert_tree(trace, "spawner")
        self.assertIn("env", {n for ns in names.values() for n in ns})

    def test_exec_of_a_missing_program(self):
        traced, trace = self.spawner("missing", plain=True)
        self.assertEqual(traced.returncode, 127)
        span = trace.slices_named("execvp")[0]
        self.assertEqual(span.args.get("error.type"), "ENOENT")

    def test_exec_the_kernel_refuses(self):
        # The program looked runnable, so its process span ended at the
        # exec; the exec failed, and tracing goes on as a new process span
        # that holds the failed call (none of it before that span began).
        traced, trace = self.spawner("noexec", plain=True)
        self.assertEqual(traced.stdout, b"errno %d\n" % errno.ENOEXEC)
        failed = [s for s in trace.slices_named("execl") if s.args.get("error.type") == "ENOEXEC"]
        self.assertEqual(len(failed), 1)
        spans = [s for _, s in process_spans(trace)]
        self.assertEqual(len(spans), 2)
        later = max(spans, key=lambda s: s.ts)
        self.assertGreaterEqual(failed[0].ts, later.ts)
        self.assertTrue(trace.slices_named("printf") or trace.slices_named("write"))

    def test_threads_starting_as_the_process_execs(self):
        # The exec ends the process's spans as it begins; a thread started
        # just before may begin its span only after that. Its span ended
        # before it began, which does not import. Each must end no earlier
        # than it began and than the calls it holds. A thread starts late
        # in some runs only: several runs, in both modes. A thread the exec
        # ended before it ran has no span: its pthread_create's arrow ends
        # nowhere, which the importer draws as no arrow (no error).
        for agent in ("auto", "off"):
            for run in range(8):
                with self.subTest(agent=agent, run=run):
                    traced, trace = tracelib.run_pair([prog("threadexec")],
                                                      env={"TRACESHIM_AGENT": agent},
                                                      check=False)
                    self.assertEqual(traced.returncode, 0)
                    threads = [s for s in trace.slices
                               if s.depth == 0 and s.tid is not None and s.tid != s.pid]
                    errors = tracelib.structural_errors(trace)
                    unstarted = [e for e in errors
                                 if e.startswith("pthread_create") and "never terminated" in e]
                    self.assertEqual([e for e in errors if e not in unstarted][:10], [])
                    self.assertEqual(len(unstarted), 8 - len(threads), unstarted)
                    for span in threads:
                        self.assertIsNotNone(span.dur, span)
                        self.assertGreaterEqual(span.dur, 0, span)
                        for call in trace.descendants(span):
                            if call.end is not None:
                                self.assertLessEqual(call.end, span.end, call)

    def test_system_with_sigchld_ignored(self):
        # No status can be had (ECHILD): the system span is an error, and
        # the arrow to the shell it started still ends on the shell's span.
        traced, trace = self.spawner("nowait", plain=True)
        self.assertEqual(traced.stdout, b"system -1 errno %d\n" % errno.ECHILD)
        span = trace.slices_named("system")[0]
        self.assertEqual(span.args.get("error.type"), "ECHILD")
        names, _ = self.assert_tree(trace, "spawner")
        self.assertIn("sh", {n for ns in names.values() for n in ns})

    def test_shell_started_out_of_sight_after_an_exec(self):
        # env execs spawner, whose system(NULL) has glibc start a shell the
        # shim does not see: that shell must not take the exec's arrow for
        # its own (an arrow ended twice does not import).
        traced, trace = self.run_cli(["env", prog("spawner"), "sysnull"])
        self.assertEqual(traced.stdout, b"system(NULL) 1\n")
        spans = {track.process_name: (track, span) for track, span in process_spans(trace)}
        self.assertIn("sh", spans)
        sh = spans["sh"][1]
        self.assertEqual(sh.args.get("process.parent_pid"), spans["env"][0].pid)
        # Not drawn from the exec, which already has its arrow to spawner.
        arrows = [f for f in trace.flows if f.slices[-1] is sh]
        self.assertEqual(arrows, [])

    def test_fork_storm(self):
        n = 500
        traced, trace = self.run_cli([prog("forkstorm"), str(n)], timeout=300)
        self.assertEqual(traced.stdout, b"%d children ok\n" % n)
        names, _ = self.assert_tree(trace, "forkstorm")
        self.assertEqual(len(names), n + 1)
        forks = trace.slices_named("fork")
        self.assertEqual(len(forks), n)
        for _, span in process_spans(trace):
            self.assertEqual(span.args.get("process.exit.code"), 0)
        self.assertEqual(len(trace.slices_named("write")) >= n, True)

    def test_exec_by_the_system_call_itself(self):
        # Go's syscall.Exec makes the execve system call without libc: the
        # shim sees no exec. The new image's segment then waited behind the
        # old one's (which said it lived) until the exit timeout, and the
        # old image ended where the new one did (two processes over each
        # other). Now the old image ends where the new one starts, with a
        # plain LD_PRELOAD and under traceshim run.
        argv = [prog("rawexec"), "/bin/echo", "after"]
        plain = subprocess.run(argv, env=clean_env(), stdout=subprocess.PIPE, timeout=60)
        for how in ("preload", "run"):
            with self.subTest(how=how):
                start = time.monotonic()
                traced = self.run_traced(argv, how, {"TRACESHIM_EXIT_TIMEOUT_MS": "10000"})
                elapsed = time.monotonic() - start
                self.assertEqual((traced.returncode, traced.stdout), (0, b"before\nafter\n"))
                self.assertEqual(traced.stdout, plain.stdout)
                self.assertLess(elapsed, 5.0, "the new image waited for the exit timeout")
                deadline = time.monotonic() + 10
                while how == "preload" and time.monotonic() < deadline:
                    trace = tracelib.load_trace(self.trace_path, check=False)
                    if len([s for _, s in process_spans(trace) if s is not None]) == 2:
                        break
                    time.sleep(0.05)
                trace = tracelib.load_trace(self.trace_path, check=False)
                self.assertEqual(tracelib.structural_errors(trace), [])
                spans = sorted((s for _, s in process_spans(trace) if s is not None),
                               key=lambda s: s.ts)
                if os.environ.get("TRACESHIM_AGENT") == "off":
                    # The image before has its own writer, which the exec
                    # ends unwritten: nothing tells it of an exec it does
                    # not see. The new image is whole.
                    self.assertEqual([s.name for s in spans][-1:], ["echo"])
                    continue
                self.assertEqual([s.name for s in spans], ["rawexec", "echo"])
                self.assertLessEqual(spans[0].ts + spans[0].dur, spans[1].ts)
                self.assertNotIn("process.exit.code", spans[0].args)
                self.assertEqual(spans[1].args.get("process.exit.code"), 0)

    def test_forks_that_run_no_fork_handler(self):
        # _Fork(), clone() without CLONE_VM and the fork and clone3 system
        # calls copy the parent without the shim's fork handlers: the child
        # had the parent's rings and thread. Its calls were the parent's
        # (with an agent), its exit() ended the parent's segment (whose
        # later spans were lost), and with the in-process writer each such
        # exit() waited the whole exit timeout for a writer thread the
        # child does not have. Now the child records nothing, and what it
        # executes is the fork span's child.
        hows = ["_Fork", "SYS_fork", "SYS_clone3", "clone"]
        for mode, code in (("exit", 5), ("exec", 0)):
            with self.subTest(mode=mode):
                argv = [prog("barefork"), mode, "/bin/true"]
                plain = subprocess.run(argv, env=clean_env(), stdout=subprocess.PIPE, timeout=60)
                self.assertEqual(plain.stdout, b"".join(b"%s %d\n" % (h.encode(), code) for h in hows))
                start = time.monotonic()
                traced = self.run_traced(argv, env={"TRACESHIM_EXIT_TIMEOUT_MS": "10000"},
                                         timeout=120)
                self.assertLess(time.monotonic() - start, 5.0, "a child's exit waited")
                self.assertEqual((traced.returncode, traced.stdout), (3, plain.stdout))
                trace = tracelib.load_trace(self.trace_path, check=False)
                self.assertEqual(tracelib.structural_errors(trace), [])
                tracks = {t.process_name: t for t in trace.process_tracks()}
                spans = dict((t.process_name, s) for t, s in process_spans(trace))
                self.assertEqual(spans["barefork"].args.get("process.exit.code"), 3)
                pid = tracks["barefork"].pid
                forks = trace.slices_of(pid=pid, name="fork")
                self.assertEqual(len(forks), 4)
                marks = sorted(s.args.get("file.path") for s in trace.slices_of(pid=pid, name="open"))
                self.assertEqual(marks, sorted("/dev/null/%s-%s" % (h, w) for h in hows
                                               for w in ("before", "after")))
                # Nothing the children did is the parent's.
                self.assertEqual(trace.slices_of(pid=pid, name="write"), [])
                children = [s for t, s in process_spans(trace) if t.process_name != "barefork"]
                if mode == "exit":
                    self.assertEqual(children, [])
                    continue
                self.assertEqual(len(children), 4)
                for child in children:
                    self.assertEqual(child.args.get("process.parent_pid"), pid)
                    arrows = [f for f in trace.flows if f.slices[-1] is child]
                    self.assertEqual(len(arrows), 1)
                    self.assertIn(arrows[0].slices[0], forks)

    def test_a_process_in_another_pid_namespace(self):
        # A process in a new PID namespace (unshare -p, a container) gave
        # the agent the pid it sees there, and the agent watched whatever
        # process had that number outside: with none, the process was
        # "killed by SIGKILL" at once and its spans lost. It now writes its
        # own spans when the run's agent is in another PID namespace.
        if os.geteuid() != 0 or not shutil.which("unshare"):
            self.skipTest("needs root and unshare")
        # A pid that no process has here, nor the two after it: the
        # process in the namespace is made to get it.
        free = [n for n in range(20, 400) if not any(
            os.path.exists("/proc/%d" % m) for m in range(n - 1, n + 3))]
        if not free:
            self.skipTest("no free low pid")
        script = ('while :; do n=$(sh -c \'echo $$\'); [ "$n" -ge %d ] && break; done; '
                  'sh -c "sleep 0.3; exit 3"; echo "inner $?"' % (free[0] - 2))
        argv = ["unshare", "-p", "-f", "--mount-proc", "sh", "-c", script]
        probe = subprocess.run(argv, env=clean_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, timeout=60)
        if probe.returncode != 0:
            self.skipTest("unshare -p does not work here")
        self.assertEqual(probe.stdout, b"inner 3\n")
        for how in ("preload", "run"):
            with self.subTest(how=how):
                traced = self.run_traced(argv, how)
                self.assertEqual((traced.returncode, traced.stdout), (0, probe.stdout))
                trace = tracelib.load_trace(self.trace_path, check=False)
                self.assertEqual(tracelib.structural_errors(trace), [])
                codes = [s.args.get("process.exit.code") for _, s in process_spans(trace)
                         if s is not None and s.args.get("process.executable.name") == "sh"]
                # The burning shells, the namespace's first and the one that exits 3.
                self.assertIn(3, codes)
                self.assertNotIn(137, codes)
                inner = [s for _, s in process_spans(trace) if s is not None and
                         s.args.get("process.exit.code") == 3]
                self.assertEqual(len(inner), 1)
                # Its own calls are there: the sleep it started.
                pid = inner[0].args["process.pid"]
                sleeps = [s for _, s in process_spans(trace) if s is not None and
                          s.args.get("process.parent_pid") == pid]
                self.assertEqual([s.name for s in sleeps], ["sleep"])
                self.assertEqual(sleeps[0].args.get("process.exit.code"), 0)
                self.assertEqual(len(trace.slices_of(pid=pid, name="vfork") +
                                     trace.slices_of(pid=pid, name="fork")), 1)

    def test_a_child_whose_parent_left_keeps_its_parent_pid(self):
        # A daemon's double fork: the parent leaves right after fork, and
        # the child read getppid() only after that, the reaper's pid (1).
        # Its parent is the process that forked it.
        n = 12
        notes = os.path.join(self.tmp, "chain.txt")
        traced = self.run_traced([prog("daemonchain"), str(n), notes])
        self.assertEqual(traced.returncode, 0)
        deadline = time.monotonic() + 30
        parent_of, spans = {}, []
        while time.monotonic() < deadline:
            with open(notes) as f:
                lines = f.read().splitlines()
            if lines and lines[-1] == "done" and os.path.exists(self.trace_path):
                trace = tracelib.load_trace(self.trace_path, check=False)
                spans = [s for _, s in process_spans(trace) if s is not None and
                         s.args.get("process.exit.code") is not None]
                if len(spans) == n + 1:
                    break
            time.sleep(0.05)
        for line in lines[:-1]:
            parent, child = map(int, line.split())
            parent_of[child] = parent
        self.assertEqual(len(spans), n + 1)
        self.assertEqual(tracelib.structural_errors(trace), [])
        seen = {s.args["process.pid"]: s.args.get("process.parent_pid") for s in spans}
        self.assertEqual({c: seen.get(c) for c in parent_of}, parent_of)

    def test_threads_beyond_the_slots_are_counted_once(self):
        # 1024 thread slots: with 1100 threads alive at once (the main
        # thread has one slot), 77 are not traced, and the process span
        # says so. With an agent it said nothing (the count the process
        # kept in its segment was not read); with the in-process writer
        # each call of such a thread counted it again.
        n, k = 1100, 5
        argv = [prog("manythreads"), str(n), str(k)]
        traced = self.run_traced(argv, timeout=120)
        self.assertEqual((traced.returncode, traced.stdout), (0, b"%d threads\n" % n))
        trace = tracelib.load_trace(self.trace_path, check=False)
        # The arrows from the pthread_create of the threads not traced end
        # nowhere (Perfetto draws none); nothing else is amiss.
        errors = tracelib.structural_errors(trace)
        unended = [e for e in errors if e.startswith("pthread_create") and
                   e.endswith("is never terminated")]
        self.assertEqual(errors, unended)
        self.assertEqual(len(unended), n - 1023)
        spans = [s for _, s in process_spans(trace) if s is not None]
        self.assertEqual(len(spans), 1)
        untraced = spans[0].args.get("traceshim.untraced_threads")
        self.assertEqual(untraced, n - 1023)
        self.assertEqual(len(trace.slices_named("write")), (n - untraced) * k)

    def test_run_keeps_no_descriptor_of_its_caller_in_its_workers(self):
        # run's workers held every descriptor run's caller gave it: a
        # worker of a process the command left running kept the caller's
        # pipe open after run had ended. The command here closes the pipe
        # before it leaves a sleep behind, so only run holds it.
        r, w = os.pipe()
        os.dup2(w, 9)
        os.close(w)
        env = clean_env({"TRACESHIM_EXIT_TIMEOUT_MS": "1000"})
        start = time.monotonic()
        pid_file = os.path.join(self.tmp, "sleep.pid")
        proc = subprocess.Popen([cli(), "run", "-o", self.trace_path, "--", "sh", "-c",
                                 "exec 9>&-; sleep 8 & echo $! > %s; exit 0" % pid_file],
                                env=env, pass_fds=(9,), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        os.close(9)
        self.addCleanup(os.close, r)
        self.assertEqual(proc.wait(timeout=30), 0)
        with open(pid_file) as f:
            self.addCleanup(os.kill, int(f.read()), signal.SIGKILL)
        self.assertEqual(os.read(r, 1), b"")   # end of file once run has ended
        self.assertLess(time.monotonic() - start, 6.0)

    # ------------------------------------------------------------ context
    def test_traceparent_from_elsewhere_is_continued(self):
        # The trace id goes on to the children; no arrow is drawn from a
        # span that is not in this trace.
        trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
        env = {"TRACEPARENT": "00-%s-00f067aa0ba902b7-01" % trace_id}
        traced, trace = self.run_cli(["sh", "-c", "env"], env=env, plain=False)
        self.assertEqual(traced.returncode, 0)
        self.assertRegex(self.child_env(traced.stdout)["TRACEPARENT"],
                         "^00-%s-[0-9a-f]{16}-01$" % trace_id)
        span = min((s for _, s in process_spans(trace)), key=lambda s: s.ts)
        self.assertEqual(span.terminating_flow_ids, [])

    def test_a_traceparent_the_program_sets_for_its_child_is_kept(self):
        # A program that propagates its own context to a child (its own
        # tracing) keeps it: the shim replaces only the TRACEPARENT the
        # process was started with, passed on; the child continues the
        # program's trace. A child given the environment as it is gets the
        # shim's span.
        mine = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        code = ("import os, subprocess, sys\n"
                "env = dict(os.environ, TRACEPARENT=sys.argv[1], TRACESTATE='vendor=1')\n"
                "subprocess.run(['env'], env=env, check=True)\n"
                "sys.stdout.flush()\n"
                "subprocess.run(['sh', '-c', 'echo passed=$TRACEPARENT'], check=True)\n")
        traced, trace = self.run_cli([sys.executable, "-c", code, mine], plain=False)
        self.assertEqual(traced.returncode, 0, traced.stderr)
        env = self.child_env(traced.stdout)
        self.assertEqual(env.get("TRACEPARENT"), mine)
        self.assertEqual(env.get("TRACESTATE"), "vendor=1")
        self.assertNotIn("TRACESHIM_PARENT_SPAN", env)
        self.assertRegex(env.get("passed", ""), r"^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")
        self.assertNotEqual(env.get("passed"), mine)

    def test_malformed_traceparent_is_ignored_with_a_warning(self):
        env = {"TRACEPARENT": "00-XYZ-not-a-context"}
        traced, trace = self.run_cli(["/bin/true"], env=env, plain=False)
        self.assertEqual(traced.returncode, 0)
        self.assertEqual(len(re.findall(rb"malformed TRACEPARENT", traced.stderr)), 1)
        span = process_spans(trace)[0][1]
        self.assertEqual(span.terminating_flow_ids, [])

    def test_malformed_log_level_is_reported_once_per_run(self):
        traced, _ = self.run_cli(["sh", "-c", "true; /bin/true; ls /dev/null"],
                                 env={"TRACESHIM_LOG": "loud"}, plain=False)
        self.assertEqual(traced.returncode, 0)
        self.assertEqual(len(re.findall(rb"TRACESHIM_LOG='loud' is not one of", traced.stderr)), 1,
                         traced.stderr)

    def test_no_follow_traces_the_command_only(self):
        traced, trace = self.run_cli(["sh", "-c", "cat /dev/null; env"],
                                     options=["--no-follow"], plain=False)
        self.assertEqual(traced.returncode, 0)
        self.assertNotIn("libtraceshim", self.child_env(traced.stdout).get("LD_PRELOAD", ""))
        self.assertEqual([t.process_name for t, _ in process_spans(trace)], ["sh"])

    # ------------------------------------------------------------ the command
    def test_help_and_usage_errors(self):
        out = subprocess.run([cli(), "run", "--help"], stdout=subprocess.PIPE, timeout=30)
        self.assertEqual(out.returncode, 0)
        for option in (b"-o", b"--otlp", b"--summary", b"--no-follow"):
            self.assertIn(option, out.stdout)
        bad = subprocess.run([cli(), "run"], stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(bad.returncode, 2)
        self.assertIn(b"no command", bad.stderr)
        missing = subprocess.run([cli(), "run", "-o", self.trace_path, "--",
                                  "traceshim-no-such-command"], stderr=subprocess.PIPE,
                                 timeout=30)
        self.assertEqual(missing.returncode, 127)
        if os.path.exists(self.trace_path):
            tracelib.load_trace(self.trace_path)

    def test_summary_from_the_environment_without_the_command(self):
        # TRACESHIM_SUMMARY=1 with a plain LD_PRELOAD: the first process prints it.
        env = clean_env({"TRACESHIM_SUMMARY": "1", "TRACESHIM_OUTPUT": self.trace_path,
                         "LD_PRELOAD": tracelib.shim_preload()})
        out = subprocess.run(["sh", "-c", "ls /traceshim-nonexistent; true"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(out.returncode, 0)
        err = out.stderr.decode()
        self.assertEqual(err.count("traceshim summary: 2 processes (1 failed)"), 1, err)
        self.assertRegex(err, r"failed processes:\n  ls \(pid \d+\): exit code 2\n")
        tracelib.load_trace(self.trace_path)


if __name__ == "__main__":
    unittest.main(verbosity=2)
