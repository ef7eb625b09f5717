#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Moving a machine from Debian's lxcfs to ours, in the systemd sandbox
# (tests/sandbox/lib.sh: systemd as PID 1 on a throw-away overlay of /, so
# the host's dpkg database and units are untouched):
#   1. Debian's lxcfs 5.0.3 (its .deb from the apt cache, or `apt-get
#      download` into a directory of this test; never installed on the
#      host) is installed, enabled and running, and two runc containers
#      bind its eight files, each in a v1 memory cgroup with its own limit;
#      each reads /proc/meminfo in a loop. Their files are Debian's mount,
#      and show the host's memory: Debian's daemon uses only the cgroup2
#      tree at /sys/fs/cgroup here (its journal lists one hierarchy), which
#      has no controllers in the sandbox; ours finds the v1 memory
#      hierarchy the test mounts in /run. A host without v1 memory skips.
#   2. dpkg -i of our .deb over it: ours is enabled and active, its MainPID
#      runs the /usr/bin/lxcfs our package installed, Debian's daemon is
#      gone, and right after dpkg returns every file reads in every
#      container from our mount (no "Transport endpoint is not connected"),
#      with the container's memory limit in MemTotal. Debian's daemon
#      cannot hand its connection over: reads between its stop and the heal
#      by lxcfs-remount can fail (reported, not a failure); the last 10
#      reads of each container's loop must show its limit.
#   3. dpkg --purge: no mount, no process, no /run/cdi/lxcfs.json, no unit
#      enablement, and the file listing equals the one taken before
#      Debian's lxcfs was installed.
# Prints TAP. Root only; 77 (skip) without root, the build tools or
# Debian's lxcfs package. LXCFS_TEST_NO_REMOUNT=1 resets our unit's
# ExecStartPost= (lxcfs-remount): then the containers are not healed and
# the test must fail.
set -uo pipefail
: "${SOURCE_DIR:?}" "${PKG_OUT:?}"

# shellcheck source=tests/sandbox/lib.sh
source "$SOURCE_DIR/tests/sandbox/lib.sh"
# shellcheck source=tests/sandbox/lib-runc.sh
source "$SOURCE_DIR/tests/sandbox/lib-runc.sh"

MNT=/var/lib/lxcfs
UNIT=lxcfs.service
FILES=(proc/meminfo proc/cpuinfo proc/stat proc/uptime proc/loadavg
       proc/diskstats proc/swaps sys/devices/system/cpu/online)
CONTAINERS=(ct1 ct2)
declare -A LIMIT_MB=([ct1]=256 [ct2]=192)
bail() { echo "Bail out! $*"; exit 1; }

sandbox_require dpkg-buildpackage dh runc jq
# The containers' limits live in the host's v1 memory hierarchy: the
# sandbox's cgroup2 has no controllers on a hybrid host.
HOST_MEMCG=$(findmnt -rn -t cgroup -o TARGET,OPTIONS | awk '$2 ~ /(^|,)memory(,|$)/ {print $1; exit}')
[[ -n $HOST_MEMCG ]] || { echo "1..0 # SKIP no v1 memory controller for the containers' limits"; exit 77; }

OUT=$PKG_OUT/migrate
rm -rf "$OUT"
mkdir -p "$OUT/debian"

# Debian's package, into a directory of ours. The apt cache has it when the
# host ever installed lxcfs; else apt downloads it (not installs), after
# fetching the package lists if the machine has none yet.
apt_download() { (cd "$OUT/debian" && chown _apt . 2>/dev/null; apt-get download -qq lxcfs >/dev/null 2>&1); }
debian_deb() {
        local f
        for f in /var/cache/apt/archives/lxcfs_5.0.3*_*.deb; do
                [[ -f $f ]] && cp "$f" "$OUT/debian/" && break
        done
        compgen -G "$OUT/debian/lxcfs_*.deb" >/dev/null || apt_download ||
                { apt-get update -qq >/dev/null 2>&1 && apt_download; }
        compgen -G "$OUT/debian/lxcfs_*.deb" | head -n1
}
DEBIAN_DEB=$(debian_deb)
[[ -f $DEBIAN_DEB ]] || { echo "1..0 # SKIP Debian's lxcfs .deb is neither in the apt cache nor downloadable"; exit 77; }
DEBIAN_VERSION=$(dpkg-deb -f "$DEBIAN_DEB" Version)
[[ $DEBIAN_VERSION == 5.* ]] || { echo "1..0 # SKIP apt offers lxcfs $DEBIAN_VERSION, not 5.x"; exit 77; }

CTS_LIVE=()
on_exit() {
        local rc=$? c
        (( TAP_FAILED > 0 )) && { diag "----- journal of the sandbox (tail) -----"; sandbox_journal_tail 60; }
        for c in "${CTS_LIVE[@]}"; do sbx runc --root "$T/runc-state" delete -f "$c" >/dev/null 2>&1; done
        sandbox_teardown
        # Emptied by the end of the pid namespace.
        [[ -n ${MEMCG_HOST:-} && -d $MEMCG_HOST ]] && find "$MEMCG_HOST" -depth -type d -exec rmdir {} + 2>/dev/null
        exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ build

OURS_DEB=$(LXCFS_PKG_NO_APT=1 DEB_BUILD_OPTIONS=nocheck "$SOURCE_DIR/packaging/build" deb "$OUT/ours" \
           2>"$OUT/ours.err" | grep -v dbgsym | head -n1)
if [[ -f $OURS_DEB ]]; then
        ok "packaging/build deb ($(basename "$OURS_DEB"))"
else
        nok "packaging/build deb"; diag "$(tail -n 30 "$OUT/ours.err")"; bail "no package to test"
fi
OURS_VERSION=$(dpkg-deb -f "$OURS_DEB" Version)
ok "Debian's package: $(basename "$DEBIAN_DEB")"

# ----------------------------------------------------------- the sandbox

sandbox_boot || bail "the systemd sandbox did not boot"
diag "sandbox: host pid $SANDBOX_PID, $(sbx systemctl --version | head -n1)"
T=/run/lxcfs-migrate           # the sandbox's tmpfs: gone with it
mkdir -p "$SANDBOX_ROOT$T"
cp "$DEBIAN_DEB" "$SANDBOX_ROOT$T/debian.deb"
cp "$OURS_DEB" "$SANDBOX_ROOT$T/ours.deb"

prop() { sbx systemctl show -P "$1" "$UNIT"; }
live_dev() { findmnt -N "$SANDBOX_PID" -rn -t fuse.lxcfs -o MAJ:MIN --target "$MNT" | tail -n1; }
lxcfs_mounts() { findmnt -N "$SANDBOX_PID" -rn -t fuse.lxcfs -o TARGET | wc -l; }
# The file listing that install and purge must leave as it was: the
# directories packages install into, on the overlay "/" (-xdev), less what
# dpkg, man-db and journald write on any package operation. (The rest of
# "/" is the live host below the overlay: other people's files.)
listing() {
        sbx find /etc /usr /var /opt /srv -xdev \( -path /var/lib/dpkg -o -path /var/cache \
                -o -path /var/log \) -prune -o -printf '%y %p\n' |
                sort
}

# Images built for containers forbid service starts through policy-rc.d
# (exit 101); a host may have Debian's lxcfs installed already. The
# migration starts from Debian's package as dpkg -i installs it on a
# machine without lxcfs: both only in the throw-away overlay.
rm -f "$SANDBOX_ROOT/usr/sbin/policy-rc.d"
if sbx dpkg-query -W -f '${Status}' lxcfs 2>/dev/null | grep -q 'ok installed'; then
        diag "purging the host's lxcfs $(sbx dpkg-query -W -f '${Version}' lxcfs) inside the sandbox first"
        sbx dpkg --purge lxcfs >/dev/null 2>&1 || bail "could not purge the preinstalled lxcfs in the sandbox"
fi
listing >"$OUT/listing.before"

# ------------------------------------------------------ Debian's lxcfs

# The sandbox sets container=, and Debian's unit has
# ConditionVirtualization=!container: reset that condition (/run, gone
# with the sandbox). The v1 memory hierarchy is mounted where both daemons
# find it in their mountinfo, before either starts.
DROPIN=/run/systemd/system/$UNIT.d/sandbox.conf
mkdir -p "$(dirname "$SANDBOX_ROOT$DROPIN")"
printf '[Unit]\n# the sandbox counts as a container\nConditionVirtualization=\n' >"$SANDBOX_ROOT$DROPIN"
MEMCG=$T/memory
mkdir -p "$SANDBOX_ROOT$MEMCG"
sbx mount -t cgroup -o memory lxcfs-migrate "$MEMCG" || bail "could not mount the v1 memory hierarchy in the sandbox"
# Our sandbox's memory cgroup as the host names it: the test's own.
MEMCG_HOST=$HOST_MEMCG$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)/lxcfs-migrate.${SANDBOX_WORK##*.}
mkdir -p "$MEMCG_HOST"

out=$(sbx dpkg -i "$T/debian.deb" 2>&1)
check "dpkg -i $(basename "$DEBIAN_DEB")" test $? -eq 0
diag "$out"
check_eq "Debian's lxcfs $DEBIAN_VERSION is installed" "$(sbx dpkg-query -W -f '${Version}' lxcfs)" "$DEBIAN_VERSION"
check_eq "its postinst enabled lxcfs.service" "$(sbx systemctl is-enabled "$UNIT" 2>&1)" enabled
# Its postinst starts nothing under systemd (deb-systemd-helper has no
# "start"): the service runs from the next boot. Start it as that boot would.
sbx systemctl daemon-reload
[[ $(sbx systemctl is-active "$UNIT") == active ]] || sbx timeout 60 systemctl start "$UNIT"
check_eq "Debian's lxcfs.service is active" "$(sbx systemctl is-active "$UNIT" 2>&1)" active
wait_for 10 eval '[[ -n $(live_dev) ]]'
DEB_PID=$(prop MainPID)
DEB_DEV=$(live_dev)
check_eq "its MainPID runs /usr/bin/lxcfs" "$(sbx readlink "/proc/$DEB_PID/exe")" /usr/bin/lxcfs
check "a fuse.lxcfs mount at $MNT ($DEB_DEV)" test -n "$DEB_DEV"

# ------------------------------------------------- containers on Debian's

# Each container's shell moves itself into its memory cgroup, then reads
# /proc/meminfo every 0.1 s into /log/reads: "ok MemTotal: ... kB" or
# "fail <error>".
reader='read -r cg </log/cgroup; echo $$ >"$cg/cgroup.procs" || exit 1
while :; do if m=$(grep "^MemTotal:" /proc/meminfo 2>&1); then echo "ok $m"; else echo "fail $m"; fi >>/log/reads; sleep 0.1; done'
for c in "${CONTAINERS[@]}"; do
        mkdir -p "$SANDBOX_ROOT$T/$c/log" "$MEMCG_HOST/$c"
        echo $(( LIMIT_MB[$c] * 1024 * 1024 )) >"$MEMCG_HOST/$c/memory.limit_in_bytes"
        echo "/memcg/${MEMCG_HOST##*/}/$c" >"$SANDBOX_ROOT$T/$c/log/cgroup"
        mounts=("$(sbx_bind "$T/$c/log" /log rw)" "$(sbx_bind "$MEMCG" /memcg rw)")
        for f in "${FILES[@]}"; do mounts+=("$(sbx_bind "$MNT/$f" "/$f" ro)"); done
        sbx_runc_bundle "$T/$c" "$c" "/lxcfs-migrate/$c" \
                "$(jq -nc --arg r "$reader" '["/bin/sh", "-c", $r]')" "${mounts[@]}" || bail "bundle $c"
        CTS_LIVE+=("$c")
        check "runc container $c (memory limit ${LIMIT_MB[$c]} MiB) runs" \
                sbx_runc_start "$T/runc-state" "$T/$c" "$c"
done
declare -A CTPID
for c in "${CONTAINERS[@]}"; do
        CTPID[$c]=$(sbx runc --root "$T/runc-state" state "$c" | jq -r .pid)
done

reads() { cat "$SANDBOX_ROOT$T/$1/log/reads" 2>/dev/null; }
HOST_KB=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
want_kb() { echo $(( LIMIT_MB[$1] * 1024 )); }
# The dev of what container C has at /proc/meminfo.
ct_dev() { awk '$5 == "/proc/meminfo" { d = $3 } END { print d }' "$SANDBOX_ROOT/proc/${CTPID[$1]}/mountinfo"; }
# Read every file once in C's mount namespace, from C's memory cgroup; no
# retry. "FILE ok DEV" or "FILE failed ERROR" per file, then MemTotal.
# shellcheck disable=SC2016
PROBE='echo $$ >"$1/cgroup.procs"; shift
exec nsenter -t "$1" -m sh -c '\''shift; for f; do
        if e=$(cat "$f" 2>&1 >/dev/null); then echo "$f ok $(stat -c %Hd:%Ld "$f")"; else echo "$f failed $e"; fi
done; awk "/^MemTotal:/ {print \$2}" /proc/meminfo'\'' _ "$@"'
probe() { sbx sh -c "$PROBE" _ "$MEMCG/${MEMCG_HOST##*/}/$1" "${CTPID[$1]}" "${FILES[@]/#//}" 2>&1; }

# check_probe WHEN C DEV KB WHAT: every file reads, from DEV, and MemTotal
# is KB (WHAT names it).
check_probe() {
        local out bad n
        out=$(probe "$2")
        bad=$(head -n "${#FILES[@]}" <<<"$out" | awk -v d="$3" '$2 != "ok" || $3 != d')
        n=$(head -n "${#FILES[@]}" <<<"$out" | wc -l)
        if [[ -z $bad && $n == "${#FILES[@]}" ]]; then ok "$1: $2 reads all ${#FILES[@]} files from $3"
        else nok "$1: $2 reads all ${#FILES[@]} files from $3"; diag "$out"; fi
        check_eq "$1: $2's MemTotal is $5" "$(tail -n1 <<<"$out")" "$4"
}

for c in "${CONTAINERS[@]}"; do
        wait_for 10 eval '(( $(reads "$c" | wc -l) >= 3 ))'
        check_eq "before: $c's /proc/meminfo is Debian's mount" "$(ct_dev "$c")" "$DEB_DEV"
        check_probe "before (Debian's daemon)" "$c" "$DEB_DEV" "$HOST_KB" "the host's"
        check "before: $c's own reader sees the host's memory" \
                eval 'reads "$c" | tail -n1 | grep -qx "ok MemTotal: *$HOST_KB kB"'
done

# ------------------------------------------------------------ migrate

declare -A N_BEFORE
for c in "${CONTAINERS[@]}"; do N_BEFORE[$c]=$(reads "$c" | wc -l); done
if [[ ${LXCFS_TEST_NO_REMOUNT:-0} == 1 ]]; then
        printf '[Service]\nExecStartPost=\n' >"$(dirname "$SANDBOX_ROOT$DROPIN")/no-remount.conf"
        sbx systemctl daemon-reload
        diag "LXCFS_TEST_NO_REMOUNT=1: our unit's ExecStartPost= reset; this run must fail"
fi
out=$(sbx dpkg -i "$T/ours.deb" 2>&1)
check "dpkg -i $(basename "$OURS_DEB") over Debian's" test $? -eq 0
diag "$out"
# Checked as soon as dpkg returns: no sleep, no retry.
NEW_DEV=$(live_dev)
for c in "${CONTAINERS[@]}"; do check_probe "right after dpkg -i" "$c" "$NEW_DEV" "$(want_kb "$c")" "its limit"; done
check_eq "our lxcfs $OURS_VERSION is installed" "$(sbx dpkg-query -W -f '${Version}' lxcfs)" "$OURS_VERSION"
check_eq "lxcfs.service is enabled" "$(sbx systemctl is-enabled "$UNIT" 2>&1)" enabled
check_eq "lxcfs.service is active" "$(sbx systemctl is-active "$UNIT" 2>&1)" active
OUR_PID=$(prop MainPID)
check "a new daemon ($DEB_PID -> $OUR_PID)" eval '[[ $OUR_PID != 0 && $OUR_PID != "$DEB_PID" ]]'
check_eq "MainPID runs the /usr/bin/lxcfs our package installed" \
        "$(sbx stat -L -c %d:%i "/proc/$OUR_PID/exe")" "$(sbx stat -c %d:%i /usr/bin/lxcfs)"
check_eq "which says so" "$(sbx "/proc/$OUR_PID/exe" --version | head -n1)" "${OURS_VERSION#*:}"
check_eq "Debian's daemon is gone: one lxcfs process" "$(sbx pgrep -c '^lxcfs$')" 1
check_eq "one fuse.lxcfs mount, at $MNT" "$(lxcfs_mounts)/$(findmnt -N "$SANDBOX_PID" -rn -t fuse.lxcfs -o TARGET)" "1/$MNT"
check "it is a new mount ($DEB_DEV -> $NEW_DEV)" eval '[[ -n $NEW_DEV && $NEW_DEV != "$DEB_DEV" ]]'
wait_for 10 eval 'sbx journalctl -u "$UNIT" -o cat --no-pager | grep -q "^Rebound "'
line=$(sbx journalctl -u "$UNIT" -o cat --no-pager | grep '^Rebound ' | tail -n1)
check "journal: lxcfs-remount healed both containers: $line" \
        eval '[[ $line =~ ^Rebound\ $(( ${#CONTAINERS[@]} * ${#FILES[@]} ))\ stale\ .*\ in\ ${#CONTAINERS[@]}\ mount\ namespaces.*\ 0\ failed ]]'
for c in "${CONTAINERS[@]}"; do
        wait_for 10 eval '(( $(reads "$c" | wc -l) >= N_BEFORE[$c] + 10 ))'
        check "$c's own reader read on through the migration" eval '(( $(reads "$c" | wc -l) >= N_BEFORE[$c] + 10 ))'
        sleep 1.1
        tail10=$(reads "$c" | tail -n 10)
        check "$c's own reader: the last 10 reads show its limit" \
                eval '(( $(grep -cx "ok MemTotal: *$(want_kb "$c") kB" <<<"$tail10") == 10 ))'
        diag "$c's reads during the migration: $(reads "$c" | tail -n +$((N_BEFORE[$c] + 1)) | sed 's/^\(ok\|fail\) .*/\1/' | sort | uniq -c | tr '\n' ' ')"
        diag "$(reads "$c" | grep '^fail' | sort | uniq -c | head -n 3)"
done

# --------------------------------------------------------------- purge

for c in "${CONTAINERS[@]}"; do sbx runc --root "$T/runc-state" delete -f "$c" >/dev/null 2>&1; done
CTS_LIVE=()
out=$(sbx dpkg --purge lxcfs 2>&1)
check "dpkg --purge lxcfs" test $? -eq 0
diag "$out"
check_eq "no fuse.lxcfs mount is left" "$(lxcfs_mounts)" 0
check_eq "no lxcfs process is left" "$(sbx pgrep -c '^lxcfs')" 0
check "no /run/cdi/lxcfs.json" test ! -e "$SANDBOX_ROOT/run/cdi/lxcfs.json"
check_eq "dpkg knows no lxcfs" "$(sbx dpkg-query -W -f '${Status}' lxcfs 2>/dev/null)" "unknown ok not-installed"
check_eq "no unit enablement symlink" \
        "$(sbx find /etc/systemd/system /run/systemd/system -name 'lxcfs*' ! -path "$(dirname "$DROPIN")*" 2>/dev/null)" ""
listing >"$OUT/listing.after"
left=$(diff "$OUT/listing.before" "$OUT/listing.after")
check_eq "the file listing after purge is the one before Debian's install" "$left" ""

tap_finish
