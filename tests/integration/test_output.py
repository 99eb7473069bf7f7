#!/usr/bin/env python3
"""Output tests: where the trace goes and what the program sees of it.

- The program never sees a descriptor of the shim: /proc/self/fd lists the
  same descriptors with and without the shim (after the first flush, with
  OTLP on too), and an exec'd child's first open() returns 3.
- The output path never hangs and never fails silently: /dev/full, a FIFO
  with no reader, a FIFO whose reader never reads; the file is opened before
  main, so a program that chroots or installs a seccomp filter keeps its
  trace.
- A program started with a descriptor limit of four still has its trace
  written by the in-process writer, or hears why not.
- Symlinks at the final path component are never followed, and a file owned
  by another user is never appended to or truncated (TRACESHIM_OUTPUT and
  `traceshim run -o`).

Run:  PROGS_DIR=build/tests/progs TRACESHIM_LIB=build/libtraceshim.so \\
          [TRACESHIM_CLI=build/cli/traceshim] python3 tests/integration/test_output.py
"""

import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
EXIT_TIMEOUT_MS = 1000
NOBODY = 65534


def prog(name):
    base = os.environ.get("PROGS_DIR") or os.path.join(ROOT, "build", "tests", "progs")
    path = os.path.join(os.path.abspath(base), name)
    if not os.access(path, os.X_OK):
        raise AssertionError("%s is not built (set PROGS_DIR)" % path)
    return path


def clean_env(**extra):
    """The environment without any tracing variable, plus extra."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OTEL_", "TRACESHIM_", "LD_PRELOAD"))
           or k == "TRACESHIM_PRELOAD_FIRST"}
    env.update(extra)
    return env


def shim_lines(stderr):
    return [l for l in stderr.decode(errors="replace").splitlines() if l.startswith("traceshim")]


def needs_root(test):
    if os.geteuid() != 0:
        test.skipTest("needs root (chroot, or a file owned by another user)")


class Receiver(tracelib.OtlpHandler):
    protocol_version = "HTTP/1.1"
    requests = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Receiver.requests += 1
        self.answer(200)


class OutputTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="traceshim-output-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def run_both(self, argv, trace_env, timeout=60, **kw):
        """argv without, then with the shim (trace_env: where the trace
        goes); the same stdout and exit status. Returns (traced, elapsed)."""
        plain = subprocess.run(argv, env=clean_env(), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, **kw)
        env = clean_env(LD_PRELOAD=tracelib.shim_preload(),
                        TRACESHIM_EXIT_TIMEOUT_MS=str(EXIT_TIMEOUT_MS))
        env.update(trace_env)
        start = time.monotonic()
        try:
            traced = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    timeout=timeout, **kw)
        except subprocess.TimeoutExpired:
            self.fail("%r under the shim did not end within %d s (%r)" % (argv, timeout, trace_env))
        elapsed = time.monotonic() - start
        self.assertEqual((traced.stdout, traced.returncode), (plain.stdout, plain.returncode),
                         traced.stderr.decode(errors="replace"))
        return traced, elapsed

    def assert_same_as_plain(self, argv, out, **extra):
        """argv without, then with the shim writing to out (and the settings
        in extra): a success, and the same exit status, stdout and stderr.
        Returns the plain run."""
        plain = subprocess.run(argv, env=clean_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
        traced = subprocess.run(argv, env=clean_env(LD_PRELOAD=tracelib.shim_preload(),
                                                    TRACESHIM_OUTPUT=out, **extra),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(plain.returncode, 0, plain.stderr)
        self.assertEqual((traced.returncode, traced.stdout, traced.stderr),
                         (plain.returncode, plain.stdout, plain.stderr))
        return plain

    def assert_one_warning(self, traced, *words):
        lines = shim_lines(traced.stderr)
        self.assertEqual(len(lines), 1, "expected one warning line, stderr: %r" % traced.stderr)
        for w in words:
            self.assertIn(w, lines[0])
        return lines[0]

    # ------------------------------------------------------------ descriptors
    def test_inherited_stdio_named_by_their_files(self):
        # stdout and stderr inherited open on files: one file for both (2>&1)
        # or one each; every write span names the file it went to.
        script = "echo out; echo err >&2; echo out2; echo err2 >&2"
        for shared in (True, False):
            with self.subTest(shared=shared):
                out_path = os.path.join(self.tmp, "both.log" if shared else "out.log")
                err_path = out_path if shared else os.path.join(self.tmp, "err.log")
                trace_path = os.path.join(self.tmp, "stdio-%d.pftrace" % shared)
                env = clean_env(LD_PRELOAD=tracelib.shim_preload(), TRACESHIM_OUTPUT=trace_path)
                with open(out_path, "wb") as out, open(err_path, "ab") as err:
                    proc = subprocess.run(["sh", "-c", script], env=env, stdin=subprocess.DEVNULL,
                                          stdout=out, stderr=subprocess.STDOUT if shared else err,
                                          timeout=60)
                self.assertEqual(proc.returncode, 0)
                with open(out_path, "rb") as f:
                    text = f.read()
                self.assertEqual(text, b"out\nerr\nout2\nerr2\n" if shared else b"out\nout2\n")
                trace = tracelib.load_trace(trace_path)
                writes = trace.slices_named("write")
                self.assertEqual(len(writes), 4, [w.args for w in writes])
                paths = sorted(w.args.get("file.path") for w in writes)
                self.assertEqual(paths, sorted([out_path, err_path] * 2))

    def test_proc_fd_lists_only_the_programs(self):
        # A pause well past the first flush: the trace file is open by then.
        proc, trace = tracelib.run_pair([prog("fdlist"), "300"], env={"TRACESHIM_FLUSH_MS": "20"})
        self.assertIn(b"child first open: 3\n", proc.stdout)
        self.assertTrue(trace.slices_named("read"))

    def test_proc_fd_lists_only_the_programs_with_otlp(self):
        if not os.environ.get("TRACESHIM_SEND_PROBE"):
            self.skipTest("the OTLP module is not built")
        server = tracelib.serve_loopback(Receiver)
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        Receiver.requests = 0
        proc, trace = tracelib.run_pair(
            [prog("fdlist"), "500"],
            env={"TRACESHIM_FLUSH_MS": "20", "OTEL_BSP_SCHEDULE_DELAY": "20",
                 "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % server.server_address[1]})
        self.assertIn(b"child first open: 3\n", proc.stdout)
        self.assertGreater(Receiver.requests, 0, "the receiver got nothing")

    def test_without_a_table_of_its_own(self):
        # A sandbox on an old kernel: no close_range, no unshare. The trace is
        # still written (the file opened for each write), silently.
        argv = [prog("confine"), "nofdtable", prog("fdlist"), "--io", "50"]
        proc, trace = tracelib.run_pair(argv)
        self.assertEqual(tracelib.structural_errors(trace)[:10], [])
        reads = [s for s in trace.slices_named("read") if s.args.get("file.path") == "/dev/null"]
        self.assertEqual(len(reads), 50)

    def test_without_a_table_of_its_own_no_otlp(self):
        # The in-process writer: libcurl's sockets would be in the program's
        # table, so OTLP is refused (an agent sends from its own process).
        traced, _ = self.run_both(
            [prog("confine"), "nofdtable", prog("fdlist"), "--io", "5"],
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "TRACESHIM_AGENT": "off"})
        self.assert_one_warning(traced, "OTLP export is off")

    def test_no_descriptor_left_by_a_throw(self):
        # The thrower's stack is recorded: the unwinder must not leave a
        # descriptor behind in the program.
        path = os.path.join(os.environ.get("PROGS_DIR") or
                            os.path.join(ROOT, "build", "tests", "progs"), "cxx_fds")
        if not os.path.exists(path):
            self.skipTest("no C++ compiler: cxx_fds is not built")
        proc, trace = tracelib.run_pair([path])
        self.assertIn(b"next open: 3\n", proc.stdout)
        events = [s for s in trace.slices if s.name == "exception"]
        self.assertEqual(len(events), 1)
        self.assertIn("thrower", events[0].args["exception.stacktrace"].splitlines()[0])

    def with_descriptors(self, n, argv, out):
        """argv, started with RLIMIT_NOFILE n:n, without and with the
        in-process writer (prlimit itself is not traced)."""
        limited = ["prlimit", "--nofile=%d:%d" % (n, n), "env"]
        plain = subprocess.run(limited + argv, env=clean_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
        traced = subprocess.run(limited + ["LD_PRELOAD=" + tracelib.shim_preload()] + argv,
                                env=clean_env(TRACESHIM_AGENT="off", TRACESHIM_OUTPUT=out),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual((traced.returncode, traced.stdout), (plain.returncode, plain.stdout),
                         traced.stderr.decode(errors="replace"))
        return traced

    def test_four_descriptors_trace_written(self):
        # The writer's table holds /dev/null on 0-2 and a pidfd on 3: the
        # trace file takes the place of standard input's filler.
        out = os.path.join(self.tmp, "t.pftrace")
        traced = self.with_descriptors(4, ["cat", "/proc/self/limits"], out)
        self.assertIn(b"Max open files            4                    4", traced.stdout)
        self.assertEqual(shim_lines(traced.stderr), [])
        trace = tracelib.load_trace(out)
        self.assertEqual(len([s for s in trace.slices if s.name == "cat" and s.tid is None]), 1)
        reads = [s for s in trace.slices_named("read") if s.args.get("file.path") ==
                 "/proc/self/limits"]
        self.assertTrue(reads)

    def test_four_descriptors_no_trace_said(self):
        # No room in the writer's table to reach stderr: the program's
        # thread says it.
        out = os.path.join(self.tmp, "no-such-dir", "t.pftrace")
        traced = self.with_descriptors(4, ["echo", "hi"], out)
        self.assert_one_warning(traced, "cannot write the trace", out, "No such file")

    # ------------------------------------------------------------ destinations
    def test_dev_full_one_warning(self):
        traced, _ = self.run_both([prog("fdlist"), "--io", "100"], {"TRACESHIM_OUTPUT": "/dev/full"})
        line = self.assert_one_warning(traced, "/dev/full", "No space left on device", "spans")
        self.assertRegex(line, r"\d+ spans")

    def test_no_trace_file_and_forks_of_forks(self):
        # The trace file cannot be made: a shell's subshell forking again
        # (a pipe in a command substitution) must not hang, with either
        # writer.
        out = os.path.join(self.tmp, "no-such-dir", "t.pftrace")
        for agent in ["off"] * 16 + ["auto"]:   # it hung one time in four or so
            proc = subprocess.Popen(["sh", "-c", 'echo "got $(echo a | cat)"'], env=clean_env(
                LD_PRELOAD=tracelib.shim_preload(), TRACESHIM_OUTPUT=out, TRACESHIM_AGENT=agent),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
            try:
                out_, err = proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)   # the shell and its stuck subshells
                proc.communicate()
                self.fail("the shell hung (TRACESHIM_AGENT=%s)" % agent)
            self.assertEqual((proc.returncode, out_), (0, b"got a\n"), (agent, err))

    def test_fifo_without_reader(self):
        fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(fifo)
        traced, _ = self.run_both([prog("fdlist"), "--io", "100"], {"TRACESHIM_OUTPUT": fifo},
                                  timeout=20)
        self.assert_one_warning(traced, fifo)

    def test_fifo_reader_never_reads(self):
        fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(fifo)
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        self.addCleanup(os.close, reader)
        # Far more trace than a pipe holds. The shim gives up on the reader
        # at 9/10 of the exit timeout, leaving the rest to say so.
        traced, _ = self.run_both([prog("fdlist"), "--io", "30000"],
                                  {"TRACESHIM_OUTPUT": fifo, "TRACESHIM_EXIT_TIMEOUT_MS": "3000"},
                                  timeout=30)
        self.assert_one_warning(traced, fifo)

    def confined(self, argv):
        proc, trace = tracelib.run_pair(argv)
        self.assertEqual(tracelib.structural_errors(trace)[:10], [])
        steps = [s for s in trace.slices_named("write")
                 if s.args.get("traceshim.fd") == 1 and s.args.get("traceshim.io.requested") == 14]
        self.assertEqual(len(steps), 5, "the writes made once confined are not all in the trace")
        self.assertEqual(len([p for p in trace.processes.values() if p == "confine"]), 1)
        return proc

    def test_chroot_after_start(self):
        needs_root(self)
        empty = os.path.join(self.tmp, "empty")
        os.mkdir(empty)
        proc = self.confined([prog("confine"), "chroot", empty])
        self.assertIn(b"open refused\n", proc.stdout)

    def test_exec_into_a_chroot_without_the_library(self):
        # chroot(1) into a tree that has a shell but not the library: the
        # dynamic loader would say at every exec that it cannot preload it.
        # The shim leaves itself out of LD_PRELOAD where it cannot be found.
        needs_root(self)
        if os.environ.get("TRACESHIM_PRELOAD_FIRST"):
            self.skipTest("a sanitizer's runtime, preloaded first, speaks on stderr of its own "
                          "in a tree with no /proc")
        root = os.path.join(self.tmp, "root")
        sh = os.path.realpath("/bin/sh")
        libs = re.findall(r"(/\S+) \(0x", subprocess.run(["ldd", sh], stdout=subprocess.PIPE,
                                                          text=True, check=True).stdout)
        for path in [sh] + libs:
            dest = os.path.join(root, path.lstrip("/"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy(path, dest)
        os.makedirs(os.path.join(root, "bin"), exist_ok=True)
        if not os.path.exists(os.path.join(root, "bin", "sh")):
            os.symlink(sh, os.path.join(root, "bin", "sh"))
        out = os.path.join(self.tmp, "t.pftrace")
        self.assert_same_as_plain(["chroot", root, "/bin/sh", "-c", "echo in; /bin/sh -c 'echo in2'"],
                                  out)

    def test_seccomp_after_start(self):
        proc = self.confined([prog("confine"), "seccomp"])
        self.assertIn(b"open refused\n", proc.stdout)

    def test_seccomp_allowlist_kills_nothing(self):
        # sshd's pre-login child: a seccomp filter that kills the process
        # on any call it did not allow, then polls and exits. The shim's
        # wrappers and its exit must make no call of their own the filter
        # refuses (it once read RLIMIT_NOFILE in poll, and the thread's
        # name at exit).
        for agent in ("auto", "off"):
            with self.subTest(agent=agent):
                proc, trace = tracelib.run_pair([prog("sandboxed"), "allowlist"],
                                                env={"TRACESHIM_AGENT": agent})
                self.assertEqual(proc.stdout, b"sandboxed\n0 1 1 0\n")
                polls = [s for s in trace.slices if s.name in ("poll", "ppoll")]
                self.assertTrue(polls or trace.slices_named("read"), "nothing traced once sandboxed")

    def test_sandboxed_child_says_nothing(self):
        # A traced program starts a helper under a filter that refuses to
        # open files for writing (man-db's col): the helper cannot write
        # the trace, which is no misconfiguration of the user's. Nothing on
        # stderr; the program's own spans are in the trace.
        out = os.path.join(self.tmp, "t.pftrace")
        traced, _ = self.run_both([prog("sandboxed"), "noopen", "/bin/echo", "hi"],
                                  {"TRACESHIM_OUTPUT": out})
        self.assertEqual(shim_lines(traced.stderr), [])
        self.assertEqual(traced.stdout, b"hi\n")

    def test_file_size_limit_kills_nothing(self):
        # Under `ulimit -f` a process's own file may not pass the limit, or
        # the kernel sends SIGXFSZ: no segment in the run directory is made
        # that large, no batch of the trace and no line on a stderr that is
        # a file passes it. Each process is then written by itself, as far
        # as its limit lets it, and the trace stays whole.
        script = ("ulimit -f %d; /bin/echo hi; head -c 10000 /dev/zero > %s/zeros; echo $?; "
                  "find /usr/share/doc -maxdepth 2 > /dev/null; echo found $?")
        for limit in (1000, 20):
            for agent in ("auto", "off"):
                with self.subTest(limit=limit, agent=agent):
                    err = os.path.join(self.tmp, "err.%d.%s" % (limit, agent))
                    out = os.path.join(self.tmp, "t.%d.%s.pftrace" % (limit, agent))
                    argv = ["sh", "-c", script % (limit, self.tmp) + " 2>>" + err]
                    traced, _ = self.run_both(argv, {"TRACESHIM_OUTPUT": out,
                                                     "TRACESHIM_AGENT": agent})
                    self.assertEqual(traced.stdout, b"hi\n0\nfound 0\n")
                    trace = tracelib.load_trace(out)
                    self.assertEqual(tracelib.structural_errors(trace)[:10], [])
                    self.assertLessEqual(os.path.getsize(out), max(limit * 1024, 1))

    # ------------------------------------------------------------ ownership
    def victim(self, name="victim"):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(b"precious\n")
        return path

    def assert_unchanged(self, path):
        with open(path, "rb") as f:
            self.assertEqual(f.read(), b"precious\n", "%s was written to" % path)

    def test_symlink_at_default_path_not_followed(self):
        victim = self.victim()
        # exec keeps the shell's pid: the link is at the program's default path.
        script = ('ln -s %s "fdlist.$$.pftrace" && LD_PRELOAD="%s" TRACESHIM_EXIT_TIMEOUT_MS=%d '
                  'exec %s --io 10' % (victim, tracelib.shim_preload(), EXIT_TIMEOUT_MS, prog("fdlist")))
        plain = subprocess.run([prog("fdlist"), "--io", "10"], env=clean_env(), cwd=self.tmp,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        traced = subprocess.run(["sh", "-c", script], env=clean_env(), cwd=self.tmp,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual((traced.stdout, traced.returncode), (plain.stdout, plain.returncode))
        self.assert_unchanged(victim)
        self.assert_one_warning(traced, "symbolic link")

    def test_symlink_output_not_followed(self):
        victim = self.victim()
        link = os.path.join(self.tmp, "trace.pftrace")
        os.symlink(victim, link)
        traced, _ = self.run_both([prog("fdlist"), "--io", "10"], {"TRACESHIM_OUTPUT": link})
        self.assert_unchanged(victim)
        self.assertTrue(os.path.islink(link))
        self.assert_one_warning(traced, link, "symbolic link")

    def test_file_of_another_user_not_appended(self):
        needs_root(self)
        victim = self.victim()
        os.chown(victim, NOBODY, NOBODY)
        traced, _ = self.run_both([prog("fdlist"), "--io", "10"], {"TRACESHIM_OUTPUT": victim})
        self.assert_unchanged(victim)
        self.assert_one_warning(traced, victim, "owned by")

    def test_child_running_as_another_user_stays_quiet(self):
        # A traced program starts a child as another user (a service dropping
        # privileges, subprocess's user=): the child cannot write the file its
        # parent made. That is no misconfiguration of the user's, and the
        # program's stderr must stay as without the shim.
        needs_root(self)
        out = os.path.join(self.tmp, "tree.pftrace")
        code = ("import subprocess, sys\n"
                "r = subprocess.run(['/bin/true'], user=%d)\n"
                "sys.stdout.write('child %%d\\n' %% r.returncode)\n" % NOBODY)
        self.assert_same_as_plain([sys.executable, "-c", code], out)
        # Nor can it use the run directory its parent's agent serves.
        os.unlink(out)
        self.assert_same_as_plain([sys.executable, "-c", code], out,
                                  TRACESHIM_RUN_DIR=tracelib.private_run_dir(self.tmp))
        # The parent's spans are there all the same.
        trace = tracelib.load_trace(out)
        self.assertTrue(trace.slices_named("fork") or trace.slices_named("vfork")
                        or trace.slices_named("posix_spawn"), [s.name for s in trace.slices][:20])

    def test_no_line_in_a_file_that_took_stderrs_number(self):
        # The program closes stderr and opens a data file, which gets
        # descriptor 2; the shim then has something to say (the trace file
        # is full): it must not say it into the program's data.
        data = os.path.join(self.tmp, "data.txt")
        code = ("import os\n"
                "os.close(2)\n"
                "fd = os.open(%r, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)\n"
                "assert fd == 2\n"
                "for i in range(100):\n"
                "    os.write(fd, b'row %%d\\n' %% i)\n" % data)
        expected = b"".join(b"row %d\n" % i for i in range(100))
        for agent in ("off", "auto"):
            proc = subprocess.run([sys.executable, "-c", code], env=clean_env(
                LD_PRELOAD=tracelib.shim_preload(), TRACESHIM_OUTPUT="/dev/full",
                TRACESHIM_AGENT=agent, TRACESHIM_LOG="info"),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(data, "rb") as f:
                self.assertEqual(f.read(), expected, agent)

    def test_program_dropping_privileges_then_forking_stays_quiet(self):
        # The program itself drops to another user, then forks and execs:
        # neither the forked child nor the program it execs may say on
        # stderr that it cannot write the tree's file.
        needs_root(self)
        out = os.path.join(self.tmp, "tree.pftrace")
        code = ("import os, sys\n"
                "os.setresgid(%d, %d, %d); os.setresuid(%d, %d, %d)\n"
                "pid = os.fork()\n"
                "if pid == 0:\n"
                "    os.execv('/bin/echo', ['echo', 'child'])\n"
                "_, st = os.waitpid(pid, 0)\n"
                "sys.stdout.write('parent %%d\\n' %% os.waitstatus_to_exitcode(st))\n"
                % ((NOBODY,) * 6))
        plain = self.assert_same_as_plain([sys.executable, "-c", code], out)
        self.assertEqual(plain.stdout, b"child\nparent 0\n")
        run_dir = tracelib.private_run_dir(self.tmp)
        self.assert_same_as_plain([sys.executable, "-c", code], out, TRACESHIM_RUN_DIR=run_dir)
        # Dropping them and execing a shell that starts a program (setpriv,
        # su): the shell cannot trace itself, the program it starts is of
        # the tree all the same.
        code = ("import os\n"
                "os.setresgid(%d, %d, %d); os.setresuid(%d, %d, %d)\n"
                "os.execv('/bin/sh', ['sh', '-c', '/bin/echo child; echo shell'])\n"
                % ((NOBODY,) * 6))
        plain = self.assert_same_as_plain([sys.executable, "-c", code], out,
                                          TRACESHIM_RUN_DIR=run_dir)
        self.assertEqual(plain.stdout, b"child\nshell\n")
        # A user whose own setting names a file they cannot write still hears of it.
        denied = subprocess.run(["/bin/true"], env=clean_env(
            LD_PRELOAD=tracelib.shim_preload(), TRACESHIM_OUTPUT=os.path.join(self.tmp, "no.pftrace")),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
            user=NOBODY, group=NOBODY, extra_groups=[])
        self.assertIn(b"no span of this process is written", denied.stderr)
        denied = subprocess.run(["/bin/true"], env=clean_env(
            LD_PRELOAD=tracelib.shim_preload(), TRACESHIM_RUN_DIR=run_dir),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
            user=NOBODY, group=NOBODY, extra_groups=[])
        self.assertIn(b"run directory not usable", denied.stderr)

    # ------------------------------------------------------------ traceshim run -o
    def cli(self):
        path = os.environ.get("TRACESHIM_CLI")
        if not path:
            self.skipTest("TRACESHIM_CLI is not set (the traceshim command is not built)")
        return path

    def run_cli(self, output):
        env = clean_env()
        # A sanitizer build needs its runtimes first: traceshim run keeps an
        # existing LD_PRELOAD ahead of the library.
        if os.environ.get("TRACESHIM_PRELOAD_FIRST"):
            env["LD_PRELOAD"] = os.environ["TRACESHIM_PRELOAD_FIRST"]
        return subprocess.run([self.cli(), "run", "-o", output, "--", "true"],
                              env=env, cwd=self.tmp, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60)

    def test_run_output_symlink_not_truncated(self):
        victim = self.victim()
        link = os.path.join(self.tmp, "run.pftrace")
        os.symlink(victim, link)
        r = self.run_cli(link)
        self.assert_unchanged(victim)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"symbolic link", r.stderr)

    def test_run_output_of_another_user_not_truncated(self):
        needs_root(self)
        victim = self.victim()
        os.chown(victim, NOBODY, NOBODY)
        r = self.run_cli(victim)
        self.assert_unchanged(victim)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"owned by", r.stderr)

    def test_run_output_truncated_when_ours(self):
        mine = self.victim("mine.pftrace")
        r = self.run_cli(mine)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(mine, "rb") as f:
            self.assertFalse(f.read().startswith(b"precious"), "the old content is still there")
        self.assertTrue(stat.S_ISREG(os.lstat(mine).st_mode))


if __name__ == "__main__":
    unittest.main(verbosity=2)
