#!/usr/bin/env python3
"""The agent: traced processes only append records to their segment in the
run directory; the agent of the run turns them into spans.
- a SIGKILLed process keeps every span it recorded, its slices closed and
  its process span ERROR with process.exit.code 137, under `traceshim run`
  and with a plain LD_PRELOAD;
- a process that ends in a way the shim never sees (the exit_group system
  call made directly, a signal whose default action was put back behind its
  back) keeps its spans and its real exit code or signal;
- a burst many times the size of a ring loses no span at default settings;
- a hung OTLP receiver does not hold up the traced programs;
- the spans of every process of a run reach the OTLP receiver over one
  connection (the agent's relay), under `traceshim run` and with a plain
  LD_PRELOAD;
- only the relay maps libcurl: the agent and its workers do not;
- the agent a plain LD_PRELOAD starts is detached (no descriptor of the
  program, its own session), ends by itself, and `$(...)` never waits for it;
- a killed agent changes nothing for the program; a damaged segment ends
  only its own worker; a run directory others may enter is refused;
- TRACESHIM_AGENT=off keeps everything in the process;
- an agent takes its own descriptor limit (the program keeps its own), does
  not serve on one too low to work (the program writes its own spans), and
  an idle agent that cannot serve a segment leaves rather than spins;
  `traceshim run` under a low limit still exits as its command does, gives
  the command the limits it was given, writes the trace and leaves no
  segment behind.

Run:  TRACESHIM_LIB=build/libtraceshim.so TRACESHIM_CLI=build/cli/traceshim \\
      PROGS_DIR=build/tests/progs python3 tests/integration/test_agent.py
"""

import fcntl
import functools
import os
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402


def prog(name):
    return os.path.join(os.environ["PROGS_DIR"], name)


cli = tracelib.traceshim_cli


def base_env(**extra):
    return tracelib.clean_env(extra)


def preload_env(run_dir, **extra):
    env = base_env(TRACESHIM_RUN_DIR=run_dir, **extra)
    lib = tracelib.shim_library()
    env["LD_PRELOAD"] = (env["LD_PRELOAD"] + ":" + lib) if env.get("LD_PRELOAD") else lib
    return env


def agent_pid(run_dir):
    """The pid of the agent holding run_dir's lock, or None."""
    out = subprocess.run([cli(), "agent", "--status", "--dir", run_dir],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    for line in out.stdout.decode().splitlines():
        if line.startswith("agent pid "):
            return int(line.split()[2].rstrip(","))
    return None


def segment_suffix():
    """The name ending of a segment of the layout under test (src/base/rundir.h)."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    with open(os.path.join(root, "src", "base", "rundir.h")) as f:
        fmt = re.search(r'#define TS_SEG_FORMAT "(\d+)"', f.read()).group(1)
    return ".v%s.seg" % fmt


@functools.lru_cache(maxsize=None)
def kernel_keeps_exit_status():
    """Whether a pidfd tells how its process ended after the parent reaped it
    (PIDFD_GET_INFO with PIDFD_INFO_EXIT, Linux 6.15): before that, a
    status read races a parent that waits at once."""
    proc = subprocess.Popen(["sh", "-c", "exit 7"])
    try:
        pidfd = os.pidfd_open(proc.pid)   # a zombie until waited for
    except OSError:
        proc.wait()
        return False
    try:
        proc.wait()
        info = bytearray(struct.pack("=Q", 1 << 3) + bytes(56))
        fcntl.ioctl(pidfd, 0xC040FF0B, info)   # _IOWR(0xFF, 11, 64 bytes)
        mask, = struct.unpack_from("=Q", info, 0)
        code, = struct.unpack_from("=i", info, 60)
        return bool(mask & (1 << 3)) and code == 7 << 8
    except OSError:
        return False
    finally:
        os.close(pidfd)


def wait_for(pred, timeout=10.0, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(step)
    return pred()


class AgentTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="traceshim-agent-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        # A run directory of this test's own, served by an agent the first
        # traced process starts (as with a plain LD_PRELOAD).
        self.run_dir = os.path.join(self.tmp, "run")
        os.mkdir(self.run_dir, 0o700)
        self.addCleanup(self.stop_agent)
        self.trace_path = os.path.join(self.tmp, "t.pftrace")

    def stop_agent(self):
        pid = agent_pid(self.run_dir)
        if pid:
            os.kill(pid, signal.SIGTERM)
            wait_for(lambda: agent_pid(self.run_dir) is None, 5)

    def load_when(self, pred, timeout=20.0):
        """The trace once pred(trace) holds (the agent writes it in its own time)."""
        trace = None
        # Reading a big trace takes seconds: wait for the agent first, so
        # that it is read once.
        subprocess.run([cli(), "agent", "--wait", str(int(timeout)), "--dir", self.run_dir],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout + 10)

        def ready():
            nonlocal trace
            if not os.path.exists(self.trace_path):
                return False
            try:
                trace = tracelib.load_trace(self.trace_path)
            except Exception:   # noqa: BLE001 - half-written: try again
                return False
            return pred(trace)
        self.assertTrue(wait_for(ready, timeout, 0.2), "the trace never became complete")
        return trace

    def writes_of(self, trace, pid):
        return [s for s in trace.slices if s.pid == pid and s.name == "write"]

    def assert_killed(self, trace, pid):
        spans = [s for s in trace.slices if s.pid == pid and s.depth == 0 and s.tid is None]
        self.assertEqual(len(spans), 1)
        self.assertEqual(spans[0].args.get("process.exit.code"), 137)
        self.assertEqual(spans[0].args.get("otel.status_code"), "ERROR")
        self.assertEqual(tracelib.structural_errors(trace), [])

    def test_programs_keep_their_scheduling_policy_under_run(self):
        # The agent inside `traceshim run` is SCHED_BATCH; the program it
        # starts, and that program's children, are not.
        code = ("import os, subprocess; print(os.sched_getscheduler(0)); "
                "print(subprocess.run(['python3', '-c', 'import os; print(os.sched_getscheduler(0))'],"
                " stdout=subprocess.PIPE, text=True).stdout.strip())")
        proc = subprocess.run([cli(), "run", "-o", self.trace_path, "--", "python3", "-c", code],
                              env=base_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(proc.stdout.split(), [str(os.SCHED_OTHER).encode()] * 2)

    def run_signalled(self, sig, group):
        """`traceshim run -- sleep 30`, sent sig once sleep runs: to run
        alone, or to its whole process group as `timeout` sends it."""
        proc = subprocess.Popen([cli(), "run", "-o", self.trace_path, "--", "sleep", "30"],
                                env=base_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        self.addCleanup(lambda: proc.poll() is not None or proc.kill())
        def children():
            with open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)) as f:
                return f.read().split()
        sleeping = wait_for(children, 10)
        self.assertTrue(sleeping)
        time.sleep(0.2)   # sleep has started, and its segment is served
        if group:
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, -sig, err.decode())
        # Nothing of the run is left behind.
        self.assertFalse(os.path.exists("/proc/%s" % sleeping[0]))
        trace = tracelib.load_trace(self.trace_path)
        self.assertEqual(tracelib.structural_errors(trace), [])
        spans = [s for s in trace.slices if s.name == "sleep" and s.tid is None]
        self.assertEqual(len(spans), 1)
        self.assertEqual(spans[0].args.get("process.exit.code"), 128 + sig)

    def test_hangup_to_run_reaches_the_command(self):
        self.run_signalled(signal.SIGHUP, group=False)

    def test_sigterm_to_the_runs_group_keeps_the_trace_whole(self):
        self.run_signalled(signal.SIGTERM, group=True)

    def test_sigkill_keeps_every_span_under_run(self):
        proc = subprocess.run([cli(), "run", "-o", self.trace_path, "--", prog("burst"), "20000",
                               "kill"], env=base_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(proc.returncode, -signal.SIGKILL, proc.stderr.decode())
        trace = tracelib.load_trace(self.trace_path)
        pids = {s.pid for s in trace.slices if s.name == "write"}
        self.assertEqual(len(pids), 1)
        pid = pids.pop()
        self.assertEqual(len(self.writes_of(trace, pid)), 20000)
        self.assert_killed(trace, pid)

    def test_sigkill_keeps_every_span_with_preload(self):
        proc = subprocess.Popen([prog("burst"), "20000", "wait"],
                                env=preload_env(self.run_dir, TRACESHIM_OUTPUT=self.trace_path),
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.assertEqual(proc.stdout.readline(), b"ready\n")
        proc.kill()
        proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        trace = self.load_when(lambda t: any(s.pid == proc.pid and s.tid is None
                                             for s in t.slices))
        self.assertEqual(len(self.writes_of(trace, proc.pid)), 20000)
        self.assert_killed(trace, proc.pid)

    # ------------------------------------------------ ends the shim never sees
    def silent_span(self, trace, pid):
        """The process span of silentend (pid), after its 5 writes, all kept."""
        self.assertEqual(len(self.writes_of(trace, pid)), 5)
        spans = [s for s in trace.slices if s.pid == pid and s.depth == 0 and s.tid is None]
        self.assertEqual(len(spans), 1)
        self.assertEqual(tracelib.structural_errors(trace), [])
        return spans[0]

    def assert_exit_code(self, span, code):
        # As an exit(code) the shim sees is shown.
        self.assertEqual(span.args.get("process.exit.code"), code, span.args)
        self.assertEqual(span.args.get("otel.status_code"), "ERROR")
        self.assertEqual(span.args.get("otel.status_description"), "exit code %d" % code)
        self.assertEqual(span.args.get("error.type"), "exit_code")

    def assert_signal(self, span, sig, name):
        self.assertEqual(span.args.get("process.exit.code"), 128 + sig, span.args)
        self.assertEqual(span.args.get("otel.status_code"), "ERROR")
        self.assertEqual(span.args.get("otel.status_description"), "killed by " + name)
        self.assertEqual(span.args.get("error.type"), "signal")

    def run_silent(self, *args):
        """silentend under `traceshim run`, which reaps it the moment it ends."""
        if not kernel_keeps_exit_status():
            self.skipTest("the kernel keeps no exit status past the reaping")
        proc = subprocess.run([cli(), "run", "-o", self.trace_path, "--", prog("silentend")]
                              + list(args), env=base_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60)
        trace = tracelib.load_trace(self.trace_path)
        pids = {s.pid for s in trace.slices if s.name == "write"}
        self.assertEqual(len(pids), 1)
        return proc, self.silent_span(trace, pids.pop())

    def preload_silent(self, *args):
        """silentend with a plain LD_PRELOAD, left unreaped (a zombie) until
        its trace is written, then reaped."""
        proc = subprocess.Popen([prog("silentend")] + list(args),
                                env=preload_env(self.run_dir, TRACESHIM_OUTPUT=self.trace_path),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            trace = self.load_when(lambda t: any(s.pid == proc.pid and s.tid is None
                                                 for s in t.slices))
        finally:
            proc.wait(timeout=30)
        return proc, self.silent_span(trace, proc.pid)

    def test_raw_exit_group_code_under_run(self):
        proc, span = self.run_silent("exit", "3")
        self.assertEqual(proc.returncode, 3, proc.stderr.decode())
        self.assert_exit_code(span, 3)

    def test_raw_exit_group_code_with_preload(self):
        proc, span = self.preload_silent("exit", "3")
        self.assertEqual(proc.returncode, 3)
        self.assert_exit_code(span, 3)

    def test_raw_exit_group_code_with_preload_reaped_at_once(self):
        # The parent (a shell) waits for it at once: the status is read at
        # its death, before or after the reaping.
        if not kernel_keeps_exit_status():
            self.skipTest("the kernel keeps no exit status past the reaping")
        env = preload_env(self.run_dir, TRACESHIM_OUTPUT=self.trace_path)
        out = subprocess.run(["sh", "-c", '"$0" exit 3; echo "status $?"', prog("silentend")],
                             env=env, stdout=subprocess.PIPE, timeout=60)
        self.assertEqual(out.stdout, b"status 3\n")

        def silentend(t):
            pids = [p for p, name in t.processes.items() if name == "silentend"]
            return pids[0] if len(pids) == 1 else None
        trace = self.load_when(lambda t: silentend(t) and any(
            s.pid == silentend(t) and s.tid is None for s in t.slices))
        self.assert_exit_code(self.silent_span(trace, silentend(trace)), 3)

    def test_signal_behind_the_shims_back_under_run(self):
        proc, span = self.run_silent("signal", str(int(signal.SIGTERM)))
        self.assertEqual(proc.returncode, -signal.SIGTERM, proc.stderr.decode())
        self.assert_signal(span, signal.SIGTERM, "SIGTERM")

    def test_signal_behind_the_shims_back_with_preload(self):
        proc, span = self.preload_silent("signal", str(int(signal.SIGTERM)))
        self.assertEqual(proc.returncode, -signal.SIGTERM)
        self.assert_signal(span, signal.SIGTERM, "SIGTERM")

    def test_pipe_closed_early_keeps_the_writers_spans(self):
        big = os.path.join(self.tmp, "big")
        with open(big, "w") as f:
            for i in range(200000):
                f.write("line %d\n" % i)
        cmd = ["sh", "-c", "sort -r %s | head -n 3" % big]
        plain = subprocess.run(cmd, env=base_env(), stdout=subprocess.PIPE, timeout=120)
        traced = subprocess.run([cli(), "run", "-o", self.trace_path, "--", *cmd],
                                env=base_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                timeout=120)
        self.assertEqual(traced.stdout, plain.stdout)
        self.assertEqual(traced.returncode, plain.returncode)
        trace = tracelib.load_trace(self.trace_path)
        self.assertEqual(tracelib.structural_errors(trace), [])
        sort = [s for s in trace.slices if s.depth == 0 and s.tid is None and s.name == "sort"]
        self.assertEqual(len(sort), 1)
        # Killed by SIGPIPE once head has gone, as without the shim.
        self.assertEqual(sort[0].args.get("process.exit.code"), 128 + signal.SIGPIPE)
        self.assertTrue([s for s in trace.slices if s.pid == sort[0].pid and s.name == "open"
                         and s.args.get("file.path") == big])

    def test_traceshim_started_by_a_traced_program_is_not_traced(self):
        # A traced program (a run, or a plain LD_PRELOAD) that starts
        # traceshim run: the command traces what it runs into its own file,
        # returns at once, leaves no process behind (the pipe reaches its
        # end), and is itself not traced (its I/O would feed the rings it
        # drains).
        inner = os.path.join(self.tmp, "inner.pftrace")
        inner_cmd = [cli(), "run", "-o", inner, "--", "sh", "-c", "echo hi; exit 3"]
        script = '"$@" 2>/dev/null | cat; echo "inner exit ${PIPESTATUS[0]}"'
        for how in ("run", "preload"):
            with self.subTest(how=how):
                if os.path.exists(inner):
                    os.unlink(inner)
                outer = ["bash", "-c", script, "bash"] + inner_cmd
                if how == "run":
                    cmd, env = [cli(), "run", "-o", self.trace_path, "--"] + outer, base_env()
                else:
                    cmd = outer
                    env = preload_env(self.run_dir, TRACESHIM_OUTPUT=self.trace_path)
                start = time.monotonic()
                proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, timeout=60)
                self.assertLess(time.monotonic() - start, 10)
                self.assertEqual(proc.stdout, b"hi\ninner exit 3\n", proc.stderr)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                left = subprocess.run(["pgrep", "-f", inner], stdout=subprocess.PIPE)
                self.assertEqual(left.stdout, b"", "processes of the inner run are left")
                trace = tracelib.load_trace(inner)
                self.assertEqual(tracelib.structural_errors(trace), [])
                names = {s.name for s in trace.slices if s.depth == 0 and s.tid is None}
                self.assertEqual(names, {"sh"})
                outer_trace = self.load_when(lambda t: any(
                    s.name == "bash" for s in t.slices if s.depth == 0 and s.tid is None))
                self.assertEqual(tracelib.structural_errors(outer_trace), [])
                self.assertNotIn("traceshim", {s.name for s in outer_trace.slices
                                               if s.depth == 0 and s.tid is None})

    def test_burst_far_larger_than_a_ring_loses_nothing(self):
        # At default settings; then with a record memory of 64 KiB (1,024
        # records) for the process, twenty times that.
        for how, n, extra in (("run", 20000, {}), ("preload", 20000, {"TRACESHIM_BUFFER_KB": "64"})):
            with self.subTest(how=how):
                if os.path.exists(self.trace_path):
                    os.unlink(self.trace_path)
                if how == "run":
                    subprocess.run([cli(), "run", "-o", self.trace_path, "--", prog("burst"),
                                    str(n)], env=base_env(**extra), check=True, timeout=120,
                                   stderr=subprocess.PIPE)
                else:
                    subprocess.run([prog("burst"), str(n)], check=True, timeout=120,
                                   env=preload_env(self.run_dir,
                                                   TRACESHIM_OUTPUT=self.trace_path, **extra))
                # With a plain LD_PRELOAD the process waits for its file.
                trace = tracelib.load_trace(self.trace_path)
                writes = [s for s in trace.slices if s.name == "write"]
                self.assertEqual(len(writes), n)
                self.assertFalse([s for s in trace.slices
                                  if "traceshim.dropped_spans" in s.args])

    def test_run_holds_no_pipe_of_the_callers_for_a_daemon(self):
        # A command that leaves a daemon behind ($(traceshim run -- pg_ctl
        # start)): the caller's pipes close when run ends, not when the
        # daemon does (a worker serving the daemon keeps none of them).
        proc = subprocess.run([cli(), "run", "-o", self.trace_path, "--", "sh", "-c",
                               "sleep 30 </dev/null >/dev/null 2>&1 & echo $!"],
                              env=base_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=20)
        daemon = int(proc.stdout.split()[0])
        self.addCleanup(os.kill, daemon, signal.SIGKILL)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())

    def test_full_run_directory_is_no_bus_error(self):
        # A run directory on a small tmpfs (a container's 64 MiB /dev/shm)
        # that is full, or fills up while the program runs: a page of the
        # segment the file system cannot give would be a SIGBUS for the
        # program writing it. The pages are reserved before they are
        # written; the program's output and status are its own, and every
        # span is kept (the process writes them itself when there is no
        # room to start with).
        if not shutil.which("unshare"):
            self.skipTest("no unshare")
        script = r"""
            set -e
            mount -t tmpfs -o size=1m,mode=0700 none "$D/shm" || exit 77
            dd if=/dev/zero of="$D/shm/fill" bs=1k count="$FILL" 2>/dev/null
            LD_PRELOAD="$LIB" TRACESHIM_RUN_DIR="$D/shm" TRACESHIM_OUTPUT="$D/$FILL.pftrace" \
                "$BURST" 20000 > "$D/out"
            echo "status $?"
        """
        os.mkdir(os.path.join(self.tmp, "shm"))
        for fill in ("968", "600"):   # no room for a segment; room for its start only
            with self.subTest(fill=fill):
                env = dict(base_env(), D=self.tmp, FILL=fill, LIB=tracelib.shim_preload(),
                           BURST=prog("burst"))
                env.pop("LD_PRELOAD", None)   # a sanitizer's runtime: for the traced run alone
                done = subprocess.run(
                    ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                    env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
                if done.returncode == 77 or b"Operation not permitted" in done.stderr:
                    self.skipTest("cannot mount a tmpfs here")
                self.assertEqual(done.returncode, 0, done.stderr.decode())
                self.assertEqual(done.stdout, b"status 0\n", done.stderr.decode())
                trace = tracelib.load_trace(os.path.join(self.tmp, fill + ".pftrace"))
                self.assertEqual(len([s for s in trace.slices if s.name == "write"]), 20000)
                self.assertFalse([s for s in trace.slices if "traceshim.dropped_spans" in s.args])

    def test_deferred_conversion_keeps_every_span(self):
        # Records left waiting in the worker (TRACESHIM_DEFER=always), past
        # a bound of 1 MiB many times, with a record memory of 64 KiB for
        # the process: every span arrives, at exit and at SIGKILL.
        extra = {"TRACESHIM_DEFER": "always", "TRACESHIM_DEFER_MB": "1",
                 "TRACESHIM_BUFFER_KB": "64"}
        subprocess.run([prog("burst"), "20000"], check=True, timeout=120,
                       env=preload_env(self.run_dir, TRACESHIM_OUTPUT=self.trace_path, **extra))
        trace = tracelib.load_trace(self.trace_path)
        self.assertEqual(len([s for s in trace.slices if s.name == "write"]), 20000)
        self.assertFalse([s for s in trace.slices if "traceshim.dropped_spans" in s.args])
        self.assertEqual(tracelib.structural_errors(trace), [])
        os.unlink(self.trace_path)
        proc = subprocess.Popen([prog("burst"), "20000", "wait"],
                                env=preload_env(self.run_dir, TRACESHIM_OUTPUT=self.trace_path,
                                                **extra),
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.assertEqual(proc.stdout.readline(), b"ready\n")
        proc.kill()
        proc.communicate(timeout=30)
        trace = self.load_when(lambda t: any(s.pid == proc.pid and s.tid is None
                                             for s in t.slices))
        self.assertEqual(len(self.writes_of(trace, proc.pid)), 20000)
        self.assert_killed(trace, proc.pid)

    def test_deferred_conversion_gives_the_same_threads_and_spans(self):
        # Threads named late, each on its own track: the same slices,
        # converted as they come or all at the end (but the joins, which
        # make a span only when they wait).
        def slices(defer):
            path = os.path.join(self.tmp, "threads-%s.pftrace" % defer)
            out = subprocess.run([prog("threads_io"), self.tmp], check=True, timeout=120,
                                 stdout=subprocess.PIPE,
                                 env=preload_env(self.run_dir, TRACESHIM_OUTPUT=path,
                                                 TRACESHIM_DEFER=defer))
            self.assertEqual(out.stdout, b"ok\n")
            trace = tracelib.load_trace(path)
            self.assertEqual(tracelib.structural_errors(trace), [])
            names = {}
            for s in trace.slices:
                if s.name == "pthread_join":
                    continue
                key = (trace.threads.get((s.pid, s.tid)), s.depth, s.name)
                names[key] = names.get(key, 0) + 1
            return names
        self.maxDiff = None
        self.assertEqual(slices("always"), slices("off"))

    def hung_receiver(self):
        """A listening socket that accepts and never answers."""
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(64)
        held = []
        stop = threading.Event()

        def accept():
            srv.settimeout(0.1)
            while not stop.is_set():
                try:
                    held.append(srv.accept()[0])
                except OSError:
                    pass

        t = threading.Thread(target=accept, daemon=True)
        t.start()

        def close():
            stop.set()
            t.join()
            for c in held:
                c.close()
            srv.close()
        self.addCleanup(close)
        return "http://127.0.0.1:%d" % srv.getsockname()[1]

    def test_hung_receiver_does_not_hold_up_the_programs(self):
        url = self.hung_receiver()
        loop = ["sh", "-c", "i=0; while [ $i -lt 20 ]; do /bin/true; i=$((i+1)); done"]
        start = time.monotonic()
        subprocess.run(loop, env=base_env(), check=True, timeout=60)
        plain = time.monotonic() - start
        for how in ("run", "preload"):
            with self.subTest(how=how):
                start = time.monotonic()
                if how == "run":
                    proc = subprocess.run([cli(), "run", "--otlp", url, "--", *loop],
                                          env=base_env(), stderr=subprocess.PIPE, timeout=120)
                else:
                    proc = subprocess.run(loop, stderr=subprocess.PIPE, timeout=120,
                                          env=preload_env(self.run_dir,
                                                          OTEL_EXPORTER_OTLP_ENDPOINT=url))
                took = time.monotonic() - start
                self.assertEqual(proc.returncode, 0, proc.stderr.decode())
                self.assertLess(took - plain, 2.5, "a hung receiver held the loop up")

    def test_wait_returns_once_everything_is_sent(self):
        url = self.hung_receiver()
        start = time.monotonic()
        subprocess.run(["/bin/true"], check=True, timeout=60,
                       env=preload_env(self.run_dir, OTEL_EXPORTER_OTLP_ENDPOINT=url,
                                       TRACESHIM_EXIT_TIMEOUT_MS="800"))
        self.assertLess(time.monotonic() - start, 0.8, "the program waited for the network")
        self.assertTrue(os.listdir(self.run_dir))
        done = subprocess.run([cli(), "agent", "--wait", "20", "--dir", self.run_dir],
                              stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr.decode())
        self.assertIsNone(agent_pid(self.run_dir))
        self.assertEqual([f for f in os.listdir(self.run_dir) if f.endswith(".seg")], [])
        # Bounded by the export's own bound, once.
        self.assertLess(time.monotonic() - start, 8)

    def counting_receiver(self):
        """An OTLP receiver that keeps connections alive and counts them;
        returns (url, state) where state has "connections" and "bodies"."""
        lock = threading.Lock()
        state = {"connections": 0, "bodies": [], "lock": lock}

        class Handler(tracelib.OtlpHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with lock:
                    state["connections"] += 1

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    state["bodies"].append(body)
                self.answer(200)

        server = tracelib.serve_loopback(Handler)
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        return "http://127.0.0.1:%d" % server.server_address[1], state

    @staticmethod
    def process_pids(bodies):
        """The pids of the process spans in the requests received."""
        pids = []
        for body in bodies:
            req = tracelib.decode_otlp_request(body)
            for rs in req.all("resource_spans"):
                for ss in rs.all("scope_spans"):
                    for span in ss.all("spans"):
                        for a in span.all("attributes"):
                            if a.one("key") == b"process.pid":
                                pids.append(a.one("value").one("int_value"))
        return pids

    def test_one_connection_for_every_process(self):
        n = 20
        loop = ["sh", "-c", "i=0; while [ $i -lt %d ]; do /bin/true; i=$((i+1)); done" % n]
        for how in ("run", "preload"):
            with self.subTest(how=how):
                url, state = self.counting_receiver()
                if how == "run":
                    proc = subprocess.run([cli(), "run", "--otlp", url, "--", *loop],
                                          env=base_env(), stderr=subprocess.PIPE, timeout=120)
                else:
                    proc = subprocess.run(loop, stderr=subprocess.PIPE, timeout=120,
                                          env=preload_env(self.run_dir,
                                                          OTEL_EXPORTER_OTLP_ENDPOINT=url))
                    self.assertTrue(tracelib.wait_for_agent(self.run_dir))
                self.assertEqual(proc.returncode, 0, proc.stderr.decode())
                with state["lock"]:
                    bodies, connections = list(state["bodies"]), state["connections"]
                pids = self.process_pids(bodies)
                # sh and each /bin/true, every process span once.
                self.assertEqual(len(pids), n + 1, pids)
                self.assertEqual(len(set(pids)), n + 1, pids)
                self.assertEqual(connections, 1, "one keep-alive connection for the run")

    def test_agent_is_detached_and_leaves_when_idle(self):
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        start = time.monotonic()
        # $(...) returns once the command's own output is closed.
        out = subprocess.run(["sh", "-c", "echo hi"], stdout=subprocess.PIPE, pass_fds=(w,),
                             env=preload_env(self.run_dir, TRACESHIM_OUTPUT=self.trace_path),
                             timeout=30)
        os.close(w)
        self.assertEqual(out.stdout, b"hi\n")
        self.assertLess(time.monotonic() - start, 5)
        pid = agent_pid(self.run_dir)
        if pid:   # still there: none of the program's descriptors, a session of its own
            fds = os.listdir("/proc/%d/fd" % pid)
            links = {os.readlink("/proc/%d/fd/%s" % (pid, fd)) for fd in fds}
            self.assertFalse([x for x in links if x.startswith("pipe:")], links)
            self.assertEqual(os.getsid(pid), pid)
        self.assertTrue(wait_for(lambda: agent_pid(self.run_dir) is None, 5),
                        "the agent did not leave once idle")
        trace = tracelib.load_trace(self.trace_path)
        self.assertEqual(len([s for s in trace.slices if s.name == "sh" and s.tid is None]), 1)

    def test_relative_preload_path_finds_the_agent(self):
        # LD_PRELOAD=./libtraceshim.so from the library's own directory: the
        # agent program next to it is found all the same.
        lib = tracelib.shim_library()
        env = base_env(TRACESHIM_RUN_DIR=self.run_dir, TRACESHIM_OUTPUT=self.trace_path,
                       TRACESHIM_LOG="info")
        rel = "./" + os.path.basename(lib)   # after a sanitizer's runtimes, as preload_env
        env["LD_PRELOAD"] = (env["LD_PRELOAD"] + ":" + rel) if env.get("LD_PRELOAD") else rel
        # A child that runs elsewhere is given the library by its full path.
        out = subprocess.run(["sh", "-c", "echo hi; cd / && /bin/echo there"],
                             cwd=os.path.dirname(lib), env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(out.stdout, b"hi\nthere\n")
        self.assertIn(b"records go to the agent", out.stderr)
        self.assertNotIn(b"no traceshim program", out.stderr)
        self.assertNotIn(b"cannot be preloaded", out.stderr)
        self.assertTrue(wait_for(lambda: agent_pid(self.run_dir) is None, 10))
        trace = tracelib.load_trace(self.trace_path)
        self.assertEqual(len([s for s in trace.slices if s.name == "sh" and s.tid is None]), 1)
        self.assertEqual(len([s for s in trace.slices if s.name == "echo" and s.tid is None]), 1)

    def test_killed_agent_changes_nothing_for_the_program(self):
        argv = ["sh", "-c", "cat /etc/hostname; sleep 0.3; cat /etc/hostname; exit 3"]
        plain = subprocess.run(argv, env=base_env(), stdout=subprocess.PIPE, timeout=30)
        env = preload_env(self.run_dir, TRACESHIM_OUTPUT=self.trace_path,
                          TRACESHIM_EXIT_TIMEOUT_MS="500")
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        pid = wait_for(lambda: agent_pid(self.run_dir), 10)
        self.assertTrue(pid)
        # Its wake-ups never preempt the programs it serves; theirs is unchanged.
        self.assertEqual(os.sched_getscheduler(pid), os.SCHED_BATCH)
        self.assertEqual(os.sched_getscheduler(proc.pid), os.SCHED_OTHER)
        os.kill(pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        self.assertEqual(out, plain.stdout)
        self.assertEqual(proc.returncode, 3, err.decode())

    def test_damaged_or_stale_segments_end_only_their_worker(self):
        damaged = os.path.join(self.run_dir, "p1.1" + segment_suffix())
        with open(damaged, "wb") as f:
            f.write(os.urandom(1 << 16))
        os.chmod(damaged, 0o600)
        stale = os.path.join(self.run_dir, ".p1.2.tmp")
        fresh = os.path.join(self.run_dir, ".p1.3.tmp")
        for path in (stale, fresh):
            with open(path, "wb"):
                pass
            os.chmod(path, 0o600)
        os.utime(stale, (time.time() - 3600, time.time() - 3600))
        agent = subprocess.Popen([cli(), "agent", "--dir", self.run_dir],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(agent.wait, 10)
        self.addCleanup(agent.terminate)
        self.assertTrue(wait_for(lambda: not os.path.exists(damaged), 10),
                        "the damaged segment is left")
        # A segment some process died while making, long ago, goes too.
        self.assertTrue(wait_for(lambda: not os.path.exists(stale), 10), "a stale segment is left")
        self.assertTrue(os.path.exists(fresh), "a segment being made was removed")
        # The agent goes on serving.
        subprocess.run(["sh", "-c", "echo hi"], stdout=subprocess.DEVNULL, check=True, timeout=30,
                       env=preload_env(self.run_dir, TRACESHIM_OUTPUT=self.trace_path))
        self.assertIsNone(agent.poll())
        trace = tracelib.load_trace(self.trace_path)
        self.assertTrue([s for s in trace.slices if s.name == "sh"])
        agent.terminate()
        self.assertEqual(agent.wait(10), 0)

    def test_run_directory_open_to_others_is_refused(self):
        os.chmod(self.run_dir, 0o755)
        proc = subprocess.run(["sh", "-c", "echo hi"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=30,
                              env=preload_env(self.run_dir, TRACESHIM_OUTPUT=self.trace_path))
        self.assertEqual(proc.stdout, b"hi\n")
        self.assertIn(b"open to other users", proc.stderr)
        self.assertEqual(proc.stderr.count(b"\n"), 1, proc.stderr)
        self.assertEqual(os.listdir(self.run_dir), [])
        trace = tracelib.load_trace(self.trace_path)   # written by the process itself
        self.assertTrue([s for s in trace.slices if s.name == "sh"])

    def test_many_short_processes_share_few_workers(self):
        # A worker serves one segment after another (cli/pool.c): a run of
        # many short processes starts far fewer workers than processes, and
        # every process's span is written all the same.
        script = ('i=0; while [ $i -lt 50 ]; do /bin/true; i=$((i+1)); done; '
                  '"$0" agent --status --dir "$TRACESHIM_RUN_DIR"')
        proc = subprocess.run([cli(), "run", "-o", self.trace_path, "--", "sh", "-c", script,
                               cli()], env=base_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        started = re.search(r"^worker processes started (\d+)$", proc.stdout.decode(), re.M)
        self.assertIsNotNone(started, proc.stdout)
        self.assertGreaterEqual(int(started.group(1)), 1)
        self.assertLessEqual(int(started.group(1)), 12, proc.stdout)
        trace = tracelib.load_trace(self.trace_path)
        trues = [s for s in trace.slices if s.depth == 0 and s.tid is None and s.name == "true"]
        self.assertEqual(len({s.pid for s in trues}), 50)
        self.assertEqual(len(trues), 50)
        self.assertEqual({s.args.get("process.exit.code") for s in trues}, {0})

    def test_status_tells_what_is_served(self):
        proc = subprocess.Popen([prog("burst"), "10", "wait"],
                                env=preload_env(self.run_dir, TRACESHIM_OUTPUT=self.trace_path),
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.addCleanup(proc.stdout.close)
        self.addCleanup(proc.wait, 10)
        self.addCleanup(proc.kill)
        self.assertEqual(proc.stdout.readline(), b"ready\n")
        # The process may be ready before a worker has taken its segment.
        served = r"pid %d +running +served +threads 1 +%s" % (proc.pid, prog("burst"))
        deadline = time.monotonic() + 10
        while True:
            out = subprocess.run([cli(), "agent", "--status", "--dir", self.run_dir],
                                 stdout=subprocess.PIPE, timeout=30).stdout.decode()
            if re.search(served, out) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertRegex(out, r"agent pid \d+, RSS \d+ KiB")
        self.assertRegex(out, served)

    def test_status_shows_the_otlp_relay(self):
        url, _ = self.counting_receiver()
        proc = subprocess.Popen([prog("burst"), "10", "wait"],
                                env=preload_env(self.run_dir, OTEL_EXPORTER_OTLP_ENDPOINT=url),
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.addCleanup(proc.stdout.close)
        self.addCleanup(proc.wait, 10)
        self.addCleanup(proc.kill)
        self.assertEqual(proc.stdout.readline(), b"ready\n")
        outs = []

        def relay_shown():
            outs.append(subprocess.run([cli(), "agent", "--status", "--dir", self.run_dir],
                                       stdout=subprocess.PIPE, timeout=30).stdout.decode())
            return "OTLP relay pid" in outs[-1]
        self.assertTrue(wait_for(relay_shown, 10), outs[-1])
        self.assertRegex(outs[-1], r"OTLP relay pid (\d+) \(sends for every process\), "
                                   r"RSS \d+ KiB \(peak \d+ KiB\)")
        relay = int(re.search(r"OTLP relay pid (\d+)", outs[-1]).group(1))
        self.assertNotEqual(relay, agent_pid(self.run_dir))
        self.assertTrue(os.path.exists("/proc/%d" % relay))

    @staticmethod
    def mapped(pid):
        """The names of the shared objects pid maps."""
        with open("/proc/%d/maps" % pid) as f:
            fields = [line.split() for line in f]
        return {os.path.basename(x[5]) for x in fields if len(x) >= 6 and ".so" in x[5]}

    @staticmethod
    def children(pid):
        kids = []
        for d in os.listdir("/proc"):
            try:
                with open("/proc/%s/stat" % d) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                kids.append(int(d))
        return kids

    def test_only_the_relay_maps_libcurl(self):
        # The agent loads the OTLP module before it forks its workers; a
        # worker encodes and hands over, so neither maps libcurl (nor TLS):
        # each worker's fork and exit stays cheap. The relay posts.
        # Every call a span (no roll-ups): spans go out while the process runs.
        url, state = self.counting_receiver()
        proc = subprocess.Popen([prog("burst"), "10", "wait"],
                                env=preload_env(self.run_dir, OTEL_EXPORTER_OTLP_ENDPOINT=url,
                                                TRACESHIM_FLUSH_MS="20", TRACESHIM_ROLLUP="off",
                                                TRACESHIM_MAX_SPANS_PER_S="0",
                                                OTEL_BSP_SCHEDULE_DELAY="20"),
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.addCleanup(proc.stdout.close)
        self.addCleanup(proc.wait, 10)
        self.addCleanup(proc.kill)
        self.assertEqual(proc.stdout.readline(), b"ready\n")
        # The worker has opened its module and handed a request over (the
        # relay posted it) while the process still runs.
        self.assertTrue(wait_for(lambda: state["bodies"], 10), "nothing reached the receiver")
        out = subprocess.run([cli(), "agent", "--status", "--dir", self.run_dir],
                             stdout=subprocess.PIPE, timeout=30).stdout.decode()
        relay = int(re.search(r"OTLP relay pid (\d+)", out).group(1))
        agent = agent_pid(self.run_dir)
        workers = [k for k in self.children(agent) if k != relay]
        self.assertTrue(workers, "no worker serves the waiting process")
        for pid in [agent] + workers:
            libs = self.mapped(pid)
            self.assertIn("libtraceshim-otlp.so", libs)
            self.assertFalse([x for x in libs if re.match(r"lib(curl|ssl|crypto|nghttp2)\.", x)],
                             "pid %d (agent %d, relay %d): %s" % (pid, agent, relay, sorted(libs)))
        self.assertTrue([x for x in self.mapped(relay) if x.startswith("libcurl.")])

    def test_agent_off_keeps_everything_in_the_process(self):
        proc = subprocess.run(["sh", "-c", "echo hi"], stdout=subprocess.PIPE, timeout=30,
                              env=preload_env(self.run_dir, TRACESHIM_OUTPUT=self.trace_path,
                                              TRACESHIM_AGENT="off"))
        self.assertEqual(proc.stdout, b"hi\n")
        self.assertEqual(os.listdir(self.run_dir), [])
        self.assertIsNone(agent_pid(self.run_dir))
        trace = tracelib.load_trace(self.trace_path)
        self.assertTrue([s for s in trace.slices if s.name == "sh"])

    # ------------------------------------------------------- descriptor limits
    def agents(self):
        """Pids of `traceshim agent` processes serving run_dir (whether or
        not they hold its lock at this moment)."""
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    args = f.read().split(b"\0")
            except OSError:
                continue
            if b"agent" in args and self.run_dir.encode() in args:
                found.append(int(pid))
        return found

    def kill_agents(self):
        # An agent of the code before the fix spins with SIGTERM blocked.
        for pid in self.agents():
            os.kill(pid, signal.SIGKILL)

    def limited(self, soft, hard, argv, **extra):
        """argv traced, started with RLIMIT_NOFILE soft:hard (by prlimit,
        which itself is not traced)."""
        env = preload_env(self.run_dir, TRACESHIM_OUTPUT=self.trace_path, TRACESHIM_AGENT="auto",
                          **extra)
        preload = env.pop("LD_PRELOAD")
        return ["prlimit", "--nofile=%d:%d" % (soft, hard), "env", "LD_PRELOAD=" + preload] + argv, env

    def process_spans(self, trace, name):
        return [s for s in trace.slices if s.name == name and s.tid is None]

    def test_agent_does_not_serve_on_too_few_descriptors(self):
        self.addCleanup(self.kill_agents)
        argv, env = self.limited(6, 6, ["sh", "-c", "echo hi; exit 3"])
        start = time.monotonic()
        proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=60)
        self.assertEqual((proc.returncode, proc.stdout), (3, b"hi\n"), proc.stderr.decode())
        self.assertLess(time.monotonic() - start, 10)
        # The process wrote its spans itself.
        trace = tracelib.load_trace(self.trace_path)
        self.assertEqual(len(self.process_spans(trace, "sh")), 1)
        # No agent is left behind, spinning on the limit it was started with.
        self.assertTrue(wait_for(lambda: not self.agents(), 5), "an agent is left")
        # And a later process of the directory, with the usual limits, is served.
        later = os.path.join(self.tmp, "later.pftrace")
        proc = subprocess.run(["sh", "-c", "echo again"], stdout=subprocess.PIPE, timeout=60,
                              env=preload_env(self.run_dir, TRACESHIM_OUTPUT=later,
                                              TRACESHIM_AGENT="auto"))
        self.assertEqual(proc.stdout, b"again\n")
        self.assertEqual(len(self.process_spans(tracelib.load_trace(later), "sh")), 1)

    def test_agent_takes_its_own_descriptor_limit(self):
        self.addCleanup(self.kill_agents)
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if hard == resource.RLIM_INFINITY or hard < 256:
            self.skipTest("a hard descriptor limit of %s" % hard)
        argv, env = self.limited(6, hard, ["sh", "-c", "grep 'open files' /proc/self/limits; "
                                           "sleep 1"])
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is not None or proc.kill())
        pids = wait_for(self.agents, 10)
        self.assertTrue(pids)

        def open_files():   # as the agent has it, once it has set it (soon after its start)
            with open("/proc/%d/limits" % pids[0]) as f:
                return [l for l in f if l.startswith("Max open files")][0].split()[3:5]
        wait_for(lambda: open_files() == [str(hard)] * 2, 10)
        self.assertEqual(open_files(), [str(hard)] * 2)
        out, err = proc.communicate(timeout=60)
        # The program keeps the limits it was started with.
        self.assertEqual(out.split()[3:5], [b"6", str(hard).encode()], err.decode())
        self.assertEqual(proc.returncode, 0, err.decode())
        trace = self.load_when(lambda t: self.process_spans(t, "sh") and
                               self.process_spans(t, "grep"))
        self.assertEqual(len(self.process_spans(trace, "sh")), 1)

    def test_idle_agent_leaves_when_a_segment_cannot_be_served(self):
        # A segment that another agent's worker holds (its lock taken): this
        # agent cannot serve it, and must neither spin on it nor stay for it.
        self.addCleanup(self.kill_agents)
        path = os.path.join(self.run_dir, "p%d.1%s" % (os.getpid(), segment_suffix()))
        with open(path, "wb") as f:
            f.write(bytes(4096))
        fd = os.open(path, os.O_RDWR)
        self.addCleanup(os.close, fd)
        fcntl.flock(fd, fcntl.LOCK_EX)
        subprocess.run([cli(), "agent", "--detach", "--dir", self.run_dir], env=base_env(),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30, check=True)
        self.assertTrue(wait_for(lambda: not self.agents(), 10), "the agent did not leave")

    def run_dirs_base(self):
        """Where `traceshim run` makes its directory (src/base/rundir.c)."""
        uid = os.geteuid()
        if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK | os.X_OK):
            return "/dev/shm/traceshim-%d" % uid
        xdg = os.environ.get("XDG_RUNTIME_DIR")
        if xdg and xdg.startswith("/"):
            return os.path.join(xdg, "traceshim")
        return "/tmp/traceshim-%d" % uid

    def segments_of(self, pids):
        base = self.run_dirs_base()
        found = []
        for root, _, files in os.walk(base):
            found += [os.path.join(root, f) for f in files
                      if any(f.startswith("p%d." % pid) for pid in pids)]
        return found

    def run_with_descriptors(self, n):
        proc = subprocess.run(["prlimit", "--nofile=%d:%d" % (n, n), cli(), "run", "-o",
                               self.trace_path, "--", "sh", "-c", "sleep 1; echo done; exit 3"],
                              env=base_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=60)
        err = proc.stderr.decode()
        # run waited for its command, and ends as it did.
        self.assertEqual((proc.returncode, proc.stdout), (3, b"done\n"), err)
        trace = tracelib.load_trace(self.trace_path)
        spans = self.process_spans(trace, "sh")
        self.assertEqual(len(spans), 1, err)
        self.assertEqual(spans[0].args.get("process.exit.code"), 3)
        self.assertEqual(err.count("trace written to"), 1, err)
        self.assertEqual(self.segments_of([spans[0].pid]), [])

    def test_run_with_five_descriptors(self):
        self.run_with_descriptors(5)

    def test_run_with_six_descriptors(self):
        self.run_with_descriptors(6)

    def test_run_gives_its_command_the_limits_it_was_given(self):
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if hard == resource.RLIM_INFINITY or hard < 256:
            self.skipTest("a hard descriptor limit of %s" % hard)
        proc = subprocess.run(["prlimit", "--nofile=100:%d" % hard, cli(), "run", "-o",
                               self.trace_path, "--", "grep", "open files", "/proc/self/limits"],
                              env=base_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(proc.stdout.split()[3:5], [b"100", str(hard).encode()])
        self.assertEqual(len(self.process_spans(tracelib.load_trace(self.trace_path), "grep")), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
