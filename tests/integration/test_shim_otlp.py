#!/usr/bin/env python3
"""Real programs under the shim with OTEL_EXPORTER_OTLP_ENDPOINT set: what a
loopback receiver gets, decoded with protoc against proto/otlp (span count,
ids, parent links, kinds, attributes, resource), the Perfetto file beside it,
and a receiver that refuses, fails or never answers: the program's output and
exit status stay the same and its exit stays bounded. Misconfigurations: a
malformed endpoint turns export off at once, credentials and header values
are never printed, malformed values are reported once per process tree, a
missing sender module (libcurl's side) is reported and turns export off.
Last, end to end: a program under the shim -> traceshim collect -> .pftrace."""

import gzip
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

EXIT_TIMEOUT_MS = 1500
# Every call a span of its own, as in the Perfetto file: no roll-ups and no
# budget (both on for OTLP by default; test_rollup.py tests them).
EVERY_CALL = {"TRACESHIM_ROLLUP": "off", "TRACESHIM_MAX_SPANS_PER_S": "0"}


class Receiver(tracelib.OtlpHandler):
    """Answers by Receiver.mode: ok, 503 (forever), 400, retry-once (503 with
    Retry-After: 1, then 200), hang (reads the request, never answers)."""
    protocol_version = "HTTP/1.1"
    mode = "ok"
    delay = 0.0
    bodies = []        # decoded bodies of the requests answered 200
    requests = []      # every request body as received (decompressed)
    headers = []
    lock = threading.Lock()

    @classmethod
    def reset(cls, mode="ok", delay=0.0):
        with cls.lock:
            cls.mode, cls.delay = mode, delay
            cls.bodies, cls.requests, cls.headers = [], [], []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        with Receiver.lock:
            Receiver.requests.append(body)
            Receiver.headers.append(dict(self.headers))
            mode, first = Receiver.mode, len(Receiver.requests) == 1
        if mode == "hang":
            time.sleep(30)
            return
        if mode == "503" or (mode == "retry-once" and first):
            return self.answer(503, {"Retry-After": "1"} if mode == "retry-once" else {})
        if mode == "400":
            return self.answer(400)
        time.sleep(Receiver.delay)
        with Receiver.lock:
            Receiver.bodies.append(body)
        self.answer(200)


def value_of(v):
    for kind in ("string_value", "int_value", "bool_value", "double_value"):
        if kind in v:
            x = v.one(kind)
            return x.decode() if isinstance(x, bytes) else x
    return None


def attrs_of(msg):
    return {a.one("key").decode(): value_of(a.one("value")) for a in msg.all("attributes")}


class Export:
    """Everything the receiver got, decoded: resources and spans."""

    def __init__(self, bodies):
        self.spans, self.resources, self.scopes = [], [], []
        for body in bodies:
            req = tracelib.decode_otlp_request(body)
            for rs in req.all("resource_spans"):
                res = attrs_of(rs.one("resource"))
                self.resources.append(res)
                for ss in rs.all("scope_spans"):
                    self.scopes.append(ss.one("scope"))
                    for s in ss.all("spans"):
                        self.spans.append({
                            "name": s.one("name").decode(), "trace": s.one("trace_id"),
                            "id": s.one("span_id"), "parent": s.one("parent_span_id", b""),
                            "kind": s.one("kind", "SPAN_KIND_UNSPECIFIED"),
                            "status": (s.one("status") or tracelib.Msg()).one("code", "STATUS_CODE_UNSET"),
                            "start": s.one("start_time_unix_nano"),
                            "end": s.one("end_time_unix_nano"),
                            "attrs": attrs_of(s), "resource": res,
                            "events": [(e.one("name").decode(), attrs_of(e))
                                       for e in s.all("events")]})

    def named(self, name):
        return [s for s in self.spans if s["name"] == name]

    def roots(self):
        return [s for s in self.spans if not s["parent"]]


def prog(name):
    return os.path.join(os.environ["PROGS_DIR"], name)


def run_with(libdir, url, argv):
    """traceshim run --otlp url -- argv, with the command (and the library
    beside it) in libdir."""
    env = tracelib.clean_env()
    env.pop("TRACESHIM_AGENT", None)
    return subprocess.run([os.path.join(libdir, "traceshim"), "run", "--otlp", url, "--"] + argv,
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)


class ShimOtlp(tracelib.LoopbackReceiver, unittest.TestCase):
    handler = Receiver

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def run_traced(self, argv, mode="ok", port=None, delay=0.0, **extra):
        """Runs argv plain, then under the shim exporting to the receiver (or
        to port); checks stdout and the exit status are the same."""
        Receiver.reset(mode, delay)
        env = dict(os.environ)
        for k in list(env):
            if k.startswith(("OTEL_", "TRACESHIM_")) and k not in ("TRACESHIM_PRELOAD_FIRST",):
                env.pop(k)
        plain = subprocess.run(argv, env=env, cwd=self.tmp.name, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
        run_dir = tracelib.private_run_dir(self.tmp.name)
        env.update({"LD_PRELOAD": tracelib.shim_preload(),
                    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % (port or self.port),
                    "TRACESHIM_EXIT_TIMEOUT_MS": str(EXIT_TIMEOUT_MS),
                    "TRACESHIM_RUN_DIR": run_dir})
        if os.environ.get("TRACESHIM_AGENT"):
            env["TRACESHIM_AGENT"] = os.environ["TRACESHIM_AGENT"]
        env.update(extra)
        start = time.monotonic()
        traced = subprocess.run(argv, env=env, cwd=self.tmp.name, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, timeout=60)
        elapsed = time.monotonic() - start
        # With an agent the spans are sent after the program has exited.
        self.assertTrue(tracelib.wait_for_agent(run_dir), "the agent never finished")
        self.assertEqual(traced.returncode, plain.returncode, traced.stderr.decode())
        self.assertEqual(traced.stdout, plain.stdout)
        if not extra.get("TRACESHIM_LOG"):
            self.assertEqual(traced.stderr, plain.stderr)
        return traced, elapsed

    def pftraces(self):
        return [f for f in os.listdir(self.tmp.name) if f.endswith(".pftrace")]

    # ---------------------------------------------------------- process trees
    def test_process_tree_shares_one_trace(self):
        # sh forks and execs ls: every span of both processes is in one
        # trace, and ls's process span is the child of the exec span (of
        # the vfork span when sh uses vfork: the vfork child is not traced).
        self.run_traced(["sh", "-c", "ls / >/dev/null; true"])
        ex = Export(Receiver.bodies)
        self.assertEqual(len({s["trace"] for s in ex.spans}), 1)
        ls = [s for s in ex.spans if s["name"] == "ls" and s["attrs"].get("process.pid")]
        self.assertEqual(len(ls), 1, [s["name"] for s in ex.spans])
        parent = [s for s in ex.spans if s["id"] == ls[0]["parent"]]
        self.assertEqual(len(parent), 1)
        self.assertIn(parent[0]["name"], ("execve", "execv", "execvp", "vfork"))
        self.assertEqual(len(ex.roots()), 1, "only the first process is a root")

    def test_incoming_traceparent_is_continued(self):
        trace_id, span_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
        self.run_traced(["/bin/true"], TRACEPARENT="00-%s-%s-01" % (trace_id, span_id))
        ex = Export(Receiver.bodies)
        self.assertTrue(ex.spans)
        self.assertEqual({s["trace"].hex() for s in ex.spans}, {trace_id})
        proc = [s for s in ex.spans if s["attrs"].get("process.pid")]
        self.assertEqual(proc[0]["parent"].hex(), span_id)

    # ---------------------------------------------------------- what arrives
    def test_threads_program_arrives_whole(self):
        os.mkdir(os.path.join(self.tmp.name, "d"))
        self.run_traced([prog("threads_io"), "d"], **EVERY_CALL)
        ex = Export(Receiver.bodies)
        self.assertEqual(self.pftraces(), [], "with an endpoint the Perfetto file is not the default")
        ids = {s["id"] for s in ex.spans}
        self.assertEqual(len(ids), len(ex.spans), "span ids are unique")
        self.assertEqual(len({s["trace"] for s in ex.spans}), 1)
        self.assertEqual(len(ex.spans[0]["trace"]), 16)
        roots = ex.roots()
        self.assertEqual([r["name"] for r in roots], ["threads_io"])
        orphans = [s["name"] for s in ex.spans if s["parent"] and s["parent"] not in ids]
        self.assertEqual(orphans, [], "spans whose parent was not exported")
        self.assertTrue(all(s["start"] <= s["end"] for s in ex.spans))
        by_id = {s["id"]: s for s in ex.spans}
        workers = [s for s in ex.spans if s["attrs"].get("thread.name", "").startswith("worker-")]
        self.assertEqual(len(workers), 4)
        for w in workers:   # each worker thread hangs under its pthread_create
            self.assertEqual(by_id[w["parent"]]["name"], "pthread_create")
        writes = ex.named("write")
        self.assertGreaterEqual(len(writes), 4000)
        self.assertTrue(all(by_id[w["parent"]] in workers for w in writes
                            if w["attrs"].get("file.path", "").endswith(".dat")))
        self.assertEqual({s["kind"] for s in writes}, {"SPAN_KIND_INTERNAL"})
        # Spans within their parents, in time.
        for s in ex.spans:
            if s["parent"]:
                p = by_id[s["parent"]]
                self.assertGreaterEqual(s["start"], p["start"], (s["name"], p["name"]))
        res = ex.resources[0]
        self.assertEqual(res["service.name"], "threads_io")
        self.assertEqual(res["process.executable.name"], "threads_io")
        self.assertEqual(res["telemetry.sdk.name"], "traceshim")
        self.assertIsInstance(res["process.pid"], int)
        self.assertEqual(res["process.parent_pid"], os.getpid())
        self.assertTrue(res["process.executable.path"].endswith("/threads_io"))
        self.assertRegex(res["process.creation.time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")
        self.assertIn("host.name", res)
        self.assertNotIn("process.command_line", res, "the command line only when asked for")
        self.assertEqual(ex.scopes[0].one("name"), b"traceshim")
        now = time.time_ns()
        self.assertLess(abs(roots[0]["start"] - now), 120 * 10**9, "times are Unix epoch")

    def test_crash_event_and_exit_code(self):
        # A crash: the exception event (signal, stack) on the thread span,
        # which is ERROR, and the process span ERROR with the exit code.
        tracelib.skip_under_sanitizer(self, "a crashing program", "is reported by the sanitizer")
        self.run_traced([prog("crash"), "null"])
        ex = Export(Receiver.bodies)
        main = ex.named("main")
        self.assertEqual(len(main), 1)
        self.assertEqual(main[0]["status"], "STATUS_CODE_ERROR")
        events = [a for n, a in main[0]["events"] if n == "exception"]
        self.assertEqual(len(events), 1, main[0]["events"])
        self.assertEqual(events[0]["exception.type"], "SIGSEGV")
        self.assertIn("crash_null_deref", events[0]["exception.stacktrace"].splitlines()[0])
        proc = ex.roots()[0]
        self.assertEqual(proc["attrs"]["process.exit.code"], 128 + 11)
        self.assertEqual(proc["status"], "STATUS_CODE_ERROR")

    def test_cxx_exception_event(self):
        if not os.path.exists(prog("cxx_throw")):
            self.skipTest("built without a C++ compiler")
        self.run_traced([prog("cxx_throw")])
        ex = Export(Receiver.bodies)
        main = ex.named("main")[0]
        self.assertEqual(main["status"], "STATUS_CODE_UNSET", "a caught exception is no error")
        events = [a for n, a in main["events"] if n == "exception"]
        self.assertEqual([e["exception.type"] for e in events], ["std::runtime_error"])
        self.assertIn("cxx_thrower", events[0]["exception.stacktrace"].splitlines()[0])

    def test_error_status_and_kinds(self):
        code = ("import socket\n"
                "srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)\n"
                "c = socket.create_connection(srv.getsockname()); a, _ = srv.accept()\n"
                "c.sendall(b'x'); a.recv(1)\n"
                "try:\n    open('/nonexistent/x')\nexcept OSError:\n    print('failed as expected')\n")
        self.run_traced([sys.executable, "-c", code], OTEL_SERVICE_NAME="kinds")
        ex = Export(Receiver.bodies)
        self.assertEqual(ex.resources[0]["service.name"], "kinds")
        self.assertEqual({s["kind"] for s in ex.named("connect")}, {"SPAN_KIND_CLIENT"})
        self.assertEqual({s["kind"] for s in ex.named("accept4") + ex.named("accept")},
                         {"SPAN_KIND_SERVER"})
        failed = [s for s in ex.spans if s["attrs"].get("file.path") == "/nonexistent/x"]
        self.assertTrue(failed)
        self.assertEqual(failed[0]["status"], "STATUS_CODE_ERROR")
        self.assertEqual(failed[0]["attrs"]["error.type"], "ENOENT")

    def test_perfetto_file_too_when_asked(self):
        out = os.path.join(self.tmp.name, "both.pftrace")
        self.run_traced(["cat", "/etc/hostname"], TRACESHIM_OUTPUT=out, **EVERY_CALL,
                        OTEL_EXPORTER_OTLP_COMPRESSION="gzip",
                        OTEL_EXPORTER_OTLP_HEADERS="x-tenant=team%20a")
        ex = Export(Receiver.bodies)
        trace = tracelib.load_trace(out)
        self.assertEqual(tracelib.structural_errors(trace), [])
        # One span model, two encoders: the same spans by name (every call
        # kept; test_rollup.py compares them with roll-ups).
        self.assertEqual(sorted(s.name for s in trace.slices), sorted(s["name"] for s in ex.spans))
        self.assertEqual(Receiver.headers[0].get("Content-Encoding"), "gzip")
        self.assertEqual(Receiver.headers[0].get("x-tenant"), "team a")

    def test_fork_child_exports_its_own_spans(self):
        code = ("import os\npid = os.fork()\n"
                "if pid == 0:\n    open('/etc/hostname').read(); os._exit(7)\n"
                "print(os.waitpid(pid, 0)[1] >> 8)\n")
        self.run_traced([sys.executable, "-c", code], **EVERY_CALL)
        ex = Export(Receiver.bodies)
        pids = {s["resource"]["process.pid"] for s in ex.spans}
        self.assertEqual(len(pids), 2)
        self.assertEqual(len({(s["trace"], s["id"]) for s in ex.spans}), len(ex.spans),
                         "the child never sends the parent's spans again")
        child = [s for s in ex.spans if s["attrs"].get("file.path") == "/etc/hostname"]
        self.assertTrue(child)

    # --------------------------------------------------------------- policy
    def test_sampler_and_sdk_disabled(self):
        for env in ({"OTEL_TRACES_SAMPLER": "always_off"}, {"OTEL_SDK_DISABLED": "true"},
                    {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"}):
            self.run_traced(["cat", "/etc/hostname"], **env)
            self.assertEqual(Receiver.requests, [], env)
            self.assertEqual(self.pftraces(), [], env)
        self.run_traced(["cat", "/etc/hostname"], OTEL_TRACES_SAMPLER="traceidratio",
                        OTEL_TRACES_SAMPLER_ARG="1")
        self.assertTrue(Receiver.bodies)

    def test_full_queue_drops_and_counts(self):
        loop = "i=0; while [ $i -lt 300 ]; do echo $i; i=$((i+1)); done"
        self.run_traced(["sh", "-c", loop], delay=0.2, **EVERY_CALL, OTEL_BSP_MAX_QUEUE_SIZE="4",
                        OTEL_BSP_MAX_EXPORT_BATCH_SIZE="2", OTEL_BSP_SCHEDULE_DELAY="0",
                        TRACESHIM_EXIT_TIMEOUT_MS="10000")
        ex = Export(Receiver.bodies)
        proc = ex.roots()
        self.assertEqual(len(proc), 1, "the process span is never dropped")
        dropped = proc[0]["attrs"].get("traceshim.otlp.dropped_spans", 0)
        self.assertGreater(dropped, 0)
        self.assertGreaterEqual(len(ex.spans) + dropped, 300)

    def test_retry_after_then_delivered(self):
        self.run_traced(["cat", "/etc/hostname"], mode="retry-once")
        self.assertEqual(len(Receiver.requests), 2)
        self.assertEqual(Receiver.requests[0], Receiver.requests[1])
        self.assertTrue(Export(Receiver.bodies).roots())

    def test_400_is_not_retried(self):
        self.run_traced(["cat", "/etc/hostname"], mode="400")
        self.assertTrue(Receiver.requests)
        self.assertEqual(len(set(Receiver.requests)), len(Receiver.requests))

    # ------------------------------------------------- a receiver that fails
    def assert_bounded(self, elapsed):
        self.assertLess(elapsed, EXIT_TIMEOUT_MS / 1000 + 1.0)

    def test_receiver_down(self):
        _, elapsed = self.run_traced(["sh", "-c", "echo hi; exit 3"],
                                     port=tracelib.free_loopback_port())
        self.assert_bounded(elapsed)

    def test_receiver_503_forever(self):
        _, elapsed = self.run_traced(["sh", "-c", "echo hi; exit 3"], mode="503")
        self.assert_bounded(elapsed)
        self.assertGreaterEqual(len(Receiver.requests), 2, "503 is retried")

    def test_receiver_never_answers(self):
        _, elapsed = self.run_traced(["sh", "-c", "echo hi; exit 3"], mode="hang")
        self.assert_bounded(elapsed)
        self.assertTrue(Receiver.requests)

    def test_a_tree_waits_once_for_a_receiver_that_never_answers(self):
        # Seven processes (sh and six trues), each exporting its spans at
        # its exit. The in-process writer waited its bound in every one of
        # them; now the first that gave up leaves a mark in the run
        # directory and the others give the receiver a short grace. A
        # receiver that answers again is sent to, and the mark goes.
        argv = ["sh", "-c", "for i in 1 2 3 4 5 6; do /bin/true; done"]
        run_dir = tracelib.private_run_dir(self.tmp.name)
        _, elapsed = self.run_traced(argv, mode="hang", TRACESHIM_RUN_DIR=run_dir)
        self.assertLess(elapsed, 2 * EXIT_TIMEOUT_MS / 1000 + 1.0)
        self.assertTrue(Receiver.requests)
        marks = [f for f in os.listdir(run_dir) if f.startswith("otlp-stalled.")]
        if os.environ.get("TRACESHIM_AGENT") != "off":
            self.assertEqual(marks, [])   # the agent's relay waits once, itself
            return
        self.assertEqual(len(marks), 1)
        self.run_traced(["/bin/true"], TRACESHIM_RUN_DIR=run_dir)
        self.assertTrue(Export(Receiver.bodies).spans)
        self.assertFalse(os.path.exists(os.path.join(run_dir, marks[0])))

    def test_program_killed_by_signal_while_receiver_hangs(self):
        traced, elapsed = self.run_traced(["sh", "-c", "kill -TERM $$"], mode="hang")
        self.assertEqual(traced.returncode, -signal.SIGTERM)

    # ------------------------------------------------------- misconfiguration
    def run_env(self, argv, **extra):
        """Runs argv under the shim with only the given OTEL_/TRACESHIM_
        settings; returns (completed process, seconds)."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("OTEL_", "TRACESHIM_", "TRACEPARENT", "TRACESTATE"))
               or k == "TRACESHIM_PRELOAD_FIRST"}
        env["LD_PRELOAD"] = tracelib.shim_preload()
        run_dir = tracelib.private_run_dir(self.tmp.name)
        env["TRACESHIM_RUN_DIR"] = run_dir
        if os.environ.get("TRACESHIM_AGENT"):
            env["TRACESHIM_AGENT"] = os.environ["TRACESHIM_AGENT"]
        env.update(extra)
        start = time.monotonic()
        done = subprocess.run(argv, env=env, cwd=self.tmp.name, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=120)
        elapsed = time.monotonic() - start
        # With an agent the spans are sent after the program has exited.
        self.assertTrue(tracelib.wait_for_agent(run_dir), "the agent never finished")
        return done, elapsed

    def test_exit_does_not_wait_for_a_refusing_collector(self):
        # The in-process writer sends what is left as the program exits, and
        # the program's other threads run on meanwhile: waiting out the exit
        # bound for a collector that refuses connections let a thread that
        # would have died with the process write and change the exit status.
        closed = tracelib.free_loopback_port()
        prog = os.path.join(os.environ["PROGS_DIR"], "latethread")
        for how in ("exit", "_exit"):
            with self.subTest(how=how):
                done, elapsed = self.run_env(
                    [prog, how], TRACESHIM_AGENT="off",
                    OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:%d" % closed)
                self.assertEqual(done.stdout, b"bye\n", done.stderr)
                self.assertEqual(done.returncode, 0)
                self.assertLess(elapsed, 2)

    def test_credentials_in_the_endpoint_are_never_printed(self):
        closed = tracelib.free_loopback_port()
        url = "http://user:secret@127.0.0.1:%d" % closed
        headers = {"OTEL_EXPORTER_OTLP_HEADERS": "api-key=secret-key,x-token=secret%20two"}
        for var, value in (("OTEL_EXPORTER_OTLP_ENDPOINT", url),
                           ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url + "/v1/traces")):
            done, _ = self.run_env(["/bin/true"], TRACESHIM_LOG="debug",
                                   TRACESHIM_EXIT_TIMEOUT_MS="300", **{var: value}, **headers)
            err = done.stderr.decode()
            self.assertEqual(done.returncode, 0)
            self.assertIn("exporting to http://***@127.0.0.1:%d/v1/traces" % closed, err)
            self.assertNotIn("secret", err)
            self.assertNotIn("user", err)
        # A malformed header list is reported without its value.
        done, _ = self.run_env(["/bin/true"], OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:%d"
                               % self.port, OTEL_EXPORTER_OTLP_HEADERS="api-key:secret-key")
        err = done.stderr.decode()
        self.assertIn("OTEL_EXPORTER_OTLP_HEADERS", err)
        self.assertNotIn("secret", err)
        # A malformed URL with credentials: reported, the credentials hidden.
        done, _ = self.run_env(["/bin/true"],
                               OTEL_EXPORTER_OTLP_ENDPOINT="http://user:secret@[::1")
        self.assertIn("***@[::1", done.stderr.decode())
        self.assertNotIn("secret", done.stderr.decode())

    def test_traceshim_run_hides_credentials(self):
        cli = os.environ.get("TRACESHIM_CLI")
        if not cli:
            self.skipTest("traceshim is not built")
        Receiver.reset()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "TRACESHIM_"))
               or k == "TRACESHIM_PRELOAD_FIRST"}
        if os.environ.get("TRACESHIM_PRELOAD_FIRST"):   # run keeps it ahead of the library
            env["LD_PRELOAD"] = os.environ["TRACESHIM_PRELOAD_FIRST"]
        done = subprocess.run([cli, "run", "--otlp", "http://user:secret@127.0.0.1:%d" % self.port,
                               "--", "/bin/true"], env=env, cwd=self.tmp.name,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        err = done.stderr.decode()
        self.assertEqual(done.returncode, 0, err)
        self.assertIn("spans exported to http://***@127.0.0.1:%d" % self.port, err)
        self.assertNotIn("secret", err)
        self.assertTrue(Receiver.bodies)
        # A receiver that is not there: run says so, not that they were exported.
        closed = tracelib.free_loopback_port()
        env["TRACESHIM_EXIT_TIMEOUT_MS"] = "500"
        done = subprocess.run([cli, "run", "--otlp", "http://127.0.0.1:%d" % closed, "--",
                               "/bin/true"], env=env, cwd=self.tmp.name, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60)
        err = done.stderr.decode()
        self.assertEqual(done.returncode, 0, err)
        self.assertIn("not every span reached http://127.0.0.1:%d" % closed, err)
        self.assertNotIn("spans exported", err)

    def test_malformed_endpoint_is_reported_once_and_export_is_off(self):
        for url in ("http://[::1", "ftp://127.0.0.1:4318", "http://127.0.0.1:99999",
                    "http://127.0.0.1:0", "http://:4318", "http://127.0.0.1:43a8",
                    "http://127.0.0.1 :4318"):
            # A long exit bound: a retried failure would use all of it. The
            # children the shell starts stay quiet about the same URL.
            done, elapsed = self.run_env(["sh", "-c", "/bin/true; /bin/true; echo hi; exit 3"],
                                         OTEL_EXPORTER_OTLP_ENDPOINT=url,
                                         TRACESHIM_EXIT_TIMEOUT_MS="30000")
            self.assertEqual(done.returncode, 3)
            self.assertEqual(done.stdout, b"hi\n")
            lines = done.stderr.decode().splitlines()
            self.assertEqual(len(lines), 1, (url, lines))
            self.assertIn("OTEL_EXPORTER_OTLP_ENDPOINT", lines[0])
            self.assertIn("OTLP export is off", lines[0])
            self.assertLess(elapsed, 15, url)
            self.assertEqual(self.pftraces(), [], "OTLP was asked for: no surprise file")
        done, _ = self.run_env(["/bin/true"], TRACESHIM_LOG="debug",
                               OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://127.0.0.1:65536/v1/traces")
        err = done.stderr.decode()
        self.assertIn("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", err)
        self.assertNotIn("exporting to", err)

    def test_sender_module_missing_is_reported_and_export_is_off(self):
        # An install with the OTLP module but not its sender beside it
        # (libcurl's side): a process that posts itself (in-process) or the
        # agent's relay (traceshim run) says so, and the program is
        # unchanged. With the sender there, the spans arrive.
        import shutil
        build = os.path.dirname(tracelib.shim_library())
        libdir = os.path.join(self.tmp.name, "lib")
        os.mkdir(libdir)
        for name in ("libtraceshim.so", "libtraceshim-otlp.so"):
            shutil.copy(os.path.join(build, name), libdir)
        in_process = os.environ.get("TRACESHIM_AGENT") == "off"
        if not in_process:   # the agent finds the library next to itself
            shutil.copy(tracelib.traceshim_cli(), libdir)
        url = "http://127.0.0.1:%d" % self.port
        argv = ["sh", "-c", "echo hi; exit 3"]
        for sender in (False, True):
            with self.subTest(sender=sender):
                if sender:
                    shutil.copy(os.path.join(build, "libtraceshim-otlp-send.so"), libdir)
                Receiver.reset()
                if in_process:
                    first = os.environ.get("TRACESHIM_PRELOAD_FIRST", "").split()
                    preload = " ".join(first + [os.path.join(libdir, "libtraceshim.so")])
                    done, _ = self.run_env(argv, LD_PRELOAD=preload, TRACESHIM_AGENT="off",
                                           OTEL_EXPORTER_OTLP_ENDPOINT=url)
                    lines = done.stderr.decode().splitlines()
                else:
                    done = run_with(libdir, url, argv)
                    lines = [line for line in done.stderr.decode().splitlines()
                             if "spans exported to" not in line]   # traceshim run's summary
                self.assertEqual(done.returncode, 3)
                self.assertEqual(done.stdout, b"hi\n")
                if sender:
                    self.assertEqual(lines, [])
                    self.assertTrue(Export(Receiver.bodies).named("sh"))
                else:
                    self.assertTrue(lines)
                    for line in lines:
                        self.assertRegex(line, r"(OTLP export is off|the OTLP relay cannot "
                                               r"start): .*libtraceshim-otlp-send\.so")
                    if in_process:
                        self.assertEqual(len(lines), 1, lines)
                    self.assertEqual(Receiver.requests, [])

    def test_otlp_module_missing_is_reported_once(self):
        # An install with the library but not the OTLP module beside it:
        # every mode says so once for the whole tree (the agent's stderr is
        # none the user sees when a traced process started it), the
        # program is unchanged, and a trace file still asked for is written.
        import shutil
        build = os.path.dirname(tracelib.shim_library())
        libdir = os.path.join(self.tmp.name, "lib")
        os.mkdir(libdir)
        shutil.copy(os.path.join(build, "libtraceshim.so"), libdir)
        shutil.copy(tracelib.traceshim_cli(), libdir)   # the agent, found next to the library
        first = os.environ.get("TRACESHIM_PRELOAD_FIRST", "").split()
        preload = " ".join(first + [os.path.join(libdir, "libtraceshim.so")])
        url = "http://127.0.0.1:%d" % self.port
        argv = ["sh", "-c", "/bin/true; /bin/true; sh -c /bin/true; echo hi; exit 3"]
        for mode in ("auto", "off", "run", "auto+file"):
            with self.subTest(mode=mode):
                Receiver.reset()
                trace = os.path.join(self.tmp.name, "both.%s.pftrace" % mode)
                if mode == "run":
                    done = run_with(libdir, url, argv)
                    lines = [line for line in done.stderr.decode().splitlines()
                             if not line.startswith("traceshim: ")]   # run's own summary
                else:
                    extra = {"TRACESHIM_OUTPUT": trace} if mode == "auto+file" else {}
                    done, _ = self.run_env(argv, LD_PRELOAD=preload,
                                           TRACESHIM_AGENT=mode.split("+")[0],
                                           OTEL_EXPORTER_OTLP_ENDPOINT=url, **extra)
                    lines = done.stderr.decode().splitlines()
                self.assertEqual(done.returncode, 3)
                self.assertEqual(done.stdout, b"hi\n")
                self.assertEqual(len(lines), 1, lines)
                self.assertRegex(lines[0], r"OTLP export is off: .*libtraceshim-otlp\.so: "
                                           r"cannot open shared object file")
                self.assertEqual(Receiver.requests, [])
                if mode == "auto+file":
                    with open(trace, "rb") as f:
                        data = f.read()
                    self.assertTrue(b"process.executable.name" in data and b"true" in data)

    def test_malformed_values_are_reported_once_per_run(self):
        script = "/bin/true; /bin/true; sh -c /bin/true; echo done"
        done, _ = self.run_env(["sh", "-c", script],
                               OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:%d" % self.port,
                               OTEL_TRACES_SAMPLER="traceidratio", OTEL_TRACES_SAMPLER_ARG="half",
                               OTEL_BSP_SCHEDULE_DELAY="soon")
        self.assertEqual(done.stdout, b"done\n")
        err = done.stderr.decode().splitlines()
        arg = [l for l in err if "OTEL_TRACES_SAMPLER_ARG" in l]
        self.assertEqual(len(arg), 1, err)
        self.assertIn("'half'", arg[0])
        self.assertEqual(len([l for l in err if "OTEL_BSP_SCHEDULE_DELAY" in l]), 1, err)
        self.assertEqual(len(err), 2, err)

    def test_malformed_trace_context_is_reported_once_per_run(self):
        parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        for extra, word in (({"TRACEPARENT": "00-nothex-01"}, "TRACEPARENT"),
                            ({"TRACEPARENT": parent, "TRACESTATE": "Upper=1"}, "TRACESTATE")):
            done, _ = self.run_env(["sh", "-c", "/bin/true; /bin/true; echo done"],
                                   TRACESHIM_OUTPUT=os.path.join(self.tmp.name, "t.pftrace"),
                                   **extra)
            self.assertEqual(done.stdout, b"done\n")
            err = done.stderr.decode().splitlines()
            self.assertEqual(len(err), 1, err)
            self.assertIn(word, err[0])
            self.assertIn(list(extra.values())[-1], err[0])

    # ------------------------------------------------------------ end to end
    def test_thread_renamed_after_its_span_began(self):
        # The consumer sees the thread (it drains every 20 ms) before the
        # thread names itself: the span still ends with the name it had.
        code = ("import ctypes, threading, time\n"
                "libc = ctypes.CDLL(None)\n"
                "libc.pthread_self.restype = ctypes.c_ulong\n"
                "libc.pthread_setname_np.argtypes = [ctypes.c_ulong, ctypes.c_char_p]\n"
                "def work():\n"
                "    time.sleep(0.3)\n"
                "    libc.pthread_setname_np(libc.pthread_self(), b'renamed-late')\n"
                "    open('/etc/hostname').read()\n"
                "t = threading.Thread(target=work); t.start(); t.join()\n")
        self.run_traced([sys.executable, "-c", code], TRACESHIM_FLUSH_MS="20")
        ex = Export(Receiver.bodies)
        names = [s["attrs"].get("thread.name") for s in ex.spans if s["attrs"].get("thread.id")]
        self.assertIn("renamed-late", names)

    def test_end_to_end_through_traceshim_collect(self):
        cli = os.environ.get("TRACESHIM_CLI")
        if not cli:
            self.skipTest("traceshim collect is not built")
        port = tracelib.free_loopback_port()
        out = os.path.join(self.tmp.name, "collected.pftrace")
        collect = subprocess.Popen([cli, "collect", "--listen", "127.0.0.1:%d" % port, "-o", out],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            tracelib.wait_for_port(port, collect)
            os.mkdir(os.path.join(self.tmp.name, "d"))
            self.run_traced([prog("threads_io"), "d"], port=port, **EVERY_CALL)
        finally:
            collect.send_signal(signal.SIGTERM)
            collect.wait(timeout=30)
            collect.stderr.close()
        trace = tracelib.load_trace(out, thread_lanes=False)
        self.assertIn("threads_io", trace.processes.values())
        self.assertGreaterEqual(len(trace.slices_named("write")), 4000)
        # Each worker's 1000 writes sit inside its thread span, or, having
        # arrived in an earlier request than their parent, get an arrow from it.
        workers = [s for s in trace.slices if s.args.get("thread.name", "").startswith("worker-")]
        self.assertEqual(len(workers), 4)
        for w in workers:
            linked = [c for c in trace.descendants(w) if c.name == "write"]
            linked += [c for f in trace.flows_from(w) for c in f.slices[1:] if c.name == "write"]
            self.assertGreaterEqual(len(linked), 1000)


if __name__ == "__main__":
    unittest.main()
