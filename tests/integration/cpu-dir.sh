#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# sys/devices/system/cpu mirrors the host's directory: a reader in a real
# v1 cpuset of one CPU sees only that cpuN (its real id), online rendered,
# every other entry the host's bytes; a reader in the root cgroup sees the
# host's listing at the same moment; a runc container with the directory
# bound lists its CPU only; nothing there can be written.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-runc.sh"
require_root
cg_v1_has cpuset || skip_all "no v1 cpuset hierarchy"
[[ -d /sys/devices/system/cpu/cpu1 ]] || skip_all "needs a host with cpu1"

T=$(mktemp -d /tmp/lxcfs-cpudir.XXXXXX)
chmod 755 "$T"
at_exit "rm -rf $T"
CG=lxcfs-cpudir-$$
cg_v1_create "$CG" cpuset
cg_v1_set cpuset "$CG" 1 cpuset.cpus
M=$T/mnt
D=$M/sys/devices/system/cpu
H=/sys/devices/system/cpu
ok "daemon serves" lxcfs_start "$M"

one() { in_cgroups "$CG" cpuset "$@"; }
host_ls=$(ls "$H" | tr '\n' ' ')
one_ls=$(ls "$H" | grep -Ev '^cpu[0-9]+$' | sed '/^cpu$/d' | { cat; echo cpu1; } | sort | tr '\n' ' ')

# ------------------------------------------- per reader, at the same moment
expect_eq "1-CPU cpuset: cpu1 only, plus every other host entry" "$(one ls "$D" | tr '\n' ' ')" "$one_ls"
expect_eq "root cgroup: the host's listing" "$(ls "$D" | tr '\n' ' ')" "$host_ls"
expect_eq "1-CPU cpuset again, right after (listing not cached)" "$(one ls "$D" | tr '\n' ' ')" "$one_ls"
ok "root cgroup: cpu0 is there" test -d "$D/cpu0/topology"
ok "1-CPU cpuset: cpu0 does not resolve right after (lookup not cached)" \
        one bash -c "! test -e '$D/cpu0' && ! cat '$D/cpu0/topology/core_id' 2>/dev/null"
ok "root cgroup: cpu0 resolves again" test -r "$D/cpu0/topology/core_id"

# ----------------------------------------------------- what the files hold
expect_eq "1-CPU cpuset: online is rendered" "$(one cat "$D/online")" "1"
for f in present possible kernel_max offline; do
        [[ -e $H/$f ]] || continue
        expect_eq "$f is the host's" "$(one cat "$D/$f")" "$(cat "$H/$f")"
done
n=0
for f in "$H"/cpu1/topology/*; do
        [[ -f $f ]] || continue
        ok "cpu1/topology/${f##*/}: the host's bytes" one cmp -s "$f" "$D/cpu1/topology/${f##*/}"
        n=$((n + 1))
done
ok "cpu1/topology has files ($n)" test "$n" -gt 0
if [[ -L $H/cpu1/subsystem ]]; then
        ok "cpu1/subsystem is a symlink" test -L "$D/cpu1/subsystem"
        expect_eq "with the host's target" "$(one readlink "$D/cpu1/subsystem")" "$(readlink "$H/cpu1/subsystem")"
fi
expect_eq "modes are the host's minus write bits" "$(stat -c %a "$D/uevent" "$D/cpu1")" "444
555"
ro=$(find "$H" -maxdepth 3 -type f -perm 0400 2>/dev/null | head -1)
if [[ -n $ro ]]; then
        ok "a root-only host file is refused to others (${ro#$H/})" \
                bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups cat '$D/${ro#$H/}' 2>/dev/null"
else
        skip "no root-only file under $H"
fi

# ---------------------------------------------------------------- read-only
ok "a write is refused (EACCES)" bash -c "! echo add > '$D/uevent' 2>/dev/null"
ok "a new file is refused (EROFS)" bash -c "touch '$D/new' 2>&1 | grep -q 'Read-only file system'"
ok "mkdir is refused" bash -c "! mkdir '$D/cpu9' 2>/dev/null"
expect_eq "the host's uevent is untouched" "$(cat "$D/uevent")" "$(cat "$H/uevent")"

# ---------------------------------------------- inode numbers from the path
ino1=$(stat -c %i "$D/cpu1/topology/core_id" "$D/cpu1")
ok "daemon exits 0 (sanitizers quiet)" lxcfs_stop
ok "daemon serves again" lxcfs_start "$M"
expect_eq "a new daemon gives the same inode numbers" "$(stat -c %i "$D/cpu1/topology/core_id" "$D/cpu1")" "$ino1"
ok "daemon exits 0" lxcfs_stop

# ------------------------------------------------------------ --disable-file
ok "daemon serves without the mirror" lxcfs_start "$M" --disable-file sys/devices/system/cpu
expect_eq "only the rendered file is left" "$(ls "$D")" "online"
lxcfs_stop

# ------------------------------------------------------------ runc container
if command -v runc >/dev/null && command -v jq >/dev/null; then
        ok "daemon serves" lxcfs_start "$M"
        runc_create one --cpuset 1 --bind "$D:$H" ||
                { echo "Bail out! cannot create container"; exit 1; }
        x() { runc_exec one "$@" 2>&1; }
        expect_eq "container: cpuN entries are cpu1 only" "$(x ls "$H" | grep -E '^cpu[0-9]+$')" "cpu1"
        expect_eq "container: online" "$(x cat "$H/online")" "1"
        expect_eq "container: getconf _NPROCESSORS_ONLN (reads online)" "$(x getconf _NPROCESSORS_ONLN)" "1"
        # glibc 2.36 and nproc --all read 'possible', which stays the
        # host's (as upstream lxcfs serves it): the CPU id space, not the
        # CPUs one may use.
        possible=$(python3 -c "
import sys
n = 0
for r in open('$H/possible').read().strip().split(','):
    a, _, b = r.partition('-')
    n += int(b or a) - int(a) + 1
print(n)")
        expect_eq "container: getconf _NPROCESSORS_CONF (reads possible: the host's)" \
                "$(x getconf _NPROCESSORS_CONF)" "$possible"
        expect_eq "container: nproc --all" "$(x nproc --all)" "$possible"
        expect_eq "container: nproc (affinity)" "$(x nproc)" "1"
        expect_eq "container: cpu1/topology/core_id" "$(x cat "$H/cpu1/topology/core_id")" \
                "$(cat "$H/cpu1/topology/core_id")"
        ok "container: cpu0 is not there" bash -c "! runc --root '$RUNC_STATE' exec one test -e $H/cpu0"
        runc_delete one
        lxcfs_stop
else
        skip "runc or jq is not installed"
fi
finish
