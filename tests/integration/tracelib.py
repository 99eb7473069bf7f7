#!/usr/bin/env python3
"""tracelib: an independent decoder and checker for traceshim's .pftrace files.

Decoding is delegated to `protoc --decode` with the project's own schema
(proto/perfetto_trace.proto), so the test suite never shares code with the C
writer it checks.  protoc's text output is parsed here, compressed packet
bundles are inflated with zlib and decoded the same way, and the packets are
then replayed with the import rules of Perfetto's trace_processor: sequences
and their incremental state, interning, track descriptors, and per-track slice
nesting ordered by timestamp.

Python 3 standard library only.  Main entry points:
  load_trace(path)          -> Trace
  structural_errors(trace)  -> list of problems the importer would trip on
  run_pair(argv, ...)       -> run a program with and without the shim
  python3 tracelib.py FILE  -> print a summary; exit 1 on structural errors
"""

import atexit
import collections
import gc
import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
import zlib


# ===========================================================================
# A file, socket or child process left open is an error
# ===========================================================================
# Python only warns (ResourceWarning, off by default) and mostly from
# finalizers, where an exception cannot propagate. Importing tracelib turns
# them into errors, and a test program that hit one exits with status 1.

_resource_leaks = []


def _record_unraisable(info):
    if isinstance(info.exc_value, ResourceWarning):
        _resource_leaks.append(str(info.exc_value))
    sys.__unraisablehook__(info)


def _exit_on_resource_leaks():
    gc.collect()
    if _resource_leaks:
        sys.stdout.flush()
        sys.stderr.write("%d ResourceWarning(s): a test left a file, socket or process open:\n  %s\n"
                         % (len(_resource_leaks), "\n  ".join(_resource_leaks)))
        sys.stderr.flush()
        os._exit(1)


def fail_on_resource_warnings():
    warnings.simplefilter("error", ResourceWarning)
    # With a -W option given, unittest.main keeps these filters for the run.
    if "error::ResourceWarning" not in sys.warnoptions:
        sys.warnoptions.append("error::ResourceWarning")
    sys.unraisablehook = _record_unraisable
    atexit.register(_exit_on_resource_leaks)


fail_on_resource_warnings()

PROTO_FILE = "perfetto_trace.proto"
ROOT_MESSAGE = "perfetto.protos.Trace"

SEQ_INCREMENTAL_STATE_CLEARED = 1
SEQ_NEEDS_INCREMENTAL_STATE = 2

CLOCK_REALTIME = 1
CLOCK_BOOTTIME = 6

SLICE_BEGIN, SLICE_END, INSTANT, COUNTER = 1, 2, 3, 4
# protoc prints enum values by name; Perfetto's names carry a TYPE_ prefix,
# the bare names are accepted too.
_EVENT_TYPES = {
    "TYPE_SLICE_BEGIN": SLICE_BEGIN, "SLICE_BEGIN": SLICE_BEGIN,
    "TYPE_SLICE_END": SLICE_END, "SLICE_END": SLICE_END,
    "TYPE_INSTANT": INSTANT, "INSTANT": INSTANT,
    "TYPE_COUNTER": COUNTER, "COUNTER": COUNTER,
}
_TYPE_NAMES = {SLICE_BEGIN: "SLICE_BEGIN", SLICE_END: "SLICE_END",
               INSTANT: "INSTANT", COUNTER: "COUNTER"}


class DecodeError(Exception):
    """The file (or a compressed bundle in it) is not a decodable Trace."""


# ===========================================================================
# protoc text format -> Msg
# ===========================================================================

class Msg(dict):
    """A decoded message: field name -> list of values, in file order.

    Lists are used for every field because text format does not say which
    fields are repeated.  Unknown fields appear under their number ("52").
    """

    def one(self, name, default=None):
        """The last value of a field (proto semantics for singular fields)."""
        values = self.get(name)
        return values[-1] if values else default

    def all(self, name):
        return self.get(name, [])


_TOKEN_RE = re.compile(r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<punct>[{}<>:\[\],;])
  | (?P<word>[^\s{}<>:\[\],;"'#]+)
""", re.VERBOSE)

_ESCAPE_RE = re.compile(
    rb"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|u([0-9a-fA-F]{4})"
    rb"|U([0-9a-fA-F]{8})|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v",
                   b"a": b"\a", b"b": b"\b", b"f": b"\f", b"\\": b"\\",
                   b"'": b"'", b'"': b'"', b"?": b"?"}


def _unescape_one(m):
    octal, hexa, u4, u8, other = m.groups()
    if octal is not None:
        return bytes([int(octal, 8) & 0xFF])
    if hexa is not None:
        return bytes([int(hexa, 16)])
    if u4 is not None or u8 is not None:
        return chr(int(u4 or u8, 16)).encode("utf-8", "surrogatepass")
    if other in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[other]
    raise DecodeError("unknown escape \\%s in text format string" % other.decode("latin-1"))


def unescape_bytes(quoted):
    """A quoted text-format string literal -> the raw bytes it stands for."""
    body = quoted[1:-1].encode("utf-8", "surrogateescape")
    if b"\\" not in body:
        return body
    return _ESCAPE_RE.sub(_unescape_one, body)


_INT_RE = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|\d+)\Z")
_FLOAT_RE = re.compile(r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)[fF]?\Z")
_SPECIAL_FLOATS = {"inf": float("inf"), "infinity": float("inf"),
                   "-inf": float("-inf"), "-infinity": float("-inf"),
                   "nan": float("nan"), "-nan": float("nan")}


def _scalar(word):
    """A bare text-format word -> int, float, bool or an enum name (str)."""
    if _INT_RE.match(word):
        return int(word, 0) if not re.match(r"[-+]?0\d", word) else int(word, 8)
    if _FLOAT_RE.match(word):
        return float(word.rstrip("fF"))
    low = word.lower()
    if low in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[low]
    if word in ("true", "True", "t"):
        return True
    if word in ("false", "False", "f"):
        return False
    return word


def _tokenize(text):
    tokens = []
    pos = 0
    for m in _TOKEN_RE.finditer(text):
        if m.start() != pos:
            raise DecodeError("text format: cannot read %r" % text[pos:pos + 40])
        pos = m.end()
        kind = m.lastgroup
        if kind != "space":
            tokens.append((kind, m.group(kind)))
    if pos != len(text):
        raise DecodeError("text format: cannot read %r" % text[pos:pos + 40])
    return tokens


class _TextParser:
    """Recursive-descent parser for protobuf text format (what protoc prints)."""

    _CLOSE = {"{": "}", "<": ">"}

    def __init__(self, text):
        self.tokens = _tokenize(text)
        self.pos = 0

    def parse(self):
        msg = self._message(end=None)
        return msg

    def _peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def _take(self, expect=None):
        tok = self._peek()
        if tok[0] is None:
            raise DecodeError("text format: unexpected end of input")
        if expect is not None and tok[1] != expect:
            raise DecodeError("text format: expected %r, got %r" % (expect, tok[1]))
        self.pos += 1
        return tok

    def _message(self, end):
        msg = Msg()
        while True:
            kind, value = self._peek()
            if kind is None:
                if end is not None:
                    raise DecodeError("text format: missing %r" % end)
                return msg
            if kind == "punct" and value == end:
                self.pos += 1
                return msg
            name = self._field_name()
            for v in self._field_values():
                msg.setdefault(name, []).append(v)
            if self._peek()[1] in (",", ";"):
                self.pos += 1

    def _field_name(self):
        kind, value = self._take()
        if kind == "word":
            return value
        if value == "[":          # extension or Any type URL: keep it verbatim
            parts = []
            while self._peek()[1] != "]":
                parts.append(self._take()[1])
            self._take("]")
            return "[" + "".join(parts) + "]"
        raise DecodeError("text format: expected a field name, got %r" % value)

    def _field_values(self):
        if self._peek()[1] == ":":
            self.pos += 1
        kind, value = self._peek()
        if kind == "punct" and value == "[":
            self.pos += 1
            values = []
            while self._peek()[1] != "]":
                values.append(self._value())
                if self._peek()[1] == ",":
                    self.pos += 1
            self._take("]")
            return values
        return [self._value()]

    def _value(self):
        kind, value = self._take()
        if kind == "punct" and value in self._CLOSE:
            return self._message(self._CLOSE[value])
        if kind == "string":
            # Adjacent literals concatenate, as in C.
            data = unescape_bytes(value)
            while self._peek()[0] == "string":
                data += unescape_bytes(self._take()[1])
            return data
        if kind == "word":
            if value == "-" and self._peek()[0] == "word":   # "- 5" style
                return _scalar("-" + self._take()[1])
            return _scalar(value)
        raise DecodeError("text format: unexpected %r" % value)


_STRING_LINE_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"\Z')


def _parse_lines(text):
    """What protoc --decode prints, one field a line ("name: value",
    "name {", "}"), read line by line: ten times faster than the general
    parser on a big trace. None when a line has another shape."""
    root = Msg()
    stack = [root]
    for line in text.split("\n"):
        s = line.strip()
        if not s:
            continue
        if s == "}":
            if len(stack) == 1:
                return None
            stack.pop()
            continue
        if s.endswith(" {"):
            name = s[:-2]
            if not name.isidentifier() and not name.isdigit():
                return None
            child = Msg()
            stack[-1].setdefault(name, []).append(child)
            stack.append(child)
            continue
        name, sep, value = s.partition(": ")
        if not sep or not (name.isidentifier() or name.isdigit()) or not value:
            return None
        if value[0] == '"':
            if not _STRING_LINE_RE.match(value):
                return None
            v = unescape_bytes(value)
        elif value.isdigit() and (value[0] != "0" or len(value) == 1):
            v = int(value)
        elif value[0] in "{}<>[],;'#" or " " in value:
            return None
        else:
            v = _scalar(value)
        stack[-1].setdefault(name, []).append(v)
    return root if len(stack) == 1 else None


def parse_text_format(text):
    """protoc text format -> Msg (strings and bytes fields come back as bytes)."""
    fast = _parse_lines(text)
    return fast if fast is not None else _TextParser(text).parse()


# ===========================================================================
# protoc invocation, framing, compressed bundles
# ===========================================================================

def default_proto_dir():
    env = os.environ.get("TRACESHIM_PROTO_DIR")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "proto"))


def _protoc():
    exe = shutil.which("protoc")
    if exe is None:
        raise DecodeError("protoc not found on PATH")
    return exe


def _run_protoc(data, message, include_dirs, proto_path):
    cmd = [_protoc(), "--decode=" + message]
    cmd += ["-I" + d for d in include_dirs]
    cmd.append(proto_path)
    proc = subprocess.run(cmd, input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise DecodeError("protoc --decode=%s failed: %s" % (
            message, proc.stderr.decode("utf-8", "replace").strip()))
    return parse_text_format(proc.stdout.decode("utf-8", "surrogateescape"))


def decode_trace_bytes(data, proto_dir):
    """Serialized Trace bytes -> list of packet Msgs (one protoc run)."""
    proto_dir = os.path.abspath(proto_dir)
    trace = _run_protoc(data, ROOT_MESSAGE, [proto_dir],
                        os.path.join(proto_dir, PROTO_FILE))
    return trace.all("packet")


def decode_otlp_request(body, proto_dir=None):
    """An OTLP ExportTraceServiceRequest body -> Msg, decoded by protoc against
    the project's proto/otlp files."""
    otlp_dir = os.path.join(os.path.abspath(proto_dir or default_proto_dir()), "otlp")
    return _run_protoc(body, "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest",
                       [otlp_dir], os.path.join(otlp_dir, "otlp_trace_service.proto"))


def _varint(data, pos):
    """Reads a varint at pos -> (value, next pos); raises IndexError when cut."""
    value = shift = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _encode_varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def top_level_frames(data):
    """Splits a Trace into (start, end) byte ranges of its `packet` fields.

    Returns (frames, tail_offset, problem): tail_offset is where reading
    stopped; problem says why it stopped early (None when the whole file was
    consumed).  Only the outermost framing is read here: what is inside a
    packet is left to protoc.
    """
    frames = []
    pos = 0
    while pos < len(data):
        start = pos
        try:
            tag, pos = _varint(data, pos)
            if tag != 0x0A:
                return frames, start, "unexpected tag 0x%x at offset %d" % (tag, start)
            length, pos = _varint(data, pos)
        except IndexError:
            return frames, start, "torn packet header at offset %d" % start
        except ValueError as e:
            return frames, start, "%s at offset %d" % (e, start)
        if pos + length > len(data):
            return frames, start, ("torn last packet at offset %d: declares %d bytes, %d remain"
                                   % (start, length, len(data) - pos))
        frames.append((start, pos + length))
        pos += length
    return frames, pos, None


def _decode_file_bytes(data, proto_dir, warnings):
    """Whole-file decode; a torn final packet is dropped like the importer does."""
    try:
        return decode_trace_bytes(data, proto_dir)
    except DecodeError as first_error:
        frames, tail, problem = top_level_frames(data)
        if problem is None or not problem.startswith("torn"):
            raise DecodeError("%s%s" % (first_error, _locate_bad_frame(data, frames, proto_dir)
                                        if problem is None else "; " + problem))
        warnings.append(problem + ": dropped (the importer drops it too)")
        return decode_trace_bytes(data[:tail], proto_dir)


def _locate_bad_frame(data, frames, proto_dir):
    """Binary search for the first packet protoc rejects (for the message)."""
    lo, hi = 0, len(frames)        # prefix of lo frames decodes; of hi does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            decode_trace_bytes(data[:frames[mid - 1][1]], proto_dir)
            lo = mid
        except DecodeError:
            hi = mid
    if not frames:
        return ""
    start, _ = frames[hi - 1]
    return "; first undecodable packet is #%d at offset %d" % (hi - 1, start)


_BATCH_PROTO = """syntax = "proto2";
package traceshim_tests;
import "%s";
message Batch { repeated perfetto.protos.Trace trace = 1; }
""" % PROTO_FILE


def _decode_batch(blobs, proto_dir):
    """Several serialized Traces -> one list of packets per blob, one protoc run.

    The blobs are framed as `trace` fields of a throwaway wrapper message so
    protoc runs once however many compressed bundles the file holds.
    """
    proto_dir = os.path.abspath(proto_dir)
    with tempfile.TemporaryDirectory(prefix="tracelib-") as tmp:
        path = os.path.join(tmp, "traceshim_batch.proto")
        with open(path, "w") as f:
            f.write(_BATCH_PROTO)
        data = b"".join(b"\x0a" + _encode_varint(len(b)) + b for b in blobs)
        batch = _run_protoc(data, "traceshim_tests.Batch", [proto_dir, tmp], path)
    traces = batch.all("trace")
    if len(traces) != len(blobs):
        raise DecodeError("batch decode returned %d traces for %d blobs"
                          % (len(traces), len(blobs)))
    return [t.all("packet") for t in traces]


def _inflate(blob):
    d = zlib.decompressobj()
    out = d.decompress(blob) + d.flush()
    if not d.eof:
        raise DecodeError("compressed_packets: zlib stream is truncated")
    if d.unused_data:
        raise DecodeError("compressed_packets: %d bytes after the zlib stream"
                          % len(d.unused_data))
    return out


def expand_compressed(packets, proto_dir, errors, depth=0):
    """Replaces each compressed_packets wrapper by the packets it contains."""
    wrappers = [i for i, p in enumerate(packets) if "compressed_packets" in p]
    if not wrappers:
        return packets
    if depth > 4:
        errors.append("compressed_packets nested more than 4 levels deep")
        return [p for p in packets if "compressed_packets" not in p]
    inflated = {}
    for i in wrappers:
        p = packets[i]
        if len(p) > 1:
            errors.append("packet #%d: compressed_packets wrapper also carries %s"
                          % (i, sorted(k for k in p if k != "compressed_packets")))
        try:
            inflated[i] = b"".join(_inflate(b) for b in p.all("compressed_packets"))
        except (zlib.error, DecodeError) as e:
            errors.append("packet #%d: cannot inflate compressed_packets: %s" % (i, e))
    decoded = _decode_inflated(inflated, proto_dir, errors)
    out = []
    for i, p in enumerate(packets):
        if "compressed_packets" not in p:
            out.append(p)
        elif i in decoded:
            out.extend(expand_compressed(decoded[i], proto_dir, errors, depth + 1))
    return out


def _decode_inflated(inflated, proto_dir, errors):
    keys = sorted(inflated)
    if not keys:
        return {}
    try:
        return dict(zip(keys, _decode_batch([inflated[k] for k in keys], proto_dir)))
    except DecodeError:
        pass            # find the culprit(s) one bundle at a time
    decoded = {}
    for k in keys:
        try:
            decoded[k] = decode_trace_bytes(inflated[k], proto_dir)
        except DecodeError as e:
            errors.append("packet #%d: inflated compressed_packets is not a Trace: %s" % (k, e))
    return decoded


# ===========================================================================
# The model
# ===========================================================================

def _text(value):
    """Decoded string/bytes field -> str (invalid UTF-8 kept via surrogates)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return value


class Track:
    """One TrackDescriptor uuid: kind is 'process', 'thread' or 'track'."""

    def __init__(self, uuid, desc, packet_index, seq_id=None):
        self.uuid = uuid
        self.seq = seq_id           # sequence of the first description
        self.parent_uuid = desc.one("parent_uuid")
        self.name = _text(desc.one("name"))
        self.description = _text(desc.one("description"))
        self.pid = self.tid = None
        self.process_name = self.thread_name = None
        self.cmdline = []
        self.kind = "track"
        # A counter track (COUNTER events only): a CounterDescriptor, even empty.
        self.is_counter = "counter" in desc
        process, thread = desc.one("process"), desc.one("thread")
        if thread is not None:
            self.kind = "thread"
            self.pid, self.tid = thread.one("pid"), thread.one("tid")
            self.thread_name = _text(thread.one("thread_name"))
        elif process is not None:
            self.kind = "process"
            self.pid = process.one("pid")
            self.process_name = _text(process.one("process_name"))
            self.cmdline = [_text(c) for c in process.all("cmdline")]
        self.first_packet = packet_index
        self.descriptions = 1

    def identity(self):
        """What the importer refuses to change when a uuid is described again."""
        return (self.kind, self.parent_uuid, self.pid, self.tid, self.is_counter)

    def label(self):
        if self.kind == "thread":
            return "thread %s/%s %r" % (self.pid, self.tid, self.thread_name)
        if self.kind == "process":
            return "process %s %r" % (self.pid, self.process_name)
        return "track %s %r" % (self.uuid, self.name)

    def __repr__(self):
        return "<Track %d %s>" % (self.uuid, self.label())


class Event:
    """One TrackEvent after interning and defaults have been applied."""

    __slots__ = ("index", "seq", "ts", "clock", "type", "track_uuid", "name", "categories",
                 "args", "flow_ids", "terminating_flow_ids", "log_message",
                 "counter_value", "callstack")


class Slice:
    """A slice as the importer builds it on one track."""

    __slots__ = ("pid", "tid", "track_uuid", "name", "categories", "ts", "dur",
                 "depth", "args", "flow_ids", "terminating_flow_ids", "is_instant",
                 "parent", "seq", "begin_index", "end_index", "log_messages",
                 "_children")

    def __init__(self, ev, depth, parent, track):
        self.pid = track.pid if track else None
        self.tid = track.tid if track else None
        self.track_uuid = ev.track_uuid
        self.name = ev.name
        self.categories = ev.categories
        self.ts = ev.ts
        self.dur = 0 if ev.type == INSTANT else None
        self.depth = depth
        self.args = dict(ev.args)
        self.flow_ids = list(ev.flow_ids)
        self.terminating_flow_ids = list(ev.terminating_flow_ids)
        self.is_instant = ev.type == INSTANT
        self.parent = parent
        self.seq = ev.seq
        self.begin_index = ev.index
        self.end_index = ev.index if self.is_instant else None
        self.log_messages = [ev.log_message] if ev.log_message else []
        self._children = []
        if parent is not None:
            parent._children.append(self)

    @property
    def end(self):
        return None if self.dur is None else self.ts + self.dur

    def __repr__(self):
        return "<Slice %r %s/%s depth=%d ts=%d dur=%s>" % (
            self.name, self.pid, self.tid, self.depth, self.ts, self.dur)


class Flow:
    """A chain of slices linked by one flow id, in timestamp order."""

    def __init__(self, flow_id, first):
        self.id = flow_id
        self.slices = [first]
        self.terminated = False


class _Sequence:
    """Incremental state of one trusted_packet_sequence_id."""

    def __init__(self, seq_id):
        self.id = seq_id
        self.valid = False
        self.ever_cleared = False
        self.packets = 0
        self.events = 0
        self.pids = set()
        self.clear()

    def clear(self):
        self.tables = {"event_names": {}, "event_categories": {},
                       "debug_annotation_names": {}, "log_message_body": {},
                       "debug_annotation_string_values": {}}
        self.default_track = None
        self.default_clock = None


# Each InternedData table and the field holding the interned text.
_INTERN_TEXT_FIELD = {"event_names": "name", "event_categories": "name",
                      "debug_annotation_names": "name", "log_message_body": "body",
                      "debug_annotation_string_values": "str"}


class Trace:
    """A decoded trace replayed with trace_processor's import rules.

    Attributes: path, packets (decoded Msgs, compressed bundles expanded),
    processes {pid: name}, threads {(pid, tid): name}, tracks {uuid: Track},
    slices [Slice], counters [(track_uuid, ts, value)], flows [Flow],
    clock_snapshots [(seq, {clock_id: ts})], sequences {id: _Sequence},
    parent_pids {pid: ppid} (from ProcessTree packets), problems
    (replay-time errors) and warnings.
    """

    def __init__(self, path, packets, problems=None, warnings=None):
        self.path = path
        self.packets = packets
        self.problems = list(problems or [])
        self.warnings = list(warnings or [])
        self.processes = {}
        self.threads = {}
        self.tracks = {}
        self.slices = []
        self.counters = []
        self.flows = []
        self.clock_snapshots = []
        self.sequences = {}
        self.events = []
        self.parent_pids = {}
        self._replay()

    # ------------------------------------------------------------ replay
    def _replay(self):
        for index, packet in enumerate(self.packets):
            self._packet(index, packet)
        self._resolve_clocks()
        self._build_slices()
        self._build_flows()
        for track in self.tracks.values():
            if track.kind == "process":
                self.processes[track.pid] = track.process_name
            elif track.kind == "thread":
                self.threads[(track.pid, track.tid)] = track.thread_name

    def _problem(self, index, text):
        self.problems.append("packet #%d: %s" % (index, text))

    def _packet(self, index, p):
        seq_id = p.one("trusted_packet_sequence_id", 0)
        flags = p.one("sequence_flags", 0)
        seq = self.sequences.get(seq_id)
        if seq is None:
            seq = self.sequences[seq_id] = _Sequence(seq_id)
        seq.packets += 1
        if p.one("previous_packet_dropped"):
            seq.valid = False       # data was lost: state unusable until cleared
        if flags & SEQ_INCREMENTAL_STATE_CLEARED:
            seq.clear()
            seq.valid = seq.ever_cleared = True
        if flags & SEQ_NEEDS_INCREMENTAL_STATE:
            if seq_id == 0:
                self._problem(index, "SEQ_NEEDS_INCREMENTAL_STATE without a sequence id")
            elif not seq.valid:
                self._problem(index, "sequence %d: packet needs incremental state before it "
                              "was cleared (or after packet loss): skipped with all it carries"
                              % seq_id)
                return
        if "trace_packet_defaults" in p:
            defaults = p.one("trace_packet_defaults")
            ted = defaults.one("track_event_defaults")
            seq.default_track = ted.one("track_uuid") if ted is not None else None
            seq.default_clock = defaults.one("timestamp_clock_id")
        if "interned_data" in p:
            self._intern(index, seq, p.one("interned_data"))
        if "clock_snapshot" in p:
            clocks = {c.one("clock_id"): c.one("timestamp")
                      for c in p.one("clock_snapshot").all("clocks")}
            self.clock_snapshots.append((seq_id, clocks))
        if "track_descriptor" in p:
            self._track_descriptor(index, p.one("track_descriptor"), seq_id)
        if "track_event" in p:
            self._track_event(index, p, seq)
        if "process_tree" in p:
            for proc in p.one("process_tree").all("processes"):
                if proc.one("pid") is not None:
                    self.parent_pids[proc.one("pid")] = proc.one("ppid")

    def _intern(self, index, seq, interned):
        if not seq.valid:
            self._problem(index, "interned_data on sequence %d whose incremental state is "
                          "not valid: ignored" % seq.id)
            return
        for table, field in _INTERN_TEXT_FIELD.items():
            for entry in interned.all(table):
                iid = entry.one("iid")
                if not iid:
                    self._problem(index, "%s entry without a non-zero iid" % table)
                    continue
                seq.tables[table][iid] = _text(entry.one(field, b""))

    def _track_descriptor(self, index, desc, seq_id):
        uuid = desc.one("uuid")
        if uuid is None:
            self._problem(index, "TrackDescriptor without uuid")
            return
        new = Track(uuid, desc, index, seq_id)
        old = self.tracks.get(uuid)
        if old is None:
            self.tracks[uuid] = new
            return
        if old.identity() != new.identity():
            self._problem(index, "uuid %d re-described as %s, first described as %s: "
                          "the importer ignores the new descriptor"
                          % (uuid, new.label(), old.label()))
            return
        old.descriptions += 1
        # Names may change: the latest one wins.
        for attr in ("thread_name", "process_name", "name", "description"):
            if getattr(new, attr) is not None:
                setattr(old, attr, getattr(new, attr))

    def _lookup(self, index, seq, table, iid):
        value = seq.tables[table].get(iid)
        if value is None:
            self._problem(index, "iid %d is not defined in InternedData.%s on sequence %d"
                          % (iid, table, seq.id))
        return value

    def _track_event(self, index, p, seq):
        te = p.one("track_event")
        if seq.id == 0:
            self._problem(index, "TrackEvent without trusted_packet_sequence_id: dropped")
            return
        if "timestamp" not in p:
            self._problem(index, "TrackEvent without timestamp: dropped")
            return
        if not seq.valid:
            self._problem(index, "TrackEvent on sequence %d whose incremental state is not "
                          "valid (no SEQ_INCREMENTAL_STATE_CLEARED yet)" % seq.id)
        ev = Event()
        ev.index = index
        ev.seq = seq.id
        ev.ts = p.one("timestamp")
        ev.clock = p.one("timestamp_clock_id", seq.default_clock)
        ev.type = _EVENT_TYPES.get(te.one("type"), te.one("type"))
        if ev.type not in _TYPE_NAMES:
            self._problem(index, "TrackEvent with missing or unknown type %r: dropped"
                          % (te.one("type"),))
            return
        ev.track_uuid = te.one("track_uuid", seq.default_track)
        if ev.track_uuid is None:
            self._problem(index, "TrackEvent without track_uuid and no default track")
            return
        ev.name = self._event_name(index, seq, te)
        ev.categories = [_text(c) for c in te.all("categories")]
        ev.categories += [self._lookup(index, seq, "event_categories", iid)
                          for iid in te.all("category_iids")]
        ev.args = {}
        for ann in te.all("debug_annotations"):
            name, value = self._annotation(index, seq, ann)
            ev.args[name] = value
        ev.flow_ids = list(te.all("flow_ids"))
        ev.terminating_flow_ids = list(te.all("terminating_flow_ids"))
        ev.log_message = self._log_message(index, seq, te.one("log_message"))
        ev.counter_value = te.one("counter_value", te.one("double_counter_value"))
        ev.callstack = te.one("callstack")
        seq.events += 1
        self.events.append(ev)

    def _event_name(self, index, seq, te):
        if "name" in te and "name_iid" in te:
            self._problem(index, "TrackEvent carries both name and name_iid")
        if "name" in te:
            return _text(te.one("name"))
        if "name_iid" in te:
            return self._lookup(index, seq, "event_names", te.one("name_iid"))
        return None

    def _annotation(self, index, seq, ann, named=True):
        name = None
        if named:
            if "name" in ann:
                name = _text(ann.one("name"))
            elif "name_iid" in ann:
                name = self._lookup(index, seq, "debug_annotation_names", ann.one("name_iid"))
            else:
                self._problem(index, "debug annotation without name or name_iid")
        return name, self._annotation_value(index, seq, ann)

    def _annotation_value(self, index, seq, ann):
        if "dict_entries" in ann:
            return dict(self._annotation(index, seq, e) for e in ann.all("dict_entries"))
        if "array_values" in ann:
            return [self._annotation(index, seq, e, named=False)[1]
                    for e in ann.all("array_values")]
        if "string_value_iid" in ann:
            return self._lookup(index, seq, "debug_annotation_string_values",
                                ann.one("string_value_iid"))
        for field in ("bool_value", "uint_value", "int_value", "double_value"):
            if field in ann:
                return ann.one(field)
        if "string_value" in ann:
            return _text(ann.one("string_value"))
        return None

    def _log_message(self, index, seq, log):
        if log is None:
            return None
        body = None
        if "body_iid" in log:
            body = self._lookup(index, seq, "log_message_body", log.one("body_iid"))
        return {"body": body, "prio": log.one("prio")}

    # ------------------------------------------------------------ clocks
    def _resolve_clocks(self):
        """Converts timestamps stamped with another clock to BOOTTIME."""
        for ev in self.events:
            if ev.clock is None or ev.clock == CLOCK_BOOTTIME:
                continue
            snap = self._snapshot_linking(ev.clock, ev.seq)
            if snap is None:
                self.problems.append(
                    "packet #%d: timestamp in clock %d but no ClockSnapshot links it to "
                    "BOOTTIME: the importer drops the event" % (ev.index, ev.clock))
                ev.track_uuid = None
                continue
            ev.ts = ev.ts - snap[ev.clock] + snap[CLOCK_BOOTTIME]
        self.events = [ev for ev in self.events if ev.track_uuid is not None]

    def _snapshot_linking(self, clock, seq_id):
        candidates = [c for s, c in self.clock_snapshots
                      if clock in c and CLOCK_BOOTTIME in c]
        same_seq = [c for s, c in self.clock_snapshots
                    if s == seq_id and clock in c and CLOCK_BOOTTIME in c]
        return (same_seq or candidates or [None])[0]

    # ------------------------------------------------------------ slices
    def _build_slices(self):
        self.unmatched_ends = []
        self.mismatched_ends = []
        per_track = collections.OrderedDict()
        for ev in self.events:
            per_track.setdefault(ev.track_uuid, []).append(ev)
        for uuid, events in per_track.items():
            events.sort(key=lambda e: (e.ts, e.index))   # stable: file order breaks ties
            self._nest(uuid, events)
        self.slices.sort(key=lambda s: (s.ts, s.begin_index))

    def _nest(self, uuid, events):
        track = self.tracks.get(uuid)
        owner = self.owner_of(track)
        stack = []
        for ev in events:
            if ev.type == SLICE_BEGIN:
                s = Slice(ev, len(stack), stack[-1] if stack else None, owner)
                stack.append(s)
                self.slices.append(s)
            elif ev.type == INSTANT:
                self.slices.append(Slice(ev, len(stack), stack[-1] if stack else None, owner))
            elif ev.type == SLICE_END:
                self._close(ev, stack)
            elif ev.type == COUNTER:
                self.counters.append((uuid, ev.ts, ev.counter_value))

    def _close(self, ev, stack):
        if not stack:
            self.unmatched_ends.append(ev)
            return
        top = stack[-1]
        if (ev.name is not None and ev.name != top.name) or \
                (ev.categories and ev.categories != top.categories):
            # The importer only matches such an END with an identical slice.
            self.mismatched_ends.append((ev, top))
            return
        stack.pop()
        top.dur = ev.ts - top.ts
        top.end_index = ev.index
        top.args.update(ev.args)
        top.flow_ids += ev.flow_ids
        top.terminating_flow_ids += ev.terminating_flow_ids
        if ev.log_message:
            top.log_messages.append(ev.log_message)

    def owner_of(self, track):
        """The thread or process track a track belongs to (itself if it is one)."""
        seen = set()
        while track is not None and track.kind == "track" and track.uuid not in seen:
            seen.add(track.uuid)
            track = self.tracks.get(track.parent_uuid)
        return track

    # ------------------------------------------------------------ flows
    def _build_flows(self):
        """Replays flow ids in timestamp order: first use starts, terminating ends."""
        self.flow_problems = []
        event_at = {ev.index: ev for ev in self.events}
        points = []
        for s in self.slices:
            points.append((s.ts, s.begin_index, s))
            if s.end_index is not None and not s.is_instant:
                points.append((s.end, s.end_index, s))
        points.sort(key=lambda p: (p[0], p[1]))
        active = {}
        for ts, index, s in points:
            ev = event_at[index]
            for fid in ev.flow_ids:
                self._flow_step(active, fid, s)
            for fid in ev.terminating_flow_ids:
                if fid not in active:
                    self.flow_problems.append(
                        "packet #%d: terminating flow id %d on %r: no flow with that id is "
                        "active (never started, already ended, or started later in time)"
                        % (index, fid, s.name))
                    continue
                flow = self._flow_step(active, fid, s)
                flow.terminated = True
                del active[fid]

    def _flow_step(self, active, fid, s):
        flow = active.get(fid)
        if flow is None:
            flow = active[fid] = Flow(fid, s)
            self.flows.append(flow)
        elif flow.slices[-1] is not s:
            flow.slices.append(s)
        return flow

    # ------------------------------------------------------------ queries
    def slices_named(self, name):
        return [s for s in self.slices if s.name == name]

    def slices_of(self, pid=None, tid=None, name=None):
        return [s for s in self.slices
                if (pid is None or s.pid == pid) and (tid is None or s.tid == tid)
                and (name is None or s.name == name)]

    def thread_of(self, s):
        """The thread Track a slice lies on (None for process-level slices)."""
        owner = self.owner_of(self.tracks.get(s.track_uuid))
        return owner if owner is not None and owner.kind == "thread" else None

    def process_of(self, s):
        """The process Track of a slice's pid, if described."""
        for t in self.tracks.values():
            if t.kind == "process" and t.pid == s.pid:
                return t
        return None

    def children(self, s):
        return list(s._children)

    def descendants(self, s):
        out = []
        for c in s._children:
            out.append(c)
            out.extend(self.descendants(c))
        return out

    def pids(self):
        return sorted({s.pid for s in self.slices if s.pid is not None})

    def threads_of(self, pid):
        return {tid: name for (p, tid), name in self.threads.items() if p == pid}

    def thread_tracks(self, pid=None):
        return [t for t in self.tracks.values()
                if t.kind == "thread" and (pid is None or t.pid == pid)]

    def process_track(self, pid):
        for t in self.tracks.values():
            if t.kind == "process" and t.pid == pid:
                return t
        return None

    def process_tracks(self, pid=None):
        """Every process track (a pid that ran exec has one per program)."""
        return [t for t in self.tracks.values()
                if t.kind == "process" and (pid is None or t.pid == pid)]

    def sequence_pids(self):
        """{sequence id: set of pids} from the tracks its events and descriptors name."""
        out = collections.defaultdict(set)
        for ev in self.events:
            owner = self.owner_of(self.tracks.get(ev.track_uuid))
            if owner is not None and owner.pid is not None:
                out[ev.seq].add(owner.pid)
        for t in self.tracks.values():
            owner = self.owner_of(t)
            if t.seq and owner is not None and owner.pid is not None:
                out[t.seq].add(owner.pid)
        return out

    def flows_from(self, s):
        return [f for f in self.flows if f.slices[0] is s]


# ===========================================================================
# Loading and checking
# ===========================================================================

def load_trace(path, proto_dir=None, check=True, keep=True, **check_options):
    """Decodes a .pftrace file with protoc and replays it into a Trace.

    Every trace a test reads is checked here: unless check is False (for a
    test that expects a broken trace, or a tool that only reports), any
    structural error (structural_errors(trace, **check_options)) raises
    AssertionError, so a new importer error anywhere fails the suite.
    keep: copy the file to $TRACESHIM_KEEP_TRACES when that is set."""
    proto_dir = proto_dir or default_proto_dir()
    if not os.path.exists(os.path.join(proto_dir, PROTO_FILE)):
        raise DecodeError("no %s in %s (set TRACESHIM_PROTO_DIR)" % (PROTO_FILE, proto_dir))
    kept = _keep_trace(path, [path]) if keep else None
    with open(path, "rb") as f:
        data = f.read()
    warnings, problems = [], []
    packets = _decode_file_bytes(data, proto_dir, warnings)
    packets = expand_compressed(packets, proto_dir, problems)
    warnings += unknown_field_warnings(packets)
    trace = Trace(path, packets, problems, warnings)
    trace.kept_path = kept
    if check:
        assert_importable(trace, **check_options)
    return trace


def assert_importable(trace, **check_options):
    """Raises AssertionError listing the structural errors of trace, if any."""
    errors = structural_errors(trace, **check_options)
    if errors:
        raise AssertionError(
            "%d structural error(s) in %s%s (Perfetto's importer would report or drop "
            "data):\n  %s%s" % (
                len(errors), trace.path,
                " (kept as %s)" % trace.kept_path if trace.kept_path else "",
                "\n  ".join(errors[:20]),
                "\n  ... %d more" % (len(errors) - 20) if len(errors) > 20 else ""))


def unknown_field_warnings(packets):
    """Fields outside the project's schema subset: possibly a wrong field number."""
    seen = collections.Counter()

    def walk(msg, path):
        for key, values in msg.items():
            where = path + "." + key if path else key
            if key.isdigit():
                seen[where] += len(values)
                continue            # its insides are guesses by protoc
            for v in values:
                if isinstance(v, Msg):
                    walk(v, where)

    for p in packets:
        walk(p, "")
    return ["field %s (%d times) is not in %s or has an unexpected wire type"
            % (where, n, PROTO_FILE) for where, n in sorted(seen.items())]


def structural_errors(trace, thread_lanes=True):
    """Everything that would make Perfetto's importer drop or misplace data.
    thread_lanes: spans sit on thread tracks, as the shim writes them (so a
    pthread_create arrow must end on a thread track); False for traces made
    by traceshim collect, which lays spans out on lanes of its own."""
    errors = list(trace.problems)
    errors += _slice_errors(trace)
    errors += _track_errors(trace)
    errors += importer_value_errors(trace)
    errors += _thread_identity_errors(trace)
    errors += trace.flow_problems
    if thread_lanes:
        errors += _pthread_flow_errors(trace)
    errors += _sequence_errors(trace)
    errors += _clock_snapshot_errors(trace)
    return errors


# Importer rules on values: what trace_processor drops or refuses outright.
INT64_LIMIT = 1 << 63
MAX_SLICE_DEPTH = 512


def importer_value_errors(trace):
    """Timestamps the importer reads as negative, slices nested too deep, and
    one pid claimed by processes that overlap."""
    return (_negative_timestamp_errors(trace) + _slice_depth_errors(trace)
            + _process_identity_errors(trace))


def _negative_timestamp_errors(trace):
    """Timestamps are int64 in the importer: 2^63 and above are negative and
    the event is dropped."""
    errors = []
    for ev in trace.events:
        if ev.ts >= INT64_LIMIT:
            errors.append("packet #%d: timestamp %d is negative as int64: the importer drops "
                          "the event" % (ev.index, ev.ts))
    for index, p in enumerate(trace.packets):
        if p.one("timestamp", 0) >= INT64_LIMIT and "track_event" not in p:
            errors.append("packet #%d: timestamp %d is negative as int64"
                          % (index, p.one("timestamp")))
    return errors


def _process_identity_errors(trace):
    """A second process uuid for a pid is that pid reused: wrong while the
    first process's slices (on any of its tracks) still run."""
    life = {}
    for s in trace.slices:
        owner = trace.owner_of(trace.tracks.get(s.track_uuid))
        if owner is not None and owner.kind == "thread":
            owner = trace.tracks.get(owner.parent_uuid)
        if owner is None or owner.kind != "process":
            continue
        end = s.end if s.end is not None else s.ts
        lo, hi = life.get(owner.uuid, (s.ts, end))
        life[owner.uuid] = (min(lo, s.ts), max(hi, end))
    errors = []
    by_pid = collections.defaultdict(list)
    for t in trace.process_tracks():
        if t.uuid in life:
            by_pid[t.pid].append(life[t.uuid])
    for pid, ranges in sorted(by_pid.items()):
        ranges.sort()
        if any(b[0] < a[1] for a, b in zip(ranges, ranges[1:])):
            errors.append("pid %s is described by %d process uuids whose slices overlap: the "
                          "importer sees one process" % (pid, len(ranges)))
    return errors


def _slice_depth_errors(trace):
    return ["slice %r at ts %d would be at depth %d: the importer drops slices at depth %d "
            "and deeper" % (s.name, s.ts, s.depth, MAX_SLICE_DEPTH)
            for s in trace.slices if s.depth >= MAX_SLICE_DEPTH]


def _slice_errors(trace):
    errors = []
    for s in trace.slices:
        if s.dur is None:
            errors.append("slice %r (%s/%s, depth %d, ts %d) is never closed"
                          % (s.name, s.pid, s.tid, s.depth, s.ts))
    for ev in trace.unmatched_ends:
        errors.append("packet #%d: SLICE_END at ts %d on track %d with no open slice"
                      % (ev.index, ev.ts, ev.track_uuid))
    for ev, top in trace.mismatched_ends:
        errors.append("packet #%d: SLICE_END carrying name %r / categories %r does not match "
                      "the innermost open slice %r: the importer ignores it"
                      % (ev.index, ev.name, ev.categories, top.name))
    return errors


def _track_errors(trace):
    errors = []
    undescribed = collections.Counter(ev.track_uuid for ev in trace.events
                                      if ev.track_uuid not in trace.tracks)
    for uuid, n in sorted(undescribed.items()):
        errors.append("%d event(s) on track uuid %d, which no TrackDescriptor describes"
                      % (n, uuid))
    for ev in trace.events:
        t = trace.tracks.get(ev.track_uuid)
        if t is None:
            continue
        if ev.type == COUNTER and not t.is_counter:
            errors.append("packet #%d: COUNTER event on %s, which is not a counter track: "
                          "dropped" % (ev.index, t.label()))
        elif ev.type == COUNTER and ev.counter_value is None:
            errors.append("packet #%d: COUNTER event without a value: dropped" % ev.index)
        elif ev.type != COUNTER and t.is_counter:
            errors.append("packet #%d: slice event on counter %s: not drawn"
                          % (ev.index, t.label()))
    for t in trace.tracks.values():
        if t.parent_uuid is not None and t.parent_uuid not in trace.tracks:
            errors.append("%s has parent_uuid %d, which no TrackDescriptor describes"
                          % (t.label(), t.parent_uuid))
    return errors


def _track_lifetimes(trace):
    """{uuid: (first ts, last end)} over the slices of each track."""
    spans = {}
    for s in trace.slices:
        end = s.end if s.end is not None else s.ts
        lo, hi = spans.get(s.track_uuid, (s.ts, end))
        spans[s.track_uuid] = (min(lo, s.ts), max(hi, end))
    return spans


def _thread_identity_errors(trace):
    """A second uuid for a tid is a new thread to the importer: right after an
    exec (the same pid runs another program), wrong while the first lives."""
    errors = []
    uuids = collections.defaultdict(set)
    for t in trace.thread_tracks():
        uuids[(t.pid, t.tid)].add(t.uuid)
    life = _track_lifetimes(trace)
    for (pid, tid), us in sorted(uuids.items()):
        if len(us) < 2:
            continue
        ranges = sorted(life[u] for u in us if u in life)
        if any(b[0] < a[1] for a, b in zip(ranges, ranges[1:])):
            errors.append("pid %s tid %s is described by %d uuids %s whose slices overlap: "
                          "the importer sees several threads at once"
                          % (pid, tid, len(us), sorted(us)))
    return errors


def _pthread_flow_errors(trace):
    """Each flow leaving a pthread_create slice must end on the new thread's span."""
    errors = []
    for s in trace.slices_named("pthread_create"):
        for fid in s.flow_ids:
            flow = next((f for f in trace.flows if f.id == fid and s in f.slices), None)
            where = "pthread_create at ts %d in %s/%s: flow %d" % (s.ts, s.pid, s.tid, fid)
            if flow is None or flow.slices[0] is not s:
                errors.append(where + " does not start there (id reused?)")
            elif not flow.terminated:
                errors.append(where + " is never terminated")
            else:
                errors += _check_flow_target(trace, s, flow.slices[-1], where)
    return errors


def _check_flow_target(trace, start, end, where):
    thread = trace.thread_of(end)
    if thread is None:
        return [where + " ends on %r, which is not on a thread track" % end.name]
    if end.depth != 0:
        return [where + " ends on %r at depth %d, not on a thread span" % (end.name, end.depth)]
    if end.pid != start.pid:
        return [where + " ends in another process (pid %s)" % end.pid]
    if end.track_uuid == start.track_uuid or end.tid == start.tid:
        return [where + " ends on the creating thread itself"]
    return []


def _clock_snapshot_errors(trace):
    """trace_processor reads the ClockSnapshots in file order, and one whose
    trace-clock (BOOTTIME) value is below that of an earlier snapshot is
    rejected: "the trace clock is not monotonic", stat invalid_clock_snapshots,
    shown as an import error. Processes appending to one file must therefore
    write snapshots whose BOOTTIME never goes back in file order."""
    errors, highest = [], None
    for n, (seq, clocks) in enumerate(trace.clock_snapshots):
        boot = clocks.get(CLOCK_BOOTTIME)
        if boot is None:
            continue
        if highest is not None and boot < highest:
            errors.append("ClockSnapshot #%d (sequence %d) has BOOTTIME %d, %d ns before an "
                          "earlier snapshot's: the importer reports invalid_clock_snapshots"
                          % (n, seq, boot, highest - boot))
        else:
            highest = boot
    return errors


def _sequence_errors(trace):
    errors = []
    pids = collections.defaultdict(set)
    for ev in trace.events:
        owner = trace.owner_of(trace.tracks.get(ev.track_uuid))
        if owner is not None and owner.pid is not None:
            pids[ev.seq].add(owner.pid)
    for seq, ps in sorted(pids.items()):
        if len(ps) > 1:
            errors.append("sequence %d carries events of several processes %s: sequence "
                          "ids must be unique per writer" % (seq, sorted(ps)))
    return errors


# ===========================================================================
# Running a program with and without the shim
# ===========================================================================

_SHIM_VARS = ("LD_PRELOAD", "TRACESHIM_OUTPUT")


def shim_library():
    """Absolute path of the library under test, from env TRACESHIM_LIB."""
    lib = os.environ.get("TRACESHIM_LIB")
    if not lib:
        raise AssertionError("TRACESHIM_LIB is not set: export TRACESHIM_LIB=/path/to/"
                             "libtraceshim.so to run the integration tests")
    lib = os.path.abspath(lib)
    if not os.path.isfile(lib):
        raise AssertionError("TRACESHIM_LIB=%s does not exist" % lib)
    return lib


def shim_preload():
    """The LD_PRELOAD value for a traced run: the library under test, after
    the runtimes named in TRACESHIM_PRELOAD_FIRST (space-separated), which a
    sanitizer build of the library needs loaded first."""
    first = os.environ.get("TRACESHIM_PRELOAD_FIRST", "").split()
    return " ".join(first + [shim_library()])


def traceshim_cli():
    """Absolute path of the traceshim command under test (TRACESHIM_CLI); the
    test is skipped when it is not built."""
    import unittest
    path = os.environ.get("TRACESHIM_CLI")
    if not path:
        raise unittest.SkipTest("TRACESHIM_CLI is not set (the traceshim command is not built)")
    return os.path.abspath(path)


def clean_env(extra=None):
    """os.environ without the shim's settings (but for TRACESHIM_AGENT, which
    chooses the mode a suite runs in) and without LD_PRELOAD, except the
    runtimes a sanitizer build needs first (traceshim run keeps an existing
    LD_PRELOAD ahead of the library); then extra."""
    env = {k: v for k, v in os.environ.items()
           if (not k.startswith(("TRACESHIM_", "OTEL_", "TRACEPARENT", "TRACESTATE"))
               or k == "TRACESHIM_AGENT") and k != "LD_PRELOAD"}
    first = os.environ.get("TRACESHIM_PRELOAD_FIRST")
    if first:
        env["LD_PRELOAD"] = first
    env.update(extra or {})
    return env


def private_run_dir(parent):
    """A run directory of the caller's own (mode 0700) under parent, for
    TRACESHIM_RUN_DIR: the agent a traced run starts serves it alone."""
    path = tempfile.mkdtemp(prefix="run-", dir=parent)
    os.chmod(path, 0o700)
    return path


def wait_for_agent(run_dir, timeout=20.0):
    """Waits until no agent serves run_dir (it leaves once everything is
    written or sent): what a traced program's spans need after it has
    exited when they go over OTLP. True when it left in time."""
    import fcntl
    end = time.monotonic() + timeout
    while True:
        held = False
        for name in os.listdir(run_dir):
            if not (name.startswith("agent") and name.endswith(".lock")):
                continue
            try:
                fd = os.open(os.path.join(run_dir, name), os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                held = True
            finally:
                os.close(fd)
        segments = [f for f in os.listdir(run_dir) if f.endswith(".seg")]
        if not held and not segments:
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(0.02)


def skip_under_sanitizer(test, program, why):
    """Skips a test whose program cannot run with the sanitizer runtimes
    preloaded at all, with or without traceshim (the plain build runs it)."""
    if os.environ.get("TRACESHIM_PRELOAD_FIRST"):
        test.skipTest("%s %s with the sanitizer runtime preloaded, even without traceshim"
                      % (program, why))


def free_loopback_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OtlpHandler(http.server.BaseHTTPRequestHandler):
    """Base of the tests' loopback OTLP receivers: subclasses decide the
    status, answer() sends it with an empty protobuf body."""

    def answer(self, status, headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class CollectingHandler(OtlpHandler):
    """A receiver that keeps every request body (inflated when gzip) and
    answers 200. Subclass it once per test class: each subclass has its own
    bodies (clear() before a run, taken() after)."""
    bodies = []
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        cls = type(self)
        with cls.lock:
            cls.bodies = cls.bodies + [body]
        self.answer(200)

    @classmethod
    def clear(cls):
        with cls.lock:
            cls.bodies = []

    @classmethod
    def taken(cls):
        """The bodies received so far."""
        with cls.lock:
            return list(cls.bodies)


def otlp_spans(bodies, proto_dir=None):
    """Every span of the ExportTraceServiceRequest bodies, in order."""
    spans = []
    for body in bodies:
        req = decode_otlp_request(body, proto_dir)
        for rs in req.all("resource_spans"):
            for ss in rs.all("scope_spans"):
                spans += ss.all("spans")
    return spans


def serve_loopback(handler):
    """Serves handler on 127.0.0.1 (a free port) from daemon threads;
    returns the server (its port: server.server_address[1])."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class LoopbackReceiver:
    """Mixin for unittest classes that need a receiver for the whole class:
    set `handler`; the server's port is in cls.port."""
    handler = None

    @classmethod
    def setUpClass(cls):
        cls.server = serve_loopback(cls.handler)
        cls.port = cls.server.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()


def wait_for_port(port, proc, deadline_s=15):
    """Waits until proc (a server this test started) accepts on port."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError("%s exited early with status %s" % (proc.args[0], proc.returncode))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("%s did not listen on 127.0.0.1:%d" % (proc.args[0], port))


def _first_difference(a, b):
    n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    lo = max(0, n - 60)
    return "first difference at byte %d:\n  without shim: %r\n  with shim:    %r" % (
        n, a[lo:n + 120], b[lo:n + 120])


def _compare_runs(argv, plain, traced, compare, normalize):
    for what in compare:
        a, b = getattr(plain, what), getattr(traced, what)
        if normalize is not None and what != "returncode":
            a, b = normalize(a), normalize(b)
        if a == b:
            continue
        if what == "returncode":
            detail = "exit status %r without shim, %r with shim" % (a, b)
        else:
            detail = _first_difference(a, b)
        stderr_hint = traced.stderr[-800:] if what != "stderr" else b""
        raise AssertionError("%s differs under the shim for %r: %s%s" % (
            what, argv, detail,
            "\n  traced stderr tail: %r" % stderr_hint if stderr_hint else ""))


def _keep_trace(path, argv):
    """Copies the trace to $TRACESHIM_KEEP_TRACES (if set) for later inspection."""
    keep_dir = os.environ.get("TRACESHIM_KEEP_TRACES")
    if not keep_dir or not os.path.exists(path):
        return None
    os.makedirs(keep_dir, exist_ok=True)
    base = re.sub(r"[^\w.-]+", "_", os.path.basename(argv[0]))
    n = 0
    while os.path.exists(os.path.join(keep_dir, "%s-%d.pftrace" % (base, n))):
        n += 1
    dest = os.path.join(keep_dir, "%s-%d.pftrace" % (base, n))
    shutil.copyfile(path, dest)
    return dest


def run_pair(argv, env=None, cwd=None, stdin_bytes=None, timeout=60,
             compare=("stdout", "stderr", "returncode"), normalize=None, check=True):
    """Runs argv without then with the shim; outputs must be byte-identical,
    and the trace must have no structural error (unless check is False).

    env: variables to add to os.environ (a None value removes one);
    compare: which of stdout, stderr, returncode to compare (leave out the
    ones that legitimately differ between runs, e.g. timings); normalize:
    optional bytes -> bytes function applied to stdout/stderr before comparing
    (e.g. to blank out a duration).  Returns (traced CompletedProcess, Trace);
    trace.kept_path is set when TRACESHIM_KEEP_TRACES keeps a copy.
    """
    shim_library()   # fails early and clearly when the library is missing
    base = {k: v for k, v in os.environ.items() if k not in _SHIM_VARS}
    for key, value in (env or {}).items():
        if value is None:
            base.pop(key, None)         # None removes a variable
        else:
            base[key] = value
    run = dict(cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if stdin_bytes is None:
        run["stdin"] = subprocess.DEVNULL
    else:
        run["input"] = stdin_bytes
    plain = subprocess.run(argv, env=base, **run)
    with tempfile.TemporaryDirectory(prefix="traceshim-test-") as tmp:
        trace_path = os.path.join(tmp, "trace.pftrace")
        traced = subprocess.run(argv, env=dict(base, LD_PRELOAD=shim_preload(),
                                               TRACESHIM_OUTPUT=trace_path), **run)
        kept = _keep_trace(trace_path, argv)
        _compare_runs(argv, plain, traced, compare, normalize)
        if not os.path.exists(trace_path) or os.path.getsize(trace_path) == 0:
            raise AssertionError("%r under the shim wrote no trace to TRACESHIM_OUTPUT" % (argv,))
        trace = load_trace(trace_path, check=False, keep=False)
    trace.kept_path = kept
    if check:
        assert_importable(trace)
    return traced, trace


# ===========================================================================
# Command line summary
# ===========================================================================

def summary_lines(trace):
    lines = ["%s: %d packets, %d sequences, %d tracks, %d slices, %d flows"
             % (trace.path, len(trace.packets), len(trace.sequences), len(trace.tracks),
                len(trace.slices), len(trace.flows))]
    lines.append("processes:")
    for pid, name in sorted(trace.processes.items(), key=lambda kv: (kv[0] is None, kv[0])):
        lines.append("  %s %s" % (pid, name))
    lines.append("threads:")
    per_thread = collections.Counter((s.pid, s.tid) for s in trace.slices)
    for (pid, tid), name in sorted(trace.threads.items(), key=str):
        lines.append("  %s/%s %s (%d slices)" % (pid, tid, name, per_thread[(pid, tid)]))
    lines.append("slices by name:")
    for name, n in sorted(collections.Counter(s.name for s in trace.slices).items(),
                          key=lambda kv: (-kv[1], str(kv[0]))):
        lines.append("  %6d %s" % (n, name))
    for w in trace.warnings:
        lines.append("warning: " + w)
    return lines


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: tracelib.py TRACE.pftrace   (env TRACESHIM_PROTO_DIR: "
              "directory of perfetto_trace.proto)", file=sys.stderr)
        return 2
    try:
        trace = load_trace(argv[0], check=False, keep=False)
    except (OSError, DecodeError) as e:
        print("cannot decode %s: %s" % (argv[0], e), file=sys.stderr)
        return 2
    print("\n".join(summary_lines(trace)))
    errors = structural_errors(trace)
    print("structural errors: %d" % len(errors))
    for e in errors[:50]:
        print("  " + e)
    if len(errors) > 50:
        print("  ... %d more" % (len(errors) - 50))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
