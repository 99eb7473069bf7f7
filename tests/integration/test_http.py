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
          http.response.status_code, network.peer.address/port (the
          server's end), traceshim.http.traceparent (what the shim did
          about the request's trace context); ERROR with error.type = the
          status for 4xx and 5xx
  server: the same but url.path, url.query (values REDACTED unless
          TRACESHIM_HTTP_QUERY=raw) and url.scheme for url.full,
          client.address/port for the peer, no traceparent attribute;
          ERROR for 5xx only

In Perfetto these spans lie on the process's async lanes (tracks of the
process, not of a thread) and their kind does not show: a client span is
told from a server span by url.full against url.path. Over OTLP the kind
shows (SPAN_KIND_CLIENT, SPAN_KIND_SERVER). Also: a protocol over TCP that
is not HTTP makes no HTTP span, and nginx under wrk's load makes one SERVER
span per request it served. (Whether the server span continues the client's
trace is test_http_context.py's business.)

Where the shim does not yet do what the README says, a test marked
expectedFailure says what it does instead: once that is fixed, it fails as
an unexpected success, and the mark goes.

Run:  TRACESHIM_LIB=build/libtraceshim.so python3 tests/integration/test_http.py
Needs protoc, curl, wget; node, nginx and wrk for their tests (skipped when
missing, except under CI=true, where they must be there: scripts/deps --test
installs them); loopback only.
"""

import collections
import gzip
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nginx_conf  # noqa: E402
import tracelib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER_PY = os.path.join(HERE, "http_server.py")
PEER_JS = os.path.join(HERE, "http_peer.js")
DUP_SERVER_PY = os.path.join(HERE, "dup_server.py")
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


def served(trace):
    """Each GET SERVER span's path, status, error.type and whether it was left
    unended, sorted by path."""
    return sorted((s.args["url.path"], s.args.get("http.response.status_code"),
                   s.args.get("error.type"), "traceshim.unended" in s.args)
                  for s in trace.slices if s.name == "GET" and "url.path" in s.args)


def client_args(method, url, port, status, agent=None, traceparent="injected", version="1.1"):
    """The attributes of a client span (Perfetto: its debug annotations).
    traceparent: traceshim.http.traceparent, what the shim did with the
    request's trace context (injected, by_program, not_injected)."""
    a = {"http.request.method": method, "url.full": url, "server.address": "127.0.0.1",
         "server.port": port, "network.protocol.version": version,
         "http.response.status_code": status,
         "network.peer.address": "127.0.0.1", "network.peer.port": port}
    if agent:
        a["user_agent.original"] = agent
    if traceparent:
        a["traceshim.http.traceparent"] = traceparent
    if status >= 400:
        a.update({"error.type": str(status), "otel.status_code": "ERROR"})
    return a


def server_args(method, path, port, status, agent=None, query=None, version="1.1"):
    """The attributes of a server span but client.address and client.port
    (see server_view)."""
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


def server_view(args, ports):
    """A server span's attributes without client.address and client.port,
    once they are found right: the client's address, and a port the
    server's accept calls gave (ports). They are left in when wrong, so that
    the comparison with server_args() shows them. Their absence is
    TestPeers' business: the spans of a connection closed soon after its
    last answer often lack them."""
    args = without(args, CPU_TIME)   # there when the span lasted long enough (test_cpu.py)
    right = (args.get("client.address", "127.0.0.1") == "127.0.0.1"
             and args.get("client.port", next(iter(ports), None)) in ports)
    return without(args, "client.address", "client.port") if right else args


# A span's CPU time: on those that lasted TRACESHIM_CPU_SPAN_MIN_US or more,
# so present or not by how long a request took; test_cpu.py checks it.
CPU_TIME = "traceshim.cpu_time_ns"


def without(args, *keys):
    return {k: v for k, v in args.items() if k not in keys}


def accepted_ports(trace, pid):
    """The peer ports of the connections pid accepted."""
    return {s.args.get("network.peer.port") for s in trace.slices_of(pid=pid)
            if s.name == "accept" and "network.peer.port" in s.args}


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


def untraced_env():
    """What a program that is not traced runs with: nothing preloaded (not
    even a sanitizer build's runtimes), no shim setting, no proxy."""
    env = tracelib.clean_env()
    for k in ("LD_PRELOAD", "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
              "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        env.pop(k, None)
    return env


def run_client(argv, env, cwd, timeout=60):
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()          # its own pid
        proc.communicate()
        raise
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
        env = untraced_env()
        if traced:
            env.update(LD_PRELOAD=tracelib.shim_preload(), TRACESHIM_RUN_DIR=self.run_dir)
            if trace_path:
                env["TRACESHIM_OUTPUT"] = trace_path
        env.update(extra)
        return env

    SCRIPT_HEAD = r"""
def read_all(sock):
    got = b""
    while True:
        more = sock.recv(4096)
        if not more:
            return got
        got += more
"""

    def run_script(self, script, *args, name="t"):
        """Runs a Python script of both ends (args its arguments) traced,
        without traceparent (its bytes are the program's own), with
        read_all(sock) defined (all until the peer closes); its run and the
        path of its trace."""
        path = os.path.join(self.tmp, name + ".pftrace")
        done = subprocess.run([sys.executable, "-c", self.SCRIPT_HEAD + script] + list(args),
                              env=self.env(True, path, TRACESHIM_HTTP_INJECT="false"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        return done, path

    def exchange(self, server_argv, clients, trace_file=True, trace_clients=True, **extra):
        """Runs the server, then each client (a function of the port giving
        an argv) in turn, then stops the server: once plain, once with the
        server and clients writing one trace file (or with trace_file False,
        none: for OTLP; trace_clients False: only the server is traced).
        Each program's exit status and
        output (the port blanked out) must be the same; returns the traced
        Exchange, its trace loaded and checked."""
        runs = []
        for traced in (False, True):
            path = (os.path.join(self.tmp, "trace-%d.pftrace" % len(runs))
                    if traced and trace_file else None)
            server = Server(server_argv, self.env(traced, path, **extra), self.tmp)
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
        for what, a, b in [("server", plain.server, traced.server)] + [
                ("client %d" % i, a, b) for i, (a, b) in enumerate(zip(plain.clients,
                                                                        traced.clients))]:
            self.assertEqual(b.outcome(traced.port)[0], a.outcome(plain.port)[0],
                             "%s: exit status differs under the shim; stderr: %r"
                             % (what, b.stderr[-800:]))
            self.assertEqual(b.outcome(traced.port)[1:], a.outcome(plain.port)[1:],
                             "%s: output differs under the shim" % what)
        if traced.trace:
            traced.trace = tracelib.load_trace(traced.trace)
        return traced

    def assertSpans(self, trace, pid, expected, what):
        """The HTTP spans of pid are exactly `expected` ([(name, args)], in
        time order), each finished, on an async lane of that process."""
        spans = http_spans(trace, pid)
        ports = accepted_ports(trace, pid)
        # The span's CPU time (test_cpu.py's business) is there when it
        # lasted long enough: never more than the span's own time.
        for s in spans:
            self.assertLessEqual(s.args.get(CPU_TIME, 0), s.dur, s.args)
        view = lambda s: without(server_view(s.args, ports) if "url.path" in s.args else s.args,  # noqa: E731
                                 CPU_TIME)
        self.assertEqual([(s.name, view(s)) for s in spans], expected,
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

    def test_not_found_with_fail(self):
        # curl -f stops at a 404's head and closes: the status is the error.
        ex = self.one(["-f"], "GET", "/missing.txt", 404)
        self.assertEqual(ex.clients[0].returncode, 22)

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

    def test_expect_100_continue(self):
        # The server's interim "100 Continue" is not the answer: 201 is.
        self.one(["-H", "Expect: 100-continue", "--data", "x" * 3000], "POST", "/echo", 201,
                 output=b"got " + b"x" * 3000 + b"\n")

    def test_unknown_method(self):
        # Named HTTP, method _OTHER and the method as sent; http.server
        # answers 501 (an error on both sides).
        ex = self.exchange(python_server(self), [curl("-X", "FOO", "-o", "/dev/null", "-w",
                                                      "%{http_code}\\n",
                                                      "http://127.0.0.1:PORT/hello.txt")])
        self.assertEqual(ex.clients[0].stdout, b"501\n")
        other = {"http.request.method": "_OTHER", "http.request.method_original": "FOO"}
        c = client_args("GET", "http://127.0.0.1:%d/hello.txt" % ex.port, ex.port, 501,
                        self.agent)
        s = server_args("GET", "/hello.txt", ex.port, 501, self.agent)
        self.assertSpans(ex.trace, ex.clients[0].pid, [("HTTP", dict(c, **other))], "curl")
        self.assertSpans(ex.trace, ex.server.pid, [("HTTP", dict(s, **other))], "server")

    def closed_without_an_answer(self):
        """curl asks for /drop, which the server answers by closing: curl
        fails (52, empty reply). Returns the exchange and the attributes
        both spans must have: no status, ERROR connection_closed."""
        ex = self.exchange(python_server(self), [curl("http://127.0.0.1:PORT/drop")])
        self.assertEqual(ex.clients[0].returncode, 52, ex.clients[0].stderr)
        closed = {"error.type": "connection_closed", "otel.status_code": "ERROR"}
        c = client_args("GET", "http://127.0.0.1:%d/drop" % ex.port, ex.port, 0, self.agent)
        s = server_args("GET", "/drop", ex.port, 0, self.agent)
        for a in (c, s):
            del a["http.response.status_code"]
            a.update(closed)
        return ex, c, s

    def test_connection_closed_without_an_answer(self):
        ex, c, s = self.closed_without_an_answer()
        # The client span's peer: see test_closed_client_span_names_its_peer.
        peer = ("network.peer.address", "network.peer.port", "client.address", "client.port")
        (cs,) = http_spans(ex.trace, ex.clients[0].pid)
        self.assertEqual((cs.name, without(cs.args, CPU_TIME, *peer)), ("GET", without(c, *peer)))
        (ss,) = self.assertSpans(ex.trace, ex.server.pid, [("GET", s)], "server")
        self.assertOverlap(cs, ss)

    def test_closed_client_span_names_its_peer(self):
        # A span ended by the connection's end is still a client span: its
        # peer is network.peer.*, not client.*.
        ex, c, _ = self.closed_without_an_answer()
        self.assertSpans(ex.trace, ex.clients[0].pid, [("GET", c)], "curl")

    def test_body_until_the_connection_closes(self):
        # A whole answer, however it is framed: no error on either side.
        self.one([], "GET", "/until-close", 200, output=b"until the connection closes\n")


# Three requests in one send: the server answers them in turn.
PIPELINING_CLIENT = r"""
import socket, sys
port = int(sys.argv[1])
with socket.create_connection(("127.0.0.1", port)) as s:
    s.sendall(b"".join(b"GET /hello.txt?n=%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (n, port)
                       for n in range(3)))
    data = b""
    while data.count(b"HTTP/1.1 200 OK") < 3 or not data.endswith(b"hello over http\n"):
        got = s.recv(65536)
        if not got:
            break
        data += got
print(data.count(b"HTTP/1.1 200 OK"), "answers")
"""


class TestPipelining(HttpCase):
    def pipelined(self):
        """The exchange, and the client's and the server's spans in the
        order of their requests (they begin at the same time)."""
        ex = self.exchange(python_server(self), [
            lambda port: [sys.executable, "-c", PIPELINING_CLIENT, str(port)]],
            TRACESHIM_HTTP_QUERY="raw")
        self.assertEqual(ex.clients[0].stdout, b"3 answers\n")
        by_query = lambda s: s.args.get("url.full", s.args.get("url.query"))  # noqa: E731
        return (ex, sorted(http_spans(ex.trace, ex.clients[0].pid), key=by_query),
                sorted(http_spans(ex.trace, ex.server.pid), key=by_query))

    def test_three_requests_in_one_send(self):
        ex, cs, ss = self.pipelined()
        url = "http://127.0.0.1:%d/hello.txt?n=%d"
        self.assertEqual([without(s.args, "traceshim.http.traceparent", CPU_TIME) for s in cs], [
            without(client_args("GET", url % (ex.port, n), ex.port, 200),
                    "traceshim.http.traceparent") for n in range(3)])
        ports = accepted_ports(ex.trace, ex.server.pid)
        self.assertEqual([server_view(s.args, ports) for s in ss], [
            server_args("GET", "/hello.txt", ex.port, 200, query="n=%d" % n) for n in range(3)])
        for c, s in zip(cs, ss):
            self.assertOverlap(c, s)

    def test_each_request_says_what_became_of_its_traceparent(self):
        # Only the first request of the send gets traceparent; the other
        # two say so.
        ex, cs, _ = self.pipelined()
        self.assertEqual([s.args.get("traceshim.http.traceparent") for s in cs],
                         ["injected", "not_injected", "not_injected"])
        # Only the one that names its span to the server starts an arrow.
        self.assertEqual([len(ex.trace.flows_from(s)) for s in cs], [1, 0, 0])



class TestPythonClients(HttpCase):
    """Python's http.client and urllib.request against the same server."""

    def test_http_client_two_requests_on_one_connection(self):
        script = ("import http.client, sys\n"
                  "c = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]))\n"
                  "for path in ('/hello.txt', '/missing.txt'):\n"
                  "    c.request('GET', path)\n"
                  "    r = c.getresponse()\n"
                  "    print(r.status, r.read()[:5])\n"
                  "c.close()\n")
        ex = self.exchange(python_server(self),
                           [lambda port: [sys.executable, "-c", script, str(port)]])
        self.assertEqual(ex.clients[0].stdout, b"200 b'hello'\n404 b'<!DOC'\n")
        base = "http://127.0.0.1:%d" % ex.port
        # http.client sends no User-Agent: the spans have none.
        cs = self.assertSpans(ex.trace, ex.clients[0].pid, [
            ("GET", client_args("GET", base + "/hello.txt", ex.port, 200)),
            ("GET", client_args("GET", base + "/missing.txt", ex.port, 404))], "http.client")
        ss = self.assertSpans(ex.trace, ex.server.pid, [
            ("GET", server_args("GET", "/hello.txt", ex.port, 200)),
            ("GET", server_args("GET", "/missing.txt", ex.port, 404))], "server")
        for c, s in zip(cs, ss):
            self.assertOverlap(c, s)
        self.assertEqual(len(self.connects_to(ex.trace, ex.clients[0].pid, ex.port)), 1)

    def test_urllib(self):
        script = ("import sys, urllib.request\n"
                  "with urllib.request.urlopen(sys.argv[1]) as r:\n"
                  "    sys.stdout.buffer.write(r.read())\n")
        ex = self.exchange(python_server(self), [
            lambda port: [sys.executable, "-c", script, "http://127.0.0.1:%d/hello.txt" % port]])
        self.assertEqual(ex.clients[0].stdout, HELLO)
        agent = "Python-urllib/%d.%d" % sys.version_info[:2]
        (c,) = self.assertSpans(ex.trace, ex.clients[0].pid, [
            ("GET", client_args("GET", "http://127.0.0.1:%d/hello.txt" % ex.port, ex.port, 200,
                                agent))], "urllib")
        (s,) = self.assertSpans(ex.trace, ex.server.pid, [
            ("GET", server_args("GET", "/hello.txt", ex.port, 200, agent))], "server")
        self.assertOverlap(c, s)


class TestWget(HttpCase):
    def test_wget_fetches_a_file(self):
        need(self, "wget")
        tracelib.skip_under_sanitizer(self, "wget", "hangs at exit")
        agent = "Wget/" + tool_version(["wget", "--version"], r"GNU Wget (\S+)")
        out = os.path.join(self.tmp, "fetched.txt")
        ex = self.exchange(python_server(self), [
            lambda port: ["wget", "--no-config", "-q", "-O", out,
                          "http://127.0.0.1:%d/hello.txt" % port]])
        with open(out, "rb") as f:
            self.assertEqual(f.read(), HELLO)
        (c,) = self.assertSpans(ex.trace, ex.clients[0].pid, [
            ("GET", client_args("GET", "http://127.0.0.1:%d/hello.txt" % ex.port, ex.port, 200,
                                agent))], "wget")
        (s,) = self.assertSpans(ex.trace, ex.server.pid, [
            ("GET", server_args("GET", "/hello.txt", ex.port, 200, agent))], "server")
        self.assertOverlap(c, s)


class TestNode(HttpCase):
    """Node's http module as the server and as the client (libuv: read and
    writev on non-blocking sockets, epoll)."""

    def test_node_server_and_client(self):
        node = need(self, "node", "nodejs")
        paths = ["/hello", "/nope"]
        ex = self.exchange([node, PEER_JS, "server"], [
            lambda port: [node, PEER_JS, "client"] + ["http://127.0.0.1:%d%s" % (port, p)
                                                      for p in paths]])
        self.assertEqual(ex.clients[0].stdout, b"200 hello from node\n404 not found\n")
        # Node's client sends no User-Agent.
        cs = self.assertSpans(ex.trace, ex.clients[0].pid, [
            ("GET", client_args("GET", "http://127.0.0.1:%d%s" % (ex.port, p), ex.port, status))
            for p, status in zip(paths, (200, 404))], "node client")
        ss = self.assertSpans(ex.trace, ex.server.pid, [
            ("GET", server_args("GET", p, ex.port, status))
            for p, status in zip(paths, (200, 404))], "node server")
        for c, s in zip(cs, ss):
            self.assertOverlap(c, s)
        self.assertEqual(len(self.connects_to(ex.trace, ex.clients[0].pid, ex.port)), 1)

    def test_node_server_closing_connections(self):
        # libuv closes its sockets with syscall(SYS_close): the body that
        # ends with the connection ends the span then, and so does the cut.
        node = need(self, "node", "nodejs")
        ex = self.exchange([node, PEER_JS, "server"], [
            curl("--http1.0", "http://127.0.0.1:PORT/stream"),
            curl("http://127.0.0.1:PORT/cut")], trace_clients=False)
        self.assertEqual(ex.clients[0].stdout, b"streamed\n")
        self.assertEqual(ex.clients[1].returncode, 18)   # a partial body
        spans = {s.args["url.path"]: s for s in http_spans(ex.trace, ex.server.pid)}
        self.assertEqual(sorted(spans), ["/cut", "/stream"])
        for s in spans.values():
            self.assertNotIn("traceshim.unended", s.args, s)
        self.assertEqual((spans["/stream"].args.get("http.response.status_code"),
                          spans["/stream"].args.get("error.type")), (200, None))
        self.assertEqual(spans["/cut"].args.get("error.type"), "connection_closed")
        closes = [s for s in ex.trace.slices_of(pid=ex.server.pid, name="close")
                  if "network.peer.port" in s.args]   # the connections, not the listener
        self.assertEqual(len(closes), 2, closes)


class TestPeers(HttpCase):
    """client.address and client.port on server spans: the client's end of
    the connection, as the server's accept gave it."""

    def assertClientNamed(self, trace, pid, n):
        spans = http_spans(trace, pid)
        ports = accepted_ports(trace, pid)
        self.assertEqual(len(spans), n)
        self.assertEqual([(s.args.get("client.address"), s.args.get("client.port") in ports)
                          for s in spans], [("127.0.0.1", True)] * n,
                         "client.address and client.port of the server spans")

    def test_connections_closed_right_after_the_answer(self):
        # Untraced curls, one connection each: the server closes its end as
        # soon as curl does, and the descriptor number is reused at once. The
        # peer travels with the span's end, as the accept gave it.
        n = 10
        ex = self.exchange(python_server(self), [
            lambda port: ["curl", "-q", "-sS", "-o", "/dev/null",
                          "http://127.0.0.1:%d/hello.txt" % port]] * n, trace_clients=False)
        self.assertClientNamed(ex.trace, ex.server.pid, n)

    def test_node_server(self):
        # libuv accepts with accept4(fd, NULL, NULL, flags): the shim asks
        # for the peer in its stead.
        node = need(self, "node", "nodejs")
        ex = self.exchange([node, PEER_JS, "server"], [
            lambda port: [node, PEER_JS, "client", "http://127.0.0.1:%d/hello" % port]])
        spans = http_spans(ex.trace, ex.server.pid)
        self.assertEqual([s.args.get("client.address") for s in spans], ["127.0.0.1"])
        self.assertEqual(accepted_ports(ex.trace, ex.server.pid),
                         {s.args.get("client.port") for s in spans})


class TestDuplicatedDescriptors(HttpCase):
    """A connection used through duplicates of its descriptor is one
    connection: each request one server span, answered, whatever descriptor
    read it, answered it or was closed first."""

    def check(self, mode):
        ex = self.exchange([sys.executable, DUP_SERVER_PY, mode], [
            curl("http://127.0.0.1:PORT/one", "http://127.0.0.1:PORT/two"),
            curl("http://127.0.0.1:PORT/three")], trace_clients=False)
        self.assertEqual([c.stdout for c in ex.clients], [b"/one/two", b"/three"])
        spans = [s for s in ex.trace.slices if s.name == "GET" and "url.path" in s.args]
        self.assertEqual(sorted((s.args["url.path"], s.args.get("http.response.status_code"),
                                 s.args.get("error.type"), s.args.get("client.address"))
                                for s in spans),
                         [("/one", 200, None, "127.0.0.1"), ("/three", 200, None, "127.0.0.1"),
                          ("/two", 200, None, "127.0.0.1")])
        for s in spans:
            self.assertNotIn("traceshim.unended", s.args, s)
        return ex, spans

    def test_inetd_style_handler_on_stdin_and_stdout(self):
        # The handler (a process per connection) reads descriptor 0 and
        # answers on 1: one socket, inherited twice.
        ex, spans = self.check("inetd")
        self.assertNotIn(ex.server.pid, {s.pid for s in spans})

    def test_inetd_style_handler_that_exits_without_closing(self):
        # A body that ends with the connection, ended by the handler's exit.
        ex = self.exchange([sys.executable, DUP_SERVER_PY, "inetd-exit"], [
            curl("http://127.0.0.1:PORT/one"), curl("http://127.0.0.1:PORT/two")],
            trace_clients=False)
        self.assertEqual([c.stdout for c in ex.clients], [b"/one", b"/two"])
        self.assertEqual(served(ex.trace), [("/one", 200, None, False), ("/two", 200, None, False)])

    def test_duplicates_with_the_original_closed_first(self):
        # Read on one duplicate, answered on another; the original was
        # closed before the first request, the reading one before the last
        # answer's descriptor.
        ex, spans = self.check("dups")
        self.assertEqual({s.pid for s in spans}, {ex.server.pid})

    DUP2_OVER = r"""
import os, socket
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(4)
c1 = socket.create_connection(srv.getsockname()); s1, _ = srv.accept()
c2 = socket.create_connection(srv.getsockname()); s2, _ = srv.accept()
c1.sendall(b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
os.read(s1.fileno(), 4096)
os.dup2(s2.fileno(), s1.fileno())   # closes the first connection's descriptor
c2.sendall(b"GET /second HTTP/1.1\r\nHost: x\r\n\r\n")
os.read(s1.fileno(), 4096)
os.write(s1.fileno(), b"HTTP/1.1 204 No Content\r\n\r\n")
print(c2.recv(100).split(b"\r\n")[0].decode())
"""

    def test_dup2_over_a_connection_ends_it(self):
        # dup2 closes what its target referred to: the request left
        # unanswered there ends then, and the number goes on as the other
        # connection.
        done, path = self.run_script(self.DUP2_OVER)
        self.assertEqual((done.returncode, done.stdout), (0, b"HTTP/1.1 204 No Content\n"),
                         done.stderr)
        trace = tracelib.load_trace(path)
        spans = {s.args["url.path"]: s for s in trace.slices
                 if s.name == "GET" and "url.path" in s.args}
        self.assertEqual(sorted(spans), ["/first", "/second"])
        first, second = spans["/first"], spans["/second"]
        self.assertEqual(first.args.get("error.type"), "connection_closed", first)
        self.assertNotIn("traceshim.unended", first.args)
        self.assertLess(first.end, second.ts)
        self.assertEqual((second.args.get("http.response.status_code"),
                          second.args.get("client.address")), (204, "127.0.0.1"))


class TestPassedListener(HttpCase):
    def test_listener_received_over_a_unix_socket(self):
        # A listening socket handed to a worker over SCM_RIGHTS (a pre-fork
        # server's forkserver): the connections it accepts are HTTP too.
        script = r"""
import os, socket, sys
a, b = socket.socketpair()
pid = os.fork()
if pid == 0:
    a.close()
    _, fds, _, _ = socket.recv_fds(b, 16, 1)
    ls = socket.socket(fileno=fds[0])
    c, _ = ls.accept()
    data = b""
    while b"\r\n\r\n" not in data:
        data += c.recv(4096)
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
    c.close()
    os._exit(0)
b.close()
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(4)
socket.send_fds(a, [b"x"], [ls.fileno()])
c = socket.create_connection(ls.getsockname())
ls.close()
c.sendall(b"GET /passed HTTP/1.1\r\nHost: x\r\n\r\n")
sys.stdout.write(read_all(c).decode().split("\r\n")[0] + "\n")
os.waitpid(pid, 0)
"""
        done, path = self.run_script(script)
        self.assertEqual((done.returncode, done.stdout), (0, b"HTTP/1.1 200 OK\n"), done.stderr)
        trace = tracelib.load_trace(path)
        self.assertEqual(served(trace), [("/passed", 200, None, False)])


class TestConnectionEnds(HttpCase):
    """How a connection's end ends its spans: half-closed by the client,
    closed in bulk, closed by the process's end."""

    HALF_CLOSE = r"""
import os, socket
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(4)
c = socket.create_connection(srv.getsockname()); s, _ = srv.accept()
c.sendall(b"GET /half HTTP/1.1\r\nHost: x\r\n\r\n")
c.shutdown(socket.SHUT_WR)   # nothing more to send; the answer is still awaited
read_all(s)
s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
s.close()
print(c.recv(100).split(b"\r\n")[0].decode())
"""

    def test_client_that_shuts_its_side_down_still_gets_its_answer(self):
        done, path = self.run_script(self.HALF_CLOSE)
        self.assertEqual((done.returncode, done.stdout), (0, b"HTTP/1.1 200 OK\n"), done.stderr)
        self.assertEqual(served(tracelib.load_trace(path)), [("/half", 200, None, False)])

    EXIT_WAYS = r"""
import ctypes, os, socket, sys
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(4)
c = socket.create_connection(srv.getsockname()); s, _ = srv.accept()
c.sendall(b"GET /" + sys.argv[1].encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
os.read(s.fileno(), 4096)
os.write(s.fileno(), b"HTTP/1.0 200 OK\r\n\r\nbody until close")
keep = (c, s)   # both stay open: the process's end closes them
os.write(1, b"answered\n")
way = sys.argv[1]
if way == "exit":
    ctypes.CDLL(None).exit(0)
elif way == "_exit":
    os._exit(0)
else:
    ctypes.CDLL(None).quick_exit(0)
"""

    def test_the_process_end_ends_its_connections(self):
        # exit, _exit and quick_exit close the connection: its body that
        # lasts until the close ends well.
        for way in ("exit", "_exit", "quick_exit"):
            done, path = self.run_script(self.EXIT_WAYS, way, name=way)
            self.assertEqual((done.returncode, done.stdout), (0, b"answered\n"), done.stderr)
            self.assertEqual(served(tracelib.load_trace(path)), [("/" + way, 200, None, False)])

    CLOSE_RANGE = r"""
import ctypes, os, socket, sys
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(4)
for way in sys.argv[1:]:
    c = socket.create_connection(srv.getsockname()); s, _ = srv.accept()
    c.sendall(b"GET /" + way.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    os.read(s.fileno(), 4096)
    os.write(s.fileno(), b"HTTP/1.0 200 OK\r\n\r\nbody until close")
    fd = s.detach()
    if way == "function":
        os.closerange(fd, fd + 1)
    else:   # the system call, as a program without the libc function makes it
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.syscall(436, fd, fd, 0) == 0   # close_range: 436 everywhere
    os.write(1, read_all(c)[-5:] + b"\n")
"""

    def test_a_server_killed_mid_request_fails_the_request(self):
        # The process dies by a signal while answering: its request never
        # got its answer, and is ERROR as cut short by the signal.
        script = r"""
import os, signal, socket, sys, time
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(4)
pid = os.fork()
if pid == 0:
    c, _ = ls.accept()
    data = b""
    while b"\r\n\r\n" not in data:
        data += c.recv(4096)
    os.write(1, b"read\n")
    time.sleep(60)
    os._exit(0)
c = socket.create_connection(ls.getsockname())
c.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
time.sleep(0.5)
os.kill(pid, signal.SIGKILL)
_, st = os.waitpid(pid, 0)
sys.stdout.write("killed %d\n" % os.WTERMSIG(st))
"""
        done, path = self.run_script(script)
        self.assertEqual((done.returncode, done.stdout), (0, b"read\nkilled 9\n"), done.stderr)
        trace = tracelib.load_trace(path)
        (s,) = [s for s in trace.slices if s.name == "GET" and "url.path" in s.args]
        self.assertEqual((s.args.get("error.type"), s.args.get("otel.status_code"),
                          s.args.get("traceshim.unended")), ("signal", "ERROR", True), s.args)

    def test_close_range_ends_connections(self):
        # close_range (the function, and the system call through syscall())
        # closes the connection: a body until close ends well then, long
        # before the process exits.
        done, path = self.run_script(self.CLOSE_RANGE, "function", "syscall")
        self.assertEqual((done.returncode, done.stdout), (0, b"close\nclose\n"), done.stderr)
        trace = tracelib.load_trace(path)
        spans = {s.args["url.path"]: s for s in trace.slices
                 if s.name == "GET" and "url.path" in s.args}
        self.assertEqual(sorted(spans), ["/function", "/syscall"])
        said = [s for s in trace.slices if s.name == "write" and s.args.get("traceshim.fd") == 1]
        self.assertEqual(len(said), 2)
        for (way, span), after in zip(sorted(spans.items()), said):
            self.assertEqual((span.args.get("http.response.status_code"),
                              span.args.get("error.type")), (200, None), way)
            self.assertLessEqual(span.end, after.ts, way)


class TestCgi(HttpCase):
    """Python's CGI server reads the request, sends its status line, and a
    child it forks (the script) sends the rest on the same connection: the
    server's span ends when it closes its end, with the status it sent,
    not as failed, and names the child."""

    def cgi_script(self, name, text):
        """DIR/cgi-bin/name, a shell script of text, which the server runs."""
        cgi_bin = os.path.join(self.www, "cgi-bin")
        os.makedirs(cgi_bin, exist_ok=True)
        script = os.path.join(cgi_bin, name)
        with open(script, "w") as f:
            f.write("#!/bin/sh\n" + text)
        # As root the server runs the script as nobody, who must reach it.
        for path in (self.tmp, self.www, cgi_bin, script):
            os.chmod(path, 0o755)

    def test_a_script_answers_for_the_server(self):
        tracelib.skip_under_sanitizer(self, "curl", "hangs")
        self.cgi_script("hello.sh", "printf 'Content-Type: text/plain\\r\\n\\r\\nhello from cgi\\n'\n")
        url = "http://127.0.0.1:PORT/cgi-bin/hello.sh"
        ex = self.exchange([sys.executable, SERVER_PY, "--cgi", self.www], [curl(url, url)])
        self.assertEqual(ex.clients[0].stdout, b"hello from cgi\n" * 2)
        spans = http_spans(ex.trace, ex.server.pid)
        self.assertEqual(len(spans), 2, spans)
        forks = [s for s in ex.trace.slices_of(pid=ex.server.pid) if s.name == "fork"]
        children = {s.args.get("traceshim.child.pid") for s in forks}
        for s in spans:
            self.assertEqual((s.args.get("http.response.status_code"), s.args.get("error.type"),
                              s.args.get("otel.status_code")), (200, None, None), s.args)
            self.assertIn(s.args.get("traceshim.http.handed_to.pid"), children, (s.args, forks))
        for c in http_spans(ex.trace, ex.clients[0].pid):
            self.assertEqual(c.args.get("http.response.status_code"), 200, c.args)

    def test_a_script_reads_the_body_of_a_post(self):
        # The script reads the body and answers; the client closes, and
        # only then does the server, reading what is left of the request,
        # see the end of it: the exchange was the child's, not failed.
        tracelib.skip_under_sanitizer(self, "curl", "hangs")
        # A length, so that curl closes as soon as it has the body; the
        # script stays a while after it, so that the client has gone by the
        # time the server reads on.
        self.cgi_script("echo.sh", "body=$(head -c \"$CONTENT_LENGTH\")\n"
                        "printf 'Content-Type: text/plain\\r\\nContent-Length: 11\\r\\n\\r\\n"
                        "posted=%s\\n' \"$body\"\nsleep 0.3\n")
        url = "http://127.0.0.1:PORT/cgi-bin/echo.sh"
        ex = self.exchange([sys.executable, SERVER_PY, "--cgi", self.www],
                           [curl("-d", "abc", url)])
        self.assertEqual(ex.clients[0].stdout, b"posted=abc\n")
        (s,) = http_spans(ex.trace, ex.server.pid)
        self.assertEqual((s.name, s.args.get("http.response.status_code"), s.args.get("error.type"),
                          s.args.get("otel.status_code")), ("POST", 200, None, None), s.args)
        self.assertIn("traceshim.http.handed_to.pid", s.args)

    # Both ends of a connection whose GET the server side has read whole,
    # for a script of run_handed_over; it writes the status line the client
    # got, after the server side's `answer` (its own code) has run.
    HANDED_OVER = """
import os, socket, subprocess, sys
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen()
c = socket.create_connection(ls.getsockname()); s, _ = ls.accept()
c.sendall(b"GET /h HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
head = b""
while b"\\r\\n\\r\\n" not in head:
    head += s.recv(1)
%s
sys.stdout.write(read_all(c).decode().split("\\r\\n")[0] + "\\n")
"""
    ANSWER = "HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok"

    def run_handed_over(self, answer):
        """The server span of HANDED_OVER with answer, once the client got
        its 200: not failed."""
        done, path = self.run_script(self.HANDED_OVER % answer)
        self.assertEqual((done.returncode, done.stdout), (0, b"HTTP/1.1 200 OK\n"), done.stderr)
        trace = tracelib.load_trace(path)
        (s,) = [s for s in trace.slices if s.name == "GET" and "url.path" in s.args]
        self.assertEqual((s.args.get("error.type"), s.args.get("otel.status_code")), (None, None),
                         s.args)
        return s

    def test_a_child_answers_a_request_read_whole(self):
        # The reader reads the whole request and writes nothing: the child
        # it starts answers on the connection, and the reader closes its
        # copy. Nothing was under way to abandon, and nothing failed.
        s = self.run_handed_over("""
p = subprocess.Popen([sys.executable, "-c", "import os, sys; os.write(1, sys.argv[1].encode())",
                      "%s"], stdout=s.fileno())
s.close(); p.wait()
""" % self.ANSWER)
        self.assertIn("traceshim.http.handed_to.pid", s.args)

    def test_a_worker_it_sends_the_connection_to_answers(self):
        # A dispatcher reads a request, sends the connection to a worker
        # forked before (SCM_RIGHTS over a socketpair), and closes its copy:
        # the worker answers, and the dispatcher's span is not failed (the
        # socketpair names no worker's pid).
        self.run_handed_over("""
a, b = socket.socketpair()
pid = os.fork()
if pid == 0:
    msg, fds, _, _ = socket.recv_fds(b, 4096, 1)
    socket.socket(fileno=fds[0]).sendall(b"%s")
    os._exit(0)
socket.send_fds(a, [b"take it"], [s.fileno()])
s.close(); os.waitpid(pid, 0)
""" % self.ANSWER)


class TestStdioStreams(HttpCase):
    """HTTP read and written through stdio streams on a socket (fdopen, an
    inetd-style handler's stdin and stdout)."""

    def test_stdio_handler_on_stdin_and_stdout(self):
        # A C handler reading with getc (and ungetc) and answering with
        # printf, fputs and putchar: stdio's own reads and writes are out of
        # sight, the calls that hand the program its bytes are not.
        handler = os.path.join(os.environ["PROGS_DIR"], "stdio_http")
        ex = self.exchange([sys.executable, DUP_SERVER_PY, "inetd", handler, "handler"], [
            curl("http://127.0.0.1:PORT/one", "http://127.0.0.1:PORT/two")],
            trace_clients=False)
        self.assertEqual(ex.clients[0].stdout, b"/one\n/two\n")
        self.assertEqual(served(ex.trace), [("/one", 200, None, False), ("/two", 200, None, False)])

    def test_stdio_client(self):
        # fprintf and fflush out, fgets and fread in: CLIENT spans (no
        # traceparent goes through a stream), under the server's spans' peer.
        client = os.path.join(os.environ["PROGS_DIR"], "stdio_http")
        ex = self.exchange(python_server(self), [
            lambda port: [client, "client", str(port), "/hello.txt", "/missing.txt"]])
        self.assertTrue(ex.clients[0].stdout.startswith(b"200 " + HELLO + b"404 "),
                        ex.clients[0].stdout)
        spans = http_spans(ex.trace, ex.clients[0].pid)
        self.assertEqual([(s.args.get("url.full"), s.args.get("http.response.status_code"),
                           s.args.get("traceshim.http.traceparent")) for s in spans],
                         [("http://127.0.0.1:%d/hello.txt" % ex.port, 200, "not_injected"),
                          ("http://127.0.0.1:%d/missing.txt" % ex.port, 404, "not_injected")])
        self.assertEqual([s.args.get("http.response.status_code")
                          for s in http_spans(ex.trace, ex.server.pid)], [200, 404])


# A shell starts the server in the background, curl asks it twice, the
# server is stopped; everything under one `traceshim run`.
SHELL_EXCHANGE = r"""
set -e
mkfifo ctl portpipe
"$PYTHON" "$SERVER" www <ctl >portpipe &
exec 3>ctl
read port <portpipe
curl -q -sS -w '%{http_code}\n' -o /dev/null -o /dev/null \
    "http://127.0.0.1:$port/hello.txt" "http://127.0.0.1:$port/missing.txt"
exec 3>&-
wait
rm ctl portpipe
"""


class TestOneTrace(HttpCase):
    def test_traceshim_run_over_a_shell_with_server_and_client(self):
        tracelib.skip_under_sanitizer(self, "curl", "hangs")
        cli = tracelib.traceshim_cli()
        env = dict(self.env(False), PYTHON=sys.executable, SERVER=SERVER_PY)
        argv = ["sh", "-c", SHELL_EXCHANGE]
        plain = subprocess.run(argv, env=env, cwd=self.tmp, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
        path = os.path.join(self.tmp, "run.pftrace")
        # traceshim run keeps an LD_PRELOAD (a sanitizer's runtimes) ahead.
        run_env = dict(env)
        if os.environ.get("TRACESHIM_PRELOAD_FIRST"):
            run_env["LD_PRELOAD"] = os.environ["TRACESHIM_PRELOAD_FIRST"]
        traced = subprocess.run([cli, "run", "-o", path, "--"] + argv, env=run_env, cwd=self.tmp,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual((plain.returncode, plain.stdout, plain.stderr),
                         (0, b"200\n404\n", b""))
        self.assertEqual((traced.returncode, traced.stdout), (0, plain.stdout), traced.stderr)
        trace = tracelib.load_trace(path)
        spans = [s for s in trace.slices if "http.request.method" in s.args]
        clients = sorted((s for s in spans if "url.full" in s.args), key=lambda s: s.ts)
        servers = sorted((s for s in spans if "url.path" in s.args), key=lambda s: s.ts)
        self.assertEqual(len(spans), 4, [(s.pid, s.name, s.args) for s in spans])
        self.assertEqual([trace.processes[s.pid] for s in clients], ["curl"] * 2)
        self.assertEqual(len({s.pid for s in servers}), 1)
        self.assertNotIn(servers[0].pid, {s.pid for s in clients})
        port = clients[0].args["server.port"]
        agent = clients[0].args["user_agent.original"]
        self.assertEqual([(s.name, without(s.args, CPU_TIME)) for s in clients], [
            ("GET", client_args("GET", "http://127.0.0.1:%d%s" % (port, p), port, status, agent))
            for p, status in (("/hello.txt", 200), ("/missing.txt", 404))])
        ports = accepted_ports(trace, servers[0].pid)
        self.assertEqual([(s.name, server_view(s.args, ports)) for s in servers], [
            ("GET", server_args("GET", p, port, status, agent))
            for p, status in (("/hello.txt", 200), ("/missing.txt", 404))])
        for c, s in zip(clients, servers):
            self.assertOverlap(c, s)


# Protocols over TCP that are not HTTP, both ends in one process: each case
# is a list of (sender, bytes) on one connection, "c" the client, "s" the
# server; the receiver reads exactly that many bytes.
NOT_HTTP_CASES = [
    # memcached's text protocol: a lower-case command, then a data block.
    [("c", b"get key\r\n"), ("s", b"VALUE key 0 5\r\nhello\r\nEND\r\n"),
     ("c", b"set k 0 0 2\r\nhi\r\n"), ("s", b"STORED\r\n")],
    # Redis: an inline command starting like a request line, then RESP.
    [("c", b"GET key\r\n"), ("s", b"$5\r\nvalue\r\n"),
     ("c", b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"), ("s", b"$-1\r\n")],
    # HTTP/0.9: a method and a path, no version.
    [("c", b"GET /index.html\r\n"), ("s", b"<html>hi</html>\r\n")],
    # A server that speaks first (SMTP).
    [("s", b"220 mail ESMTP ready\r\n"), ("c", b"EHLO me\r\n"), ("s", b"250 ok\r\n")],
    # Binary.
    [("c", bytes(range(256))), ("s", bytes(range(255, -1, -1)))],
]

NOT_HTTP_SCRIPT = r"""
import socket, sys, threading
CASES = %r

def exact(sock, n):
    data = b""
    while len(data) < n:
        got = sock.recv(n - len(data))
        if not got:
            raise SystemExit("peer closed early")
        data += got
    return data

def run(sock, me, steps):
    for who, data in steps:
        if who == me:
            sock.sendall(data)
        elif exact(sock, len(data)) != data:
            raise SystemExit("unexpected bytes")

srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(8)

def serve():
    for steps in CASES:
        conn, _ = srv.accept()
        with conn:
            run(conn, "s", steps)

t = threading.Thread(target=serve)
t.start()
for n, steps in enumerate(CASES):
    with socket.create_connection(srv.getsockname()) as c:
        run(c, "c", steps)
    print("case", n, "ok")
t.join()
srv.close()
""" % (NOT_HTTP_CASES,)


class TestNotHttp(HttpCase):
    def test_other_protocols_make_no_http_span(self):
        proc, trace = tracelib.run_pair([sys.executable, "-c", NOT_HTTP_SCRIPT],
                                        env={"TRACESHIM_RUN_DIR": self.run_dir})
        self.assertEqual(proc.stdout, b"".join(b"case %d ok\n" % n
                                               for n in range(len(NOT_HTTP_CASES))))
        self.assertEqual([(s.name, s.args) for s in trace.slices
                          if "http.request.method" in s.args], [])
        (pid,) = [p for p, name in trace.processes.items() if name.startswith("python")]
        # Nothing on the process's own tracks but its process span.
        self.assertEqual([s.name for s in trace.slices_of(pid=pid) if trace.thread_of(s) is None],
                         [trace.processes[pid]])
        # The client is the main thread, the server the one that accepts.
        (server,) = [t.tid for t in trace.thread_tracks(pid) if t.tid != pid
                     and any(s.name == "accept" for s in trace.slices_of(pid=pid, tid=t.tid))]
        # Every byte each side sent or received is in a socket call's span,
        # one send per message, as without HTTP in the picture.
        for tid, me in ((pid, "c"), (server, "s")):
            on_socket = [s for s in trace.slices_of(pid=pid, tid=tid)
                         if s.args.get("traceshim.fd.type") == "socket"
                         and s.args.get("network.transport") == "tcp"]
            sends = [s.args.get("traceshim.io.bytes") for s in on_socket
                     if s.name in ("send", "sendto", "write")]
            received = sum(s.args.get("traceshim.io.bytes", 0) for s in on_socket
                           if s.name in ("recv", "recvfrom", "read"))
            mine = [len(d) for steps in NOT_HTTP_CASES for who, d in steps if who == me]
            theirs = sum(len(d) for steps in NOT_HTTP_CASES for who, d in steps if who != me)
            self.assertEqual(sends, mine, "sends of the %s thread" % me)
            self.assertEqual(received, theirs, "bytes received by the %s thread" % me)


class OtlpReceiver(tracelib.OtlpHandler):
    """Keeps every request body (decompressed), answers 200."""
    protocol_version = "HTTP/1.1"
    bodies = []
    paths = []
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        with OtlpReceiver.lock:
            OtlpReceiver.bodies.append(body)
            OtlpReceiver.paths.append(self.path)
        self.answer(200)


def otlp_value(v):
    for kind in ("string_value", "int_value", "bool_value", "double_value"):
        if kind in v:
            x = v.one(kind)
            return x.decode() if isinstance(x, bytes) else x
    return None


def otlp_attrs(msg):
    return {a.one("key").decode(): otlp_value(a.one("value")) for a in msg.all("attributes")}


def otlp_spans(bodies):
    """[(span, resource attributes)] of every request body."""
    out = []
    for body in bodies:
        for rs in tracelib.decode_otlp_request(body).all("resource_spans"):
            resource = otlp_attrs(rs.one("resource"))
            for ss in rs.all("scope_spans"):
                out += [(s, resource) for s in ss.all("spans")]
    return out


class TestOtlp(tracelib.LoopbackReceiver, HttpCase):
    """The same spans sent over OTLP: kind CLIENT (SPAN_KIND_CLIENT = 3) for
    curl, SERVER (2) for the server; the shim's own requests to the
    receiver are not among them."""
    handler = OtlpReceiver

    def test_client_and_server_spans_over_otlp(self):
        tracelib.skip_under_sanitizer(self, "curl", "hangs")
        here = os.path.dirname(tracelib.shim_library())
        if not all(os.path.exists(os.path.join(here, m)) for m in
                   ("libtraceshim-otlp.so", "libtraceshim-otlp-send.so")):
            self.skipTest("the OTLP modules are not built next to the library")
        with OtlpReceiver.lock:
            OtlpReceiver.bodies, OtlpReceiver.paths = [], []
        endpoint = "http://127.0.0.1:%d" % self.port
        agent = "curl/" + tool_version(["curl", "--version"], r"^curl (\S+)")
        ex = self.exchange(python_server(self),
                           [curl("http://127.0.0.1:PORT/hello.txt",
                                 "http://127.0.0.1:PORT/missing.txt")],
                           trace_file=False, OTEL_EXPORTER_OTLP_ENDPOINT=endpoint)
        self.assertTrue(tracelib.wait_for_agent(self.run_dir), "the agent never finished")
        self.assertEqual(set(OtlpReceiver.paths), {"/v1/traces"})
        spans = otlp_spans(OtlpReceiver.bodies)
        by_id = {s.one("span_id"): s for s, _ in spans}
        http, calls = {}, {}
        for s, resource in spans:
            attrs = otlp_attrs(s)
            if "http.request.method" not in attrs:
                continue
            # The quick calls made for the request, counted on its span
            # (roll-ups, on for OTLP), apart.
            calls[attrs.get("url.path")] = {k: attrs.pop(k) for k in list(attrs)
                                            if k.startswith("traceshim.calls.")}
            attrs.pop(CPU_TIME, None)
            # Each hangs under a span that was exported too, in its trace.
            parent = by_id.get(s.one("parent_span_id"))
            self.assertIsNotNone(parent, "the parent of %s was not exported" % attrs)
            self.assertEqual(parent.one("trace_id"), s.one("trace_id"))
            status = (s.one("status") or tracelib.Msg()).one("code", "STATUS_CODE_UNSET")
            http.setdefault(resource.get("process.pid"), []).append(
                (s.one("start_time_unix_nano"), s.one("name").decode(), s.one("kind"), status,
                 attrs))
        self.assertEqual(sorted(http), sorted([ex.server.pid, ex.clients[0].pid]),
                         "the processes with HTTP spans")
        base = "http://127.0.0.1:%d" % ex.port
        self.assertEqual([g[1:] for g in sorted(http[ex.clients[0].pid])], [
            ("GET", "SPAN_KIND_CLIENT", "STATUS_CODE_UNSET",
             client_args("GET", base + "/hello.txt", ex.port, 200, agent)),
            ("GET", "SPAN_KIND_CLIENT", "STATUS_CODE_ERROR",
             without_status(client_args("GET", base + "/missing.txt", ex.port, 404, agent)))])
        ports = {otlp_attrs(s).get("network.peer.port") for s, r in spans
                 if s.one("name") == b"accept" and r.get("process.pid") == ex.server.pid}
        self.assertEqual([g[1:4] + (server_view(g[4], ports),)
                          for g in sorted(http[ex.server.pid])], [
            ("GET", "SPAN_KIND_SERVER", "STATUS_CODE_UNSET",
             server_args("GET", "/hello.txt", ex.port, 200, agent)),
            ("GET", "SPAN_KIND_SERVER", "STATUS_CODE_UNSET",
             server_args("GET", "/missing.txt", ex.port, 404, agent))])
        # The file served was opened under the server span: a quick open is
        # counted on it, a slow one is a span of its own under it.
        served = [s for s, _ in spans if s.one("name") == b"open"
                  and otlp_attrs(s).get("file.path", "").endswith("/hello.txt")]
        self.assertGreaterEqual(len(served) + calls["/hello.txt"].get("traceshim.calls.open.count", 0),
                                1, calls)


class TestEventLoop(tracelib.LoopbackReceiver, HttpCase):
    """An event loop that reads requests before it has answered the ones
    before (Node, one thread): no request's span is the child of another's,
    and a call made for one is under it or, while several are open (which
    of them it is for cannot be told), under the thread, never under
    another request. Node relays /relay/NAME to its own /slow/NAME, which
    answers after 300 ms: four relays, three at once and one alone."""
    handler = OtlpReceiver

    def test_overlapping_requests(self):
        node = need(self, "node", "nodejs")
        tracelib.skip_under_sanitizer(self, "curl", "hangs")
        with OtlpReceiver.lock:
            OtlpReceiver.bodies, OtlpReceiver.paths = [], []
        ex = self.exchange([node, PEER_JS, "server"], [
            # -sS: no progress meter, whose speeds differ from run to run.
            curl("-Z", "-sS", "--parallel-immediate", "-o", "/dev/null", "-o", "/dev/null", "-o",
                 "/dev/null", "-w", "%{http_code}\\n", "http://127.0.0.1:PORT/relay/a",
                 "http://127.0.0.1:PORT/relay/b", "http://127.0.0.1:PORT/relay/c"),
            curl("http://127.0.0.1:PORT/relay/solo")],
            trace_file=False, trace_clients=False,
            OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:%d" % self.port)
        self.assertEqual(ex.clients[0].stdout, b"200\n" * 3)
        self.assertEqual(ex.clients[1].stdout, b"solo\n")
        self.assertTrue(tracelib.wait_for_agent(self.run_dir), "the agent never finished")
        spans = [s for s, _ in otlp_spans(OtlpReceiver.bodies)]
        by_id = {s.one("span_id"): s for s in spans}
        servers, clients = {}, {}
        for s in spans:
            attrs = otlp_attrs(s)
            if "url.path" in attrs:
                servers[attrs["url.path"]] = s
            elif "url.full" in attrs:
                clients[attrs["url.full"].rsplit("/", 1)[1]] = s
        names = ["a", "b", "c", "solo"]
        self.assertEqual(sorted(servers), sorted(["/relay/" + n for n in names] +
                                                 ["/slow/" + n for n in names]))
        self.assertEqual(sorted(clients), sorted(names))
        for path, s in servers.items():
            parent = by_id.get(s.one("parent_span_id"))
            self.assertIsNotNone(parent, "the parent of %s was not exported" % path)
            self.assertNotIn("url.path", otlp_attrs(parent),
                             "%s is the child of another request" % path)
        for n in names:
            # The relayed request continues the relay's call (traceparent).
            self.assertEqual(servers["/slow/" + n].one("parent_span_id"),
                             clients[n].one("span_id"), n)
            self.assertEqual(servers["/slow/" + n].one("trace_id"), clients[n].one("trace_id"))
            parent = by_id.get(clients[n].one("parent_span_id"))
            self.assertIsNotNone(parent, "the parent of the call for %s was not exported" % n)
            if n == "solo":   # alone: the call is the request's
                self.assertEqual(parent.one("span_id"), servers["/relay/solo"].one("span_id"))
            else:
                self.assertIn(otlp_attrs(parent).get("url.path"), (None, "/relay/" + n),
                              "the call for %s is under another request" % n)


def without_status(args):
    """Perfetto shows a span's status as otel.status_code; OTLP has a field."""
    return {k: v for k, v in args.items() if k != "otel.status_code"}



# Each wrk thread stops after this many responses: a longer run's trace
# would take minutes to decode with protoc.
WRK_LIMIT = 1000
WRK_SCRIPT = """
local done = 0
function response(status, headers, body)
  done = done + 1
  if done >= %d then wrk.thread:stop() end
end
""" % WRK_LIMIT
WRK_THREADS, WRK_CONNECTIONS = 2, 8


class NginxUnderLoad:
    """nginx (a master and 2 workers: epoll, writev, sendfile or pread)
    serving a static file, run plain then traced; the traced one is asked
    by curl, by wrk (keep-alive, WRK_CONNECTIONS connections) and by curl
    again. One run per class: its tests check what it left."""
    sendfile = None
    body = bytes(range(256)) * 80           # 20 KiB

    @classmethod
    def setUpClass(cls):
        cls.nginx = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
        missing = [p for p, path in (("nginx", cls.nginx), ("wrk", shutil.which("wrk")))
                   if not path]
        if missing:
            why = "%s not installed (scripts/deps --test installs them)" % " and ".join(missing)
            if os.environ.get("CI") == "true":
                raise AssertionError(why + "; with CI=true they must be")
            raise unittest.SkipTest(why)
        tracelib.shim_library()
        cls._tmp = tempfile.TemporaryDirectory(prefix="traceshim-nginx-")
        cls.dir = cls._tmp.name
        os.mkdir(os.path.join(cls.dir, "www"))
        with open(os.path.join(cls.dir, "www", "file.txt"), "wb") as f:
            f.write(cls.body)
        with open(os.path.join(cls.dir, "limit.lua"), "w") as f:
            f.write(WRK_SCRIPT)
        cls.run_dir = tracelib.private_run_dir(cls.dir)
        cls.trace_path = os.path.join(cls.dir, "nginx.pftrace")
        try:
            cls.plain = cls.serve(False)
            cls.traced = cls.serve(True)
            cls.trace = tracelib.load_trace(cls.trace_path)
        except BaseException:
            cls._tmp.cleanup()
            raise
        with open(os.path.join(cls.dir, "access.log")) as f:
            cls.access = [line.split() for line in f]

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    @classmethod
    def serve(cls, traced):
        """Runs nginx until it is asked what it is asked; returns what each
        program did: {"nginx": Run, "curl": [Run], "wrk": Run or None}."""
        port = tracelib.free_loopback_port()
        conf = nginx_conf.write_config(cls.dir, port, cls.sendfile)
        for log in ("access.log", "error.log"):
            if os.path.exists(os.path.join(cls.dir, log)):
                os.unlink(os.path.join(cls.dir, log))
        env = untraced_env()
        if traced:
            env.update(LD_PRELOAD=tracelib.shim_preload(), TRACESHIM_OUTPUT=cls.trace_path,
                       TRACESHIM_RUN_DIR=cls.run_dir)
        proc = subprocess.Popen([cls.nginx, "-p", cls.dir, "-c", conf, "-e",
                                 os.path.join(cls.dir, "error.log")],
                                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        url = "http://127.0.0.1:%d/file.txt" % port
        plain_env = untraced_env()     # curl and wrk are not traced
        out = {"curl": [], "wrk": None}
        try:
            tracelib.wait_for_port(port, proc)
            out["curl"].append(run_client(["curl", "-q", "-sS", "-i", url], plain_env, cls.dir))
            if traced:
                out["wrk"] = run_client(
                    ["wrk", "-t%d" % WRK_THREADS, "-c%d" % WRK_CONNECTIONS, "-d2s",
                     "-s", os.path.join(cls.dir, "limit.lua"), url], plain_env, cls.dir)
                out["curl"].append(run_client(["curl", "-q", "-sS", "-i", url], plain_env,
                                              cls.dir))
        finally:
            proc.send_signal(signal.SIGQUIT)      # graceful stop: the master's own pid
            try:
                stdout, stderr = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                raise
        out["nginx"] = Run(proc.pid, proc.returncode, stdout, stderr)
        out["port"] = port
        return out

    def wrk_requests(self):
        wrk = self.traced["wrk"]
        self.assertEqual(wrk.returncode, 0, wrk.stderr)
        text = wrk.stdout.decode()
        m = re.search(r"(\d+) requests in [\d.]+\w+, [\d.]+\w+ read", text)
        self.assertTrue(m, text)
        self.assertNotIn("Non-2xx", text)
        self.assertNotIn("Socket errors", text)
        return int(m.group(1))

    def server_spans(self):
        return [s for s in self.trace.slices if "http.request.method" in s.args]

    def test_responses_unchanged(self):
        for run in (self.plain, self.traced):
            self.assertEqual((run["nginx"].returncode, run["nginx"].stdout, run["nginx"].stderr),
                             (0, b"", b""))
        blank = lambda r: re.sub(rb"\r\nDate: [^\r]*", b"", r.stdout)  # noqa: E731
        answers = [blank(r) for r in self.plain["curl"] + self.traced["curl"]]
        self.assertEqual(answers[1:], answers[:1] * 2, "curl's answers under the shim")
        self.assertTrue(answers[0].endswith(b"\r\n\r\n" + self.body), answers[0][:300])
        self.assertGreater(self.wrk_requests(), 0)
        # nginx's own account: every response whole, over kept-alive connections.
        self.assertEqual({(a[2], a[3], a[4], a[5]) for a in self.access},
                         {("GET", "/file.txt", "200", str(len(self.body)))})
        self.assertGreater(max(int(a[1]) for a in self.access), 1, "no connection kept alive")

    def test_trace_complete(self):
        # load_trace checked the importer's rules; nothing was dropped.
        self.assertEqual([s.args for s in self.trace.slices
                          if "traceshim.dropped_spans" in s.args
                          or "traceshim.untraced_threads" in s.args], [])
        # A master and the 2 workers it forked, all named nginx (the
        # master writes its title over its arguments before it forks).
        master = self.traced["nginx"].pid
        parents = {s.pid: s.args.get("process.parent_pid") for s in self.trace.slices
                   if "process.pid" in s.args}
        workers = sorted(p for p, parent in parents.items() if parent == master)
        self.assertEqual((sorted(parents), len(workers)), (sorted([master] + workers), 2),
                         "processes: %s" % parents)
        self.assertEqual({s.pid for s in self.server_spans()} - set(workers), set(),
                         "only the workers serve requests")
        self.assertEqual({self.trace.processes.get(p) for p in parents}, {"nginx"})

    def test_one_server_span_per_request(self):
        spans = self.server_spans()
        port = self.traced["port"]
        agent = "curl/" + tool_version(["curl", "--version"], r"^curl (\S+)")
        curls = len(self.traced["curl"])
        outcomes = collections.Counter((s.args.get("http.response.status_code"),
                                        s.args.get("error.type")) for s in spans)
        self.assertEqual(len(spans), len(self.access),
                         "%d HTTP spans for the %d requests nginx served; (status, error.type) "
                         "of the spans: %s" % (len(spans), len(self.access), dict(outcomes)))
        # Exactly the requests nginx served, each a finished SERVER span...
        ports = {pid: accepted_ports(self.trace, pid) for pid in {s.pid for s in spans}}
        self.assertEqual(collections.Counter(
            (s.name, tuple(sorted(server_view(s.args, ports[s.pid]).items()))) for s in spans),
                         collections.Counter({
                             ("GET", tuple(sorted(server_args("GET", "/file.txt", port, 200,
                                                              agent).items()))): curls,
                             ("GET", tuple(sorted(server_args("GET", "/file.txt", port,
                                                              200).items()))):
                                 len(self.access) - curls}))
        # ...which are those wrk counted, but for the ones still on their
        # way when its threads stopped (at most one per connection).
        wrk = self.wrk_requests()
        self.assertLessEqual(wrk, len(spans) - curls)
        self.assertLessEqual(len(spans) - curls, wrk + WRK_CONNECTIONS)
        for s in spans:
            self.assertIsNone(self.trace.thread_of(s), s)


class TestNginxSendfile(NginxUnderLoad, unittest.TestCase):
    """nginx as configured in the wild: the body goes out with sendfile."""
    sendfile = "on"


class TestNginxNoSendfile(NginxUnderLoad, unittest.TestCase):
    """The same with sendfile off: nginx reads the file (pread) and writes
    head and body with writev."""
    sendfile = "off"


MESSAGES = r'''
import socket
req = b"GET /m HTTP/1.1\r\nHost: x\r\n\r\n"
for kind in (socket.SOCK_DGRAM, socket.SOCK_SEQPACKET):
    a, b = socket.socketpair(socket.AF_UNIX, kind)
    print(a.send(req), b.recv(1000))
'''


# A server in the traced process: serve(n) answers n connections, one
# request each, noting in `seen` whether each head carried a traceparent.
ONE_REQUEST_SERVER = r'''
import socket, threading
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(8)
port = srv.getsockname()[1]
seen = []
def serve(n):
    for _ in range(n):
        c, _ = srv.accept()
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += c.recv(65536)
        seen.append(b"traceparent:" in buf.lower())
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        c.close()
'''

ODD_TARGETS = ONE_REQUEST_SERVER + r'''
threading.Thread(target=serve, args=(5,), daemon=True).start()
for req in (b"GET /nohost HTTP/1.1\r\n\r\n",
            b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
            b"CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n",
            b"PUT http://example.com:8080/a/b?q=1 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n",
            b"DELETE HTTPS://example.com?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"):
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(req)
    got = b""
    while not got.endswith(b"ok"):
        got += c.recv(4096)
    c.close()
print(port)
'''


# A request, then one whose head is over 16 KiB, then another, on one
# keep-alive connection: both ends in this process.
BIG_HEAD = r'''
import socket, threading
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
def serve():
    c, _ = srv.accept()
    buf = b""
    for _ in range(3):
        while b"\r\n\r\n" not in buf:
            buf += c.recv(65536)
        buf = buf[buf.index(b"\r\n\r\n") + 4:]
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
threading.Thread(target=serve, daemon=True).start()
c = socket.create_connection(srv.getsockname())
for path, extra in (("/small", b""), ("/big", b"X-Big: " + b"a" * 17000 + b"\r\n"), ("/after", b"")):
    c.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n")
    got = b""
    while not got.endswith(b"ok"):
        got += c.recv(4096)
print("done")
'''


# Requests with 63 and 64 header lines, each on a connection of its own;
# prints whether the server saw a traceparent in each.
MANY_HEADERS = ONE_REQUEST_SERVER + r'''
t = threading.Thread(target=serve, args=(2,))
t.start()
for lines in (63, 64):
    c = socket.create_connection(srv.getsockname())
    head = b"GET /h%d HTTP/1.1\r\nHost: x\r\n" % lines
    head += b"".join(b"X-H%d: v\r\n" % i for i in range(lines - 1))
    c.sendall(head + b"\r\n")
    got = b""
    while not got.endswith(b"ok"):
        got += c.recv(4096)
    c.close()
t.join()
print(seen)
'''


# A request after an empty line, as RFC 9112 2.2 lets a server ignore.
LEADING_CRLF = MANY_HEADERS.replace("for lines in (63, 64):", "for lines in (1, 2):").replace(
    'head = b"GET', 'head = b"\\r\\nGET')


class TestOddTargets(unittest.TestCase):
    def test_an_empty_line_before_the_first_request(self):
        proc, trace = tracelib.run_pair([sys.executable, "-c", LEADING_CRLF])
        servers = sorted(s.args.get("url.path") for s in trace.slices if "url.scheme" in s.args)
        clients = sorted(s.args.get("url.full") for s in trace.slices if "traceshim.http.traceparent" in s.args)
        self.assertEqual(servers, ["/h1", "/h2"])
        self.assertEqual(clients, ["http://x/h1", "http://x/h2"])

    def test_a_head_of_many_lines_goes_out_as_it_is(self):
        # One line more could take a server counting them past its limit.
        proc, trace = tracelib.run_pair([sys.executable, "-c", MANY_HEADERS], compare=("returncode",))
        self.assertEqual(proc.stdout, b"[True, False]\n")
        clients = {s.args.get("url.full"): s.args.get("traceshim.http.traceparent") for s in trace.slices
                   if "traceshim.http.traceparent" in s.args}
        self.assertEqual(clients, {"http://x/h63": "injected", "http://x/h64": "not_injected"})

    def test_a_request_head_over_the_limit_is_a_failed_span(self):
        # The request over 16 KiB is a span on both sides, failed with the
        # reason; the connection's later requests are not followed.
        proc, trace = tracelib.run_pair([sys.executable, "-c", BIG_HEAD], compare=("returncode", "stdout"))
        self.assertEqual(proc.stdout, b"done\n")
        gets = sorted((s for s in trace.slices if s.name == "GET"), key=lambda s: s.ts)
        paths = [(s.args.get("url.path") or s.args.get("url.full", "").replace("http://x", ""),
                  s.args.get("error.type"), s.args.get("otel.status_code")) for s in gets]
        self.assertEqual(sorted(paths), sorted([("/small", None, None)] * 2 + [("/big", "head_too_large", "ERROR")] * 2),
                         paths)

    def test_url_full_of_requests_without_a_host_or_a_path(self):
        # No Host: the URL names the peer. OPTIONS * and CONNECT's
        # authority: no URL is made up.
        proc, trace = tracelib.run_pair([sys.executable, "-c", ODD_TARGETS],
                                        compare=("returncode",))
        port = int(proc.stdout)
        clients = {s.name: s for s in trace.slices if "traceshim.http.traceparent" in s.args}
        self.assertEqual(sorted(clients), ["CONNECT", "DELETE", "GET", "OPTIONS", "PUT"])
        self.assertEqual(clients["GET"].args.get("url.full"), "http://127.0.0.1:%d/nohost" % port)
        self.assertNotIn("url.full", clients["OPTIONS"].args)
        self.assertNotIn("url.full", clients["CONNECT"].args)
        self.assertEqual(clients["CONNECT"].args.get("server.address"), "example.com")
        # The server's side: url.path is the path of an absolute-form
        # target (a forward proxy's requests), its scheme url.scheme; a
        # CONNECT's authority is no path.
        servers = {s.name: s for s in trace.slices if "url.scheme" in s.args}
        self.assertEqual(sorted(servers), ["CONNECT", "DELETE", "GET", "OPTIONS", "PUT"])
        self.assertEqual([servers[m].args.get("url.path") for m in ("GET", "OPTIONS", "PUT", "DELETE")],
                         ["/nohost", "*", "/a/b", "/"])
        self.assertEqual(servers["PUT"].args.get("url.query"), "q=REDACTED")
        self.assertEqual(servers["DELETE"].args.get("url.scheme"), "https")
        self.assertEqual(servers["PUT"].args.get("url.scheme"), "http")
        self.assertNotIn("url.path", servers["CONNECT"].args)


class TestMessageSockets(unittest.TestCase):
    def test_unix_datagrams_that_look_like_http_are_left_as_they_are(self):
        # HTTP is a stream: a datagram or seqpacket message is never added
        # to (the receiver would get another message), and makes no span.
        proc, trace = tracelib.run_pair([sys.executable, "-c", MESSAGES])
        self.assertEqual(proc.stdout.count(b"traceparent"), 0, proc.stdout)
        self.assertEqual(trace.slices_named("GET"), [])
        sends = trace.slices_named("send")
        self.assertEqual([s.args.get("network.transport") for s in sends], ["unix", "unix"])


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    if not result.wasSuccessful():
        sys.exit(1)
    sys.exit(EXIT_SKIP if result.testsRun and len(result.skipped) == result.testsRun else 0)
