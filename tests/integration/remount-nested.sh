#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Namespaces that no runtime knows about are healed too: a process inside a
# container with its own copy of the mount namespace (unshare -m), and a
# container in a user namespace (runc uid/gid mappings).
source "$(dirname "$0")/remount-lib.sh"
remount_setup

runc_create plain --lxcfs "$MNT" --mem $((80 << 20)) --cpuset 0 ||
        { echo "Bail out! runc container plain"; exit 1; }
runc_create userns --lxcfs "$MNT" --mem $((112 << 20)) --cpuset 0 --userns ||
        { echo "Bail out! runc container userns"; exit 1; }

# A private copy of the container's mount namespace, made from inside it.
tag=$(( 86000 + $$ % 1000 ))
runc_cmd exec -d --cap CAP_SYS_ADMIN plain unshare -m --propagation private sleep "$tag" \
        </dev/null >/dev/null 2>&1
nested=
for (( i = 0; i < 50; i++ )); do
        for p in $(cat "/sys/fs/cgroup/memory/lxcfs-test-plain-$$/cgroup.procs" 2>/dev/null); do
                [[ $(cat "/proc/$p/cmdline" 2>/dev/null | tr '\0' ' ') == "sleep $tag " ]] && nested=$p
        done
        [[ -n $nested ]] && break
        sleep 0.1
done
[[ -n $nested ]] || { echo "Bail out! no nested namespace"; exit 1; }
ok "the nested process has its own mount namespace" \
        test "$(readlink "/proc/$nested/ns/mnt")" != "$(readlink "/proc/$(runc_pid plain)/ns/mnt")"

nested_ok() {   # every lxcfs target in the nested namespace: one mount, live device
        local dev f n
        dev=$(live_dev)
        for f in "${LXCFS_BIND_FILES[@]}"; do
                n=$(awk -v p="/$f" -v d="$dev" '$5 == p { n++; if ($3 != d) bad = 1 } END { print bad ? "stale" : n + 0 }' \
                        "/proc/$nested/mountinfo")
                [[ $n == 1 ]] || { diag "nested: /$f: $n"; return 1; }
        done
        nsenter -t "$nested" -m cat /proc/meminfo >/dev/null
}

lxcfs_crash
ok "user-namespaced container fails with ENOTCONN" reads_enotconn userns
lxcfs_start "$MNT" || { echo "Bail out! lxcfs restart"; exit 1; }

run_remount -v
expect_eq "lxcfs-remount exits 0" "$RC" 0
ok "summary: at least 24 rebound, 0 failed" summary_ok 24
ok "plain container healed" check_container plain 81920 0
ok "plain container: one live mount per target" one_live_mount_each plain
ok "nested namespace inside the container healed" nested_ok
ok "user-namespaced container healed" check_container userns 114688 0
ok "user-namespaced container: one live mount per target" one_live_mount_each userns
ok "nested pid named in the output" grep -q "(pid $nested)" "$T/out"

run_remount
expect_eq "second run exits 0" "$RC" 0
ok "second run rebinds nothing" grep -q "Rebound 0 stale" "$T/out"

finish
