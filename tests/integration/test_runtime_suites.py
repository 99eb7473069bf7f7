#!/usr/bin/env python3
"""Real programs' own test suites under the shim: CPython's regression tests
for signals, threads, subprocesses, descriptors and sockets run once without
and once with the shim preloaded (tracing to a temporary file), and every test
that passes without the shim must pass with it.

Tests that fail or are skipped without the shim are not compared (they
depend on this machine, or are flaky), and neither is a test whose difference
does not come back when it is run alone again without the shim.

The interpreter is the first of $TRACESHIM_RUNTIME_PYTHON, /usr/bin/python3
and the one running this file that has its test package (Debian:
libpython3.11-testsuite, which scripts/deps --test installs).
"""

import os
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracelib  # noqa: E402

# meson's exit status for a test that was skipped.
EXIT_SKIP = 77

# About 80 s per run on two cores; test_signal and test_subprocess are
# the long ones, mostly waiting, hence more workers than cores.
MODULES = [
    "test_signal", "test_threadsignals", "test_subprocess", "test_threading", "test_thread",
    "test_os", "test_fork1", "test_wait4", "test_faulthandler", "test_pty",
    "test_select", "test_selectors", "test_epoll", "test_poll", "test_socket",
]
JOBS = 3
MODULE_TIMEOUT_S = 180

# Known differences, each being fixed in the shim: remove an entry once its
# fix is in (the suite then checks that test again). Test ids, as regrtest's
# --match and --ignore take them.
#
# Not run at all, in either run: under the shim these hang or kill the test
# process, which would cost the timeout or every later test of the module.
KNOWN_NOT_RUN = {
}
# Not run in either run for reasons of the machine, not the shim: on a
# virtual machine with a vsock device and nothing on the host side, the
# AF_VSOCK tests wait in accept() until regrtest's timeout, which costs
# minutes and every later test of test_socket.
ENVIRONMENT_NOT_RUN = {
    "*VSOCK*": "AF_VSOCK with no peer on the host",
}
# Run, but their verdict under the shim is not compared.
KNOWN_FAILING = {
}


def regrtest_python():
    candidates = [os.environ.get("TRACESHIM_RUNTIME_PYTHON"), "/usr/bin/python3", sys.executable]
    for python in candidates:
        if python and os.access(python, os.X_OK) and subprocess.run(
                [python, "-c", "import test.libregrtest, test.support"], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, timeout=60).returncode == 0:
            return python
    return None


def verdicts(xml_path):
    """JUnit XML written by regrtest -> {test id: 'pass' | 'skip' | 'fail'}, and
    {test id: failure text}."""
    found, texts = {}, {}
    for case in ET.parse(xml_path).iter("testcase"):
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            found[case.get("name")] = "fail"
            texts[case.get("name")] = "\n".join((child.text or child.get("message") or "")
                                                for child in case if child.tag in ("failure", "error"))
        elif "skipped" in tags:
            found[case.get("name")] = "skip"
        else:
            found[case.get("name")] = "pass"
    return found, texts


class RegrtestRun:
    """One run of the modules with regrtest; its verdicts and its output."""

    def __init__(self, python, tmp, name, env, modules, match=(), ignore=()):
        self.xml = os.path.join(tmp, name + ".xml")
        work = os.path.join(tmp, name + "-work")
        os.makedirs(work, exist_ok=True)
        argv = [python, "-m", "test", "-j", str(JOBS), "--timeout", str(MODULE_TIMEOUT_S),
                "--tempdir", work, "--junit-xml", self.xml]
        for pattern in match:
            argv += ["-m", pattern]
        for pattern in ignore:
            argv += ["-i", pattern]
        start = time.monotonic()
        done = subprocess.run(argv + list(modules), env=env, cwd=work, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=MODULE_TIMEOUT_S * 3 + 120)
        print("regrtest %s run: %.0f s" % (name, time.monotonic() - start), file=sys.stderr)
        self.output = done.stdout.decode("utf-8", "replace")
        if not os.path.exists(self.xml):
            raise AssertionError("regrtest (%s run) wrote no results; its output ends with:\n%s"
                                 % (name, self.output[-3000:]))
        self.verdicts, self.texts = verdicts(self.xml)


def base_env():
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith(("TRACESHIM_", "PYTHON"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


class TestRuntimeSuites(unittest.TestCase):
    def test_cpython_regrtest_same_verdicts(self):
        if os.environ.get("TRACESHIM_PRELOAD_FIRST"):
            self.skipTest("CPython's regression tests run against the plain build only "
                          "(under the sanitizers they would take far longer than the suite's budget)")
        python = regrtest_python()
        if python is None:
            if os.environ.get("CI") == "true":
                self.fail("no Python with its regression tests (Debian: libpython3.11-testsuite)")
            self.skipTest("no Python with its regression tests (Debian: libpython3.11-testsuite)")
        lib = tracelib.shim_library()
        ignore = sorted(KNOWN_NOT_RUN) + sorted(ENVIRONMENT_NOT_RUN)
        with tempfile.TemporaryDirectory(prefix="traceshim-regrtest-") as tmp:
            plain = RegrtestRun(python, tmp, "plain", base_env(), MODULES, ignore=ignore)
            trace = os.path.join(tmp, "trace.pftrace")
            traced = RegrtestRun(python, tmp, "traced",
                                 dict(base_env(), LD_PRELOAD=tracelib.shim_preload(), TRACESHIM_OUTPUT=trace),
                                 MODULES, ignore=ignore)
            self.assertGreater(os.path.getsize(trace) if os.path.exists(trace) else 0, 0,
                               "the traced run wrote no trace with %s" % lib)
            passed = [t for t, v in plain.verdicts.items() if v == "pass"]
            self.assertGreater(len(passed), 100, "too few tests pass without the shim:\n" + plain.output[-3000:])
            differ = sorted(t for t in passed
                            if traced.verdicts.get(t) != "pass" and t not in KNOWN_FAILING)
            if differ:
                # Run alone again without the shim: one that fails then too is flaky here.
                again = RegrtestRun(python, tmp, "plain-again", base_env(),
                                    sorted({t.split(".")[1] for t in differ}), match=differ)
                flaky = [t for t in differ if again.verdicts.get(t, "pass") != "pass"]
                if flaky:
                    print("not compared, as they fail or skip when run again without the shim: %s"
                          % ", ".join(flaky), file=sys.stderr)
                differ = [t for t in differ if t not in flaky]
            now_pass = sorted(t for t in KNOWN_FAILING if traced.verdicts.get(t) == "pass")
            if now_pass:
                print("known differences that did not show this time: %s" % ", ".join(now_pass),
                      file=sys.stderr)
            print("%s: %d tests compared, %d differ" % (python, len(passed), len(differ)), file=sys.stderr)
            if differ:
                lines = ["%d tests pass without the shim and not with it (%s, LD_PRELOAD=%s):"
                         % (len(differ), python, lib)]
                for t in differ:
                    verdict = traced.verdicts.get(t, "did not finish (the test process crashed or hung)")
                    lines.append("  %s: %s" % (t, verdict))
                    lines += ["      " + line for line in traced.texts.get(t, "").strip().splitlines()[-12:]]
                if any(t not in traced.verdicts for t in differ):
                    lines.append("traced run's output ends with:\n" + traced.output[-4000:])
                self.fail("\n".join(lines))


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    if not result.wasSuccessful():
        sys.exit(1)
    sys.exit(EXIT_SKIP if result.testsRun and len(result.skipped) == result.testsRun else 0)
