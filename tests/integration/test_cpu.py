#!/usr/bin/env python3
"""CPU per thread: the consumer samples every traced thread's CPU time and
run-queue wait (/proc/<pid>/task/<tid>/schedstat) every
TRACESHIM_CPU_SAMPLE_MS, shown as two counter tracks under the thread's
track ("cpu %" and "waiting for CPU %"), and spans of 1 ms or more (process,
thread, the program's own) carry `traceshim.cpu_time_ns`.

The program (tests/progs/cpuspin.c): thread "spinner" spins ~100 ms in an API
span "spin" while the main thread sleeps in poll ~100 ms in an API span
"sleep"; it prints the CPU time the spin really had, as the thread read it.
The machine may be busy: what the spinner got is compared with what the
tracer says, not with its wall time alone.

Run:  TRACESHIM_LIB=build/libtraceshim.so PROGS_DIR=build/tests/progs \\
      TRACESHIM_PROTO_DIR=proto python3 tests/integration/test_cpu.py
"""

import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

CPU = "traceshim.cpu_time_ns"
CPU_TRACK, WAIT_TRACK = "cpu %", "waiting for CPU %"


def prog(name):
    return os.path.join(os.environ.get("PROGS_DIR", ""), name)


class Run:
    """One traced run of cpuspin: its output, trace and the tracks in it."""

    def __init__(self, tmp, env=None):
        self.trace_path = os.path.join(tmp, "cpu.%d.pftrace" % len(os.listdir(tmp)))
        full = tracelib.clean_env(dict(env or {}))
        full.update(LD_PRELOAD=tracelib.shim_preload(), TRACESHIM_OUTPUT=self.trace_path,
                    TRACESHIM_RUN_DIR=tracelib.private_run_dir(tmp))
        self.done = subprocess.run([prog("cpuspin")], env=full, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=60)
        m = re.search(rb"spin_cpu_ns=(\d+) spin_wall_ns=(\d+)", self.done.stdout)
        self.spin_cpu, self.spin_wall = (int(m.group(1)), int(m.group(2))) if m else (None, None)
        self.trace = tracelib.load_trace(self.trace_path)

    def one(self, name):
        found = self.trace.slices_named(name)
        assert len(found) == 1, "%d slices named %r" % (len(found), name)
        return found[0]

    def thread_track(self, s):
        return self.trace.tracks[s.track_uuid]

    def counters_under(self, track):
        """{name: [(ts, value)]} of the counter tracks under a thread's track."""
        out = {}
        for t in self.trace.tracks.values():
            if t.is_counter and t.parent_uuid == track.uuid:
                out[t.name] = sorted((ts, v) for uuid, ts, v in self.trace.counters
                                     if uuid == t.uuid)
        return out


def during(values, start, end):
    """The values in force at some time in [start, end): the one set last
    before start, and every one set in it."""
    before = [v for ts, v in values if ts <= start]
    inside = [v for ts, v in values if start < ts < end]
    return before[-1:] + inside


class TestCpuSampled(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="traceshim-cpu-")
        cls.res = Run(cls._tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def test_program_ran(self):
        self.assertEqual(self.res.done.returncode, 0, self.res.done.stderr)
        self.assertEqual(self.res.done.stderr, b"")
        self.assertIsNotNone(self.res.spin_cpu, self.res.done.stdout)

    def test_counter_tracks_under_each_thread(self):
        for name in ("spin", "sleep"):
            track = self.res.thread_track(self.res.one(name))
            self.assertEqual(track.kind, "thread")
            counters = self.res.counters_under(track)
            self.assertEqual(sorted(counters), sorted([CPU_TRACK, WAIT_TRACK]),
                             "counter tracks under %s" % track.label())
            for cname, values in counters.items():
                self.assertTrue(values, "no value on %r under %s" % (cname, track.label()))
                for ts, v in values:
                    self.assertTrue(0 <= v <= 100, "%r = %r at %d" % (cname, v, ts))

    def test_spinner_busy_main_idle(self):
        spin, sleep = self.res.one("spin"), self.res.one("sleep")
        spin_cpu = self.res.counters_under(self.res.thread_track(spin))[CPU_TRACK]
        main_cpu = self.res.counters_under(self.res.thread_track(sleep))[CPU_TRACK]
        got = 100.0 * self.res.spin_cpu / self.res.spin_wall   # what the spinner really had
        peak = max(during(spin_cpu, spin.ts, spin.end))
        self.assertGreaterEqual(peak, min(50.0, 0.8 * got),
                                "spinner had %.0f%% of the CPU; cpu %% %r" % (got, spin_cpu))
        # Well inside the sleep (the first and last samples may take in the
        # thread's start and the join).
        margin = 20000000
        idle = during(main_cpu, sleep.ts + margin, sleep.end - margin)
        self.assertLess(max(idle), 25.0, "main's cpu %% while it sleeps: %r" % (main_cpu,))

    def test_cpu_time_of_spans(self):
        spin, sleep = self.res.one("spin"), self.res.one("sleep")
        real = self.res.spin_cpu
        self.assertIn(CPU, spin.args)
        # Interpolated between samples: within a sample period or so of
        # what the thread itself read, never more than the span's time.
        self.assertLessEqual(spin.args[CPU], spin.dur)
        self.assertGreaterEqual(spin.args[CPU], 0.7 * real, (spin.args, real))
        self.assertLessEqual(spin.args[CPU], 1.3 * real + 10000000, (spin.args, real))
        if real >= 0.9 * self.res.spin_wall:   # a machine that let it run
            self.assertGreaterEqual(spin.args[CPU], 0.7 * spin.dur)
        self.assertIn(CPU, sleep.args)
        self.assertLess(sleep.args[CPU], 0.05 * sleep.dur, sleep.args)
        # The spinner's thread span: read by the thread at its end, exactly.
        thread = spin.parent
        self.assertEqual(thread.depth, 0)
        self.assertIn(CPU, thread.args)
        self.assertGreaterEqual(thread.args[CPU], real)
        self.assertLessEqual(thread.args[CPU], thread.dur)
        # The process's: all of it, the spin included.
        procs = [s for s in self.res.trace.slices if "process.pid" in s.args]
        self.assertEqual(len(procs), 1)
        self.assertGreaterEqual(procs[0].args.get(CPU, -1), real)

    def test_short_spans_have_none(self):
        short = [s for s in self.res.trace.slices
                 if s.dur is not None and s.dur < 1000000 and CPU in s.args]
        self.assertEqual(short, [])


HTTP_PROGRAM = r"""
import http.server, threading, time, urllib.request
real = []
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        c0, t0 = time.thread_time_ns(), time.monotonic()
        while time.monotonic() - t0 < 0.06:
            pass
        real.append(time.thread_time_ns() - c0)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=s.serve_forever, daemon=True).start()
body = urllib.request.urlopen("http://127.0.0.1:%d/busy" % s.server_port).read()
s.shutdown()
print("handler_cpu_ns=%d" % real[0])
"""


class TestCpuHttp(unittest.TestCase):
    def test_server_and_client_spans(self):
        """A server span that computed, a client span that waited for it."""
        with tempfile.TemporaryDirectory(prefix="traceshim-cpu-") as tmp:
            path = os.path.join(tmp, "http.pftrace")
            env = tracelib.clean_env({"LD_PRELOAD": tracelib.shim_preload(),
                                      "TRACESHIM_OUTPUT": path,
                                      "TRACESHIM_RUN_DIR": tracelib.private_run_dir(tmp)})
            done = subprocess.run([sys.executable, "-c", HTTP_PROGRAM], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, timeout=60)
            self.assertEqual(done.returncode, 0, done.stderr)
            real = int(re.search(rb"handler_cpu_ns=(\d+)", done.stdout).group(1))
            trace = tracelib.load_trace(path)
        gets = [s for s in trace.slices if s.args.get("http.request.method") == "GET"]
        client = [s for s in gets if "url.full" in s.args]
        server = [s for s in gets if "url.full" not in s.args]
        self.assertEqual((len(client), len(server)), (1, 1), [s.args for s in gets])
        client, server = client[0], server[0]
        self.assertIn(CPU, server.args)
        self.assertGreaterEqual(server.args[CPU], 0.7 * real, (server.args, real))
        self.assertLessEqual(server.args[CPU], server.dur)
        self.assertIn(CPU, client.args)
        self.assertLess(client.args[CPU], server.args[CPU])


class TestCpuSql(unittest.TestCase):
    def test_every_statement(self):
        """With no threshold every SQL span says its CPU time, the first ones
        too (drained before the thread's first round of samples)."""
        if not os.path.exists(prog("sqlite_prog")):
            self.skipTest("sqlite_prog is not built (no SQLite)")
        with tempfile.TemporaryDirectory(prefix="traceshim-cpu-") as tmp:
            path = os.path.join(tmp, "sql.pftrace")
            env = tracelib.clean_env({"LD_PRELOAD": tracelib.shim_preload(),
                                      "TRACESHIM_OUTPUT": path,
                                      "TRACESHIM_RUN_DIR": tracelib.private_run_dir(tmp),
                                      "TRACESHIM_CPU_SPAN_MIN_US": "0"})
            done = subprocess.run([prog("sqlite_prog"), os.path.join(tmp, "db.sqlite")], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, timeout=60)
            self.assertEqual(done.returncode, 0, done.stderr)
            trace = tracelib.load_trace(path)
        sql = [s for s in trace.slices if "db.system.name" in s.args]
        self.assertTrue(sql)
        for s in sql:
            self.assertIn(CPU, s.args, (s.name, s.args))
            self.assertLessEqual(s.args[CPU], s.dur, (s.name, s.args))


class TestCpuSettings(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="traceshim-cpu-")

    def tearDown(self):
        self._tmp.cleanup()

    def test_sampling_off(self):
        run = Run(self._tmp.name, {"TRACESHIM_CPU_SAMPLE_MS": "0"})
        self.assertEqual(run.done.returncode, 0, run.done.stderr)
        self.assertEqual([t for t in run.trace.tracks.values() if t.is_counter], [])
        self.assertEqual(run.trace.counters, [])
        # No samples, nothing to interpolate: no value made up.
        self.assertNotIn(CPU, run.one("spin").args)
        self.assertNotIn(CPU, run.one("sleep").args)
        # The thread read its own at its end: that one is known.
        self.assertIn(CPU, run.one("spin").parent.args)

    def test_malformed_value_reported_once(self):
        run = Run(self._tmp.name, {"TRACESHIM_CPU_SAMPLE_MS": "often"})
        self.assertEqual(run.done.returncode, 0, run.done.stderr)
        self.assertEqual(run.done.stderr.count(b"TRACESHIM_CPU_SAMPLE_MS='often'"), 1,
                         run.done.stderr)
        self.assertIn(b"using 10", run.done.stderr)
        track = run.thread_track(run.one("spin"))
        self.assertEqual(sorted(run.counters_under(track)), sorted([CPU_TRACK, WAIT_TRACK]))

    def test_span_threshold(self):
        # Above the spin's 100 ms: no span is long enough, but the process's.
        run = Run(self._tmp.name, {"TRACESHIM_CPU_SPAN_MIN_US": "150000"})
        self.assertNotIn(CPU, run.one("spin").args)
        self.assertNotIn(CPU, run.one("spin").parent.args)
        procs = [s for s in run.trace.slices if "process.pid" in s.args]
        self.assertIn(CPU, procs[0].args)


if __name__ == "__main__":
    unittest.main()
