#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the test VM (tests/vm/vmtest): the .deb on a real cgroup v2
# host. dpkg -i starts lxcfs.service; a reader started with
# `systemd-run -p MemoryMax=256M` binds the lxcfs meminfo over its own
# /proc/meminfo (its own mount namespace, like a container) and reads it in
# a loop; it must see 256 MiB before and after `systemctl restart lxcfs`
# (lxcfs-remount heals its bind). Then the package is purged.
# The .deb comes from the packaging suite (tests/packaging/deb.sh leaves it
# in $BUILD_DIR/packaging-test/deb/v1); without it: skip.
: "${BUILD_DIR:?}" "${SOURCE_DIR:?}"
export LXCFS_BIN=${LXCFS_BIN:-$BUILD_DIR/src/daemon/lxcfs}
source "$SOURCE_DIR/tests/integration/lib.sh"
require_root
[[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]] || skip_all "/sys/fs/cgroup is not cgroup2"
[[ -d /run/systemd/system ]] || skip_all "systemd is not PID 1"
DEB=$(ls "$BUILD_DIR"/packaging-test/deb/v1/lxcfs_*.deb 2>/dev/null | head -n1)
[[ -f $DEB ]] || skip_all "no .deb in $BUILD_DIR/packaging-test/deb/v1 (run the packaging suite first)"

MNT=/var/lib/lxcfs
UNIT=lxcfs.service
READER=lxcfs-pkgtest-reader
OUTDIR=/run/lxcfs-pkgtest
WANT_KB=$(( 256 * 1024 ))

wait_for() {
        local deadline=$(( SECONDS + $1 )); shift
        until "$@"; do (( SECONDS < deadline )) || return 1; sleep 0.2; done
}
reader_kb() { awk '/^MemTotal:/ { print $2 }' "$OUTDIR/out" 2>/dev/null; }
reader_line() { cat "$OUTDIR/out" 2>/dev/null; }

at_exit "systemctl stop $READER.service; dpkg --purge lxcfs; rm -rf $OUTDIR"

out=$(dpkg -i "$DEB" 2>&1)
ok "dpkg -i $(basename "$DEB")" test $? -eq 0
diag "$out"
expect_eq "lxcfs.service is enabled" "$(systemctl is-enabled $UNIT 2>&1)" enabled
expect_eq "lxcfs.service is active" "$(systemctl is-active $UNIT 2>&1)" active
status=$(systemctl show -P StatusText $UNIT)
diag "StatusText: $status"
ok "it serves with the v2 layout" grep -q "cgroup layout v2" <<<"$status"

# The reader writes what it read to OUTDIR/out every 0.2 s. No '$' in the
# command: systemd-run would expand it.
mkdir -p "$OUTDIR"
systemd-run --unit "$READER" -p MemoryMax=256M -q \
        -p BindReadOnlyPaths="$MNT/proc/meminfo:/proc/meminfo" \
        sh -c "while :; do grep MemTotal: /proc/meminfo >$OUTDIR/new 2>&1; mv $OUTDIR/new $OUTDIR/out; sleep 0.2; done"
wait_for 20 eval '[[ -n $(reader_kb) ]]'
expect_eq "a MemoryMax=256M reader sees MemTotal 256 MiB" "$(reader_kb)" "$WANT_KB"
diag "reader: $(reader_line)"

pid_a=$(systemctl show -P MainPID $UNIT)
timeout 120 systemctl restart $UNIT
ok "systemctl restart lxcfs" test $? -eq 0
ok "a new daemon serves" eval '[[ $(systemctl show -P MainPID $UNIT) != "$pid_a" && $(systemctl is-active $UNIT) == active ]]'
journal=$(journalctl -u $UNIT --no-pager -o cat | grep Rebound | tail -n1)
diag "$journal"
# Two fresh reads after the restart returned.
rm -f "$OUTDIR/out"
wait_for 20 eval '[[ -s $OUTDIR/out ]]'
sleep 0.5
expect_eq "after the restart the reader still sees 256 MiB" "$(reader_kb)" "$WANT_KB"
diag "reader: $(reader_line)"

systemctl stop "$READER.service"
out=$(dpkg --purge lxcfs 2>&1)
ok "dpkg --purge lxcfs" test $? -eq 0
expect_eq "no fuse.lxcfs mount is left" "$(findmnt -rn -t fuse.lxcfs | wc -l)" 0
expect_eq "no lxcfs process is left" "$(pgrep -c '^lxcfs')" 0
finish
