#!/usr/bin/env python3
"""How a traced process lives and dies must not change under the shim:
- death by any signal whose default action ends the process (not only the
  crashes and SIGTERM): the same wait status (signal, core flag), and a
  trace with the program's spans, every slice closed and the process span
  ERROR with process.exit.code 128 + the signal; a signal that is blocked
  and taken with sigwait() or a signalfd, ignored from the start, or
  handled by the program still behaves as before;
- a vfork child (as CPython's subprocess makes) changes nothing in its
  parent: its sigaction() does not reset the parent's handlers, its calls
  are not recorded on the parent's lane, its close() and dup2() do not
  change how the parent's descriptors are described;
- the shim never keeps a process alive: a main thread that ends with
  pthread_exit(), syscall(SYS_exit) or a seccomp kill leaves the process
  to end when the program's last thread ends, with the same status and
  output as without the shim.

Run:  TRACESHIM_LIB=build/libtraceshim.so PROGS_DIR=build/tests/progs \\
          python3 tests/integration/test_lifecycle.py
"""

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# Default action: terminate (with or without a core dump).
FATAL = [signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGILL, signal.SIGTRAP,
         signal.SIGABRT, signal.SIGBUS, signal.SIGFPE, signal.SIGUSR1, signal.SIGSEGV,
         signal.SIGUSR2, signal.SIGPIPE, signal.SIGALRM, signal.SIGTERM, signal.SIGXCPU,
         signal.SIGXFSZ, signal.SIGVTALRM, signal.SIGPROF, signal.SIGSYS, signal.SIGIO]
for _name in ("SIGSTKFLT", "SIGPWR"):
    if hasattr(signal, _name):
        FATAL.append(getattr(signal, _name))
FATAL += list(range(signal.SIGRTMIN, signal.SIGRTMAX + 1))


def prog(name):
    path = os.path.join(os.path.abspath(os.environ.get("PROGS_DIR") or
                                        os.path.join(ROOT, "build", "tests", "progs")), name)
    if not os.access(path, os.X_OK):
        raise AssertionError("%s is not built (set PROGS_DIR)" % path)
    return path


def setUpModule():
    tracelib.shim_library()
    # No core files from the deaths below; the core flag is still compared.
    _, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, hard))


def base_env(extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "TRACESHIM_OUTPUT")}
    env.update(extra or {})
    return env


def run_status(argv, env, timeout=20, ignore=()):
    """Runs argv; returns (raw wait status, stdout, stderr). Signals in
    `ignore` are SIG_IGN in the child from its start. Kills it (and fails)
    after `timeout` seconds."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        saved = {s: signal.signal(s, signal.SIG_IGN) for s in ignore}
        try:
            # Python ignores SIGPIPE and SIGXFSZ: the child starts with the
            # default action for every signal but those in `ignore`.
            pid = os.posix_spawn(argv[0], argv, env, setsigdef=[
                s for s in FATAL if s not in ignore], file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
        finally:
            for s, h in saved.items():
                signal.signal(s, h)
        end = time.monotonic() + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > end:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise AssertionError("%r did not end within %d s" % (argv, timeout))
            time.sleep(0.01)
        out.seek(0)
        err.seek(0)
        return status, out.read(), err.read()


def describe(status):
    if os.WIFSIGNALED(status):
        return "killed by signal %d%s" % (os.WTERMSIG(status),
                                          " (core dumped)" if os.WCOREDUMP(status) else "")
    return "exit %d" % os.WEXITSTATUS(status)


def process_span(trace, pid, name=None):
    """The span of process pid (of the program `name` when it exec'd)."""
    tracks = [t for t in trace.process_tracks(pid) if name in (None, t.process_name)]
    spans = [s for s in trace.slices if s.track_uuid == tracks[-1].uuid and s.depth == 0]
    return spans[0] if spans else None


class Base(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="traceshim-life-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.n = 0

    def pair(self, argv, timeout=20, ignore=(), env=None):
        """argv without and with the shim: same wait status and output.
        Returns (raw status, stdout, trace)."""
        plain = run_status(argv, base_env(env), timeout, ignore)
        self.n += 1
        path = os.path.join(self.tmp, "t%d.pftrace" % self.n)
        traced = run_status(argv, base_env(dict(env or {}, LD_PRELOAD=tracelib.shim_preload(),
                                                TRACESHIM_OUTPUT=path)), timeout, ignore)
        self.assertEqual(describe(traced[0]), describe(plain[0]),
                         "%r: status differs under the shim; stderr %r" % (argv, traced[2]))
        self.assertEqual(traced[0], plain[0])
        self.assertEqual(traced[1], plain[1], "%r: stdout differs under the shim" % argv)
        self.assertEqual(traced[2], plain[2], "%r: stderr differs under the shim" % argv)
        self.assertTrue(os.path.exists(path) and os.path.getsize(path) > 0,
                        "%r wrote no trace" % argv)
        trace = tracelib.load_trace(path)
        self.assertEqual(tracelib.structural_errors(trace)[:10], [])
        return traced[0], traced[1], trace


class SignalDeathTest(Base):
    def setUp(self):
        super().setUp()
        # The sanitizer runtimes own some of these signals in that build.
        tracelib.skip_under_sanitizer(self, "a program killed by a signal",
                                      "is reported by the sanitizer")

    def assert_death(self, sig, how="raise"):
        status, _, trace = self.pair([prog("sigdie"), str(sig), how])
        self.assertTrue(os.WIFSIGNALED(status) and os.WTERMSIG(status) == sig, describe(status))
        pids = [p for p, name in trace.processes.items() if name == "sigdie"]
        self.assertEqual(len(pids), 1, trace.processes)
        span = process_span(trace, pids[0])
        self.assertEqual(span.args.get("process.exit.code"), 128 + sig, span.args)
        self.assertEqual(span.args.get("otel.status_code"), "ERROR")
        # The program's spans are there, on both threads, and closed.
        writes = [s for s in trace.slices_named("write") if s.pid == pids[0]]
        self.assertEqual(len(writes), 11, "the worker's 10 writes and main's one")
        threads = [s for s in trace.slices if s.pid == pids[0] and s.depth == 0
                   and s.tid is not None]
        self.assertEqual(len(threads), 2, "the main thread's span and the worker's")
        for s in threads:
            self.assertIsNotNone(s.dur, "%s never ended" % s.name)
        main = [s for s in threads if s.name == "main"][0]
        self.assertEqual(main.args.get("otel.status_code"), "ERROR")
        events = [s for s in trace.descendants(main) if s.name == "exception"]
        self.assertEqual(len(events), 1)
        name = events[0].args.get("exception.type")
        if sig >= signal.SIGRTMIN:
            self.assertEqual(name, "SIGRTMIN+%d" % (sig - signal.SIGRTMIN))
        else:
            self.assertRegex(name, r"^SIG[A-Z0-9]+$")
        self.assertEqual(span.args.get("otel.status_description"), "killed by " + name)

    def test_every_default_fatal_signal(self):
        for sig in FATAL:
            with self.subTest(signal=sig):
                self.assert_death(sig)

    def test_sent_to_the_process(self):
        for sig in (signal.SIGHUP, signal.SIGUSR2, signal.SIGRTMIN + 2):
            with self.subTest(signal=sig):
                self.assert_death(sig, "kill")

    def test_raised_by_the_kernel(self):
        for how, sig in (("pipe", signal.SIGPIPE), ("trap", signal.SIGTRAP),
                         ("alarm", signal.SIGALRM), ("fsize", signal.SIGXFSZ)):
            with self.subTest(how=how):
                self.assert_death(sig, how)

    def test_default_again_after_system(self):
        for sig in (signal.SIGINT, signal.SIGQUIT):
            with self.subTest(signal=sig):
                self.assert_death(sig, "system")

    @unittest.skipUnless(shutil.which("sort") and shutil.which("seq"), "coreutils missing")
    def test_sort_head_pipeline(self):
        # head leaves after one line: sort, still writing, dies by SIGPIPE,
        # and its trace is complete.
        status, out, trace = self.pair(["/bin/sh", "-c", "seq 1 100000 | sort -n | head -n 1"])
        self.assertEqual((status, out), (0, b"1\n"))
        sort = [p for p, name in trace.processes.items() if name == "sort"]
        self.assertEqual(len(sort), 1, trace.processes)
        span = process_span(trace, sort[0], "sort")
        self.assertEqual(span.args.get("process.exit.code"), 128 + signal.SIGPIPE, span.args)

    def test_survived_signals_unchanged(self):
        # Blocked and taken by sigwait or a signalfd, or handled by the
        # program (which sigaction reports back): no death, nothing else.
        for sig in (signal.SIGUSR1, signal.SIGHUP, signal.SIGPIPE, signal.SIGRTMIN):
            for how in ("sigwait", "signalfd", "handler"):
                with self.subTest(signal=sig, how=how):
                    status, out, trace = self.pair([prog("sigdie"), str(sig), how])
                    self.assertEqual(status, 0)
                    self.assertEqual(out, b"alive\n")
                    self.assertEqual(trace.slices_named("exception"), [])

    def test_ignored_from_the_start_stays_ignored(self):
        # SIG_IGN inherited: ignored in the program, and in what it execs.
        sigs = (signal.SIGHUP, signal.SIGUSR1, signal.SIGRTMIN + 1)
        for sig in sigs:
            with self.subTest(signal=sig):
                status, out, _ = self.pair([prog("sigdie"), str(sig), "ignored"], ignore=sigs)
                self.assertEqual((status, out), (0, b"alive\n"))
        status, out, _ = self.pair(["/bin/sh", "-c", "%s %d ignored; exec %s %d ignored" % (
            prog("sigdie"), sigs[0], prog("sigdie"), sigs[1])], ignore=sigs)
        self.assertEqual((status, out), (0, b"alive\nalive\n"))


class VforkTest(Base):
    def test_child_resets_handler_with_sigaction(self):
        status, out, trace = self.pair([prog("vforksig"), "sigaction"])
        self.assertEqual((status, out), (0, b"handled\n"))
        self.child_left_no_trace(trace)

    def test_child_resets_handler_with_signal(self):
        status, out, trace = self.pair([prog("vforksig"), "signal"])
        self.assertEqual((status, out), (0, b"handled\n"))
        self.child_left_no_trace(trace)

    def child_left_no_trace(self, trace):
        # The child's write is not the parent's: it is not on its lane.
        self.assertEqual([s for s in trace.slices_named("write")
                          if s.args.get("traceshim.io.requested") == 7], [])
        vfork = trace.slices_named("vfork")
        self.assertEqual(len(vfork), 1, "one vfork span in the parent")
        self.assertIsNotNone(vfork[0].args.get("traceshim.child.pid"))

    def test_child_descriptors_are_its_own(self):
        status, out, trace = self.pair([prog("vforksig"), "fds"])
        self.assertEqual((status, out), (0, b"written\n"))
        pid = [p for p, name in trace.processes.items() if name == "vforksig"][0]
        hello = [s for s in trace.slices_named("write") if s.pid == pid]
        self.assertEqual(len(hello), 1, hello)
        self.assertEqual(hello[0].args.get("file.path"), "/dev/null", hello[0].args)
        self.assertEqual([s.name for s in trace.slices
                          if s.pid == pid and s.name in ("close", "dup2", "execl")], [])

    def test_exec_child_is_traced_with_context(self):
        status, out, trace = self.pair([prog("vforksig"), "exec", "--", "/bin/echo", "hi"])
        self.assertEqual((status, out), (0, b"hi\n"))
        pids = {name: p for p, name in trace.processes.items()}
        self.assertIn("echo", pids, trace.processes)
        self.assertEqual(trace.parent_pids.get(pids["echo"]), pids["vforksig"])
        vfork = trace.slices_named("vfork")
        self.assertEqual(len(vfork), 1)
        self.assertEqual(vfork[0].args.get("traceshim.child.pid"), pids["echo"])
        echo = process_span(trace, pids["echo"])
        flows = [f for f in trace.flows if f.slices[-1] is echo]
        self.assertEqual([f.slices[0] for f in flows], [vfork[0]],
                         "the arrow into echo comes from the vfork span")

    def test_python_subprocess_keeps_handler(self):
        code = ("import signal, subprocess, os\n"
                "def h(s, f): print('handled', flush=True)\n"
                "signal.signal(signal.SIGTERM, h)\n"
                "subprocess.run(['/bin/true'])\n"
                "os.kill(os.getpid(), signal.SIGTERM)\n"
                "print('after')\n")
        status, out, _ = self.pair([sys.executable, "-c", code])
        self.assertEqual((status, out), (0, b"handled\nafter\n"))


class LastThreadTest(Base):
    def test_main_pthread_exit(self):
        status, out, trace = self.pair([prog("lastthread"), "pthread_exit"])
        self.assertEqual(status, 0)
        # stdout is a file: main's line waits in its buffer for exit().
        self.assertTrue(out.startswith(b"line 0\n") and out.endswith(b"main starts\natexit\n"),
                        out)
        pid = [p for p, name in trace.processes.items() if name == "lastthread"][0]
        self.assertEqual(process_span(trace, pid).args.get("process.exit.code"), 0)
        self.assertEqual(len([s for s in trace.slices_named("write") if s.pid == pid
                              and s.args.get("traceshim.fd") == 1]), 20)

    def test_main_sys_exit(self):
        status, out, trace = self.pair([prog("lastthread"), "sys_exit"])
        self.assertNotIn(b"atexit", out)
        self.assertEqual(len([s for s in trace.slices_named("write")
                              if s.args.get("traceshim.fd") == 1]), 20)

    def test_main_killed_by_seccomp(self):
        status, out, trace = self.pair([prog("lastthread"), "seccomp"])
        self.assertNotIn(b"atexit", out)
        self.assertEqual(len([s for s in trace.slices_named("write")
                              if s.args.get("traceshim.fd") == 1]), 20)

    def test_with_the_otlp_exporter_thread(self):
        # The exporter's thread is the shim's too: it must not keep the
        # process either (it starts with the first export, at the end).
        class Ok(tracelib.OtlpHandler):
            protocol_version = "HTTP/1.1"
            count = 0

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                Ok.count += 1
                self.answer(200)

        server = tracelib.serve_loopback(Ok)
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % server.server_address[1]}
        for mode in ("pthread_exit", "sys_exit"):
            with self.subTest(mode=mode):
                sent = Ok.count
                self.pair([prog("lastthread"), mode], env=env)
                # With the agent the spans are posted after the process
                # has ended (it never waits for the network): in a moment.
                deadline = time.monotonic() + 10
                while Ok.count == sent and time.monotonic() < deadline:
                    time.sleep(0.05)
                self.assertGreater(Ok.count, sent, "nothing was exported")

    def test_sigterm_after_main_ended(self):
        path = os.path.join(self.tmp, "wait.pftrace")
        env = base_env({"LD_PRELOAD": tracelib.shim_preload(), "TRACESHIM_OUTPUT": path})
        with subprocess.Popen([prog("lastthread"), "wait"], env=env, stdout=subprocess.PIPE,
                              stdin=subprocess.DEVNULL) as p:
            self.assertEqual(p.stdout.readline(), b"line 0\n")
            p.send_signal(signal.SIGTERM)
            try:
                self.assertEqual(p.wait(timeout=10), -signal.SIGTERM)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                self.fail("SIGTERM did not end the process")
        trace = tracelib.load_trace(path)
        self.assertEqual(tracelib.structural_errors(trace)[:10], [])


if __name__ == "__main__":
    unittest.main()
