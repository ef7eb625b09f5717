#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# lxcfs-oci-hook as a createContainer hook of real runc containers: a
# limited container gets the files, an unlimited one or one annotated
# io.lxcfs.enable=false does not; with lxcfs stopped the container still
# starts and the hook says why nothing was bound.
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-runc.sh"

runc_require
HOOK=$BUILD_DIR/src/hook/lxcfs-oci-hook
[[ -x $HOOK ]] || skip_all "$HOOK was not built"
cg_v1_has memory || skip_all "no v1 memory controller"

MNT=$(mktemp -d /tmp/lxcfs-ocihook.XXXXXX)
LOG=$MNT.hook.log
sanitizer_watch "$LOG"
at_exit "rm -rf '$MNT' '$MNT.pid' '$MNT.log' '$LOG'"
export LXCFS_CDI_SPEC=
lxcfs_start "$MNT" || { echo "Bail out! lxcfs did not start"; exit 1; }
# The hook logs to stderr, which runc shows only on failure: keep it.
WRAP=$MNT.wrap
printf '#!/bin/sh\nLXCFS_HOOK_LOG=stderr exec %s %s 2>>%s\n' "$HOOK" "$MNT" "$LOG" >"$WRAP"
chmod +x "$WRAP"
at_exit "rm -f '$WRAP'"
host_kb=$(awk 'NR == 1 {print $2}' /proc/meminfo)
memtotal() { runc_exec "$1" head -1 /proc/meminfo | awk '{print $2}'; }

runc_create limited --mem 268435456 --hook "$WRAP" || fail "create limited"
expect_eq "a container with a memory limit gets meminfo from the hook" "$(memtotal limited)" 262144
expect_eq "and every served file is bound (pressure too: the hook mounts itself)" \
        "$(grep -c ' - fuse.lxcfs ' "/proc/$(runc_pid limited)/mountinfo")" "$LXCFS_N_FILES"
# v1 has no pressure files per cgroup: the container reads the host's,
# through the hook's binds (runc refuses them in config.json).
if [[ -r /proc/pressure/memory ]]; then
        for k in cpu memory io; do
                expect_eq "the container reads /proc/pressure/$k from lxcfs, the host's lines on v1" \
                        "$(runc_exec limited cat /proc/pressure/$k | sed -E 's/=[0-9.]+/=N/g')" \
                        "$(sed -E 's/=[0-9.]+/=N/g' /proc/pressure/$k)"
                expect_eq "/proc/pressure/$k in the container is the lxcfs mount" \
                        "$(awk -v p=/proc/pressure/$k '$5 == p' "/proc/$(runc_pid limited)/mountinfo" | grep -c ' - fuse.lxcfs ')" 1
        done
fi
ok "the binds are read-only" test "$(awk '/ - fuse.lxcfs / && $6 !~ /^ro/' "/proc/$(runc_pid limited)/mountinfo" | wc -l)" = 0
runc_create cpu --cpu-quota 50000 --hook "$WRAP" || fail "create cpu"
expect_eq "a CPU quota of half a CPU: one CPU online" "$(runc_exec cpu cat /sys/devices/system/cpu/online)" 0

runc_create unlimited --hook "$WRAP" || fail "create unlimited"
expect_eq "an unlimited container is left alone" "$(memtotal unlimited)" "$host_kb"
runc_create annotated --hook "$WRAP" --annotation io.lxcfs.enable=true || fail "create annotated"
ok "io.lxcfs.enable=true binds without a limit" test "$(grep -c ' - fuse.lxcfs ' "/proc/$(runc_pid annotated)/mountinfo")" = "$LXCFS_N_FILES"
runc_create optout --mem 268435456 --hook "$WRAP" --annotation io.lxcfs.enable=false || fail "create optout"
expect_eq "io.lxcfs.enable=false wins over a limit" "$(memtotal optout)" "$host_kb"
runc_create bound --mem 268435456 --lxcfs "$MNT" --lxcfs-ro --hook "$WRAP" || fail "create bound"
expect_eq "a container that binds them already gets no second set" \
        "$(grep -c ' - fuse.lxcfs ' "/proc/$(runc_pid bound)/mountinfo")" "$LXCFS_N_BIND_FILES"
ok "the hook logged its reasons" grep -q "not binding lxcfs: annotation io.lxcfs.enable=false" "$LOG"
runc_delete_all

lxcfs_stop
diag "$(cat "$LOG")"
: >"$LOG"
if runc_create stopped --mem 268435456 --hook "$WRAP"; then
        pass "with lxcfs stopped a limited container still starts"
else
        fail "with lxcfs stopped a limited container still starts"
fi
expect_eq "and sees the host's meminfo" "$(memtotal stopped)" "$host_kb"
ok "the hook said why nothing was bound" grep -q "lxcfs is not live at $MNT" "$LOG"
diag "$(cat "$LOG")"

finish
