#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the test VM (tests/vm/vmtest): lxcfs-oci-hook as a
# createContainer hook of real runc containers on a cgroup v2 host. runc
# refuses binds under /proc it does not know from config.json, so
# /proc/pressure/* reach a container only through the hook, which mounts
# by itself: a container with a memory limit reads /proc/pressure/* with
# its own cgroup's cpu.pressure, memory.pressure and io.pressure, not the
# host's. runc and jq are in the image (vmtest's package list).
: "${BUILD_DIR:?}" "${SOURCE_DIR:?}"
export LXCFS_BIN=${LXCFS_BIN:-$BUILD_DIR/src/daemon/lxcfs}
source "$SOURCE_DIR/tests/integration/lib.sh"
require_root
[[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]] || skip_all "/sys/fs/cgroup is not cgroup2"
if [[ ${LXCFS_CI:-0} == 1 ]] && ! command -v runc >/dev/null; then
        echo "Bail out! no runc in the VM image (vmtest installs it)"; exit 1
fi
source "$SOURCE_DIR/tests/integration/lib-runc.sh"
runc_require
HOOK=$BUILD_DIR/src/hook/lxcfs-oci-hook
[[ -x $HOOK ]] || skip_all "$HOOK was not built"
[[ -r /proc/pressure/memory ]] || { echo "Bail out! the VM kernel has no PSI"; exit 1; }

T=$(mktemp -d /tmp/lxcfs-ocihook-v2.XXXXXX)
chmod 755 "$T"
at_exit "rm -rf '$T'"
M=$T/mnt
LOG=$T/hook.log
sanitizer_watch "$LOG"
export LXCFS_CDI_SPEC=
ok "daemon starts" lxcfs_start "$M" || { echo "Bail out! lxcfs did not start"; exit 1; }
WRAP=$T/hook
printf '#!/bin/sh\nLXCFS_HOOK_LOG=stderr exec %s %s 2>>%s\n' "$HOOK" "$M" "$LOG" >"$WRAP"
chmod +x "$WRAP"

# Memory stalls elsewhere first, so that the host's memory.pressure total
# is not 0 like a fresh container's: buffered disk reads past MemoryHigh.
systemd-run --quiet --wait --collect -p MemoryHigh=16M \
        dd if=/dev/vda of=/dev/null bs=1M count=48 skip=900 status=none
diag "host: $(grep some /proc/pressure/memory)"

ok "runc creates a container with a 256 MiB limit and the hook" \
        runc_create limited --mem 268435456 --hook "$WRAP"
PID=$(runc_pid limited)
CG=/sys/fs/cgroup$(awk -F: '$1 == "0" { print $3 }' "/proc/$PID/cgroup")
diag "container cgroup: $CG"
expect_eq "its cgroup has the limit" "$(cat "$CG/memory.max")" 268435456
expect_eq "the container sees MemTotal 256 MiB" \
        "$(runc_exec limited head -1 /proc/meminfo | awk '{ print $2 }')" 262144
for k in cpu memory io; do
        expect_eq "/proc/pressure/$k is an lxcfs mount in the container" \
                "$(awk -v p="/proc/pressure/$k" '$5 == p' "/proc/$PID/mountinfo" | grep -c ' - fuse.lxcfs ')" 1
done

shape() { sed -E 's/=[0-9.]+/=N/g'; }
total() { awk -v k="$1" '$1 == k { sub(/.*total=/, ""); print }'; }
for k in cpu memory io; do
        before=$(cat "$CG/$k.pressure")
        got=$(runc_exec limited cat "/proc/pressure/$k")
        after=$(cat "$CG/$k.pressure")
        host=$(cat "/proc/pressure/$k")
        expect_eq "pressure/$k in the container: the kernel's format" \
                "$(shape <<<"$got")" "$(shape < "/proc/pressure/$k")"
        for l in some full; do
                t=$(total $l <<<"$got") lo=$(total $l <<<"$before") hi=$(total $l <<<"$after")
                ok "pressure/$k $l total=$t is the container cgroup's ($lo..$hi)" \
                        test -n "$t" -a "${t:-0}" -ge "${lo:-1}" -a "${t:-0}" -le "${hi:--1}"
        done
        hs=$(total some <<<"$host") ha=$(total some <<<"$after")
        ok "pressure/$k is not the host's (host some total=$hs > $ha)" test "${hs:-0}" -gt "${ha:-0}"
done
err=$(runc_exec limited sh -c 'printf "some 150000 1000000" > /proc/pressure/memory' 2>&1)
ok "a PSI trigger (write) from the container is refused" test $? -ne 0
diag "$err"
expect_eq "and the container still reads it" "$(runc_exec limited head -c 5 /proc/pressure/memory)" "some "

runc_create unlimited --hook "$WRAP" || fail "create unlimited"
ok "an unlimited container is left alone (no pressure bind)" \
        test "$(runc_mount_count unlimited /proc/pressure/memory)" = 0
runc_delete_all
diag "$(cat "$LOG")"

# The hook as installed logs to the journal (no LXCFS_HOOK_LOG): with lxcfs
# stopped a limited container starts, and the journal says why nothing was
# bound.
JWRAP=$T/hook-journal
printf '#!/bin/sh\nexec %s %s\n' "$HOOK" "$M" >"$JWRAP"
chmod +x "$JWRAP"
lxcfs_stop
ok "with lxcfs stopped a limited container still starts (hook logging to the journal)" \
        runc_create stopped --mem 268435456 --hook "$JWRAP"
journalctl --sync 2>/dev/null
jlog=$(journalctl -b -o cat --no-pager SYSLOG_IDENTIFIER=lxcfs-oci-hook 2>&1 | grep "lxcfs is not live at $M")
ok "the journal (SYSLOG_IDENTIFIER=lxcfs-oci-hook) says why nothing was bound" test -n "$jlog"
diag "$jlog"
runc_delete_all
finish
