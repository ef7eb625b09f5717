#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Passthrough reads on a real mount, with readers in real v1 cgroups: every
# file read through the kernel (FOPEN_PASSTHROUGH) is byte for byte the text
# the daemon rendered for that open, and so is every file read through the
# daemon (--no-passthrough); reads of a passthrough open never reach the
# daemon; two readers in cgroups with different limits holding meminfo open
# at the same moment each read their own text.
source "$(dirname "$0")/lib.sh"
require_root
for c in memory cpu cpuacct cpuset; do cg_v1_has $c || skip_all "no v1 $c hierarchy"; done

T=$(mktemp -d /tmp/lxcfs-pt.XXXXXX)
at_exit "rm -rf $T"
CTRLS="memory cpu cpuacct cpuset"
CG=lxcfs-pt-$$
# Every file of the table (proc/slabinfo is root's; these readers are root).
FILES=$("$LXCFS_BIN" --list-files | cut -f1)
[[ -n $FILES ]] || skip_all "lxcfs --list-files printed nothing"

cg_v1_create "$CG-a" $CTRLS
cg_v1_create "$CG-b" $CTRLS
cg_v1_set memory "$CG-a" $((256 << 20)) memory.limit_in_bytes
cg_v1_set memory "$CG-b" $((512 << 20)) memory.limit_in_bytes
cg_v1_set cpu "$CG-a" 100000 cpu.cfs_period_us
cg_v1_set cpu "$CG-a" 50000 cpu.cfs_quota_us

# read_as CGROUP FILE OUT: read FILE from a shell in CGROUP; prints its pid
# (the opener, as the daemon sees it).
read_as() {
        in_cgroups "$1" "$CTRLS" bash -c 'echo $$; exec 3<"$1"; cat <&3 >"$2"' _ "$2" "$3"
}

# same_as_rendered MOUNT SAVED_DIR LABEL: each file, read by a limited
# reader and a host reader, equals what the daemon rendered for that open.
same_as_rendered() {
        local m=$1 saved=$2 label=$3 f pid bad=0 who
        for f in $FILES; do
                for who in "$CG-a" ""; do
                        if [[ -n $who ]]; then
                                pid=$(read_as "$who" "$m/$f" "$T/got")
                        else
                                pid=$(bash -c 'echo $$; exec 3<"$1"; cat <&3 >"$2"' _ "$m/$f" "$T/got")
                        fi
                        if ! cmp -s "$T/got" "$saved/${f//\//_}.$pid"; then
                                bad=1
                                diag "$label: $f read by pid $pid differs from the text rendered for it"
                        fi
                done
        done
        (( bad == 0 ))
}

mkdir -p "$T/saved-pt" "$T/saved-plain"
export LXCFS_TEST_SAVE_TEXT=$T/saved-pt
ok "daemon with passthrough starts" lxcfs_start "$T/pt" --debug --passthrough
PT_MNT=$LXCFS_MNT
if ! grep -q "reads: passthrough" "$T/pt.log"; then
        grep "reads:" "$T/pt.log" | sed 's/^/# /'
        lxcfs_stop
        skip_all "this kernel does not do FUSE passthrough"
fi
pass "the daemon says: reads: passthrough"
ok "every file through passthrough is what was rendered, byte for byte" \
        same_as_rendered "$T/pt" "$T/saved-pt" passthrough
ok "those opens were passthrough opens" grep -q "open proc/meminfo by pid .*passthrough, new backing file" "$T/pt.log"
expect_eq "no read reached the daemon" "$(grep -c 'read inode' "$T/pt.log")" "0"

# --- two readers, different limits, meminfo open at the same moment ---
hold_and_read() {   # hold_and_read CGROUP NAME: open, say so, wait for go, read
        in_cgroups "$1" "$CTRLS" bash -c 'exec 3<"$1"; echo $$ >"$2.pid"; touch "$2.open"
                while [[ ! -e $3 ]]; do sleep 0.01; done; cat <&3 >"$2.out"' _ \
                "$PT_MNT/proc/meminfo" "$T/$2" "$T/go" &
        READERS+=($!)
}
READERS=()
wait_for() { local i; for (( i = 0; i < 500; i++ )); do [[ -e $1 ]] && return 0; sleep 0.01; done; return 1; }
hold_and_read "$CG-a" r1
wait_for "$T/r1.open"
hold_and_read "$CG-b" r2
wait_for "$T/r2.open"
hold_and_read "$CG-a" r3
wait_for "$T/r3.open"
touch "$T/go"
wait "${READERS[@]}"
mt() { awk '$1 == "MemTotal:" {print $2}' "$1"; }
expect_eq "reader 1 (256 MiB) reads its own MemTotal" "$(mt "$T/r1.out")" 262144
expect_eq "reader 2 (512 MiB), open at the same time, reads its own" "$(mt "$T/r2.out")" 524288
expect_eq "reader 3 (256 MiB) too" "$(mt "$T/r3.out")" 262144
for r in r1 r2 r3; do
        ok "$r read exactly what was rendered for its open" \
                cmp -s "$T/$r.out" "$T/saved-pt/proc_meminfo.$(cat "$T/$r.pid")"
done
ok "reader 1 got a new backing file" \
        grep -q "open proc/meminfo by pid $(cat "$T/r1.pid"): .*new backing file" "$T/pt.log"
ok "reader 2 named it, with its reads through the daemon" \
        grep -q "open proc/meminfo by pid $(cat "$T/r2.pid"): .*reads through the daemon" "$T/pt.log"
ok "reader 3 shared it or read through the daemon, never a second backing file" \
        grep -Eq "open proc/meminfo by pid $(cat "$T/r3.pid"): .*(shared backing file|reads through the daemon)" "$T/pt.log"
lxcfs_stop

# --- the same files through the daemon ---
export LXCFS_TEST_SAVE_TEXT=$T/saved-plain
ok "daemon with --no-passthrough starts" lxcfs_start "$T/plain" --debug --no-passthrough
ok "it says why reads go through it" grep -q "reads: through the daemon (off: --passthrough turns it on)" "$T/plain.log"
ok "every file through the daemon is what was rendered, byte for byte" \
        same_as_rendered "$T/plain" "$T/saved-plain" daemon
ok "its opens were plain" grep -q "open proc/meminfo by pid .*through the daemon$" "$T/plain.log"
ok "and the reads reached it" grep -q "read inode" "$T/plain.log"
lxcfs_stop
unset LXCFS_TEST_SAVE_TEXT
finish
