#!/usr/bin/env python3
"""The library exports exactly the functions its version script lists: the
interposed functions and the API entry point (ts_api_get), nothing of the
core (hidden visibility). It loads no library the Perfetto default does not
need: the compressor, libcurl and protobuf-c are opened on demand. The trace
file it writes imports cleanly however many processes append to it."""

import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def listed_in_version_script():
    with open(os.path.join(ROOT, "src", "libtraceshim.map")) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    glob = text.split("global:")[1].split("local:")[0]
    return {name.strip() for name in glob.split(";") if name.strip()}


def exported(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if line.split()}


class TestExports(unittest.TestCase):
    def test_only_the_interposed_functions(self):
        lib = tracelib.shim_library()
        names = exported(lib)
        self.assertEqual(names, listed_in_version_script())
        self.assertEqual([n for n in names if n.startswith("ts_")], ["ts_api_get"],
                         "core symbols leak out")


def needed(lib):
    out = subprocess.run(["readelf", "-d", lib], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


class TestLoads(unittest.TestCase):
    def test_no_optional_library_at_load(self):
        names = needed(tracelib.shim_library())
        self.assertIn("libc.so.6", names)
        for optional in ("libz", "libisal", "libdeflate", "libcurl", "libprotobuf-c", "libssl",
                         "libcrypto"):
            self.assertFalse([n for n in names if n.startswith(optional)],
                             "%s is loaded into every traced process" % optional)

    def test_large_batches_are_still_compressed(self):
        # The compressor (igzip, libdeflate or zlib) is opened the first time
        # a batch is worth compressing.
        with tempfile.TemporaryDirectory(prefix="ts-compress-") as tmp:
            out = os.path.join(tmp, "t.pftrace")
            env = dict(os.environ, LD_PRELOAD=tracelib.shim_preload(), TRACESHIM_OUTPUT=out)
            code = "import os\nfd = os.open('/dev/null', os.O_WRONLY)\n" \
                   "for _ in range(20000): os.write(fd, b'x')\n"
            subprocess.run([sys.executable, "-c", code], env=env, check=True)
            with open(out, "rb") as f:
                data = f.read()
            frames, _, problem = tracelib.top_level_frames(data)
            self.assertIsNone(problem)
            # TracePacket field 50 (compressed_packets), length-delimited: 0x92 0x03.
            bundles = [a for a, b in frames if b"\x92\x03" in data[a:a + 8]]
            self.assertTrue(bundles, "no compressed_packets bundle in a 20000-span trace")
            trace = tracelib.load_trace(out)
            self.assertFalse(trace.problems)
            # A full ring drops (and counts) spans rather than block: most arrive.
            writes = [s for s in trace.slices if s.name == "write"]
            self.assertGreater(len(writes), 10000)


# Children in parallel and in sequence, and Python starting its own: every
# process appends its clock snapshot to the one file. $1 is the Python.
PROCESS_TREE = r"""
for i in 1 2 3 4 5 6; do /bin/true & done; wait
/bin/true; ls / >/dev/null
"$1" -c 'import subprocess
for _ in range(2): subprocess.run(["/bin/true"])
ps = [subprocess.Popen(["/bin/true"]) for _ in range(4)]
for p in ps: p.wait()'
for i in 1 2 3 4; do "$1" -c pass & done; wait
"""


class TestSharedFile(unittest.TestCase):
    def test_clock_snapshots_never_go_back(self):
        # Perfetto's importer rejects a ClockSnapshot whose BOOTTIME is below
        # an earlier one's in the file (invalid_clock_snapshots). Two unrelated
        # trees append to the same file at once, then a later run appends more.
        with tempfile.TemporaryDirectory(prefix="ts-snapshots-") as tmp:
            out = os.path.join(tmp, "shared.pftrace")
            env = dict(os.environ, LD_PRELOAD=tracelib.shim_preload(), TRACESHIM_OUTPUT=out)
            argv = ["sh", "-c", PROCESS_TREE, "sh", sys.executable]
            wall_before = time.time_ns()
            trees = [subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL)
                     for _ in range(2)]
            for p in trees:
                self.assertEqual(p.wait(timeout=120), 0)
            subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, check=True, timeout=120)
            wall_after = time.time_ns()
            trace = tracelib.load_trace(out, check=False)
            self.assertEqual(tracelib.structural_errors(trace), [])
        self.assertGreater(len(trace.processes), 20)
        self.assertTrue(trace.clock_snapshots, "no ClockSnapshot in the trace")
        for seq, clocks in trace.clock_snapshots:
            self.assertEqual(sorted(clocks), [tracelib.CLOCK_REALTIME, tracelib.CLOCK_BOOTTIME])
            # Wall time is read with BOOTTIME: it falls inside the test's run.
            self.assertTrue(wall_before <= clocks[tracelib.CLOCK_REALTIME] <= wall_after,
                            clocks)


if __name__ == "__main__":
    unittest.main()
