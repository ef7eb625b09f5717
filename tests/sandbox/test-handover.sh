#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Restart, crash and stop of lxcfs.service under a real systemd (the
# sandbox of lib.sh) while containers read: the FUSE connection is handed
# from process to process through systemd's fd store, and no reader sees
# a single failed read or wrong content.
#   - 8 readers, each in its own mount namespace with meminfo and stat
#     bound over /proc (lib-storm.sh), and 2 runc containers doing the same,
#     loop open/read/close while the service is restarted 3 times and its
#     main process SIGKILLed twice: 0 failed, 0 wrong; longest stall printed;
#     the mount is the same device throughout; the journal says "Resumed";
#   - a request in flight: a reader blocked in an open that the daemon read
#     and never answers (test hook LXCFS_TEST_HANG_OPEN), and a reader
#     blocked while the daemon is SIGSTOPped; both complete after SIGKILL,
#     with the kernel's resend (Linux >= 6.9) and with the journal replay
#     (LXCFS_TEST_NO_RESEND=1);
#   - a crash loop of 8 kills: the unit stays up with the same mount (the
#     start limit must not empty the fd store);
#   - the fallback: no resend and no replay (LXCFS_TEST_NO_REPLAY=1), or a
#     corrupt saved state: the old connection is aborted, a fresh mount is
#     made, lxcfs-remount heals the readers, the journal says why;
#   - stop: no mount and no stored fd left; start after stop mounts afresh.
# Prints TAP. Root only; 77 (skip) otherwise.
set -uo pipefail

here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/sandbox/lib.sh
source "$here/lib.sh"
# shellcheck source=tests/sandbox/lib-storm.sh
source "$here/lib-storm.sh"
# shellcheck source=tests/sandbox/lib-runc.sh
source "$here/lib-runc.sh"

MNT=/var/lib/lxcfs
UNIT=lxcfs.service
DROPINS=/run/systemd/system/$UNIT.d
T=/run/lxcfs-handover
RUNC_ROOT=$T/runc-state
RUNC_NAMES=()
N_NS=8

on_exit() {
        local rc=$? n
        if [[ -n $SANDBOX_WORK ]]; then
                (( TAP_FAILED > 0 )) && { diag "----- journal (tail) -----"; sandbox_journal_tail 80; }
                for n in "${RUNC_NAMES[@]}"; do
                        sbx runc --root "$RUNC_ROOT" delete -f "$n" >/dev/null 2>&1
                done
                storm_stop
                sandbox_teardown
        fi
        exit $rc
}

sandbox_require jq
: "${BUILD_DIR:?BUILD_DIR not set (run through meson test)}"
STORM_BIN=$BUILD_DIR/tests/tools/read-storm
[[ -x $STORM_BIN ]] || { echo "1..0 # SKIP read-storm is not built"; exit 77; }

trap on_exit EXIT
trap 'exit 130' INT TERM

installed() {
        meson introspect --installed "$BUILD_DIR" |
                jq -r --arg n "/$1" 'to_entries[] | select(.key | endswith($n)) | .value' | head -n1
}
prop() { sbx systemctl show -P "$1" "$UNIT"; }
live_dev() { findmnt -N "$SANDBOX_PID" -rn -t fuse.lxcfs -o MAJ:MIN --target "$MNT" 2>/dev/null | tail -n1; }
lxcfs_mounts() { findmnt -N "$SANDBOX_PID" -rn -t fuse.lxcfs -o TARGET | grep -cx "$MNT"; }
unit_log() { sbx journalctl -u "$UNIT" --no-pager -o cat; }
log_count() { unit_log | grep -c -- "$1"; }
# journald is asynchronous: poll a little.
journal_grep() { unit_log | grep -qE -- "$1"; }
journal_has() { wait_for 10 journal_grep "$1"; }
active() { [[ $(prop ActiveState)/$(prop SubState) == active/running ]]; }

# Wait for a main pid other than $1, active and running.
wait_new_main() {
        wait_for 30 eval '[[ $(prop MainPID) != "$1" && $(prop MainPID) != 0 ]] && active'
}

dropin() {   # dropin NAME "KEY=VALUE..." | dropin NAME (remove)
        mkdir -p "$SANDBOX_ROOT$DROPINS"
        if [[ $# -gt 1 ]]; then
                printf '[Service]\nEnvironment=%s\n' "$2" >"$SANDBOX_ROOT$DROPINS/$1.conf"
        else
                rm -f "$SANDBOX_ROOT$DROPINS/$1.conf"
        fi
        sbx systemctl daemon-reload
}

# A runc container (lib-runc.sh) running read-storm on its bound meminfo
# and stat.
runc_storm() {
        local name=$1 bundle=$T/$1 hb=$SANDBOX_ROOT$T/$1 mounts=() f
        mounts+=("$(sbx_bind "$STORM_DIR" /report rw)")
        for f in proc/meminfo proc/stat; do mounts+=("$(sbx_bind "$MNT/$f" "/$f" ro)"); done
        sbx_runc_bundle "$bundle" "$name" "/lxcfs-handover/$name" \
                '["/usr/local/bin/read-storm", "/proc/meminfo=MemTotal:", "/proc/stat=cpu "]' \
                "${mounts[@]}" || return 1
        jq --arg name "$name" '.process.env += ["READ_STORM_REPORT=/report/" + $name + ".report"]' \
                "$hb/config.json" >"$hb/config.json.new" && mv "$hb/config.json.new" "$hb/config.json" || return 1
        RUNC_NAMES+=("$name")
        sbx_runc_start "$RUNC_ROOT" "$bundle" "$name" 2>"$SANDBOX_WORK/runc-$name.start" ||
                { diag "$(cat "$SANDBOX_WORK/runc-$name.start")"; return 1; }
}

runc_stop_all() {
        local n
        for n in "${RUNC_NAMES[@]}"; do
                sbx runc --root "$RUNC_ROOT" kill "$n" TERM >/dev/null 2>&1
        done
        for n in "${RUNC_NAMES[@]}"; do
                wait_for 10 test -s "$SANDBOX_ROOT$STORM_DIR/$n.report"
                sbx runc --root "$RUNC_ROOT" delete -f "$n" >/dev/null 2>&1
        done
        RUNC_NAMES=()
}

# ------------------------------------------------------------ boot, install

if ! sandbox_boot; then
        echo "1..0 # SKIP the systemd sandbox does not boot on this host"
        exit 77
fi
diag "systemd sandbox up: host pid $SANDBOX_PID, $(sbx systemctl --version | head -n1), kernel $(uname -r)"
meson install -C "$BUILD_DIR" --no-rebuild --quiet --destdir "$SANDBOX_ROOT" >"$SANDBOX_WORK/install.log" 2>&1 ||
        { nok "meson install --destdir into the sandbox"; diag "$(cat "$SANDBOX_WORK/install.log")"; exit 1; }
install -m 0755 "$STORM_BIN" "$SANDBOX_ROOT/usr/local/bin/read-storm"
sbx systemctl daemon-reload
[[ -z $(prop FragmentPath) ]] && sbx systemctl link "$(installed lxcfs.service)" >/dev/null
mkdir -p "$SANDBOX_ROOT$T"

sbx timeout 60 systemctl start "$UNIT"
check "lxcfs.service is active/running" active
DEV=$(live_dev)
check "a fuse.lxcfs mount is at $MNT ($DEV)" test -n "$DEV"
check_eq "the fd store holds the connection and its state" "$(prop NFileDescriptorStore)" 2
status=$(prop StatusText)
check "STATUS= says the mount was made afresh: $status" eval '[[ $status == *"mounted afresh"* ]]'

# ------------------------------------------------- the storm: 3 restarts, 2 kills

for (( i = 1; i <= N_NS; i++ )); do
        storm_start "ns$i" /usr/local/bin/read-storm "$MNT"
done
if command -v runc >/dev/null; then
        for i in 1 2; do check "runc container storm-$i reads in a loop" runc_storm "storm-$i"; done
else
        skip "runc containers" "runc is not installed"
fi
sleep 1
resumed0=$(log_count "Resumed $MNT from pid")
events=()
for (( i = 1; i <= 3; i++ )); do
        pid=$(prop MainPID)
        sbx timeout 60 systemctl restart "$UNIT"
        events+=("restart $i: rc $? (pid $pid -> $(prop MainPID))")
        sleep 0.5
done
for (( i = 1; i <= 2; i++ )); do
        pid=$(prop MainPID)
        sbx kill -KILL "$pid"
        wait_new_main "$pid"
        events+=("SIGKILL $i: pid $pid -> $(prop MainPID)")
        sleep 0.5
done
diag "$(printf '%s\n' "${events[@]}")"
storm_stop
(( ${#RUNC_NAMES[@]} )) && runc_stop_all
read -r reads failed wrong stall n <<<"$(storm_totals)"
diag "$(storm_reports)"
want_readers=$N_NS
command -v runc >/dev/null && want_readers=$((N_NS + 2))
check_eq "every reader reported" "$n" "$want_readers"
check "readers read (reads: $reads)" test "${reads:-0}" -gt $((want_readers * 10))
check_eq "storm across 3 restarts and 2 SIGKILLs: failed reads" "$failed" 0
check_eq "storm: wrong contents" "$wrong" 0
diag "longest stall of any reader: $stall ms"
check_eq "the mount is the same device after 5 handovers" "$(live_dev)" "$DEV"
check_eq "one fuse.lxcfs mount at $MNT" "$(lxcfs_mounts)" 1
wait_for 10 eval '(( $(log_count "Resumed $MNT from pid") - resumed0 >= 5 ))'
check_eq "journal: 5 starts resumed the connection" $(( $(log_count "Resumed $MNT from pid") - resumed0 )) 5
status=$(prop StatusText)
check "STATUS= names the previous pid: $status" eval '[[ $status == *"resumed from pid "* ]]'
check_eq "journal: lxcfs-remount found nothing to heal" \
        "$(unit_log | grep -E '^Rebound [0-9]+ ' | grep -vc '^Rebound 0 ')" 0

# ------------------------------------------------- requests in flight at SIGKILL

# in_flight_case NAME: a reader blocked on a request the daemon read and
# never answers (hook), then SIGKILL: the reader's cat completes.
in_flight_case() {
        local what=$1 pid out
        dropin hang "LXCFS_TEST_HANG_OPEN=proc/swaps LXCFS_TEST_HANG_TRIGGER=$T/hang $2"
        sbx timeout 60 systemctl restart "$UNIT"
        pid=$(prop MainPID)
        sbx touch "$T/hang"
        rm -f "$SANDBOX_ROOT$T/swaps.out"
        sbx systemd-run --quiet --unit=lxcfs-hang-reader sh -c "cat $MNT/proc/swaps >$T/swaps.out 2>&1; echo rc=\$? >>$T/swaps.out"
        wait_for 10 eval '[[ ! -e $SANDBOX_ROOT$T/hang ]]'
        sleep 0.3
        check "$what: the reader is blocked on the hung request" eval '[[ ! -s $SANDBOX_ROOT$T/swaps.out ]]'
        sbx kill -KILL "$pid"
        wait_new_main "$pid"
        wait_for 10 eval 'grep -q "^rc=" "$SANDBOX_ROOT$T/swaps.out"'
        out=$(cat "$SANDBOX_ROOT$T/swaps.out" 2>/dev/null)
        check "$what: the blocked read completes after SIGKILL: $(head -c 60 <<<"$out" | tr '\n' ' ')" \
                eval '[[ $out == Filename* && $out == *rc=0 ]]'
        sbx systemctl reset-failed lxcfs-hang-reader >/dev/null 2>&1
}

if grep -q "resent by the kernel" <<<"$(unit_log)"; then
        in_flight_case "kernel resend" ""
        check "journal: 1 request resent" journal_has "Resumed $MNT from pid [0-9]+; 1 request resent"
else
        skip "kernel resend of a request in flight" "kernel $(uname -r) has no FUSE_NOTIFY_RESEND"
        skip "journal: 1 request resent" "kernel without FUSE_NOTIFY_RESEND"
fi
in_flight_case "journal replay" "LXCFS_TEST_NO_RESEND=1"
check "journal: 1 request replayed" journal_has "; 1 request replayed from the journal"
dropin hang

# SIGSTOP: the reader's request waits in the kernel's queue, unread.
sbx timeout 60 systemctl restart "$UNIT"
pid=$(prop MainPID)
sbx kill -STOP "$pid"
rm -f "$SANDBOX_ROOT$T/stopped.out"
sbx systemd-run --quiet --unit=lxcfs-stopped-reader sh -c "head -n1 $MNT/proc/meminfo >$T/stopped.out 2>&1; echo rc=\$? >>$T/stopped.out"
sleep 0.5
check "SIGSTOP: the reader waits" eval '[[ ! -s $SANDBOX_ROOT$T/stopped.out ]]'
sbx kill -KILL "$pid"
wait_new_main "$pid"
wait_for 10 eval 'grep -q "^rc=" "$SANDBOX_ROOT$T/stopped.out"'
out=$(cat "$SANDBOX_ROOT$T/stopped.out" 2>/dev/null)
check "SIGSTOP then SIGKILL: the read completes: $(tr '\n' ' ' <<<"$out")" eval '[[ $out == MemTotal:* && $out == *rc=0 ]]'
check_eq "the mount is still the same device" "$(live_dev)" "$DEV"

# ------------------------------------------------- mirrored host entries
# A shell whose cwd is the host mirror's cpu0/topology, with core_id open,
# across a restart: the new process never gave those inodes out and finds
# their paths again (the inode is the hash of the path).
CPU0=$MNT/sys/devices/system/cpu/cpu0/topology
if [[ -r /sys/devices/system/cpu/cpu0/topology/core_id ]]; then
        rm -f "$SANDBOX_ROOT$T"/cpudir.*
        sbx systemd-run --quiet --unit=lxcfs-cpudir-reader sh -c "cd $CPU0 && exec 3<core_id && touch $T/cpudir.ready &&
                while [ ! -e $T/cpudir.go ]; do sleep 0.1; done; { cat core_id; cat <&3; echo rc=\$?; } >$T/cpudir.out 2>&1"
        wait_for 10 eval '[[ -e $SANDBOX_ROOT$T/cpudir.ready ]]'
        pid=$(prop MainPID)
        sbx timeout 60 systemctl restart "$UNIT"
        wait_new_main "$pid"
        sbx touch "$T/cpudir.go"
        wait_for 10 eval 'grep -q "^rc=" "$SANDBOX_ROOT$T/cpudir.out"'
        core=$(cat /sys/devices/system/cpu/cpu0/topology/core_id)
        check_eq "cpu0/topology, cwd and open file kept across a handover: both reads" \
                "$(cat "$SANDBOX_ROOT$T/cpudir.out" 2>/dev/null)" "$core
$core
rc=0"
        check_eq "still the same mount" "$(live_dev)" "$DEV"
        sbx systemctl reset-failed lxcfs-cpudir-reader >/dev/null 2>&1
else
        skip "cpu0/topology across a handover" "no /sys/devices/system/cpu/cpu0/topology"
        skip "still the same mount" "no /sys/devices/system/cpu/cpu0/topology"
fi

# ------------------------------------------------- crash loop

for (( i = 1; i <= 8; i++ )); do
        pid=$(prop MainPID)
        sbx kill -KILL "$pid"
        wait_new_main "$pid" || break
done
check "8 SIGKILLs in a row: active again" active
check_eq "crash loop: the same mount (the start limit did not empty the fd store)" "$(live_dev)" "$DEV"
check_eq "crash loop: the fd store still holds 2 fds" "$(prop NFileDescriptorStore)" 2

# ------------------------------------------------- fallbacks

# fallback_case WHAT: with a reader namespace, the next start cannot
# resume; the old connection is aborted, a fresh mount made, and the
# reader healed by lxcfs-remount.
fallback_case() {
        local what=$1 pid dev_before dev_after out
        pid=$(prop MainPID)
        dev_before=$(live_dev)
        "${@:2}" "$pid"
        wait_new_main "$pid"
        wait_for 10 eval '[[ $(live_dev) != "$dev_before" ]]'
        dev_after=$(live_dev)
        check "$what: a fresh mount ($dev_before -> $dev_after)" eval '[[ -n $dev_after && $dev_after != "$dev_before" ]]'
        check_eq "$what: one fuse.lxcfs mount at $MNT" "$(lxcfs_mounts)" 1
        check "$what: STATUS= says mounted afresh" eval '[[ $(prop StatusText) == *"mounted afresh"* ]]'
        wait_for 10 eval 'out=$(sbx nsenter -t "$(cat $SANDBOX_ROOT$T/holder.pid)" -m head -n1 /proc/meminfo 2>&1); [[ $out == MemTotal:* ]]'
        check "$what: the reader namespace reads again after lxcfs-remount: $out" eval '[[ $out == MemTotal:* ]]'
}

# A script file: systemd would expand the "$" of an inline one.
printf 'mount --bind %s/proc/meminfo /proc/meminfo && umount -l %s && echo $$ >%s/holder.pid && exec sleep infinity\n' \
        "$MNT" "$MNT" "$T" >"$SANDBOX_ROOT$T/holder.sh"
sbx systemd-run --quiet --unit=lxcfs-holder unshare -m --propagation private sh "$T/holder.sh"
wait_for 10 test -s "$SANDBOX_ROOT$T/holder.pid"

kill_with_no_carry() { dropin carry "LXCFS_TEST_NO_RESEND=1 LXCFS_TEST_NO_REPLAY=1"; sbx kill -KILL "$1"; }
fallback_case "no resend, no replay" kill_with_no_carry
check "journal: why the connection was not resumed" \
        journal_has "cannot be answered \(no kernel resend, journal replay off\)"
dropin carry

corrupt_state() { sbx_corrupt_handover_state "$1" && sbx kill -KILL "$1"; }
DEV=$(live_dev)
fallback_case "corrupt saved state" corrupt_state
check "journal: the saved state is unusable" journal_has "saved connection state is unusable"
sbx systemctl stop lxcfs-holder >/dev/null 2>&1

# ------------------------------------------------- stop, start

sbx timeout 60 systemctl stop "$UNIT"
check_eq "stop: no fuse.lxcfs mount is left at $MNT" "$(lxcfs_mounts)" 0
check_eq "stop: the fd store is empty" "$(prop NFileDescriptorStore)" 0
sbx timeout 60 systemctl start "$UNIT"
check "start after stop: active" active
check "start after stop: mounted afresh" eval '[[ $(prop StatusText) == *"mounted afresh"* ]]'
check_eq "start after stop: one mount" "$(lxcfs_mounts)" 1

tap_finish
