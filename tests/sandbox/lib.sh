# SPDX-License-Identifier: LGPL-2.1-or-later
# A throw-away machine for service tests: systemd as PID 1 in its own pid,
# mount, cgroup, uts and ipc namespaces, on a copy-on-write view of the
# host's "/" (sandbox-init builds it). It boots in well under a second and
# is torn down with everything it mounted when the test exits, even on
# failure or SIGKILL of the test.
#
# Source it, then:
#   sandbox_require TOOL... exit 77 (TAP skip) unless root, systemd,
#                           /dev/fuse, a cgroup2 mount and the TOOLs (and
#                           what the sandbox itself needs) are there
#   sandbox_boot            start it; sets SANDBOX_PID (host pid of its
#                           PID 1) and SANDBOX_ROOT (its "/", writable from
#                           here: /proc/PID/root)
#   sbx CMD...              run CMD inside (all namespaces, clean env)
#   sandbox_journal_tail    print the last journal lines (for failures)
# Teardown runs from the EXIT trap. Only processes we started are signalled.

SANDBOX_LIB_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source=tests/sandbox/tap.sh
source "$SANDBOX_LIB_DIR/tap.sh"
SANDBOX_BASE=/tmp/lxcfs-sandbox
SANDBOX_PID=
SANDBOX_ROOT=
SANDBOX_SUPERVISOR=
SANDBOX_WORK=
SANDBOX_CGROUP=

sandbox_cgroup2_mount() {
        findmnt -rn -t cgroup2 -o TARGET | head -n1
}

# Runs found dead (their lock is free) whose cgroup is left over: a test
# killed with SIGKILL cannot clean up after itself.
sandbox_sweep_leftovers() {
        local d cg
        for d in "$SANDBOX_BASE"/run.*; do
                [[ -d $d ]] || continue
                flock -n "$d/lock" true 2>/dev/null || continue
                cg=$(cat "$d/cgroup" 2>/dev/null || true)
                if [[ -n $cg && -d $cg ]]; then
                        find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || continue
                fi
                rm -rf "$d"
        done
}

sandbox_require() {
        local tool
        [[ $EUID == 0 ]] || { echo "1..0 # SKIP needs root"; exit 77; }
        for tool in nsenter unshare setpriv pivot_root flock findmnt "$@"; do
                command -v "$tool" >/dev/null || { echo "1..0 # SKIP $tool is not installed (see tests/run)"; exit 77; }
        done
        [[ -x /lib/systemd/systemd ]] || { echo "1..0 # SKIP systemd is not installed"; exit 77; }
        [[ -c /dev/fuse ]] || { echo "1..0 # SKIP no /dev/fuse"; exit 77; }
        [[ -n $(sandbox_cgroup2_mount) ]] || { echo "1..0 # SKIP no cgroup2 mount for the sandbox"; exit 77; }
}

sbx() {
        nsenter -t "$SANDBOX_PID" -m -u -i -p -C -r -w \
                env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

sandbox_journal_tail() {
        [[ -n $SANDBOX_PID && -S /proc/$SANDBOX_PID/root/run/systemd/private ]] || return 0
        sbx journalctl -b -n "${1:-60}" --no-pager 2>&1 | sed 's/^/# /'
}

sandbox_teardown() {
        local i
        [[ -n $SANDBOX_WORK ]] || return 0
        if [[ -n $SANDBOX_SUPERVISOR ]] && kill -0 "$SANDBOX_SUPERVISOR" 2>/dev/null; then
                # SIGRTMIN+4 asks systemd as PID 1 for a poweroff; in a pid
                # namespace that ends the namespace once all units stopped.
                [[ -n $SANDBOX_PID ]] && kill -s RTMIN+4 "$SANDBOX_PID" 2>/dev/null
                for (( i = 0; i < 200; i++ )); do
                        kill -0 "$SANDBOX_SUPERVISOR" 2>/dev/null || break
                        sleep 0.05
                done
                if kill -0 "$SANDBOX_SUPERVISOR" 2>/dev/null; then
                        echo "# sandbox did not power off in 10 s; killing its PID 1" >&2
                        [[ -n $SANDBOX_PID ]] && kill -KILL "$SANDBOX_PID" 2>/dev/null
                fi
                wait "$SANDBOX_SUPERVISOR" 2>/dev/null
        fi
        # The mount namespace died with its last process, and with it every
        # mount of the sandbox (our lxcfs mounts included). Only the cgroup
        # directories remain.
        for (( i = 0; i < 50; i++ )); do
                [[ -d $SANDBOX_CGROUP ]] || break
                find "$SANDBOX_CGROUP" -depth -type d -exec rmdir {} + 2>/dev/null
                [[ -d $SANDBOX_CGROUP ]] && sleep 0.1
        done
        [[ -d $SANDBOX_CGROUP ]] && echo "# could not remove cgroup $SANDBOX_CGROUP" >&2
        if [[ ${SANDBOX_KEEP_CONSOLE:-0} == 1 ]]; then
                cp "$SANDBOX_WORK/console.log" "$SANDBOX_BASE/last-console.log" 2>/dev/null
        fi
        rm -rf "$SANDBOX_WORK"
        SANDBOX_WORK=
}

sandbox_boot() {
        local cg2 i exe state
        cg2=$(sandbox_cgroup2_mount)
        [[ -n $cg2 ]] || { echo "# no cgroup2 mount on this host" >&2; return 1; }
        mkdir -p "$SANDBOX_BASE"
        sandbox_sweep_leftovers

        SANDBOX_WORK=$(mktemp -d "$SANDBOX_BASE/run.XXXXXX")
        # Held for our lifetime: tells the sweeper of a later run we are alive.
        exec {SANDBOX_LOCK_FD}>"$SANDBOX_WORK/lock"
        flock -n "$SANDBOX_LOCK_FD"
        SANDBOX_CGROUP=$cg2/lxcfs-sandbox.${SANDBOX_WORK##*.}
        echo "$SANDBOX_CGROUP" >"$SANDBOX_WORK/cgroup"
        mkdir -p "$SANDBOX_CGROUP/supervisor" "$SANDBOX_CGROUP/init"

        # setsid: no terminal signals. --pdeathsig KILL + --kill-child: if
        # this test dies, even by SIGKILL, the sandbox PID 1 dies with it,
        # and so do the pid and mount namespaces.
        setsid setpriv --pdeathsig KILL bash -c '
                echo $$ >"$1/supervisor/cgroup.procs" &&
                exec unshare --pid --fork --kill-child --mount --propagation private \
                        --uts --ipc -- "$2" "$1" "$3"' \
                _ "$SANDBOX_CGROUP" "$SANDBOX_LIB_DIR/sandbox-init" "$SANDBOX_WORK" \
                </dev/null >"$SANDBOX_WORK/console.log" 2>&1 {SANDBOX_LOCK_FD}>&- &
        SANDBOX_SUPERVISOR=$!

        for (( i = 0; i < 400; i++ )); do
                SANDBOX_PID=$(awk '{print $1}' "/proc/$SANDBOX_SUPERVISOR/task/$SANDBOX_SUPERVISOR/children" 2>/dev/null || true)
                if [[ -n $SANDBOX_PID ]]; then
                        exe=$(readlink "/proc/$SANDBOX_PID/exe" 2>/dev/null || true)
                        [[ $exe == */systemd && -S /proc/$SANDBOX_PID/root/run/systemd/private ]] && break
                fi
                if ! kill -0 "$SANDBOX_SUPERVISOR" 2>/dev/null; then
                        sed 's/^/# /' "$SANDBOX_WORK/console.log" >&2
                        return 1
                fi
                sleep 0.05
        done
        if [[ ! -S /proc/$SANDBOX_PID/root/run/systemd/private ]]; then
                echo "# systemd did not come up in the sandbox" >&2
                sed 's/^/# /' "$SANDBOX_WORK/console.log" >&2
                return 1
        fi
        SANDBOX_ROOT=/proc/$SANDBOX_PID/root

        state=$(sbx timeout 60 systemctl is-system-running --wait 2>/dev/null || true)
        if [[ $state != running && $state != degraded ]]; then
                echo "# sandbox boot ended in state '$state'" >&2
                return 1
        fi
        return 0
}

# Scribble over the magic of the handover state that the lxcfs with
# sandbox pid PID keeps in a memfd (and in systemd's fd store): its next
# start cannot resume the connection, aborts it and mounts afresh, which
# is the path lxcfs-remount heals.
sbx_corrupt_handover_state() {   # sbx_corrupt_handover_state PID
        local fd
        for fd in "$SANDBOX_ROOT/proc/$1/fd/"*; do
                [[ $(readlink "$fd") == "/memfd:lxcfs-handover"* ]] || continue
                printf 'garbage!' | dd of="$fd" bs=8 count=1 conv=notrunc status=none
                return 0
        done
        return 1
}
