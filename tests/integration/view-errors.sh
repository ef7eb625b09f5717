#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# When the daemon cannot build a limited reader's view (an unparsable
# cgroup file, no file descriptor left), that reader gets EIO and the log
# one warning naming the file and the errno, however often it retries:
# never the host's figures. Real v1 cgroups, a real daemon.
source "$(dirname "$0")/lib.sh"
require_root
for c in memory cpu cpuacct cpuset; do cg_v1_has $c || skip_all "no v1 $c hierarchy"; done
command -v prlimit >/dev/null || skip_all "prlimit is not installed"

T=$(mktemp -d /tmp/lxcfs-err.XXXXXX)
at_exit "rm -rf $T"
CG=lxcfs-err-$$
CTRLS="memory cpu cpuacct cpuset"
cg_v1_create "$CG" $CTRLS
cg_v1_set memory "$CG" $((256 << 20)) memory.limit_in_bytes
r() { in_cgroups "$CG" "$CTRLS" "$@"; }
host_total=$(grep MemTotal /proc/meminfo)

# read_n N FILE: N reads of FILE by the limited reader; prints one word per
# read: "eio", "host" (the host's MemTotal line), or "ok".
read_n() {
        local i out
        for (( i = 0; i < $1; i++ )); do
                if out=$(r cat "$2" 2>&1); then
                        grep -qxF "$host_total" <<<"$out" && echo host || echo ok
                else
                        grep -q 'Input/output error' <<<"$out" && echo eio || echo "other:$out"
                fi
                sleep 0.05   # past the 20 ms view cache: each read builds anew
        done | sort | uniq -c | awk '{printf "%s%s=%s", sep, $2, $1; sep=" "}'
}
warnings() { grep -c "Cannot build /proc/$1 " "$2" || true; }

# ---------------------------------------------- an unparsable memory.stat
M=$T/a
ok "daemon serves" lxcfs_start "$M"
expect_eq "before: the limited reader sees 256 MiB" "$(r grep MemTotal "$M/proc/meminfo")" "MemTotal:         262144 kB"
printf 'total_rss lots\ntotal_cache -\n' >"$T/garbage"
stat_file=$CG_V1_ROOT/memory/$CG/memory.stat
mount --bind "$T/garbage" "$stat_file" || { echo "Bail out! cannot bind over $stat_file"; exit 1; }
at_exit "umount -l '$stat_file'"
sleep 0.1   # the view read just before may be served for 20 ms more
expect_eq "garbage memory.stat: every read is EIO" "$(read_n 5 "$M/proc/meminfo")" "eio=5"
expect_eq "garbage memory.stat: exactly one warning" "$(warnings meminfo "$M.log")" 1
ok "the warning names memory.stat of the cgroup and the errno" \
        grep -Eq "Cannot build /proc/meminfo for pid [0-9]+, at $CG_V1_ROOT/memory/$CG/memory.stat: Invalid argument" "$M.log"
expect_eq "a host reader still reads the host's file" "$(grep MemTotal "$M/proc/meminfo")" "$host_total"
umount "$stat_file"
expect_eq "repaired: the limited reader sees 256 MiB again" "$(r grep MemTotal "$M/proc/meminfo")" "MemTotal:         262144 kB"
lxcfs_stop
diag "$(cat "$M.log")"

# ------------------------------------------------ no file descriptor left
M=$T/b
ok "daemon serves again" lxcfs_start "$M"
expect_eq "before: the limited reader sees 256 MiB" "$(r grep MemTotal "$M/proc/meminfo")" "MemTotal:         262144 kB"
# RLIMIT_NOFILE at the lowest free descriptor number: any open fails.
lowest=0
while [[ -e /proc/$LXCFS_PID/fd/$lowest ]]; do lowest=$(( lowest + 1 )); done
# Only the soft limit: raising a hard limit again needs CAP_SYS_RESOURCE.
old_soft=$(prlimit --pid "$LXCFS_PID" --nofile --noheadings --raw -o SOFT)
ok "lower the daemon's RLIMIT_NOFILE to $lowest" prlimit --pid "$LXCFS_PID" --nofile="$lowest:"
sleep 1.1   # past every cache TTL (reader 1 s, views 20 ms)
expect_eq "EMFILE: every read is EIO" "$(read_n 5 "$M/proc/meminfo")" "eio=5"
expect_eq "EMFILE: exactly one warning" "$(warnings meminfo "$M.log")" 1
ok "the warning names the errno" grep -Eq "Cannot build /proc/meminfo for pid [0-9]+, at .*: Too many open files" "$M.log"
ok "restore the limit ($old_soft)" prlimit --pid "$LXCFS_PID" --nofile="$old_soft:"
expect_eq "restored: the limited reader sees 256 MiB again" "$(r grep MemTotal "$M/proc/meminfo")" "MemTotal:         262144 kB"
ok "the daemon is still running" kill -0 "$LXCFS_PID"
diag "$(cat "$M.log")"

finish
