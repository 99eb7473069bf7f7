#!/usr/bin/env python3
"""traceshim collect and convert: OTLP/HTTP bodies made by protoc (an
independent encoder) and sent by curl become a Perfetto trace; bad requests
get the protocol's answers and never stop the receiver."""

import gzip
import os
import signal
import subprocess
import sys
import tempfile
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
        self.proc.wait()
        self.proc.stderr.close()
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


if __name__ == "__main__":
    unittest.main()
