#!/usr/bin/env python3
"""Blocking waits on locks, condition variables, semaphores and joins
(tests/progs/waits_sync.c): thread B holds a mutex 60 ms while main waits
for it, then signals a condition variable main waits about 60 ms on. The
trace has both waits on the main thread, the mutex's owner, and arrows from
B's unlock and signal into them (Perfetto flows; OTLP span links). An
uncontended lock loop and TRACESHIM_TRACE=-wait make no wait span; every
result and errno of the wrappers is the real call's."""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

WAIT_NAMES = {"pthread_mutex_lock", "pthread_mutex_timedlock", "pthread_cond_wait",
              "pthread_cond_timedwait", "sem_wait", "sem_timedwait", "pthread_join",
              "pthread_rwlock_rdlock", "pthread_rwlock_wrlock"}
RELEASE_NAMES = {"pthread_mutex_unlock", "pthread_cond_signal", "pthread_cond_broadcast",
                 "sem_post", "pthread_rwlock_unlock"}
MS = 1000000


def prog():
    return os.path.join(os.environ["PROGS_DIR"], "waits_sync")


class Receiver(tracelib.CollectingHandler):
    pass


class WaitsSync(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.trace_path = os.path.join(self.tmp.name, "t.pftrace")
        self.run_dir = tracelib.private_run_dir(self.tmp.name)

    def run_traced(self, args, **extra):
        env = tracelib.clean_env(dict({"LD_PRELOAD": tracelib.shim_preload(),
                                       "TRACESHIM_OUTPUT": self.trace_path,
                                       "TRACESHIM_RUN_DIR": self.run_dir}, **extra))
        done = subprocess.run([prog()] + args, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr.decode())
        self.assertTrue(tracelib.wait_for_agent(self.run_dir))
        return done.stdout.decode()

    def handoff(self, **extra):
        out = self.run_traced(["handoff"], **extra)
        b_tid = int(out.split("b_tid=")[1].split()[0])
        return b_tid, tracelib.load_trace(self.trace_path)

    def test_mutex_and_condition_waits_with_arrows(self):
        b_tid, trace = self.handoff()
        main = [s for s in trace.slices if s.tid == s.pid and s.depth > 0]
        mutex = [s for s in main if s.name == "pthread_mutex_lock" and s.dur >= 50 * MS]
        cond = [s for s in main if s.name == "pthread_cond_wait" and s.dur >= 50 * MS]
        self.assertEqual(len(mutex), 1, [(s.name, s.dur) for s in main])
        self.assertEqual(len(cond), 1, [(s.name, s.dur) for s in main])
        self.assertEqual(int(mutex[0].args["traceshim.wait.owner_tid"]), b_tid)
        self.assertEqual(mutex[0].args["traceshim.wait.result"], "woken")
        self.assertTrue(mutex[0].args["traceshim.wait.address"].startswith("0x"))
        self.assertNotIn("traceshim.wait.timeout_ms", mutex[0].args)
        self.assertEqual(cond[0].args["traceshim.wait.result"], "woken")
        # The arrows: from B's unlock into the mutex wait, from B's signal
        # into the condition wait (each a flow the wait's end terminates).
        for wait, release in ((mutex[0], "pthread_mutex_unlock"), (cond[0], "pthread_cond_signal")):
            sources = [f.slices[0] for f in trace.flows
                       if f.terminated and f.slices[-1] is wait]
            self.assertEqual(len(sources), 1, "no single arrow into %s" % wait.name)
            src = sources[0]
            self.assertEqual(src.name, release)
            self.assertEqual(src.tid, b_tid)
            self.assertEqual(src.args["traceshim.wait.address"],
                             wait.args["traceshim.wait.address"])
            self.assertLessEqual(src.ts, wait.ts + wait.dur)
            self.assertGreaterEqual(src.ts, wait.ts)

    def test_uncontended_lock_loop_makes_no_wait_span(self):
        self.run_traced(["loop", "100000"])
        trace = tracelib.load_trace(self.trace_path)
        names = {s.name for s in trace.slices}
        self.assertFalse(names & (WAIT_NAMES | RELEASE_NAMES), names)

    def test_wait_family_off_makes_none(self):
        _, trace = self.handoff(TRACESHIM_TRACE="-wait")
        names = {s.name for s in trace.slices}
        self.assertFalse(names & (WAIT_NAMES | RELEASE_NAMES), names)
        self.assertIn("pthread_create", names)   # the rest is still traced

    def test_threshold_leaves_short_waits_out(self):
        # A threshold above every wait of the program: no wait span at all.
        _, trace = self.handoff(TRACESHIM_WAIT_MIN_US="1000000")
        waits = [s.name for s in trace.slices if s.name in WAIT_NAMES]
        self.assertEqual(waits, [])

    def test_results_and_errno_are_the_real_calls(self):
        traced, trace = tracelib.run_pair(
            [prog(), "results"], env={"TRACESHIM_RUN_DIR": self.run_dir})
        out = traced.stdout.decode()
        # The cases are there (a run that printed nothing would compare equal).
        for line in ("errorcheck.relock=Resource deadlock avoided", "recursive.relock=0",
                     "robust.lock=Owner died", "timedlock.held=Connection timed out",
                     "timedlock.held_bad=Invalid argument", "sem.errno_kept=1234",
                     "sem.timedwait_bad=-1 Invalid argument", "join.waited=0",
                     "join.detached=Invalid argument", "cancel.sem=canceled",
                     "cancel.cond=canceled", "cancel.mutex_free=0"):
            self.assertIn(line, out)
        # The timed locks that timed out (on a mutex a thread ended holding,
        # on one the timed lock with a bad timeout took) are spans saying so.
        timed = [s for s in trace.slices if s.name == "pthread_mutex_timedlock"
                 and s.args.get("traceshim.wait.result") == "timeout"]
        self.assertEqual(len(timed), 2, [s.name for s in trace.slices])
        for s in timed:
            self.assertLessEqual(int(s.args["traceshim.wait.timeout_ms"]), 20)
            self.assertNotIn("otel.status_code", s.args)   # a timeout is no error
        # Nothing waits at the end (cancelled waits are uncounted): the
        # last signal and post, like every release here, make no span.
        releases = [s.name for s in trace.slices if s.name in RELEASE_NAMES]
        self.assertEqual(releases, [])
        joins = [s for s in trace.slices if s.name == "pthread_join"
                 and "traceshim.wait.thread_tid" in s.args]
        self.assertTrue(joins, "the join of a running thread is a wait naming its tid")


def _otlp_module_built():
    lib = os.path.dirname(tracelib.shim_library())
    return os.path.exists(os.path.join(lib, "libtraceshim-otlp.so"))


class WaitsSyncOtlp(tracelib.LoopbackReceiver, unittest.TestCase):
    handler = Receiver

    def test_wait_spans_link_to_the_releasing_spans(self):
        if not _otlp_module_built():
            self.skipTest("the OTLP module is not built")
        Receiver.clear()
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = tracelib.private_run_dir(tmp)
            env = tracelib.clean_env({
                "LD_PRELOAD": tracelib.shim_preload(), "TRACESHIM_RUN_DIR": run_dir,
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % self.port})
            done = subprocess.run([prog(), "handoff"], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=60)
            self.assertEqual(done.returncode, 0, done.stderr.decode())
            self.assertTrue(tracelib.wait_for_agent(run_dir))
        spans = tracelib.otlp_spans(Receiver.taken())
        by_id = {s.one("span_id"): s for s in spans}

        def name(s):
            return s.one("name").decode()

        for wait, release in (("pthread_mutex_lock", "pthread_mutex_unlock"),
                              ("pthread_cond_wait", "pthread_cond_signal")):
            long_waits = [s for s in spans if name(s) == wait and
                          s.one("end_time_unix_nano") - s.one("start_time_unix_nano") >= 50 * MS]
            self.assertEqual(len(long_waits), 1, sorted(name(s) for s in spans))
            links = long_waits[0].all("links")
            self.assertEqual(len(links), 1)
            self.assertEqual(links[0].one("trace_id"), long_waits[0].one("trace_id"))
            target = by_id.get(links[0].one("span_id"))
            self.assertIsNotNone(target, "the link names no span exported")
            self.assertEqual(name(target), release)
        # Only wait spans carry links: the tree's own flows are parent ids.
        linked = {name(s) for s in spans if s.all("links")}
        self.assertTrue(linked <= WAIT_NAMES, linked)


if __name__ == "__main__":
    unittest.main()
