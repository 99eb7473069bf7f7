#!/usr/bin/env python3
"""Blocking waits on descriptors, time and child processes (family wait):
tests/progs/waits blocks its main thread about 60 ms at a time in poll,
select, epoll_wait, nanosleep, clock_nanosleep, usleep, waitpid and a futex
wait made through syscall(), and each leaves a span of its duration with
what was waited for (traceshim.wait.*) and how it ended; a write of another
thread to the pipe or eventfd a poll or select waited for is linked to it
(a Perfetto flow from the write to the end of the wait, an OTLP span link).
Calls that return at once make no span, nor does a wait shorter than
TRACESHIM_WAIT_MIN_US, nor any with TRACESHIM_TRACE=-wait. Results and
errno are the program's own: the same output with and without the shim,
timeouts and signals (EINTR) included.

Run:  TRACESHIM_LIB=build/libtraceshim.so PROGS_DIR=build/tests/progs \\
      python3 tests/integration/test_waits.py
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

WAITS = {"poll", "ppoll", "select", "pselect", "epoll_wait", "epoll_pwait", "epoll_pwait2",
         "nanosleep", "clock_nanosleep", "usleep", "sleep", "waitpid", "wait", "wait4",
         "waitid", "futex"}
MIN_NS = 50 * 1000 * 1000
# Calls that return at once can still be a span on a loaded machine (the
# thread was preempted in the call for more than TRACESHIM_WAIT_MIN_US):
# the waits of about 60 ms are told from them by this.
LONG_NS = 30 * 1000 * 1000


def prog():
    return os.path.join(os.environ.get("PROGS_DIR", ""), "waits")


class Receiver(tracelib.CollectingHandler):
    pass


class WaitsTest(tracelib.LoopbackReceiver, unittest.TestCase):
    maxDiff = None
    handler = Receiver

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="traceshim-waits-")
        cls.run_dir = tracelib.private_run_dir(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        tracelib.wait_for_agent(cls.run_dir)
        shutil.rmtree(cls.tmp, True)
        super().tearDownClass()

    def run_prog(self, *args, env=None):
        env = dict(env or {}, TRACESHIM_RUN_DIR=self.run_dir)
        proc, trace = tracelib.run_pair([prog()] + list(args), env=env, cwd=self.tmp)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc, trace

    @staticmethod
    def main_pid(trace):
        """The program's pid (not its child's)."""
        pids = trace.pids()
        return next(s.pid for s in trace.slices if s.depth == 0 and "process.pid" in s.args
                    and s.args.get("process.parent_pid") not in pids)

    def main_waits(self, trace, long_only=True):
        """The wait spans of the program's main thread, in order: those of
        the waits of about 60 ms (long_only), or all."""
        pid = self.main_pid(trace)
        return [s for s in trace.slices_of(pid=pid, tid=pid) if s.name in WAITS
                and (not long_only or s.dur >= LONG_NS)]

    # ------------------------------------------------------------ the spans
    def test_wait_spans(self):
        proc, trace = self.run_prog()
        waits = self.main_waits(trace)
        got = [(s.name, s.args.get("traceshim.wait.result")) for s in waits]
        self.assertEqual(got, [
            ("poll", "timeout"), ("poll", "ready"), ("poll", "ready"), ("select", "ready"),
            ("epoll_wait", "ready"), ("nanosleep", "completed"),
            ("clock_nanosleep", "completed"), ("usleep", "completed"),
            ("waitpid", "exited"), ("futex", "woken")], proc.stdout.decode())
        for s in waits:
            self.assertGreaterEqual(s.dur, MIN_NS, s)
            self.assertEqual(s.depth, 1, s)
            self.assertNotIn("otel.status_code", s.args, s)
        poll_timeout, poll_pipe, poll_event, sel, ep, ns, cns, us, wp, fx = waits
        self.assertEqual(poll_timeout.args["traceshim.wait.fds"], 1)
        self.assertEqual(poll_timeout.args["traceshim.wait.timeout_ms"], 60)
        self.assertNotIn("traceshim.wait.ready", poll_timeout.args)
        self.assertEqual(poll_pipe.args["traceshim.wait.timeout_ms"], 5000)
        self.assertEqual(poll_pipe.args["traceshim.wait.ready"], 1)
        self.assertNotIn("traceshim.wait.timeout_ms", poll_event.args, "infinite: no timeout")
        self.assertNotIn("traceshim.wait.timeout_ms", sel.args)
        self.assertEqual(sel.args["traceshim.wait.fds"], 4)   # nfds: the pipe's fd + 1
        self.assertEqual(ep.args["traceshim.wait.fds"], 4)    # maxevents
        self.assertEqual(ep.args["traceshim.wait.ready"], 1)
        for s in (ns, cns, us):
            self.assertEqual(s.args["traceshim.wait.requested_ns"], 60 * 1000 * 1000, s)
        child = [p for p in trace.pids() if p != self.main_pid(trace)]
        self.assertEqual(len(child), 1)
        self.assertEqual(wp.args["traceshim.wait.pid"], child[0])
        self.assertEqual(wp.args["traceshim.wait.child.pid"], child[0])
        self.assertEqual(wp.args["process.exit.code"], 7)
        self.assertRegex(fx.args["traceshim.wait.address"], r"^0x[0-9a-f]+$")
        self.assertNotIn("traceshim.wait.timeout_ms", fx.args)

    def test_calls_that_return_at_once_make_no_span(self):
        # 100 polls and 100 epoll_waits with timeout 0, 100 polls with a
        # timeout of a pipe that has data, a futex wait whose word had
        # changed (EAGAIN) and syscall()s of other numbers: none.
        proc, trace = self.run_prog()
        self.assertIn(b"futex-changed ret=-1 errno=EAGAIN", proc.stdout)
        self.assertIn(b"getpid-via-syscall ret=1", proc.stdout)
        self.assertIn(b"close-via-syscall ret=-1 errno=EBADF", proc.stdout)
        names = [s.name for s in self.main_waits(trace)]
        self.assertEqual(names.count("poll"), 3)
        self.assertEqual(names.count("epoll_wait"), 1)
        self.assertEqual(names.count("futex"), 1)
        for s in trace.slices:
            if s.name in WAITS:
                self.assertGreaterEqual(s.dur, 10 * 1000, s)
        # A timeout of 0 cannot wait: those calls are never timed, never
        # spans. The others returned at once but for a preemption (a few
        # at most on a loaded machine).
        short = [s for s in self.main_waits(trace, long_only=False) if s.dur < LONG_NS]
        self.assertLessEqual(len(short), 10, short)
        for s in short:
            self.assertIn((s.name, s.args.get("traceshim.wait.result")),
                          {("poll", "ready"), ("futex", "value_changed")}, s)

    def test_wake_arrows_from_writes(self):
        _, trace = self.run_prog()
        pid = self.main_pid(trace)
        waits = self.main_waits(trace)
        woken = {id(s) for s in waits[1:4]}   # poll of the pipe, of the eventfd, select
        arrows = []
        for f in trace.flows:
            first, last = f.slices[0], f.slices[-1]
            if first.name == "write":
                arrows.append((first, last, f.terminated))
        self.assertEqual(len(arrows), 3, [(a.name, b.name) for a, b, _ in arrows])
        for write, wait, terminated in arrows:
            self.assertTrue(terminated)
            self.assertIn(id(wait), woken, wait)
            self.assertEqual(write.pid, pid)
            self.assertNotEqual(write.tid, pid, "the write is another thread's")
            # The write came while the wait was on, and the wait ended after it.
            self.assertGreaterEqual(write.ts, wait.ts)
            self.assertLessEqual(write.ts, wait.end)
        self.assertEqual({id(w) for _, w, _ in arrows}, woken)
        fd_types = sorted(w.args.get("traceshim.fd.type") for w, _, _ in arrows)
        self.assertEqual(fd_types, ["eventfd", "pipe", "pipe"])
        # The timed-out poll and the epoll_wait end no flow.
        for s in (waits[0], waits[4]):
            self.assertFalse(s.terminating_flow_ids, s)

    def test_family_off_and_threshold(self):
        for env in ({"TRACESHIM_TRACE": "-wait"}, {"TRACESHIM_WAIT_MIN_US": "200000"}):
            _, trace = self.run_prog(env=env)
            self.assertEqual([s for s in trace.slices if s.name in WAITS], [], env)
            self.assertTrue(trace.slices_named("write"), "other families still traced")
            # With the family off no poll is watched, and under the
            # threshold no poll has waited long enough to be a span when the
            # write comes: no write starts a flow that nothing would end.
            writes = [s for s in trace.slices_named("write") if s.flow_ids]
            self.assertEqual(writes, [], env)
            self.assertEqual([f for f in trace.flows if f.terminated and
                              f.slices[0].name == "write"], [], env)

    def test_bad_pointers_fail_as_without_the_shim(self):
        # run_pair compares the output: every call says EFAULT, none crashes
        # (a wrapper must not read what the program passed before the call
        # has said it is readable).
        tracelib.skip_under_sanitizer(self, "a program passing bad pointers",
                                      "is stopped by the sanitizer's own wrappers")
        proc, _ = self.run_prog("efault")
        self.assertEqual(proc.stdout.decode().splitlines(), [
            "poll-efault ret=-1 errno=EFAULT", "select-efault ret=-1 errno=EFAULT",
            "poll-over-limit ret=-1 errno=EINVAL", "ppoll-over-limit ret=-1 errno=EINVAL",
            "nanosleep-efault ret=-1 errno=EFAULT", "clock_nanosleep-efault ret=14 errno=0",
            "futex-efault ret=-1 errno=EFAULT", "waitpid-efault ret=-1 errno=EFAULT",
            "waitpid-after ret=0 errno=ECHILD"])

    def test_interrupted_and_timed_out(self):
        # run_pair compares the output: EINTR, ETIMEDOUT, the time left.
        proc, trace = self.run_prog("eintr")
        self.assertEqual(proc.stdout.decode().splitlines(), [
            "poll-eintr ret=-1 errno=EINTR", "nanosleep-eintr ret=-1 errno=EINTR",
            "nanosleep-rem-positive ret=1 errno=0", "futex-eintr ret=-1 errno=EINTR",
            "futex-timeout ret=-1 errno=ETIMEDOUT", "sleep-eintr ret=1 errno=0"])
        waits = self.main_waits(trace)
        got = [(s.name, s.args.get("traceshim.wait.result")) for s in waits]
        self.assertEqual(got, [("poll", "interrupted"), ("nanosleep", "interrupted"),
                               ("futex", "interrupted"), ("futex", "timeout"),
                               ("sleep", "interrupted")])
        for s in waits:
            self.assertGreaterEqual(s.dur, MIN_NS, s)
            self.assertNotIn("otel.status_code", s.args, "no error: " + repr(s))
        self.assertEqual(waits[2].args.get("traceshim.errno"), "EINTR")
        self.assertEqual(waits[3].args["traceshim.wait.timeout_ms"], 60)
        self.assertGreater(waits[4].args["traceshim.wait.unslept_s"], 0)

    # ------------------------------------------------------------ OTLP
    def test_otlp_link_to_the_waking_write(self):
        Receiver.clear()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("OTEL_", "TRACESHIM_")) or k == "TRACESHIM_PRELOAD_FIRST"}
        if os.environ.get("TRACESHIM_AGENT"):
            env["TRACESHIM_AGENT"] = os.environ["TRACESHIM_AGENT"]
        env.update({"LD_PRELOAD": tracelib.shim_preload(), "TRACESHIM_RUN_DIR": self.run_dir,
                    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % self.port})
        proc = subprocess.run([prog()], env=env, cwd=self.tmp, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(tracelib.wait_for_agent(self.run_dir))
        spans = tracelib.otlp_spans(Receiver.taken())
        by_id = {s.one("span_id"): s for s in spans}
        # (A blocked pthread_join links to the joined thread: not these.)
        linked = [s for s in spans if s.all("links") and s.one("name").decode() in WAITS]
        names = sorted(s.one("name").decode() for s in linked)
        self.assertEqual(names, ["poll", "poll", "select"])
        for s in linked:
            links = s.all("links")
            self.assertEqual(len(links), 1)
            link = links[0]
            self.assertEqual(link.one("trace_id"), s.one("trace_id"))
            target = by_id.get(link.one("span_id"))
            self.assertIsNotNone(target, "the link names an exported span")
            self.assertEqual(target.one("name").decode(), "write")
            self.assertGreaterEqual(target.one("start_time_unix_nano"),
                                    s.one("start_time_unix_nano"))
            self.assertLessEqual(target.one("start_time_unix_nano"), s.one("end_time_unix_nano"))


if __name__ == "__main__":
    tracelib.fail_on_resource_warnings()
    unittest.main()
