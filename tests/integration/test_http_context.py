#!/usr/bin/env python3
"""The trace crosses the wire: curl and a Python HTTP/1.1 server, both under
the shim, exporting OTLP to one receiver and writing one Perfetto file. Each
request is a CLIENT span and a SERVER span; the server span is the client
span's child in the client's trace (the shim added traceparent to the
request), and in the Perfetto file an arrow goes from one to the other. The
program's own traceparent is never doubled, TRACESHIM_HTTP_INJECT=false sends
requests unchanged, and what the programs print is the same as without the
shim."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402
from test_shim_otlp import Export, Receiver  # noqa: E402

# An HTTP/1.1 server (keep-alive) that notes the traceparent headers of each
# request it gets, one line per request: "path headers".
SERVER = r'''
import http.server, os, sys
class H(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def note(self):
        with open(os.environ["SEEN"], "a") as f:
            f.write("%s %r\n" % (self.path, self.headers.get_all("traceparent") or []))
    def do_GET(self):
        self.note()
        super().do_GET()
    def do_POST(self):
        self.note()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        reply = b"got %d bytes: %s" % (len(body), body[:20])
        self.send_response(201)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
if os.environ.get("CERT"):   # HTTPS
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.environ["CERT"], os.environ["KEY"])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
'''

CALLER = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


class HttpContext(tracelib.LoopbackReceiver, unittest.TestCase):
    handler = Receiver

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.www = os.path.join(self.tmp.name, "www")
        os.mkdir(self.www)
        with open(os.path.join(self.www, "a.txt"), "w") as f:
            f.write("hello\n")
        with open(os.path.join(self.www, "b.txt"), "w") as f:
            f.write("world\n")
        self.seen = os.path.join(self.tmp.name, "seen")
        self.trace = os.path.join(self.tmp.name, "both.pftrace")
        self.run_dir = tracelib.private_run_dir(self.tmp.name)
        Receiver.reset()

    def env(self, **extra):
        env = tracelib.clean_env({
            "LD_PRELOAD": tracelib.shim_preload(),
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % self.port,
            "TRACESHIM_OUTPUT": self.trace, "TRACESHIM_RUN_DIR": self.run_dir,
            "SEEN": self.seen})
        env.update(extra)
        return env

    def start_server(self, **extra):
        port = tracelib.free_loopback_port()
        script = os.path.join(self.tmp.name, "server.py")
        with open(script, "w") as f:
            f.write(SERVER)
        proc = subprocess.Popen([sys.executable, script, str(port)], cwd=self.www,
                                env=self.env(**extra), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        self.addCleanup(self.stop, proc)
        tracelib.wait_for_port(port, proc)
        return proc, port

    def stop(self, proc):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        proc.stderr.close()

    def curl(self, args, **extra):
        """curl traced; what it prints is checked by the caller against what
        the server serves."""
        tracelib.skip_under_sanitizer(self, "curl", "hangs")
        done = subprocess.run(["curl", "-s", "-S"] + args, env=self.env(**extra),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done

    def finish(self, server):
        """Stops the server and waits until every span is exported."""
        self.stop(server)
        self.assertTrue(tracelib.wait_for_agent(self.run_dir))
        return Export(Receiver.bodies)

    def seen_headers(self):
        with open(self.seen) as f:
            return [line.split(" ", 1) for line in f.read().splitlines()]

    def http_spans(self, export, kind):
        return [s for s in export.spans
                if s["kind"] == kind and "http.request.method" in s["attrs"]]

    def test_each_request_is_a_client_and_a_server_span_in_one_trace(self):
        server, port = self.start_server()
        base = "http://127.0.0.1:%d/" % port
        # Two URLs on one keep-alive connection, then a missing one.
        out = self.curl([base + "a.txt", base + "b.txt", base + "missing"])
        self.assertTrue(out.stdout.startswith(b"hello\nworld\n"))
        self.assertIn(b"404", out.stdout)
        export = self.finish(server)
        clients = self.http_spans(export, "SPAN_KIND_CLIENT")
        servers = self.http_spans(export, "SPAN_KIND_SERVER")
        self.assert_parents_exported(export)
        self.assertEqual(sorted(s["attrs"]["url.full"] for s in clients),
                         [base + "a.txt", base + "b.txt", base + "missing"])
        self.assertEqual(sorted(s["attrs"]["url.path"] for s in servers),
                         ["/a.txt", "/b.txt", "/missing"])
        by_id = {s["id"]: s for s in clients}
        for srv in servers:
            path = srv["attrs"]["url.path"]
            cli = by_id.get(srv["parent"])
            self.assertIsNotNone(cli, "the server span of %s has no client parent" % path)
            self.assertEqual(cli["attrs"]["url.full"], base + path[1:])
            self.assertEqual(srv["trace"], cli["trace"])
            status = 404 if path == "/missing" else 200
            for s in (cli, srv):
                self.assertEqual(s["name"], "GET")
                self.assertEqual(s["attrs"]["http.request.method"], "GET")
                self.assertEqual(s["attrs"]["http.response.status_code"], status)
            self.assertEqual(cli["attrs"]["traceshim.http.traceparent"], "injected")
            # A 404 is a client's error, not the server's.
            self.assertEqual(cli["status"], "STATUS_CODE_ERROR" if status == 404
                             else "STATUS_CODE_UNSET")
            self.assertEqual(srv["status"], "STATUS_CODE_UNSET")
            if status == 404:
                self.assertEqual(cli["attrs"]["error.type"], "404")
            # Each end names the other: the server's peer is the client.
            self.assertEqual(cli["attrs"]["network.peer.port"], port)
            self.assertEqual(srv["attrs"].get("client.address"), "127.0.0.1", srv["attrs"])
            self.assertIsInstance(srv["attrs"]["client.port"], int)
        # The server's work for a request is under its span, in its trace:
        # the file it opened for /a.txt, a quick call counted on the span
        # (roll-ups) unless it took long enough to be a span of its own.
        srv_a = next(s for s in servers if s["attrs"]["url.path"] == "/a.txt")
        opens = [s for s in export.spans if s["name"] == "open"
                 and s["attrs"].get("file.path", "").endswith("/a.txt")]
        self.assertGreaterEqual(len(opens) + srv_a["attrs"].get("traceshim.calls.open.count", 0), 1,
                                srv_a["attrs"])
        self.assertTrue(all(o["parent"] == srv_a["id"] and o["trace"] == srv_a["trace"]
                            for o in opens))
        # Each request carried exactly one traceparent, the client span's.
        for path, headers in self.seen_headers():
            tp = eval(headers)  # a list repr written by the server
            self.assertEqual(len(tp), 1, path)
            cli = next(s for s in clients if s["attrs"]["url.full"] == base + path[1:])
            self.assertEqual(tp[0], "00-%s-%s-01" % (cli["trace"].hex(), cli["id"].hex()))
        # In the Perfetto file, an arrow from each client span to its server span.
        trace = tracelib.load_trace(self.trace)
        gets = trace.slices_named("GET")
        self.assertEqual(len(gets), 6)
        arrows = 0
        for s in gets:
            for flow in trace.flows_from(s):
                target = flow.slices[-1]
                if target.name == "GET":
                    arrows += 1
                    self.assertNotEqual(trace.process_of(s), trace.process_of(target))
        self.assertEqual(arrows, 3)

    def https_server(self):
        """The server over TLS, with a self-signed certificate."""
        if shutil.which("openssl") is None:
            self.skipTest("the openssl command is not installed")
        cert, key = (os.path.join(self.tmp.name, n) for n in ("cert.pem", "key.pem"))
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "2", "-subj", "/CN=127.0.0.1"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self.start_server(CERT=cert, KEY=key)

    def assert_parents_exported(self, export):
        """Every span's parent was exported too (the roots' but the
        processes'): a span under a TLS call (the client span, begun in
        SSL_write) keeps that call a span, roll-ups or not."""
        ids = {s["id"] for s in export.spans}
        self.assertEqual([(s["name"], s["kind"]) for s in export.spans
                          if s["parent"] and s["parent"] not in ids], [])

    def assert_linked_over_tls(self, export, base, paths):
        """Each request a client span, its server span the child, and the
        traceparent the server got the client span's."""
        self.assert_parents_exported(export)
        clients = self.http_spans(export, "SPAN_KIND_CLIENT")
        servers = self.http_spans(export, "SPAN_KIND_SERVER")
        self.assertEqual(sorted(s["attrs"]["url.full"] for s in clients),
                         sorted(base + p[1:] for p in paths))
        self.assertEqual(sorted(s["attrs"]["url.path"] for s in servers), sorted(paths))
        by_id = {s["id"]: s for s in clients}
        for srv in servers:
            cli = by_id.get(srv["parent"])
            self.assertIsNotNone(cli, "the server span of %s has no client parent"
                                 % srv["attrs"]["url.path"])
            self.assertEqual(srv["trace"], cli["trace"])
            self.assertEqual(srv["attrs"]["url.scheme"], "https")
            self.assertEqual(cli["attrs"]["traceshim.http.traceparent"], "injected")
        for path, headers in self.seen_headers():
            tp = eval(headers)  # a list repr written by the server
            self.assertEqual(len(tp), 1, path)
            cli = next(s for s in clients if s["attrs"]["url.full"] == base + path[1:])
            self.assertEqual(tp[0], "00-%s-%s-01" % (cli["trace"].hex(), cli["id"].hex()))

    def test_over_tls_with_openssl_the_trace_crosses_too(self):
        # curl (libcurl with OpenSSL): traceparent goes in through SSL_write,
        # three requests on one connection, the last a 404.
        server, port = self.https_server()
        base = "https://127.0.0.1:%d/" % port
        out = self.curl(["-k", base + "a.txt", base + "b.txt", base + "missing"])
        self.assertTrue(out.stdout.startswith(b"hello\nworld\n"))
        self.assertIn(b"404", out.stdout)
        export = self.finish(server)
        self.assert_linked_over_tls(export, base, ["/a.txt", "/b.txt", "/missing"])
        missing = [s for s in self.http_spans(export, "SPAN_KIND_CLIENT")
                   if s["attrs"]["url.full"].endswith("/missing")]
        self.assertEqual(missing[0]["attrs"]["http.response.status_code"], 404)
        self.assertEqual(missing[0]["status"], "STATUS_CODE_ERROR")

    def test_over_tls_with_gnutls_the_trace_crosses_too(self):
        # wget (GnuTLS on Debian): through gnutls_record_send.
        if shutil.which("wget") is None:
            self.skipTest("wget is not installed")
        tracelib.skip_under_sanitizer(self, "wget", "hangs at exit")
        server, port = self.https_server()
        base = "https://127.0.0.1:%d/" % port
        done = subprocess.run(["wget", "-q", "--no-check-certificate", "-O", "-", base + "a.txt"],
                              env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=60)
        self.assertEqual((done.returncode, done.stdout), (0, b"hello\n"), done.stderr)
        self.assert_linked_over_tls(self.finish(server), base, ["/a.txt"])

    def test_over_tls_a_head_of_up_to_4_kib_with_the_line_takes_it(self):
        # The head and the line go out in one SSL_write of at most 4 KiB:
        # a head that fits with the line takes it, a larger one goes as it
        # is and says so.
        server, port = self.https_server()
        url = "https://127.0.0.1:%d/a.txt" % port
        for pad in (3800, 4100):
            out = self.curl(["-k", "-H", "X-Pad: " + "p" * pad, url])
            self.assertEqual(out.stdout, b"hello\n")
        export = self.finish(server)
        self.assertEqual([len(eval(h)) for p, h in self.seen_headers()], [1, 0])
        self.assertEqual([c["attrs"]["traceshim.http.traceparent"]
                          for c in sorted(self.http_spans(export, "SPAN_KIND_CLIENT"),
                                          key=lambda c: c["start"])],
                         ["injected", "not_injected"])

    def test_a_request_body_goes_through_unchanged(self):
        server, port = self.start_server()
        out = self.curl(["--data-binary", "x" * 3000, "http://127.0.0.1:%d/post" % port])
        self.assertEqual(out.stdout, b"got 3000 bytes: " + b"x" * 20)
        export = self.finish(server)
        (srv,) = self.http_spans(export, "SPAN_KIND_SERVER")
        self.assertEqual(srv["name"], "POST")
        self.assertEqual(srv["attrs"]["http.response.status_code"], 201)

    def test_the_programs_own_traceparent_is_kept_alone(self):
        server, port = self.start_server()
        out = self.curl(["-H", "traceparent: " + CALLER, "http://127.0.0.1:%d/a.txt" % port])
        self.assertEqual(out.stdout, b"hello\n")
        export = self.finish(server)
        self.assertEqual([eval(h) for p, h in self.seen_headers()], [[CALLER]])
        (cli,) = self.http_spans(export, "SPAN_KIND_CLIENT")
        self.assertEqual(cli["attrs"]["traceshim.http.traceparent"], "by_program")
        (srv,) = self.http_spans(export, "SPAN_KIND_SERVER")
        self.assertEqual(srv["parent"].hex(), CALLER.split("-")[2])
        self.assertEqual(srv["trace"].hex(), CALLER.split("-")[1])

    def test_inject_off_sends_requests_unchanged(self):
        server, port = self.start_server()
        out = self.curl(["http://127.0.0.1:%d/a.txt" % port], TRACESHIM_HTTP_INJECT="false")
        self.assertEqual(out.stdout, b"hello\n")
        export = self.finish(server)
        self.assertEqual([eval(h) for p, h in self.seen_headers()], [[]])
        (cli,) = self.http_spans(export, "SPAN_KIND_CLIENT")
        (srv,) = self.http_spans(export, "SPAN_KIND_SERVER")
        self.assertNotIn("traceshim.http.traceparent", cli["attrs"])
        self.assertNotEqual(srv["parent"], cli["id"])

    def test_a_head_split_over_writes_goes_unchanged_and_says_so(self):
        server, port = self.start_server()
        client = (
            "import socket, sys\n"
            "s = socket.create_connection(('127.0.0.1', %d))\n"
            "s.sendall(b'GET /a.txt HTTP/1.1\\r\\nHost: x\\r\\n')\n"
            "s.sendall(b'Connection: close\\r\\n\\r\\n')\n"
            "data = b''\n"
            "while True:\n"
            "    b = s.recv(4096)\n"
            "    if not b: break\n"
            "    data += b\n"
            "sys.stdout.write(data.split(b'\\r\\n\\r\\n', 1)[1].decode())\n" % port)
        done = subprocess.run([sys.executable, "-c", client], env=self.env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, b"hello\n")
        export = self.finish(server)
        self.assertEqual([eval(h) for p, h in self.seen_headers()], [[]])
        (cli,) = self.http_spans(export, "SPAN_KIND_CLIENT")
        self.assertEqual(cli["attrs"]["traceshim.http.traceparent"], "not_injected")
        self.assertEqual(cli["attrs"]["http.response.status_code"], 200)


if __name__ == "__main__":
    tracelib.fail_on_resource_warnings()
    unittest.main(verbosity=2)
