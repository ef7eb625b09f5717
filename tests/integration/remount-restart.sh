#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Three runc containers with their own memory limits and cpusets lose lxcfs
# when the daemon dies (kill -9) or stops (SIGTERM); a new daemon plus
# lxcfs-remount heals them in place. A second run changes nothing.
source "$(dirname "$0")/remount-lib.sh"
remount_setup

ncpu=$(nproc)
last=$(( ncpu - 1 ))
declare -A MEM=([a]=$((64 << 20)) [b]=$((96 << 20)) [c]=$((160 << 20)))
declare -A CPUS=([a]=0 [b]=$last [c]=0-$last)
(( ncpu == 1 )) && CPUS[c]=0
for n in a b c; do
        runc_create "$n" --lxcfs "$MNT" --mem "${MEM[$n]}" --cpuset "${CPUS[$n]}" ||
                { echo "Bail out! runc container $n"; exit 1; }
done

check_all() {   # check_all WHEN
        local n
        for n in a b c; do
                ok "$1: $n reads its own values through every file" \
                        check_container "$n" $(( MEM[$n] >> 10 )) "${CPUS[$n]}"
                ok "$1: $n has exactly one live mount per target" one_live_mount_each "$n"
        done
}

check_all "before"

# --- kill -9 ---------------------------------------------------------------
lxcfs_crash
ok "after kill -9 reads fail with ENOTCONN" reads_enotconn a
lxcfs_start "$MNT" || { echo "Bail out! lxcfs restart"; exit 1; }
ok "a new daemon alone does not heal the containers" reads_enotconn b

run_remount
expect_eq "lxcfs-remount exits 0" "$RC" 0
ok "summary: at least 24 rebound, 0 failed" summary_ok 24
check_all "after kill -9"

# --- second run is a no-op -------------------------------------------------
before=$(for n in a b c; do mount_ids "$n"; done)
run_remount
expect_eq "second run exits 0" "$RC" 0
after=$(for n in a b c; do mount_ids "$n"; done)
expect_eq "second run keeps every mount id" "$after" "$before"

# --- clean SIGTERM stop and start ------------------------------------------
lxcfs_stop
ok "after SIGTERM reads fail with ENOTCONN" reads_enotconn c
lxcfs_start "$MNT" || { echo "Bail out! lxcfs restart"; exit 1; }
run_remount -v
expect_eq "lxcfs-remount exits 0 after a clean restart" "$RC" 0
ok "entries went beneath the stale ones" grep -q '(beneath)$' "$T/out"
check_all "after SIGTERM"

# --- the detach-then-attach fallback (kernels before 6.5) ------------------
lxcfs_crash
lxcfs_start "$MNT" || { echo "Bail out! lxcfs restart"; exit 1; }
LXCFS_REMOUNT_TEST_NO_BENEATH=1 run_remount -v
expect_eq "fallback run exits 0" "$RC" 0
ok "entries were replaced (detach, attach)" grep -q '(replace)$' "$T/out"
check_all "after the fallback"

finish
