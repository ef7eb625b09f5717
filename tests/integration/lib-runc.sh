# SPDX-License-Identifier: LGPL-2.1-or-later
# Real runc containers for the integration tests. Source it after lib.sh
# (it registers its cleanup with lib.sh's at_exit).
#
# The rootfs reuses the host: /usr is bind-mounted read-only and /bin, /lib,
# /lib64, /sbin are symlinks into it (Debian 12 is merged-usr), so nothing is
# downloaded. Containers run under a private runc state directory, so tests
# never see (or delete) containers of anyone else.
#
#   runc_require
#       skip_all unless root, runc and jq are there.
#   runc_create NAME [OPTIONS...]
#       Create and start container NAME running `sleep infinity` (or --cmd).
#       --lxcfs MNT         bind the eight lxcfs files of the mount MNT:
#                           MNT/proc/{meminfo,cpuinfo,stat,uptime,loadavg,
#                           diskstats,swaps} -> /proc/..., and
#                           MNT/sys/devices/system/cpu/online -> same path
#       --lxcfs-ro          make those binds read-only
#       --mem BYTES         memory limit
#       --cpu-quota US      CFS quota (period 100000 us unless --cpu-period)
#       --cpu-period US
#       --cpuset CPUS       e.g. "0" or "0-1"
#       --userns            user namespace: container 0..65535 -> host 100000..
#       --cgroup PATH       cgroupsPath (default /lxcfs-test-NAME-$$)
#       --cmd "ARGS..."     process args, split on spaces
#       --bind SRC:DST      an extra read-write bind mount (repeatable)
#       --hook "PATH ARGS..."  a createContainer hook (split on spaces)
#       --annotation K=V    an annotation (repeatable)
#       The container's stdout/stderr go to $(runc_dir NAME)/out.
#   runc_exec NAME CMD...   run CMD inside NAME (`runc exec`), stdio passed through
#   runc_pid NAME           the host pid of NAME's init
#   runc_dir NAME           the bundle directory of NAME
#   runc_delete NAME        `runc delete -f` and remove the bundle
#   runc_delete_all         delete every container this test created (run at exit)
#   runc_mount_count NAME PATH
#                           how many mounts sit at PATH in NAME's mount namespace

RUNC_BASE=$(mktemp -d /tmp/lxcfs-runc.XXXXXX)
chmod 755 "$RUNC_BASE"   # user-namespaced containers must reach their rootfs
RUNC_STATE=$RUNC_BASE/state
RUNC_NAMES=()
at_exit "runc_delete_all; rm -rf '$RUNC_BASE'"

# Every file of the table (lxcfs --list-files) except the pressure files,
# which runc refuses to bind under /proc from config.json.
mapfile -t LXCFS_BIND_FILES < <("$LXCFS_BIN" --list-files | cut -f1 | grep -v '^proc/pressure/')
(( ${#LXCFS_BIND_FILES[@]} > 0 )) || { echo "Bail out! $LXCFS_BIN --list-files printed nothing"; exit 1; }
# Files only the host's root may read (mode 0400, e.g. proc/slabinfo): a
# user-namespaced container's root is not the host's.
mapfile -t LXCFS_ROOT_ONLY_FILES < <("$LXCFS_BIN" --list-files | awk -F'\t' '$2 == "0400" { print $1 }')
# Every served file, and those runc accepts as binds (no /proc/pressure).
LXCFS_N_FILES=$("$LXCFS_BIN" --list-files | wc -l)
LXCFS_N_BIND_FILES=${#LXCFS_BIND_FILES[@]}

runc_require() {
        require_root
        command -v runc >/dev/null || skip_all "runc is not installed"
        command -v jq >/dev/null || skip_all "jq is not installed"
}

runc_cmd() { runc --root "$RUNC_STATE" "$@"; }
runc_dir() { echo "$RUNC_BASE/$1"; }

# Build the rootfs directory: empty mount points plus merged-usr symlinks.
_runc_rootfs() {
        local root=$1 l
        mkdir -p "$root"/{usr,proc,sys,dev,tmp,etc/alternatives,run}
        for l in bin lib lib64 sbin; do
                [[ -e /$l ]] && ln -sfn "usr/$l" "$root/$l"
        done
        echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
        echo "root:x:0:" >"$root/etc/group"
}

# jq program pieces, applied one after the other to `runc spec`'s config.
_runc_bind_json() {   # SRC DST ro|rw
        jq -nc --arg s "$1" --arg d "$2" --arg m "$3" \
                '{destination: $d, type: "bind", source: $s, options: ["rbind", $m, "nosuid", "nodev"]}'
}

runc_create() {
        local name=$1; shift
        local dir; dir=$(runc_dir "$name")
        local lxcfs="" lxcfs_mode=rw mem="" quota="" period=100000 cpuset="" userns=0
        local cgroup="/lxcfs-test-$name-$$" cmd="sleep infinity" binds=() f hook="" annotations=()
        while (( $# )); do
                case $1 in
                --lxcfs) lxcfs=$2; shift ;;
                --lxcfs-ro) lxcfs_mode=ro ;;
                --mem) mem=$2; shift ;;
                --cpu-quota) quota=$2; shift ;;
                --cpu-period) period=$2; shift ;;
                --cpuset) cpuset=$2; shift ;;
                --userns) userns=1 ;;
                --cgroup) cgroup=$2; shift ;;
                --cmd) cmd=$2; shift ;;
                --bind) binds+=("$2"); shift ;;
                --hook) hook=$2; shift ;;
                --annotation) annotations+=("$2"); shift ;;
                *) echo "runc_create: unknown option $1" >&2; return 2 ;;
                esac
                shift
        done

        mkdir -p "$dir"
        _runc_rootfs "$dir/rootfs"
        (cd "$dir" && runc spec) || return 1

        local mounts=() args
        mounts+=("$(_runc_bind_json /usr /usr ro)")
        # Debian's awk, editor... are /etc/alternatives symlinks.
        [[ -d /etc/alternatives ]] && mounts+=("$(_runc_bind_json /etc/alternatives /etc/alternatives ro)")
        if [[ -n $lxcfs ]]; then
                for f in "${LXCFS_BIND_FILES[@]}"; do
                        mounts+=("$(_runc_bind_json "$lxcfs/$f" "/$f" "$lxcfs_mode")")
                done
        fi
        for f in "${binds[@]}"; do
                mounts+=("$(_runc_bind_json "${f%%:*}" "${f#*:}" rw)")
        done
        mounts+=("$(jq -nc '{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777"]}')")
        args=$(jq -nc --arg c "$cmd" '$c | split(" ")')

        local filter='
                .process.terminal = false
              | .process.args = $args
              | .hostname = $name
              | .linux.cgroupsPath = $cgroup
              | .mounts += $mounts
              | .linux.resources = (.linux.resources // {})'
        [[ -n $mem ]] && filter+=' | .linux.resources.memory = {limit: ($mem | tonumber)}'
        [[ -n $quota ]] && filter+=' | .linux.resources.cpu.quota = ($quota | tonumber) | .linux.resources.cpu.period = ($period | tonumber)'
        [[ -n $cpuset ]] && filter+=' | .linux.resources.cpu.cpus = $cpuset'
        [[ -n $hook ]] && filter+=' | .hooks.createContainer = [{path: ($hook | split(" ") | .[0]), args: ($hook | split(" "))}]'
        for f in "${annotations[@]}"; do
                filter+=" | .annotations[\"${f%%=*}\"] = \"${f#*=}\""
        done
        # /sys of the host: a fresh sysfs cannot be mounted from a user
        # namespace that does not own the network namespace.
        (( userns )) && filter+='
              | .linux.namespaces += [{type: "user"}]
              | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
              | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
              | .mounts |= map(if .destination == "/sys" then {destination: "/sys", type: "bind", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"]} else . end)
              | .mounts |= map(select(.destination != "/sys/fs/cgroup"))'

        jq --arg name "$name" --arg cgroup "$cgroup" --argjson args "$args" \
           --argjson mounts "[$(IFS=,; echo "${mounts[*]}")]" \
           --arg hook "$hook" --arg mem "$mem" --arg quota "$quota" --arg period "$period" --arg cpuset "$cpuset" \
           "$filter" "$dir/config.json" >"$dir/config.json.new" || return 1
        mv "$dir/config.json.new" "$dir/config.json"

        RUNC_NAMES+=("$name")
        runc_cmd create --bundle "$dir" "$name" </dev/null >"$dir/out" 2>&1 || { cat "$dir/out" >&2; return 1; }
        runc_cmd start "$name" || return 1
}

runc_exec() { local name=$1; shift; runc_cmd exec "$name" "$@"; }

runc_pid() { runc_cmd state "$1" | jq -r .pid; }

runc_delete() {
        runc_cmd delete -f "$1" >/dev/null 2>&1
        rm -rf "$(runc_dir "$1")"
}

runc_delete_all() {
        local n
        for n in "${RUNC_NAMES[@]}"; do runc_delete "$n"; done
        RUNC_NAMES=()
}

runc_mount_count() {
        awk -v p="$2" '$5 == p { n++ } END { print n + 0 }' "/proc/$(runc_pid "$1")/mountinfo"
}
