#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# lxcfs-oci-hook through podman 4.3.1's own hooks.d lookup: the hook entry
# the build generates (src/hook/lxcfs.json), with only its path and its
# mountpoint argument pointed at this build and this test's daemon, sits in
# a directory podman reads through its hooks_dir setting (--hooks-dir, or
# [engine] hooks_dir in containers.conf). No --device flag: a container
# with a memory or CPU limit gets the files, an unlimited one, or a limited
# one annotated io.lxcfs.enable=false, does not; an unlimited one annotated
# io.lxcfs.enable=true does. With lxcfs stopped the container still starts
# and the hook says why nothing was bound.
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-podman.sh"

podman_require
HOOK=$BUILD_DIR/src/hook/lxcfs-oci-hook
ENTRY=$BUILD_DIR/src/hook/lxcfs.json
[[ -x $HOOK && -f $ENTRY ]] || skip_all "$HOOK or $ENTRY was not built"

MNT=$(mktemp -d /tmp/lxcfs-ocipod.XXXXXX)
HOOKS=$MNT.hooks.d
LOGGED=$MNT.logged.d
LOG=$MNT.hook.log
EMPTY=$MNT.empty.d
CONF=$MNT.containers.conf
at_exit "rm -rf '$MNT' '$MNT.pid' '$MNT.log' '$HOOKS' '$LOGGED' '$LOG' '$EMPTY' '$CONF'"
export LXCFS_CDI_SPEC=
lxcfs_start "$MNT" || { echo "Bail out! lxcfs did not start"; exit 1; }
N_FILES=$("$LXCFS_BIN" --list-files | wc -l)
host_kb=$(awk 'NR == 1 {print $2}' /proc/meminfo)

mkdir -p "$HOOKS" "$LOGGED" "$EMPTY"
jq --arg path "$HOOK" --arg mnt "$MNT" '.hook.path = $path | .hook.args[1] = $mnt' \
        "$ENTRY" >"$HOOKS/lxcfs.json"
expect_eq "the installed entry runs at createContainer, always, with the mountpoint as its argument" \
        "$(jq -c '[.version, .stages, .when, .hook.args[0]]' "$ENTRY")" \
        '["1.0.0",["createContainer"],{"always":true},"lxcfs-oci-hook"]'

# What a container sees: MemTotal, free's total, online CPUs as getconf and
# python count them, the online list, and how many lxcfs mounts it has.
# shellcheck disable=SC2016
PROBE='head -1 /proc/meminfo | awk "{print \$2}"; free -b | awk "/^Mem:/ {print \$2}"
getconf _NPROCESSORS_ONLN; python3 -c "import os; print(os.cpu_count())"
cat /sys/devices/system/cpu/online; grep -c " - fuse.lxcfs " /proc/self/mountinfo'
probe() { pod_run "$@" -- "$PROBE" 2>&1 | tr '\n' ' '; }
host_cpus=$(getconf _NPROCESSORS_ONLN)
HOST_VIEW="$host_kb $((host_kb * 1024)) $host_cpus $host_cpus $(cat /sys/devices/system/cpu/online) 0 "
LIMITED_VIEW="262144 268435456 1 1 0 $N_FILES "

PODMAN_GLOBAL_ARGS=(--hooks-dir "$EMPTY")
expect_eq "without our hooks dir a limited container sees the host" "$(probe -m 256m --cpus 0.5)" "$HOST_VIEW"

PODMAN_GLOBAL_ARGS=(--hooks-dir "$HOOKS")
expect_eq "--hooks-dir, -m 256m --cpus 0.5: meminfo, free, getconf, python, online, every served file bound" \
        "$(probe -m 256m --cpus 0.5)" "$LIMITED_VIEW"
expect_eq "an unlimited container is left alone" "$(probe)" "$HOST_VIEW"
expect_eq "io.lxcfs.enable=false wins over a limit" \
        "$(probe -m 256m --cpus 0.5 --annotation io.lxcfs.enable=false)" "$HOST_VIEW"
expect_eq "io.lxcfs.enable=true binds without a limit" \
        "$(probe --annotation io.lxcfs.enable=true | awk '{print $NF}')" "$N_FILES"
out=$(pod_run -m 256m -- 'grep " - fuse.lxcfs " /proc/self/mountinfo' 2>&1)
expect_eq "the binds are read-only: $N_FILES ro, none rw" \
        "$(awk '$6 ~ /^ro/ {ro++} $6 !~ /^ro/ {rw++} END {print ro + 0, rw + 0}' <<<"$out")" "$N_FILES 0"

# The setting an admin would use: hooks_dir in containers.conf.
printf '[engine]\nhooks_dir = ["%s"]\n' "$HOOKS" >"$CONF"
PODMAN_GLOBAL_ARGS=()
expect_eq "hooks_dir in containers.conf: a limited container gets the files" \
        "$(CONTAINERS_CONF=$CONF probe -m 256m --cpus 0.5)" "$LIMITED_VIEW"

# The runtime shows a hook's output nowhere: this entry runs it through a
# shell that keeps its stderr.
printf '#!/bin/sh\nLXCFS_HOOK_LOG=stderr exec "$@" 2>>%s\n' "$LOG" >"$LOGGED/wrap"
chmod +x "$LOGGED/wrap"
jq --arg wrap "$LOGGED/wrap" --arg hook "$HOOK" --arg mnt "$MNT" \
        '.hook.path = $wrap | .hook.args = ["wrap", $hook, $mnt]' "$ENTRY" >"$LOGGED/lxcfs.json"
PODMAN_GLOBAL_ARGS=(--hooks-dir "$LOGGED")
lxcfs_stop
out=$(probe -m 256m --cpus 0.5)
expect_eq "with lxcfs stopped a limited container still starts and sees the host" "$out" "$HOST_VIEW"
ok "the hook said why nothing was bound" grep -q "lxcfs is not live at $MNT" "$LOG"
diag "$(cat "$LOG" 2>/dev/null)"

finish
