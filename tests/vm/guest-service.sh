#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the test VM (tests/vm/vmtest): lxcfs.service on a real cgroup
# v2 host with systemd as PID 1. The build tree's installed files are copied
# to their install paths (the VM disk is a throw-away snapshot), then the
# unit is started, restarted, killed and stopped and the journal is read:
# restart and kill -9 hand the FUSE connection on (same mount device, the
# journal says "Resumed"), stop unmounts and empties the fd store.
# The namespace sandbox (tests/sandbox) covers the same and more on the
# build host; this checks what only a real v2 host with every controller
# shows: the layout and controllers in the status and the journal.
: "${BUILD_DIR:?}" "${SOURCE_DIR:?}"
source "$SOURCE_DIR/tests/integration/lib.sh"
require_root
[[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]] || skip_all "/sys/fs/cgroup is not cgroup2"
[[ -d /run/systemd/system ]] || skip_all "systemd is not PID 1"
command -v python3 >/dev/null || skip_all "no python3 to read meson's install list"

MNT=/var/lib/lxcfs
UNIT=lxcfs.service

# The guest has no meson: read the list meson writes for `meson install`.
install_build_tree() {
        python3 - "$BUILD_DIR/meson-info/intro-installed.json" <<'EOF'
import json, os, shutil, sys
for src, dst in json.load(open(sys.argv[1])).items():
    if not os.path.isfile(src):
        continue
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copy2(src, dst)
    print(dst)
EOF
}

prop() { systemctl show -P "$1" "$UNIT"; }
state() { echo "$(prop ActiveState)/$(prop SubState)"; }
serving() { [[ -n $(timeout 10 head -c 64 "$MNT/proc/uptime" 2>/dev/null) ]]; }
lxcfs_mounts() { findmnt -rn -t fuse.lxcfs -o TARGET | grep -cx "$MNT"; }
live_dev() { findmnt -rn -t fuse.lxcfs -o MAJ:MIN --target "$MNT" 2>/dev/null | tail -n1; }
unit_log() { journalctl -u "$UNIT" --no-pager -o cat "$@"; }
journal_grep() { unit_log | grep -qE -- "$1"; }
wait_for() {
        local deadline=$(( SECONDS + $1 )); shift
        until "$@"; do (( SECONDS < deadline )) || return 1; sleep 0.1; done
}
# journal_has DESCRIPTION PATTERN: a matching line shows up (journald is async)
journal_has() {
        JOURNAL_PATTERN=$2
        if wait_for 20 eval 'unit_log | grep -qE -- "$JOURNAL_PATTERN"'; then
                pass "$1"; diag "$(unit_log | grep -E -- "$2" | tail -n 1)"
        else
                fail "$1"; diag "$(unit_log | tail -n 15)"
        fi
}

installed=$(install_build_tree) || { fail "install the build tree"; finish; exit; }
pass "install the build tree ($(wc -l <<<"$installed") files)"
UNIT_PATH=$(grep "/$UNIT\$" <<<"$installed")
LXCFS_PATH=$(grep '/bin/lxcfs$' <<<"$installed")
systemctl daemon-reload
[[ -n $(prop FragmentPath) ]] || systemctl link "$UNIT_PATH" >/dev/null
at_exit "systemctl stop $UNIT"

out=$(systemd-analyze verify --man=no "$UNIT_PATH" 2>&1)
rc=$?
ok "systemd-analyze verify accepts the unit" eval '[[ $rc == 0 ]] && ! grep -q lxcfs <<<"$out"'
[[ -n $out ]] && diag "$out"

timeout 300 systemctl start "$UNIT"
ok "systemctl start returns with the mount serving" serving
expect_eq "active/running" "$(state)" "active/running"
PID_A=$(prop MainPID)
DEV=$(live_dev)
expect_eq "MainPID is the daemon" "$(readlink "/proc/$PID_A/exe")" "$LXCFS_PATH"
status=$(prop StatusText)
diag "StatusText: $status"
ok "StatusText: mounted afresh, v2 layout" grep -qE "^Serving $MNT \([0-9]+ files[^;]*; mounted afresh; cgroup layout v2, " <<<"$status"
ok "StatusText lists the v2 controllers" grep -qE "controllers: .*memory.*cpu" <<<"$status"
journal_has "journal: the fresh mount sentence" \
        "^Mounted lxcfs at $MNT afresh \(fuse.lxcfs, cgroup layout v2, controllers: .*\)\.$"
expect_eq "the fd store holds the connection and its state" "$(prop NFileDescriptorStore)" 2
layout=$(unit_log -o json "LXCFS_MOUNTPOINT=$MNT" | python3 -c '
import json, sys
print(next((json.loads(l).get("LXCFS_CGROUP_LAYOUT", "") for l in sys.stdin
            if "LXCFS_CGROUP_LAYOUT" in l), ""))')
expect_eq "journal entries carry LXCFS_CGROUP_LAYOUT=v2" "$layout" v2
expect_eq "the service shares PID 1's mount namespace" \
        "$(readlink "/proc/$PID_A/ns/mnt")" "$(readlink /proc/1/ns/mnt)"

# Kernels before 6.9 have no FUSE_NOTIFY_RESEND: what a killed daemon had
# read is replayed from its journal (Debian 12 boots 6.1).
if journal_grep "in-flight requests at a crash: resent by the kernel"; then
        CARRY="resent"
else
        CARRY="replayed from the journal"
fi
diag "in-flight requests at a crash: $CARRY (kernel $(uname -r))"

timeout 300 systemctl restart "$UNIT"
ok "systemctl restart returns with the mount serving" serving
PID_B=$(prop MainPID)
ok "restart: a new daemon ($PID_A -> $PID_B)" eval '[[ $PID_B != "$PID_A" && $PID_B != 0 ]]'
expect_eq "restart: the same mount (device $DEV)" "$(live_dev)" "$DEV"
journal_has "journal: the old daemon handed the connection over" "^Handed $MNT over: "
journal_has "journal: the new daemon resumed it" "^Resumed $MNT from pid $PID_A; [0-9]+ requests? "
ok "StatusText: resumed from pid $PID_A" grep -qE "^Serving $MNT \([0-9]+ files[^;]*; resumed from pid $PID_A, " <<<"$(prop StatusText)"

# A crash: Restart=on-failure brings the next daemon up on its own, and it
# takes the connection over from the fd store.
[[ $PID_B =~ ^[1-9][0-9]*$ ]] && kill -KILL "$PID_B"
if wait_for 30 eval '[[ $(prop MainPID) != "$PID_B" && $(prop MainPID) != 0 && $(state) == active/running ]]'; then
        pass "kill -9: systemd restarts the daemon ($PID_B -> $(prop MainPID))"
else
        fail "kill -9: systemd restarts the daemon"
        diag "state $(state), MainPID $(prop MainPID), NRestarts $(prop NRestarts)"
        diag "$(systemctl status --no-pager "$UNIT" 2>&1)"
fi
ok "kill -9: the mount serves" serving
expect_eq "kill -9: exactly one lxcfs mount" "$(lxcfs_mounts)" 1
expect_eq "kill -9: the same mount (device $DEV)" "$(live_dev)" "$DEV"
journal_has "journal: resumed from the killed pid, requests $CARRY" \
        "^Resumed $MNT from pid $PID_B; [0-9]+ requests? $CARRY\.$"
expect_eq "kill -9: the fd store still holds 2 fds" "$(prop NFileDescriptorStore)" 2

timeout 300 systemctl stop "$UNIT"
expect_eq "stop: inactive, Result=success" "$(state) $(prop Result)" "inactive/dead success"
expect_eq "stop: no fuse.lxcfs mount is left" "$(lxcfs_mounts)" 0
expect_eq "stop: the fd store is empty" "$(prop NFileDescriptorStore)" 0
journal_has "journal: the stop sentence" "^Unmounted $MNT; exiting\.$"
timeout 300 systemctl start "$UNIT"
ok "start after stop: mounted afresh" grep -qE "^Serving $MNT \([0-9]+ files[^;]*; mounted afresh; " <<<"$(prop StatusText)"
expect_eq "start after stop: one lxcfs mount" "$(lxcfs_mounts)" 1
timeout 300 systemctl stop "$UNIT"

diag "----- journalctl -u lxcfs -----"
diag "$(journalctl -u "$UNIT" --no-pager -o short)"
finish
