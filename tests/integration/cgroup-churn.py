#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Short-lived v1 cgroups, each read once from inside, then removed.

For each cgroup: mkdir it in the cpu and cpuacct hierarchies (under PARENT),
fork a process that joins it and reads the given lxcfs files once, reap it,
and remove the cgroup WINDOW iterations later (so up to WINDOW empty cgroups
exist at a time, and stay long enough for the loadavg sampler's passes).
Every 50 iterations the daemon's open fds are counted; the highest count is
reported. Prints "key value" lines: done, failed, peak_fds, seconds.

A reader checks what it read: loadavg must count its own cgroup's tasks
(total 1: itself) and stat must have procs_running/procs_blocked.
"""

import argparse
import os
import sys
import time

CG_ROOT = "/sys/fs/cgroup"
CONTROLLERS = ("cpu", "cpuacct")


def cg_dirs(parent, name):
    return [os.path.join(CG_ROOT, c, parent, name) for c in CONTROLLERS]


def rmdir_retry(path):
    # A reaped task can leave its cgroup a moment later than waitpid returns.
    for _ in range(200):
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.005)
    os.rmdir(path)


def check(name, text):
    if name == "proc/loadavg":
        total = text.split()[3].split("/")[1]
        return total == "1"
    if name == "proc/stat":
        return "procs_running " in text and "procs_blocked " in text
    return len(text) > 0


def reader(dirs, mnt, files):
    try:
        for d in dirs:
            with open(os.path.join(d, "cgroup.procs"), "w") as f:
                f.write("0")
        for name in files:
            with open(os.path.join(mnt, name)) as f:
                if not check(name, f.read()):
                    os._exit(2)
        os._exit(0)
    except BaseException:
        os._exit(1)


def count_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnt", required=True)
    ap.add_argument("--daemon-pid", type=int, required=True)
    ap.add_argument("--parent", required=True)
    ap.add_argument("--count", type=int, default=0, help="cgroups to churn")
    ap.add_argument("--seconds", type=float, default=0, help="or churn this long")
    ap.add_argument("--window", type=int, default=500)
    ap.add_argument("--files", default="proc/loadavg,proc/stat")
    a = ap.parse_args()
    files = a.files.split(",")

    for c in CONTROLLERS:
        os.makedirs(os.path.join(CG_ROOT, c, a.parent), exist_ok=True)
    start = time.monotonic()
    live = []
    done = failed = 0
    peak = count_fds(a.daemon_pid)
    i = 0
    while (a.count and i < a.count) or (a.seconds and time.monotonic() - start < a.seconds):
        dirs = cg_dirs(a.parent, f"c{i}")
        for d in dirs:
            os.mkdir(d)
        pid = os.fork()
        if pid == 0:
            reader(dirs, a.mnt, files)
        _, status = os.waitpid(pid, 0)
        done += 1
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            failed += 1
            if failed <= 5:
                print(f"# reader in c{i} failed: status {status:#x}", file=sys.stderr)
        live.append(dirs)
        if len(live) > a.window:
            for d in live.pop(0):
                rmdir_retry(d)
        if i % 50 == 0:
            peak = max(peak, count_fds(a.daemon_pid))
        i += 1
    peak = max(peak, count_fds(a.daemon_pid))
    for dirs in live:
        for d in dirs:
            rmdir_retry(d)
    for c in CONTROLLERS:
        rmdir_retry(os.path.join(CG_ROOT, c, a.parent))
    print(f"done {done}")
    print(f"failed {failed}")
    print(f"peak_fds {peak}")
    print(f"seconds {time.monotonic() - start:.1f}")


if __name__ == "__main__":
    main()
