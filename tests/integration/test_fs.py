#!/usr/bin/env python3
"""File metadata (family fs): real programs under the shim leave a span for
each stat, access, readlink, unlink, rename, mkdir, rmdir, chdir, truncate,
opendir and getdents64 they make, named by the call's base name (stat64 and
__xstat are `stat`), with `file.path` (a rename's target as
`traceshim.target.path`), `traceshim.dirfd` for an *at call given a
directory descriptor, and the descriptor's description for the calls on one.
A failed call is an error like any other (`ls /nonexistent`), except a miss
of a shell's PATH walk, which is normal flow (`traceshim.errno`). Output and
exit status never change.

Run:  TRACESHIM_LIB=build/libtraceshim.so PROGS_DIR=build/tests/progs \\
      python3 tests/integration/test_fs.py
"""

import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

STATS = {"stat", "lstat", "fstatat", "statx"}
MISSING_CMD = "traceshim-no-such-command"


def prog(name):
    return os.path.join(os.environ.get("PROGS_DIR", ""), name)


def calls(trace, names, pid=None):
    """The call spans named in names (not the process spans, which are named
    after their program: mkdir, stat...)."""
    names = {names} if isinstance(names, str) else set(names)
    out = []
    for s in trace.slices_of(pid=pid):
        if s.name not in names or "process.pid" in s.args:
            continue
        out.append(s)
    return out


def errors(slices):
    return [s for s in slices if s.args.get("otel.status_code") == "ERROR"]


class FsTestCase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="traceshim-fs-")
        self.tmp = os.path.realpath(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def run_traced(self, argv, **kw):
        proc, trace = tracelib.run_pair(argv, **kw)
        self.assertEqual(tracelib.structural_errors(trace), [])
        return proc, trace

    def one_with(self, slices, **args):
        """The slices whose attributes include args (dots spelled _), at least one."""
        want = {k.replace("_", "."): v for k, v in args.items()}
        found = [s for s in slices if all(s.args.get(k) == v for k, v in want.items())]
        self.assertTrue(found, "no span with %s among %s" % (want, [(s.name, s.args)
                                                                    for s in slices]))
        return found


class TestFailures(FsTestCase):
    def test_ls_of_a_missing_path(self):
        missing = "/nonexistent-traceshim-fs"
        proc, trace = self.run_traced(["ls", missing])
        self.assertEqual(proc.returncode, 2)
        self.assertIn(missing.encode(), proc.stderr)
        failed = self.one_with(calls(trace, STATS), file_path=missing, error_type="ENOENT")
        for s in failed:
            self.assertEqual(s.args.get("otel.status_code"), "ERROR", s.args)
            self.assertEqual(s.args.get("otel.status_description"), os.strerror(2))


class TestCoreutils(FsTestCase):
    """Each step undoes itself, so the run without the shim and the run with
    it do the same."""

    def script(self, text):
        proc, trace = self.run_traced(["sh", "-ec", text], env={"D": self.tmp})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc, trace

    def test_mkdir_mv_rmdir(self):
        a, b = os.path.join(self.tmp, "a"), os.path.join(self.tmp, "b")
        _, trace = self.script('mkdir "$D/a"; mv "$D/a" "$D/b"; rmdir "$D/b"')
        self.one_with(calls(trace, "mkdir"), file_path=a)
        renames = calls(trace, {"rename", "renameat", "renameat2"})
        self.one_with(renames, file_path=a, traceshim_target_path=b)
        self.assertEqual(errors(renames), [])
        self.one_with(calls(trace, "rmdir"), file_path=b)

    def test_rm_ln_readlink(self):
        f, link = os.path.join(self.tmp, "f"), os.path.join(self.tmp, "l")
        proc, trace = self.script('echo x > "$D/f"; ln -s f "$D/l"; readlink "$D/l"; '
                                  'rm "$D/l" "$D/f"')
        self.assertEqual(proc.stdout, b"f\n")
        readlinks = calls(trace, {"readlink", "readlinkat"})
        ok = self.one_with(readlinks, file_path=link)
        self.assertFalse(errors(ok))
        unlinks = calls(trace, {"unlink", "unlinkat"})
        for path in (f, link):
            self.one_with(unlinks, file_path=path)
        self.assertEqual(errors(unlinks), [])

    def test_stat_and_truncate(self):
        f = os.path.join(self.tmp, "f")
        proc, trace = self.script('echo 12345 > "$D/f"; stat -c %s "$D/f"; '
                                  'truncate -s 2 "$D/f"; stat -c %s "$D/f"; rm "$D/f"')
        self.assertEqual(proc.stdout, b"6\n2\n")
        stat_pids = [pid for pid, name in trace.processes.items() if name == "stat"]
        self.assertEqual(len(stat_pids), 2)
        for pid in stat_pids:
            self.one_with(calls(trace, STATS, pid=pid), file_path=f)
        truncates = calls(trace, {"truncate", "ftruncate"})
        self.one_with(truncates, file_path=f)
        for s in truncates:
            if s.name == "ftruncate":
                self.assertEqual(s.args.get("traceshim.fd.type"), "file", s.args)
                self.assertIn("traceshim.fd", s.args)


class TestPathWalk(FsTestCase):
    """A shell looks for a command in each PATH directory in turn: the misses
    are no error, whether the command is found later or not at all."""

    def path(self):
        # A missing directory, a file (ENOTDIR) and the real ones.
        notdir = os.path.join(self.tmp, "file")
        with open(notdir, "w"):
            pass
        return [os.path.join(self.tmp, "missing"), notdir, "/usr/local/bin", "/usr/bin", "/bin"]

    def check_walk(self, shell, command, found):
        dirs = self.path()
        proc, trace = self.run_traced([shell, "-c", command + "; true"],
                                      env={"PATH": ":".join(dirs)})
        self.assertEqual(proc.returncode, 0)
        name = command.split()[0]
        probes = [s for s in calls(trace, STATS | {"access", "faccessat"})
                  if s.args.get("file.path") in {os.path.join(d, name) for d in dirs}]
        missed = [s for s in probes if "traceshim.errno" in s.args]
        self.assertEqual(errors(probes), [], [(s.name, s.args) for s in probes])
        # At least the two directories that cannot have it.
        self.assertGreaterEqual(len(missed), 2, [(s.name, s.args) for s in probes])
        self.assertEqual({s.args["traceshim.errno"] for s in missed} - {"ENOENT", "ENOTDIR"},
                         set())
        self.assertIn("ENOTDIR", {s.args["traceshim.errno"] for s in missed})
        if found:
            self.assertTrue([s for s in probes if "traceshim.errno" not in s.args])
        return proc, trace

    def test_sh_command_not_found(self):
        proc, _ = self.check_walk("sh", MISSING_CMD, found=False)
        self.assertIn(b"not found", proc.stderr)

    def test_sh_command_found_late(self):
        self.check_walk("sh", "ls /", found=True)

    def test_bash_command_found_late(self):
        if not shutil.which("bash"):
            self.skipTest("no bash")
        self.check_walk("bash", "ls / >/dev/null", found=True)

    def test_bash_command_not_found(self):
        if not shutil.which("bash"):
            self.skipTest("no bash")
        self.check_walk("bash", MISSING_CMD, found=False)


class TestCalls(FsTestCase):
    """The calls coreutils do not make, from tests/progs/fscalls.c."""

    def test_dirfd_statx_renameat2_getdents_fchdir(self):
        d = self.tmp
        proc, trace = self.run_traced([prog("fscalls"), d])
        self.assertEqual(proc.returncode, 0, proc.stdout)
        spans = calls(trace, {s.name for s in trace.slices})
        dirfds = {s.args.get("traceshim.dirfd") for s in calls(trace, "fstatat")}
        self.assertEqual(len(dirfds), 1)
        dirfd = dirfds.pop()
        self.assertIsInstance(dirfd, int)
        self.one_with(calls(trace, "fstatat"), file_path="f", traceshim_dirfd=dirfd)
        missing = self.one_with(calls(trace, "fstatat"), file_path="missing",
                                error_type="ENOENT")
        self.assertEqual(missing[0].args.get("otel.status_code"), "ERROR")
        self.one_with(calls(trace, "statx"), file_path="f", traceshim_dirfd=dirfd)
        renames = calls(trace, "renameat2")
        self.assertEqual(len(renames), 2)
        # Done, then failing (the source is gone): the same attributes.
        for s in renames:
            self.assertEqual(s.args.get("file.path"), "f", s.args)
            self.assertEqual(s.args.get("traceshim.target.path"), "g", s.args)
            self.assertEqual(s.args.get("traceshim.dirfd"), dirfd, s.args)
            self.assertEqual(s.args.get("traceshim.target.dirfd"), dirfd, s.args)
        self.assertEqual([s.args.get("error.type") for s in renames], [None, "ENOENT"])
        ftr = calls(trace, "ftruncate")
        self.assertEqual([s.args.get("traceshim.fd.type") for s in ftr], ["file", "dir"])
        self.one_with(ftr, traceshim_fd=dirfd, file_path=d, error_type="EINVAL")
        opened = self.one_with(calls(trace, "opendir"), file_path=d, traceshim_fd_type="dir")
        self.assertIn("traceshim.fd", opened[0].args)
        self.one_with(calls(trace, "opendir"), file_path="/nonexistent-fscalls",
                      error_type="ENOENT")
        dents = self.one_with(calls(trace, "getdents64"), file_path=d, traceshim_fd_type="dir")
        self.assertGreater(dents[0].args.get("traceshim.io.bytes", 0), 0)
        self.assertEqual(dents[0].args.get("traceshim.io.requested"), 4096)
        self.one_with(calls(trace, "fchdir"), traceshim_fd=dirfd, file_path=d,
                      traceshim_fd_type="dir")
        self.one_with(calls(trace, "unlinkat"), file_path="g", traceshim_dirfd=dirfd)
        stats = calls(trace, "stat")
        # stat and, where glibc exports it, __xstat: both named stat.
        xstat = b"__xstat(g)" in proc.stdout
        self.assertEqual(len([s for s in stats if s.args.get("file.path") == "g"]),
                         2 if xstat else 1)
        if xstat:
            self.one_with(stats, file_path="missing", error_type="ENOENT")
        # No span is left without its path or descriptor.
        for s in spans:
            if s.name in STATS | {"opendir", "unlinkat", "renameat2"}:
                self.assertIn("file.path", s.args, (s.name, s.args))


if __name__ == "__main__":
    unittest.main()
