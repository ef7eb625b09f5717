#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Real runc containers with the eight lxcfs binds and resource limits in
# config.json: the usual tools inside them report the container's limits.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-runc.sh"
require_root
runc_require
(( $(nproc) >= 2 )) || skip_all "needs 2 CPUs"

T=$(mktemp -d /tmp/lxcfs-ct.XXXXXX)
at_exit "rm -rf $T"
M=$T/mnt
ok "daemon serves" lxcfs_start "$M"

# half a CPU and 256 MiB, like a "500m / 256Mi" pod
runc_create half --lxcfs "$M" --mem $((256 << 20)) --cpu-quota 50000 ||
        { echo "Bail out! cannot create container"; exit 1; }
# pinned to CPU 1, 512 MiB, no quota
runc_create pinned --lxcfs "$M" --mem $((512 << 20)) --cpuset 1 ||
        { echo "Bail out! cannot create container"; exit 1; }
# no limits at all
runc_create free --lxcfs "$M" ||
        { echo "Bail out! cannot create container"; exit 1; }

x() { runc_exec "$@" 2>&1; }

expect_eq "half: free -b total" "$(x half free -b | awk '/^Mem:/{print $2}')" $((256 << 20))
used=$(x half free -b | awk '/^Mem:/{print $3}')
ok "half: free -b used is the container's, not the host's ($used)" test "${used:-0}" -gt 0 -a "${used:-0}" -lt $((256 << 20))
expect_eq "half: top -bn1 memory total" "$(x half top -bn1 | awk '/^MiB Mem/{print $4}')" "256.0"
expect_eq "half: top shows one cpu line" "$(x half top -bn1 -1 | grep -c '^%Cpu')" "1"
expect_eq "half: getconf _NPROCESSORS_ONLN" "$(x half getconf _NPROCESSORS_ONLN)" "1"
expect_eq "half: python os.cpu_count()" "$(x half python3 -c 'import os; print(os.cpu_count())')" "1"
# (GNU nproc counts sched_getaffinity(), which a file cannot change.)
ok "half: uptime reports minutes, not the host's days" \
        grep -Eq 'up +[0-9]+ min' <(x half uptime)
up=$(x half cat /proc/uptime | awk '{print int($1)}')
ok "half: /proc/uptime is the container's age ($up s)" test "${up:-999}" -lt 120
ok "half: vmstat runs on our stat and meminfo" grep -q '^ *[0-9]' <(x half vmstat 1 2 | tail -1)
expect_eq "half: swaps has only the header (no swap limit on a swapless host)" \
        "$(x half cat /proc/swaps | wc -l)" "1"

expect_eq "half: /proc/slabinfo is served to the container's root" \
        "$(x half head -1 /proc/slabinfo)" "$(head -1 /proc/slabinfo)"
ok "half: /proc/slabinfo is the lxcfs file (bind mount)" \
        grep -q ' /proc/slabinfo ' <(x half cat /proc/self/mountinfo)

expect_eq "pinned: free -b total" "$(x pinned free -b | awk '/^Mem:/{print $2}')" $((512 << 20))
expect_eq "pinned: cpu online is the real id" "$(x pinned cat /sys/devices/system/cpu/online)" "1"
expect_eq "pinned: getconf _NPROCESSORS_ONLN" "$(x pinned getconf _NPROCESSORS_ONLN)" "1"
expect_eq "pinned: cpuinfo processor id" "$(x pinned grep ^processor /proc/cpuinfo | awk '{print $3}')" "1"
expect_eq "pinned: stat cpu lines" "$(x pinned grep -o '^cpu[0-9]*' /proc/stat | tr '\n' ' ')" "cpu cpu1 "
ok "pinned: taskset to the listed CPU works" runc_exec pinned taskset -c 1 true

expect_eq "free: no limit shows the host's memory" \
        "$(x free grep MemTotal /proc/meminfo)" "$(grep MemTotal /proc/meminfo)"
expect_eq "free: all CPUs" "$(x free getconf _NPROCESSORS_ONLN)" "$(getconf _NPROCESSORS_ONLN)"

# The container's own CPU time shows in its stat: burn ~1 s of CPU.
before=$(x half awk '/^cpu /{print $2 + $4}' /proc/stat)
runc_exec half timeout 1.5 sh -c 'while :; do :; done' >/dev/null 2>&1
sleep 0.1  # longer than the daemon's 20 ms cache TTL
after=$(x half awk '/^cpu /{print $2 + $4}' /proc/stat)
ok "half: user+system grows with the container's own work ($before -> $after ticks)" \
        test $(( after - before )) -ge 20
idle=$(x half awk '/^cpu /{print $5}' /proc/stat)
ok "half: idle is not negative ($idle)" test "${idle:-x}" -ge 0

# loadavg: the sampler (every 5 s) sees the busy loop as a runnable task
runc_exec half sh -c 'cat /proc/loadavg; timeout 8 sh -c "while :; do :; done" & sleep 7; cat /proc/loadavg' > "$T/load" 2>&1
ok "half: loadavg counts its running task ($(tail -1 "$T/load"))" grep -Eq ' [1-9][0-9]*/[0-9]+ ' <(tail -1 "$T/load")
ok "half: the 1-minute average rises above 0" awk '{exit !($1 > 0)}' <(tail -1 "$T/load")

finish
