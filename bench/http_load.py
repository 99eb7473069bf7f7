#!/usr/bin/env python3
"""http_load: what tracing costs a web server under load, for scripts/bench.

nginx (a master and 2 workers) serves a small static file on loopback to wrk
(keep-alive connections), plain and traced, in rounds: each round runs
nginx plain and once per kind of tracing (every call a span; the same with
records left waiting while the CPUs are taken; HTTP spans only), in an order
that turns from one round to the next, so that a drift of
the machine's speed falls on every kind alike. Runs of the same setup differ
by several percent here, so what a kind kept is read round by round (its
requests/s over the plain run's of the same round) and the median over the
rounds is given, with the middle half of the rounds' figures as its spread
and the two rounds' figures that hold the median with 95% confidence.
For each kind it prints:
  - requests/s (median over the rounds) and the share of plain's kept;
  - that share with the machine's speed taken out: on a shared machine the
    CPU's speed moves from run to run (nginx's and wrk's CPU per request
    move together, by up to 15% between back-to-back plain runs), and wrk,
    never traced, does the same work per request whatever nginx does, so
    the CPU share wrk got in a run (its requests/s times its CPU per
    request) is that run's throughput in units of the machine's speed;
  - the time added per request at saturation (1/traced - 1/plain);
  - the CPU time nginx (master and workers, from wait4) and the run's
    `traceshim agent` processes (sampled from /proc, the last few ms before
    they exit may be missed) spent per request it served;
  - the SERVER spans in the traced runs' traces (GET, counted with
    bench/count_spans) against the requests nginx served (its access log)
    and those wrk counted (wrk does not count the requests still on their
    way when it stops), and the spans the shim dropped.
With --rollups, only the spans per request served, traced with roll-ups off
and on (TRACESHIM_ROLLUP=perfetto=off|on: the Perfetto file then has what an
exporter gets, OTLP's default being on).

Usage: http_load.py --lib LIBRARY --count-spans EXE [--runs N] [--seconds S]
                    [--threads N] [--connections N] [--sendfile on|off] [--rollups]
                    [--env NAME=VALUE ...]
--runs is the number of rounds; --env adds a setting to every traced run.
Needs nginx and wrk; exits 2 with a message when one is missing.
"""

import argparse
import math
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

# The nginx configuration is the HTTP tests' own.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import nginx_conf  # noqa: E402

BODY_BYTES = 4096
# The kinds of tracing measured, each with its settings (on top of --env).
# "every call, deferred": the worker lets the records wait while the CPUs are
# taken (TRACESHIM_DEFER=auto), up to TRACESHIM_DEFER_MB of them.
KINDS = [("every call", {}), ("every call, deferred", {"TRACESHIM_DEFER": "auto"}),
         ("HTTP only", {"TRACESHIM_TRACE": "http"})]



def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, deadline=15.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit("http_load: nginx exited with status %s at start (see %s)"
                             % (proc.returncode, "error.log"))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("http_load: nginx did not listen on 127.0.0.1:%d" % port)


def clock_ticks(pid, children):
    """utime + stime (+ the reaped children's) of a process, in ticks."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    # Fields 14-17 of stat: utime stime cutime cstime (3 is the first here).
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks


def agent_pids(run_dir):
    """The `traceshim agent` processes serving run_dir (the first and its
    forks), as {pid: is the first}."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % name, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if len(argv) > 3 and os.path.basename(argv[0]) == b"traceshim" and argv[1] == b"agent" \
                and run_dir.encode() in argv:
            out[int(name)] = b"--detach" in argv
    return out


class AgentCpu:
    """The CPU time of a run's agent processes, sampled until they leave.

    Each sample sums the processes alive then, each with the children it
    has reaped (a worker's time moves to the agent when it is reaped): the
    figure is the largest such sum, never a finished worker counted both
    as itself and in the agent's share."""

    def __init__(self, run_dir):
        self.run_dir = run_dir
        self.best = 0

    def sample(self):
        pids = agent_pids(self.run_dir)
        total = 0
        for pid in pids:
            ticks = clock_ticks(pid, children=True)
            if ticks is not None:
                total += ticks
        self.best = max(self.best, total)
        return bool(pids)

    def wait(self, deadline=30.0):
        end = time.monotonic() + deadline
        while self.sample() and time.monotonic() < end:
            time.sleep(0.02)
        return self.best / os.sysconf("SC_CLK_TCK")


def run_wrk(args, port):
    """wrk's run against the port: (its output, the CPU seconds it used).
    wrk is the only child reaped meanwhile (nginx is reaped after it)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk = subprocess.run([args.wrk, "-t%d" % args.threads, "-c%d" % args.connections,
                          "-d%ds" % args.seconds, "http://127.0.0.1:%d/file.txt" % port],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=args.seconds + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wrk, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def one_run(args, work, traced, n, extra=None):
    """One nginx under wrk (traced: with the settings in extra too); returns
    its figures."""
    port = free_port()
    conf = nginx_conf.write_config(work, port, args.sendfile)
    for name in ("access.log", "trace.pftrace"):
        if os.path.exists(os.path.join(work, name)):
            os.unlink(os.path.join(work, name))
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    run_dir = None
    if traced:
        run_dir = tempfile.mkdtemp(prefix="run-%d-" % n, dir=work)
        os.chmod(run_dir, 0o700)
        env.update(LD_PRELOAD=args.lib, TRACESHIM_OUTPUT=os.path.join(work, "trace.pftrace"),
                   TRACESHIM_RUN_DIR=run_dir, **(extra or {}))
    proc = subprocess.Popen([args.nginx, "-p", work, "-c", conf, "-e",
                             os.path.join(work, "error.log")], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    agent = AgentCpu(run_dir) if traced else None
    try:
        wait_for_port(port, proc)
        if agent:
            agent.sample()
        wrk, wrk_cpu = run_wrk(args, port)
        if agent:
            agent.sample()
    finally:
        proc.send_signal(signal.SIGQUIT)        # a graceful stop, the master's own pid
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except ChildProcessError:
            status, usage = proc.wait(), None
        proc.returncode = os.waitstatus_to_exitcode(status) if usage else status
    rps = re.search(r"Requests/sec:\s+([\d.]+)", wrk.stdout)
    count = re.search(r"(\d+) requests in", wrk.stdout)
    if wrk.returncode != 0 or not rps or not count:
        raise SystemExit("http_load: wrk failed:\n" + wrk.stdout)
    if "Non-2xx" in wrk.stdout:
        raise SystemExit("http_load: nginx answered with errors:\n" + wrk.stdout)
    with open(os.path.join(work, "access.log")) as f:
        served = sum(1 for _ in f)
    out = {"rps": float(rps.group(1)), "wrk": int(count.group(1)), "served": served,
           "cpu": (usage.ru_utime + usage.ru_stime) if usage else float("nan"),
           "wrk_cpu": wrk_cpu}
    if traced:
        out["agent_cpu"] = agent.wait()
        out["spans"], out["all_spans"], out["dropped"] = count_spans(
            args, os.path.join(work, "trace.pftrace"))
    return out


def count_spans(args, path):
    """(GET spans, all spans, spans dropped) of a trace."""
    done = subprocess.run([args.count_spans, path], stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit("http_load: count_spans cannot read the trace %s" % path)
    gets = total = dropped = 0
    for line in done.stdout.splitlines():
        parts = line.split(None, 1)
        if parts[0] == "spans":
            total = int(parts[1])
        elif parts[0] == "dropped":
            dropped = int(parts[1])
        elif len(parts) == 2 and parts[1] == "GET":
            gets = int(parts[0])
    return gets, total, dropped


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--lib", required=True)
    p.add_argument("--count-spans", required=True)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seconds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--sendfile", choices=("on", "off"), default="on")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                   help="a setting for the traced runs (repeatable)")
    p.add_argument("--rollups", action="store_true",
                   help="spans per request with roll-ups off and on, nothing else")
    args = p.parse_args()
    args.nginx = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    args.wrk = shutil.which("wrk")
    missing = [n for n, path in (("nginx", args.nginx), ("wrk", args.wrk)) if not path]
    if missing:
        print("http_load: %s not installed" % " and ".join(missing), file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="traceshim-http-bench-") as work:
        os.mkdir(os.path.join(work, "www"))
        with open(os.path.join(work, "www", "file.txt"), "wb") as f:
            f.write(bytes(range(256)) * (BODY_BYTES // 256))
        if args.rollups:
            runs = {}
            for how in ("off", "on"):
                extra = {"TRACESHIM_ROLLUP": "perfetto=" + how}
                runs[how] = [one_run(args, work, True, n, extra) for n in range(args.runs)]
            report_rollups(args, runs)
            return 0
        settings = dict(kv.split("=", 1) for kv in args.env)
        kinds = [(None, None)] + [(label, dict(settings, **extra)) for label, extra in KINDS]
        runs = {label: [] for label, _ in kinds}
        for n in range(args.runs):
            turn = n % len(kinds)
            for label, extra in kinds[turn:] + kinds[:turn]:
                runs[label].append(one_run(args, work, extra is not None, n, extra))
    report(args, runs)
    return 0


def report_rollups(args, runs):
    print("== HTTP spans per request, roll-ups off and on: nginx (2 workers, sendfile %s) under "
          "wrk -t%d -c%d -d%ds, %d run(s) each =="
          % (args.sendfile, args.threads, args.connections, args.seconds, args.runs))
    for how in ("off", "on"):
        served = sum(r["served"] for r in runs[how])
        spans = sum(r["all_spans"] for r in runs[how])
        print("roll-ups %-3s  %8.2f spans per request served (%d spans, %d requests, %d dropped)"
              % (how, spans / served if served else float("nan"), spans, served,
                 sum(r["dropped"] for r in runs[how])))


def quartiles(values):
    """(lower, upper) quartile of a list of numbers, or None under 4."""
    if len(values) < 4:
        return None
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def median_bounds(values):
    """(low, high): the order statistics that hold the median with 95%
    confidence whatever the figures' distribution (the binomial rule), or
    None for fewer than 6."""
    n = len(values)
    if n < 6:
        return None
    v = sorted(values)
    k, below = 0, 0.0   # below: P(fewer than k+1 of n under the median)
    while True:
        below += math.comb(n, k) / 2 ** n
        if below > 0.025:
            break
        k += 1
    return v[max(k - 1, 0)], v[n - k]


def report(args, runs):
    med = lambda rs, key: statistics.median(r[key] for r in rs)  # noqa: E731
    plain = runs[None]
    p_rps = med(plain, "rps")
    p_cpu = statistics.median(r["cpu"] / r["served"] * 1e6 for r in plain)
    labels = [label for label, _ in KINDS]
    rows = [("plain: requests/s", ["%.0f" % p_rps]),
            ("plain: nginx CPU per request, us", ["%.2f" % p_cpu]),
            ("plain: wrk CPU per request, us",
             ["%.2f" % statistics.median(r["wrk_cpu"] / r["wrk"] * 1e6 for r in plain)])]
    cols = {label: [] for label in labels}
    for label in labels:
        traced = runs[label]
        t_rps = med(traced, "rps")
        kept = [t["rps"] / p["rps"] for t, p in zip(traced, plain)]
        spread = quartiles(kept)
        bounds = median_bounds(kept)
        # The machine's speed moves from run to run by as much as a tracer
        # costs; wrk, never traced, does the same work per request whatever
        # nginx does, so its CPU per request measures that speed, and the
        # CPU share wrk got (requests/s x its CPU per request) is the
        # throughput with the speed taken out.
        share = lambda r: r["rps"] * r["wrk_cpu"] / r["wrk"]  # noqa: E731
        fair = [share(t) / share(p) for t, p in zip(traced, plain)]
        f_bounds = median_bounds(fair)
        t_cpu = statistics.median(r["cpu"] / r["served"] * 1e6 for r in traced)
        a_cpu = statistics.median(r["agent_cpu"] / r["served"] * 1e6 for r in traced)
        cols[label] = [
            "%.0f" % t_rps,
            "%.1f%%" % (100 * statistics.median(kept)),
            "%.1f-%.1f%%" % (100 * spread[0], 100 * spread[1]) if spread else "-",
            "%.1f-%.1f%%" % (100 * bounds[0], 100 * bounds[1]) if bounds else "-",
            "%.1f%%" % (100 * statistics.median(fair)),
            "%.1f-%.1f%%" % (100 * f_bounds[0], 100 * f_bounds[1]) if f_bounds else "-",
            "%.2f" % statistics.median(r["wrk_cpu"] / r["wrk"] * 1e6 for r in traced),
            "%+.2f" % (1e6 / t_rps - 1e6 / p_rps),
            "%.2f" % t_cpu,
            "%.2f" % a_cpu,
            "%+.2f" % (t_cpu - p_cpu + a_cpu),
            "%d of %d" % (sum(r["spans"] for r in traced), sum(r["served"] for r in traced)),
            "%d" % sum(r["wrk"] for r in traced),
            "%.2f" % (sum(r["all_spans"] for r in traced) / sum(r["served"] for r in traced)),
            "%d" % sum(r["dropped"] for r in traced),
        ]
    for i, label in enumerate([
            "traced: requests/s",
            "requests/s kept, median of rounds (goal >= 95%)",
            "the middle half of the rounds kept",
            "the median, with 95% confidence, kept",
            "kept, the machine's speed taken out (wrk's CPU), median",
            "the same, with 95% confidence",
            "traced: wrk CPU per request, us",
            "added per request at saturation, us (1/traced - 1/plain)",
            "traced: nginx CPU per request, us",
            "traceshim agent CPU per request, us",
            "CPU added per request, us (nginx + agent)",
            "SERVER spans, of requests nginx served",
            "requests wrk counted",
            "spans per request served, all kinds",
            "spans dropped"]):
        rows.append((label, [cols[k][i] for k in labels]))
    print("== HTTP: nginx (2 workers, %d-byte file, sendfile %s) under wrk -t%d -c%d -d%ds "
          "(keep-alive), plain and traced in turn, %d round(s) =="
          % (BODY_BYTES, args.sendfile, args.threads, args.connections, args.seconds, args.runs))
    width = max(len(label) for label, _ in rows) + 2
    cw = max(max(len(v) for _, vs in rows for v in vs), max(len(k) for k in labels)) + 2
    print("%-*s" % (width, "") + "".join("%*s" % (cw, k) for k in labels))
    for label, values in rows:
        print("%-*s" % (width, label) + "".join("%*s" % (cw, v) for v in values))

if __name__ == "__main__":
    sys.exit(main())
