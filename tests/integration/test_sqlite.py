#!/usr/bin/env python3
"""SQLite statements as spans: the sqlite3 command, a C program linked with
libsqlite3, and Python's sqlite3 module (which opens libsqlite3 with
RTLD_LOCAL). Each program's output and exit status must not change; each
execution of a statement is one span named "{operation} {table}", with the
query text sanitized, the rows it returned and, on failure, the SQLite code
and message.

Run:  TRACESHIM_LIB=build/libtraceshim.so PROGS_DIR=build/tests/progs \\
      python3 tests/integration/test_sqlite.py
"""

import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

PY_SCRIPT = r"""
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL)")
db.executemany("INSERT INTO t(name, score) VALUES (?, ?)", [("n%d" % i, i * 1.5) for i in range(500)])
db.commit()
n = 0
for row in db.execute("SELECT id, name FROM t WHERE score > 10.5 AND name != 'secret'"):
    n += 1
print("rows", n)
try:
    db.execute("INSERT INTO t(name, score) VALUES ('n1', 2.0)")
except sqlite3.IntegrityError as e:
    print("error", e)
try:
    db.execute("SELECT * FROM nosuch")
except sqlite3.OperationalError as e:
    print("error", e)
db.close()
"""

CLI_SCRIPT = b"""CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT UNIQUE, age INT);
INSERT INTO users(name, age) VALUES ('alice', 31), ('bob', 42);
SELECT name FROM users WHERE age > 30;
INSERT INTO users(name, age) VALUES ('alice', 5);
SELECT * FROM nosuch WHERE name = 'alice';
SELEC 1;
SELECT count(*) FROM users;
"""


def db_spans(trace):
    return [s for s in trace.slices if s.args.get("db.system.name") == "sqlite"]


def named(trace, name):
    return [s for s in db_spans(trace) if s.name == name]


class SqliteTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ts-sqlite-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def run_fresh(self, argv, db, **kw):
        """run_pair, with the database removed before each of the two runs."""
        path = os.path.join(self.tmp, db)
        script = "rm -f %s; exec \"$@\"" % path
        return tracelib.run_pair(["sh", "-c", script, "sh"] + argv + [path], **kw), path

    def assert_clean(self, trace):
        self.assertEqual(tracelib.structural_errors(trace), [])

    def assert_error_span(self, span, message):
        self.assertEqual(span.args.get("otel.status_code"), "ERROR", span.args)
        self.assertEqual(span.args.get("error.type"), "SQLITE_CONSTRAINT")
        self.assertEqual(span.args.get("db.response.status_code"), "2067")   # CONSTRAINT_UNIQUE
        self.assertIn(message, span.args.get("otel.status_description", ""))

    def test_sqlite3_command(self):
        if shutil.which("sqlite3") is None:
            self.skipTest("the sqlite3 command is not installed")
        (proc, trace), path = self.run_fresh(["sqlite3"], "cli.db", stdin_bytes=CLI_SCRIPT)
        self.assert_clean(trace)
        self.assertNotEqual(proc.returncode, 0)   # the failing insert, with or without the shim
        create = named(trace, "CREATE users")
        self.assertEqual(len(create), 1)
        self.assertEqual(create[0].args["db.operation.name"], "CREATE")
        self.assertEqual(create[0].args["db.collection.name"], "users")
        self.assertEqual(create[0].args["db.namespace"], path)
        inserts = named(trace, "INSERT users")
        self.assertEqual(len(inserts), 2)
        self.assertEqual(inserts[0].args["db.query.text"],
                         "INSERT INTO users(name, age) VALUES (?, ?), (?, ?);")
        self.assert_error_span(inserts[1], "UNIQUE constraint failed: users.name")
        selects = named(trace, "SELECT users")
        self.assertEqual([s.args["db.response.returned_rows"] for s in selects], [2, 1])
        self.assertEqual(selects[0].args["db.query.text"], "SELECT name FROM users WHERE age > ?;")
        for s in db_spans(trace):
            self.assertNotIn("alice", s.args.get("db.query.text", ""), "a literal leaked")
        # Statements SQLite would not compile: a span each, with the error.
        failed = named(trace, "sqlite3_prepare")
        self.assertEqual([s.args.get("db.query.text") for s in failed],
                         ["SELECT * FROM nosuch WHERE name = ?;", "SELEC ?;"])
        for span, message in zip(failed, ("no such table: nosuch", 'near "SELEC": syntax error')):
            self.assertEqual(span.args.get("otel.status_code"), "ERROR", span.args)
            self.assertEqual(span.args.get("error.type"), "SQLITE_ERROR")
            self.assertIn(message, span.args.get("otel.status_description", ""))
            self.assertEqual(span.args.get("db.namespace"), path)

    def test_raw_text_on_request(self):
        if shutil.which("sqlite3") is None:
            self.skipTest("the sqlite3 command is not installed")
        (_, trace), _ = self.run_fresh(["sqlite3"], "raw.db", stdin_bytes=CLI_SCRIPT,
                                       env={"TRACESHIM_SQL_RAW": "1"})
        texts = [s.args.get("db.query.text") for s in named(trace, "INSERT users")]
        self.assertIn("INSERT INTO users(name, age) VALUES ('alice', 5);", texts)

    def test_c_program(self):
        prog = os.path.join(os.environ.get("PROGS_DIR", ""), "sqlite_prog")
        if not os.path.exists(prog):
            self.skipTest("built without libsqlite3")
        (_, trace), _ = self.run_fresh([prog], "c.db")
        self.assert_clean(trace)
        execs = [s for s in named(trace, "sqlite3_exec") if "items" in s.args.get("db.query.text", "")]
        self.assertEqual(len(execs), 1)
        # The statements sqlite3_exec ran are its children, each once.
        inside = [s.name for s in trace.descendants(execs[0])]
        self.assertEqual(inside.count("CREATE items"), 1)
        self.assertEqual(inside.count("INSERT items"), 1)
        self.assertEqual(len(named(trace, "CREATE items")), 1)
        # A reset ends an execution: two executions of one prepared SELECT.
        selects = named(trace, "SELECT items")
        self.assertEqual([s.args["db.response.returned_rows"] for s in selects], [1, 2])
        self.assertEqual(selects[0].args["db.query.text"],
                         "SELECT name FROM items WHERE qty > ? ORDER BY id")
        failed = [s for s in named(trace, "INSERT items") if s.args.get("otel.status_code")]
        self.assertEqual(len(failed), 1)
        self.assert_error_span(failed[0], "UNIQUE constraint failed: items.name")

    def test_python_module(self):
        # Python opens _sqlite3 and libsqlite3 with RTLD_LOCAL.
        (proc, trace), path = self.run_fresh([sys.executable, "-c", PY_SCRIPT], "py.db")
        self.assert_clean(trace)
        self.assertIn(b"rows 492", proc.stdout)
        # executemany: one execution per row, never one span per step.
        self.assertEqual(len(named(trace, "INSERT t")), 501)
        select = named(trace, "SELECT t")
        self.assertEqual(len(select), 1, "a select over many rows is one span")
        self.assertEqual(select[0].args["db.response.returned_rows"], 492)
        self.assertEqual(select[0].args["db.query.text"],
                         "SELECT id, name FROM t WHERE score > ? AND name != ?")
        self.assertEqual(select[0].args["db.namespace"], path)
        failed = [s for s in named(trace, "INSERT t") if s.args.get("otel.status_code")]
        self.assertEqual(len(failed), 1)
        self.assert_error_span(failed[0], "UNIQUE constraint failed: t.name")
        bad = named(trace, "sqlite3_prepare")
        self.assertEqual([s.args.get("otel.status_description") for s in bad],
                         ["no such table: nosuch"])
        # The statements' file I/O hangs under them.
        io = [c for s in db_spans(trace) for c in trace.descendants(s)
              if c.name in ("pread", "pwrite", "fdatasync")]
        self.assertTrue(io, "no database I/O nested under a statement span")


if __name__ == "__main__":
    unittest.main()
