#!/usr/bin/env python3
"""The set-up scripts a new user runs first (README: scripts/demo, then
scripts/test). scripts/build and scripts/test run here against a stand-in
`meson` that records what it is asked to do, in a copy of scripts/; the test
option and the OpenTelemetry JS test's registry probe run for real."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# Stands in for meson: appends its arguments (one JSON list a line) to
# $FAKE_MESON_LOG; `setup` creates DIR/build.ninja, `test` writes one passing
# test to the log meson would write (--logbase NAME, else testlog).
FAKE_MESON = r'''#!%(python)s
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_MESON_LOG"], "a") as f:
    f.write(json.dumps(args) + "\n")
def opt(name, default=None):
    return args[args.index(name) + 1] if name in args else default
if args[0] == "setup":
    d = [a for a in args[1:] if not a.startswith("-")][0]
    os.makedirs(os.path.join(d, "meson-private"), exist_ok=True)
    open(os.path.join(d, "build.ninja"), "w").close()
elif args[0] == "test":
    logs = os.path.join(opt("-C"), "meson-logs")
    os.makedirs(logs, exist_ok=True)
    with open(os.path.join(logs, opt("--logbase", "testlog") + ".json"), "w") as f:
        f.write(json.dumps({"name": " ".join(args), "result": "OK"}) + "\n")
'''


class ScratchScripts:
    """A copy of scripts/ (scripts/deps a no-op) and the stand-in meson."""

    def __init__(self, tmp):
        self.root = os.path.join(tmp, "project")
        shutil.copytree(os.path.join(ROOT, "scripts"), os.path.join(self.root, "scripts"))
        with open(os.path.join(self.root, "scripts", "deps"), "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        bindir = os.path.join(tmp, "bin")
        os.makedirs(bindir)
        meson = os.path.join(bindir, "meson")
        with open(meson, "w") as f:
            f.write(FAKE_MESON % {"python": sys.executable})
        os.chmod(meson, 0o755)
        self.log = os.path.join(tmp, "meson-calls")
        self.env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"],
                        FAKE_MESON_LOG=self.log)

    def run(self, *argv):
        """Runs scripts/ARGV[0] ...; -> (completed process, meson calls it made)."""
        if os.path.exists(self.log):
            os.unlink(self.log)
        done = subprocess.run([os.path.join(self.root, "scripts", argv[0])] + list(argv[1:]),
                              cwd=self.root, env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=60)
        calls = []
        if os.path.exists(self.log):
            with open(self.log) as f:
                calls = [json.loads(line) for line in f]
        return done, calls


class TestBuild(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="traceshim-scripts-")
        self.addCleanup(tmp.cleanup)
        self.s = ScratchScripts(tmp.name)

    def build(self, *args):
        done, calls = self.s.run("build", "bdir", *args)
        self.assertEqual(done.returncode, 0, done.stderr)
        return [c for c in calls if c[0] == "setup"]

    def test_configures_once_then_only_builds(self):
        self.assertEqual(self.build(), [["setup", "bdir"]])
        self.assertEqual(self.build(), [])

    def test_configures_again_when_installed_dependencies_change(self):
        self.build()
        # As it was before scripts/deps --test installed Check and g++.
        stamp = os.path.join(self.s.root, "bdir", "traceshim-configured")
        with open(stamp) as f:
            lines = f.read().splitlines()
        before = {"check -": "check 0.15.2", "g++ -": "g++ /usr/bin/g++"}
        with open(stamp, "w") as f:
            f.write("\n".join(before.get(line, line.split()[0] + " -") if line.startswith(("check ", "g++ "))
                              else line for line in lines) + "\n")
        self.assertEqual(self.build(), [["setup", "--reconfigure", "bdir"]])
        self.assertEqual(self.build(), [])

    def test_configures_again_a_directory_configured_without_a_record(self):
        os.makedirs(os.path.join(self.s.root, "bdir"))
        open(os.path.join(self.s.root, "bdir", "build.ninja"), "w").close()
        self.assertEqual(self.build(), [["setup", "--reconfigure", "bdir"]])

    def test_configures_again_when_options_change(self):
        self.build()
        self.assertEqual(self.build("-Dtests=enabled"), [["setup", "--reconfigure", "bdir", "-Dtests=enabled"]])
        # Without options: the ones it has are kept, nothing to redo.
        self.assertEqual(self.build(), [])
        self.assertEqual(self.build("-Dtests=enabled"), [])


class TestTestScript(unittest.TestCase):
    def test_summary_counts_every_run_and_tests_are_required(self):
        with tempfile.TemporaryDirectory(prefix="traceshim-scripts-") as tmp:
            s = ScratchScripts(tmp)
            done, calls = s.run("test")
        self.assertEqual(done.returncode, 0, done.stderr)
        runs = [c for c in calls if c[0] == "test"]
        self.assertGreaterEqual(len(runs), 3)
        self.assertEqual(done.stdout.splitlines()[-1], "%d passed, 0 failed" % len(runs))
        for setup in (c for c in calls if c[0] == "setup"):
            self.assertIn("-Dtests=enabled", setup)


class TestSummary(unittest.TestCase):
    def summary(self, logs):
        with tempfile.TemporaryDirectory(prefix="traceshim-summary-") as tmp:
            paths = []
            for i, results in enumerate(logs):
                path = os.path.join(tmp, "b%d" % i, "meson-logs", "run.json")
                paths.append(path)
                if results is None:
                    continue        # a run that left no log
                os.makedirs(os.path.dirname(path))
                with open(path, "w") as f:
                    for n, r in enumerate(results):
                        f.write(json.dumps({"name": "t%d" % n, "result": r}) + "\n")
            done = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "test-summary")] + paths,
                                  stdout=subprocess.PIPE, text=True, timeout=30)
        self.assertEqual(done.returncode, 0)
        return done.stdout.splitlines()

    def test_counts_all_logs(self):
        out = self.summary([["OK", "OK", "SKIP"], ["OK", "FAIL"], ["TIMEOUT", "EXPECTEDFAIL", "OK"]])
        self.assertEqual(out[-1], "4 passed, 2 failed, 2 skipped")
        self.assertIn("FAILED b1: t1 FAIL", out)
        self.assertIn("FAILED b2: t0 TIMEOUT", out)

    def test_missing_log_is_a_failure(self):
        out = self.summary([["OK"], None])
        self.assertEqual(out[-1], "1 passed, 1 failed")


class TestTestsOption(unittest.TestCase):
    """-Dtests=enabled (what scripts/test configures with) turns a missing
    test dependency into a configure error."""

    def test_missing_check_fails_configure(self):
        if not shutil.which("meson") or not shutil.which("pkg-config"):
            self.skipTest("meson and pkg-config are needed")
        if subprocess.run(["pkg-config", "--exists", "check"]).returncode != 0:
            self.skipTest("Check is not installed: nothing to hide")
        with tempfile.TemporaryDirectory(prefix="traceshim-option-") as tmp:
            # Every .pc file pkg-config sees, except Check's.
            pcdir = os.path.join(tmp, "pc")
            os.makedirs(pcdir)
            path = subprocess.run(["pkg-config", "--variable", "pc_path", "pkg-config"],
                                  stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
            for d in path.split(":"):
                for name in os.listdir(d) if os.path.isdir(d) else []:
                    if name.endswith(".pc") and name != "check.pc" and not os.path.exists(os.path.join(pcdir, name)):
                        shutil.copy(os.path.join(d, name), pcdir)
            env = dict(os.environ, PKG_CONFIG_LIBDIR=pcdir, PKG_CONFIG_PATH="")
            done = subprocess.run(["meson", "setup", os.path.join(tmp, "b"), "-Dtests=enabled"], cwd=ROOT,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  timeout=120)
        self.assertNotEqual(done.returncode, 0, done.stdout[-2000:])
        self.assertRegex(done.stdout, r'(?i)dependency "?check"? not found')


# scripts/bench's default vs in-process table: each row's label, what its
# two cells look like ("-": measured once, shown under default), and the
# count the cells must hold: ("all", N) exactly N, ("kept", N) 1 to N.
NUM = r"\d+(?:\.\d+)?"
RATIO = r"\d+\.\d\dx \(\d+ ms\)"
KEPT = r"\d+ \(\d+\.\d%\)"


def bench_rows(n_tree, n_write, n_burst, threads):
    rows = [("tree of %d processes, plain: ms" % (n_tree + 1), NUM, "-", None),
            ("tree, traceshim run -o FILE: x plain", RATIO, RATIO, None),
            ("tree, traceshim run --otlp (collect): x plain", RATIO, RATIO, None),
            ("tree, OTLP process spans received, of %d" % (n_tree + 1), r"\d+", r"\d+",
             ("all", n_tree + 1))]
    for name, n in (("write", n_write), ("burst", n_burst)):
        for how in ("traceshim run", "LD_PRELOAD"):
            # bench_write makes one untimed write first.
            rows.append(("%s: spans kept of %d writes, %s" % (name, n + 1, how), KEPT, KEPT, ("kept", n + 1)))
    for t, n in threads:
        rows += [("threads %dx%d, plain: peak RSS MiB" % (t, n), NUM, "-", None),
                 ("threads %dx%d: peak RSS added, MiB" % (t, n), r"[+-]" + NUM, r"[+-]" + NUM, None),
                 ("threads %dx%d: spans kept of %d writes" % (t, n, t * n), KEPT, KEPT, ("kept", t * n))]
    rows += [("write, traceshim run: agent peak RSS, MiB", r"n/a|" + NUM, r"n/a|" + NUM, None),
             ("write, traceshim run: trace bytes per span", NUM, NUM, None)]
    return rows


class TestBench(unittest.TestCase):
    """BENCH_ONLY=agent with counts small enough to take seconds. The
    figures are the machine's: only that every row is there with numbers
    (and counts that cannot be otherwise) is checked, never a speed."""

    def test_default_and_in_process_table(self):
        lib, cli = os.environ.get("TRACESHIM_LIB"), os.environ.get("TRACESHIM_CLI")
        if not lib or not cli or not shutil.which("cc"):
            self.skipTest("TRACESHIM_LIB, TRACESHIM_CLI and cc are needed")
        n_tree, n_write, n_burst, threads = 4, 3000, 500, [(3, 400), (6, 100)]
        env = dict(os.environ, BENCH_ONLY="agent", BENCH_RUNS="1", BENCH_N_TREE=str(n_tree),
                   BENCH_N_WRITE=str(n_write), BENCH_N_BURST=str(n_burst),
                   BENCH_THREADS=" ".join("%dx%d" % t for t in threads))
        done = subprocess.run([os.path.join(ROOT, "scripts", "bench")], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=240)
        self.assertEqual(done.returncode, 0, done.stderr)
        out = done.stdout.splitlines()
        # That table only: no other section ran.
        self.assertEqual([line for line in out if line.startswith("== ")],
                         ["== default vs in-process (TRACESHIM_AGENT=off), median of 1 runs =="])
        for label, default, in_process, count in bench_rows(n_tree, n_write, n_burst, threads):
            lines = [line for line in out if line.startswith(label + " ")]
            self.assertEqual(len(lines), 1, "%r not in:\n%s" % (label, done.stdout))
            m = re.fullmatch(r"\s+(%s)\s+(%s)" % (default, in_process), lines[0][len(label):])
            self.assertTrue(m, lines[0])
            if count:
                values = [int(cell.split()[0]) for cell in m.groups()]
                if count[0] == "all":
                    self.assertEqual(values, [count[1]] * 2, lines[0])
                else:
                    self.assertTrue(all(0 < v <= count[1] for v in values), lines[0])

    def test_http_section(self):
        """BENCH_ONLY=http, one short round: nginx's rows with numbers, for
        every call a span and HTTP spans only, one SERVER span per request
        nginx served, none dropped; a
        server's thread alone per request, traced and HTTP only; the
        ping-pong over pipes and over TCP, and the line comparing them."""
        lib = os.environ.get("TRACESHIM_LIB")
        if not lib or not shutil.which("cc"):
            self.skipTest("TRACESHIM_LIB and cc are needed")
        missing = [p for p in ("nginx", "wrk") if not (shutil.which(p) or shutil.which("/usr/sbin/" + p))]
        if missing:
            if os.environ.get("CI") == "true":
                self.fail("%s not installed; scripts/deps --test installs them" % missing)
            self.skipTest("%s not installed" % missing)
        env = dict(os.environ, BENCH_ONLY="http", BENCH_RUNS="1", BENCH_N_PINGPONG="2000",
                   BENCH_N_SERVE="2000", BENCH_HTTP_RUNS="1", BENCH_HTTP_SECONDS="1")
        done = subprocess.run([os.path.join(ROOT, "scripts", "bench")], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=240)
        self.assertEqual(done.returncode, 0, done.stderr)
        out = done.stdout.splitlines()
        heads = [line for line in out if line.startswith("== ")]
        sniffer = "== the HTTP/1 sniffer alone, in the program's thread (bench/bench_http1.c) =="
        if sniffer in heads:      # when the build has bench_http1
            heads.remove(sniffer)
            self.assertRegex(done.stdout, r"\nrequest \+ response: +%s ns/pair\n" % NUM)
        self.assertEqual(len(heads), 5, done.stdout)
        self.assertTrue(heads[0].startswith("== HTTP: nginx (2 workers, "), heads[0])
        self.assertIn("sendfile on", heads[0])
        self.assertTrue(heads[1].startswith("== a web server's calls per request, one thread"),
                        heads[1])
        self.assertTrue(heads[2].startswith("== pipe ping-pong"), heads[2])
        self.assertTrue(heads[3].startswith("== TCP ping-pong on loopback, not HTTP"), heads[3])
        self.assertTrue(heads[4].startswith("== Unix-socket ping-pong, not HTTP"), heads[4])

        # A column per kind of tracing (every call a span, the same with
        # the conversion deferred, HTTP spans only), the plain rows in the
        # first column alone.
        kinds = ["every call", "every call, deferred", "HTTP only"]
        self.assertRegex(out[out.index(heads[0]) + 1],
                         r"^ +every call +every call, deferred +HTTP only$")

        def row(label, value, columns=3):
            lines = [line for line in out if line.startswith(label + " ")]
            self.assertEqual(len(lines), 1, "%r not in:\n%s" % (label, done.stdout))
            m = re.fullmatch(r"(?:\s+(%s))" % value * columns, lines[0][len(label):])
            self.assertTrue(m, lines[0])
            return m.groups()

        for label in ("plain: requests/s", "plain: nginx CPU per request, us",
                      "plain: wrk CPU per request, us"):
            row(label, NUM, 1)
        for label in ("traced: requests/s", "traced: nginx CPU per request, us",
                      "traced: wrk CPU per request, us",
                      "traceshim agent CPU per request, us", "spans per request served, all kinds",
                      "requests wrk counted"):
            row(label, NUM)
        row("requests/s kept, median of rounds (goal >= 95%)", NUM + "%")
        row("the middle half of the rounds kept", "-")     # one round: no spread
        row("the median, with 95% confidence, kept", "-")
        row("kept, the machine's speed taken out (wrk's CPU), median", NUM + "%")
        row("the same, with 95% confidence", "-")
        for label in ("added per request at saturation, us (1/traced - 1/plain)",
                      "CPU added per request, us (nginx + agent)"):
            row(label, "[+-]" + NUM)
        per_request = dict(zip(kinds, map(float, row("spans per request served, all kinds", NUM))))
        self.assertAlmostEqual(per_request["HTTP only"], 1.0, delta=0.02)
        self.assertGreater(per_request["every call"], 1.0)
        self.assertGreater(per_request["every call, deferred"], 1.0)
        for cell in row("SERVER spans, of requests nginx served", r"\d+ of \d+"):
            spans, served = map(int, cell.split(" of "))
            self.assertEqual(spans, served)
            self.assertGreater(served, 0)
        self.assertEqual(row("spans dropped", r"\d+"), ("0", "0", "0"))
        self.assertRegex(done.stdout, r"\nadded per request in the server's thread: [+-]%s ns "
                         r"\(every call a span\), [+-]%s ns \(HTTP spans only\)\n" % (NUM, NUM))
        self.assertRegex(done.stdout, r"\nadded per traced call, TCP and Unix socket \(not HTTP\) "
                         r"vs pipe: [+-]%s and [+-]%s vs [+-]%s ns; short runs: [+-]%s and "
                         r"[+-]%s vs [+-]%s ns\n" % ((NUM,) * 6))

    def test_rollup_section(self):
        """BENCH_ONLY=rollup: nginx's spans per request with roll-ups off and
        on, fewer with them on, none dropped."""
        lib = os.environ.get("TRACESHIM_LIB")
        if not lib or not shutil.which("cc"):
            self.skipTest("TRACESHIM_LIB and cc are needed")
        missing = [p for p in ("nginx", "wrk") if not (shutil.which(p) or shutil.which("/usr/sbin/" + p))]
        if missing:
            if os.environ.get("CI") == "true":
                self.fail("%s not installed; scripts/deps --test installs them" % missing)
            self.skipTest("%s not installed" % missing)
        done = subprocess.run([os.path.join(ROOT, "scripts", "bench")],
                              env=dict(os.environ, BENCH_ONLY="rollup"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("\n== HTTP spans per request, roll-ups off and on: nginx", done.stdout)
        per = {}
        for how in ("off", "on"):
            m = re.search(r"\nroll-ups %s +(%s) spans per request served \((\d+) spans, (\d+) "
                          r"requests, (\d+) dropped\)\n" % (how, NUM), done.stdout)
            self.assertTrue(m, done.stdout)
            self.assertGreater(int(m.group(3)), 0)
            self.assertEqual(m.group(4), "0")
            per[how] = float(m.group(1))
        self.assertLess(per["on"], per["off"])

    def test_cpu_section(self):
        """BENCH_ONLY=cpu, short runs: the consumer's CPU with the sampler off
        and on, both modes, 1 and 17 threads, and the cost per thread."""
        lib = os.environ.get("TRACESHIM_LIB")
        if not lib or not shutil.which("cc"):
            self.skipTest("TRACESHIM_LIB and cc are needed")
        env = dict(os.environ, BENCH_ONLY="cpu", BENCH_CPU_RUNS="1", BENCH_CPU_WINDOW="0.3")
        done = subprocess.run([os.path.join(ROOT, "scripts", "bench")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("\n== CPU sampler: the consumer's CPU, us per second, sampling every 10 ms",
                      done.stdout)
        for mode in ("agent", "in-process"):
            for threads in (1, 17):
                self.assertRegex(done.stdout, r"\n%s +%d +%s +%s +[+-]%s\n"
                                 % (mode, threads, NUM, NUM, NUM))
            self.assertRegex(done.stdout, r"\n%s +per thread: [-]?%s us/s \([-]?%s%% of a CPU\), "
                             r"[-]?%s us a sample; waking up: [-]?%s us/s\n" % ((mode,) + (NUM,) * 4))

    def test_unknown_section_is_refused(self):
        done = subprocess.run([os.path.join(ROOT, "scripts", "bench")], env=dict(os.environ, BENCH_ONLY="agent,agnet"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(done.returncode, 2)
        self.assertIn("no section named 'agnet'", done.stderr)
        self.assertEqual(done.stdout, "")


class TestAgentRss(unittest.TestCase):
    """bench/agent_rss.py, which scripts/bench runs around the long write run:
    a process named traceshim with argv[1] "agent" is the agent (here a copy
    of sh reading a script named agent)."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="traceshim-agent-rss-")
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.exe = os.path.join(self.dir, "traceshim")
        shutil.copy("/bin/sh", self.exe)
        for name in ("agent", "collect"):
            with open(os.path.join(self.dir, name), "w") as f:
                f.write("sleep 0.6\n")

    def process(self, arg):
        return subprocess.Popen([self.exe, arg], cwd=self.dir)

    def watch(self, during, *args):
        """Runs during() once the watcher watches; -> (peak, the agents it
        names as "PID COMMAND LINE")."""
        w = subprocess.Popen([sys.executable, os.path.join(ROOT, "bench", "agent_rss.py")] + list(args),
                             stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(w.stdout.readline(), "watching\n")
            during()
        finally:
            w.terminate()
            out = w.communicate(timeout=30)[0].splitlines()
        self.assertEqual(w.returncode, 0)
        return out[0], out[1:]

    # Another run's agents of this user may be counted too (they started
    # during the watch): the checks are about the processes made here.
    def test_agent_started_during_the_watch(self):
        agent = []
        peak, who = self.watch(lambda: agent.append(self.process("agent")) or agent[0].wait(timeout=30))
        self.assertGreater(int(peak), 0)
        self.assertIn("%d %s agent" % (agent[0].pid, self.exe), who)

    def test_agent_of_the_run_started_before(self):
        early = self.process("agent")
        self.addCleanup(early.wait)
        time.sleep(0.1)
        peak, who = self.watch(lambda: early.wait(timeout=30), "--ancestor", str(os.getpid()))
        self.assertGreater(int(peak), 0)
        self.assertIn("%d %s agent" % (early.pid, self.exe), who)

    def test_nothing_else_is_an_agent(self):
        early = self.process("agent")         # not the run's: before, and no --ancestor
        self.addCleanup(early.wait)
        time.sleep(0.1)
        other = []
        _, who = self.watch(lambda: other.append(self.process("collect")) or other[0].wait(timeout=30))
        self.assertEqual([w for w in who if int(w.split()[0]) in (early.pid, other[0].pid)], [])

    def test_waits_for_an_earlier_agent_to_end(self):
        early = self.process("agent")
        self.addCleanup(early.wait)
        time.sleep(0.1)
        _, who = self.watch(lambda: self.assertIsNotNone(early.poll()), "--settle", "20")
        self.assertNotIn("%d %s agent" % (early.pid, self.exe), who)


def closed_loopback_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]   # closed again when the socket is


class TestOtelJsRegistryProbe(unittest.TestCase):
    """The JS test needs npm's registry once, to install its packages."""

    def run_js_test(self, ci):
        if not shutil.which("npm") or not os.environ.get("TRACESHIM_CLI"):
            self.skipTest("npm and TRACESHIM_CLI are needed")
        with tempfile.TemporaryDirectory(prefix="traceshim-js-probe-") as tmp:
            env = dict(os.environ, TRACESHIM_JS_DIR=tmp,
                       npm_config_registry="http://127.0.0.1:%d/" % closed_loopback_port())
            env.pop("CI", None)
            if ci:
                env["CI"] = "true"
            return subprocess.run([sys.executable, os.path.join(ROOT, "tests", "integration", "test_otel_js.py")],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  timeout=90)

    def test_unreachable_registry_skips(self):
        done = self.run_js_test(ci=False)
        self.assertEqual(done.returncode, 77, done.stdout)
        self.assertIn("cannot be reached", done.stdout)

    def test_unreachable_registry_fails_in_ci(self):
        done = self.run_js_test(ci=True)
        self.assertEqual(done.returncode, 1, done.stdout)
        self.assertIn("cannot be reached", done.stdout)
        self.assertIn("CI=true", done.stdout)


if __name__ == "__main__":
    unittest.main()
