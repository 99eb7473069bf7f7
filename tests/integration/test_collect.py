#!/usr/bin/env python3
"""traceshim collect and convert: OTLP/HTTP bodies made by protoc (an
independent encoder) and sent by curl become a Perfetto trace; bad requests
get the protocol's answers and never stop the receiver."""

import gzip
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OTLP_PROTO = os.path.join(ROOT, "proto", "otlp")
TRACE_ID = "\\001\\002\\003\\004\\005\\006\\007\\010\\011\\012\\013\\014\\015\\016\\017\\020"


def span(sid, name, start, end, parent=None, extra=""):
    parent_field = ' parent_span_id: "\\000\\000\\000\\000\\000\\000\\000\\%03o"' % parent if parent else ""
    return ('spans { trace_id: "%s" span_id: "\\000\\000\\000\\000\\000\\000\\000\\%03o"%s '
            'name: "%s" start_time_unix_nano: %d end_time_unix_nano: %d %s }'
            % (TRACE_ID, sid, parent_field, name, start, end, extra))


REQUEST_TEXT = """
resource_spans {
  resource { attributes { key: "service.name" value { string_value: "shop" } } }
  scope_spans {
    scope { name: "test" }
    %s
    %s
    %s
  }
}
""" % (span(1, "GET /cart", 1700000000000000000, 1700000000100000000, extra="kind: SPAN_KIND_SERVER"),
       span(2, "SELECT", 1700000000010000000, 1700000000060000000, parent=1,
            extra='status { code: STATUS_CODE_ERROR message: "deadlock" }'),
       span(3, "fetch", 1700000000050000000, 1700000000090000000, parent=1))


def encode_request():
    return subprocess.run(
        ["protoc", "-I", OTLP_PROTO,
         "--encode=opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest",
         "otlp_trace_service.proto"],
        input=REQUEST_TEXT.encode(), stdout=subprocess.PIPE, check=True).stdout


def encode_text(text):
    return subprocess.run(
        ["protoc", "-I", OTLP_PROTO,
         "--encode=opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest",
         "otlp_trace_service.proto"],
        input=text.encode(), stdout=subprocess.PIPE, check=True).stdout


def request_of(service, *spans):
    """An ExportTraceServiceRequest of one service holding spans (span() texts)."""
    return encode_text(
        'resource_spans { resource { attributes { key: "service.name" value { string_value: "%s" } } } '
        'scope_spans { scope { name: "test" } %s } }' % (service, " ".join(spans)))


def cli():
    path = os.environ.get("TRACESHIM_CLI")
    if not path or not os.access(path, os.X_OK):
        raise AssertionError("TRACESHIM_CLI must name the built traceshim command")
    return path


class TestCollect(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="traceshim-collect-")
        self.out = os.path.join(self.tmp.name, "collected.pftrace")
        self.port = tracelib.free_loopback_port()
        self.proc = subprocess.Popen(
            [cli(), "collect", "--listen", "127.0.0.1:%d" % self.port, "-o", self.out,
             "--max-body", "100000"], stderr=subprocess.PIPE)
        tracelib.wait_for_port(self.port, self.proc)

    def tearDown(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()
        self.tmp.cleanup()

    def post(self, body, *headers, path="/v1/traces"):
        name = os.path.join(self.tmp.name, "body.bin")
        with open(name, "wb") as f:
            f.write(body)
        args = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                "-H", "Content-Type: application/x-protobuf", "--data-binary", "@" + name]
        for h in headers:
            args += ["-H", h]
        return subprocess.run(args + ["http://127.0.0.1:%d%s" % (self.port, path)],
                              stdout=subprocess.PIPE, check=True, timeout=30).stdout.decode()

    def test_requests_become_a_trace(self):
        body = encode_request()
        self.assertEqual(self.post(body), "200")
        self.assertEqual(self.post(gzip.compress(body), "Content-Encoding: gzip"), "200")
        self.assertEqual(self.post(body, "Transfer-Encoding: chunked"), "200")
        self.assertEqual(self.post(b"\x0a\xff\xff\xff\xff\x0f junk"), "400")
        self.assertEqual(self.post(gzip.compress(b"\0" * 10_000_000), "Content-Encoding: gzip"), "413")
        self.assertEqual(self.post(b"\0" * 200_000), "413")
        self.assertEqual(self.post(b"\0" * 300_000, "Transfer-Encoding: chunked"), "413")
        self.assertEqual(self.post(body, "Content-Encoding: br"), "415")
        self.assertEqual(self.post(body, path="/elsewhere"), "404")
        self.assertEqual(self.post(body), "200")   # still serving after all that
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=10), 0)

        trace = tracelib.load_trace(self.out)
        self.assertEqual(tracelib.structural_errors(trace), [])
        self.assertEqual(list(trace.processes.values()), ["shop"])
        names = sorted(s.name for s in trace.slices if not s.is_instant)
        self.assertEqual(names, sorted(["GET /cart", "SELECT", "fetch"] * 4))
        failed = [s for s in trace.slices if s.name == "SELECT"]
        self.assertTrue(all(s.args.get("otel.status_code") == "ERROR" for s in failed))
        # SELECT and fetch overlap: never on the same track.
        for s in trace.slices_of(name="fetch"):
            for t in trace.slices_of(name="SELECT"):
                if s.track_uuid == t.track_uuid:
                    self.assertTrue(s.ts >= t.ts + t.dur or t.ts >= s.ts + s.dur)

    def test_convert_saved_body(self):
        self.proc.kill()
        body_path = os.path.join(self.tmp.name, "saved.pb")
        with open(body_path, "wb") as f:
            f.write(gzip.compress(encode_request()))
        out = os.path.join(self.tmp.name, "converted.pftrace")
        subprocess.run([cli(), "convert", body_path, out], check=True, stderr=subprocess.PIPE)
        trace = tracelib.load_trace(out)
        self.assertEqual(tracelib.structural_errors(trace), [])
        self.assertEqual(len([s for s in trace.slices if not s.is_instant]), 3)
        bad = subprocess.run([cli(), "convert", "/dev/null/nope", out], stderr=subprocess.PIPE)
        self.assertNotEqual(bad.returncode, 0)


T0 = 1700000000000000000


class CollectorMixin:
    """Starts traceshim collect on a free loopback port, with extra arguments."""

    def start(self, *extra, out=None):
        self.out = out or os.path.join(self.tmp.name, "collected.pftrace")
        self.port = tracelib.free_loopback_port()
        self.proc = subprocess.Popen(
            [cli(), "collect", "--listen", "127.0.0.1:%d" % self.port, "-o", self.out] + list(extra),
            stderr=subprocess.PIPE)
        tracelib.wait_for_port(self.port, self.proc)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=10)
        self.assertEqual(self.proc.returncode, 0)
        return err.decode()

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="traceshim-collect-")
        self.proc = None
        self.socks = []

    def tearDown(self):
        for s in self.socks:
            s.close()
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.communicate()
        self.tmp.cleanup()

    def post(self, body, *headers, timeout=30):
        name = os.path.join(self.tmp.name, "body.bin")
        with open(name, "wb") as f:
            f.write(body)
        args = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "-X", "POST", "--max-time", str(timeout),
                "-H", "Content-Type: application/x-protobuf", "--data-binary", "@" + name]
        for h in headers:
            args += ["-H", h]
        out = subprocess.run(args + ["http://127.0.0.1:%d/v1/traces" % self.port],
                             stdout=subprocess.PIPE, timeout=timeout + 10).stdout.decode(errors="replace")
        text, _, code = out.rpartition("\n")
        return code, text

    def idle(self, n, first_bytes=b""):
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            if first_bytes:
                s.sendall(first_bytes)
            self.socks.append(s)

    def raw(self, data, timeout=10):
        """Sends data on a fresh connection; what the receiver answers until it closes."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(data)
            got = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return got
                got += chunk


class TestServing(CollectorMixin, unittest.TestCase):
    """Clients that connect and say nothing, or too little, never stop the
    receiver from serving others."""

    def test_idle_connections_do_not_delay_a_good_client(self):
        self.start("--timeout", "30")
        self.idle(1)
        self.idle(1, b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
        self.assertEqual(self.post(encode_request(), timeout=10)[0], "200")
        self.idle(100)
        self.assertEqual(self.post(encode_request(), timeout=10)[0], "200")
        self.stop()
        trace = tracelib.load_trace(self.out)
        self.assertEqual(tracelib.structural_errors(trace, thread_lanes=False), [])
        self.assertEqual(len([s for s in trace.slices if not s.is_instant]), 6)

    def test_concurrent_clients_write_whole_requests(self):
        """Six clients at once, four requests each on one connection: every
        request lands whole in the file."""
        self.start()
        bodies = [request_of("svc%d" % (i % 3), span(1, "r%d" % i, T0 + i * 1000, T0 + i * 1000 + 500),
                             span(2, "c%d" % i, T0 + i * 1000 + 10, T0 + i * 1000 + 20, parent=1))
                  for i in range(24)]
        codes = []

        def client(k):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                for body in bodies[k::6]:
                    conn.request("POST", "/v1/traces", body, {"Content-Type": "application/x-protobuf"})
                    answer = conn.getresponse()
                    answer.read()
                    codes.append(answer.status)
            finally:
                conn.close()
        threads = [threading.Thread(target=client, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(codes, [200] * 24)
        self.stop()
        trace = tracelib.load_trace(self.out)
        self.assertEqual(tracelib.structural_errors(trace, thread_lanes=False), [])
        self.assertEqual(sorted(s.name for s in trace.slices),
                         sorted(["r%d" % i for i in range(24)] + ["c%d" % i for i in range(24)]))

    def test_slow_client_times_out(self):
        self.start("--timeout", "1")
        start = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.port), timeout=20) as s:
            s.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\n")
            while s.recv(4096):   # a 408 may come first; then the receiver closes
                pass
        self.assertLess(time.monotonic() - start, 20)
        self.assertEqual(self.post(encode_request(), timeout=10)[0], "200")

    def test_trickling_client_is_cut_off(self):
        """A byte now and then keeps a connection from being idle: the whole
        request still has to arrive within 6 timeouts."""
        self.start("--timeout", "1")
        start = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.3) as s:
            request = b"POST /v1/traces HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200
            closed = False
            for byte in request:
                try:
                    s.sendall(bytes([byte]))
                    if s.recv(4096) == b"":
                        closed = True
                        break
                except socket.timeout:
                    pass
                except OSError:
                    closed = True
                    break
                if time.monotonic() - start > 30:
                    break
            self.assertTrue(closed, "still open after %.1f s" % (time.monotonic() - start))
        self.assertEqual(self.post(encode_request(), timeout=10)[0], "200")

    def test_header_line_without_colon_is_refused(self):
        self.start()
        answer = self.raw(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n"
                          b"Content-Length: 0\r\n\r\n")
        self.assertTrue(answer.startswith(b"HTTP/1.1 400"), answer[:80])

    def test_ambiguous_framing_is_refused(self):
        self.start()
        for head in [b"Content-Length: 5\r\nTransfer-Encoding: chunked",
                     b"Content-Length: 3\r\nContent-Length: 4", b"Content-Length: -1",
                     b"X-Big: " + b"a" * 70000]:
            answer = self.raw(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n\r\n0\r\n\r\n")
            self.assertRegex(answer[:12], rb"HTTP/1.1 4(00|31)", head[:40])

    def test_write_error_is_answered_and_reported_once(self):
        self.start(out="/dev/full")
        for _ in range(2):
            code, text = self.post(encode_request())
            self.assertIn(code, ("500", "503"))
            self.assertIn("space", text.lower())
        err = self.stop()
        self.assertEqual(err.count("No space left on device"), 1, err)

    def test_bad_listen_addresses_are_refused(self):
        for spec in ["127.0.0.1:99999", "127.0.0.1:65536", "127.0.0.1:", "127.0.0.1", ":4318x",
                     "127.0.0.1:-1", "127.0.0.1:0x50", "[::1", "127.0.0.1: 80", "127.0.0.1:0"]:
            r = subprocess.run([cli(), "collect", "--listen", spec, "-o", os.path.join(self.tmp.name, "x")],
                               stderr=subprocess.PIPE, timeout=10)
            self.assertEqual(r.returncode, 2, spec)
            self.assertIn(b"--listen", r.stderr, spec)


class TestHostileInput(CollectorMixin, unittest.TestCase):
    """Whatever comes in, the trace imports cleanly."""

    def convert(self, body):
        path = os.path.join(self.tmp.name, "in.pb")
        with open(path, "wb") as f:
            f.write(body)
        out = os.path.join(self.tmp.name, "out.pftrace")
        r = subprocess.run([cli(), "convert", path, out], stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return tracelib.load_trace(out), r.stderr.decode()

    def test_child_starting_before_its_parent(self):
        trace, _ = self.convert(request_of("svc", span(1, "parent", T0 + 1000, T0 + 2000),
                                           span(2, "early child", T0 + 900, T0 + 1500, parent=1),
                                           span(3, "same start", T0 + 1000, T0 + 2500, parent=1)))
        self.assertEqual(tracelib.structural_errors(trace, thread_lanes=False), [])
        self.assertEqual(len(trace.slices), 3)

    def test_repeated_span_ids_and_shared_pids(self):
        """Two children with one span id, on lanes of their own; two services
        claiming one pid, the second starting earlier."""
        pid = 'attributes { key: "process.pid" value { int_value: 77 } }'
        text = " ".join(
            'resource_spans { resource { attributes { key: "service.name" value { string_value: "%s" } } %s } '
            'scope_spans { %s } }' % (name, pid, " ".join(spans)) for name, spans in [
                ("first", [span(1, "parent", T0 + 1000, T0 + 2000),
                           span(5, "twin a", T0 + 1100, T0 + 2100, parent=1),
                           span(5, "twin b", T0 + 1200, T0 + 2200, parent=1)]),
                ("second", [span(9, "elsewhere", T0, T0 + 10)])])
        trace, _ = self.convert(encode_text(text))
        self.assertEqual(tracelib.structural_errors(trace, thread_lanes=False), [])
        self.assertEqual(len(trace.slices), 4)
        self.assertEqual(sorted(trace.processes.values()), ["first", "second"])

    def test_absurd_timestamps(self):
        big = 1 << 63
        trace, err = self.convert(request_of(
            "svc", span(1, "fine", T0, T0 + 100),
            span(2, "start past int64", big + 5, big + 10),
            span(3, "end past int64", T0 + 10, (1 << 64) - 1),
            span(4, "ends before it starts", T0 + 50, T0 + 20),
            span(5, "zero", 0, 0)))
        self.assertEqual(tracelib.structural_errors(trace, thread_lanes=False), [])
        names = sorted(s.name for s in trace.slices)
        self.assertEqual(names, ["end past int64", "ends before it starts", "fine"])
        self.assertTrue(all(s.ts < (1 << 63) and s.dur >= 0 for s in trace.slices))
        self.assertIn("2 spans skipped", err)

    def test_deep_nesting_stays_importable(self):
        spans = [span(1 + i % 250, "d%d" % i, T0 + i, T0 + 10000 - i) for i in range(600)]
        trace, _ = self.convert(request_of("svc", *spans))
        self.assertEqual(tracelib.structural_errors(trace, thread_lanes=False), [])
        self.assertEqual(len(trace.slices), 600)

    def test_snapshots_never_go_back(self):
        self.start()
        self.assertEqual(self.post(request_of("late", span(1, "a", T0 + 10**9, T0 + 2 * 10**9)))[0], "200")
        self.assertEqual(self.post(request_of("early", span(2, "b", T0, T0 + 10)))[0], "200")
        self.stop()
        # Appended by a second run: its snapshots follow the file's.
        self.start()
        self.assertEqual(self.post(request_of("earlier", span(3, "c", T0 - 10**9, T0 - 10)))[0], "200")
        self.stop()
        trace = tracelib.load_trace(self.out)
        self.assertEqual(tracelib.structural_errors(trace, thread_lanes=False), [])
        self.assertEqual(sorted(s.name for s in trace.slices), ["a", "b", "c"])
        self.assertEqual(sorted(trace.processes.values()), ["earlier", "early", "late"])

    def test_runs_appending_to_one_file_keep_their_lanes_apart(self):
        for i in range(2):
            self.start(out=os.path.join(self.tmp.name, "shared.pftrace"))
            self.assertEqual(self.post(request_of("svc", span(1, "run%d" % i, T0 + i, T0 + 100 + i),
                                                  span(2, "x%d" % i, T0 + 50, T0 + 60)))[0], "200")
            self.stop()
        trace = tracelib.load_trace(self.out)
        self.assertEqual(tracelib.structural_errors(trace, thread_lanes=False), [])
        self.assertEqual(sorted((s.name, s.dur) for s in trace.slices),
                         [("run0", 100), ("run1", 100), ("x0", 10), ("x1", 10)])

    def test_convert_refuses_what_is_not_a_file(self):
        out = os.path.join(self.tmp.name, "out.pftrace")
        for src, word in [(self.tmp.name, "directory"), ("/dev/zero", "larger than")]:
            r = subprocess.run([cli(), "convert", src, out], stderr=subprocess.PIPE, timeout=60)
            self.assertNotEqual(r.returncode, 0, src)
            self.assertIn(word, r.stderr.decode(), src)
            self.assertNotIn("Success", r.stderr.decode(), src)

    def test_run_and_agent_do_not_map_the_receiver(self):
        # collect's HTTP server and decoder live in their own module: the
        # command maps them for collect and convert only.
        lib_dir = os.path.dirname(os.path.dirname(os.path.realpath(cli())))
        module = os.path.join(lib_dir, "libtraceshim-collect.so")
        self.assertTrue(os.path.exists(module), module)
        needed = subprocess.run(["ldd", cli()], stdout=subprocess.PIPE, timeout=60).stdout.decode()
        for lib in ("libmicrohttpd", "libprotobuf-c", "libgnutls", "libcurl"):
            self.assertNotIn(lib, needed)

    def test_collect_without_its_module_says_so(self):
        # The command alone next to the library, without the module.
        solo = os.path.join(self.tmp.name, "solo")
        os.makedirs(os.path.join(solo, "cli"))
        exe = os.path.join(solo, "cli", "traceshim")
        with open(cli(), "rb") as src, open(exe, "wb") as dst:
            dst.write(src.read())
        os.chmod(exe, 0o755)
        lib = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(cli()))),
                           "libtraceshim.so")
        with open(lib, "rb") as src, open(os.path.join(solo, "libtraceshim.so"), "wb") as dst:
            dst.write(src.read())
        for argv in (["collect", "--listen", "127.0.0.1:1"], ["convert", "a.pb", "b.pftrace"]):
            r = subprocess.run([exe] + argv, stderr=subprocess.PIPE, timeout=20)
            self.assertEqual(r.returncode, 2, argv)
            err = r.stderr.decode()
            self.assertIn("libtraceshim-collect.so", err)
            self.assertIn("cannot load", err)


if __name__ == "__main__":
    unittest.main()
