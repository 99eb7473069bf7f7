#!/usr/bin/env python3
"""How a traced process ends and what went wrong on the way:
process.exit.code on the process span (from exit(), _exit() and return from
main), ERROR when it is not 0; crashes (NULL dereference, abort, a SIGSEGV
the program recovers from, an uncaught C++ exception) and C++ throws as
`exception` events with a stack that names the function. The exit status,
signal and output never change.

Run:  TRACESHIM_LIB=build/libtraceshim.so python3 tests/integration/test_errors.py
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
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


def prog(name):
    return os.path.join(os.environ.get("PROGS_DIR", ""), name)


def exceptions(trace):
    return [s for s in trace.slices if s.name == "exception"]


class CrashTest(unittest.TestCase):
    def setUp(self):
        # The sanitizer runtimes own SIGSEGV and SIGABRT in that build.
        tracelib.skip_under_sanitizer(self, "a crashing program", "is reported by the sanitizer")

    def crash(self, argv, sig, **run):
        proc, trace = tracelib.run_pair(argv, **run)
        self.assertEqual(proc.returncode, -sig, "the same death by signal")
        self.assertEqual(tracelib.structural_errors(trace), [])
        spans = process_spans(trace)
        self.assertEqual(len(spans), 1)
        process = list(spans.values())[0]
        self.assertEqual(process.args.get("process.exit.code"), 128 + sig)
        self.assertEqual(process.args.get("otel.status_code"), "ERROR")
        main = trace.slices_named("main")
        self.assertEqual(len(main), 1)
        self.assertEqual(main[0].args.get("otel.status_code"), "ERROR")
        events = exceptions(trace)
        self.assertTrue(events)
        # The crash is the last thing on the crashing thread's lane.
        last = max(trace.slices_of(pid=main[0].pid, tid=main[0].tid), key=lambda s: s.ts)
        self.assertEqual(last.name, "exception")
        self.assertIn(last, trace.descendants(main[0]))
        return events

    def test_null_dereference(self):
        events = self.crash([prog("crash"), "null"], signal.SIGSEGV)
        self.assertEqual(len(events), 1)
        e = events[0].args
        self.assertEqual(e["exception.type"], "SIGSEGV")
        self.assertIn("SEGV_MAPERR", e["exception.message"])
        self.assertIn("at address 0x0", e["exception.message"])
        frames = e["exception.stacktrace"].splitlines()
        self.assertRegex(frames[0], r"^#0 crash_null_deref\+0x[0-9a-f]+ \(crash\)$")
        self.assertTrue(any(f.startswith("#1 main+") for f in frames), frames)

    def test_abort(self):
        events = self.crash([prog("crash"), "abort"], signal.SIGABRT)
        e = events[-1].args
        self.assertEqual(e["exception.type"], "SIGABRT")
        self.assertIn("crash_abort_here", e["exception.stacktrace"])

    def test_abort_in_handler_on_small_alternate_stack(self):
        # Rust's stack overflow: its SIGSEGV handler, on an 8 KiB alternate
        # stack with a guard page below, calls abort() with little of that
        # stack left. The shim's SIGABRT handler has its signal frame there
        # and must do its work elsewhere, or the process dies by SIGSEGV on
        # the guard page.
        events = self.crash([prog("crash"), "segv-abort-altstack"], signal.SIGABRT)
        self.assertEqual([e.args["exception.type"] for e in events], ["SIGSEGV", "SIGABRT"])
        self.assertIn("on_segv_abort_short", events[-1].args["exception.stacktrace"])

    def test_abort_in_handler_touches_no_descriptor_of_the_program(self):
        # The first fault's stack is unwound by a task of the shim's whose
        # descriptor table is its own and empty: libunwind's pipe gets 0 and
        # 1 there. The handler's abort() at the second fault, when no task
        # can be started, must not be unwound by libunwind on the program's
        # thread, where 0 and 1 are its stdin and stdout (it read a byte of
        # the one and wrote bytes to the other).
        events = self.crash([prog("crash"), "segv-abort-noclone"], signal.SIGABRT,
                            stdin_bytes=b"x" * 64)
        self.assertEqual([e.args["exception.type"] for e in events],
                         ["SIGSEGV", "SIGSEGV", "SIGABRT"])

    def test_own_handler_recovers(self):
        proc, trace = tracelib.run_pair([prog("crash"), "recover"])
        self.assertEqual(proc.returncode, 0)
        self.assertIn(b"recovered", proc.stdout)
        # Unwinding the stack left no descriptor in the program's table.
        self.assertIn(b"next fd 3\n", proc.stdout)
        events = exceptions(trace)
        self.assertEqual(len(events), 1)
        self.assertEqual(events[0].args["exception.type"], "SIGSEGV")
        self.assertIn("crash_recovered", events[0].args["exception.stacktrace"].splitlines()[0])
        # The program lived on: nothing is an error.
        self.assertEqual([s.name for s in trace.slices if s.args.get("otel.status_code")], [])
        self.assertEqual(list(process_spans(trace).values())[0].args["process.exit.code"], 0)

    def test_many_recovered_faults_keep_their_events_and_bound_the_stacks(self):
        # A program that recovers from faults as a matter of course (a JVM's
        # null checks): each is an event, a thread's first 100 of each second
        # carry a stack, so unwinding does not slow it down several times.
        self.events_with_stacks_bounded([prog("crash"), "recover-many", "3000"],
                                        b"start\nrecovered 3000\n", 3000, "crash_recovered")

    def test_uncaught_cxx_exception(self):
        if not os.path.exists(prog("cxx_throw")):
            self.skipTest("built without a C++ compiler")
        events = self.crash([prog("cxx_throw"), "uncaught"], signal.SIGABRT)
        types = [e.args["exception.type"] for e in events]
        self.assertEqual(types, ["std::runtime_error", "std::runtime_error", "SIGABRT"])
        self.assertIn("cxx_thrower(int)", events[0].args["exception.stacktrace"].splitlines()[0])

    def test_many_throws_keep_their_events_and_bound_the_stacks(self):
        # Every throw is an event; the thrower's stack is taken for a
        # thread's first 100 throws of each second only.
        if not os.path.exists(prog("cxx_throw")):
            self.skipTest("built without a C++ compiler")
        self.events_with_stacks_bounded([prog("cxx_throw"), "many", "2000"],
                                        b"caught: thrown 1\ncaught 2000\n", 2001, "cxx_thrower(int)")

    def events_with_stacks_bounded(self, argv, stdout, count, frame):
        """argv traced prints stdout and makes `count` exception events, the
        first with `frame` on top of its stack, at most 100 stacks a second."""
        p = tracelib.shim_preload()
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "t.pftrace")
            done = subprocess.run(argv, stdout=subprocess.PIPE, timeout=60,
                                  env=dict(os.environ, LD_PRELOAD=p, TRACESHIM_OUTPUT=out))
            self.assertEqual(done.stdout, stdout)
            trace = tracelib.load_trace(out)
        events = exceptions(trace)
        self.assertEqual(len(events), count)
        stacks = [e for e in events if "exception.stacktrace" in e.args]
        self.assertIn(frame, stacks[0].args["exception.stacktrace"].splitlines()[0])
        self.assertGreaterEqual(len(stacks), 100)
        seconds = (events[-1].ts - events[0].ts) / 1e9
        self.assertLessEqual(len(stacks), 100 * (int(seconds) + 2))

    def test_sigterm_without_handler(self):
        # sleep has no SIGTERM handler: the trace is flushed, then it dies by it.
        p = tracelib.shim_preload()
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "t.pftrace")
            proc = subprocess.Popen(["sleep", "30"], env=dict(os.environ, LD_PRELOAD=p,
                                                              TRACESHIM_OUTPUT=out))
            time.sleep(0.3)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=10), -signal.SIGTERM)
            trace = tracelib.load_trace(out)
        process = list(process_spans(trace).values())[0]
        self.assertEqual(process.args.get("process.exit.code"), 128 + signal.SIGTERM)
        self.assertEqual([e.args["exception.type"] for e in exceptions(trace)], ["SIGTERM"])


if __name__ == "__main__":
    unittest.main()
