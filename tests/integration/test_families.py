#!/usr/bin/env python3
"""TRACESHIM_TRACE chooses the families of calls traced: curl fetching from
a Python HTTP server, both traced into one Perfetto file, and the sqlite3
shell, with a family or a few chosen. What is off leaves no span; process
and thread spans are always there; the HTTP layer works with the socket
calls off; a word that is not a family is reported once and everything is
traced."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

# An HTTP/1.1 server (keep-alive) that notes each request's traceparent headers.
SERVER = r'''
import http.server, os, sys
class H(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_GET(self):
        with open(os.environ["SEEN"], "a") as f:
            f.write("%r\n" % (self.headers.get_all("traceparent") or []))
        super().do_GET()
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
srv.serve_forever()
'''

SOCKET_CALLS = {"connect", "accept", "recv", "send", "recvfrom", "sendto", "recvmsg", "sendmsg"}
FILE_CALLS = {"open", "openat", "creat", "close", "fsync", "fdatasync"}
IO_CALLS = {"read", "write", "pread", "pwrite", "readv", "writev", "preadv", "pwritev"}


class Families(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.www = os.path.join(self.tmp.name, "www")
        os.mkdir(self.www)
        with open(os.path.join(self.www, "a.txt"), "w") as f:
            f.write("hello\n")
        self.seen = os.path.join(self.tmp.name, "seen")
        self.trace = os.path.join(self.tmp.name, "t.pftrace")
        self.run_dir = tracelib.private_run_dir(self.tmp.name)

    def env(self, families):
        return tracelib.clean_env({
            "LD_PRELOAD": tracelib.shim_preload(), "TRACESHIM_TRACE": families,
            "TRACESHIM_OUTPUT": self.trace, "TRACESHIM_RUN_DIR": self.run_dir,
            "SEEN": self.seen})

    def fetch(self, families):
        """curl gets a.txt twice on one connection from the traced server;
        returns the trace and the traceparent headers the server got."""
        tracelib.skip_under_sanitizer(self, "curl", "hangs")
        port = tracelib.free_loopback_port()
        script = os.path.join(self.tmp.name, "server.py")
        with open(script, "w") as f:
            f.write(SERVER)
        server = subprocess.Popen([sys.executable, script, str(port)], cwd=self.www,
                                  env=self.env(families), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
        try:
            tracelib.wait_for_port(port, server)
            url = "http://127.0.0.1:%d/a.txt" % port
            done = subprocess.run(["curl", "-s", "-S", url, url], env=self.env(families),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(done.stdout, b"hello\nhello\n")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            server.stderr.close()
        self.assertTrue(tracelib.wait_for_agent(self.run_dir))
        with open(self.seen) as f:
            seen = [eval(line) for line in f.read().splitlines()]
        return tracelib.load_trace(self.trace), seen

    def names(self, trace):
        return {s.name for s in trace.slices}

    def assert_whole(self, trace, programs):
        """Every process has its span and its main thread's span."""
        roots = [s.name for s in trace.slices if s.depth == 0 and s.tid is None]
        for p in programs:
            self.assertIn(p, " ".join(roots))
        self.assertIn("main", self.names(trace))

    def test_net_traces_only_sockets(self):
        trace, seen = self.fetch("net")
        names = self.names(trace)
        self.assertTrue(names & SOCKET_CALLS, names)
        self.assertIn("connect", names)
        self.assertIn("accept", names)
        self.assertNotIn("GET", names)   # http is a family of its own
        # Reads, writes and closes are traced on sockets only.
        self.assertFalse(names & (FILE_CALLS - {"close"}), names)
        for s in trace.slices:
            if s.name in IO_CALLS | {"close"}:
                self.assertEqual(s.args.get("traceshim.fd.type"), "socket", s.args)
        # No HTTP layer, so nothing added to the requests.
        self.assertEqual(seen, [[], []])
        self.assert_whole(trace, ["curl", "python3"])

    INHERIT = r'''
import os, socket, subprocess, sys
# A child given a pipe and a socket it did not make (pass_fds), and an
# inetd-style handler whose stdin is an accepted connection.
r, w = os.pipe()
a, b = socket.socketpair()
child = "import os; os.write(%d, b'p'); os.write(%d, b's')" % (w, a.fileno())
subprocess.run([sys.executable, "-c", child], pass_fds=(w, a.fileno()), check=True)
assert os.read(r, 1) == b"p" and b.recv(1) == b"s"
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
cli = socket.create_connection(srv.getsockname())
conn, _ = srv.accept()
handler = ("import os; os.read(0, 4096); "
           "os.write(0, b'HTTP/1.1 200 OK\\r\\nContent-Length: 3\\r\\n\\r\\nok\\n')")
cli.sendall(b"GET /inherited HTTP/1.1\r\nHost: x\r\n\r\n")
subprocess.run([sys.executable, "-c", handler], stdin=conn, check=True)
got = b""
while not got.endswith(b"ok\n"):
    got += cli.recv(4096)
print(got.split(b"\r\n")[0].decode())
'''

    def run_inherit(self, families):
        script = os.path.join(self.tmp.name, "inherit.py")
        with open(script, "w") as f:
            f.write(self.INHERIT)
        done = subprocess.run([sys.executable, script], env=self.env(families),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual((done.returncode, done.stdout), (0, b"HTTP/1.1 200 OK\n"), done.stderr)
        self.assertTrue(tracelib.wait_for_agent(self.run_dir))
        trace = tracelib.load_trace(self.trace)
        os.unlink(self.trace)
        return trace

    def test_inherited_descriptors_are_known_for_what_they_are(self):
        tracelib.skip_under_sanitizer(self, "python3", "is not built with it")
        # Described as what they are, by the agent's worker too.
        trace = self.run_inherit("all")
        writes = {s.args.get("traceshim.io.bytes") and s.args.get("traceshim.fd.type")
                  for s in trace.slices if s.name == "write" and s.args.get("traceshim.io.bytes") == 1}
        self.assertEqual(writes, {"pipe", "socket"})
        server = [s for s in trace.slices_named("GET") if s.args.get("url.path") == "/inherited"]
        self.assertEqual(len(server), 1)
        self.assertEqual(server[0].args.get("http.response.status_code"), 200)
        # net: the write on the inherited socket, not the one on the pipe.
        trace = self.run_inherit("net")
        one_byte = [s.args.get("traceshim.fd.type") for s in trace.slices
                    if s.name == "write" and s.args.get("traceshim.io.bytes") == 1]
        self.assertEqual(one_byte, ["socket"])

    def test_http_without_the_socket_calls(self):
        trace, seen = self.fetch("http")
        names = self.names(trace)
        gets = trace.slices_named("GET")
        self.assertEqual(len(gets), 4)   # two requests, a client and a server span each
        self.assertFalse(names & (SOCKET_CALLS | FILE_CALLS | IO_CALLS), names)
        # traceparent still goes out, and the server span continues it.
        self.assertEqual([len(tp) for tp in seen], [1, 1])
        arrows = sum(1 for s in gets for f in trace.flows_from(s) if f.slices[-1].name == "GET")
        self.assertEqual(arrows, 2)
        self.assert_whole(trace, ["curl", "python3"])

    def test_all_but_net(self):
        trace, seen = self.fetch("-net")
        names = self.names(trace)
        self.assertFalse(names & SOCKET_CALLS, names)
        for s in trace.slices:
            if s.name in IO_CALLS | FILE_CALLS:
                self.assertNotEqual(s.args.get("traceshim.fd.type"), "socket", s.args)
        # The server opened the file it served; http stays on.
        self.assertTrue(any(s.name == "open" and
                            s.args.get("file.path", "").endswith("/a.txt")
                            for s in trace.slices))
        self.assertEqual(len(trace.slices_named("GET")), 4)
        self.assertEqual([len(tp) for tp in seen], [1, 1])

    def run_sqlite(self, families):
        tracelib.skip_under_sanitizer(self, "sqlite3", "not built with the sanitizer")
        db = os.path.join(self.tmp.name, "t.db")
        done = subprocess.run(["sqlite3", db, "CREATE TABLE t(x); INSERT INTO t VALUES (1); "
                               "SELECT x FROM t;"], env=self.env(families),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, b"1\n")
        self.assertTrue(tracelib.wait_for_agent(self.run_dir))
        return tracelib.load_trace(self.trace), done.stderr

    def sql_spans(self, trace):
        return [s for s in trace.slices if s.args.get("db.system.name") == "sqlite"]

    def test_sqlite_alone_and_all_but_sqlite(self):
        if not shutil.which("sqlite3"):
            self.skipTest("sqlite3 is not installed")
        trace, _ = self.run_sqlite("sqlite")
        self.assertTrue(self.sql_spans(trace))
        self.assertFalse(self.names(trace) & (FILE_CALLS | IO_CALLS))
        os.unlink(self.trace)
        os.unlink(os.path.join(self.tmp.name, "t.db"))
        trace, _ = self.run_sqlite("all,-sqlite")
        self.assertFalse(self.sql_spans(trace))
        self.assertTrue(self.names(trace) & FILE_CALLS)

    def run_ls(self, families):
        done = subprocess.run(["sh", "-c", "ls /nonexistent; cat /etc/hostname"],
                              env=self.env(families), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(done.returncode, 0)
        self.assertTrue(tracelib.wait_for_agent(self.run_dir))
        trace = tracelib.load_trace(self.trace)
        os.unlink(self.trace)
        return trace

    def test_fs_alone_and_all_but_fs(self):
        # Even a call made before the program's main (libselinux's access
        # of its configuration) follows the choice.
        fs = {"stat", "lstat", "statx", "access", "fstatat", "readlink"}
        names = self.names(self.run_ls("fs"))
        self.assertIn("statx", names)
        self.assertIn("access", names)
        self.assertFalse(names & (FILE_CALLS | IO_CALLS), names)
        names = self.names(self.run_ls("-fs"))
        self.assertFalse(names & fs, names)
        self.assertTrue({"open", "read"} <= names, names)   # cat's

    def test_stdio_alone_and_all_but_stdio(self):
        prog = os.path.join(os.environ.get("PROGS_DIR", "build/tests/progs"), "stdio_prog")
        stdio = {"fopen", "fclose", "fgets", "fputs", "fprintf", "printf", "fwrite", "fread"}
        names = {}
        for families in ("stdio", "-stdio"):
            work = tempfile.mkdtemp(dir=self.tmp.name)
            done = subprocess.run([prog], env=self.env(families), cwd=work,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertTrue(tracelib.wait_for_agent(self.run_dir))
            names[families] = self.names(tracelib.load_trace(self.trace))
            os.unlink(self.trace)
        self.assertTrue({"fopen", "fclose", "fgets"} <= names["stdio"], names["stdio"])
        self.assertFalse(names["stdio"] & (FILE_CALLS | IO_CALLS), names["stdio"])
        self.assertFalse(names["-stdio"] & stdio, names["-stdio"])
        self.assertIn("open", names["-stdio"])   # its own open(2) calls

    def test_a_word_that_is_not_a_family_is_reported_and_all_is_traced(self):
        done = subprocess.run(["sh", "-c", "cat /etc/hostname >/dev/null; ls / >/dev/null"],
                              env=self.env("net,disk"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(done.returncode, 0)
        # Once in the run: not again by sh's child, nor by the agent.
        self.assertEqual(done.stderr.count(b"TRACESHIM_TRACE='net,disk': 'disk' is not a family"),
                         1, done.stderr)
        self.assertTrue(tracelib.wait_for_agent(self.run_dir))
        trace = tracelib.load_trace(self.trace)
        self.assertIn("read", self.names(trace))


if __name__ == "__main__":
    unittest.main()
