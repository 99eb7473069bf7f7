#!/usr/bin/env python3
"""agent_rss: the peak memory of the `traceshim agent` processes of a run.

scripts/bench starts this before a measured run and stops it (SIGTERM) after.
Meanwhile it looks in /proc for processes named traceshim whose argv[1] is
`agent` or `run` (the agent of its tree, with its workers, which are its
forks) that belong to the run: descendants of --ancestor (the bench), or any
such process of this user started after this watcher was. At the end it
prints the largest sum of their peak resident sizes (VmHWM) seen at one
time, in KiB, or "n/a" when there was none, then one line "PID COMMAND
LINE" for each agent it counted, so a reader can tell whose they were.

An agent ends once idle; one left by an earlier run would be used by the
next and not counted (it started before), so the watcher first waits up to
--settle seconds for every agent of this user to end. The agent is not
this process's child, so its peak is sampled: memory it takes in the last
--interval before it exits may be missed.

Usage: agent_rss.py [--ancestor PID] [--interval SECONDS] [--settle SECONDS]
"""

import argparse
import os
import signal
import sys
import time


def stat_fields(pid):
    """Fields of /proc/PID/stat after the command name (field 3 first)."""
    with open("/proc/%d/stat" % pid, "rb") as f:
        data = f.read()
    return data[data.rindex(b")") + 2:].split()


def ppid_of(pid):
    return int(stat_fields(pid)[1])


def start_ticks(pid):
    return int(stat_fields(pid)[19])


def is_agent(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        argv = f.read().split(b"\0")
    with open("/proc/%d/comm" % pid, "rb") as f:
        comm = f.read().strip()
    named = comm == b"traceshim" or os.path.basename(argv[0]) == b"traceshim"
    # `traceshim run` is the agent of its tree, and its workers are its forks.
    return named and len(argv) > 1 and argv[1] in (b"agent", b"run")


def uptime_ticks():
    with open("/proc/uptime") as f:
        return int(float(f.read().split()[0]) * os.sysconf("SC_CLK_TCK"))


def owner(pid):
    return os.stat("/proc/%d" % pid).st_uid


def descends_from(pid, ancestor):
    seen = 0
    while pid > 1 and seen < 64:
        if pid == ancestor:
            return True
        pid = ppid_of(pid)
        seen += 1
    return pid == ancestor


def hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0        # a zombie has no memory left


class Watcher:
    def __init__(self, ancestor):
        self.ancestor = ancestor
        self.since = uptime_ticks()
        self.uid = os.getuid()
        self.me = os.getpid()
        self.other = set()      # pids that cannot be an agent of the run
        self.peak = None
        self.seen = {}          # pid -> command line of the agents counted

    def candidate(self, pid):
        """Whether pid may be (or become, by exec) an agent of the run."""
        if self.ancestor and descends_from(pid, self.ancestor):
            return True
        return owner(pid) == self.uid and start_ticks(pid) >= self.since

    def scan(self):
        total = 0
        found = False
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            pid = int(name)
            if pid == self.me or pid in self.other:
                continue
            try:
                # A candidate is looked at again each time: a child forked
                # by the run shows its parent's command line until it execs.
                if not self.candidate(pid):
                    self.other.add(pid)
                    continue
                if is_agent(pid):
                    total += hwm_kib(pid)
                    found = True
                    if pid not in self.seen:
                        with open("/proc/%d/cmdline" % pid, "rb") as f:
                            self.seen[pid] = f.read().rstrip(b"\0").replace(b"\0", b" ").decode(
                                errors="replace")
            except (OSError, ValueError, IndexError):
                pass        # gone meanwhile
        if found and (self.peak is None or total > self.peak):
            self.peak = total


def settle(seconds):
    """Waits for the agents of this user to end, up to seconds."""
    uid = os.getuid()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = False
        for name in os.listdir("/proc"):
            try:
                if name.isdigit() and owner(int(name)) == uid and is_agent(int(name)):
                    alive = True
                    break
            except (OSError, IndexError):
                pass
        if not alive:
            return
        time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ancestor", type=int, default=0)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--settle", type=float, default=0)
    args = ap.parse_args()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    settle(args.settle)
    w = Watcher(args.ancestor)
    # Ready: the bench starts its run only after this line, so an agent of
    # the run cannot have started before the watcher.
    print("watching", flush=True)
    while not stop:
        w.scan()
        time.sleep(args.interval)
    w.scan()
    print("n/a" if w.peak is None else w.peak)
    for pid, argv in sorted(w.seen.items()):
        print(pid, argv)
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
