#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The CDI spec: written when the daemon is ready, removed at stop; podman
# 4.3.1 binds its files into a container that asks for lxcfs.io/fs=all.
# podman reads specs only from /etc/cdi and /run/cdi, so the test owns
# /run/cdi/lxcfs.json while it runs (integration tests run one at a time).
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-podman.sh"

podman_require
SPEC=/run/cdi/lxcfs.json
[[ -e $SPEC ]] && skip_all "$SPEC exists: another lxcfs publishes the device"
compgen -G '/etc/cdi/*' >/dev/null && grep -qs '"lxcfs.io/fs"' /etc/cdi/* &&
        skip_all "/etc/cdi names lxcfs.io/fs already"

MNT=$(mktemp -d /tmp/lxcfs-cdi.XXXXXX)
at_exit "rm -rf '$MNT' '$MNT.pid' '$MNT.log'; rm -f '$SPEC'"
export LXCFS_CDI_SPEC=$SPEC
lxcfs_start "$MNT" || { echo "Bail out! lxcfs did not start"; exit 1; }

ok "the spec is written at ready" test -s "$SPEC"
ok "it is valid JSON" bash -c 'jq -e . "$1" >/dev/null' _ "$SPEC"
expect_eq "cdiVersion 0.3.0, kind lxcfs.io/fs, one device 'all'" \
        "$(jq -r '[.cdiVersion, .kind, (.devices | length), .devices[0].name] | join(" ")' "$SPEC")" \
        "0.3.0 lxcfs.io/fs 1 all"
expect_eq "no mount has a type field (CDI v0.5 rejects unknown fields)" \
        "$(jq '[.devices[0].containerEdits.mounts[] | select(has("type"))] | length' "$SPEC")" 0
expect_eq "the mounts: exactly the served files runc accepts" \
        "$(jq -r '.devices[0].containerEdits.mounts[].containerPath' "$SPEC" | sort | tr '\n' ' ')" \
        "$("$LXCFS_BIN" --list-files | cut -f1 | grep -v '^proc/pressure/' | sed 's|^|/|' | sort | tr '\n' ' ')"
bad=0
while read -r host ctr; do
        [[ $host == "$MNT$ctr" && -r $host ]] || { diag "$host -> $ctr"; bad=1; }
done < <(jq -r '.devices[0].containerEdits.mounts[] | "\(.hostPath) \(.containerPath)"' "$SPEC")
expect_eq "each hostPath is the served file under the mountpoint" "$bad" 0
expect_eq "read-only binds" \
        "$(jq '[.devices[0].containerEdits.mounts[] | select((.options | index("ro")) and (.options | index("bind")))] | length' "$SPEC")" \
        "$("$LXCFS_BIN" --list-files | grep -vc '^proc/pressure/')"

out=$(pod_run --device lxcfs.io/fs=all -m 256m --cpus 0.5 -- \
        'head -1 /proc/meminfo; free -b | awk "/^Mem:/ {print \$2}"; getconf _NPROCESSORS_ONLN;
         python3 -c "import os; print(os.cpu_count())"; cat /sys/devices/system/cpu/online' 2>&1)
diag "$out"
expect_eq "podman --device lxcfs.io/fs=all -m 256m --cpus 0.5: meminfo, free, getconf, python, online" \
        "$(tr -s ' \n' ' ' <<<"$out")" "MemTotal: 262144 kB 268435456 1 1 0 "
out=$(pod_run -m 256m -- 'head -1 /proc/meminfo' 2>&1)
ok "without the device the container sees the host's memory" \
        test "$(awk '{print $2}' <<<"$out")" = "$(awk 'NR == 1 {print $2}' /proc/meminfo)"

lxcfs_stop
ok "the spec is removed at stop" test ! -e "$SPEC"
ok "the daemon logged the spec it wrote" grep -q "Wrote the CDI spec $SPEC" "$MNT.log"

finish
