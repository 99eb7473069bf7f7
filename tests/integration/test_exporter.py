#!/usr/bin/env python3
"""The OTLP/HTTP sender against a loopback receiver that misbehaves on
purpose: Retry-After, 429, a final 400, refused connections, a receiver that
never answers; plus gzip, headers, and what arrived decoded with protoc."""

import gzip
import os
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


class Receiver(tracelib.OtlpHandler):
    """Answers by path: /ok, /retry-after (503 + Retry-After: 1 once),
    /busy (429 once), /bad (400), /hang (reads, never answers)."""
    seen = []      # (path, headers, body) of every request
    calls = {}

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        Receiver.seen.append((self.path, dict(self.headers), body))
        n = Receiver.calls[self.path] = Receiver.calls.get(self.path, 0) + 1
        if self.path == "/hang":
            threading.Event().wait(5)
            return
        if self.path == "/retry-after" and n == 1:
            self.answer(503, {"Retry-After": "1"})
        elif self.path == "/busy" and n == 1:
            self.answer(429)
        elif self.path == "/bad":
            self.answer(400)
        else:
            self.answer(200)


def probe():
    path = os.environ.get("TRACESHIM_SEND_PROBE")
    if not path or not os.access(path, os.X_OK):
        raise AssertionError("TRACESHIM_SEND_PROBE must name the built send_probe")
    return path


class TestExporter(tracelib.LoopbackReceiver, unittest.TestCase):
    handler = Receiver

    def send(self, path, deadline_ms=3000, port=None, **env):
        full = dict(os.environ, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://127.0.0.1:%d%s" % (
            port or self.port, path), **env)
        out = subprocess.run([probe(), str(deadline_ms)], env=full, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, check=True, timeout=30).stdout.decode()
        return dict(kv.split("=") for kv in out.split())

    def test_ok_and_body_decodes(self):
        Receiver.seen.clear()
        r = self.send("/ok")
        self.assertEqual((r["result"], r["attempts"], r["status"]), ("0", "1", "200"))
        path, headers, body = Receiver.seen[-1]
        self.assertEqual(headers.get("Content-Type"), "application/x-protobuf")
        text = subprocess.run(
            ["protoc", "-I", os.path.join(ROOT, "proto", "otlp"),
             "--decode=opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest",
             "otlp_trace_service.proto"], input=body, stdout=subprocess.PIPE, check=True).stdout.decode()
        self.assertIn('name: "outer"', text)
        self.assertIn('name: "inner"', text)
        self.assertIn('string_value: "probe"', text)

    def test_retry_after_is_honoured(self):
        r = self.send("/retry-after")
        self.assertEqual((r["result"], r["attempts"], r["status"]), ("0", "2", "200"))
        self.assertGreaterEqual(int(r["elapsed_ms"]), 900)

    def test_429_is_retried(self):
        r = self.send("/busy")
        self.assertEqual((r["result"], r["attempts"]), ("0", "2"))

    def test_400_is_final(self):
        r = self.send("/bad")
        self.assertEqual((r["result"], r["attempts"], r["status"]), ("1", "1", "400"))

    def test_refused_gives_up_by_the_deadline(self):
        port = tracelib.free_loopback_port()
        r = self.send("/ok", deadline_ms=1500, port=port)
        self.assertEqual(r["result"], "-1")
        self.assertGreaterEqual(int(r["attempts"]), 2)
        self.assertLess(int(r["elapsed_ms"]), 1600)

    def test_never_answering_receiver_is_bounded(self):
        r = self.send("/hang", deadline_ms=1200, OTEL_EXPORTER_OTLP_TIMEOUT="300")
        self.assertEqual(r["result"], "-1")
        self.assertLess(int(r["elapsed_ms"]), 1500)

    def test_gzip_and_headers(self):
        Receiver.seen.clear()
        r = self.send("/ok", OTEL_EXPORTER_OTLP_COMPRESSION="gzip",
                      OTEL_EXPORTER_OTLP_HEADERS="x-api-key=secret%20value,x-team=a")
        self.assertEqual(r["result"], "0")
        _, headers, body = Receiver.seen[-1]
        self.assertEqual(headers.get("Content-Encoding"), "gzip")
        self.assertEqual(headers.get("x-api-key"), "secret value")
        self.assertEqual(headers.get("x-team"), "a")
        self.assertIn(b"outer", gzip.decompress(body))


if __name__ == "__main__":
    unittest.main()
