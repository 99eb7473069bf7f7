#!/usr/bin/env python3
"""The program's own spans (include/traceshim.h) under the shim: the example
thread pool and callback programs and tests/progs/apispans, in the Perfetto
file (decoded with tracelib) and over OTLP (decoded with protoc): manual
spans nest with the interposed calls, a hand-off is an arrow from where the
work was queued to where it runs, and in OTLP the work is a child of the
submitting span. Without the shim the same binaries run unchanged.

Run:  TRACESHIM_LIB=build/libtraceshim.so PROGS_DIR=build/tests/progs \\
      EXAMPLES_DIR=build/examples python3 tests/integration/test_api.py
"""

import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402
from test_shim_otlp import Export, Receiver  # noqa: E402

FILE_OPS = {"open", "openat", "read", "write", "close", "pread", "pwrite"}
SOCKET_OPS = {"connect", "send", "recv", "sendto", "recvfrom"}


def example(name):
    path = os.path.join(os.environ.get("EXAMPLES_DIR", ""), name)
    if not os.path.exists(path):
        raise unittest.SkipTest("%s is not built" % name)
    return path


def prog(name):
    return os.path.join(os.environ["PROGS_DIR"], name)


def flow_into(trace, s):
    """The slice an arrow into s starts from, or None."""
    for f in trace.flows:
        if s in f.slices[1:]:
            return f.slices[f.slices.index(s) - 1]
    return None


def plain_env():
    return {k: v for k, v in os.environ.items()
            if (not k.startswith(("TRACESHIM_", "OTEL_")) or k == "TRACESHIM_AGENT")
            and k != "LD_PRELOAD"}


class Perfetto(unittest.TestCase):
    def run_pair(self, argv, **kw):
        traced, trace = tracelib.run_pair(argv, **kw)
        self.assertEqual(tracelib.structural_errors(trace), [])
        return traced, trace

    def test_threadpool_tasks_on_workers_with_arrows_and_io(self):
        with tempfile.TemporaryDirectory() as tmp:
            traced, trace = self.run_pair([example("threadpool"), tmp])
        ntasks = len(re.findall(rb"^task ", traced.stdout, re.M))
        self.assertGreaterEqual(ntasks, 8)
        tasks = trace.slices_named("task")
        self.assertEqual(len(tasks), ntasks)
        main_tid = trace.pids()[0]
        batch = trace.slices_named("batch")
        self.assertEqual(len(batch), 1)
        for t in tasks:
            self.assertIsNotNone(trace.thread_of(t), "a task is on a thread's lane")
            self.assertNotEqual(t.tid, main_tid, "tasks run on the workers")
            queued = flow_into(trace, t)
            self.assertIsNotNone(queued, "an arrow comes into every task")
            self.assertEqual(queued.name, "queue task")
            self.assertTrue(queued.is_instant)
            self.assertEqual(queued.tid, main_tid)
            self.assertIs(queued.parent, batch[0], "queued inside the batch span")
            self.assertIn("task.id", t.args)
            inside = {d.name for d in trace.descendants(t)}
            self.assertTrue(inside & FILE_OPS, inside)
            if t.args.get("otel.status_code") != "ERROR":   # a failed task stops early
                self.assertIn("connect", inside, "the task's socket I/O is inside it")
        failed = [t for t in tasks if t.args.get("otel.status_code") == "ERROR"]
        self.assertEqual(len(failed), 1)
        self.assertIn(b"1 failed", traced.stdout)

    def test_callbacks_requests_on_async_lanes(self):
        traced, trace = self.run_pair([example("callbacks")])
        requests = trace.slices_named("request")
        self.assertEqual(len(requests), len(re.findall(rb"^request ", traced.stdout, re.M)))
        lanes = {r.track_uuid for r in requests}
        self.assertGreater(len(lanes), 1, "overlapping requests need more than one lane")
        for r in requests:
            self.assertIsNone(trace.thread_of(r), "a span that ends elsewhere is on an async lane")
            self.assertEqual(r.depth, 0)
        self.assertEqual(sum(r.args.get("otel.status_code") == "ERROR" for r in requests), 1)
        callbacks = [s for s in trace.slices if s.name.startswith("on ") and not s.is_instant]
        self.assertGreaterEqual(len(callbacks), 3 * len(requests))
        for cb in callbacks:
            queued = flow_into(trace, cb)
            self.assertIsNotNone(queued, cb)
            self.assertTrue(queued.name.startswith("wait "), queued.name)

    def test_apispans_tree(self):
        traced, trace = self.run_pair([prog("apispans")], compare=("stdout", "returncode"))
        self.assertEqual(traced.stdout, b"done\n")
        outer, = trace.slices_named("outer")
        self.assertEqual(outer.args.get("app.mode"), "first", "copied when called")
        self.assertEqual(outer.args.get("app.count"), 3)
        self.assertEqual(outer.args.get("app.ratio"), 0.5)
        self.assertIs(outer.args.get("app.flag"), True)
        self.assertEqual(outer.args.get("otel.status_code"), "ERROR")
        self.assertEqual(outer.args.get("error.type"), "ValidationError")
        self.assertEqual(outer.parent.name, "main")
        names = [c.name for c in trace.children(outer)]
        self.assertIn("write", names, "I/O inside a manual span is its child")
        inner, = trace.slices_named("inner")
        self.assertIs(inner.parent, outer)
        self.assertEqual(inner.args.get("app.step"), "two", "a key set again is replaced")
        self.assertEqual(inner.args.get("otel.status_code"), "OK")
        self.assertIn("checkpoint", [c.name for c in trace.children(inner)])
        self.assertIn("write", [c.name for c in trace.children(inner)])
        in_thread, = trace.slices_named("in thread")
        self.assertEqual(in_thread.depth, 1, "under the thread's span")
        self.assertIsNotNone(trace.thread_of(in_thread))
        self.assertNotEqual(in_thread.tid, outer.tid)
        job, = trace.slices_named("job")
        self.assertEqual(flow_into(trace, job).name, "queue job")
        op, = trace.slices_named("operation")
        self.assertIsNone(trace.thread_of(op))
        self.assertEqual(op.args.get("otel.status_code"), "OK")
        child, = trace.slices_named("closed by parent")
        self.assertEqual(child.parent.name, "left open")
        self.assertEqual(child.end, child.parent.end, "ended with its parent")

    def test_runs_untouched_without_the_shim(self):
        for argv in ([example("threadpool")], [example("callbacks")], [prog("apispans")]):
            a = subprocess.run(argv, env=plain_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
            b = subprocess.run(argv, env=plain_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
            self.assertEqual(a.returncode, 0, a.stderr.decode())
            self.assertEqual(a.stdout, b.stdout)
        none = subprocess.run([prog("apispans")], env=plain_env(), stderr=subprocess.PIPE,
                              stdout=subprocess.PIPE, timeout=60)
        self.assertIn(b"traceparent none", none.stderr, "no tracer: no ids")

    def test_raii_cpp(self):
        traced, trace = self.run_pair([example("raii")])
        spans = [s for s in trace.slices if not s.is_instant and s.depth > 0]
        self.assertTrue(any(s.args.get("otel.status_code") for s in spans))


class Otlp(tracelib.LoopbackReceiver, unittest.TestCase):
    handler = Receiver

    def run_otlp(self, argv):
        Receiver.reset()
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = tracelib.private_run_dir(tmp)
            env = dict(plain_env(), LD_PRELOAD=tracelib.shim_preload(),
                       OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:%d" % self.port,
                       TRACESHIM_RUN_DIR=run_dir)
            out = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 timeout=60)
            # With an agent the spans are sent after the program has exited.
            self.assertTrue(tracelib.wait_for_agent(run_dir), "the agent never finished")
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        ex = Export(Receiver.bodies)
        self.by_id = {s["id"]: s for s in ex.spans}
        return out, ex

    def parent(self, s):
        return self.by_id.get(s["parent"])

    def test_threadpool_tasks_are_children_of_the_batch(self):
        with tempfile.TemporaryDirectory() as tmp:
            out, ex = self.run_otlp([example("threadpool"), tmp])
        batch, = ex.named("batch")
        tasks = ex.named("task")
        self.assertGreaterEqual(len(tasks), 8)
        for t in tasks:
            self.assertEqual(t["parent"], batch["id"], "the work is a child of the submitter")
        queued = [e for e in batch["events"] if e[0] == "queue task"]
        self.assertEqual(len(queued), len(tasks), "each hand-off is an event on the batch")
        ids = {t["id"] for t in tasks}
        io = [s for s in ex.spans if s["parent"] in ids]
        self.assertTrue({s["name"] for s in io} & FILE_OPS)
        self.assertIn("connect", {s["name"] for s in io}, "socket I/O under the tasks")
        self.assertEqual(sum(t["status"] == "STATUS_CODE_ERROR" for t in tasks), 1)

    def test_callbacks_are_children_of_their_request(self):
        out, ex = self.run_otlp([example("callbacks")])
        requests = ex.named("request")
        self.assertEqual(len(requests), len(re.findall(rb"^request ", out.stdout, re.M)))
        ids = {r["id"] for r in requests}
        callbacks = [s for s in ex.spans if s["name"].startswith("on ")]
        self.assertGreaterEqual(len(callbacks), 3 * len(requests))
        for cb in callbacks:
            self.assertIn(cb["parent"], ids, "a callback runs under its request")
        connects = [s for s in ex.named("connect") if s["parent"] in ids]
        self.assertEqual(len(connects), len(requests), "each connect made under its request")
        self.assertEqual(sum(r["status"] == "STATUS_CODE_ERROR" for r in requests), 1)
        for r in requests:
            waits = [e for e in r["events"] if e[0].startswith("wait ")]
            self.assertGreaterEqual(len(waits), 2, "each registration is an event on the request")

    def test_apispans_parents_events_status(self):
        out, ex = self.run_otlp([prog("apispans")])
        outer, = ex.named("outer")
        tp = re.search(rb"traceparent 00-([0-9a-f]{32})-([0-9a-f]{16})-01", out.stderr)
        self.assertIsNotNone(tp, out.stderr)
        self.assertEqual(tp.group(1).decode(), outer["trace"].hex())
        self.assertEqual(tp.group(2).decode(), outer["id"].hex(), "ts_traceparent names the span")
        self.assertEqual(outer["status"], "STATUS_CODE_ERROR")
        self.assertEqual(outer["attrs"]["app.count"], 3)
        self.assertEqual(outer["attrs"]["app.ratio"], 0.5)
        self.assertEqual(self.parent(outer)["name"], "main")
        exc = [e for e in outer["events"] if e[0] == "exception"]
        self.assertEqual(exc[0][1], {"exception.type": "ValidationError",
                                     "exception.message": "bad input"})
        self.assertIn("queue job", [e[0] for e in outer["events"]])
        inner, = ex.named("inner")
        self.assertEqual(inner["parent"], outer["id"])
        self.assertEqual(inner["status"], "STATUS_CODE_OK")
        self.assertEqual(inner["attrs"]["app.step"], "two")
        self.assertEqual([e[0] for e in inner["events"]], ["checkpoint"])
        # A quick write is counted on its parent (roll-ups), a slow one kept.
        writes = [s for s in ex.named("write") if s["parent"] == inner["id"]]
        self.assertEqual(len(writes) + inner["attrs"].get("traceshim.calls.write.count", 0), 1)
        job, = ex.named("job")
        self.assertEqual(job["parent"], outer["id"], "run under the context captured in outer")
        self.assertEqual(job["attrs"]["job.id"], 7)
        in_thread, = ex.named("in thread")
        self.assertEqual(self.parent(in_thread)["attrs"].get("thread.id") is not None, True)
        op, = ex.named("operation")
        self.assertEqual(op["parent"], outer["id"])
        self.assertEqual(op["status"], "STATUS_CODE_OK")
        self.assertEqual([e[0] for e in op["events"]], ["finishing"])
        attached = [s for s in ex.named("write") if s["parent"] == op["id"]]
        self.assertEqual(len(attached) + op["attrs"].get("traceshim.calls.write.count", 0), 1,
                         "I/O under a context attached on another thread")


if __name__ == "__main__":
    unittest.main()
