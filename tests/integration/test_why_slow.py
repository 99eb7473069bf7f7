#!/usr/bin/env python3
"""Why was it slow (tests/progs/why_slow.c): thread B ("holder") holds a
mutex 60 ms while the main thread waits for it, then signals a condition
variable the main thread waits about 60 ms on; then the main thread polls an
empty pipe for 60 ms while B spins on the CPU for 100 ms. The trace says all
of it: the three waits on the main thread, who held the mutex, the arrows
from B's unlock and signal into the waits they ended, and each thread's CPU
use as counter tracks (and on B's thread span)."""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

MS = 1000000
CPU_TRACK = "cpu %"


class WhySlow(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="traceshim-why-slow-")
        tmp = cls._tmp.name
        path = os.path.join(tmp, "why_slow.pftrace")
        run_dir = tracelib.private_run_dir(tmp)
        env = tracelib.clean_env({"LD_PRELOAD": tracelib.shim_preload(),
                                  "TRACESHIM_OUTPUT": path, "TRACESHIM_RUN_DIR": run_dir})
        cls.done = subprocess.run([os.path.join(os.environ["PROGS_DIR"], "why_slow")], env=env,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=60)
        tracelib.wait_for_agent(run_dir)
        cls.trace = tracelib.load_trace(path)
        words = cls.done.stdout.split()
        cls.holder = int(words[1]) if len(words) > 1 and words[0] == b"holder" else None

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def main_waits(self, name):
        return [s for s in self.trace.slices
                if s.tid == s.pid and s.name == name and s.dur >= 50 * MS]

    def arrow_into(self, wait):
        """The slices whose flows end at the end of wait."""
        return [f.slices[0] for f in self.trace.flows if f.terminated and f.slices[-1] is wait]

    def test_program_ran_unchanged(self):
        self.assertEqual(self.done.returncode, 0, self.done.stdout + self.done.stderr)
        self.assertEqual(self.done.stderr, b"")
        self.assertTrue(self.done.stdout.endswith(b"ok\n"), self.done.stdout)

    def test_mutex_wait_names_its_holder_and_the_unlock_that_ended_it(self):
        waits = self.main_waits("pthread_mutex_lock")
        self.assertEqual(len(waits), 1, [(s.name, s.dur) for s in self.trace.slices])
        self.assertEqual(int(waits[0].args["traceshim.wait.owner_tid"]), self.holder)
        sources = self.arrow_into(waits[0])
        self.assertEqual([(s.name, s.tid) for s in sources],
                         [("pthread_mutex_unlock", self.holder)])

    def test_condition_wait_has_the_arrow_from_the_signal(self):
        waits = self.main_waits("pthread_cond_wait")
        self.assertEqual(len(waits), 1, [(s.name, s.dur) for s in self.trace.slices])
        self.assertEqual(waits[0].args["traceshim.wait.result"], "woken")
        sources = self.arrow_into(waits[0])
        self.assertEqual([(s.name, s.tid) for s in sources],
                         [("pthread_cond_signal", self.holder)])

    def test_poll_of_the_empty_pipe_timed_out(self):
        polls = self.main_waits("poll")
        self.assertEqual(len(polls), 1, [(s.name, s.dur) for s in self.trace.slices])
        self.assertEqual(polls[0].args["traceshim.wait.result"], "timeout")
        self.assertEqual(int(polls[0].args["traceshim.wait.timeout_ms"]), 60)

    def test_cpu_counters_show_who_computed_during_the_poll(self):
        poll = self.main_waits("poll")[0]
        seen = {}
        for track in self.trace.tracks.values():
            if not track.is_counter or track.name != CPU_TRACK:
                continue
            owner = self.trace.tracks[track.parent_uuid]
            values = sorted((ts, v) for uuid, ts, v in self.trace.counters if uuid == track.uuid)
            # The values in force during the poll.
            before = [v for ts, v in values if ts <= poll.ts]
            inside = [v for ts, v in values if poll.ts < ts < poll.ts + poll.dur]
            seen[owner.tid] = before[-1:] + inside
        self.assertEqual(sorted(seen), sorted([self.holder, poll.tid]), seen)
        self.assertGreaterEqual(max(seen[self.holder]), 50, seen)   # B spins
        self.assertLessEqual(min(seen[poll.tid]), 10, seen)         # main waits

    def test_holder_thread_span_counts_its_spin(self):
        spans = [s for s in self.trace.slices if s.tid == self.holder and s.depth == 0]
        self.assertEqual(len(spans), 1)
        self.assertGreaterEqual(int(spans[0].args["traceshim.cpu_time_ns"]), 50 * MS)


if __name__ == "__main__":
    unittest.main()
