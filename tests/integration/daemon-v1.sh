#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The daemon on this machine's real cgroup v1 hierarchies: readers placed in
# cgroups with memory limits, CFS quotas and cpusets see their own values;
# host readers see the host's; the tree refuses changes.
source "$(dirname "$0")/lib.sh"
require_root
for c in memory cpu cpuacct cpuset; do cg_v1_has $c || skip_all "no v1 $c hierarchy"; done

T=$(mktemp -d /tmp/lxcfs-it.XXXXXX)
at_exit "rm -rf $T"
M=$T/mnt
CG=lxcfs-it-$$
CTRLS="memory cpu cpuacct cpuset"

ok "daemon starts and serves" lxcfs_start "$M"
if [[ ${LXCFS_DAEMON_ARGS:-} != *--passthrough* ]]; then
        ok "reads go through the daemon (the default)" grep -q "reads: through the daemon" "$M.log"
else
        ok "the daemon says which path reads take" grep -q "reads: " "$M.log"
fi
expect_eq "fs type is fuse.lxcfs" "$(findmnt -n -o FSTYPE "$M")" "fuse.lxcfs"
expect_eq "top level" "$(ls "$M" | tr '\n' ' ')" "proc sys "
# The table (lxcfs --list-files) says what the tree holds.
expect_eq "proc entries" "$(ls "$M/proc" | tr '\n' ' ')" \
        "$("$LXCFS_BIN" --list-files | cut -f1 | sed -n 's|^proc/\([^/]*\).*|\1|p' | sort -u | tr '\n' ' ')"
expect_eq "proc entries include the new files" "$(ls "$M/proc" | grep -c -x -e slabinfo -e pressure)" 2
ok "cpu/online exists" test -f "$M/sys/devices/system/cpu/online"

# --- host reader: host values ---
expect_eq "host reader: meminfo MemTotal is the host's" \
        "$(grep MemTotal "$M/proc/meminfo")" "$(grep MemTotal /proc/meminfo)"
expect_eq "host reader: cpu online is the host's" \
        "$(cat "$M/sys/devices/system/cpu/online")" "$(cat /sys/devices/system/cpu/online)"
expect_eq "host reader: cpuinfo processors" \
        "$(grep -c ^processor "$M/proc/cpuinfo")" "$(grep -c ^processor /proc/cpuinfo)"

# --- a reader with 256 MiB, half a CPU ---
cg_v1_create "$CG" $CTRLS
cg_v1_set memory "$CG" $((256 << 20)) memory.limit_in_bytes
cg_v1_set cpu "$CG" 100000 cpu.cfs_period_us
cg_v1_set cpu "$CG" 50000 cpu.cfs_quota_us
r() { in_cgroups "$CG" "$CTRLS" "$@"; }

expect_eq "limited reader: MemTotal" "$(r grep MemTotal "$M/proc/meminfo")" \
        "MemTotal:         262144 kB"
expect_eq "limited reader: 50% quota shows one CPU" "$(r cat "$M/sys/devices/system/cpu/online")" "0"
expect_eq "limited reader: one processor block" "$(r grep -c ^processor "$M/proc/cpuinfo")" "1"
expect_eq "limited reader: stat has cpu + cpu0" "$(r grep -c '^cpu' "$M/proc/stat")" "2"
ok "limited reader: stat keeps host lines" grep -q '^ctxt ' <(r cat "$M/proc/stat")

# procps parses our meminfo: free -b inside a mount namespace with the bind
free_total=$(r unshare -m bash -c "mount --bind $M/proc/meminfo /proc/meminfo && free -b" | awk '/^Mem:/{print $2}')
expect_eq "free -b reports 256 MiB" "$free_total" $((256 << 20))

# glibc and python count CPUs through sys/devices/system/cpu/online
nproc_getconf=$(r unshare -m bash -c "mount --bind $M/sys/devices/system/cpu/online /sys/devices/system/cpu/online && getconf _NPROCESSORS_ONLN")
expect_eq "getconf _NPROCESSORS_ONLN" "$nproc_getconf" "1"
nproc_py=$(r unshare -m bash -c "mount --bind $M/sys/devices/system/cpu/online /sys/devices/system/cpu/online && python3 -c 'import os; print(os.cpu_count())'")
expect_eq "python os.cpu_count()" "$nproc_py" "1"

# 96 MiB on a tmpfs is charged to the cgroup and is not reclaimable
kb() { awk -v k="$1:" '$1 == k {print $2}'; }
tmpfs_check=$(r unshare -m bash -c "
        mount -t tmpfs -o size=200m none $T/shm 2>/dev/null || { mkdir -p $T/shm; mount -t tmpfs -o size=200m none $T/shm; }
        before=\$(cat $M/proc/meminfo)
        dd if=/dev/zero of=$T/shm/fill bs=1M count=96 status=none
        sleep 0.1  # longer than the daemon's 20 ms cache TTL
        after=\$(cat $M/proc/meminfo)
        echo \"\$before\" | awk '\$1==\"MemFree:\"{f=\$2} \$1==\"MemAvailable:\"{a=\$2} \$1==\"Shmem:\"{s=\$2} END{print f, a, s}'
        echo \"\$after\"  | awk '\$1==\"MemFree:\"{f=\$2} \$1==\"MemAvailable:\"{a=\$2} \$1==\"Shmem:\"{s=\$2} END{print f, a, s}'
")
read -r free0 avail0 shmem0 <<<"$(sed -n 1p <<<"$tmpfs_check")"
read -r free1 avail1 shmem1 <<<"$(sed -n 2p <<<"$tmpfs_check")"
expect_near "96 MiB tmpfs lowers MemFree by ~96 MiB" $(( free0 - free1 )) 98304 8192
expect_near "96 MiB tmpfs lowers MemAvailable by ~96 MiB" $(( avail0 - avail1 )) 98304 8192
expect_near "Shmem grows by ~96 MiB" $(( shmem1 - shmem0 )) 98304 8192

# --- cpuset with real CPU ids ---
if (( $(nproc) >= 2 )); then
        CG2=$CG-pin
        cg_v1_create "$CG2" $CTRLS
        echo 1 > /sys/fs/cgroup/cpuset/$CG2/cpuset.cpus
        r2() { in_cgroups "$CG2" "$CTRLS" "$@"; }
        expect_eq "cpuset 1: online is '1'" "$(r2 cat "$M/sys/devices/system/cpu/online")" "1"
        expect_eq "cpuset 1: cpuinfo shows processor 1" \
                "$(r2 grep ^processor "$M/proc/cpuinfo" | awk '{print $3}')" "1"
        expect_eq "cpuset 1: stat shows cpu1" "$(r2 grep -o '^cpu[0-9]*' "$M/proc/stat" | tr '\n' ' ')" "cpu cpu1 "
fi

# --- uptime: since the reader's pid namespace started ---
up=$(r unshare -pf --mount-proc bash -c "sleep 1.2; cat $M/proc/uptime" | awk '{print int($1)}')
ok "uptime of a fresh pid namespace is small ($up s)" test "${up:-999}" -le 5
host_up=$(awk '{print int($1)}' /proc/uptime)
ours_up=$(awk '{print int($1)}' "$M/proc/uptime")
expect_near "host reader uptime is the host's" "$ours_up" "$host_up" 2

# --- loadavg and swaps format ---
ok "loadavg format" grep -Eq '^[0-9]+\.[0-9]{2} [0-9]+\.[0-9]{2} [0-9]+\.[0-9]{2} [0-9]+/[0-9]+ [0-9]+$' <(r cat "$M/proc/loadavg")
tasks=$(r cat "$M/proc/loadavg" | awk '{split($4, a, "/"); print a[2]}')
ok "loadavg counts the container's tasks, not the host's ($tasks)" test "${tasks:-9999}" -lt 10
ok "swaps header" grep -q '^Filename' <(r cat "$M/proc/swaps")

# --- two readers in different cgroups at the same time ---
CGA=$CG-a CGB=$CG-b
cg_v1_create "$CGA" memory
cg_v1_create "$CGB" memory
cg_v1_set memory "$CGA" $((128 << 20)) memory.limit_in_bytes
cg_v1_set memory "$CGB" $((192 << 20)) memory.limit_in_bytes
loop_read() { for _ in $(seq 200); do grep MemTotal "$M/proc/meminfo"; done | sort | uniq -c | awk '{print $1, $3}'; }
export -f loop_read; export M
in_cgroups "$CGA" memory bash -c loop_read > "$T/a" & pa=$!
in_cgroups "$CGB" memory bash -c loop_read > "$T/b" & pb=$!
wait $pa $pb
expect_eq "concurrent reader A always sees 128 MiB" "$(cat "$T/a")" "200 131072"
expect_eq "concurrent reader B always sees 192 MiB" "$(cat "$T/b")" "200 196608"

# --- the tree is read-only ---
ok "write is refused" bash -c "! echo x 2>/dev/null > $M/proc/meminfo"
ok "create is refused" bash -c "! touch $M/proc/newfile 2>/dev/null"
ok "chmod is refused" bash -c "! chmod 777 $M/proc/meminfo 2>/dev/null"
ok "unlink is refused" bash -c "! rm -f $M/proc/meminfo 2>/dev/null"
ok "mkdir is refused" bash -c "! mkdir $M/newdir 2>/dev/null"

# --- a second daemon is refused ---
out=$("$LXCFS_BIN" -p "$T/other.pid" "$M" 2>&1); rc=$?
ok "second daemon on a live mountpoint exits non-zero" test $rc -ne 0
ok "... saying the mountpoint is served" grep -q "already served by a running lxcfs" <<<"$out"
out=$("$LXCFS_BIN" -p "$M.pid" "$T/mnt2" 2>&1); rc=$?
ok "second daemon on the same pidfile exits non-zero" test $rc -ne 0
ok "... naming the pidfile" grep -q "Another lxcfs" <<<"$out"

# --- stale mount after kill -9 ---
old=$LXCFS_PID
kill -KILL "$old"; wait "$old" 2>/dev/null
LXCFS_PID=
err=$(cat "$M/proc/meminfo" 2>&1 >/dev/null)
ok "reads fail after kill -9 ($err)" grep -q "Transport endpoint is not connected" <<<"$err"
ok "new daemon starts over the stale mount" lxcfs_start "$M" -o nonempty
ok "... and says it detached it" grep -q "Detached 1 stale FUSE mount" "$M.log"
ok "... and serves" grep -q MemTotal "$M/proc/meminfo"
expect_eq "exactly one lxcfs mount at the mountpoint" "$(findmnt -n -o FSTYPE "$M" | wc -l)" "1"

# --- SIGTERM: unmount and exit 0 ---
kill -TERM "$LXCFS_PID"; wait "$LXCFS_PID"; rc=$?
LXCFS_PID=
expect_eq "SIGTERM exits 0" "$rc" "0"
ok "SIGTERM unmounts" bash -c "! mountpoint -q $M"
ok "pidfile removed" test ! -e "$M.pid"

# --- bad usage ---
"$LXCFS_BIN" --no-such-option >/dev/null 2>&1; rc=$?
expect_eq "unknown option exits 2" "$rc" "2"
ok "--help lists --disable-cfs" bash -c "'$LXCFS_BIN' --help | grep -q -- --disable-cfs"
ok "missing mountpoint is created" lxcfs_start "$T/new/dir/mnt"
lxcfs_stop

# --- "not a directory": a runtime created the entries as directories while
# lxcfs was down; the new mount hides them and says so ---
mkdir -p "$M/proc/meminfo" "$M/sys/devices/system/cpu/online"
ok "daemon starts over a mountpoint holding directories" lxcfs_start "$M"
ok "... warns about proc/meminfo as a directory" grep -q "Found $M/proc/meminfo as a directory" "$M.log"
ok "... warns about the non-empty mountpoint" grep -q "Mountpoint $M is not empty" "$M.log"
ok "... and serves proc/meminfo as a file" test -f "$M/proc/meminfo"
ok "... readable" grep -q MemTotal "$M/proc/meminfo"
lxcfs_stop
ok "the directories are still there after the stop (nothing a user made is removed)" test -d "$M/proc/meminfo"

finish
