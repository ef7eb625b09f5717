#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# lxcfs.service under a real systemd (PID 1 of a namespace sandbox, see
# lib.sh): the build tree is installed into the sandbox with
# `meson install --destdir`, then the unit is started, restarted, killed,
# broken and stopped, and what systemd and the journal say is checked.
# Prints TAP. Needs root; exits 77 (skip) otherwise.
#
# Env: BUILD_DIR (meson build tree, required), SANDBOX_KEEP_CONSOLE=1.
set -uo pipefail

here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/sandbox/lib.sh
source "$here/lib.sh"

MNT=/var/lib/lxcfs
UNIT=lxcfs.service
DROPINS=/run/systemd/system/$UNIT.d
PROBE_DIR=/run/lxcfs-test


on_exit() {
        local rc=$?
        if (( TAP_FAILED > 0 )); then
                diag "----- journal of the sandbox (tail) -----"
                sandbox_journal_tail 80
        fi
        sandbox_teardown
        exit $rc
}

sandbox_require systemd-analyze jq
: "${BUILD_DIR:?BUILD_DIR not set (run through meson test)}"

trap on_exit EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- helpers

prop() { sbx systemctl show -P "$1" "$UNIT"; }
state() { echo "$(prop ActiveState)/$(prop SubState)"; }

# One read of a file of the mount, from inside the sandbox, no retry.
serving() { [[ -n $(sbx timeout 10 head -c 64 "$MNT/proc/uptime" 2>/dev/null) ]]; }

# fuse.lxcfs mounts at MNT as seen by the sandbox's PID 1.
lxcfs_mounts() { findmnt -N "$SANDBOX_PID" -rn -t fuse.lxcfs -o TARGET | grep -cx "$MNT"; }
mounted() { (( $(lxcfs_mounts) >= 1 )); }


# Journal lines of the unit, in full. Entries are compared by count, not by
# cursor: journald stamps each entry on arrival from several sockets, and a
# daemon line can land ahead of the "Starting" line that came before it.
unit_log() { sbx journalctl -u "$UNIT" --no-pager -o cat "$@"; }

# mark: remember the unit's journal as it is now; returns the file name.
mark() {
        local f
        f=$(mktemp "$SANDBOX_WORK/mark.XXXXXX")
        unit_log >"$f"
        echo "$f"
}

# journal_has DESCRIPTION MARK PATTERN: a line matching PATTERN (grep -E)
# appeared since MARK. journald writes asynchronously: poll a few seconds.
journal_has() {
        local desc=$1 before=$2 pattern=$3 n0
        n0=$(grep -cE -- "$pattern" "$before")
        if wait_for 10 eval '(( $(unit_log | grep -cE -- "$pattern") > n0 ))'; then
                ok "$desc"
                diag "$(unit_log | grep -E -- "$pattern" | tail -n 1)"
        else
                nok "$desc"
                diag "no new journal line matches: $pattern"
                diag "$(unit_log | tail -n 15)"
        fi
}

dropin() {   # dropin NAME CONTENT: add a runtime drop-in and reload
        mkdir -p "$SANDBOX_ROOT$DROPINS"
        printf '[Service]\n%s\n' "$2" >"$SANDBOX_ROOT$DROPINS/$1.conf"
        sbx systemctl daemon-reload
}
dropin_remove() {
        rm -f "$SANDBOX_ROOT$DROPINS/$1.conf"
        sbx systemctl daemon-reload
}

main_is_lxcfs() {
        local pid=$1
        [[ $pid != 0 && $(sbx readlink "/proc/$pid/exe") == "$LXCFS_PATH" ]]
}

# ------------------------------------------------------------ boot, install

if ! sandbox_boot; then
        echo "1..0 # SKIP the systemd sandbox does not boot on this host"
        exit 77
fi
diag "systemd sandbox up: host pid $SANDBOX_PID, $(sbx systemctl --version | head -n1)"

if ! meson install -C "$BUILD_DIR" --no-rebuild --quiet --destdir "$SANDBOX_ROOT" >"$SANDBOX_WORK/install.log" 2>&1; then
        nok "meson install --destdir into the sandbox"
        diag "$(cat "$SANDBOX_WORK/install.log")"
        exit 1
fi
ok "meson install --destdir into the sandbox"

installed() {   # installed NAME: where meson installed a file whose name ends in NAME
        meson introspect --installed "$BUILD_DIR" |
                jq -r --arg n "/$1" 'to_entries[] | select(.key | endswith($n)) | .value' | head -n1
}
UNIT_PATH=$(installed lxcfs.service)
LXCFS_PATH=$(installed daemon/lxcfs)
REMOUNT_PATH=$(installed lxcfs-remount)
sbx systemctl daemon-reload
if [[ -z $(prop FragmentPath) ]]; then
        # A --prefix systemd does not search: link the unit in by hand.
        sbx systemctl link "$UNIT_PATH" >/dev/null
fi
check_eq "systemd loads the installed unit" "$(prop LoadState)" loaded
mkdir -p "$SANDBOX_ROOT$PROBE_DIR"

# ----------------------------------------------------------------- verify

verify_args=(--man=no)
[[ -n $(installed man8/lxcfs.8) ]] && verify_args=(--man=yes)
out=$(sbx systemd-analyze verify "${verify_args[@]}" "$UNIT_PATH" 2>&1)
rc=$?
if [[ $rc == 0 ]] && ! grep -q "lxcfs" <<<"$out"; then
        ok "systemd-analyze verify ${verify_args[*]} accepts $UNIT_PATH"
else
        nok "systemd-analyze verify ${verify_args[*]} accepts $UNIT_PATH"
        diag "rc=$rc: $out"
fi
[[ ${verify_args[0]} == --man=no ]] && diag "lxcfs.8 is not installed: Documentation= not checked"

check_eq "Type=notify, Restart=on-failure, OOMScoreAdjust=-1000" \
        "$(prop Type) $(prop Restart) $(prop OOMScoreAdjust)" "notify on-failure -1000"
before=$(prop Before)
for u in containerd docker crio podman lxc kubelet; do
        grep -qw "$u.service" <<<"$before" || { nok "ordered before $u.service"; diag "Before=$before"; }
done
ok "ordered Before= the container runtimes and kubelet"

out=$(sbx systemctl enable "$UNIT" 2>&1)
check "systemctl enable links it into multi-user.target" \
        test -L "$SANDBOX_ROOT/etc/systemd/system/multi-user.target.wants/$UNIT"
sbx systemctl disable --quiet "$UNIT"

# ------------------------------------------- readiness waits for the mount

# strace holds every thread's first read of /dev/fuse for 3 s: the mount
# exists at once, but the kernel's FUSE handshake (and every request) waits.
# A READY=1 sent when the mount is made rather than when it answers would
# show up here as "active" while the mount does not serve yet.
if sbx sh -c 'command -v strace' >/dev/null; then
        dropin slow-handshake "NotifyAccess=all
ExecStart=
ExecStart=/usr/bin/strace -f -qq -o /dev/null -P /dev/fuse -e trace=read -e inject=read:delay_enter=3000000:when=1 $LXCFS_PATH $MNT"
        sbx systemctl start --no-block "$UNIT"
        if wait_for 10 mounted; then
                check_eq "while the handshake is held: mounted but still activating" "$(state)" "activating/start"
        else
                nok "while the handshake is held: mounted but still activating"
                diag "no fuse.lxcfs mount appeared at $MNT"
        fi
        sbx timeout 60 systemctl start "$UNIT"
        s=$(state)
        if [[ $s == active/running ]] && serving; then
                ok "after the handshake: active, and the mount serves"
        else
                nok "after the handshake: active, and the mount serves"; diag "state $s"
                diag "$(findmnt -N "$SANDBOX_PID" -t fuse.lxcfs; sbx stat "$MNT" 2>&1)"
        fi
        sbx systemctl stop "$UNIT"
        dropin_remove slow-handshake
else
        skip "while the handshake is held: mounted but still activating" "strace not installed"
        skip "after the handshake: active, and the mount serves" "strace not installed"
fi

# ---------------------------------------------------------------- start

# Each ExecStartPost= run records what it read from the mount, by MAINPID.
dropin probe "ExecStartPost=/bin/sh -c 'head -c 64 $MNT/proc/uptime >$PROBE_DIR/post.\$MAINPID'"
c0=$(mark)
sbx timeout 60 systemctl start "$UNIT"
check "systemctl start returns with the mount serving" serving
check_eq "active/running" "$(state)" "active/running"
PID_A=$(prop MainPID)
check "MainPID ($PID_A) is the daemon" main_is_lxcfs "$PID_A"
status=$(prop StatusText)
check "StatusText names the mountpoint: '$status'" grep -q "Serving $MNT" <<<"$status"
n_files=$(sbx "$LXCFS_PATH" --list-files | wc -l)
check "StatusText counts the files of the table ($n_files)" grep -q "Serving $MNT ($n_files files; " <<<"$status"
check "ExecStartPost ran after READY=1 (it read the mount)" test -s "$SANDBOX_ROOT$PROBE_DIR/post.$PID_A"
if [[ -n $REMOUNT_PATH ]]; then
        post=$(prop ExecStartPost)
        check "ExecStartPost lxcfs-remount ran and succeeded" \
                grep -qE "path=$REMOUNT_PATH .*code=exited ; status=0 }" <<<"$post"
        grep -q "path=$REMOUNT_PATH" <<<"$post" || diag "$post"
else
        skip "ExecStartPost lxcfs-remount ran and succeeded" "lxcfs-remount is not built yet"
fi
journal_has "journal: the mount sentence" "$c0" "^Mounted lxcfs at $MNT "
journal_has "journal: the mount sentence with the cgroup layout" "$c0" "^Mounted lxcfs at $MNT afresh \(fuse.lxcfs, cgroup layout [a-z0-9]+, controllers: .*\)\.$"
out=$(unit_log "LXCFS_MOUNTPOINT=$MNT")
if grep -q "^Mounted lxcfs at $MNT" <<<"$out" && ! grep -q "^Started " <<<"$out"; then
        ok "journalctl -u lxcfs LXCFS_MOUNTPOINT=$MNT selects the daemon's lines"
else
        nok "journalctl -u lxcfs LXCFS_MOUNTPOINT=$MNT selects the daemon's lines"; diag "$out"
fi
layout=$(unit_log -o json "LXCFS_MOUNTPOINT=$MNT" | jq -r 'select(.LXCFS_CGROUP_LAYOUT) | .LXCFS_CGROUP_LAYOUT' | tail -n1)
check "entries carry LXCFS_CGROUP_LAYOUT ($layout)" test -n "$layout"
# journalctl -o json shows a field given twice as an array: the daemon's own
# CODE_FILE/CODE_LINE must be the only ones, with the path from the source root.
code=$(unit_log -o json "LXCFS_MOUNTPOINT=$MNT" | jq -c 'select(.MESSAGE | tostring | startswith("Mounted lxcfs at"))
        | [(.CODE_FILE | type), (.CODE_FILE | tostring), (.CODE_LINE | type)]' | tail -n1)
check_eq "a journal entry has one CODE_FILE, from src/, and one CODE_LINE" \
        "$(jq -r 'if .[0] == "string" and (.[1] | startswith("src/")) and .[2] == "string" then "one" else tostring end' <<<"${code:-null}" 2>&1)" "one"

# ------------------------------------------- visible from the host side

ns_service=$(sbx readlink "/proc/$PID_A/ns/mnt")
ns_init=$(sbx readlink /proc/1/ns/mnt)
check_eq "the service runs in PID 1's mount namespace" "$ns_service" "$ns_init"
check_eq "PID 1's mount table has the fuse.lxcfs mount" "$(lxcfs_mounts)" 1
check "the host reads it through the sandbox root" grep -q MemTotal "$SANDBOX_ROOT$MNT/proc/meminfo"
check "a process outside the service reads it" sbx sh -c "grep -q MemTotal $MNT/proc/meminfo"

# ---------------------------------------------------------------- restart

sbx timeout 60 systemctl restart "$UNIT"
check "systemctl restart returns with the new mount serving" serving
PID_B=$(prop MainPID)
check "restart: new MainPID ($PID_A -> $PID_B), still the daemon" \
        eval '[[ $PID_B != "$PID_A" ]] && main_is_lxcfs "$PID_B"'
check "restart: ExecStartPost ran after the new READY=1" test -s "$SANDBOX_ROOT$PROBE_DIR/post.$PID_B"
check_eq "restart: exactly one lxcfs mount" "$(lxcfs_mounts)" 1

# ------------------------------------------------- kill -9, then start

c1=$(mark)
# Never "kill 0" (our own process group) when the service is not running.
[[ $PID_B =~ ^[1-9][0-9]*$ ]] && sbx kill -KILL "$PID_B"
wait_for 10 eval '[[ $(prop MainPID) != "$PID_B" ]]'
sbx timeout 60 systemctl start "$UNIT"
PID_C=$(prop MainPID)
check "after kill -9 and start: active with a new daemon ($PID_C)" \
        eval '[[ $(state) == active/running && $PID_C != "$PID_B" ]] && main_is_lxcfs "$PID_C"'
check "after kill -9 and start: the mount serves" serving
check_eq "after kill -9 and start: exactly one lxcfs mount" "$(lxcfs_mounts)" 1
journal_has "journal: the new daemon resumed the connection of the killed one" "$c1" \
        "^Resumed $MNT from pid $PID_B; [0-9]+ requests? (resent|replayed from the journal)\.$"
journal_has "journal: the leftover pidfile is replaced" "$c1" "^Replacing the pidfile .* did not exit cleanly"

# --------------------- a stale mount the service did not make (daemon path)

sbx systemctl stop "$UNIT"
sbx systemd-run --quiet --unit=lxcfs-test-stale -p Type=notify "$LXCFS_PATH" -p "$PROBE_DIR/stale.pid" "$MNT"
sbx systemctl kill --signal=KILL lxcfs-test-stale.service
wait_for 10 eval '[[ $(sbx systemctl show -P ActiveState lxcfs-test-stale.service) != active ]]'
sbx systemctl reset-failed lxcfs-test-stale.service 2>/dev/null
err=$(sbx stat "$MNT" 2>&1)
check "a killed daemon outside the unit left a dead mount" grep -q "not connected" <<<"$err"
c2=$(mark)
sbx timeout 60 systemctl start "$UNIT"
check "start over that dead mount: the mount serves" serving
check_eq "start over that dead mount: exactly one lxcfs mount" "$(lxcfs_mounts)" 1
journal_has "journal: the daemon detached the stale mount" "$c2" "^Detached 1 stale FUSE mount at $MNT"

# ------------------------------------------------------------- watchdog

dropin watchdog "WatchdogSec=2s
# SIGKILL rather than the default SIGABRT: no core dump from a test.
WatchdogSignal=SIGKILL"
sbx timeout 60 systemctl restart "$UNIT"
PID_W=$(prop MainPID)
sleep 5
check "WatchdogSec=2s: still the same daemon 5 s later (pings arrive)" \
        eval '[[ $(prop MainPID) == "$PID_W" && $(state) == active/running ]]'
if sbx sh -c 'command -v strace' >/dev/null; then
        # Wedge the request loop only: every thread that next reads
        # /dev/fuse is held for 60 s; the probing thread stays free to ping.
        c3=$(mark)
        sbx sh -c "echo \$\$ >$PROBE_DIR/strace.pid; exec strace -f -qq -o /dev/null -p $PID_W \
                -P /dev/fuse -e trace=read -e inject=read:delay_enter=60000000" 2>/dev/null &
        strace_job=$!
        # Requests must be waiting for the loop to count as wedged.
        sbx systemd-run --quiet --unit=lxcfs-test-reader sh -c "while :; do cat $MNT/proc/uptime; sleep 0.2; done" >/dev/null
        journal_has "a wedged request loop is caught by the watchdog" "$c3" "Watchdog timeout"
        # A traced process that was killed is only reaped once its tracer
        # lets go: end our strace so systemd sees the daemon exit.
        strace_pid=$(cat "$SANDBOX_ROOT$PROBE_DIR/strace.pid" 2>/dev/null)
        [[ -n $strace_pid ]] && sbx kill -KILL "$strace_pid"
        wait "$strace_job" 2>/dev/null
        sbx systemctl stop lxcfs-test-reader 2>/dev/null
        wait_for 30 eval '[[ $(prop MainPID) != "$PID_W" && $(state) == active/running ]]'
        check "after the watchdog restart: a new daemon serves the mount" serving
        check_eq "after the watchdog restart: exactly one lxcfs mount" "$(lxcfs_mounts)" 1
else
        skip "a wedged request loop is caught by the watchdog" "strace not installed"
        skip "after the watchdog restart: a new daemon serves the mount" "strace not installed"
        skip "after the watchdog restart: exactly one lxcfs mount" "strace not installed"
fi
dropin_remove watchdog

# ------------------------------------------------------------------- stop

c4=$(mark)
sbx timeout 60 systemctl stop "$UNIT"
check_eq "systemctl stop exits 0" "$?" 0
check_eq "stop: inactive, Result=success" "$(state) $(prop Result)" "inactive/dead success"
check_eq "stop: no fuse.lxcfs mount is left" "$(lxcfs_mounts)" 0
journal_has "journal: the stop sentence" "$c4" "^Unmounted $MNT; exiting\.$"
check_eq "stop: the fd store is empty" "$(prop NFileDescriptorStore)" 0

# ----------------------------- failures: another live lxcfs, a bad option

sbx systemd-run --quiet --unit=lxcfs-test-live -p Type=notify "$LXCFS_PATH" -p "$PROBE_DIR/live.pid" "$MNT"
c5=$(mark)
if sbx timeout 60 systemctl start "$UNIT" 2>/dev/null; then
        nok "start fails while another lxcfs serves $MNT"
else
        ok "start fails while another lxcfs serves $MNT"
fi
journal_has "journal: the refusal says what to do" "$c5" "already served by a running lxcfs; stop it first"
check_eq "the refused start is not restarted (RestartPreventExitStatus=3)" \
        "$(state) $(prop ExecMainStatus)" "failed/failed 3"
check "the other lxcfs still serves" serving
sbx systemctl stop "$UNIT" 2>/dev/null
sbx systemctl stop lxcfs-test-live.service
sbx systemctl reset-failed "$UNIT" 2>/dev/null

dropin bad-option "ExecStart=
ExecStart=$LXCFS_PATH --no-such-option $MNT"
c6=$(mark)
if sbx timeout 60 systemctl start "$UNIT" 2>/dev/null; then
        nok "start with a bad option fails"
else
        ok "start with a bad option fails"
fi
journal_has "journal: the bad option is named" "$c6" "unrecognized option '--no-such-option'"
journal_has "journal: ... with what to do next" "$c6" "Try '.*--help'"
check_eq "a usage error is not restarted (RestartPreventExitStatus=2)" \
        "$(state) $(prop Result) $(prop ExecMainStatus)" "failed/failed exit-code 2"
check_eq "a failed start leaves no mount" "$(lxcfs_mounts)" 0
dropin_remove bad-option
sbx systemctl reset-failed "$UNIT"

# the sentences a reader of the journal gets, for the README
diag "----- journalctl -u lxcfs (whole run) -----"
diag "$(sbx journalctl -u "$UNIT" --no-pager -o short)"

tap_finish
