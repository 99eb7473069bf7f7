#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into corpus/NAME/seed-*.

The seeds are small valid (and a few nearly valid) inputs the fuzzers start
from; they are checked in, and this script regenerates them (it leaves the
regress-* inputs, which reproduce bugs found by fuzzing, alone). Run it after
changing an input format: python3 tests/fuzz/make_seeds.py
"""
import gzip
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.remove(os.path.join(d, f))
    for i, data in enumerate(seeds):
        with open(os.path.join(d, "seed-%02d" % i), "wb") as f:
            f.write(data)


# TRACEPARENT, NUL, TRACESTATE
TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
write("context", [s.encode() for s in [
    TP + "\0rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
    TP[:-2] + "00\0",
    "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-future\0a=b",
    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\0",
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01\0",
    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01\0x=\x01",
    TP + "\0" + "k=" + "v" * 520,
]])

# OTEL_* values in the order of fuzz_otel_env.c's names[], NUL-separated.
ENV_ORDER = [
    "TRACES_ENDPOINT", "ENDPOINT", "TRACES_HEADERS", "HEADERS", "RESOURCE", "SERVICE", "SAMPLER",
    "SAMPLER_ARG", "TRACES_TIMEOUT", "TIMEOUT", "TRACES_COMPRESSION", "COMPRESSION", "QUEUE",
    "BATCH", "DELAY", "EXPORT_TIMEOUT",
]


def env(**kv):
    return "\0".join(kv.get(k, "") for k in ENV_ORDER).encode()


write("otel_env", [
    env(ENDPOINT="http://127.0.0.1:4318", HEADERS="api-key=secret%20value, x-tenant = acme ",
        RESOURCE="service.name=shop,deployment.environment=prod%2Ctest", SAMPLER="traceidratio",
        SAMPLER_ARG="0.25", TIMEOUT="5000", COMPRESSION="gzip", QUEUE="2048", BATCH="512",
        DELAY="1000", EXPORT_TIMEOUT="30000"),
    env(TRACES_ENDPOINT="https://collector.example:4318/v1/traces", SERVICE="checkout",
        SAMPLER="parentbased_always_off", TRACES_TIMEOUT="0", TRACES_COMPRESSION="none"),
    env(ENDPOINT="http://[::1]:4318/", TRACES_HEADERS="a=%zz", RESOURCE="=novalue,k",
        SAMPLER="PARENTBASED_TRACEIDRATIO", SAMPLER_ARG="1.5", QUEUE="99999999999999999999",
        BATCH="0", DELAY="-1"),
    env(RESOURCE="a=1,,b=%41%42,c= spaced%09tab ", HEADERS="k=v%0D%0Ainjected: 1"),
    b"true\0on\0off\0NO\0Yes\0001\0" + b"42",
])


def sql(cap, text):
    return bytes([cap]) + text.encode()


write("sql", [
    sql(0xFF, "SELECT * FROM users WHERE name = 'bob' AND id = 42"),
    sql(0xFF, "INSERT OR REPLACE INTO t(a, b) VALUES (x'00ff', 1.5e10), (-.5, 0x1F)"),
    sql(0xFF, "UPDATE \"my table\" SET pw = 'it''s secret' -- comment\n WHERE id = ?1 AND k = :key"),
    sql(0xFF, "WITH c AS (SELECT 1) SELECT * FROM c /* block */ UNION SELECT 2"),
    sql(0xFF, "CREATE TABLE IF NOT EXISTS [x y] (a INTEGER DEFAULT 7); DROP TABLE z"),
    sql(0xFF, "DELETE FROM main.t WHERE s = 'caf\u00e9' AND n = 1_000_000 AND b = $v"),
    sql(12, "SELECT 'caf\u00e9\u00e9\u00e9' FROM t"),
    sql(7, "SELECT \"a'b\" FROM [c"),
    sql(0xFF, "CREATE INDEX i ON tbl(col) WHERE x > 3; PRAGMA foreign_keys = ON"),
])


REC = struct.Struct("<QQqQIIiIHBBhBBII")
assert REC.size == 64
(SPAN, THREAD_BEGIN, THREAD_END, FD_ALIAS, SQL_PREPARED, SQL_FINALIZED, EXCEPTION, USER_BEGIN,
 USER_END, USER_NOTE, USER_LINK, HANDOFF) = range(1, 13)
OP_READ, OP_CONNECT, OP_OPEN, OP_SQL_STMT, OP_EXECVE = 1, 15, 17, 27, 31


def rec(type_, op=0, t0=1000, t1=2000, ret=0, arg=0, span=2, parent=1, fd=-1, fdgen=0, ext=0,
        err=0, kind=0, aux_kind=0, aux=0, aux2=0):
    return REC.pack(t0, t1, ret, arg, span, parent, fd, fdgen, op, type_, ext, err, kind,
                    aux_kind, aux, aux2)


def payload(data):
    """The payload slots after a record: data, zero-padded to whole slots."""
    return data + b"\0" * (-len(data) % 64)


def slots(data):
    return (len(data) + 63) // 64


def user_begin(name, span, parent):
    r = bytearray(rec(USER_BEGIN, span=span, parent=parent, kind=1))
    r[8:8 + len(name)] = name   # an inline name: t1 and ret
    return bytes(r)


path = b"/etc/hostname"
addr = struct.pack("<H", 2) + struct.pack(">H", 4318) + bytes([127, 0, 0, 1]) + bytes(8)   # sockaddr_in
stmt = b"/tmp/db.sqlite\0SELECT * FROM t WHERE a = 'x'"
write("ring", [
    rec(THREAD_BEGIN, span=1, parent=0) +
    rec(SPAN, OP_OPEN, ret=3, fd=-1, ext=slots(path), aux=len(path)) + payload(path) +
    rec(SPAN, OP_READ, ret=10, arg=64, fd=3, span=3) +
    rec(THREAD_END, t0=3000),
    rec(SPAN, OP_CONNECT, ret=0, fd=4, ext=slots(addr), aux=len(addr)) + payload(addr) +
    rec(FD_ALIAS, fd=9, aux=4, aux2=0),
    rec(SQL_PREPARED, arg=0x1000, ext=slots(stmt), aux=len(stmt)) + payload(stmt) +
    rec(SPAN, OP_SQL_STMT, arg=0x1000, ret=101) + rec(SQL_FINALIZED, arg=0x1000),
    user_begin(b"work", 5, 1) + rec(USER_NOTE, arg=5, op=1) + rec(USER_END, span=5, t0=2500),
    rec(USER_BEGIN, span=6, parent=1, aux_kind=1, kind=1) + rec(USER_END, arg=6, aux_kind=1),
    rec(EXCEPTION, op=11, fd=2, ext=1, aux=24) + payload(struct.pack("<QQ", 0x401000, 0x402000) +
                                                         b"SIGSEGV\0"),
    rec(SPAN, OP_EXECVE, ret=-1, err=2, ext=1, aux=7) + payload(b"/no/sh\0"),
    rec(SPAN, OP_READ, ext=200) + rec(SPAN, OP_READ, ext=3, aux=5000),
])


def inflate_seed(limit, body):
    return struct.pack(">H", limit) + body


text = b"resource_spans " * 20
write("inflate", [
    inflate_seed(4096, gzip.compress(text, mtime=0)),
    inflate_seed(4096, zlib.compress(text)),
    inflate_seed(len(text), gzip.compress(text, mtime=0)),
    inflate_seed(len(text) - 1, gzip.compress(text, mtime=0)),
    inflate_seed(100, gzip.compress(b"", mtime=0)),
    inflate_seed(0, gzip.compress(b"x", mtime=0)),   # a limit of 0 once let one byte through
    inflate_seed(4096, gzip.compress(text, mtime=0)[:-6]),
    inflate_seed(4096, gzip.compress(text, mtime=0) + b"trailing"),
    inflate_seed(65535, zlib.compress(b"\0" * 60000, 9)),
])


# OTLP protobuf, by hand: field numbers of opentelemetry/proto/trace/v1.
def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def field(num, wire, data):
    return varint(num << 3 | wire) + data


def msg(num, data):
    return field(num, 2, varint(len(data)) + data)


def string(num, s):
    return msg(num, s.encode() if isinstance(s, str) else s)


def fixed64(num, v):
    return field(num, 1, struct.pack("<Q", v))


def kv(key, value):
    if isinstance(value, bool):
        any_ = field(2, 0, varint(int(value)))
    elif isinstance(value, int):
        any_ = field(3, 0, varint(value & (2**64 - 1)))
    elif isinstance(value, float):
        any_ = field(4, 1, struct.pack("<d", value))
    else:
        any_ = string(1, value)
    return string(1, key) + msg(2, any_)


def span(sid, parent, name, start, end, attrs=(), error=None, kind=1):
    b = string(1, bytes(range(1, 17))) + string(2, sid.to_bytes(8, "big"))
    if parent:
        b += string(4, parent.to_bytes(8, "big"))
    b += string(5, name) + field(6, 0, varint(kind)) + fixed64(7, start) + fixed64(8, end)
    for k, v in attrs:
        b += msg(9, kv(k, v))
    if error is not None:
        b += msg(15, string(2, error) + field(3, 0, varint(2)))
    return b


def resource_spans(service, pid, spans):
    res = msg(1, kv("service.name", service)) + msg(1, kv("process.pid", pid))
    return msg(1, msg(1, res) + msg(2, msg(1, string(1, "scope")) +
                                 b"".join(msg(2, s) for s in spans)))


T = 1_700_000_000_000_000_000
write("convert", [
    resource_spans("shop", 42, [
        span(1, 0, "GET /cart", T, T + 5000, [("http.method", "GET"), ("http.status_code", 200)]),
        span(2, 1, "SELECT", T + 100, T + 900, [("db.system", "sqlite"), ("ok", True)]),
        span(3, 1, "render", T + 1000, T + 4000, [("ratio", 0.5)]),
    ]),
    resource_spans("shop", 42, [
        span(5, 4, "child first", T + 10, T + 20),           # its parent comes later
        span(6, 0, "overlap a", T, T + 100),
        span(7, 0, "overlap b", T + 50, T + 150, error="boom"),
        span(8, 6, "same start", T, T + 100),
    ]) + resource_spans("db", 7, [span(4, 0, "parent late", T, T + 1000)]),
    resource_spans("", 0, [span(9, 9, "", 0, 0), span(10, 0, "backwards", T + 10, T)]),
    resource_spans("big", 2**40, [span(11, 0, "ts high", 2**63 + 5, 2**64 - 1)]),
    b"\x0a\x00",
])


# handle: a byte choosing method (bits 0-1), path (2-3), Content-Encoding
# (4-6) and a body the transport stopped keeping (7), two bytes of
# --max-body, then the body.
def handle(pick, max_body, body):
    return bytes([pick, max_body >> 8 & 0xff, max_body & 0xff]) + body


_good = resource_spans("shop", 42, [span(1, 0, "GET /cart", T, T + 5000),
                                    span(2, 1, "SELECT", T + 100, T + 900)])
write("handle", [
    handle(0x00, 0xffff, _good),                          # POST /v1/traces, no encoding
    handle(0x10, 0xffff, gzip.compress(_good, mtime=0)),           # gzip
    handle(0x30, 0xffff, _good),                          # identity
    handle(0x50, 0xffff, _good),                          # br: 415
    handle(0x01, 0xffff, _good),                          # GET: 405
    handle(0x04, 0xffff, _good),                          # another path: 404
    handle(0x80, 0xffff, _good),                          # too large in transport: 413
    handle(0x10, 0x0010, gzip.compress(_good, mtime=0)),           # inflates past the limit: 413
    handle(0x00, 0xffff, b"\x0a\x05garbage"),              # not a request: 400
])

# url: a byte for the redaction buffer's size, then the URL.
write("url", [bytes([cap]) + u.encode() for cap, u in [
    (255, "http://127.0.0.1:4318/v1/traces"),
    (255, "https://user:secret@collector.example:443/v1/traces?token=abc"),
    (255, "http://[::1]:4318"),
    (255, "http://[fe80::1%25eth0]:4318/"),
    (20, "http://user:pass@host"),
    (255, "http://[::1"),
    (255, "ftp://x"),
    (255, "http://host:99999"),
    (255, "http://host:0"),
    (255, "HTTP://Host/p#frag"),
    (5, "http://a@b@c/"),
]])



# http1: a byte of options (bit 0: raw query, bit 1: close at the end, bits 2-3:
# event slots, bit 7: a written exchange), then pieces: a byte (bit 7: the
# direction, 1 = received; bits 0-6: the length) and that many bytes, or a
# length of 0 and two bytes r, b: b repeated 128 * (r + 1) times.
def http1(opts, *pieces):
    out = bytearray([opts])
    for inbound, data in pieces:
        if isinstance(data, tuple):   # (r, b): a long piece
            out += bytes([0x80 if inbound else 0, data[0], data[1]])
            continue
        data = data.encode("latin-1") if isinstance(data, str) else data
        for i in range(0, len(data), 127):
            part = data[i:i + 127]
            out.append((0x80 if inbound else 0) | len(part))
            out += part
    return bytes(out)


OUT, IN = False, True
_get = "GET /a/b?q=1&secret=SECRET HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5\r\n" \
       "Cookie: SECRET\r\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n" \
       "tracestate: rojo=00f067aa0ba902b7\r\n\r\n"
_ok = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nSet-Cookie: SECRET\r\n\r\nSECRET"
write("http1", [
    http1(0x02, (OUT, _get), (IN, _ok), (OUT, "GET / HTTP/1.1\r\n\r\n"), (IN, "HTTP/1.1 404 No\r\nContent-Length: 0\r\n\r\n")),
    http1(0x0b, (IN, "POST /api HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nSECR\r\n0\r\nT: SECRET\r\n\r\n"),
          (OUT, "HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip, chunked\r\n\r\n6\r\nSECRET\r\n0\r\n\r\n")),
    http1(0x06, (OUT, "GET /1 HTTP/1.1\r\n\r\nHEAD /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n"),
          (IN, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
               "HTTP/1.0 200 OK\r\n\r\nuntil close")),
    http1(0x02, (OUT, "PUT /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 6\r\n\r\n"),
          (IN, "HTTP/1.1 100 Continue\r\n\r\n"), (OUT, "SECRET"), (IN, "HTTP/1.1 204 No Content\r\n\r\n")),
    http1(0x02, (OUT, "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n"), (IN, "HTTP/1.1 200 OK\r\n\r\n"),
          (OUT, b"\x16\x03\x01\x00\x05hello")),
    http1(0x00, (IN, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
          (OUT, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello")),
    http1(0x02, (OUT, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(32))),
    http1(0x02, (IN, "SSH-2.0-OpenSSH_9.6\r\n"), (OUT, "SSH-2.0-Go\r\n")),
    http1(0x01, (OUT, "GET http://bob:pw@proxy.example:8080/p?a=1&b&c= HTTP/1.1\nHost: x\n X-Fold: y\n"
                      "Content-Length: 2, 2\n\nab")),
    http1(0x02, (OUT, "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")),
    http1(0x02, (OUT, "G"), (OUT, "ET / HT"), (OUT, "TP/1.1\r"), (OUT, "\n\r"), (OUT, "\n"),
          (IN, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA;e=\"q\"\r\n0123456789\r\n0\r\n\r\n")),
    http1(0x02, (OUT, "CONNECT h:1 HTTP/1.1\r\n\r\n"), (IN, "HTTP/1.1 407 Auth\r\nContent-Length: 3\r\n\r\nno!"),
          (OUT, "GET /h HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade, keep-alive\r\n\r\n"),
          (IN, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"),
          (OUT, "GET / HTTP/1.1\r\n\r\n")),
    # Heads over the limit: a long header value, a long skipped line, a long name.
    http1(0x02, (OUT, "GET / HTTP/1.1\r\nUser-Agent: "), (OUT, (130, ord("u"))), (OUT, "\r\n\r\n")),
    http1(0x02, (IN, "GET / HTTP/1.1\r\nX-Big: "), (IN, (127, ord("x"))), (IN, "\r\n\r\n")),
    http1(0x02, (OUT, "GET / HTTP/1.1\r\n\r\n"), (IN, "HTTP/1.1 200 OK\r\n"), (IN, (128, ord("N"))),
          (IN, ": 1\r\n\r\n")),
    # Written exchanges: their bytes choose the messages, then the calls' sizes.
    bytes([0x82]) + bytes(range(0, 256, 3)),
    bytes([0x80]) + bytes((i * 37 + 11) % 256 for i in range(400)),
    bytes([0x83]) + bytes((i * 101 + 5) % 256 for i in range(700)),
    bytes([0x8c]) + bytes([0x15]) + bytes((i * 13) % 256 for i in range(300)),
])
