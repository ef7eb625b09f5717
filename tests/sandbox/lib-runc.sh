# SPDX-License-Identifier: LGPL-2.1-or-later
# runc containers inside the systemd sandbox (lib.sh), as the service and
# package tests start them: nothing pulled, the rootfs is a directory of
# mount points and merged-usr symlinks with the sandbox's /usr and
# /etc/alternatives bound read-only. The bundle must live in the sandbox:
# its mount namespace holds the lxcfs mount the containers bind, and the
# one lxcfs-remount walks. Source after lib.sh.
#
#   sbx_bind SRC DST MODE    the JSON of one bind mount (MODE: ro or rw)
#   sbx_runc_bundle BUNDLE NAME CGROUPS_PATH ARGS_JSON [MOUNT_JSON...]
#                            make the bundle BUNDLE (a path in the sandbox)
#                            running ARGS_JSON, with these extra mounts
#   sbx_runc_start ROOT BUNDLE NAME
#                            runc --root ROOT create + start; runc's
#                            errors on stderr. The container's stdio is
#                            /dev/null and a log file, never the caller's
#                            (a $(...) would wait for the container).

sbx_bind() {
        jq -nc --arg s "$1" --arg d "$2" --arg m "$3" \
                '{destination: $d, type: "bind", source: $s, options: ["rbind", $m, "nosuid", "nodev"]}'
}

sbx_runc_bundle() {
        local name=$2 cgroup=$3 args=$4 hb=$SANDBOX_ROOT$1 l mounts
        shift 4
        mkdir -p "$hb"/rootfs/{usr,proc,sys,dev,tmp,run,etc/alternatives}
        for l in bin lib lib64 sbin; do [[ -e /$l ]] && ln -sfn "usr/$l" "$hb/rootfs/$l"; done
        echo "root:x:0:0:root:/root:/bin/sh" >"$hb/rootfs/etc/passwd"
        (cd "$hb" && rm -f config.json && runc spec) || return 1
        mounts=$(printf '%s\n' "$(sbx_bind /usr /usr ro)" "$(sbx_bind /etc/alternatives /etc/alternatives ro)" "$@" |
                 jq -sc .)
        jq --arg name "$name" --arg cg "$cgroup" --argjson args "$args" --argjson m "$mounts" '
                .process.terminal = false | .process.args = $args
              | .hostname = $name | .linux.cgroupsPath = $cg | .mounts += $m' \
                "$hb/config.json" >"$hb/config.json.new" && mv "$hb/config.json.new" "$hb/config.json"
}

sbx_runc_start() {
        local err=$SANDBOX_WORK/runc-$3.err
        if sbx runc --root "$1" create --bundle "$2" "$3" </dev/null >/dev/null 2>"$err" &&
           sbx runc --root "$1" start "$3" 2>>"$err"; then
                return 0
        fi
        cat "$err" >&2
        return 1
}
