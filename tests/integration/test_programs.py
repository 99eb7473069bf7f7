#!/usr/bin/env python3
"""Integration tests: real programs run under the traceshim LD_PRELOAD library.

Each test runs a program twice (without and with the shim, see
tracelib.run_pair), requires identical stdout/stderr/exit status, then checks
the decoded trace against tests/integration/CONTRACT.md.

Run:  TRACESHIM_LIB=build/libtraceshim.so python3 tests/integration/test_programs.py
Optional: TRACESHIM_KEEP_TRACES=DIR keeps a copy of every trace written.
Needs protoc, cat, dd, sh, tr, wc and curl on PATH; uses loopback only.
"""

import errno
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

READ_CALLS = {"read", "pread", "readv", "preadv", "recv", "recvfrom", "recvmsg"}
WRITE_CALLS = {"write", "pwrite", "writev", "pwritev", "send", "sendto", "sendmsg"}
FD_TYPES = {"file", "dir", "pipe", "socket", "tty", "chr", "block", "other"}
IO_CALLS = READ_CALLS | WRITE_CALLS | {
    "connect", "accept", "open", "openat", "creat", "close", "fsync", "fdatasync",
    "pthread_create"}


def setUpModule():
    # Fails the whole run with a clear message rather than skipping.
    tracelib.shim_library()
    if shutil.which("protoc") is None:
        raise AssertionError("protoc is not on PATH: the tests decode traces with it")


# ---------------------------------------------------------------- contract shape

def contract_shape_problems(trace):
    """Checks the per-process/per-thread layout CONTRACT.md promises."""
    problems = []
    for pid in trace.pids():
        problems += _process_shape(trace, pid)
        for track in trace.thread_tracks(pid):
            problems += _thread_shape(trace, track)
    for s in trace.slices:
        if s.name in IO_CALLS and s.depth < 1:
            problems.append("I/O slice %r in %s/%s at depth %d, outside a thread span"
                            % (s.name, s.pid, s.tid, s.depth))
    return problems


def _process_shape(trace, pid):
    track = trace.process_track(pid)
    if track is None:
        return ["pid %s has slices but no process TrackDescriptor" % pid]
    problems = []
    if not track.process_name:
        problems.append("process track of pid %s has no process_name" % pid)
    spans = [s for s in trace.slices if s.track_uuid == track.uuid and s.depth == 0]
    if not any(s.args.get("process.pid") == pid for s in spans):
        problems.append("pid %s: no process span carrying process.pid on its process track "
                        "(slices there: %s)" % (pid, [s.name for s in spans]))
    seqs = {seq for seq, pids in trace.sequence_pids().items() if pid in pids}
    if not any(seq in seqs and {tracelib.CLOCK_BOOTTIME, tracelib.CLOCK_REALTIME} <= set(c)
               for seq, c in trace.clock_snapshots):
        problems.append("pid %s: no ClockSnapshot with BOOTTIME and REALTIME on its sequences"
                        % pid)
    return problems


def _thread_shape(trace, track):
    slices = [s for s in trace.slices if s.track_uuid == track.uuid]
    if not slices:
        return []
    spans = [s for s in slices if s.depth == 0]
    where = "thread %s/%s" % (track.pid, track.tid)
    if not spans:
        return [where + ": no thread span at depth 0"]
    problems = []
    for s in spans:
        if s.args.get("thread.id") != track.tid:
            problems.append("%s: depth-0 slice %r lacks thread.id=%s (args %s)"
                            % (where, s.name, track.tid, s.args))
    if track.tid == track.pid and not any(s.name == "main" for s in spans):
        problems.append("%s: main thread span is not named 'main' (%s)"
                        % (where, [s.name for s in spans]))
    return problems


# ---------------------------------------------------------------- helpers

def pids_named(trace, name):
    return [pid for pid, pname in trace.processes.items() if pname == name]


def fd_facts(slices):
    """The set of (fd type, file path) the slices were made on."""
    return {(s.args.get("traceshim.fd.type"), s.args.get("file.path")) for s in slices}


def io_bytes(slices):
    return sum(s.args.get("traceshim.io.bytes", 0) for s in slices)


def blank_dd_timing(output):
    """dd's last stderr line holds a duration and a rate, which differ per run."""
    return re.sub(rb"copied, [^\n]*", b"copied", output)


class ShimTestCase(unittest.TestCase):
    """Common set-up (a scratch directory) and trace assertions."""

    maxDiff = None

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="traceshim-it-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def write_file(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def assertTraceSound(self, trace):
        """Structural import rules plus the contract's process/thread layout."""
        # self.fail rather than assertEqual: a list diff of thousands of
        # problems would bury the first ones.
        errors = tracelib.structural_errors(trace)
        if errors:
            self.fail("%d structural error(s), first ones:\n  %s"
                      % (len(errors), "\n  ".join(errors[:20])))
        shape = contract_shape_problems(trace)
        if shape:
            self.fail("%d contract layout problem(s), first ones:\n  %s"
                      % (len(shape), "\n  ".join(shape[:20])))
        with self.subTest("every slice naming an fd gives its type"):
            # A call failing with EBADF names no open file: nothing to type.
            untyped = [(s.pid, s.tid, s.name, s.args) for s in trace.slices
                       if "traceshim.fd" in s.args and s.args.get("error.type") != "EBADF"
                       and s.args.get("traceshim.fd.type") not in FD_TYPES]
            if untyped:
                self.fail("%d slice(s) with traceshim.fd but no valid traceshim.fd.type, "
                          "first ones: %s" % (len(untyped), untyped[:3]))

    def only_pid(self, trace, name):
        pids = pids_named(trace, name)
        self.assertEqual(len(pids), 1, "expected one process named %r, processes: %s"
                         % (name, trace.processes))
        return pids[0]


# ---------------------------------------------------------------- the tests

class TestCat(ShimTestCase):

    def test_cat_file(self):
        content = bytes(range(32, 127)) * 3000 + b"\n"        # ~285 KB: several reads
        path = self.write_file("input.txt", content)
        proc, trace = tracelib.run_pair(["cat", path])
        self.assertEqual(proc.stdout, content)
        self.assertTraceSound(trace)
        pid = self.only_pid(trace, "cat")
        main = trace.slices_of(pid=pid, tid=pid)

        reads = [s for s in main if s.name in READ_CALLS and s.args.get("file.path") == path]
        self.assertTrue(reads, "no read slice with file.path=%s on cat's main thread; "
                        "slices: %s" % (path, sorted({s.name for s in main})))
        self.assertEqual(io_bytes(reads), len(content), "bytes read from the file")
        for s in reads:
            self.assertEqual(s.args.get("traceshim.fd.type"), "file", s.args)

        writes = [s for s in main if s.name in WRITE_CALLS and s.args.get("traceshim.fd") == 1]
        self.assertEqual(io_bytes(writes), len(content), "bytes written to stdout")
        # run_pair captures stdout through a pipe.
        self.assertEqual(fd_facts(writes), {("pipe", None)})
        opens = [s for s in main if s.name in ("open", "openat")
                 and s.args.get("file.path") == path]
        self.assertTrue(opens, "no open/openat slice naming %s" % path)

    def test_failing_open(self):
        missing = "/nonexistent/file"
        proc, trace = tracelib.run_pair(["cat", missing])
        self.assertEqual(proc.returncode, 1)
        self.assertTraceSound(trace)
        pid = self.only_pid(trace, "cat")
        failed = [s for s in trace.slices_of(pid=pid)
                  if s.name in ("open", "openat") and s.args.get("error.type") == "ENOENT"
                  and s.args.get("file.path") == missing]
        self.assertTrue(failed, "no open/openat slice with error.type=ENOENT and file.path=%s;"
                        " open slices: %s" % (missing, [s.args for s in trace.slices_of(pid=pid)
                                                        if s.name in ("open", "openat")]))
        s = failed[-1]
        self.assertEqual(s.args.get("otel.status_code"), "ERROR", s.args)
        self.assertEqual(s.args.get("otel.status_description"), os.strerror(errno.ENOENT),
                         s.args)
        self.assertNotIn("traceshim.io.bytes", s.args)
        instants = [c for c in trace.children(s) if c.is_instant and c.name == "ENOENT"]
        self.assertEqual(len(instants), 1, "INSTANT 'ENOENT' inside the failed %s: children %s"
                         % (s.name, trace.children(s)))


class TestDd(ShimTestCase):

    BLOCKS = 2000

    def test_dd_small_blocks(self):
        tracelib.skip_under_sanitizer(self, "dd", "aborts in aligned_alloc()")
        content = b"0123456789abcdef" * (self.BLOCKS + 10)
        src = self.write_file("src.bin", content)
        dst = os.path.join(self.tmp, "dst.bin")
        proc, trace = tracelib.run_pair(
            ["dd", "if=" + src, "of=" + dst, "bs=16", "count=%d" % self.BLOCKS],
            normalize=blank_dd_timing)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(dst, "rb") as f:
            self.assertEqual(f.read(), content[:16 * self.BLOCKS])
        self.assertTraceSound(trace)
        pid = self.only_pid(trace, "dd")
        slices = trace.slices_of(pid=pid)
        reads = [s for s in slices if s.name in READ_CALLS]
        writes = [s for s in slices if s.name in WRITE_CALLS]
        self.assertGreaterEqual(len(reads), self.BLOCKS)
        self.assertGreaterEqual(len(writes), self.BLOCKS)
        self.assertEqual(io_bytes(reads), 16 * self.BLOCKS)
        self.assertEqual(io_bytes(writes), 16 * self.BLOCKS)
        # dd opens its files then dup2()s them onto fds 0 and 1, so the shim
        # must describe fds it did not see opened under their final number.
        with self.subTest("dd's reads and writes are on files"):
            self.assertEqual(fd_facts(reads), {("file", src)})
            self.assertEqual(fd_facts(writes), {("file", dst)})


class TestDevices(ShimTestCase):
    def test_device_fds_closed_before_the_drain(self):
        """dd opens, uses and closes the devices long before the trace is
        written: their type must still be a character device, not a file."""
        tracelib.skip_under_sanitizer(self, "dd", "aborts in aligned_alloc()")
        proc, trace = tracelib.run_pair(
            ["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=50", "status=none"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTraceSound(trace)
        pid = self.only_pid(trace, "dd")
        io = [s for s in trace.slices_of(pid=pid)
              if s.name in READ_CALLS or s.name in WRITE_CALLS or s.name in ("open", "openat")]
        self.assertGreaterEqual(len(io), 100)
        self.assertEqual({s.args.get("traceshim.fd.type") for s in io}, {"chr"})
        self.assertEqual({s.args.get("file.path") for s in io}, {"/dev/zero", "/dev/null"})


class TestPipeline(ShimTestCase):

    def test_shell_pipeline(self):
        content = b"hello pipeline\n" * 4000
        path = self.write_file("words.txt", content)
        script = "cat %s | tr a-z A-Z | wc -c" % path
        proc, trace = tracelib.run_pair(["sh", "-c", script])
        self.assertEqual(proc.stdout.strip(), str(len(content)).encode())
        self.assertTraceSound(trace)

        names = set(trace.processes.values())
        self.assertTrue({"cat", "tr", "wc"} <= names, "process names: %s" % trace.processes)
        for pid in trace.pids():
            self.assertTrue(trace.processes.get(pid), "pid %s has no named process track" % pid)

        cat, tr, wc = (self.only_pid(trace, n) for n in ("cat", "tr", "wc"))
        cat_reads = [s for s in trace.slices_of(pid=cat) if s.name in READ_CALLS]
        self.assertEqual(fd_facts(cat_reads), {("file", path)})
        self.assertEqual(io_bytes(cat_reads), len(content))
        # tr and wc write through stdio, whose internal write() calls no
        # LD_PRELOAD library can see: only cat's write and the reads are checked.
        self.assertPipeIO(trace, cat, WRITE_CALLS, len(content))
        self.assertPipeIO(trace, tr, READ_CALLS, len(content))
        self.assertPipeIO(trace, wc, READ_CALLS, len(content))
        with self.subTest("the shell itself is traced"):
            # dash calls close() (traced) and leaves through _exit(), which
            # runs no atexit handlers: the shim must still deliver its events.
            self.assertIn("sh", names, "no process named sh: %s" % trace.processes)

    def assertPipeIO(self, trace, pid, calls, nbytes):
        slices = [s for s in trace.slices_of(pid=pid) if s.name in calls]
        what = "%s %s" % (trace.processes.get(pid), "reads" if calls is READ_CALLS else "writes")
        self.assertEqual(io_bytes(slices), nbytes, "bytes of %s" % what)
        self.assertEqual({s.args.get("traceshim.fd.type") for s in slices}, {"pipe"},
                         "fd types of " + what)


FORK_SCRIPT = r"""
import os
pid = os.fork()
if pid == 0:
    os.write(1, b"child\n")
    os._exit(0)
os.waitpid(pid, 0)
print("parent")
"""


class TestForkWithoutExec(unittest.TestCase):
    def test_child_keeps_tracing(self):
        """A forked child that never execs is a process of its own in the trace,
        and what it did before _exit() is there."""
        proc, trace = tracelib.run_pair(["python3", "-c", FORK_SCRIPT])
        self.assertEqual(tracelib.structural_errors(trace), [])
        self.assertEqual(len(trace.processes), 2, trace.processes)
        parent = min(trace.processes, key=lambda pid: min(
            s.ts for s in trace.slices_of(pid=pid)))
        child = [pid for pid in trace.processes if pid != parent][0]
        writes = [s for s in trace.slices_of(pid=child, name="write")
                  if s.args.get("traceshim.io.bytes") == 6]
        self.assertTrue(writes, "no write of 'child\\n' under the child's pid")


FORK_STORM_SCRIPT = r"""
import os, threading, time
stop = False
def busy():
    # Bounded, paced writes: other threads are inside the shim while the
    # main thread forks, without the trace growing with the run's length.
    fd = os.open("/dev/null", os.O_WRONLY)
    for n in range(20000):
        if stop:
            break
        os.write(fd, b"x")
        if n % 20 == 19:
            time.sleep(0.0005)
threads = [threading.Thread(target=busy) for _ in range(3)]
for t in threads:
    t.start()
kids = []
for i in range(60):
    pid = os.fork()
    if pid == 0:
        os.write(1, b"")
        os._exit(i % 7)
    kids.append(pid)
codes = [os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in kids]
stop = True
for t in threads:
    t.join()
print(sum(codes))
"""


class TestForkStorm(unittest.TestCase):
    def test_multithreaded_parent_forks_repeatedly(self):
        """Children forked while other threads are inside the shim neither hang
        nor lose their exit status, and each is a process of its own."""
        # Under the ASan runtime, a child forked from a multithreaded process
        # that allocates can block in the runtime's allocator: some children's
        # background threads never finish (bounded by the exit timeout).
        tracelib.skip_under_sanitizer(self, "a forking multithreaded python3",
                                      "loses children's flushes in the allocator")
        proc, trace = tracelib.run_pair(["python3", "-c", FORK_STORM_SCRIPT], timeout=60)
        self.assertEqual(proc.stdout.strip(), str(sum(i % 7 for i in range(60))).encode())
        self.assertEqual(tracelib.structural_errors(trace), [])
        self.assertEqual(len(trace.processes), 61, sorted(trace.processes.values()))
        for pid in trace.processes:
            self.assertTrue(trace.slices_of(pid=pid, name="main"), "pid %d has no main span" % pid)


THREADS_SCRIPT = r"""
import os, sys, threading
out = sys.argv[1]
def work(i):
    with open(os.path.join(out, "thread%d.txt" % i), "w") as f:
        f.write(("line from thread %d\n" % i) * 200)
threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("done")
"""


class TestPythonThreads(ShimTestCase):

    def test_four_threads_write_files(self):
        # sys.executable: the real interpreter, not a version-manager wrapper script.
        proc, trace = tracelib.run_pair([sys.executable, "-c", THREADS_SCRIPT, self.tmp])
        self.assertEqual(proc.stdout, b"done\n")
        self.assertTraceSound(trace)

        creators = {s.pid for s in trace.slices_named("pthread_create")}
        self.assertEqual(len(creators), 1, "pthread_create slices in pids %s" % creators)
        pid = creators.pop()
        self.assertGreaterEqual(len(trace.threads_of(pid)), 5, trace.threads_of(pid))

        targets = set()
        for s in trace.slices_of(pid=pid, name="pthread_create"):
            for flow in trace.flows_from(s):
                end = flow.slices[-1]
                if flow.terminated and end.depth == 0 and end.tid != s.tid:
                    targets.add(end.tid)
        self.assertGreaterEqual(len(targets), 4, "threads reached by pthread_create flows: %s"
                                % targets)

        worker_writes = [s for s in trace.slices_of(pid=pid)
                         if s.name in WRITE_CALLS and s.tid != pid]
        for i in range(4):
            path = os.path.join(self.tmp, "thread%d.txt" % i)
            writes = [s for s in worker_writes if s.args.get("file.path") == path]
            self.assertTrue(writes, "no write slice with file.path=%s off the main thread; "
                            "writes there: %s" % (path, [(s.tid, s.args) for s in worker_writes]))
            self.assertTrue(all(s.tid in targets for s in writes),
                            "write of %s on a thread no pthread_create flow reaches" % path)
            self.assertEqual(io_bytes(writes), os.path.getsize(path))


class TestCurl(ShimTestCase):

    def setUp(self):
        super().setUp()
        self.served = bytes(range(256)) * 512           # 128 KB
        self.write_file("file", self.served)
        self.port = tracelib.free_loopback_port()
        env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "TRACESHIM_OUTPUT")}
        self.server = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1"],
            cwd=self.tmp, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(self._stop_server)
        tracelib.wait_for_port(self.port, self.server)

    def _stop_server(self):
        self.server.terminate()            # the server's own pid, nothing broader
        try:
            self.server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()

    def test_curl_loopback_http(self):
        tracelib.skip_under_sanitizer(self, "curl", "hangs")
        url = "http://127.0.0.1:%d/file" % self.port
        no_proxy = {k: None for k in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")}
        # -q: ignore any ~/.curlrc so both runs see the same options.
        proc, trace = tracelib.run_pair(["curl", "-q", "-s", url], env=no_proxy)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, self.served)
        self.assertTraceSound(trace)
        pid = self.only_pid(trace, "curl")
        slices = trace.slices_of(pid=pid)

        connects = [s for s in slices if s.name == "connect"
                    and s.args.get("network.peer.address") == "127.0.0.1"
                    and s.args.get("network.peer.port") == self.port]
        self.assertTrue(connects, "no connect to 127.0.0.1:%d; connects: %s" % (
            self.port, [s.args for s in slices if s.name == "connect"]))
        c = connects[0]
        self.assertEqual(c.args.get("network.transport"), "tcp", c.args)
        self.assertEqual(c.args.get("network.type"), "ipv4", c.args)
        self.assertEqual(c.args.get("traceshim.fd.type"), "socket", c.args)

        fd = c.args.get("traceshim.fd")
        on_socket = [s for s in slices if s.ts >= c.ts and s.args.get("traceshim.fd") == fd
                     and s.args.get("traceshim.fd.type") == "socket"]
        sent = [s for s in on_socket if s.name in WRITE_CALLS]
        received = [s for s in on_socket if s.name in READ_CALLS]
        self.assertTrue(sent, "no send/write slice on socket fd %s" % fd)
        self.assertGreater(io_bytes(sent), 0)
        self.assertGreaterEqual(io_bytes(received), len(self.served),
                                "bytes received on socket fd %s" % fd)


if __name__ == "__main__":
    unittest.main(verbosity=2)
