#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the test VM (tests/vm/vmtest): lxcfs.service on a real cgroup
# v2 host with systemd as PID 1. The build tree's installed files are copied
# to their install paths (the VM disk is a throw-away snapshot), then the
# unit is started, restarted, killed and stopped and the journal is read.
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
unit_log() { journalctl -u "$UNIT" --no-pager -o cat "$@"; }
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
expect_eq "MainPID is the daemon" "$(readlink "/proc/$PID_A/exe")" "$LXCFS_PATH"
status=$(prop StatusText)
diag "StatusText: $status"
ok "StatusText names the mountpoint and the v2 layout" grep -q "^Serving $MNT (cgroup layout v2, " <<<"$status"
ok "StatusText lists the v2 controllers" grep -qE "controllers: .*memory.*cpu" <<<"$status"
journal_has "journal: the ready sentence" "^Serving $MNT \(cgroup layout v2, controllers: .*\); ready\.$"
layout=$(unit_log -o json "LXCFS_MOUNTPOINT=$MNT" | python3 -c '
import json, sys
print(next((json.loads(l).get("LXCFS_CGROUP_LAYOUT", "") for l in sys.stdin
            if "LXCFS_CGROUP_LAYOUT" in l), ""))')
expect_eq "journal entries carry LXCFS_CGROUP_LAYOUT=v2" "$layout" v2
expect_eq "the service shares PID 1's mount namespace" \
        "$(readlink "/proc/$PID_A/ns/mnt")" "$(readlink /proc/1/ns/mnt)"

timeout 300 systemctl restart "$UNIT"
ok "systemctl restart returns with the new mount serving" serving
PID_B=$(prop MainPID)
ok "restart: a new daemon ($PID_A -> $PID_B)" eval '[[ $PID_B != "$PID_A" && $PID_B != 0 ]]'

[[ $PID_B =~ ^[1-9][0-9]*$ ]] && kill -KILL "$PID_B"
wait_for 30 eval '[[ $(prop MainPID) != "$PID_B" ]]'
timeout 300 systemctl start "$UNIT"
ok "kill -9 then start: a new daemon serves" eval '[[ $(state) == active/running ]] && serving'
expect_eq "kill -9 then start: exactly one lxcfs mount" "$(lxcfs_mounts)" 1
journal_has "journal: the stale mount was detached" "^Detached the stale lxcfs mount at $MNT"

timeout 300 systemctl stop "$UNIT"
expect_eq "stop: inactive, Result=success" "$(state) $(prop Result)" "inactive/dead success"
expect_eq "stop: no fuse.lxcfs mount is left" "$(lxcfs_mounts)" 0
journal_has "journal: the stop sentence" "^Unmounted $MNT; exiting\.$"

diag "----- journalctl -u lxcfs -----"
diag "$(journalctl -u "$UNIT" --no-pager -o short)"
finish
