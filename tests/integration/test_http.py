#!/usr/bin/env python3
"""Integration tests: HTTP/1 exchanges of real programs as CLIENT and SERVER
spans.

Real clients (curl, wget, Python's http.client and urllib, Node's http) talk
to real servers (Python's http.server, Node's http, nginx) over loopback, each
exchange run twice: without the shim, then with client and server traced
into one trace file. Every program's output and exit status must be the same
in both runs, and the trace must hold exactly one span per request on each
traced side, named by its method, with its attributes and status:

  client: http.request.method, url.full, server.address, server.port,
          network.protocol.version, user_agent.original (when sent),
          http.response.status_code; ERROR with error.type = the status
          for 4xx and 5xx
  server: the same but url.path, url.query (values REDACTED unless
          TRACESHIM_HTTP_QUERY=raw) and url.scheme for url.full; ERROR
          for 5xx only

In Perfetto these spans lie on the process's async lanes (tracks of the
process, not of a thread) and their kind does not show: a client span is
told from a server span by url.full against url.path. Over OTLP the kind
shows (SPAN_KIND_CLIENT, SPAN_KIND_SERVER). Also: a protocol over TCP that
is not HTTP makes no HTTP span, and nginx under wrk's load makes one SERVER
span per request it served.

Run:  TRACESHIM_LIB=build/libtraceshim.so python3 tests/integration/test_http.py
Needs protoc, curl, wget; node, nginx and wrk for their tests (skipped when
missing, except under CI=true, where they must be there: scripts/deps --test
installs them); loopback only.
"""

import collections
import gzip
import grp
import os
import pwd
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER_PY = os.path.join(HERE, "http_server.py")
PEER_JS = os.path.join(HERE, "http_peer.js")
HELLO = b"hello over http\n"
EXIT_SKIP = 77


def setUpModule():
    tracelib.shim_library()
    for tool in ("protoc", "curl"):
        if shutil.which(tool) is None:
            raise AssertionError("%s is not on PATH: the HTTP tests need it" % tool)


def need(test, program, package=None):
    """The path of program; without it the test is skipped, or fails under
    CI=true (scripts/deps --test installs it there)."""
    path = shutil.which(program)
    if path:
        return path
    why = "%s is not installed (Debian package %s; scripts/deps --test installs it)" % (
        program, package or program)
    if os.environ.get("CI") == "true":
        test.fail(why + "; with CI=true it must be")
    test.skipTest(why)


def tool_version(argv, pattern):
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=30).stdout
    m = re.search(pattern, out)
    if not m:
        raise AssertionError("cannot read a version from %r: %r" % (argv, out[:200]))
    return m.group(1)


# ---------------------------------------------------------------- spans

def http_spans(trace, pid):
    """The HTTP spans of a process, in time order."""
    return sorted((s for s in trace.slices
                   if s.pid == pid and "http.request.method" in s.args),
                  key=lambda s: (s.ts, s.begin_index))


def client_args(method, url, port, status, agent=None, version="1.1"):
    """The attributes of a client span (Perfetto: its debug annotations)."""
    a = {"http.request.method": method, "url.full": url, "server.address": "127.0.0.1",
         "server.port": port, "network.protocol.version": version,
         "http.response.status_code": status}
    if agent:
        a["user_agent.original"] = agent
    if status >= 400:
        a.update({"error.type": str(status), "otel.status_code": "ERROR"})
    return a


def server_args(method, path, port, status, agent=None, query=None, version="1.1"):
    a = {"http.request.method": method, "url.path": path, "url.scheme": "http",
         "server.address": "127.0.0.1", "server.port": port,
         "network.protocol.version": version, "http.response.status_code": status}
    if query is not None:
        a["url.query"] = query
    if agent:
        a["user_agent.original"] = agent
    if status >= 500:
        a.update({"error.type": str(status), "otel.status_code": "ERROR"})
    return a


class Run:
    """One program's run: pid, exit status, stdout and stderr."""

    def __init__(self, pid, returncode, stdout, stderr):
        self.pid, self.returncode, self.stdout, self.stderr = pid, returncode, stdout, stderr

    def outcome(self, port):
        """What must not change under the shim, the port blanked out."""
        blank = lambda b: b.replace(str(port).encode(), b"PORT")  # noqa: E731
        return (self.returncode, blank(self.stdout), blank(self.stderr))


class Exchange:
    """What a traced exchange left: the server's and clients' runs, the port
    and the trace (None when nothing was traced)."""

    def __init__(self, server, clients, port, trace):
        self.server, self.clients, self.port, self.trace = server, clients, port, trace


class Server:
    """A server program started with stdin a pipe: it prints its port first
    and stops when its stdin closes."""

    def __init__(self, argv, env, cwd):
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if ready else b""
        if not line.strip().isdigit():
            self.stop()
            raise AssertionError("%s printed no port (got %r); stderr: %r"
                                 % (argv, line, self.stderr[-800:]))
        self.port = int(line)

    def stop(self, timeout=60):
        """Closes its stdin (communicate does) and waits for it to leave;
        kills it (its own pid) when it does not."""
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError("%s did not stop within %d s of its stdin closing; stderr: %r"
                                 % (self.proc.args, timeout, err[-800:]))
        self.stderr = err
        return Run(self.proc.pid, self.proc.returncode, out, err)


def run_client(argv, env, cwd, timeout=60):
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=timeout)
    return Run(proc.pid, proc.returncode, out, err)


class HttpCase(unittest.TestCase):
    """A scratch directory with the files the servers serve, and exchanges
    run plain then traced."""

    maxDiff = None

    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="traceshim-http-")
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        self.www = os.path.join(self.tmp, "www")
        os.mkdir(self.www)
        with open(os.path.join(self.www, "hello.txt"), "wb") as f:
            f.write(HELLO)
        self.run_dir = tracelib.private_run_dir(self.tmp)

    def env(self, traced, trace_path=None, **extra):
        """The environment of a run: no proxy, no shim settings from outside;
        traced: the shim preloaded, writing to trace_path."""
        env = tracelib.clean_env()
        for k in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                  "ALL_PROXY", "no_proxy", "NO_PROXY"):
            env.pop(k, None)
        if traced:
            env.update(LD_PRELOAD=tracelib.shim_preload(), TRACESHIM_RUN_DIR=self.run_dir)
            if trace_path:
                env["TRACESHIM_OUTPUT"] = trace_path
        env.update(extra)
        return env

    def exchange(self, server_argv, clients, trace_server=True, trace_clients=True, **extra):
        """Runs the server, then each client (a function of the port giving
        an argv) in turn, then stops the server: once plain, once with the
        traced sides writing one trace file. Each program's exit status and
        output (the port blanked out) must be the same; returns the traced
        Exchange, its trace loaded and checked."""
        runs = []
        for traced in (False, True):
            path = os.path.join(self.tmp, "trace-%d.pftrace" % len(runs)) if traced else None
            server = Server(server_argv, self.env(traced and trace_server, path, **extra),
                            self.tmp)
            try:
                done = [run_client(c(server.port),
                                   self.env(traced and trace_clients, path, **extra), self.tmp)
                        for c in clients]
            finally:
                srv = server.stop()
            runs.append(Exchange(srv, done, server.port, path))
        plain, traced = runs
        self.assertEqual(traced.server.outcome(traced.port)[0], 0,
                         "the server failed: %r" % traced.server.stderr[-800:])
        # The first line is the port the kernel chose.
        for what, a, b in [("server", plain.server, traced.server)] + [
                ("client %d" % i, a, b) for i, (a, b) in enumerate(zip(plain.clients,
                                                                        traced.clients))]:
            self.assertEqual(b.outcome(traced.port)[0], a.outcome(plain.port)[0],
                             "%s: exit status differs under the shim; stderr: %r"
                             % (what, b.stderr[-800:]))
            self.assertEqual(b.outcome(traced.port)[1:], a.outcome(plain.port)[1:],
                             "%s: output differs under the shim" % what)
        traced.trace = tracelib.load_trace(traced.trace)
        return traced

    def assertSpans(self, trace, pid, expected, what):
        """The HTTP spans of pid are exactly `expected` ([(name, args)], in
        time order), each finished, on an async lane of that process."""
        spans = http_spans(trace, pid)
        self.assertEqual([(s.name, s.args) for s in spans], expected,
                         "%s's HTTP spans (pid %s)" % (what, pid))
        for s in spans:
            self.assertIsNone(trace.thread_of(s), "%r is on a thread track" % s)
            owner = trace.owner_of(trace.tracks.get(s.track_uuid))
            self.assertEqual((owner.kind, owner.pid), ("process", pid), s)
            self.assertIsNotNone(s.dur, s)
        return spans

    def assertOverlap(self, client, server):
        """A client span and the server span of the same request share time:
        the request left before the server's span ended and the response
        arrived after it began (one machine, one clock)."""
        self.assertLess(client.ts, server.end, (client, server))
        self.assertLess(server.ts, client.end, (client, server))

    def connects_to(self, trace, pid, port):
        return [s for s in trace.slices_of(pid=pid) if s.name == "connect"
                and s.args.get("network.peer.port") == port]


def curl(*args):
    # -q: no ~/.curlrc, so both runs see the same options.
    return lambda port: ["curl", "-q", "-sS"] + [a.replace("PORT", str(port)) for a in args]


def python_server(test):
    return [sys.executable, SERVER_PY, test.www]


# ---------------------------------------------------------------- the tests

class TestCurlAndPythonServer(HttpCase):
    """curl against Python's threaded http.server (HTTP/1.1, keep-alive)."""

    def setUp(self):
        super().setUp()
        tracelib.skip_under_sanitizer(self, "curl", "hangs")
        self.agent = "curl/" + tool_version(["curl", "--version"], r"^curl (\S+)")

    def one(self, args, method, path, status, query=None, seen=None, output=None, **extra):
        """One curl request (with query, the trace showing it as seen): one
        client span, one server span."""
        url = "http://127.0.0.1:PORT" + path + ("?" + query if query is not None else "")
        ex = self.exchange(python_server(self), [curl(*(args + [url]))], **extra)
        if output is not None:
            self.assertEqual(ex.clients[0].stdout, output)
        full = "http://127.0.0.1:%d%s%s" % (ex.port, path, "?" + seen if seen is not None else "")
        (c,) = self.assertSpans(ex.trace, ex.clients[0].pid, [
            (method, client_args(method, full, ex.port, status, self.agent))], "curl")
        (s,) = self.assertSpans(ex.trace, ex.server.pid, [
            (method, server_args(method, path, ex.port, status, self.agent, seen))], "server")
        self.assertOverlap(c, s)
        return ex

    def test_one_url(self):
        ex = self.one([], "GET", "/hello.txt", 200, output=HELLO)
        self.assertEqual(len(self.connects_to(ex.trace, ex.clients[0].pid, ex.port)), 1)

    def test_two_urls_on_one_connection(self):
        urls = ["http://127.0.0.1:PORT/hello.txt", "http://127.0.0.1:PORT/missing.txt"]
        ex = self.exchange(python_server(self), [curl(
            "-w", "%{http_code} %{num_connects}\\n", "-o", "/dev/null", "-o", "/dev/null", *urls)])
        self.assertEqual(ex.clients[0].stdout, b"200 1\n404 0\n")
        full = [u.replace("PORT", str(ex.port)) for u in urls]
        cs = self.assertSpans(ex.trace, ex.clients[0].pid, [
            ("GET", client_args("GET", full[0], ex.port, 200, self.agent)),
            ("GET", client_args("GET", full[1], ex.port, 404, self.agent))], "curl")
        ss = self.assertSpans(ex.trace, ex.server.pid, [
            ("GET", server_args("GET", "/hello.txt", ex.port, 200, self.agent)),
            ("GET", server_args("GET", "/missing.txt", ex.port, 404, self.agent))], "server")
        for c, s in zip(cs, ss):
            self.assertOverlap(c, s)
        self.assertLessEqual(cs[0].end, cs[1].ts, "one request after the other")
        # One connection: curl connected once, the server accepted once.
        self.assertEqual(len(self.connects_to(ex.trace, ex.clients[0].pid, ex.port)), 1)
        accepts = [s for s in ex.trace.slices_of(pid=ex.server.pid) if s.name == "accept"]
        self.assertEqual(len(accepts), 1, accepts)

    def test_not_found(self):
        # A client span is an error for a 4xx, a server span is not.
        self.one([], "GET", "/missing.txt", 404)

    def test_head(self):
        ex = self.one(["-I"], "HEAD", "/hello.txt", 200)
        self.assertIn(b"Content-Length: %d" % len(HELLO), ex.clients[0].stdout)

    def test_post_with_a_chunked_answer(self):
        self.one(["--data", "name=traceshim&n=1"], "POST", "/echo", 201,
                 output=b"got name=traceshim&n=1\n")

    def test_query_values_redacted(self):
        self.one([], "GET", "/hello.txt", 200, query="user=alice&token=s3cret&flag",
                 seen="user=REDACTED&token=REDACTED&flag", output=HELLO)

    def test_query_values_raw(self):
        self.one([], "GET", "/hello.txt", 200, query="user=alice&token=s3cret&flag",
                 seen="user=alice&token=s3cret&flag", output=HELLO, TRACESHIM_HTTP_QUERY="raw")

    def test_server_error(self):
        # A 5xx is an error on both sides.
        self.one([], "GET", "/fail", 500, output=b"failed on purpose\n")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    if not result.wasSuccessful():
        sys.exit(1)
    sys.exit(EXIT_SKIP if result.testsRun and len(result.skipped) == result.testsRun else 0)
