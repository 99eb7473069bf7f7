#!/usr/bin/env python3
"""cpu_sampler: what the CPU sampler (TRACESHIM_CPU_SAMPLE_MS) costs, per
traced thread and second of its life.

bench/idle_threads.c keeps N idle threads (and its main thread) alive for a
few seconds; the consumer's CPU time is read from schedstat (ns) over a
window in the middle of the run, where the program does nothing: with the
agent, the run's `traceshim agent` processes (the worker serving the
program, and the agent); in-process (TRACESHIM_AGENT=off), the program's
background thread (named traceshim). The same with the sampler on (the
period given) and off (0); the difference, divided by the threads sampled,
is the sampler's cost. The median of --runs runs of each. The machine may
be busy: the figures are reported, not judged.

Usage: cpu_sampler.py --lib LIB --prog IDLE_THREADS [--threads N]
                      [--period MS] [--runs R] [--window SECONDS]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def schedstat_ns(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def agent_pids(run_dir):
    """The `traceshim agent` processes serving run_dir (and their workers)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % name, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if len(argv) > 2 and os.path.basename(argv[0]) == b"traceshim" and \
                argv[1] == b"agent" and run_dir.encode() in argv:
            out.append(int(name))
    return out


def consumer_ns(pid, run_dir, in_process):
    """The consumer's CPU time so far: {task or process: ns}."""
    out = {}
    if in_process:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                    if f.read().strip() != "traceshim":
                        continue
            except OSError:
                continue
            ns = schedstat_ns("/proc/%d/task/%s/schedstat" % (pid, tid))
            if ns is not None:
                out[("t", tid)] = ns
    else:
        for apid in agent_pids(run_dir):
            ns = schedstat_ns("/proc/%d/schedstat" % apid)
            if ns is not None:
                out[("p", apid)] = ns
    return out


def one_run(args, work, in_process, period):
    """The consumer's CPU, in us per second, over the window of one run."""
    run_dir = tempfile.mkdtemp(prefix="run-", dir=work)
    os.chmod(run_dir, 0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACESHIM_")}
    env.update(LD_PRELOAD=args.lib, TRACESHIM_OUTPUT=os.path.join(work, "idle.pftrace"),
               TRACESHIM_RUN_DIR=run_dir, TRACESHIM_CPU_SAMPLE_MS=str(period))
    if in_process:
        env["TRACESHIM_AGENT"] = "off"
    life = args.window + 1.5
    proc = subprocess.Popen([args.prog, str(args.threads), str(life)], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.75)   # started, its threads made, the consumer settled
        t0, a = time.monotonic(), consumer_ns(proc.pid, run_dir, in_process)
        time.sleep(args.window)
        t1, b = time.monotonic(), consumer_ns(proc.pid, run_dir, in_process)
    finally:
        proc.wait()
    shutil.rmtree(run_dir, ignore_errors=True)
    if not a or set(a) != set(b):
        return None   # the consumer was not found, or changed, in the window
    return sum(b[k] - a[k] for k in a) / 1e3 / (t1 - t0)


def median_of(args, work, in_process, period, threads):
    args.threads = threads
    got = [v for v in (one_run(args, work, in_process, period) for _ in range(args.runs))
           if v is not None]
    return statistics.median(got) if got else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--prog", required=True)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--period", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--window", type=float, default=2.0)
    args = ap.parse_args()
    many = args.threads
    print("== CPU sampler: the consumer's CPU, us per second, sampling every %d ms vs off, "
          "median of %d runs ==" % (args.period, args.runs))
    print("   (the program idle: its main thread alone, then with %d more threads; per thread:"
          " the difference between the two, over %d; the rest is the consumer waking up)"
          % (many, many))
    print("%-11s %8s %10s %10s %10s" % ("consumer", "threads", "off", "on", "added"))
    with tempfile.TemporaryDirectory(prefix="traceshim-cpu-bench-") as work:
        for name, in_process in (("agent", False), ("in-process", True)):
            added = {}
            for n in (0, many):
                off = median_of(args, work, in_process, 0, n)
                on = median_of(args, work, in_process, args.period, n)
                if off is None or on is None:
                    print("%-11s %8d %10s" % (name, n + 1, "consumer not found"))
                    continue
                added[n] = on - off
                print("%-11s %8d %10.1f %10.1f %+10.1f" % (name, n + 1, off, on, on - off))
            if len(added) == 2:
                per = (added[many] - added[0]) / many
                print("%-11s per thread: %.1f us/s (%.3f%% of a CPU), %.2f us a sample; "
                      "waking up: %.1f us/s" % (name, per, per / 1e4,
                                                per * args.period / 1e3, added[0] - per))
    return 0


if __name__ == "__main__":
    sys.exit(main())
