# SPDX-License-Identifier: LGPL-2.1-or-later
# Real podman containers with nothing pulled: the rootfs is a directory of
# empty mount points and merged-usr symlinks, the host's /usr is mounted
# read-only. Storage and state live in a private directory, so tests never
# see anyone else's containers. Source it after lib.sh.
#
#   podman_require      skip_all unless root, podman and jq are there
#   pod ARGS...         podman with the private storage
#   PODMAN_GLOBAL_ARGS  more global options for pod and pod_run (an array,
#                       e.g. --hooks-dir DIR)
#   pod_run ARGS... -- CMD...
#                       podman run --rm of CMD (sh -c) in the directory rootfs
#
# This machine's shell lacks CAP_SYS_RESOURCE: podman's default rlimits
# (above ours) fail with "error setting rlimit"; pod_run lowers them.

PODMAN_BASE=$(mktemp -d /tmp/lxcfs-podman.XXXXXX)
PODMAN_GLOBAL_ARGS=()
at_exit "_podman_cleanup"

podman_require() {
        require_root
        command -v podman >/dev/null || skip_all "podman is not installed"
        command -v jq >/dev/null || skip_all "jq is not installed"
        mkdir -p "$PODMAN_BASE"/rootfs/{usr,proc,sys,dev,tmp,etc/alternatives,run}
        local l
        for l in bin lib lib64 sbin; do
                [[ -e /$l ]] && ln -sfn "usr/$l" "$PODMAN_BASE/rootfs/$l"
        done
        echo "root:x:0:0:root:/root:/bin/sh" >"$PODMAN_BASE/rootfs/etc/passwd"
        echo "root:x:0:" >"$PODMAN_BASE/rootfs/etc/group"
}

pod() {
        podman --root "$PODMAN_BASE/storage" --runroot "$PODMAN_BASE/run" --storage-driver vfs \
               --cgroup-manager cgroupfs --events-backend file "${PODMAN_GLOBAL_ARGS[@]}" "$@"
}

pod_run() {
        local args=()
        while [[ $1 != -- ]]; do args+=("$1"); shift; done
        shift
        timeout 120 podman --root "$PODMAN_BASE/storage" --runroot "$PODMAN_BASE/run" \
                --storage-driver vfs --cgroup-manager cgroupfs --events-backend file \
                "${PODMAN_GLOBAL_ARGS[@]}" run --rm --ulimit "nofile=1024:1024" --ulimit "nproc=1024:1024" \
                -v /usr:/usr:ro -v /etc/alternatives:/etc/alternatives:ro "${args[@]}" --rootfs "$PODMAN_BASE/rootfs" /bin/sh -c "$*"
}

_podman_cleanup() {
        findmnt -rn -o TARGET | grep "^$PODMAN_BASE/" | sort -r | xargs -r -n1 umount -l
        rm -rf "$PODMAN_BASE"
}
