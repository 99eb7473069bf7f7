#!/usr/bin/env python3
"""Roll-ups: four threads writing a file 50 times each and one failing open,
exported over OTLP with the defaults and to a Perfetto file in the same run
(both from the same spans). Over OTLP the quick writes are counts on their
thread spans (traceshim.calls.write.*), a few dozen spans in all; the file
keeps every write; the failed open is a span in both; and the counts plus
the write spans kept over OTLP are the file's write slices: nothing is lost.
Then the budget (TRACESHIM_MAX_SPANS_PER_S): beyond it leaves are counted
whatever their duration, failed ones too (as .errors); roll-ups in the file
when asked (counts as arguments of the thread slices); and a malformed
setting is reported once. Run with the agent and in-process."""

import collections
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402
from test_shim_otlp import Export, Receiver  # noqa: E402

WORKERS, WRITES = 4, 50


def prog(name):
    return os.path.join(os.environ["PROGS_DIR"], name)


def counted(spans, name, what="count"):
    """What the spans carry of call `name` rolled up into them."""
    key = "traceshim.calls.%s.%s" % (name, what)
    return sum(s["attrs"].get(key, 0) for s in spans)


def slice_counted(slices, name, what="count"):
    key = "traceshim.calls.%s.%s" % (name, what)
    return sum(s.args.get(key, 0) for s in slices)


class Rollup(tracelib.LoopbackReceiver, unittest.TestCase):
    handler = Receiver

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        os.mkdir(os.path.join(self.tmp.name, "d"))
        self.trace_path = os.path.join(self.tmp.name, "both.pftrace")

    def run_writers(self, *args, **extra):
        """writers under the shim, exporting OTLP to the receiver and writing
        the Perfetto file; returns the export, the trace and stderr."""
        Receiver.reset()
        run_dir = tracelib.private_run_dir(self.tmp.name)
        env = tracelib.clean_env({
            "LD_PRELOAD": tracelib.shim_preload(),
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % self.port,
            "TRACESHIM_OUTPUT": self.trace_path, "TRACESHIM_RUN_DIR": run_dir})
        if os.environ.get("TRACESHIM_AGENT"):
            env["TRACESHIM_AGENT"] = os.environ["TRACESHIM_AGENT"]
        env.update(extra)
        done = subprocess.run([prog("writers"), "d"] + [str(a) for a in args], env=env,
                              cwd=self.tmp.name, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=60)
        self.assertEqual((done.returncode, done.stdout), (0, b"ok\n"), done.stderr)
        self.assertTrue(tracelib.wait_for_agent(run_dir), "the agent never finished")
        trace = tracelib.load_trace(self.trace_path)
        self.assertEqual(tracelib.structural_errors(trace), [])
        return Export(Receiver.bodies), trace, done.stderr.decode()

    def assert_whole(self, ex):
        """Every exported span's parent was exported (but the root's)."""
        ids = {s["id"] for s in ex.spans}
        self.assertEqual(len(ids), len(ex.spans))
        self.assertEqual([s["name"] for s in ex.spans if s["parent"] and s["parent"] not in ids],
                         [], "spans whose parent was not exported")
        self.assertEqual(len(ex.roots()), 1)

    def test_defaults_otlp_folds_the_file_keeps_all(self):
        ex, trace, err = self.run_writers()
        self.assertEqual(err, "")
        self.assertLessEqual(len(ex.spans), 40, collections.Counter(s["name"] for s in ex.spans))
        self.assert_whole(ex)
        # The file has every call; OTLP its counts plus the spans it kept.
        writes = trace.slices_named("write")
        self.assertEqual(len(writes), WORKERS * WRITES)
        self.assertEqual(counted(ex.spans, "write") + len(ex.named("write")), len(writes))
        self.assertEqual(counted(ex.spans, "write", "bytes")
                         + sum(s["attrs"]["traceshim.io.bytes"] for s in ex.named("write")),
                         16 * WORKERS * WRITES)
        opens = trace.slices_named("open")
        self.assertEqual(counted(ex.spans, "open") + len(ex.named("open")), len(opens))
        # Each worker's writes are counted on its own thread span.
        workers = [s for s in ex.spans if "thread.id" in s["attrs"] and counted([s], "write")]
        self.assertEqual(counted(workers, "write"), counted(ex.spans, "write"))
        for w in workers:
            under = [s for s in ex.named("write") if s["parent"] == w["id"]]
            self.assertEqual(counted([w], "write") + len(under), WRITES)
            self.assertGreater(counted([w], "write", "time_ns"), 0)
        # The failed open stays a span, with its error.
        failed = [s for s in ex.named("open") if s["status"] == "STATUS_CODE_ERROR"]
        self.assertEqual(len(failed), 1)
        self.assertEqual(failed[0]["attrs"]["error.type"], "ENOENT")
        self.assertEqual(failed[0]["attrs"]["file.path"], "d/not-there")
        self.assertEqual([s.args.get("error.type") for s in opens
                          if s.args.get("otel.status_code") == "ERROR"], ["ENOENT"])
        # The file's slices carry no counts: roll-ups are off there.
        self.assertEqual(slice_counted(trace.slices, "write"), 0)

    def test_every_call_when_off(self):
        ex, trace, _ = self.run_writers(TRACESHIM_ROLLUP="off", TRACESHIM_MAX_SPANS_PER_S="0")
        self.assertEqual(len(ex.named("write")), WORKERS * WRITES)
        self.assertEqual(counted(ex.spans, "write"), 0)
        self.assertEqual(sorted(s.name for s in trace.slices if not s.is_instant),
                         sorted(s["name"] for s in ex.spans))

    def test_budget_counts_what_it_does_not_keep(self):
        # No roll-ups, a budget of 20 leaf spans a second: 1200 writes and
        # 40 failed ones, most of them counted, the failures as errors.
        writes, bad = 300, 10
        ex, trace, _ = self.run_writers(writes, bad, TRACESHIM_ROLLUP="off",
                                        TRACESHIM_MAX_SPANS_PER_S="otlp=20")
        self.assert_whole(ex)
        kept = ex.named("write")
        total = WORKERS * (writes + bad)
        self.assertEqual(len(trace.slices_named("write")), total, "the file has no budget")
        self.assertEqual(counted(ex.spans, "write") + len(kept), total)
        failed_kept = [s for s in kept if s["status"] == "STATUS_CODE_ERROR"]
        self.assertEqual(counted(ex.spans, "write", "errors") + len(failed_kept), WORKERS * bad)
        self.assertGreater(counted(ex.spans, "write", "errors"), 0)
        # At most 20 leaves a second of the run (it may straddle seconds).
        leaves = [s for s in ex.spans if s["name"] in ("write", "open", "close")]
        seconds = {s["end"] // 10**9 for s in ex.spans}
        self.assertLessEqual(len(leaves), 20 * (max(seconds) - min(seconds) + 1))

    def test_rollups_in_the_file_when_asked(self):
        ex, trace, _ = self.run_writers(TRACESHIM_ROLLUP="on")
        writes = trace.slices_named("write")
        threads = [s for s in trace.slices if "thread.id" in s.args]
        self.assertEqual(slice_counted(threads, "write") + len(writes), WORKERS * WRITES)
        self.assertLess(len(writes), WORKERS * WRITES)
        for t in threads:   # the counts are arguments of the slice they are in
            if slice_counted([t], "write"):
                self.assertGreater(slice_counted([t], "write", "bytes"), 0)
        self.assertEqual(len([s for s in trace.slices_named("open")
                              if s.args.get("error.type") == "ENOENT"]), 1)
        self.assertEqual(counted(ex.spans, "write") + len(ex.named("write")), WORKERS * WRITES)

    def test_malformed_setting_is_reported_once(self):
        ex, trace, err = self.run_writers(TRACESHIM_ROLLUP="sometimes")
        self.assertEqual(err.count("TRACESHIM_ROLLUP='sometimes'"), 1, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        # The defaults hold.
        self.assertEqual(counted(ex.spans, "write") + len(ex.named("write")), WORKERS * WRITES)
        self.assertEqual(len(trace.slices_named("write")), WORKERS * WRITES)


if __name__ == "__main__":
    unittest.main()
