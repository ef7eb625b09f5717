#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `systemctl restart lxcfs` with running containers leaves them all readable
# when restart returns. The build tree is installed into the systemd sandbox
# (lib.sh) and lxcfs.service started there; inside the sandbox run
#   - real runc containers (rootfs: the sandbox's /usr read-only) with the
#     eight lxcfs files bind-mounted, and
#   - plain mount-namespace holders (`unshare -m` + the same binds), one of
#     them with a nested `unshare -m` child holding its own copy of the binds.
# Right after `systemctl restart` returns (no sleep, no retry), and again
# after `kill -9` of the daemon and `systemctl start`, every file reads in
# every namespace, each target is the new live mount and carries one mount.
# A restart or a crash normally hands the live connection over (see
# test-handover.sh) and nothing needs healing; here the saved handover
# state is corrupted first, so each start must abort the old connection
# and mount afresh: the path of old kernels and damaged state. The unit's
# ExecStartPost (lxcfs-remount) is what keeps containers readable then:
# LXCFS_TEST_NO_REMOUNT=1 resets it in a drop-in, and the test must fail.
# Prints TAP. Needs root; exits 77 (skip) otherwise.
#
# Env: BUILD_DIR (meson build tree, required), LXCFS_TEST_NO_REMOUNT=1,
#      SANDBOX_KEEP_CONSOLE=1.
set -uo pipefail

here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/sandbox/lib.sh
source "$here/lib.sh"
# shellcheck source=tests/sandbox/lib-runc.sh
source "$here/lib-runc.sh"

MNT=/var/lib/lxcfs
UNIT=lxcfs.service
DROPINS=/run/systemd/system/$UNIT.d
# Everything the containers need lives inside the sandbox (its /run is a
# tmpfs that dies with it): bundles, runc state, holder pidfiles.
HEAL_DIR=/run/lxcfs-heal
RUNC_ROOT=$HEAL_DIR/runc-state
FILES=(proc/meminfo proc/cpuinfo proc/stat proc/uptime proc/loadavg
       proc/diskstats proc/swaps sys/devices/system/cpu/online)
N_RUNC=3
N_HOLDERS=2


# The containers, as parallel arrays: a name, a pid (in the sandbox's pid
# namespace) of a process in its mount namespace, and how it was made.
C_NAMES=()
C_PIDS=()
RUNC_NAMES=()
HOLDER_UNITS=()

# runc containers are pid-namespace inits: they ignore the SIGTERM of the
# sandbox's poweroff, which would then wait out lib.sh's 10 s. Remove them
# (and the holders) first; the pid namespace's end catches anything left.
remove_containers() {
        local n
        for n in "${RUNC_NAMES[@]}"; do
                sbx runc --root "$RUNC_ROOT" delete -f "$n" >/dev/null 2>&1
        done
        RUNC_NAMES=()
        (( ${#HOLDER_UNITS[@]} )) && sbx systemctl stop "${HOLDER_UNITS[@]}" 2>/dev/null
        HOLDER_UNITS=()
}

on_exit() {
        local rc=$?
        if [[ -n $SANDBOX_WORK ]]; then
                if (( TAP_FAILED > 0 )); then
                        diag "----- journal of the sandbox (tail) -----"
                        sandbox_journal_tail 60
                fi
                remove_containers
                sandbox_teardown
        fi
        exit $rc
}

sandbox_require jq
: "${BUILD_DIR:?BUILD_DIR not set (run through meson test)}"

installed() {   # installed NAME: where meson installs a file whose name ends in NAME
        meson introspect --installed "$BUILD_DIR" |
                jq -r --arg n "/$1" 'to_entries[] | select(.key | endswith($n)) | .value' | head -n1
}
REMOUNT_PATH=$(installed lxcfs-remount)
[[ -n $REMOUNT_PATH ]] || { echo "1..0 # SKIP lxcfs-remount is not built"; exit 77; }
if ! command -v runc >/dev/null; then
        # Without runc the same healing is still exercised on namespaces
        # that are not runc's: all containers become holders.
        N_HOLDERS=$((N_HOLDERS + N_RUNC))
        N_RUNC=0
fi

trap on_exit EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- helpers

prop() { sbx systemctl show -P "$1" "$UNIT"; }
state() { echo "$(prop ActiveState)/$(prop SubState)"; }


# "MAJ:MIN" of the fuse.lxcfs mount at MNT in the sandbox's own namespace:
# the live mount, the one containers must be bound to.
live_dev() {
        awk -v m="$MNT" '
                { for (i = 7; $i != "-"; i++) ; }
                $5 == m && $(i + 1) == "fuse.lxcfs" { dev = $3 }
                END { print dev }' "$SANDBOX_ROOT/proc/1/mountinfo"
}

# For each of the eight targets in the mount namespace of sandbox pid PID:
# "TARGET COUNT MAJ:MIN FSTYPE", the last two of the topmost mount there.
mount_table() {
        awk -v targets="${FILES[*]}" '
                BEGIN { n = split(targets, t, " ")
                        for (k = 1; k <= n; k++) { t[k] = "/" t[k]; want[t[k]] = 1 } }
                { for (i = 7; $i != "-"; i++) ; }
                $5 in want { count[$5]++; dev[$5] = $3; type[$5] = $(i + 1) }
                END { for (k = 1; k <= n; k++) {
                        p = t[k]
                        print p, count[p] + 0, (p in dev ? dev[p] : "-"), (p in type ? type[p] : "-") } }' \
                "$SANDBOX_ROOT/proc/$1/mountinfo"
}

# Inside the mount namespace: read each file once, no retry, and stat it.
# Prints "FILE ok MAJ:MIN" or "FILE failed ERROR".
# shellcheck disable=SC2016
PROBE='for f; do
        if err=$(cat "$f" 2>&1 >/dev/null); then
                echo "$f ok $(stat -c %Hd:%Ld "$f")"
        else
                echo "$f failed $err"
        fi
done'
probe() { sbx nsenter -t "$1" -m sh -c "$PROBE" _ "${FILES[@]/#//}" 2>&1; }

# check_containers WHEN DEV: every container reads all eight files, each
# target is the mount DEV, and carries exactly one mount.
check_containers() {
        local when=$1 dev=$2 i name pid out table bad
        for i in "${!C_NAMES[@]}"; do
                name=${C_NAMES[i]} pid=${C_PIDS[i]}
                out=$(probe "$pid")
                table=$(mount_table "$pid")
                bad=$(awk '$2 != "ok"' <<<"$out")
                if [[ -z $bad && $(wc -l <<<"$out") == "${#FILES[@]}" ]]; then
                        ok "$when: $name reads all ${#FILES[@]} files"
                else
                        nok "$when: $name reads all ${#FILES[@]} files"; diag "$out"
                fi
                bad=$( (awk -v d="$dev" '$3 != d || $4 != "fuse.lxcfs"' <<<"$table"
                        awk -v d="$dev" '$2 == "ok" && $3 != d' <<<"$out") )
                if [[ -z $bad ]]; then
                        ok "$when: $name: every target is the live lxcfs mount ($dev)"
                else
                        nok "$when: $name: every target is the live lxcfs mount ($dev)"; diag "$bad"
                fi
                bad=$(awk '$2 != 1' <<<"$table")
                if [[ -z $bad ]]; then
                        ok "$when: $name: each target carries exactly one mount"
                else
                        nok "$when: $name: each target carries exactly one mount"; diag "$bad"
                fi
        done
}

# The newest summary line of lxcfs-remount in the unit's journal, if it is
# newer than the N-th one. journald is asynchronous: poll a little.
remount_summary_after() {
        local n=$1 lines=()
        wait_for 10 eval '(( $(sbx journalctl -u "$UNIT" -o cat --no-pager | grep -c "^Rebound ") > n ))' || return 1
        mapfile -t lines < <(sbx journalctl -u "$UNIT" -o cat --no-pager | grep "^Rebound ")
        echo "${lines[-1]}"
}
remount_summaries() { sbx journalctl -u "$UNIT" -o cat --no-pager | grep -c "^Rebound "; }

check_remount_summary() {   # WHEN N_BEFORE
        local want line
        want="Rebound $(( ${#C_NAMES[@]} * ${#FILES[@]} )) stale lxcfs entries in ${#C_NAMES[@]} mount namespaces in [0-9]+ ms; 0 failed"
        line=$(remount_summary_after "$2")
        if [[ $line =~ ^$want$ ]]; then
                ok "$1: journal: $line"
        else
                nok "$1: journal: lxcfs-remount healed every namespace"
                diag "got:  '${line:-no new summary line}'"; diag "want: '$want'"
                diag "$(sbx journalctl -u "$UNIT" -o cat --no-pager | grep -E '^(Could not|Rebound|lxcfs-remount)|DEBUG' | tail -n 20)"
        fi
}

# --------------------------------------------------------------- containers

# A runc container running `sleep infinity` (lib-runc.sh): no resource
# limits (the sandbox's cgroup2 has no controllers), the eight lxcfs files
# bound in.
runc_start() {
        local name=$1 bundle=$HEAL_DIR/$1 mounts=() f
        for f in "${FILES[@]}"; do mounts+=("$(sbx_bind "$MNT/$f" "/$f" rw)"); done
        sbx_runc_bundle "$bundle" "$name" "/lxcfs-heal/$name" '["sleep", "infinity"]' "${mounts[@]}" || return 1
        RUNC_NAMES+=("$name")
        sbx_runc_start "$RUNC_ROOT" "$bundle" "$name" 2>"$SANDBOX_WORK/runc-$name.start" ||
                { diag "$(cat "$SANDBOX_WORK/runc-$name.start")"; return 1; }
        C_NAMES+=("runc $name")
        C_PIDS+=("$(sbx runc --root "$RUNC_ROOT" state "$name" | jq -r .pid)")
}

# A process in a private mount namespace with the eight binds, and without
# the mount at MNT itself (as in a container). With "nested", a child in a
# further `unshare -m` namespace holds a copy of those binds.
HOLDER_SH='set -e
name=$1 nested=$2 mnt=$3 dir=$4; shift 4
for f; do mount --bind "$mnt/$f" "/$f"; done
umount -l "$mnt"
if [ "$nested" = nested ]; then
        unshare -m --propagation private sh -c "echo \$\$ >$dir/$name.nested.pid; exec sleep infinity" &
fi
echo $$ >"$dir/$name.pid"
exec sleep infinity'

holder_start() {
        local name=$1 nested=${2:-flat} unit=lxcfs-heal-$1.service
        # A script file: systemd would expand the "$" of an inline one.
        [[ -f $SANDBOX_ROOT$HEAL_DIR/holder.sh ]] || echo "$HOLDER_SH" >"$SANDBOX_ROOT$HEAL_DIR/holder.sh"
        HOLDER_UNITS+=("$unit")
        sbx systemd-run --quiet --unit="$unit" -p KillMode=control-group \
                unshare -m --propagation private sh "$HEAL_DIR/holder.sh" \
                "$name" "$nested" "$MNT" "$HEAL_DIR" "${FILES[@]}" || return 1
        wait_for 10 test -s "$SANDBOX_ROOT$HEAL_DIR/$name.pid" || return 1
        C_NAMES+=("holder $name")
        C_PIDS+=("$(cat "$SANDBOX_ROOT$HEAL_DIR/$name.pid")")
        if [[ $nested == nested ]]; then
                wait_for 10 test -s "$SANDBOX_ROOT$HEAL_DIR/$name.nested.pid" || return 1
                C_NAMES+=("holder $name, nested unshare -m child")
                C_PIDS+=("$(cat "$SANDBOX_ROOT$HEAL_DIR/$name.nested.pid")")
        fi
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
sbx systemctl daemon-reload
[[ -z $(prop FragmentPath) ]] && sbx systemctl link "$(installed lxcfs.service)" >/dev/null
if [[ ${LXCFS_TEST_NO_REMOUNT:-0} == 1 ]]; then
        mkdir -p "$SANDBOX_ROOT$DROPINS"
        printf '[Service]\nExecStartPost=\n' >"$SANDBOX_ROOT$DROPINS/no-remount.conf"
        sbx systemctl daemon-reload
        diag "LXCFS_TEST_NO_REMOUNT=1: ExecStartPost= reset; this run must fail"
fi

if [[ -n ${LXCFS_TEST_REMOUNT_WORKERS:-} ]]; then
        mkdir -p "$SANDBOX_ROOT$DROPINS"
        printf '[Service]\nEnvironment=LXCFS_REMOUNT_TEST_WORKERS=%s\n' "$LXCFS_TEST_REMOUNT_WORKERS" \
                >"$SANDBOX_ROOT$DROPINS/workers.conf"
        sbx systemctl daemon-reload
fi

sbx timeout 60 systemctl start "$UNIT"
check_eq "lxcfs.service is active/running" "$(state)" "active/running"
DEV_A=$(live_dev)
PID_A=$(prop MainPID)
check "a fuse.lxcfs mount is at $MNT ($DEV_A)" test -n "$DEV_A"

mkdir -p "$SANDBOX_ROOT$HEAL_DIR"
if (( N_RUNC == 0 )); then
        diag "runc is not installed: $N_HOLDERS mount-namespace holders instead of runc containers"
fi
for (( i = 1; i <= N_RUNC; i++ )); do
        check "runc container heal-$i runs" runc_start "heal-$i"
done
for (( i = 1; i <= N_HOLDERS; i++ )); do
        nested=flat
        (( i == 1 )) && nested=nested
        check "mount-namespace holder holder-$i ($nested) runs" holder_start "holder-$i" "$nested"
done
# Namespaces, not processes, are what the healing visits: make sure each
# container is one of its own.
ns=$(for p in "${C_PIDS[@]}"; do readlink "$SANDBOX_ROOT/proc/$p/ns/mnt"; done | sort -u | wc -l)
check_eq "${#C_NAMES[@]} containers in ${#C_NAMES[@]} distinct mount namespaces" "$ns" "${#C_NAMES[@]}"

check_containers "before restart" "$DEV_A"

# ---------------------------------------------------------------- restart

n0=$(remount_summaries)
check "restart: the handover state of $PID_A is corrupted" sbx_corrupt_handover_state "$PID_A"
sbx timeout 60 systemctl restart "$UNIT"
rc=$?
# Checked as soon as restart returns: no sleep, no retry.
DEV_B=$(live_dev)
check_containers "right after restart" "$DEV_B"
PID_B=$(prop MainPID)
check_eq "systemctl restart exits 0" "$rc" 0
check "restart: a new daemon ($PID_A -> $PID_B) and a new mount ($DEV_A -> $DEV_B)" \
        eval '[[ $PID_B != "$PID_A" && -n $DEV_B && $DEV_B != "$DEV_A" ]]'
check_remount_summary "restart" "$n0"

# --------------------------------------------------- kill -9, then start

n0=$(remount_summaries)
check "kill -9: the handover state of $PID_B is corrupted" sbx_corrupt_handover_state "$PID_B"
[[ $PID_B =~ ^[1-9][0-9]*$ ]] && sbx kill -KILL "$PID_B"
wait_for 10 eval '[[ $(prop MainPID) != "$PID_B" ]]'
# Restart=on-failure may be starting it already; start waits for that job.
sbx timeout 60 systemctl start "$UNIT"
rc=$?
wait_for 30 eval '[[ $(state) == active/running ]]'
DEV_C=$(live_dev)
check_containers "after kill -9 and start" "$DEV_C"
PID_C=$(prop MainPID)
check_eq "after kill -9: systemctl start exits 0" "$rc" 0
check "after kill -9: a new daemon ($PID_B -> $PID_C) and a new mount ($DEV_B -> $DEV_C)" \
        eval '[[ $(state) == active/running && $PID_C != "$PID_B" && -n $DEV_C && $DEV_C != "$DEV_B" ]]'
check_remount_summary "kill -9 and start" "$n0"

# ---------------------------------------------------------------- cleanup

if (( TAP_FAILED > 0 )); then
        diag "----- journal of the sandbox (tail) -----"
        sandbox_journal_tail 60
fi
remove_containers
left=$(sbx runc --root "$RUNC_ROOT" list -q 2>/dev/null)
check_eq "cleanup: no runc container is left" "$left" ""
gone() { local p; for p; do [[ ! -e $p ]] || return 1; done; }
host_side=("$SANDBOX_CGROUP" "$SANDBOX_WORK")
sandbox_teardown
check "cleanup: no sandbox cgroup or work directory is left on the host" gone "${host_side[@]}"

tap_finish
