#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the test VM (tests/vm/vmtest): the daemon on a pure cgroup v2
# host managed by systemd. Every reader is a transient unit started with
# systemd-run, so its limits are set the way a container manager sets them
# (memory.max, memory.swap.max, cpu.max, cpuset.cpus). Each reader saves
# snapshots of the lxcfs files; the checks below compare them with the
# unit's own cgroup files and the host's /proc.
: "${BUILD_DIR:?}" "${SOURCE_DIR:?}"
export LXCFS_BIN=${LXCFS_BIN:-$BUILD_DIR/src/daemon/lxcfs}
source "$SOURCE_DIR/tests/integration/lib.sh"
require_root
[[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]] || skip_all "/sys/fs/cgroup is not cgroup2"
command -v systemd-run >/dev/null || skip_all "no systemd-run"
[[ -d /run/systemd/system ]] || skip_all "systemd is not PID 1"

T=$(mktemp -d /tmp/lxcfs-v2.XXXXXX)
at_exit "rm -rf $T"
M=$T/mnt
UNIT_PREFIX=lxcfs-v2-$$

# A 128 MiB swap file, so that swap limits have something to cut.
HOST_SWAP_KB=0
if fallocate -l 128M "$T/swap" && chmod 600 "$T/swap" && mkswap -q "$T/swap" && swapon "$T/swap"; then
        at_exit "swapoff $T/swap"
        HOST_SWAP_KB=$(awk '$1 == "SwapTotal:" { print $2 }' /proc/meminfo)
fi

# Shell text put in front of every reader's script: snap TAG copies each
# lxcfs file to $OUT/TAG.<name>; cg is the reader's own cgroup directory.
READER_LIB='
snap() {
        local f
        for f in proc/meminfo proc/cpuinfo proc/stat proc/uptime proc/loadavg \
                 proc/diskstats proc/swaps sys/devices/system/cpu/online; do
                cat "$M/$f" > "$OUT/$1.${f##*/}"
        done
}
cg=/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)
'

# reader NAME [PROPERTY...] -- SCRIPT: run SCRIPT (bash) in a transient
# service with the given unit properties; its snapshots land in $T/NAME.
# systemd substitutes $VAR in ExecStart itself; "$$" keeps a "$" for bash.
reader() {
        local name=$1 props=() script
        shift
        while [[ $1 != -- ]]; do props+=(-p "$1"); shift; done
        shift
        script=$READER_LIB$1
        mkdir -p "$T/$name"
        systemd-run --quiet --wait --pipe --collect --unit="$UNIT_PREFIX-$name" \
                "${props[@]}" -E M="$M" -E OUT="$T/$name" \
                -- bash -euc "${script//\$/\$\$}" < /dev/null
}

kb() { awk -v k="$2:" '$1 == k { print $2 }' "$1"; }            # kb FILE KEY
stat_cpu() { awk -v c="$2" -v i="$3" '$1 == c { print $i }' "$1"; } # stat_cpu FILE cpu FIELD
cpu_lines() { grep -o '^cpu[0-9]*' "$1" | tr '\n' ' '; }
disk_field() { awk -v d="$2" -v i="$3" '$3 == d { v = $i } END { print v + 0 }' "$1"; }

# ------------------------------------------------------------------ daemon
ok "daemon starts and serves" lxcfs_start "$M"
expect_eq "fs type is fuse.lxcfs" "$(findmnt -n -o FSTYPE "$M")" "fuse.lxcfs"
ok "daemon reports the v2 layout" grep -q "cgroup layout v2" "$M.log"
diag "$(cat "$M.log")"
# What the table serves (lxcfs --list-files), first level under proc/.
expect_eq "proc entries" "$(ls "$M/proc" | tr '\n' ' ')" \
        "$("$LXCFS_BIN" --list-files | cut -f1 | sed -n 's|^proc/\([^/]*\).*|\1|p' | sort -u | tr '\n' ' ')"

# --------------------------------------- 256 MiB, 64 MiB swap, half a CPU
# In its own pid and mount namespace: uptime counts from the namespace's
# init, and the tmpfs below is private to the reader.
reader limited MemoryMax=256M MemorySwapMax=64M CPUQuota=50% IOAccounting=yes -- '
export -f snap; export cg
exec unshare -m -pf --mount-proc bash -euc "
        sleep 1
        snap a
        mount -t tmpfs -o size=200m lxcfs-v2-fill /mnt
        dd if=/dev/zero of=/mnt/fill bs=1M count=96 status=none
        sleep 0.1  # longer than the 20 ms cache TTL of the daemon
        cat \$cg/memory.current > \$OUT/memory.current
        snap b
        end=\$((SECONDS + 3)); while (( SECONDS < end )); do :; done
        sleep 0.1
        cat \$cg/cpu.stat > \$OUT/cpu.stat
        snap c
        dd if=/dev/vda of=/dev/null bs=1M count=8 skip=300 iflag=direct status=none
        sleep 0.1
        snap d
"'
ok "limited reader ran" test -s "$T/limited/d.online"
L=$T/limited

expect_eq "meminfo MemTotal is MemoryMax" "$(kb "$L/a.meminfo" MemTotal)" 262144
free_a=$(kb "$L/a.meminfo" MemFree) free_b=$(kb "$L/b.meminfo" MemFree)
avail_a=$(kb "$L/a.meminfo" MemAvailable) avail_b=$(kb "$L/b.meminfo" MemAvailable)
expect_near "96 MiB on tmpfs lowers MemFree by 96 MiB" $(( free_a - free_b )) 98304 8192
expect_near "96 MiB on tmpfs lowers MemAvailable by 96 MiB" $(( avail_a - avail_b )) 98304 8192
expect_near "MemFree = MemoryMax - memory.current" "$free_b" \
        $(( 262144 - $(cat "$L/memory.current") / 1024 )) 4096
ok "Shmem holds the tmpfs file ($(kb "$L/b.meminfo" Shmem) kB)" \
        test "$(kb "$L/b.meminfo" Shmem)" -ge 98304
ok "MemAvailable <= MemTotal" test "$avail_a" -le 262144
if (( HOST_SWAP_KB > 0 )); then
        expect_eq "meminfo SwapTotal is MemorySwapMax" "$(kb "$L/a.meminfo" SwapTotal)" 65536
        expect_eq "meminfo SwapFree, nothing swapped" "$(kb "$L/a.meminfo" SwapFree)" 65536
        expect_eq "swaps: one 64 MiB entry" "$(sed 1d "$L/a.swaps" | awk '{ print $3, $4 }')" "65536 0"
else
        diag "no swap file: swap limits not checked"
fi
ok "swaps header" grep -q '^Filename' "$L/a.swaps"

expect_eq "cpu online is 0 for a 50% quota" "$(cat "$L/a.online")" "0"
expect_eq "cpuinfo has one processor" "$(grep -c '^processor' "$L/a.cpuinfo")" 1
expect_eq "stat has the aggregate and one cpu line" "$(cpu_lines "$L/a.stat")" "cpu cpu0 "
ok "stat keeps the host's other lines" grep -q '^ctxt ' "$L/a.stat"

user_a=$(stat_cpu "$L/a.stat" cpu 2) user_c=$(stat_cpu "$L/c.stat" cpu 2)
ok "busy loop raises stat user time ($user_a -> $user_c ticks)" test $(( user_c - user_a )) -ge 50
unit_user=$(awk '$1 == "user_usec" { print int($2 / 10000) }' "$L/cpu.stat")
expect_near "stat user time is the unit's cpu.stat user_usec" "$user_c" "$unit_user" 30
expect_near "stat cpu0 user equals the aggregate" "$(stat_cpu "$L/c.stat" cpu0 2)" "$user_c" 1

up_a=$(awk '{ print int($1 * 100) }' "$L/a.uptime")
up_c=$(awk '{ print int($1 * 100) }' "$L/c.uptime")
host_up=$(awk '{ print int($1 * 100) }' /proc/uptime)
ok "uptime counts from the reader's pid namespace (${up_a}0 ms)" \
        test "$up_a" -ge 90 -a "$up_a" -le 2000
ok "uptime is well below the host's (${host_up}0 ms)" test $(( host_up - up_a )) -ge 500
ok "uptime advances (${up_a}0 -> ${up_c}0 ms)" test $(( up_c - up_a )) -ge 250

reads_c=$(disk_field "$L/c.diskstats" vda 4) reads_d=$(disk_field "$L/d.diskstats" vda 4)
sect_c=$(disk_field "$L/c.diskstats" vda 6) sect_d=$(disk_field "$L/d.diskstats" vda 6)
ok "diskstats: direct reads show up on vda ($reads_c -> $reads_d)" test $(( reads_d - reads_c )) -ge 8
ok "diskstats: 8 MiB more sectors read ($sect_c -> $sect_d)" test $(( sect_d - sect_c )) -ge 16384
host_reads=$(awk '$3 == "vda" { print $4 }' /proc/diskstats)
ok "diskstats: the unit's reads, not the host's ($reads_d < $host_reads)" test "$reads_d" -lt "$host_reads"

# ------------------------------------------------------- loadavg fields
# No pid namespace here: the unit's cgroup.threads lists pids as the
# daemon sees them.
reader tasks CPUQuota=50% -- '
sleep 300 & sleep 300 & sleep 300 &
sleep 0.5
sh -c "echo \$\$ > $OUT/cat.pid; exec cat $M/proc/loadavg" > "$OUT/loadavg"
cat "$cg/cgroup.threads" > "$OUT/threads"
kill $(jobs -p)
'
la=$(cat "$T/tasks/loadavg")
ok "loadavg format ($la)" \
        grep -Eq '^[0-9]+\.[0-9]{2} [0-9]+\.[0-9]{2} [0-9]+\.[0-9]{2} [0-9]+/[0-9]+ [0-9]+$' <<< "$la"
read -r _ _ _ run_total last_pid <<< "$la"
expect_eq "loadavg 4th field counts the unit's tasks" "${run_total#*/}" "$(wc -l < "$T/tasks/threads")"
ok "loadavg running <= total" test "${run_total%/*}" -le "${run_total#*/}"
expect_eq "loadavg 5th field is the unit's newest pid" "$last_pid" "$(cat "$T/tasks/cat.pid")"

# ------------------------------------------------------------- cpusets
reader pinned AllowedCPUs=1 -- 'snap a'
expect_eq "AllowedCPUs=1: online is 1" "$(cat "$T/pinned/a.online")" "1"
expect_eq "AllowedCPUs=1: cpuinfo shows processor 1" \
        "$(awk '/^processor/ { print $3 }' "$T/pinned/a.cpuinfo")" "1"
expect_eq "AllowedCPUs=1: stat shows cpu1" "$(cpu_lines "$T/pinned/a.stat")" "cpu cpu1 "

reader wide CPUQuota=150% -- 'snap a'
expect_eq "150% quota: online is 0-1" "$(cat "$T/wide/a.online")" "0-1"

# ------------------------------------------------------------- pressure
# Every cgroup2 cgroup has cpu.pressure, memory.pressure and io.pressure.
# "stalls" makes its own: two busy loops on its one CPU (cpu), buffered
# disk reads that overflow MemoryHigh (page cache reclaim: memory; waits on
# the disk: io). psnap TAG reads, for each file, the cgroup's, the lxcfs
# one and the cgroup's again, then the host's /proc one.
PRESSURE_LIB='
psnap() {
        local k
        for k in cpu memory io; do
                cat "$cg/$k.pressure" > "$OUT/$1.$k.before"
                cat "$M/proc/pressure/$k" > "$OUT/$1.$k.lxcfs"
                cat "$cg/$k.pressure" > "$OUT/$1.$k.after"
                cat "/proc/pressure/$k" > "$OUT/$1.$k.host"
        done
}
'
ok "the kernel has PSI (/proc/pressure/cpu)" test -r /proc/pressure/cpu
reader stalls MemoryMax=256M MemoryHigh=32M AllowedCPUs=0 IOAccounting=yes -- "$PRESSURE_LIB"'
for i in 1 2; do (end=$((SECONDS + 2)); while (( SECONDS < end )); do :; done) & done
dd if=/dev/vda of=/dev/null bs=1M count=64 skip=600 status=none
wait
ls "$M/sys/devices/system/cpu" > "$OUT/cpudir.ls"
ls /sys/devices/system/cpu > "$OUT/cpudir.host.ls"
test -r "$M/sys/devices/system/cpu/cpu0/topology/core_id" && echo yes > "$OUT/cpu0.readable"
test -e "$M/sys/devices/system/cpu/cpu1" || echo yes > "$OUT/cpu1.hidden"
sleep 0.1
psnap a
'
# "quiet" stalls on nothing: its totals stay near 0 while the host's hold
# the stalls of "stalls" and of the boot, so a copy of the host's file
# would be caught.
reader quiet MemoryMax=256M -- "$PRESSURE_LIB"'
sleep 0.1
psnap a
cat "$M/proc/slabinfo" > "$OUT/slabinfo"
cat /proc/slabinfo > "$OUT/slabinfo.host"
setpriv --reuid=65534 --regid=65534 --clear-groups cat "$M/proc/slabinfo" > /dev/null 2>&1 ||
        echo refused > "$OUT/slabinfo.nobody"
'
# shape FILE: the lines with every number replaced by N
shape() { sed -E 's/=[0-9.]+/=N/g' "$1"; }
# total FILE some|full
total() { awk -v k="$2" '$1 == k { sub(/.*total=/, ""); print }' "$1"; }
for r in stalls quiet; do
        for k in cpu memory io; do
                p=$T/$r/a.$k
                ok "$r: pressure/$k read" test -s "$p.lxcfs"
                expect_eq "$r: pressure/$k has the kernel's format" "$(shape "$p.lxcfs")" "$(shape "/proc/pressure/$k")"
                expect_eq "$r: pressure/$k has the lines of the unit's $k.pressure" \
                        "$(shape "$p.lxcfs")" "$(shape "$p.before")"
                for l in some full; do
                        t=$(total "$p.lxcfs" $l) lo=$(total "$p.before" $l) hi=$(total "$p.after" $l)
                        ok "$r: pressure/$k $l total=$t is the unit's ($lo..$hi)" \
                                test -n "$t" -a "${t:-0}" -ge "${lo:-1}" -a "${t:-0}" -le "${hi:--1}"
                done
        done
done
S=$T/stalls/a Q=$T/quiet/a
diag "stalls: $(total "$S.cpu.lxcfs" some) us cpu, $(total "$S.memory.lxcfs" some) us memory," \
        "$(total "$S.io.lxcfs" some) us io; host: $(total "$S.cpu.host" some), $(total "$S.memory.host" some), $(total "$S.io.host" some)"
ok "stalls: two busy loops on one CPU show as cpu some ($(total "$S.cpu.lxcfs" some) us)" \
        test "$(total "$S.cpu.lxcfs" some)" -gt 100000
for k in cpu memory io; do
        host=$(total "$Q.$k.host" some) hi=$(total "$Q.$k.after" some)
        ok "quiet: pressure/$k is not the host's (host some total=$host > unit's $hi)" \
                test "${host:-0}" -gt "${hi:-0}"
done

# ------------------------------------------------------------- slabinfo
expect_eq "slabinfo is 0400 root" "$(stat -c '%a %U' "$M/proc/slabinfo")" "400 root"
ok "slabinfo: nobody is refused" test -s "$T/quiet/slabinfo.nobody"
expect_eq "slabinfo on v2: the host's header, read by root in a limited unit" \
        "$(head -2 "$T/quiet/slabinfo")" "$(head -2 "$T/quiet/slabinfo.host")"
expect_eq "slabinfo on v2: the host's caches" \
        "$(sed 1,2d "$T/quiet/slabinfo" | awk '{ print $1 }')" "$(sed 1,2d "$T/quiet/slabinfo.host" | awk '{ print $1 }')"

# ------------------------------------------- the cpu directory, one CPU
H_LS=$(tr '\n' ' ' < "$T/stalls/cpudir.host.ls")
if [[ -d /sys/devices/system/cpu/cpu1 ]]; then
        expect_eq "AllowedCPUs=0: the cpu directory lists cpu0 and no other cpuN" \
                "$(tr '\n' ' ' < "$T/stalls/cpudir.ls")" \
                "$(grep -Ev '^cpu[1-9][0-9]*$' "$T/stalls/cpudir.host.ls" | tr '\n' ' ')"
        ok "AllowedCPUs=0: cpu1 does not resolve" test -s "$T/stalls/cpu1.hidden"
else
        # One CPU: the filtered listing is the host's.
        expect_eq "AllowedCPUs=0 on a 1-CPU VM: the host's listing" \
                "$(tr '\n' ' ' < "$T/stalls/cpudir.ls")" "$H_LS"
fi
ok "AllowedCPUs=0: cpu0/topology reads" test -s "$T/stalls/cpu0.readable"
diag "host: $H_LS"

# ------------------------------------------------- unlimited: host values
reader free -- 'snap a'
F=$T/free
expect_eq "unlimited: MemTotal is the host's" "$(kb "$F/a.meminfo" MemTotal)" "$(kb /proc/meminfo MemTotal)"
expect_eq "unlimited: SwapTotal is the host's" "$(kb "$F/a.meminfo" SwapTotal)" "$HOST_SWAP_KB"
expect_eq "unlimited: cpu online is the host's" "$(cat "$F/a.online")" \
        "$(cat /sys/devices/system/cpu/online)"
expect_eq "unlimited: cpuinfo processors" "$(grep -c '^processor' "$F/a.cpuinfo")" \
        "$(grep -c '^processor' /proc/cpuinfo)"
expect_eq "unlimited: stat cpu lines" "$(cpu_lines "$F/a.stat")" "$(cpu_lines /proc/stat)"
if (( HOST_SWAP_KB > 0 )); then
        expect_eq "unlimited: swaps size is the host's" \
                "$(sed 1d "$F/a.swaps" | awk '{ print $3 }')" "$HOST_SWAP_KB"
fi

# ------------------------------------- --disable-cfs --disable-swap
ok "daemon stops on SIGTERM" lxcfs_stop
M=$T/mnt2
ok "daemon starts with --disable-cfs --disable-swap" lxcfs_start "$M" --disable-cfs --disable-swap
reader nocfs MemoryMax=256M MemorySwapMax=64M CPUQuota=50% -- 'snap a'
expect_eq "--disable-cfs: 50% quota shows every CPU" "$(cat "$T/nocfs/a.online")" \
        "$(cat /sys/devices/system/cpu/online)"
expect_eq "--disable-swap: SwapTotal is 0" "$(kb "$T/nocfs/a.meminfo" SwapTotal)" 0
expect_eq "--disable-swap: MemTotal still MemoryMax" "$(kb "$T/nocfs/a.meminfo" MemTotal)" 262144

finish
