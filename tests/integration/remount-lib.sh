# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers shared by the remount-*.sh tests (sourced, not a test itself).
#
#   remount_setup           skip unless possible; $T scratch dir, $MNT started
#   lxcfs_crash             kill -9 the daemon (its mount stays, dead)
#   live_dev                major:minor of the live mount at $MNT
#   run_remount ARGS...     run lxcfs-remount ARGS $MNT; output in $T/out, rc in $RC
#   ns_lxcfs_lines PID      the fuse.lxcfs lines of PID's mountinfo
#   check_container NAME MEM_KB CPUS
#                           NAME reads its own values through all eight files

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-runc.sh"

: "${LXCFS_REMOUNT_BIN:?LXCFS_REMOUNT_BIN not set (run through meson test)}"

remount_setup() {
        runc_require
        T=$(mktemp -d /tmp/lxcfs-remount.XXXXXX)
        chmod 755 "$T"
        MNT=$T/mnt
        # Runs after lxcfs_stop: unmount whatever is left (a dead daemon's
        # mount, one stacked over another), then remove the scratch dir.
        at_exit "while mountpoint -q '$MNT'; do umount -l '$MNT' || break; done; rm -rf '$T'"
        lxcfs_start "$MNT" || { echo "Bail out! lxcfs did not start"; exit 1; }
}

lxcfs_crash() {
        kill -KILL "$LXCFS_PID"
        wait "$LXCFS_PID" 2>/dev/null
        LXCFS_PID=
}

live_dev() { awk -v m="$MNT" '$5 == m && / - fuse\.lxcfs / { d = $3 } END { print d }' /proc/self/mountinfo; }

run_remount() {
        "$LXCFS_REMOUNT_BIN" "$@" "$MNT" >"$T/out" 2>&1
        RC=$?
        sanitizer_scan "$T/out"
        diag "$(cat "$T/out")"
}

ns_lxcfs_lines() { grep ' - fuse.lxcfs ' "/proc/$1/mountinfo"; }

# Reads fail in NAME the way they do after a crash.
reads_enotconn() {
        runc_exec "$1" cat /proc/meminfo 2>&1 | grep -q 'Transport endpoint is not connected'
}

# Every target of NAME carries exactly one mount, served by the live device.
one_live_mount_each() {
        local name=$1 pid dev f n bad=0
        pid=$(runc_pid "$name")
        dev=$(live_dev)
        for f in "${LXCFS_BIND_FILES[@]}"; do
                n=$(awk -v p="/$f" '$5 == p { n++ } END { print n + 0 }' "/proc/$pid/mountinfo")
                if [[ $n != 1 ]] || ! awk -v p="/$f" -v d="$dev" '$5 == p && $3 == d { ok = 1 } END { exit !ok }' "/proc/$pid/mountinfo"; then
                        diag "$name: /$f has $n mounts, want one of $dev"
                        bad=1
                fi
        done
        return $bad
}

check_container() {
        local name=$1 mem_kb=$2 cpus=$3 got f bad=0
        got=$(runc_exec "$name" sed -n 's/^MemTotal: *\([0-9]*\) kB$/\1/p' /proc/meminfo)
        [[ $got == "$mem_kb" ]] || { diag "$name: MemTotal '$got', want $mem_kb"; bad=1; }
        got=$(runc_exec "$name" cat /sys/devices/system/cpu/online)
        [[ $got == "$cpus" ]] || { diag "$name: cpu/online '$got', want $cpus"; bad=1; }
        for f in "${LXCFS_BIND_FILES[@]}"; do
                [[ $name == userns && " ${LXCFS_ROOT_ONLY_FILES[*]} " == *" $f "* ]] && continue
                runc_exec "$name" cat "/$f" >/dev/null 2>"$T/err" || { diag "$name: /$f: $(cat "$T/err")"; bad=1; }
        done
        return $bad
}

# mount id, device and target of every lxcfs entry of NAME: equal before and
# after a run that changed nothing.
mount_ids() { ns_lxcfs_lines "$(runc_pid "$1")" | awk '{ print $1, $3, $5 }'; }

summary_ok() {   # the summary sentence with 0 failed, at least $1 rebound
        local n
        n=$(sed -n 's/^lxcfs-remount: Rebound \([0-9]*\) stale lxcfs entr[a-z]* in [0-9]* mount namespaces\? in [0-9]* ms; 0 failed$/\1/p' "$T/out")
        [[ -n $n ]] && (( n >= $1 ))
}
