# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared helpers for the integration tests: TAP output, a daemon per test,
# throw-away v1/v2 cgroups. Source it; it sets `set -u` and a cleanup trap.

set -u

TAP_N=0
TAP_FAILED=0
CLEANUP_CMDS=()

ok() {   # ok DESCRIPTION COMMAND... : run COMMAND, report it
        local desc=$1; shift
        TAP_N=$((TAP_N + 1))
        if "$@"; then
                echo "ok $TAP_N - $desc"
        else
                echo "not ok $TAP_N - $desc"
                TAP_FAILED=$((TAP_FAILED + 1))
        fi
}

pass() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }
fail() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $1"; }
skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # SKIP $1"; }
diag() { sed 's/^/# /' <<<"$*"; }

# expect_eq DESCRIPTION GOT WANT
expect_eq() {
        if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1"; diag "got:  '$2'"; diag "want: '$3'"; fi
}

# expect_near DESCRIPTION GOT WANT TOLERANCE (integers)
expect_near() {
        local d=$(( $2 - $3 ))
        (( d < 0 )) && d=$(( -d ))
        if (( d <= $4 )); then pass "$1"; else fail "$1"; diag "got $2, want $3 +- $4"; fi
}

skip_all() { echo "1..0 # SKIP $*"; exit 77; }

require_root() { [[ $EUID == 0 ]] || skip_all "needs root"; }

at_exit() { CLEANUP_CMDS+=("$*"); }

run_cleanup() {
        local i
        for (( i=${#CLEANUP_CMDS[@]}-1; i>=0; i-- )); do
                eval "${CLEANUP_CMDS[$i]}" >/dev/null 2>&1 || true
        done
}

finish() {
        # A leak is reported when the daemon exits: stop it first.
        lxcfs_stop
        sanitizer_check
        echo "1..$TAP_N"
        (( TAP_FAILED == 0 ))
}

trap run_cleanup EXIT

: "${LXCFS_BIN:?LXCFS_BIN not set (run through meson test)}"

# In a sanitizer build (tests/run's build-asan) a report goes to the
# stderr of the program that hit it, which is a log here, and the program
# may well go on serving: every log of the daemons and helpers under test
# is scanned, and finish() fails a test with the first reports found.
SANITIZER_RE='runtime error:|ERROR: AddressSanitizer|ERROR: LeakSanitizer'
SANITIZER_LOGS=()
SANITIZER_FOUND=
if ldd "$LXCFS_BIN" 2>/dev/null | grep -qE 'lib(a|ub)san'; then
        SANITIZER_FOUND=$(mktemp /tmp/lxcfs-sanitizer.XXXXXX)
        at_exit "rm -f '$SANITIZER_FOUND'"
fi

# sanitizer_watch FILE: a log that finish() scans.
sanitizer_watch() { SANITIZER_LOGS+=("$1"); }

# sanitizer_scan FILE: keep the reports FILE holds now (for a file that is
# overwritten before finish()).
sanitizer_scan() {
        [[ -n $SANITIZER_FOUND && -r $1 ]] || return 0
        grep -E -A 12 "$SANITIZER_RE" "$1" | sed "s|^|$1: |" >>"$SANITIZER_FOUND"
        return 0
}

sanitizer_check() {
        local f
        [[ -n $SANITIZER_FOUND ]] || return 0
        for f in "${SANITIZER_LOGS[@]}"; do sanitizer_scan "$f"; done
        if [[ -s $SANITIZER_FOUND ]]; then
                fail "no sanitizer report from the programs under test"
                diag "$(head -n 60 "$SANITIZER_FOUND")"
        else
                pass "no sanitizer report from the programs under test"
        fi
}

LXCFS_PID=
LXCFS_MNT=

# lxcfs_start MOUNTPOINT [ARGS...]: start the daemon, wait until it serves.
# LXCFS_DAEMON_ARGS (meson sets it for the second run of some tests, e.g.
# --no-passthrough) comes before ARGS.
lxcfs_start() {
        local mnt=$1; shift
        mkdir -p "$mnt" 2>/dev/null
        LXCFS_MNT=$mnt
        # shellcheck disable=SC2086 # a word list on purpose
        "$LXCFS_BIN" --pidfile "$mnt.pid" ${LXCFS_DAEMON_ARGS:-} "$@" "$mnt" 2>>"$mnt.log" &
        LXCFS_PID=$!
        sanitizer_watch "$mnt.log"
        at_exit "lxcfs_stop"
        local i
        for (( i = 0; i < 200; i++ )); do
                [[ -r $mnt/proc/uptime ]] && grep -qs . "$mnt/proc/uptime" && return 0
                kill -0 "$LXCFS_PID" 2>/dev/null || { cat "$mnt.log" >&2; return 1; }
                sleep 0.05
        done
        return 1
}

lxcfs_stop() {
        [[ -n $LXCFS_PID ]] || return 0
        kill -TERM "$LXCFS_PID" 2>/dev/null
        wait "$LXCFS_PID" 2>/dev/null
        local rc=$?
        LXCFS_PID=
        mountpoint -q "$LXCFS_MNT" && umount -l "$LXCFS_MNT"
        # Its log may be removed by the test's cleanup before finish().
        sanitizer_scan "$LXCFS_MNT.log"
        return $rc
}

# v1 cgroup helpers: cg_v1_create NAME CONTROLLER... ; cg_v1_path CONTROLLER NAME
CG_V1_ROOT=/sys/fs/cgroup
cg_v1_has() { [[ -d $CG_V1_ROOT/$1 && $(stat -f -c %T "$CG_V1_ROOT/$1") == cgroupfs ]]; }
cg_v1_create() {
        local name=$1; shift
        local c
        for c in "$@"; do
                mkdir -p "$CG_V1_ROOT/$c/$name"
                at_exit "cg_v1_remove $c $name"
                if [[ $c == cpuset ]]; then
                        cat "$CG_V1_ROOT/cpuset/cpuset.mems" > "$CG_V1_ROOT/cpuset/$name/cpuset.mems"
                        cat "$CG_V1_ROOT/cpuset/cpuset.cpus" > "$CG_V1_ROOT/cpuset/$name/cpuset.cpus"
                fi
        done
}
cg_v1_remove() {   # kill what is left, then remove bottom-up
        local dir=$CG_V1_ROOT/$1/$2 p
        [[ -d $dir ]] || return 0
        for p in $(cat "$dir"/cgroup.procs 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
}
cg_v1_set() { echo "$3" > "$CG_V1_ROOT/$1/$2/$4"; }        # cg_v1_set CTRL NAME VALUE FILE
cg_v1_join() { local c; local pid=$1 name=$2; shift 2; for c in "$@"; do echo "$pid" > "$CG_V1_ROOT/$c/$name/cgroup.procs"; done; }

# in_cgroups NAME "CTRL..." COMMAND...: run COMMAND inside cgroup NAME of each controller
in_cgroups() {
        local name=$1 ctrls=$2; shift 2
        bash -c 'for c in '"$ctrls"'; do echo $$ > '"$CG_V1_ROOT"'/$c/'"$name"'/cgroup.procs; done; exec "$@"' _ "$@"
}
