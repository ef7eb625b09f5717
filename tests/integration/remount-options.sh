#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# --dry-run changes nothing; --list shows live and stale entries with a pid
# and cgroup per namespace; exit codes 1 (no live lxcfs, no open_tree) and
# 2 (usage).
source "$(dirname "$0")/remount-lib.sh"
remount_setup

runc_create opt --lxcfs "$MNT" --lxcfs-ro --mem $((72 << 20)) --cpuset 0 \
        --cgroup "/lxcfs-test-remount-opt-$$" || { echo "Bail out! runc container"; exit 1; }
PID=$(runc_pid opt)
NS=$(readlink "/proc/$PID/ns/mnt")
NS_RE=$(sed 's/[][]/\\&/g' <<<"$NS")

# The block of --list output for the container's namespace.
list_block() { awk -v ns="$NS" '/^mnt:/ { on = ($1 == ns) } on' "$T/out"; }

run_remount --list
expect_eq "--list exits 0" "$RC" 0
ok "--list names the namespace, a pid in it and its cgroup" \
        grep -qx "$NS_RE pid [0-9]* cgroup /lxcfs-test-remount-opt-$$" "$T/out"
expect_eq "--list: one live entry per bound file" "$(list_block | grep -c '^  live ')" ${#LXCFS_BIND_FILES[@]}
ok "--list: the read-only flag is shown" grep -q "^  live    /proc/meminfo (lxcfs /proc/meminfo, mount [0-9]*, ro)$" "$T/out"

lxcfs_crash
lxcfs_start "$MNT" || { echo "Bail out! lxcfs restart"; exit 1; }

run_remount --list
expect_eq "--list: one stale entry per bound file after the restart" "$(list_block | grep -c '^  stale ')" ${#LXCFS_BIND_FILES[@]}

before=$(mount_ids opt)
run_remount --dry-run
expect_eq "--dry-run exits 0" "$RC" 0
expect_eq "--dry-run says what it would rebind" "$(grep -c "Would rebind /.* in $NS_RE (pid [0-9]*)" "$T/out")" ${#LXCFS_BIND_FILES[@]}
ok "--dry-run summary" grep -q "Would rebind [0-9]* stale lxcfs entries in [0-9]* mount namespaces\? (dry run)$" "$T/out"
expect_eq "--dry-run changes no mount" "$(mount_ids opt)" "$before"
ok "--dry-run leaves the container broken" reads_enotconn opt

run_remount
expect_eq "the real run exits 0" "$RC" 0
run_remount --list
expect_eq "--list: one live entry per bound file after healing" "$(list_block | grep -c '^  live ')" ${#LXCFS_BIND_FILES[@]}
ok "read-only kept" runc_exec opt sh -c '! (: >/proc/meminfo) 2>/dev/null && grep -q "/proc/meminfo ro," /proc/self/mountinfo'
ok "healed" check_container opt 73728 0

# Exit codes
LXCFS_REMOUNT_TEST_NO_OPEN_TREE=1 run_remount
expect_eq "without open_tree(): exit 1" "$RC" 1
ok "without open_tree(): says Linux 5.2 is needed" grep -q "Linux 5.2 or newer is needed" "$T/out"

"$LXCFS_REMOUNT_BIN" "$T" >"$T/out" 2>&1
expect_eq "no lxcfs at the mountpoint: exit 1" "$?" 1
ok "no lxcfs at the mountpoint: says so" grep -q "No lxcfs is mounted at $T" "$T/out"

"$LXCFS_REMOUNT_BIN" --bogus >/dev/null 2>&1
expect_eq "unknown option: exit 2" "$?" 2
"$LXCFS_REMOUNT_BIN" --timeout 0 "$MNT" >/dev/null 2>&1
expect_eq "bad timeout: exit 2" "$?" 2
"$LXCFS_REMOUNT_BIN" "$MNT" extra >/dev/null 2>&1
expect_eq "two mountpoints: exit 2" "$?" 2

lxcfs_crash
"$LXCFS_REMOUNT_BIN" "$MNT" >"$T/out" 2>&1
expect_eq "dead daemon at the mountpoint: exit 1" "$?" 1
ok "dead daemon: says it is not running" grep -q "is not running" "$T/out"

finish
