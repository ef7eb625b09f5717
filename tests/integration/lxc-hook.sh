#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# LXC's mount hook: a real LXC container (Debian's lxc 5.0.2) with a memory
# limit sees it through the hook; without lxcfs it still starts. Then the
# hook alone, in a private mount namespace with LXC's variables: it binds
# only targets that exist, never through a symlink of the rootfs.
set -u
source "$(dirname "$0")/lib.sh"

require_root
HOOK=$BUILD_DIR/packaging/lxc/lxc.mount.hook
[[ -x $HOOK ]] || skip_all "$HOOK was not built"

BASE=$(mktemp -d /tmp/lxcfs-lxc.XXXXXX)
MNT=$BASE/mnt
at_exit "rm -rf '$BASE'"
export LXCFS_CDI_SPEC=
lxcfs_start "$MNT" || { echo "Bail out! lxcfs did not start"; exit 1; }
export LXCFS_MOUNTPOINT=$MNT

make_rootfs() {
        mkdir -p "$1"/{usr,proc,sys,dev,tmp,etc/alternatives,run}
        local l
        for l in bin lib lib64 sbin; do [[ -e /$l ]] && ln -sfn "usr/$l" "$1/$l"; done
}

lxc_container() {   # NAME: config with a 256 MiB limit and our hooks
        make_rootfs "$BASE/$1/rootfs"
        cat >"$BASE/$1/config" <<EOC
lxc.uts.name = $1
lxc.rootfs.path = dir:$BASE/$1/rootfs
lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
lxc.mount.entry = /usr usr none bind,ro 0 0
lxc.mount.entry = /etc/alternatives etc/alternatives none bind,ro 0 0
lxc.cgroup.memory.limit_in_bytes = 268435456
$([[ -d /sys/devices/system/cpu/cpu1 ]] && echo "lxc.cgroup.cpuset.cpus = 1")
lxc.hook.mount = $HOOK
lxc.hook.post-stop = $SOURCE_DIR/packaging/lxc/lxc.reboot.hook
lxc.net.0.type = empty
lxc.init.cmd = /bin/sleep infinity
lxc.apparmor.profile = unconfined
EOC
        at_exit "lxc-stop -P '$BASE' -n '$1' -k"
        sanitizer_watch "$BASE/$1.log"     # the hook's stderr lands there
        timeout 60 lxc-start -P "$BASE" -n "$1" -d -l DEBUG -o "$BASE/$1.log"
}

if command -v lxc-start >/dev/null && cg_v1_has memory; then
        if lxc_container limited; then
                out=$(lxc-attach -P "$BASE" -n limited -- sh -c \
                        'head -1 /proc/meminfo; free -b | awk "/^Mem:/ {print \$2}"' 2>&1)
                expect_eq "lxc 5.0.2, memory limit 256 MiB: meminfo and free through the hook" \
                        "$(tr -s ' \n' ' ' <<<"$out")" "MemTotal: 262144 kB 268435456 "
                n=$(grep -c " - fuse.lxcfs " "/proc/$(lxc-info -P "$BASE" -n limited -pH)/mountinfo")
                # /proc/pressure/* exist in the container's /proc when the
                # kernel has PSI: then they are bound too.
                want=$("$LXCFS_BIN" --list-files | cut -f1 |
                       { if [[ -r /proc/pressure/memory ]]; then cat; else grep -v '^proc/pressure/'; fi } | wc -l)
                expect_eq "every served file is bound (those of --list-files the rootfs has)" "$n" "$want"
                if [[ -r /proc/pressure/memory ]]; then
                        out=$(lxc-attach -P "$BASE" -n limited -- sh -c \
                                'for k in cpu memory io; do sed -E "s/=[0-9.]+/=N/g" /proc/pressure/$k; done' 2>&1)
                        expect_eq "the hook binds /proc/pressure/*: the container reads them (the host's lines on v1)" \
                                "$out" "$(for k in cpu memory io; do sed -E 's/=[0-9.]+/=N/g' /proc/pressure/$k; done)"
                        expect_eq "/proc/pressure/memory in the container is the lxcfs mount" \
                                "$(awk '$5 == "/proc/pressure/memory"' "/proc/$(lxc-info -P "$BASE" -n limited -pH)/mountinfo" |
                                   grep -c ' - fuse.lxcfs ')" 1
                fi
                [[ -d /sys/devices/system/cpu/cpu1 ]] && out=$(lxc-attach -P "$BASE" -n limited -- sh -c \
                        'ls /sys/devices/system/cpu | grep -E "^cpu[0-9]+\$"; cat /sys/devices/system/cpu/online;
                         cat /sys/devices/system/cpu/cpu1/topology/core_id' 2>&1)
                [[ -d /sys/devices/system/cpu/cpu1 ]] &&
                expect_eq "cpuset 1: the cpu directory is bound whole: cpu1 only, online, topology" \
                        "$(tr '\n' ' ' <<<"$out")" "cpu1 1 $(cat /sys/devices/system/cpu/cpu1/topology/core_id) "
                lxc-stop -P "$BASE" -n limited -k
        else
                fail "lxc-start of a limited container"; diag "$(tail -20 "$BASE/limited.log")"
        fi
        lxcfs_stop
        if lxc_container nolxcfs; then
                pass "with lxcfs stopped the container still starts"
                out=$(lxc-attach -P "$BASE" -n nolxcfs -- head -1 /proc/meminfo)
                ok "and sees the host's meminfo" test "$(awk '{print $2}' <<<"$out")" = \
                        "$(awk 'NR == 1 {print $2}' /proc/meminfo)"
                ok "the hook said why it bound nothing" grep -q "no lxcfs mounted at $MNT" "$BASE/nolxcfs.log"
                lxc-stop -P "$BASE" -n nolxcfs -k
        else
                fail "lxc-start without lxcfs"; diag "$(tail -20 "$BASE/nolxcfs.log")"
        fi
        lxcfs_start "$MNT" || { echo "Bail out! lxcfs did not restart"; exit 1; }
else
        pass "# SKIP lxc-start or the v1 memory controller is missing"
fi

# The hook by itself, in a private mount namespace, as LXC calls it.
R=$BASE/direct
make_rootfs "$R"
touch "$R/proc/meminfo" "$R/proc/stat"          # the rest of /proc missing
mkdir -p "$R/sys/devices/system" "$BASE/elsewhere/cpu"
touch "$BASE/elsewhere/cpu/online"
ln -s "$BASE/elsewhere/cpu" "$R/sys/devices/system/cpu"   # a symlink out of the rootfs
out=$(LXC_ROOTFS_MOUNT=$R LXC_NAME=direct LXC_HOOK_TYPE=mount unshare -m --propagation private sh -c '
        "$1" lxc direct mount || echo "hook failed: $?"
        grep " - fuse.lxcfs " /proc/self/mountinfo | awk -v r="$2/" "index(\$5, r) == 1 {print substr(\$5, length(r))}" | sort
        ' _ "$HOOK" "$R" 2>&1)
diag "$out"
expect_eq "binds only targets that exist, never through a rootfs symlink" \
        "$(grep -v '^lxcfs mount hook' <<<"$out" | tr '\n' ' ')" "/proc/meminfo /proc/stat "
ok "says it skipped the symlink" grep -q "sys/devices/system/cpu is a symlink" <<<"$out"
ok "nothing was mounted on the symlink's target" test "$(findmnt -rn "$BASE/elsewhere/cpu/online" | wc -l)" = 0
out=$(env -u LXC_ROOTFS_MOUNT "$HOOK" lxc x mount 2>&1; echo "rc=$?")
ok "without LXC_ROOTFS_MOUNT it binds nothing and succeeds" grep -q "rc=0" <<<"$out"

prefix=$(meson introspect --buildoptions "$BUILD_DIR" | jq -r '.[] | select(.name == "prefix") | .value')
expect_eq "00-lxcfs.conf names both hooks where meson installs them" \
        "$(grep -v '^#' "$BUILD_DIR/packaging/lxc/00-lxcfs.conf" | tr '\n' ' ')" \
        "lxc.hook.mount = $prefix/share/lxcfs/lxc.mount.hook lxc.hook.post-stop = $prefix/share/lxcfs/lxc.reboot.hook "

finish
