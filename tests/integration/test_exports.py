#!/usr/bin/env python3
"""The library exports exactly the functions its version script lists: the
interposed functions and the API entry point (ts_api_get), nothing of the
core (hidden visibility). It loads no
library the Perfetto default does not need: zlib, libcurl and protobuf-c are
opened on demand."""

import os
import re
import subprocess
import sys
import tempfile
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
        for optional in ("libz", "libcurl", "libprotobuf-c", "libssl", "libcrypto"):
            self.assertFalse([n for n in names if n.startswith(optional)],
                             "%s is loaded into every traced process" % optional)

    def test_large_batches_are_still_compressed(self):
        # zlib is opened the first time a batch is worth compressing.
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


if __name__ == "__main__":
    unittest.main()
