#!/usr/bin/env python3
"""An HTTP server whose connections are used through duplicated descriptors,
for test_http.py.

Usage: dup_server.py inetd [HANDLER...]|inetd-exit|dups
  inetd: each connection is handed to a new process as its standard input
         and output (as inetd does); the server closes its own copy at once.
         The handler (this script's, or the command HANDLER) reads requests
         on descriptor 0 and answers on 1.
  inetd-exit: the same, but the handler answers one request with a body
         that ends with the connection (HTTP/1.0, no length) and leaves with
         _exit, its descriptors still open, as CGI handlers do.
  dups:  the server makes two duplicates of each connection's descriptor and
         closes the original; requests are read on the first, answered on
         the second, and the first is closed before the second.
Either way, each request of a connection (keep-alive) is answered 200 with
its path as the body. Prints the port it listens on (127.0.0.1) on a line of
its own and serves one connection at a time until its standard input
closes."""

import os
import select
import socket
import subprocess
import sys


def serve(read_fd, write_fd):
    """Answers each request read on read_fd on write_fd, until the client
    closes its end."""
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            got = os.read(read_fd, 4096)
            if not got:
                return
            buf += got
        head, buf = buf.split(b"\r\n\r\n", 1)
        path = head.split(b" ")[1]
        os.write(write_fd, b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                 % (len(path), path))


def answer_once_and_exit():
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += os.read(0, 4096)
    path = buf.split(b" ")[1]
    os.write(1, b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + path)
    os._exit(0)


def handle(conn, mode, command):
    if mode.startswith("inetd"):
        role = "handler-exit" if mode == "inetd-exit" else "handler"
        child = subprocess.Popen(command or [sys.executable, __file__, role], stdin=conn,
                                 stdout=conn)
        conn.close()
        child.wait()
        return
    a = os.dup(conn.fileno())
    b = os.dup(conn.fileno())
    conn.close()
    serve(a, b)
    os.close(a)
    os.close(b)


def main():
    mode = sys.argv[1]
    if mode == "handler":
        serve(0, 1)
        return
    if mode == "handler-exit":
        answer_once_and_exit()
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    print(srv.getsockname()[1], flush=True)
    while True:
        ready, _, _ = select.select([sys.stdin, srv], [], [])
        if sys.stdin in ready:
            return
        conn, _ = srv.accept()
        handle(conn, mode, sys.argv[2:])


if __name__ == "__main__":
    main()
