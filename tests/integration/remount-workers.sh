#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Many mount namespaces (plain `unshare -m` holders binding every file that
# runc accepts, as containers have them) healed by lxcfs-remount's worker processes: one
# worker going from namespace to namespace, the default pool while holders
# exit during the walk, and a worker that stops answering (its namespace
# times out, a new worker takes the rest).
source "$(dirname "$0")/lib.sh"
: "${LXCFS_REMOUNT_BIN:?LXCFS_REMOUNT_BIN not set (run through meson test)}"
require_root
command -v unshare >/dev/null || skip_all "no unshare"

# Every file of the table (lxcfs --list-files) except the pressure files,
# which runc refuses to bind under /proc: what a container holds.
mapfile -t FILES < <("$LXCFS_BIN" --list-files | cut -f1 | grep -v '^proc/pressure/')
(( ${#FILES[@]} > 0 )) || { echo "Bail out! $LXCFS_BIN --list-files printed nothing"; exit 1; }
N=12

T=$(mktemp -d /tmp/lxcfs-remount-workers.XXXXXX)
MNT=$T/mnt
at_exit "while mountpoint -q '$MNT'; do umount -l '$MNT' || break; done; rm -rf '$T'"
lxcfs_start "$MNT" || { echo "Bail out! lxcfs did not start"; exit 1; }

HOLDERS=()
# add_holders COUNT: namespaces binding FILES of $MNT, then asleep.
add_holders() {
        local i pid
        for (( i = 0; i < $1; i++ )); do
                unshare -m --propagation private bash -c '
                        for f in "${@:2}"; do mount --bind "$1/$f" "/$f" || exit 1; done
                        exec sleep 600' _ "$MNT" "${FILES[@]}" &
                pid=$!
                HOLDERS+=("$pid")
                at_exit "kill -KILL $pid"
        done
        for pid in "${HOLDERS[@]}"; do
                for (( i = 0; i < 100; i++ )); do
                        [[ $(cat "/proc/$pid/comm" 2>/dev/null) == sleep ]] && break
                        sleep 0.05
                done
        done
}

# crash_and_restart: kill -9 the daemon, drop its mount, start a new one.
crash_and_restart() {
        kill -KILL "$LXCFS_PID"
        wait "$LXCFS_PID" 2>/dev/null
        LXCFS_PID=
        umount -l "$MNT"
        lxcfs_start "$MNT" || { echo "Bail out! lxcfs restart"; exit 1; }
}

live_dev() { awk -v m="$MNT" '$5 == m && / - fuse\.lxcfs / { d = $3 } END { print d }' /proc/self/mountinfo; }

# healed PID: every file reads through the live mount, one mount per target.
healed() {
        local pid=$1 dev f n
        dev=$(live_dev)
        for f in "${FILES[@]}"; do
                grep -qs . "/proc/$pid/root/$f" || { diag "$pid: /$f does not read"; return 1; }
                n=$(awk -v p="/$f" -v d="$dev" '$5 == p { n++; if ($3 != d) n += 100 } END { print n + 0 }' \
                        "/proc/$pid/mountinfo")
                [[ $n == 1 ]] || { diag "$pid: /$f: $n mounts, want one of $dev"; return 1; }
        done
}

count_healed() {
        local pid n=0
        for pid in "$@"; do
                [[ -e /proc/$pid ]] && healed "$pid" >/dev/null && n=$((n + 1))
        done
        echo "$n"
}

all_healed() {
        local pid
        for pid in "$@"; do healed "$pid" || return 1; done
}

run_remount() {
        "$LXCFS_REMOUNT_BIN" "$@" "$MNT" >"$T/out" 2>&1
        RC=$?
        diag "$(tail -n 5 "$T/out")"
}

add_holders "$N"
ok "$N holders read through their binds" all_healed "${HOLDERS[@]}"

# One worker: it enters every namespace in turn.
crash_and_restart
ok "after the crash no holder reads" test "$(count_healed "${HOLDERS[@]}")" = 0
LXCFS_REMOUNT_TEST_WORKERS=1 run_remount
expect_eq "one worker: exit 0" "$RC" 0
ok "one worker: every holder healed, one live mount per target" all_healed "${HOLDERS[@]}"
ok "one worker: at least $((N * ${#FILES[@]})) rebound, 0 failed" \
        grep -Eq "Rebound ([0-9]+) stale lxcfs entries .*; 0 failed$" "$T/out"
rebound=$(sed -n 's/.*Rebound \([0-9]*\) stale.*/\1/p' "$T/out")
ok "one worker: counted $rebound >= $((N * ${#FILES[@]}))" test "${rebound:-0}" -ge $((N * ${#FILES[@]}))

# The default pool, while a third of the holders exit during the walk.
crash_and_restart
"$LXCFS_REMOUNT_BIN" "$MNT" >"$T/out" 2>&1 &
rpid=$!
for (( i = 0; i < N / 3; i++ )); do kill -KILL "${HOLDERS[i]}"; done
wait "$rpid"
RC=$?
diag "$(tail -n 3 "$T/out")"
expect_eq "holders exiting mid-walk: exit 0" "$RC" 0
ok "holders exiting mid-walk: the others are healed" all_healed "${HOLDERS[@]:N/3}"
ok "holders exiting mid-walk: nothing failed" grep -q "; 0 failed$" "$T/out"

# A worker that stops answering: its namespace times out, the rest is healed
# by a new worker, and the next run finishes the job.
LIVE=("${HOLDERS[@]:N/3}")
crash_and_restart
LXCFS_REMOUNT_TEST_WORKERS=1 LXCFS_REMOUNT_TEST_STALL_WORKER=1 run_remount --timeout 1
expect_eq "stalled worker: exit 1" "$RC" 1
ok "stalled worker: its entries did not answer in time" grep -q "did not answer in time" "$T/out"
got=$(count_healed "${LIVE[@]}")
ok "stalled worker: at least $(( ${#LIVE[@]} - 1 )) of ${#LIVE[@]} holders healed by the next worker (got $got)" \
        test "$got" -ge $(( ${#LIVE[@]} - 1 ))
run_remount
expect_eq "stalled worker: the next run exits 0" "$RC" 0
ok "stalled worker: every holder healed after the next run" all_healed "${LIVE[@]}"
run_remount
ok "a run with nothing to do rebinds nothing" grep -q "Rebound 0 stale lxcfs entries" "$T/out"

# A container that exits while its namespace is being healed: the worker is
# held (stopped) on the only stale namespace, its holder is killed, the job
# times out. That is not a failure to report.
crash_and_restart
LAST=${LIVE[-1]}
for p in "${LIVE[@]}"; do [[ $p == "$LAST" ]] || kill -KILL "$p" 2>/dev/null; done
LXCFS_REMOUNT_TEST_WORKERS=1 LXCFS_REMOUNT_TEST_STALL_WORKER=1 \
        "$LXCFS_REMOUNT_BIN" --timeout 3 "$MNT" >"$T/out" 2>&1 &
rpid=$!
sleep 1
kill -KILL "$LAST"
wait "$rpid"
RC=$?
diag "$(tail -n 3 "$T/out")"
expect_eq "container gone during its heal: exit 0" "$RC" 0
ok "container gone during its heal: no warning about it" bash -c "! grep -q 'Could not rebind' '$T/out'"

finish
