#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The .deb, for real: packaging/build deb makes two builds of the working
# tree (the second with a bumped version), lintian checks the first, then,
# inside the systemd namespace sandbox (tests/sandbox/lib.sh: systemd as
# PID 1 on a throw-away overlay of /, so the host's dpkg database and units
# are untouched):
#   dpkg -i      the unit is enabled and active, the mount serves, man finds
#                the pages;
#   upgrade      dpkg -i of the bumped build while a runc container (started
#                inside the sandbox, binding the files runc accepts) reads
#                /proc/meminfo in a loop, and 4 more readers in their own
#                mount namespaces loop open/read/close (tests/tools/
#                read-storm): the postinst restart hands the connection to
#                the new daemon, so the mount is the same, no read fails,
#                and lxcfs-remount finds nothing to heal;
#   dpkg -r      no mount and no lxcfs process left;
#   dpkg --purge a file the admin made (a drop-in) is still there.
# The .debs stay in $PKG_OUT/deb for tests/vm/guest-packages.sh.
# Prints TAP. Root only; 77 (skip) without root or the build tools.
set -uo pipefail
: "${SOURCE_DIR:?}" "${PKG_OUT:?}" "${BUILD_DIR:?}"

# shellcheck source=tests/sandbox/lib.sh
source "$SOURCE_DIR/tests/sandbox/lib.sh"
# shellcheck source=tests/sandbox/lib-runc.sh
source "$SOURCE_DIR/tests/sandbox/lib-runc.sh"
# shellcheck source=tests/sandbox/lib-storm.sh
source "$SOURCE_DIR/tests/sandbox/lib-storm.sh"

MNT=/var/lib/lxcfs
UNIT=lxcfs.service
bail() { echo "Bail out! $*"; exit 1; }

sandbox_require dpkg-buildpackage dh lintian runc jq

on_exit() {
        local rc=$?
        (( TAP_FAILED > 0 )) && { diag "----- journal of the sandbox (tail) -----"; sandbox_journal_tail 60; }
        storm_stop
        sandbox_teardown
        exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ build

OUT=$PKG_OUT/deb
rm -rf "$OUT"
mkdir -p "$OUT"
V1=$(sed -n "s/^[[:space:]]*version[[:space:]]*:[[:space:]]*'\([^']*\)'.*/\1/p" "$SOURCE_DIR/meson.build" | head -n1)
V2=$V1+test2

build() {   # build VERSION DIR: prints the path of the main .deb
        LXCFS_PKG_NO_APT=1 DEB_BUILD_OPTIONS=nocheck LXCFS_PKG_VERSION=$1 \
                "$SOURCE_DIR/packaging/build" deb "$2" 2>"$2.err" | grep -v dbgsym | head -n1
}
for v in 1 2; do
        ver=V$v
        deb=$(build "${!ver}" "$OUT/v$v")
        if [[ -f $deb ]]; then
                ok "packaging/build deb ($(basename "$deb"))"
        else
                nok "packaging/build deb (version ${!ver})"
                diag "$(tail -n 30 "$OUT/v$v.err")"
                bail "no package to test"
        fi
        printf -v "DEB$v" '%s' "$deb"
done

check_eq "the package is named lxcfs" "$(dpkg-deb -f "$DEB1" Package)" lxcfs
rel=$(dpkg-deb -f "$DEB1" Conflicts Replaces Provides | tr '\n' ' ')
check_eq "Conflicts/Replaces/Provides: lxcfs" "$rel" "Conflicts: lxcfs Replaces: lxcfs Provides: lxcfs "

contents=$(dpkg-deb -c "$DEB1" | awk '{print $6}')
missing=()
for f in ./usr/bin/lxcfs ./usr/bin/lxcfs-remount \
         ./lib/systemd/system/lxcfs.service ./usr/share/man/man8/lxcfs.8.gz \
         ./usr/share/man/man8/lxcfs-remount.8.gz ./var/lib/lxcfs/ \
         ./usr/share/lxcfs/lxc.mount.hook ./usr/share/lxcfs/lxc.reboot.hook \
         ./usr/share/lxc/config/common.conf.d/00-lxcfs.conf ./usr/libexec/lxcfs-oci-hook \
         ./usr/share/containers/oci/hooks.d/lxcfs.json; do
        grep -qxF -- "$f" <<<"$contents" || missing+=("$f")
done
if (( ${#missing[@]} == 0 )); then ok "the .deb holds the daemon, helpers, unit, manuals, /var/lib/lxcfs, LXC hooks"
else nok "the .deb holds everything"; diag "missing: ${missing[*]}"; diag "$contents"; fi

# lintian: no error, and every warning overridden with a reason
# (packaging/debian/lxcfs.lintian-overrides).
lint=$(lintian --fail-on none "$DEB1" 2>&1)
errors=$(grep -E '^E: ' <<<"$lint")
warnings=$(grep -E '^W: ' <<<"$lint")
if [[ -z $errors ]]; then ok "lintian: no errors"; else nok "lintian: no errors"; diag "$errors"; fi
if [[ -z $warnings ]]; then ok "lintian: no warnings left unexplained"; else nok "lintian: warnings"; diag "$warnings"; fi
diag "$(grep -vE '^(E|W): ' <<<"$lint")"

# ----------------------------------------------------------- the sandbox

sandbox_boot || bail "the systemd sandbox did not boot"
diag "sandbox: host pid $SANDBOX_PID, $(sbx systemctl --version | head -n1)"

# Work files inside the sandbox's own tmpfs /run: gone with it.
T=/run/lxcfs-pkgtest
mkdir -p "$SANDBOX_ROOT$T"
cp "$DEB1" "$SANDBOX_ROOT$T/v1.deb"
cp "$DEB2" "$SANDBOX_ROOT$T/v2.deb"

prop() { sbx systemctl show -P "$1" "$UNIT"; }
serving() { [[ -n $(sbx timeout 10 head -c 64 "$MNT/proc/uptime" 2>/dev/null) ]]; }
lxcfs_mounts() { findmnt -N "$SANDBOX_PID" -rn -t fuse.lxcfs -o TARGET | grep -cx "$MNT"; }
live_dev() { findmnt -N "$SANDBOX_PID" -rn -t fuse.lxcfs -o MAJ:MIN --target "$MNT" | tail -n1; }
unit_log() { sbx journalctl -u "$UNIT" --no-pager -o cat; }

# Start from a plain machine. Images built for containers forbid starting
# services through policy-rc.d (exit 101); a host may have the
# distribution's lxcfs installed. Both only in the throw-away overlay.
rm -f "$SANDBOX_ROOT/usr/sbin/policy-rc.d"
if sbx dpkg-query -W -f '${Status}' lxcfs 2>/dev/null | grep -q 'ok installed'; then
        diag "purging the host's lxcfs $(sbx dpkg-query -W -f '${Version}' lxcfs) inside the sandbox"
        sbx dpkg --purge lxcfs >/dev/null 2>&1 || bail "could not purge the preinstalled lxcfs in the sandbox"
fi

# ---------------------------------------------------------------- install

out=$(sbx dpkg -i "$T/v1.deb" 2>&1)
check "dpkg -i $(basename "$DEB1")" test $? -eq 0
diag "$out"
check_eq "lxcfs.service is enabled" "$(sbx systemctl is-enabled "$UNIT" 2>&1)" enabled
check_eq "lxcfs.service is active" "$(sbx systemctl is-active "$UNIT" 2>&1)" active
check "the mount at $MNT serves" serving
check_eq "one fuse.lxcfs mount at $MNT" "$(lxcfs_mounts)" 1
PID1=$(prop MainPID)
check_eq "MainPID runs /usr/bin/lxcfs" "$(sbx readlink "/proc/$PID1/exe")" /usr/bin/lxcfs
check_eq "man -w lxcfs" "$(sbx man -w lxcfs 2>&1)" /usr/share/man/man8/lxcfs.8.gz
check_eq "man -w lxcfs-remount" "$(sbx man -w lxcfs-remount 2>&1)" /usr/share/man/man8/lxcfs-remount.8.gz

# ------------------------------------------------- a container in the sandbox

# The bundle lives in the sandbox (lib-runc.sh), its rootfs reuses /usr.
CT=$T/ct
RUNC=(runc --root "$T/runc-state")

# The reader: one line per read of /proc/meminfo, "ok" or the error.
reader='while :; do if m=$(grep "^MemTotal:" /proc/meminfo 2>&1); then echo "ok $m"; else echo "fail $m"; fi >>/log/reads; sleep 0.1; done'
mkdir -p "$SANDBOX_ROOT$T/log"
mounts=("$(sbx_bind "$T/log" /log rw)")
# Every file the installed lxcfs serves but the pressure files, which runc
# refuses to bind under /proc.
mapfile -t files < <(sbx lxcfs --list-files | cut -f1 | grep -v '^proc/pressure/')
(( ${#files[@]} > 0 )) || bail "lxcfs --list-files printed nothing"
for f in "${files[@]}"; do
        mounts+=("$(sbx_bind "$MNT/$f" "/$f" ro)")
done
sbx_runc_bundle "$CT" pkgtest /lxcfs-pkgtest "$(jq -nc --arg r "$reader" '["/bin/sh", "-c", $r]')" \
        "${mounts[@]}" || bail "runc bundle"
if sbx_runc_start "$T/runc-state" "$CT" ct 2>"$SANDBOX_WORK/ct.out"; then
        ok "a runc container with the ${#files[@]} lxcfs binds runs in the sandbox"
else
        nok "runc container"; diag "$(cat "$SANDBOX_WORK/ct.out")"; bail "no container"
fi
CTPID=$(sbx "${RUNC[@]}" state ct | jq -r .pid)   # in the sandbox's pid namespace
reads() { cat "$SANDBOX_ROOT$T/log/reads" 2>/dev/null; }
wait_for 10 eval '(( $(reads | grep -c "^ok MemTotal:") >= 3 ))'
check "the container reads /proc/meminfo" eval '(( $(reads | grep -c "^ok MemTotal:") >= 3 ))'
ct_meminfo_dev() {   # MAJ:MIN of what the container has at /proc/meminfo
        awk '$5 == "/proc/meminfo" { d = $3 } END { print d }' "$SANDBOX_ROOT/proc/$CTPID/mountinfo"
}
check_eq "the container's /proc/meminfo is the live mount" "$(ct_meminfo_dev)" "$(live_dev)"

# ---------------------------------------------------------------- upgrade

install -m 0755 "$BUILD_DIR/tests/tools/read-storm" "$SANDBOX_ROOT/usr/local/bin/read-storm"
for i in 1 2 3 4; do storm_start "up$i" /usr/local/bin/read-storm "$MNT"; done
sleep 0.5
DEV1=$(live_dev)
n_before=$(reads | wc -l)
log_before=$(unit_log | grep -c 'Rebound')
out=$(sbx dpkg -i "$T/v2.deb" 2>&1)
check "dpkg -i $(basename "$DEB2") (upgrade)" test $? -eq 0
diag "$out"
check_eq "the installed version is 1:$V2" "$(sbx dpkg-query -W -f '${Version}' lxcfs)" "1:$V2"
check_eq "lxcfs.service is active after the upgrade" "$(sbx systemctl is-active "$UNIT" 2>&1)" active
PID2=$(prop MainPID)
check "a new daemon runs ($PID1 -> $PID2)" eval '[[ $PID2 != 0 && $PID2 != "$PID1" ]]'
check_eq "it is the new build" "$(sbx /usr/bin/lxcfs --version | head -n1)" "$V2"
check "the mount at $MNT serves" serving
check_eq "one fuse.lxcfs mount at $MNT" "$(lxcfs_mounts)" 1
check_eq "the upgrade kept the mount: same device" "$(live_dev)" "$DEV1"
wait_for 10 eval '(( $(unit_log | grep -c "Rebound") > log_before ))'
rebound=$(unit_log | grep 'Rebound' | tail -n1)
check "lxcfs-remount ran after the restart and found nothing to heal: $rebound" \
        eval '[[ $rebound =~ ^Rebound\ 0\ stale ]]'
check "journal: the new daemon resumed the connection from $PID1" \
        wait_for 10 eval 'unit_log | grep -q "^Resumed $MNT from pid $PID1; "'
sleep 0.5
storm_stop
read -r sreads sfailed swrong sstall sn <<<"$(storm_totals)"
diag "$(storm_reports)"
check_eq "4 readers reported" "$sn" 4
check "the readers read across the upgrade ($sreads reads)" test "${sreads:-0}" -gt 40
check_eq "upgrade under 4 reading namespaces: failed reads" "$sfailed" 0
check_eq "upgrade: wrong contents" "$swrong" 0
diag "longest stall of any reader during the upgrade: $sstall ms"
check_eq "the container's /proc/meminfo is the new live mount" "$(ct_meminfo_dev)" "$(live_dev)"
check_eq "exactly one mount at the container's /proc/meminfo" \
        "$(awk '$5 == "/proc/meminfo" { n++ } END { print n + 0 }' "$SANDBOX_ROOT/proc/$CTPID/mountinfo")" 1
# The loop goes on: 10 more reads after the upgrade, the last 10 all good.
wait_for 15 eval '(( $(reads | wc -l) >= n_before + 10 ))'
n_after=$(reads | wc -l)
sleep 1.2
tail10=$(reads | tail -n 10)
check "the container's reader keeps reading correctly after the upgrade" \
        eval '(( $(grep -c "^ok MemTotal: *[0-9]* kB" <<<"$tail10") == 10 ))'
diag "reads during the upgrade: $(reads | tail -n +$((n_before + 1)) | head -n $((n_after - n_before)) | cut -d' ' -f1 | sort | uniq -c | tr '\n' ' ')"
ct=$(sbx "${RUNC[@]}" exec ct cat /proc/meminfo 2>&1)
check "runc exec ct cat /proc/meminfo after the upgrade" grep -qE '^MemTotal: +[0-9]+ kB$' <<<"$ct"
sbx "${RUNC[@]}" delete -f ct >/dev/null 2>&1

# ----------------------------------------------------------- remove, purge

# What an admin makes (systemctl edit lxcfs) must survive remove and purge.
DROPIN=/etc/systemd/system/$UNIT.d/local.conf
mkdir -p "$(dirname "$SANDBOX_ROOT$DROPIN")"
printf '[Service]\n# made by the admin\n' >"$SANDBOX_ROOT$DROPIN"

out=$(sbx dpkg -r lxcfs 2>&1)
check "dpkg -r lxcfs" test $? -eq 0
diag "$out"
check_eq "no fuse.lxcfs mount is left" "$(findmnt -N "$SANDBOX_PID" -rn -t fuse.lxcfs | wc -l)" 0
check_eq "no lxcfs process is left" "$(sbx pgrep -c '^lxcfs')" 0
check_eq "lxcfs.service is inactive" "$(sbx systemctl is-active "$UNIT" 2>&1)" inactive
check "the binaries are gone" eval '[[ ! -e $SANDBOX_ROOT/usr/bin/lxcfs && ! -e $SANDBOX_ROOT/usr/bin/lxcfs-remount ]]'
out=$(sbx dpkg --purge lxcfs 2>&1)
check "dpkg --purge lxcfs" test $? -eq 0
diag "$out"
check "purge left the admin's drop-in alone" test -f "$SANDBOX_ROOT$DROPIN"
check "purge removed the enablement symlink" test ! -e "$SANDBOX_ROOT/etc/systemd/system/multi-user.target.wants/$UNIT"

tap_finish
