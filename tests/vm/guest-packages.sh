#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the test VM (tests/vm/vmtest): the .deb on a real cgroup v2
# host. dpkg -i starts lxcfs.service. Four readers, each a transient unit
# started with `systemd-run -p MemoryMax=256M` with the lxcfs meminfo and
# stat bound over its own /proc (its own mount namespace, like a
# container), loop open/read/close with tests/tools/read-storm, checking
# every content (MemTotal 256 MiB). Across 2 `systemctl restart lxcfs` and
# one kill -9 of the daemon no read may fail or be wrong: the FUSE
# connection goes from process to process through systemd's fd store, the
# mount stays the same device, and what a killed daemon had read is
# replayed from its journal (Debian 12's kernel has no FUSE resend). Then
# the package is purged.
# The .deb comes from the packaging suite (tests/packaging/deb.sh leaves it
# in $BUILD_DIR/packaging-test/deb/v1); without it: skip, or fail in CI
# (LXCFS_CI=1), where the packaging suite runs first.
: "${BUILD_DIR:?}" "${SOURCE_DIR:?}"
export LXCFS_BIN=${LXCFS_BIN:-$BUILD_DIR/src/daemon/lxcfs}
source "$SOURCE_DIR/tests/integration/lib.sh"
require_root
[[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]] || skip_all "/sys/fs/cgroup is not cgroup2"
[[ -d /run/systemd/system ]] || skip_all "systemd is not PID 1"
DEB=$(ls "$BUILD_DIR"/packaging-test/deb/v1/lxcfs_*.deb 2>/dev/null | head -n1)
if [[ ! -f $DEB ]]; then
        [[ ${LXCFS_CI:-0} == 1 ]] &&
                { echo "Bail out! no .deb in $BUILD_DIR/packaging-test/deb/v1: the packaging suite did not build it"; exit 1; }
        skip_all "no .deb in $BUILD_DIR/packaging-test/deb/v1 (run the packaging suite first)"
fi
STORM_BIN=$BUILD_DIR/tests/tools/read-storm
[[ -x $STORM_BIN ]] || { echo "Bail out! $STORM_BIN is not built"; exit 1; }

MNT=/var/lib/lxcfs
UNIT=lxcfs.service
READERS=4
OUTDIR=/run/lxcfs-vmstorm
WANT_MEMTOTAL="MemTotal: 262144 kB"     # MemoryMax=256M, spaces squeezed

wait_for() {
        local deadline=$(( SECONDS + $1 )); shift
        until "$@"; do (( SECONDS < deadline )) || return 1; sleep 0.1; done
}
prop() { systemctl show -P "$1" "$UNIT"; }
active() { [[ $(prop ActiveState)/$(prop SubState) == active/running ]]; }
live_dev() { findmnt -rn -t fuse.lxcfs -o MAJ:MIN --target "$MNT" 2>/dev/null | tail -n1; }
unit_log() { journalctl -u "$UNIT" --no-pager -o cat; }
resumed_count() { unit_log | grep -cE "^Resumed $MNT from pid [0-9]+; [0-9]+ requests? $CARRY\.$"; }
reader_units() { for (( i = 1; i <= READERS; i++ )); do echo "lxcfs-vmstorm-$i.service"; done; }

# The reader's first read decides the prefix every later read must match
# (the whole MemTotal line, spacing included); it must be 256 MiB. A file:
# systemd-run would expand the "$" of an inline script.
cat_reader_script() {
        cat <<'EOF'
name=$1 bin=$2 dir=$3 want=$4
line=$(head -n1 /proc/meminfo)
if [ "$(echo $line)" != "$want" ]; then
        echo "reads=0 failed=0 wrong=1 max_stall_ms=0 errors=first-read:$line" >"$dir/$name.report"
        exit 1
fi
export READ_STORM_REPORT=$dir/$name.report READ_STORM_STALLS=$dir/$name.stalls
exec "$bin" "/proc/meminfo=$line" "/proc/stat=cpu "
EOF
}

at_exit "systemctl stop $(reader_units | tr '\n' ' '); dpkg --purge lxcfs; rm -rf $OUTDIR"

out=$(dpkg -i "$DEB" 2>&1)
ok "dpkg -i $(basename "$DEB")" test $? -eq 0
diag "$out"
expect_eq "lxcfs.service is enabled" "$(systemctl is-enabled $UNIT 2>&1)" enabled
expect_eq "lxcfs.service is active" "$(systemctl is-active $UNIT 2>&1)" active
status=$(prop StatusText)
diag "StatusText: $status"
ok "it serves with the v2 layout, mounted afresh" eval '[[ $status == *"mounted afresh; cgroup layout v2"* ]]'
DEV=$(live_dev)
ok "a fuse.lxcfs mount at $MNT ($DEV)" test -n "$DEV"

mkdir -p "$OUTDIR"
cat_reader_script >"$OUTDIR/reader.sh"
for (( i = 1; i <= READERS; i++ )); do
        systemd-run --quiet --unit "lxcfs-vmstorm-$i" -p MemoryMax=256M -p KillMode=mixed \
                -p BindReadOnlyPaths="$MNT/proc/meminfo:/proc/meminfo $MNT/proc/stat:/proc/stat" \
                sh "$OUTDIR/reader.sh" "r$i" "$STORM_BIN" "$OUTDIR" "$WANT_MEMTOTAL"
done
sleep 1
running=0
for u in $(reader_units); do [[ $(systemctl is-active "$u") == active ]] && running=$((running + 1)); done
expect_eq "$READERS MemoryMax=256M readers run (first read: $WANT_MEMTOTAL)" "$running" "$READERS"
[[ $running == "$READERS" ]] || diag "$(cat "$OUTDIR"/*.report 2>/dev/null)"

# Kernels before 6.9 (Debian 12 boots 6.1) have no FUSE_NOTIFY_RESEND: what
# a killed daemon had read is replayed from its journal.
CARRY="replayed from the journal"
unit_log | grep -q "in-flight requests at a crash: resent by the kernel" && CARRY="resent"
diag "in-flight requests at a crash: $CARRY (kernel $(uname -r))"
resumed0=$(resumed_count)
events=()
for i in 1 2; do
        pid=$(prop MainPID)
        timeout 120 systemctl restart $UNIT
        events+=("restart $i: rc $? (pid $pid -> $(prop MainPID))")
        sleep 1
done
pid=$(prop MainPID)
start=$(date +%s%N)
kill -KILL "$pid"
if wait_for 30 eval '[[ $(prop MainPID) != "$pid" && $(prop MainPID) != 0 ]] && active'; then
        events+=("kill -9: pid $pid -> $(prop MainPID) after $(( ($(date +%s%N) - start) / 1000000 )) ms")
        pass "kill -9: systemd starts a new daemon"
else
        fail "kill -9: systemd starts a new daemon within 30 s"
        diag "state $(prop ActiveState)/$(prop SubState), MainPID $(prop MainPID), NRestarts $(prop NRestarts)"
        diag "$(journalctl -b --no-pager -o short-precise -n 80 2>&1)"
fi
sleep 1
diag "$(printf '%s\n' "${events[@]}")"

systemctl stop $(reader_units)
reports=$(for f in "$OUTDIR"/*.report; do [[ -f $f ]] && echo "$(basename "$f" .report): $(cat "$f")"; done)
diag "$reports"
read -r reads failed wrong stall n < <(awk '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        reads += v["reads"]; failed += v["failed"]; wrong += v["wrong"]
        if (v["max_stall_ms"] + 0 > stall) stall = v["max_stall_ms"] + 0
        n++ } END { printf "%d %d %d %.1f %d\n", reads, failed, wrong, stall, n }' <<<"$reports")
expect_eq "every reader reported" "$n" "$READERS"
ok "readers read ($reads reads)" test "${reads:-0}" -gt $(( READERS * 10 ))
expect_eq "2 restarts and a kill -9: failed reads" "$failed" 0
expect_eq "2 restarts and a kill -9: wrong contents" "$wrong" 0
diag "longest stall of any reader: $stall ms"
slow=$(cat "$OUTDIR"/*.stalls 2>/dev/null | sort -k2 -n -r | head -n 5)
[[ -n $slow ]] && diag "slowest reads (end time, ms, file):"$'\n'"$slow"
expect_eq "the mount is the same device throughout" "$(live_dev)" "$DEV"
wait_for 10 eval '(( $(resumed_count) - resumed0 >= 3 ))'
expect_eq "journal: 3 starts resumed the connection, requests $CARRY" \
        $(( $(resumed_count) - resumed0 )) 3
ok "journal: lxcfs-remount found nothing to heal" \
        eval '! unit_log | grep -E "^Rebound [0-9]+ " | grep -qv "^Rebound 0 "'

out=$(dpkg --purge lxcfs 2>&1)
ok "dpkg --purge lxcfs" test $? -eq 0
expect_eq "no fuse.lxcfs mount is left" "$(findmnt -rn -t fuse.lxcfs | wc -l)" 0
expect_eq "no lxcfs process is left" "$(pgrep -c '^lxcfs')" 0
finish
