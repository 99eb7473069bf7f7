#!/usr/bin/env python3
"""File I/O through stdio (tests/progs/stdio_prog.c, built with -O2
-D_FORTIFY_SOURCE=2): fopen, freopen, fdopen and fclose are open and close
spans with the path, the mode and the descriptor, a failed fopen is ENOENT;
fgets, getline, fread, fwrite, fputs, puts, the printf family and fflush are
I/O spans with the bytes asked and done; per-character calls are counted on
their stream's fclose span (stdout's, never closed, as the process ends).
The program's output, errno and exit status are those of a run without the
shim, also when it dies with its output still in stdout's buffer; the shim's
own streams (the summary it prints) are never traced.

Run:  TRACESHIM_LIB=build/libtraceshim.so PROGS_DIR=build/tests/progs \\
      python3 tests/integration/test_stdio.py
"""

import collections
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

STDIO_CALLS = {"fopen", "freopen", "fdopen", "fclose", "fread", "fwrite", "fgets", "fputs",
               "puts", "getline", "getdelim", "printf", "fprintf", "vprintf", "vfprintf",
               "dprintf", "vdprintf", "fflush", "stdio at exit"}
# What stdio_prog writes to in.txt: fputs, fprintf, fwrite, then six fputc.
IN_TXT = b"alpha line\nbeta 42\ngamma block\ndelta\n"
LINES = [len(line) + 1 for line in IN_TXT.decode().splitlines()]


def prog():
    return os.path.join(os.environ.get("PROGS_DIR", "build/tests/progs"), "stdio_prog")


def setUpModule():
    tracelib.shim_library()
    if shutil.which("protoc") is None:
        raise AssertionError("protoc is not on PATH: the tests decode traces with it")
    if not os.path.exists(prog()):
        raise AssertionError("%s is not built" % prog())


def canon(name):
    """A call's name as the test compares it: a sanitizer's own printf and
    fprintf may hand the call to vprintf and vfprintf, which the shim then sees."""
    if os.environ.get("TRACESHIM_PRELOAD_FIRST") and name in ("vprintf", "vfprintf"):
        return name[1:]
    return name


def on(spans, path):
    return [s for s in spans if s.args.get("file.path") == path]


def byte_counts(spans, name):
    return [s.args.get("traceshim.io.bytes") for s in spans if canon(s.name) == name]


class StdioTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="traceshim-stdio-")
        cls.run_dir = tracelib.private_run_dir(cls.tmp)   # the traced runs' agent, alone

    @classmethod
    def tearDownClass(cls):
        tracelib.wait_for_agent(cls.run_dir)
        shutil.rmtree(cls.tmp, True)

    def run_prog(self, *args, env=None, **how):
        """Runs stdio_prog in a directory of its own, with and without the
        shim; returns the traced run, its trace and that directory."""
        work = tempfile.mkdtemp(dir=self.tmp)
        env = dict(env or {}, TRACESHIM_RUN_DIR=self.run_dir)
        proc, trace = tracelib.run_pair([prog()] + list(args), env=env, cwd=work, **how)
        return proc, trace, work

    def stdio_spans(self, trace):
        spans = [s for s in trace.slices if s.name in STDIO_CALLS]
        main = [s for s in trace.slices if s.name == "main"]
        self.assertEqual(len(main), 1)
        for s in spans:
            self.assertEqual((s.tid, s.depth), (main[0].tid, 1), s)
        return spans

    def test_files_through_stdio(self):
        proc, trace, work = self.run_prog()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(work, "in.txt"), "rb") as f:
            self.assertEqual(f.read(), IN_TXT)
        spans = self.stdio_spans(trace)

        # Opens: the path, the mode, the descriptor; the missing file fails.
        opens = [(s.name, s.args.get("file.path"), s.args.get("traceshim.stdio.mode"))
                 for s in spans if s.name in ("fopen", "freopen", "fdopen")]
        self.assertEqual(opens, [
            ("fopen", "in.txt", "w"), ("fopen", "in.txt", "r"), ("fopen", "in.txt", "r"),
            ("fopen", "in.txt", "rb"), ("fopen", "in.txt", "r"), ("fopen", "copy.txt", "w"),
            ("fopen", "missing/none.txt", "r"), ("fdopen", "fd.txt", "w"),
            ("fopen", "fd.txt", "r"), ("freopen", "in.txt", "r")])
        for s in spans:
            if s.name in ("fopen", "freopen", "fdopen") and s.args["file.path"] != "missing/none.txt":
                self.assertGreaterEqual(s.args.get("traceshim.fd", -1), 3, s.args)
                self.assertEqual(s.args.get("traceshim.fd.type"), "file", s.args)
                self.assertNotIn("otel.status_code", s.args)
        missing = on(spans, "missing/none.txt")[0]
        self.assertEqual(missing.args.get("error.type"), "ENOENT")
        self.assertEqual(missing.args.get("otel.status_code"), "ERROR")
        self.assertNotIn("traceshim.fd", missing.args)
        self.assertIn("ENOENT", [c.name for c in missing._children])

        # Writes to in.txt, then its fclose with the six fputc.
        writes = [(canon(s.name), s.args.get("traceshim.io.requested"),
                   s.args.get("traceshim.io.bytes"))
                  for s in on(spans, "in.txt") if canon(s.name) in ("fputs", "fprintf", "fwrite")]
        self.assertEqual(writes, [("fputs", 11, 11), ("fprintf", 8, 8), ("fwrite", 12, 12)])
        closes = [s for s in spans if s.name == "fclose"]
        first = closes[0].args
        self.assertEqual((first["file.path"], first.get("traceshim.stdio.putc_calls"),
                          first.get("traceshim.stdio.putc_bytes")), ("in.txt", 6, 6))
        self.assertNotIn("traceshim.stdio.getc_calls", first)

        # Reads: each line, then the end of the file.
        fgets = [s for s in spans if s.name == "fgets"]
        self.assertEqual(byte_counts(spans, "fgets"), LINES + [0])
        self.assertEqual({s.args["traceshim.io.requested"] for s in fgets}, {63})
        self.assertEqual([s.args.get("traceshim.stdio.eof", False) for s in fgets],
                         [False] * 4 + [True])
        self.assertEqual(byte_counts(spans, "getline"), LINES + [0])
        self.assertFalse(any("traceshim.io.requested" in s.args
                             for s in spans if s.name == "getline"))
        freads = [(s.args["traceshim.io.requested"], s.args["traceshim.io.bytes"],
                   s.args.get("traceshim.stdio.eof", False)) for s in spans if s.name == "fread"]
        self.assertEqual(freads, [(8, 8, False), (64, len(IN_TXT) - 8, True)])

        # The copy by fgetc and fputc: counts on each stream's fclose.
        counts = {(s.args["file.path"], k[len("traceshim.stdio."):], v)
                  for s in closes for k, v in s.args.items() if k.startswith("traceshim.stdio.")}
        n = len(IN_TXT)
        self.assertTrue({("in.txt", "getc_calls", n + 1), ("in.txt", "getc_bytes", n),
                         ("copy.txt", "putc_calls", n), ("copy.txt", "putc_bytes", n)} <= counts,
                        counts)
        # fd.txt: eleven bytes by vfprintf, flushed; its one fgetc ends with freopen.
        fd_txt = [(canon(s.name), s.args.get("traceshim.io.bytes")) for s in on(spans, "fd.txt")]
        self.assertEqual(fd_txt, [("fdopen", None), (canon("vfprintf"), 11), ("fflush", 11),
                                  ("fclose", None), ("fopen", None)])
        reopen = [s for s in spans if s.name == "freopen"][0].args
        self.assertEqual((reopen.get("traceshim.stdio.getc_calls"),
                          reopen.get("traceshim.stdio.getc_bytes")), (1, 1))

        # stdout (a pipe): every byte of it came through a traced call.
        out = [s for s in spans if s.args.get("traceshim.fd") == 1]
        self.assertEqual({s.args.get("traceshim.fd.type") for s in out}, {"pipe"})
        self.assertEqual([canon(s.name) for s in out],
                         ["printf"] * 5 + ["fputs", "printf", "puts", "fflush", "stdio at exit"])
        written = sum(s.args.get("traceshim.io.bytes", 0)
                      for s in out if canon(s.name) in ("printf", "fputs", "puts"))
        at_exit = out[-1].args
        self.assertEqual(at_exit.get("traceshim.stdio.putc_calls"), 3)
        self.assertEqual(written + at_exit["traceshim.stdio.putc_bytes"], len(proc.stdout))
        self.assertEqual(out[-2].args["traceshim.io.bytes"], len(proc.stdout))   # the fflush
        dprintf = [s for s in spans if s.name == "dprintf"][0].args
        self.assertEqual((dprintf["traceshim.fd"], dprintf["traceshim.io.bytes"]),
                         (2, len(proc.stderr)))

        # glibc's own reads and writes under these calls are not seen.
        self.assertEqual([s.name for s in trace.slices if s.name in ("read", "write", "close")],
                         [])
        self.assertEqual(proc.stdout.count(b"errno after fputs: 1234\n"), 1)

    def test_output_still_buffered_at_a_crash_is_lost_as_without_the_shim(self):
        tracelib.skip_under_sanitizer(self, "a crashing program", "is reported by the sanitizer")
        proc, trace, _ = self.run_prog("crash")
        self.assertEqual(proc.returncode, -11)
        self.assertEqual(proc.stdout, b"")
        printf = [s for s in trace.slices if canon(s.name) == "printf"]
        self.assertEqual(len(printf), 1)
        self.assertEqual(printf[0].args["traceshim.io.bytes"], 55)
        self.assertIn("exception", [s.name for s in trace.slices])

    def test_a_forked_child_counts_its_own_calls(self):
        proc, trace, _ = self.run_prog("fork")
        self.assertEqual(proc.stdout, b"abc\n")
        parent_of = {s.args["process.pid"]: s.args["process.parent_pid"]
                     for s in trace.slices if "process.pid" in s.args}
        self.assertEqual(len(parent_of), 2, parent_of)
        child = [pid for pid, ppid in parent_of.items() if ppid in parent_of][0]
        parent = parent_of[child]
        at_exit = {s.pid: (s.args["traceshim.fd"], s.args["traceshim.stdio.putc_calls"])
                   for s in trace.slices if s.name == "stdio at exit"}
        # The child's _exit: its one putchar, not the three its parent made
        # before the fork; the parent's exit: its four.
        self.assertEqual(at_exit, {child: (1, 1), parent: (1, 4)})

    def test_the_shims_own_streams_are_not_traced(self):
        _, plain, _ = self.run_prog()
        proc, summary, _ = self.run_prog(env={"TRACESHIM_SUMMARY": "1"},
                                         compare=("stdout", "returncode"))
        self.assertIn(b"traceshim summary", proc.stderr)
        names = collections.Counter(s.name for s in self.stdio_spans(plain))
        self.assertEqual(collections.Counter(s.name for s in self.stdio_spans(summary)), names)


if __name__ == "__main__":
    unittest.main()
