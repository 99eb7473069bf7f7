#!/usr/bin/env python3
"""The HTTP server test_http.py traces: Python's http.server, threaded, with
HTTP/1.1 keep-alive, serving the files of a directory, plus two routes of its
own: POST /echo answers 201 with a chunked body, GET /fail answers 500, GET
/drop closes the connection without an answer, GET /until-close answers 200
with a body that ends with the connection.

With --cgi, it is Python's CGI server instead (HTTP/1.0): the scripts in
DIR/cgi-bin run in a child the server forks, which answers on the
connection after the server's own status line.

Usage: http_server.py [--cgi] DIR
Prints the port it listens on (127.0.0.1, chosen by the kernel) on a line of
its own, serves until its standard input closes, then waits for every
connection's thread and exits 0. Responses carry a fixed date, so that two
runs answer byte for byte alike; nothing is logged."""

import functools
import http.server
import sys
import threading


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def date_time_string(self, timestamp=None):
        return "Thu, 01 Jan 2026 00:00:00 GMT"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/drop":
            # No answer: the connection closes under the request.
            self.close_connection = True
            return
        if self.path == "/until-close":
            # A body without a length: it ends with the connection.
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"until the connection closes\n")
            self.close_connection = True
            return
        if self.path != "/fail":
            return super().do_GET()
        body = b"failed on purpose\n"
        self.send_response(500)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        if self.path != "/echo":
            return self.send_error(404)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(201)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in (b"got ", body, b"\n"):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")


class CgiHandler(http.server.CGIHTTPRequestHandler):
    def date_time_string(self, timestamp=None):
        return "Thu, 01 Jan 2026 00:00:00 GMT"

    def log_message(self, *args):
        pass


def main():
    args = sys.argv[1:]
    handler = Handler
    if args[:1] == ["--cgi"]:
        handler = CgiHandler
        args = args[1:]
    if len(args) != 1:
        sys.stderr.write("usage: http_server.py [--cgi] DIR\n")
        return 2
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=args[0]))
    # server_close() then joins the connections' threads: every exchange
    # is over before the process exits.
    server.daemon_threads = False
    print(server.server_address[1], flush=True)
    serving = threading.Thread(target=server.serve_forever)
    serving.start()
    sys.stdin.read()
    server.shutdown()
    serving.join()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
