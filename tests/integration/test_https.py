#!/usr/bin/env python3
"""HTTPS exchanges as spans: the TLS libraries' plaintext calls (OpenSSL's
SSL_read/SSL_write and their _ex and peek forms, GnuTLS's
gnutls_record_recv/send) are spans over the ciphertext socket I/O they make,
and the plaintext they move becomes CLIENT and SERVER spans with url.scheme
https, as plain HTTP does.

Programs: curl (OpenSSL, its own BIO: the socket is learned from the I/O the
calls make), Python's ssl module as server and client (libssl opened with
RTLD_LOCAL by _ssl; memory BIOs, which have no socket, are left alone), two C
clients linked with OpenSSL and GnuTLS (peek, _ex, send2, recv_seq, a read
failing on a peer gone), and git over https (libcurl built with GnuTLS, its
own transport functions). Each program's output and exit status must not
change; a program that never loads a TLS library is unchanged.

The server is Python's http.server over TLS (threaded, HTTP/1.1 keep-alive)
with a self-signed certificate made by the openssl command at test time.

Run:  TRACESHIM_LIB=build/libtraceshim.so PROGS_DIR=build/tests/progs \\
      python3 tests/integration/test_https.py
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

# argv: cert key root. Prints its port, then serves files under root with a
# Content-Length (404 too: the connection stays open), /drop (ends the socket
# with no TLS close, after reading what the client still sends) and /quit.
SERVER = r'''
import http.server, os, socket, ssl, sys, threading, urllib.parse
cert, key, root = sys.argv[1:4]

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/drop":
            self.connection.shutdown(socket.SHUT_WR)
            while socket.socket.recv(self.connection, 65536):
                pass
            self.close_connection = True
            return
        if path == "/quit":
            self.reply(200, b"bye\n")
            threading.Thread(target=self.server.shutdown).start()
            return
        file = os.path.realpath(os.path.join(root, path.lstrip("/")))
        if file.startswith(root + os.sep) and os.path.isfile(file):
            with open(file, "rb") as f:
                self.reply(200, f.read())
        else:
            self.reply(404, b"no such file\n")

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
server.socket = ctx.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
server.server_close()
'''

# argv: port. Python's ssl module as a client: http.client on an SSLSocket
# (two requests on one connection, then one the server drops), then one
# request over memory BIOs (ssl.SSLObject: no socket under the session).
CLIENT = r'''
import http.client, socket, ssl, sys
port = int(sys.argv[1])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
for path in ("/a.txt", "/missing"):
    conn.request("GET", path)
    r = conn.getresponse()
    print(path, r.status, r.read())
conn.request("GET", "/drop")
try:
    print("/drop", conn.getresponse().status)
except (http.client.HTTPException, OSError) as e:
    print("/drop", type(e).__name__, e)
conn.close()

sock = socket.create_connection(("127.0.0.1", port))
into, out = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(into, out)

def flush():
    data = out.read()
    if data:
        sock.sendall(data)

def fill():
    data = sock.recv(65536)
    if not data:
        raise SystemExit("server closed")
    into.write(data)

while True:
    try:
        obj.do_handshake()
        break
    except ssl.SSLWantReadError:
        flush()
        fill()
flush()
obj.write(b"GET /a.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
flush()
got = b""
while not (b"\r\n\r\n" in got and got.endswith(b"hello over tls\n")):
    try:
        got += obj.read(65536)
    except ssl.SSLWantReadError:
        fill()
print("memory BIO", got.split(b"\r\n")[0])
sock.close()
'''

# argv: nothing. Never loads a TLS library: says so from its own maps.
NO_TLS = r'''
import os
with open("/proc/self/maps") as f:
    maps = f.read()
print("libssl" in maps, "libgnutls" in maps)
r, w = os.pipe()
os.write(w, b"plain")
print(os.read(r, 16))
'''


def prog(name):
    path = os.path.join(os.environ.get("PROGS_DIR", ""), name)
    if not os.path.exists(path):
        raise unittest.SkipTest("%s is not built (its TLS library is missing)" % name)
    return path


def plain_env():
    """The environment of an untraced helper: no shim, no sanitizer runtime."""
    env = tracelib.clean_env()
    env.pop("LD_PRELOAD", None)
    return env


def http_spans(trace):
    return [s for s in trace.slices if "http.request.method" in s.args]


def client_spans(trace):
    return sorted((s for s in http_spans(trace) if "url.full" in s.args),
                  key=lambda s: s.ts)


def server_spans(trace):
    return sorted((s for s in http_spans(trace) if "url.scheme" in s.args),
                  key=lambda s: s.ts)


class Https(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("openssl") is None:
            raise unittest.SkipTest("the openssl command is not installed")
        cls.tmp = tempfile.mkdtemp(prefix="ts-https-")
        cls.cert = os.path.join(cls.tmp, "cert.pem")
        cls.key = os.path.join(cls.tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", cls.key,
                        "-out", cls.cert, "-days", "2", "-subj", "/CN=127.0.0.1"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.root = os.path.realpath(os.path.join(cls.tmp, "www"))
        os.makedirs(os.path.join(cls.root, "sub"))
        with open(os.path.join(cls.root, "a.txt"), "w") as f:
            f.write("hello over tls\n")
        with open(os.path.join(cls.root, "sub", "b.txt"), "w") as f:
            f.write("b" * 100000 + "\n")   # several TLS records
        cls.script = os.path.join(cls.tmp, "server.py")
        with open(cls.script, "w") as f:
            f.write(SERVER)
        # The traced runs' agent serves them alone.
        cls.run_dir = tracelib.private_run_dir(cls.tmp)
        cls.server, cls.port = cls.start_server(plain_env())

    @classmethod
    def tearDownClass(cls):
        cls.stop_server(cls.server)
        tracelib.wait_for_agent(cls.run_dir)
        shutil.rmtree(cls.tmp, True)

    def run_pair(self, argv, env=None, **how):
        return tracelib.run_pair(argv, env=dict(env or {}, TRACESHIM_RUN_DIR=self.run_dir), **how)

    @classmethod
    def start_server(cls, env):
        proc = subprocess.Popen([sys.executable, cls.script, cls.cert, cls.key, cls.root],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = proc.stdout.readline()
        if not line.strip():
            proc.kill()
            proc.communicate()
            raise AssertionError("the HTTPS server did not start")
        port = int(line)
        tracelib.wait_for_port(port, proc)
        return proc, port

    @classmethod
    def stop_server(cls, proc):
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)

    def url(self, path, port=None):
        return "https://127.0.0.1:%d%s" % (port or self.port, path)

    def assert_get(self, span, url, status):
        self.assertEqual(span.name, "GET")
        self.assertEqual(span.args.get("url.full"), url, span.args)
        self.assertEqual(span.args.get("http.request.method"), "GET")
        self.assertEqual(span.args.get("server.address"), "127.0.0.1")
        self.assertEqual(span.args.get("server.port"), self.port)
        self.assertEqual(span.args.get("http.response.status_code"), status, span.args)
        if status >= 400:
            self.assertEqual(span.args.get("otel.status_code"), "ERROR")
            self.assertEqual(span.args.get("error.type"), str(status))
        else:
            self.assertNotIn("otel.status_code", span.args)

    def assert_socket_io_under(self, trace, names):
        """Every TLS call that moved bytes names its socket, and the
        ciphertext I/O it made is its child, on that socket."""
        calls = [s for s in trace.slices if s.name in names]
        self.assertTrue(calls, "no %s span" % (names,))
        under = 0
        for call in calls:
            kids = [k for k in trace.children(call) if not k.is_instant]   # not the error's
            fds = {k.args.get("traceshim.fd") for k in kids}
            if kids:
                self.assertEqual(fds, {call.args.get("traceshim.fd")}, call.args)
                self.assertEqual(call.args.get("traceshim.fd.type"), "socket")
                under += 1
            for k in kids:
                self.assertGreaterEqual(k.ts, call.ts)
                self.assertLessEqual(k.end, call.end)
        self.assertGreater(under, 0)
        return calls

    # 1. curl: OpenSSL with curl's own BIO (SSL_get_fd is -1 there).
    def test_curl_client_spans(self):
        if shutil.which("curl") is None:
            self.skipTest("curl is not installed")
        tracelib.skip_under_sanitizer(self, "curl", "hangs")
        proc, trace = self.run_pair(
            ["curl", "-sk", self.url("/a.txt"), self.url("/missing"), self.url("/sub/b.txt")])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        got = client_spans(trace)
        self.assertEqual(len(got), 3, [s.args for s in got])
        self.assert_get(got[0], self.url("/a.txt"), 200)
        self.assert_get(got[1], self.url("/missing"), 404)
        self.assert_get(got[2], self.url("/sub/b.txt"), 200)
        for s in got:
            self.assertEqual(s.args.get("network.protocol.version"), "1.1")
            self.assertTrue(s.args.get("user_agent.original", "").startswith("curl/"))
        self.assertEqual(server_spans(trace), [])
        writes = self.assert_socket_io_under(trace, ("SSL_write",))
        reads = self.assert_socket_io_under(trace, ("SSL_read",))
        # The plaintext read: the three bodies curl printed, and their heads.
        plain = sum(s.args.get("traceshim.io.bytes", 0) for s in reads)
        self.assertGreater(plain, len(proc.stdout))
        self.assertLess(plain, len(proc.stdout) + 3 * 200)
        for w in writes:
            self.assertIn("traceshim.io.bytes", w.args)
        # The ciphertext is still the socket's own I/O, and it is not HTTP.
        fd = writes[0].args["traceshim.fd"]
        self.assertTrue([s for s in trace.slices
                         if s.name in ("send", "recv") and s.args.get("traceshim.fd") == fd])

    # 2. Python's http.server over TLS, traced: SERVER spans.
    def test_python_server_spans(self):
        trace_path = os.path.join(self.tmp, "server.pftrace")
        env = tracelib.clean_env({"LD_PRELOAD": tracelib.shim_preload(),
                                  "TRACESHIM_OUTPUT": trace_path,
                                  "TRACESHIM_RUN_DIR": self.run_dir})
        server, port = self.start_server(env)
        try:
            client = [prog("tls_openssl"), str(port)]
            done = subprocess.run(client, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=plain_env(), timeout=60)
            self.assertEqual(done.returncode, 0, done.stderr)
            done = subprocess.run(["curl", "-sk", self.url("/sub/b.txt?size=all", port),
                                   self.url("/quit", port)],
                                  stdout=subprocess.PIPE, env=plain_env(), timeout=60)
            self.assertEqual(done.returncode, 0)
            server.communicate(timeout=60)
            self.assertEqual(server.returncode, 0)
        finally:
            self.stop_server(server)
        trace = tracelib.load_trace(trace_path)
        got = server_spans(trace)
        self.assertEqual([(s.args.get("url.path"), s.args.get("http.response.status_code"))
                          for s in got],
                         [("/a.txt", 200), ("/missing", 404), ("/drop", None),
                          ("/sub/b.txt", 200), ("/quit", 200)], [s.args for s in got])
        for s in got:
            self.assertEqual(s.name, "GET")
            self.assertEqual(s.args.get("url.scheme"), "https")
            self.assertEqual(s.args.get("server.address"), "127.0.0.1")
            self.assertEqual(s.args.get("server.port"), port)
        # A server's 404 is no error of its own; a request never answered is.
        self.assertNotIn("otel.status_code", got[1].args)
        self.assertEqual(got[2].args.get("otel.status_code"), "ERROR")
        self.assertIn("url.query", got[3].args)
        self.assertEqual(client_spans(trace), [])
        self.assert_socket_io_under(trace, ("SSL_read", "SSL_write"))

    # 3a. A C client linked with OpenSSL: main calls libssl directly; peek
    # and the _ex forms; a read failing on a peer that went without a TLS close.
    def test_requests_made_again_after_want_write_carry_traceparent(self):
        # tls_retry: a non-blocking client (and its server, a thread at the
        # other end of a socket pair) whose request writes fail with
        # SSL_ERROR_WANT_WRITE and are made again with the same buffer, as
        # OpenSSL wants. Each request carries the shim's line once, the
        # program's counts are its own, and each server span continues its
        # client span. What the program prints is the same but for the
        # traceparent lines its server prints.
        lines_re = rb"server: request (\d+) traceparent: (\S+)\n"
        proc, trace = self.run_pair([prog("tls_retry"), self.cert, self.key],
                                    normalize=lambda out: re.sub(lines_re, b"", out))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(b"50 requests, 50 responses, writes made again after WANT_WRITE: some",
                      proc.stdout)
        seen = re.findall(lines_re, proc.stdout)
        self.assertEqual([int(n) for n, _ in seen], list(range(50)))
        self.assertEqual(len({tp for _, tp in seen}), 50)
        again = [s for s in trace.slices if s.name == "SSL_write"
                 and "WANT_WRITE" in str(s.args.get("traceshim.tls.error"))]
        self.assertTrue(again)
        clients, servers = client_spans(trace), server_spans(trace)
        self.assertEqual(len(clients), 50)
        self.assertEqual(len(servers), 50)
        self.assertEqual({c.args.get("traceshim.http.traceparent") for c in clients},
                         {"injected"})
        arrows = [f for c in clients for f in trace.flows_from(c) if f.slices[-1] in servers]
        self.assertEqual(len(arrows), 50)

    def test_openssl_program(self):
        proc, trace = self.run_pair([prog("tls_openssl"), str(self.port)])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(b"drop: SSL_read -1", proc.stdout)
        got = client_spans(trace)
        self.assertEqual(len(got), 3, [s.args for s in got])
        self.assert_get(got[0], self.url("/a.txt"), 200)
        self.assert_get(got[1], self.url("/missing"), 404)
        self.assertEqual(got[2].args.get("url.full"), self.url("/drop"))
        self.assertEqual(got[2].args.get("error.type"), "connection_closed")
        for s in got:
            self.assertEqual(s.args.get("user_agent.original"), "tls_openssl")
        peeks = self.assert_socket_io_under(trace, ("SSL_peek",))
        # The third meets the end of the socket (OpenSSL 3: an unexpected EOF).
        self.assertEqual([p.args.get("traceshim.io.bytes") for p in peeks], [5, 5, None])
        self.assert_socket_io_under(trace, ("SSL_read", "SSL_write"))
        failed = [s for s in trace.slices if s.name in ("SSL_read", "SSL_peek")
                  and "traceshim.tls.error" in s.args]
        self.assertEqual(len(failed), 2)
        for s in failed:
            self.assertIn(s.args["traceshim.tls.error"], ("SSL_ERROR_SSL", "SSL_ERROR_SYSCALL"))
            self.assertEqual(s.args.get("otel.status_code"), "ERROR")

    # 3b. A C client linked with GnuTLS: its transport the descriptor, or
    # its own functions on a pointer of its own (as curl's) with small reads
    # that GnuTLS mostly serves from its buffer, moving nothing on the socket
    # (the session's socket is then the one its earlier calls showed).
    def test_gnutls_program(self):
        for mode in ([], ["own"]):
            with self.subTest(mode=mode):
                self.check_gnutls_program(mode)

    def check_gnutls_program(self, mode):
        proc, trace = self.run_pair([prog("tls_gnutls"), str(self.port)] + mode)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(b"HTTP/1.1 200 OK, body 100001 bytes", proc.stdout)
        self.assertIn(b"drop: gnutls_record_recv GNUTLS_E_PREMATURE_TERMINATION", proc.stdout)
        got = client_spans(trace)
        self.assertEqual(len(got), 4, [s.args for s in got])
        self.assert_get(got[0], self.url("/a.txt"), 200)
        self.assert_get(got[1], self.url("/missing"), 404)
        self.assert_get(got[2], self.url("/sub/b.txt"), 200)
        self.assertEqual(got[3].args.get("error.type"), "connection_closed")
        self.assert_socket_io_under(trace, ("gnutls_record_send",))
        recvs = self.assert_socket_io_under(trace, ("gnutls_record_recv",))
        if mode:
            self.assertGreater(len([s for s in recvs if not trace.children(s)]), 50)
        for s in recvs:
            self.assertEqual(s.args.get("traceshim.fd"), recvs[0].args["traceshim.fd"])
        errors = [s.args.get("traceshim.tls.error") for s in recvs
                  if "traceshim.tls.error" in s.args]
        # Asked again after session tickets: no error; the peer gone: one.
        self.assertIn("GNUTLS_E_AGAIN", errors)
        self.assertEqual(errors[-1], "GNUTLS_E_PREMATURE_TERMINATION")
        for s in recvs:
            if s.args.get("traceshim.tls.error") == "GNUTLS_E_AGAIN":
                self.assertNotIn("otel.status_code", s.args)
        self.assertEqual(recvs[-1].args.get("otel.status_code"), "ERROR")

    # 3c. git over https: libcurl built with GnuTLS, whose transport is
    # curl's own (the session's pointer is no descriptor).
    def test_git_over_gnutls(self):
        git = shutil.which("git")
        if git is None:
            self.skipTest("git is not installed")
        tracelib.skip_under_sanitizer(self, "git's https helper (libcurl)", "hangs")
        remote = subprocess.run([git, "--exec-path"], stdout=subprocess.PIPE, text=True).stdout
        helper = os.path.join(remote.strip(), "git-remote-https")
        ldd = subprocess.run(["ldd", helper], stdout=subprocess.PIPE, text=True).stdout
        if "libgnutls" not in ldd:
            self.skipTest("git's https helper is not built with GnuTLS")
        repo = os.path.join(self.root, "repo.git")
        if not os.path.isdir(repo):
            work = os.path.join(self.tmp, "work")
            env = dict(plain_env(), HOME=self.tmp, GIT_CONFIG_NOSYSTEM="1")
            for argv in (["init", "-q", "-b", "main", work],
                         ["-C", work, "-c", "user.name=t", "-c", "user.email=t@t",
                          "commit", "-q", "--allow-empty", "-m", "one"],
                         ["clone", "-q", "--bare", work, repo],
                         ["-C", repo, "update-server-info"]):
                subprocess.run([git] + argv, check=True, env=env)
        proc, trace = self.run_pair(
            [git, "ls-remote", self.url("/repo.git")],
            env={"HOME": self.tmp, "GIT_CONFIG_NOSYSTEM": "1", "GIT_SSL_NO_VERIFY": "1",
                 "GIT_TERMINAL_PROMPT": "0"})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(b"refs/heads/main", proc.stdout)
        # The smart protocol is asked for, the server answers as a dumb one:
        # git reads the refs and HEAD as files.
        got = client_spans(trace)
        self.assertEqual([s.args.get("url.full") for s in got],
                         [self.url("/repo.git/info/refs?service=REDACTED"),
                          self.url("/repo.git/HEAD")], [s.args for s in got])
        for s in got:
            self.assertEqual(s.name, "GET")
            self.assertEqual(s.args.get("http.response.status_code"), 200)
            self.assertTrue(s.args.get("user_agent.original", "").startswith("git/"))
        self.assert_socket_io_under(trace, ("gnutls_record_send", "gnutls_record_recv"))

    # 4a. Python's ssl module as a client (libssl opened RTLD_LOCAL by _ssl);
    # a session over memory BIOs is on no socket: its calls are spans, but
    # nothing is taken for HTTP.
    def test_python_client_and_memory_bio(self):
        script = os.path.join(self.tmp, "client.py")
        with open(script, "w") as f:
            f.write(CLIENT)
        proc, trace = self.run_pair([sys.executable, script, str(self.port)])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(b"memory BIO b'HTTP/1.1 200 OK'", proc.stdout)
        self.assertIn(b"/drop RemoteDisconnected", proc.stdout)
        got = client_spans(trace)
        self.assertEqual([s.args.get("url.full") for s in got],
                         [self.url(p) for p in ("/a.txt", "/missing", "/drop")])
        self.assert_get(got[0], self.url("/a.txt"), 200)
        self.assert_get(got[1], self.url("/missing"), 404)
        self.assertEqual(got[2].args.get("error.type"), "connection_closed")
        calls = [s for s in trace.slices if s.name in ("SSL_read", "SSL_write")]
        on_bio = [s for s in calls if "traceshim.fd" not in s.args]
        self.assertTrue(on_bio, "no call on the memory BIO session")
        for s in on_bio:
            self.assertEqual(trace.children(s), [])

    # 4b. A program that never loads a TLS library: nothing changes, and the
    # shim itself needs none (no TLS symbol is left for the loader to bind).
    def test_program_without_tls(self):
        lib = tracelib.shim_library()
        undefined = subprocess.run(["nm", "-D", "--undefined-only", lib],
                                   stdout=subprocess.PIPE, text=True, check=True).stdout
        self.assertEqual([l for l in undefined.splitlines() if "SSL_" in l or "gnutls_" in l], [])
        script = os.path.join(self.tmp, "no_tls.py")
        with open(script, "w") as f:
            f.write(NO_TLS)
        proc, trace = self.run_pair([sys.executable, "-S", script],
                                        env={"LD_BIND_NOW": "1"})
        self.assertEqual(proc.stdout, b"False False\nb'plain'\n")
        self.assertEqual([s for s in trace.slices
                          if s.name.startswith(("SSL_", "gnutls_"))], [])
        self.assertEqual(http_spans(trace), [])


if __name__ == "__main__":
    tracelib.fail_on_resource_warnings()
    unittest.main()
