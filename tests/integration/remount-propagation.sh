#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Mount namespaces made inside runc containers with each propagation mode
# (unshare -m --propagation private|shared|slave|unchanged) keep an lxcfs
# entry at every path that had one after a heal, whatever the propagation
# between them and their container: each reads its own container's
# MemTotal after kill -9 and after SIGTERM, never the host's, with the
# beneath method and with detach-then-attach. The exit
# status tells the truth when an attach is made to fail after its detach.
source "$(dirname "$0")/remount-lib.sh"
remount_setup

MODES=(private shared slave unchanged)
declare -A MEM NESTED
i=0
for m in "${MODES[@]}"; do
        MEM[$m]=$(( (72 + 8 * i) << 20 ))
        i=$((i + 1))
        runc_create "p$m" --lxcfs "$MNT" --mem "${MEM[$m]}" --cpuset 0 ||
                { echo "Bail out! runc container p$m"; exit 1; }
        tag=$(( 87000 + $$ % 500 + i ))
        # The container's mounts shared first (a runtime's rshared rootfs, a
        # Bidirectional volume), so that each mode gives a different link.
        runc_cmd exec -d --cap CAP_SYS_ADMIN "p$m" sh -c \
                "mount --make-rshared / && exec unshare -m --propagation $m sleep $tag" \
                </dev/null >/dev/null 2>&1
        for (( j = 0; j < 50; j++ )); do
                for p in $(cat "/sys/fs/cgroup/memory/lxcfs-test-p$m-$$/cgroup.procs" 2>/dev/null); do
                        [[ $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) == "sleep $tag " ]] && NESTED[$m]=$p
                done
                [[ -n ${NESTED[$m]:-} ]] && break
                sleep 0.1
        done
        [[ -n ${NESTED[$m]:-} ]] || { echo "Bail out! no nested namespace in p$m"; exit 1; }
done

# MemTotal (kB) as PID sees it: a reader in PID's memory cgroup and mount
# namespace (lxcfs answers by the reader's cgroup).
memtotal_of() {
        local cg
        cg=$(sed -n 's/^[0-9]*:memory:\(.*\)$/\1/p' "/proc/$1/cgroup")
        bash -c 'echo $$ >"$1/cgroup.procs" && exec timeout 10 nsenter -t "$2" -m sed -n "s/^MemTotal: *\([0-9]*\) kB$/\1/p" /proc/meminfo' \
                _ "/sys/fs/cgroup/memory$cg" "$1" 2>/dev/null
}

# every_ns_reads_own WHEN: each container and its nested namespace read the
# container's MemTotal through every file; the top mount at each target is live.
every_ns_reads_own() {
        local m pid want got f dev top
        dev=$(live_dev)
        for m in "${MODES[@]}"; do
                want=$(( MEM[$m] >> 10 ))
                for pid in "$(runc_pid "p$m")" "${NESTED[$m]}"; do
                        got=$(memtotal_of "$pid")
                        expect_eq "$1: $m: pid $pid reads its container's MemTotal" "$got" "$want"
                        bad=
                        for f in "${LXCFS_BIND_FILES[@]}"; do
                                top=$(awk -v p="/$f" '$5 == p { d = $3 " " $0 } END { print d }' "/proc/$pid/mountinfo")
                                [[ $top == "$dev "*" - fuse.lxcfs "* ]] || bad+=" /$f"
                                timeout 10 nsenter -t "$pid" -m cat "/$f" >/dev/null 2>&1 || bad+=" /$f(read)"
                        done
                        expect_eq "$1: $m: pid $pid has a live lxcfs mount on top of every target" "${bad:-}" ""
                done
        done
}

ok "nested namespaces are their own" bash -c '
        test "$(readlink /proc/'"${NESTED[unchanged]}"'/ns/mnt)" != "$(readlink /proc/'"$(runc_pid punchanged)"'/ns/mnt)"'
every_ns_reads_own "before"

# --- kill -9 ---------------------------------------------------------------
lxcfs_crash
lxcfs_start "$MNT" || { echo "Bail out! lxcfs restart"; exit 1; }
run_remount -v
expect_eq "after kill -9: lxcfs-remount exits 0" "$RC" 0
ok "after kill -9: summary says 0 failed" grep -q '; 0 failed$' "$T/out"
every_ns_reads_own "after kill -9"

# --- SIGTERM ---------------------------------------------------------------
lxcfs_stop
lxcfs_start "$MNT" || { echo "Bail out! lxcfs restart"; exit 1; }
run_remount -v
expect_eq "after SIGTERM: lxcfs-remount exits 0" "$RC" 0
ok "after SIGTERM: summary says 0 failed" grep -q '; 0 failed$' "$T/out"
every_ns_reads_own "after SIGTERM"

# --- the detach-then-attach fallback ------------------------------------------
lxcfs_crash
lxcfs_start "$MNT" || { echo "Bail out! lxcfs restart"; exit 1; }
LXCFS_REMOUNT_TEST_NO_BENEATH=1 run_remount -v
expect_eq "detach-then-attach: lxcfs-remount exits 0" "$RC" 0
ok "detach-then-attach: summary says 0 failed" grep -q '; 0 failed$' "$T/out"
every_ns_reads_own "after detach-then-attach"

# --- an attach that fails after its detach, once: healed again ----------------
lxcfs_crash
lxcfs_start "$MNT" || { echo "Bail out! lxcfs restart"; exit 1; }
LXCFS_REMOUNT_TEST_FAIL_ATTACH=first run_remount -v
expect_eq "attach fails once after the detach: exit 0 (healed again)" "$RC" 0
ok "attach fails once: the lost entries were restored" grep -q '(restored)$' "$T/out"
every_ns_reads_own "after a failed attach healed again"

# --- an attach that always fails after its detach: exit 1, names the namespace
lxcfs_crash
lxcfs_start "$MNT" || { echo "Bail out! lxcfs restart"; exit 1; }
NS=$(readlink "/proc/$(runc_pid pprivate)/ns/mnt")
LXCFS_REMOUNT_TEST_FAIL_ATTACH=1 run_remount
expect_eq "attach always fails after the detach: exit 1" "$RC" 1
ok "attach always fails: a warning names the container's namespace" \
        grep -qF "in $NS (pid $(runc_pid pprivate))" "$T/out"
ok "attach always fails: the summary counts failures" grep -Eq '; [1-9][0-9]* failed$' "$T/out"

# That is the truth: the container lost its entry (it shows the host's file).
ok "attach always fails: the container really lost its entry" \
        test "$(memtotal_of "$(runc_pid pprivate)")" != "$(( MEM[private] >> 10 ))"

finish
