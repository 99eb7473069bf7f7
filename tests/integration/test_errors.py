#!/usr/bin/env python3
"""How a traced process ends: process.exit.code on the process span (from
exit(), _exit() and return from main), ERROR when it is not 0, and the exit
status itself unchanged.

Run:  TRACESHIM_LIB=build/libtraceshim.so python3 tests/integration/test_errors.py
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402


def process_spans(trace):
    """{pid: the process span}: the slice on each process's own track."""
    out = {}
    for s in trace.slices:
        track = trace.process_track(s.pid)
        if track is not None and s.track_uuid == track.uuid and s.depth == 0:
            out[s.pid] = s
    return out


class ExitCodeTest(unittest.TestCase):
    def exit_span(self, argv, code, env=None):
        proc, trace = tracelib.run_pair(argv, env=env)
        self.assertEqual(proc.returncode, code)
        spans = list(process_spans(trace).values())
        self.assertEqual(len(spans), 1, [s.name for s in spans])
        span = spans[0]
        self.assertEqual(span.args.get("process.exit.code"), code, span.args)
        return span

    def test_success_is_not_an_error(self):
        span = self.exit_span(["/bin/true"], 0)
        self.assertNotIn("otel.status_code", span.args)

    def test_exit_from_main(self):
        # coreutils leave main through exit().
        span = self.exit_span(["ls", "/nonexistent-traceshim-path"], 2)
        self.assertEqual(span.args.get("otel.status_code"), "ERROR")
        self.assertEqual(span.args.get("otel.status_description"), "exit code 2")

    def test_return_from_main(self):
        prog = os.path.join(os.environ.get("PROGS_DIR", ""), "exit_code")
        span = self.exit_span([prog, "5"], 5)
        self.assertEqual(span.args.get("otel.status_code"), "ERROR")

    def test_underscore_exit(self):
        prog = os.path.join(os.environ.get("PROGS_DIR", ""), "exit_code")
        self.exit_span([prog, "9", "_exit"], 9)

    def test_shell_exit(self):
        span = self.exit_span(["sh", "-c", "exit 7"], 7)
        self.assertEqual(span.args.get("otel.status_code"), "ERROR")

    def test_python_sys_exit(self):
        self.exit_span([sys.executable, "-c", "import sys; sys.exit(3)"], 3)


if __name__ == "__main__":
    unittest.main()
