#!/usr/bin/env python3
"""The library exports exactly the functions its version script lists: the
interposed functions, nothing of the core (hidden visibility)."""

import os
import re
import subprocess
import sys
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
        self.assertFalse([n for n in names if n.startswith("ts_")], "core symbols leak out")


if __name__ == "__main__":
    unittest.main()
