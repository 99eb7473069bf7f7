#!/usr/bin/env python3
"""Safety tests: the shim must never change what a program does, even in the
awkward corners of process life (signals inside wrappers, raw clone() threads,
fd sweeps, I/O before the shim is initialised, exit() from a thread).

Each test runs one of the small programs from tests/progs twice through
tracelib.run_pair (without and with the shim: identical stdout, stderr and
exit status), requires a trace free of structural errors, then checks that
the trace still holds what the corner case puts at risk.

Run:  PROGS_DIR=build/tests/progs TRACESHIM_LIB=build/libtraceshim.so \
          python3 tests/integration/test_safety.py
PROGS_DIR defaults to build/tests/progs under the repository root.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def progs_dir():
    return os.path.abspath(os.environ.get("PROGS_DIR") or
                           os.path.join(ROOT, "build", "tests", "progs"))


def prog(name):
    path = os.path.join(progs_dir(), name)
    if not os.access(path, os.X_OK):
        raise AssertionError("%s is not built (set PROGS_DIR to the directory holding "
                             "the tests/progs executables)" % path)
    return path


def setUpModule():
    # A missing library or decoder is a setup error, never a silent skip.
    tracelib.shim_library()
    if shutil.which("protoc") is None:
        raise AssertionError("protoc is not on PATH: the tests decode traces with it")
    prog("errno_check")


class SafetyTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="traceshim-safety-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ------------------------------------------------------------ helpers
    def run_clean(self, argv, **kw):
        """run_pair plus: the trace has no structural errors."""
        proc, trace = tracelib.run_pair(argv, **kw)
        errors = tracelib.structural_errors(trace)
        self.assertEqual(errors[:20], [], "structural errors in the trace of %r (%d in all)"
                         % (argv, len(errors)))
        return proc, trace

    def main_pid(self, trace, name):
        pids = [pid for pid, pname in trace.processes.items() if pname == name]
        self.assertEqual(len(pids), 1, "expected one process named %r, trace has %r"
                         % (name, trace.processes))
        return pids[0]

    @staticmethod
    def io_slices(trace, name, **args):
        """Slices called `name` whose annotations include all of `args`."""
        return [s for s in trace.slices_named(name)
                if all(s.args.get(k) == v for k, v in args.items())]

    def assert_failed_slice(self, trace, name, errno_name):
        found = self.io_slices(trace, name, **{"error.type": errno_name})
        self.assertTrue(found, "no %s slice with error.type=%s; %s slices: %s" % (
            name, errno_name, name,
            [s.args.get("error.type") for s in trace.slices_named(name)][:20]))

    # ------------------------------------------------------------ errno
    def test_capabilities_kept_across_a_change_of_user(self):
        # setpriv keeps its capabilities across setresuid on its thread
        # (PR_SET_KEEPCAPS, then capset) before setresgid, which glibc
        # applies to every thread, aborting on any that fails: the
        # in-process writer's thread must have the same capabilities.
        if os.geteuid() != 0 or not shutil.which("setpriv"):
            self.skipTest("needs root and setpriv (util-linux)")
        argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all",
                sys.executable, "-c", "import os; print(os.getresuid(), os.getresgid())"]
        for agent in ("off", "auto"):
            with self.subTest(agent=agent):
                proc, trace = self.run_clean(argv, env={"TRACESHIM_AGENT": agent})
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertTrue(trace.slices_named("execvp"), "setpriv's spans are written")

    def test_credentials_of_one_thread(self):
        # Credentials set on the program's thread alone (a raw set*id
        # system call, capset of any version, the bounding set, from a
        # signal handler, in a vfork child) leave the process as it is
        # without the shim: glibc's calls for every thread neither abort
        # nor wait, and a vfork child's never reach its parent's writer.
        if os.geteuid() != 0:
            self.skipTest("needs root")
        # A writer that sleeps long: a request it would sleep over shows.
        env = {"TRACESHIM_AGENT": "off", "TRACESHIM_FLUSH_MS": "5000", "TRACESHIM_CPU_SAMPLE_MS": "0"}
        for mode in ("raw-setresuid", "capset-v2", "bounding", "handler", "vfork-capset"):
            with self.subTest(mode=mode):
                proc, _ = self.run_clean([prog("creds"), mode], env=env, timeout=10)
                self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_errno_check(self):
        proc, trace = self.run_clean([prog("errno_check")],
                                     env={"TMPDIR": self.tmp})
        self.assertEqual(proc.returncode, 0,
                         "errno was changed under the shim:\n" + proc.stdout.decode(
                             errors="replace"))
        # The program checked errno; here the trace must agree with it.
        for name, err in (("read", "EBADF"), ("write", "EBADF"), ("pread", "EBADF"),
                          ("pwrite", "EBADF"), ("readv", "EBADF"), ("writev", "EBADF"),
                          ("fsync", "EBADF"), ("close", "EBADF"), ("open", "ENOENT"),
                          ("openat", "ENOENT"), ("creat", "ENOENT"), ("send", "ENOTSOCK"),
                          ("recv", "ENOTSOCK"), ("sendmsg", "ENOTSOCK"),
                          ("recvmsg", "ENOTSOCK"), ("accept", "ENOTSOCK"),
                          ("connect", "ECONNREFUSED")):
            with self.subTest(call=name, errno=err):
                self.assert_failed_slice(trace, name, err)
        # EAGAIN is not an error: flagged with traceshim.errno only.
        eagain = [s for s in trace.slices
                  if s.name in ("read", "recv") and "traceshim.errno" in s.args]
        self.assertTrue(eagain, "no read/recv slice carries traceshim.errno for EAGAIN")
        for s in eagain:
            self.assertNotIn("error.type", s.args, "EAGAIN reported as an error: %r" % s.args)

    # ------------------------------------------------------------ signals
    def test_sigwrite_no_deadlock(self):
        # The full-size run (200000 writes and reads, thousands of signals)
        # is compared without decoding: a trace of that size takes minutes
        # to decode in Python. The trace itself is checked on a smaller run
        # below.
        argv = [prog("sigwrite")]
        env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "TRACESHIM_OUTPUT")}
        trace_path = os.path.join(self.tmp, "sigwrite.pftrace")
        runs = []
        for extra in ({}, {"LD_PRELOAD": tracelib.shim_preload(), "TRACESHIM_OUTPUT": trace_path}):
            try:
                runs.append(subprocess.run(argv, env=dict(env, **extra), stdin=subprocess.DEVNULL,
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                           timeout=30))
            except subprocess.TimeoutExpired as e:
                self.fail("sigwrite did not finish within 30 s%s (deadlock in a wrapper "
                          "re-entered from a signal handler?): %s"
                          % (" under the shim" if extra else "", e))
        plain, traced = runs
        self.assertEqual(plain.returncode, 0, plain.stderr)
        self.assertEqual((traced.returncode, traced.stdout, traced.stderr),
                         (plain.returncode, plain.stdout, plain.stderr))
        self.assertTrue(os.path.exists(trace_path) and os.path.getsize(trace_path) > 0,
                        "sigwrite under the shim wrote no trace")

    def test_sigwrite_trace(self):
        try:
            proc, trace = self.run_clean([prog("sigwrite"), "20000"], timeout=30)
        except subprocess.TimeoutExpired as e:
            self.fail("sigwrite did not finish within 30 s: %s" % e)
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(proc.stdout, b"done\n")
        self.assertTrue(trace.slices_named("write"), "no write slices in the trace")

    # ------------------------------------------------------------ raw clone()
    def test_signal_handlers_as_the_program_set_them(self):
        # A handler set without SA_ONSTACK stays off a small alternate
        # stack, and glibc's older calls (sigset, bsd_signal, sysv_signal,
        # ssignal, sigignore, siginterrupt) set what sigaction() reads back.
        for agent in ("auto", "off"):
            with self.subTest(agent=agent):
                proc, _ = self.run_clean([prog("sigcompat")], env={"TRACESHIM_AGENT": agent})
                self.assertEqual(proc.returncode, 0)
                self.assertIn(b"on the alternate stack: 0\n", proc.stdout)
                self.assertIn(b"sigignore: ignored\n", proc.stdout)

    def test_signal_calls_under_a_library_that_locks_them(self):
        # A library preloaded before the shim wraps signal(), sigset() and
        # sigaction() under one lock (the JVM's libjsig): the shim's own
        # signal calls must not come back through it, or the first signal()
        # waits for ever on the lock its own thread holds.
        # A sanitizer build's runtimes come first all the same.
        first = os.environ.get("TRACESHIM_PRELOAD_FIRST", "").split()
        siglock = " ".join(first + [prog("libsiglock.so")])
        plain = subprocess.run([prog("sigcompat")], stdout=subprocess.PIPE, timeout=30,
                               env=dict(os.environ, LD_PRELOAD=siglock))
        traced = subprocess.run([prog("sigcompat")], stdout=subprocess.PIPE, timeout=30,
                                env=dict(os.environ, LD_PRELOAD=siglock + " " +
                                         tracelib.shim_library(),
                                         TRACESHIM_OUTPUT=os.path.join(self.tmp, "t.pftrace")))
        self.assertEqual(plain.returncode, 0)
        self.assertEqual((traced.returncode, traced.stdout), (0, plain.stdout))

    def test_fork_with_an_allocator_that_has_fork_handlers(self):
        # jemalloc's fork handlers run around the shim's (it is preloaded
        # after it): its prepare handler takes its locks before the shim's
        # runs, its child handler resets them after. The in-process
        # writer's thread allocates: neither the fork nor the child may
        # wait for it (every run hung in fork before).
        jemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
        if not os.path.exists(jemalloc):
            self.skipTest("libjemalloc2 is not installed")
        for agent in ("off", "auto"):
            with self.subTest(agent=agent):
                out = os.path.join(self.tmp, "fork-%s.pftrace" % agent)
                done = subprocess.run([prog("forkchurn"), "20"], stdout=subprocess.PIPE,
                                      timeout=60, env=dict(
                                          os.environ, TRACESHIM_AGENT=agent,
                                          TRACESHIM_OUTPUT=out,
                                          LD_PRELOAD=tracelib.shim_preload() + " " + jemalloc))
                self.assertEqual((done.returncode, done.stdout), (0, b"forked 20\n"))
                trace = tracelib.load_trace(out)
                self.assertEqual(tracelib.structural_errors(trace), [])
                self.assertEqual(len(trace.pids()), 21)

    def test_clonewrite_child_on_own_track(self):
        proc, trace = self.run_clean([prog("clonewrite")])
        self.assertEqual(proc.returncode, 0)
        self.assertTrue(proc.stdout.endswith(b"parent done\n"))
        pid = self.main_pid(trace, "clonewrite")
        stdout_writes = [s for s in trace.slices_named("write")
                         if s.pid == pid and s.args.get("traceshim.fd") == 1]
        child = [s for s in stdout_writes if s.tid is not None and s.tid != pid]
        self.assertTrue(child, "no write on fd 1 from a thread other than the main one "
                        "(tids of fd-1 writes: %s)" % sorted({s.tid for s in stdout_writes}))
        self.assertEqual(len({s.tid for s in child}), 1,
                         "the child's writes are spread over several tids")
        self.assertEqual(len(child), 200, "expected the child's 200 writes on its own track")
        # The parent's concurrent writes to stderr stay on the main thread.
        parent = [s for s in trace.slices_named("write")
                  if s.pid == pid and s.args.get("traceshim.fd") == 2]
        self.assertEqual(len(parent), 200)
        self.assertEqual({s.tid for s in parent}, {pid},
                         "parent's stderr writes attributed to another thread")

    # ------------------------------------------------------------ fd sweeps
    def test_closeall_trace_survives(self):
        proc, trace = self.run_clean([prog("closeall"), self.tmp])
        self.assertEqual(proc.returncode, 0)
        self.assertTrue(proc.stdout.endswith(b"closeall finished\n"))
        pid = self.main_pid(trace, "closeall")
        stdout_writes = [s for s in trace.slices_named("write")
                         if s.pid == pid and s.args.get("traceshim.fd") == 1]
        sizes = [s.args.get("traceshim.io.requested") for s in stdout_writes]
        # 5 phases of label + content, then the final line: the trace writer
        # must have outlived the close() loop, closefrom() and close_range().
        self.assertEqual(len(stdout_writes), 11, "stdout writes in the trace: sizes %s" % sizes)
        self.assertEqual(sizes[-1], len(b"closeall finished\n"))
        path = os.path.join(self.tmp, "closeall.txt")
        reads = self.io_slices(trace, "read", **{"file.path": path})
        self.assertEqual(len(reads), 5, "reads of the scratch file: one per phase")

    # ------------------------------------------------------------ before init
    def test_preinit_constructor_write_traced(self):
        proc, trace = self.run_clean([prog("preinit")], env={"PREINIT_EARLY_WRITE": None})
        self.assertEqual(proc.stdout, b"ctor\nmain\n")
        pid = self.main_pid(trace, "preinit")
        five = [s for s in trace.slices_named("write")
                if s.pid == pid and s.args.get("traceshim.fd") == 1
                and s.args.get("traceshim.io.requested") == 5]
        # "ctor\n" from libpreinit's constructor, then "main\n".
        self.assertEqual(len(five), 2, "expected the constructor's and main's writes, got %r"
                         % five)

    def test_preinit_array_write_traced(self):
        # .preinit_array runs before any library constructor: the earliest
        # user code there is.
        proc, trace = self.run_clean([prog("preinit")], env={"PREINIT_EARLY_WRITE": "1"})
        self.assertEqual(proc.stdout, b"preinit\nctor\nmain\n")
        pid = self.main_pid(trace, "preinit")
        writes = [s for s in trace.slices_named("write")
                  if s.pid == pid and s.args.get("traceshim.fd") == 1]
        self.assertEqual([s.args.get("traceshim.io.requested") for s in writes], [8, 5, 5],
                         "the .preinit_array, constructor and main writes, in order")

    def test_allocator_of_its_own_starting_before_the_constructor(self):
        # The program's allocator starts before the tracer's constructor and
        # reads its settings (readlink) holding its own lock, as rustc's
        # jemalloc does: the tracer, started by that call, must not allocate
        # (start its thread) before returning. It did, and the program hung
        # for good with the in-process writer.
        tracelib.skip_under_sanitizer(self, "a program with its own malloc",
                                      "is given the sanitizer's")
        for agent in ("off", "auto"):
            with self.subTest(agent=agent):
                proc, trace = self.run_clean([prog("ownmalloc")], env={"TRACESHIM_AGENT": agent},
                                             timeout=30)
                self.assertEqual(proc.stdout, b"thread\nmain\n")
                pid = self.main_pid(trace, "ownmalloc")
                conf = [s for s in trace.slices_named("readlink")
                        if s.pid == pid and s.args.get("file.path") == "/etc/malloc.conf"]
                self.assertEqual(len(conf), 1, "the allocator's first call is traced")

    def test_allocator_call_while_a_thread_registers(self):
        # The tracer learns a new thread's stack with pthread_getattr_np(),
        # which allocates; the program's allocator makes a traced call on a
        # thread's first allocation (rustc's jemalloc may lock a mutex). That
        # call registered the thread a second time: two tracks for one tid,
        # both alive, which the importer refuses.
        tracelib.skip_under_sanitizer(self, "a program with its own malloc",
                                      "is given the sanitizer's")
        proc, trace = self.run_clean([prog("threadalloc")], timeout=30)
        self.assertEqual(proc.stdout, b"ok\n")
        pid = self.main_pid(trace, "threadalloc")
        workers = [t for t in trace.thread_tracks(pid) if t.tid != pid]
        self.assertEqual(len(workers), 8, "one track per thread: %r" % workers)
        self.assertEqual(len({t.tid for t in workers}), 8)
        for track in workers:
            with self.subTest(tid=track.tid):
                names = [s.name for s in trace.slices if s.track_uuid == track.uuid]
                self.assertIn("readlink", names, "the allocator's call is the thread's")
                self.assertIn("write", names)

    def test_calls_from_thread_specific_destructors(self):
        # The program's thread-specific destructors run after the tracer's
        # (its key is older) and wrote nothing to the trace: the thread's span
        # ended first. They are the thread's calls, inside its span.
        proc, trace = self.run_clean([prog("keydtor")])
        self.assertEqual(proc.stdout, b"ok\n")
        pid = self.main_pid(trace, "keydtor")
        spans = [s for s in trace.slices
                 if s.pid == pid and s.tid != pid and s.depth == 0 and s.name == "thread"]
        self.assertEqual(len(spans), 4)
        for span in spans:
            with self.subTest(tid=span.tid):
                writes = [s for s in trace.descendants(span) if s.name == "write"]
                self.assertEqual(len(writes), 2, "the worker's write and its destructor's")
                self.assertLessEqual(writes[-1].end, span.end)

    # ------------------------------------------------------------ dlopen
    def test_dlopen_local(self):
        proc, _ = self.run_clean([prog("dlopen_local"), prog("libtslocal.so")])
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(proc.stdout, b"answer 42\n")

    # ------------------------------------------------------------ threads
    def test_threads_io_named_workers(self):
        proc, trace = self.run_clean([prog("threads_io"), self.tmp])
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(proc.stdout, b"ok\n")
        pid = self.main_pid(trace, "threads_io")
        names = trace.threads_of(pid)
        for n in range(4):
            with self.subTest(worker=n):
                name = "worker-%d" % n
                tids = [tid for tid, tname in names.items() if tname == name]
                self.assertEqual(len(tids), 1, "thread %r not found once in %r" % (name, names))
                path = os.path.join(self.tmp, "worker-%d.dat" % n)
                mine = trace.slices_of(pid=pid, tid=tids[0])
                writes = [s for s in mine
                          if s.name == "write" and s.args.get("file.path") == path]
                self.assertGreaterEqual(len(writes), 1000)
                for call in ("fsync", "close"):
                    self.assertTrue([s for s in mine if s.name == call
                                     and s.args.get("file.path") == path],
                                    "%s: no %s slice on %s" % (name, call, path))

    def test_thread_named_after_a_cxx_start_routine(self):
        # A mangled start routine (_ZN4pool6worker3runEPv) names its thread
        # span demangled and without its parameters.
        if not os.path.exists(prog("cxx_thread")):
            self.skipTest("no C++ compiler")
        if os.environ.get("TRACESHIM_PRELOAD_FIRST"):
            # The sanitizer's pthread_create runs first: the start routine
            # the shim sees is the sanitizer's own.
            self.skipTest("the start routine is the sanitizer's under its runtime")
        proc, trace = self.run_clean([prog("cxx_thread")])
        self.assertEqual((proc.returncode, proc.stdout), (0, b"worker 1\n"))
        pid = self.main_pid(trace, "cxx_thread")
        spans = [s.name for s in trace.slices
                 if s.pid == pid and s.tid not in (None, pid) and s.depth == 0]
        self.assertEqual(spans, ["pool::worker::run"])

    # ------------------------------------------------------------ exit()
    def test_exit_from_thread(self):
        out = os.path.join(self.tmp, "lines.txt")
        proc, trace = self.run_clean([prog("exit_thread"), out], timeout=30)
        self.assertEqual(proc.returncode, 3)
        pid = self.main_pid(trace, "exit_thread")
        writes = [s for s in self.io_slices(trace, "write", **{"file.path": out})
                  if s.pid == pid]
        self.assertEqual(len(writes), 100, "the exiting thread's writes are not all traced")
        self.assertTrue(all(s.tid != pid for s in writes),
                        "the exiting thread's writes are attributed to the main thread")

    # ------------------------------------------------------------ self-tracing
    def _assert_not_self_traced(self, trace):
        own = {trace.path, os.path.realpath(trace.path)}
        selfish = [s for s in trace.slices if s.args.get("file.path") in own]
        self.assertEqual(selfish, [], "the shim traced its own I/O on the trace file")

    @unittest.skipUnless(shutil.which("dd"), "dd not installed")
    def test_own_writes_not_traced(self):
        tracelib.skip_under_sanitizer(self, "dd", "aborts in aligned_alloc()")
        proc, trace = self.run_clean(["dd", "if=/dev/zero", "of=/dev/null", "bs=1",
                                      "count=500", "status=none"])
        self.assertEqual(proc.returncode, 0)
        self._assert_not_self_traced(trace)
        # dd dup2()s its files onto fds 0 and 1, so the write slices may not
        # name /dev/null; what counts is that they are exactly dd's 500.
        writes = trace.slices_named("write")
        self.assertEqual(len(writes), 500, "dd wrote 500 times; trace holds %d write slices "
                         "(fds %s)" % (len(writes), sorted({str(s.args.get(
                             "traceshim.fd")) for s in writes})))
        self.assertTrue(all(s.args.get("traceshim.io.requested") == 1 for s in writes))

    @unittest.skipUnless(shutil.which("dd"), "dd not installed")
    def test_own_writes_not_traced_when_flushing_midway(self):
        tracelib.skip_under_sanitizer(self, "dd", "aborts in aligned_alloc()")
        # More calls than the shim's per-thread buffer holds (16384 records by
        # default), and a short flush interval, so that the shim writes trace
        # data while the program runs, not only at exit. Spans may be dropped
        # under load; whatever is recorded must be dd's 1-byte writes only.
        proc, trace = self.run_clean(["dd", "if=/dev/zero", "of=/dev/null", "bs=1",
                                      "count=20000", "status=none"],
                                     env={"TRACESHIM_FLUSH_MS": "1"}, timeout=120)
        self.assertEqual(proc.returncode, 0)
        self._assert_not_self_traced(trace)
        sizes = {s.args.get("traceshim.io.requested") for s in trace.slices_named("write")}
        self.assertEqual(sizes, {1}, "write slices other than dd's own 1-byte writes")


if __name__ == "__main__":
    unittest.main()
