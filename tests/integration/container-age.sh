#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Processes that enter a container with `runc exec` (as kubectl exec and
# docker exec do) have their parent outside the container's pid namespace.
# They must see the container's age and idle time, not their own: a runc
# container 20 s old, 256 MiB and half a CPU, one busy loop running.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-runc.sh"
require_root
runc_require

T=$(mktemp -d /tmp/lxcfs-age.XXXXXX)
at_exit "rm -rf $T"
M=$T/mnt
AGE=20
ok "daemon serves" lxcfs_start "$M"

# pid 1 is `sleep`; its child spins (throttled to half a CPU by the quota).
cat >"$T/start.sh" <<'SH'
sh -c 'while :; do :; done' &
exec sleep infinity
SH
runc_create age --lxcfs "$M" --mem $((256 << 20)) --cpu-quota 50000 \
        --bind "$T/start.sh:/start.sh" --cmd "sh /start.sh" ||
        { echo "Bail out! cannot create container"; exit 1; }
started=$SECONDS
sleep "$AGE"

x() { runc_exec age "$@" 2>&1; }

# One exec'd shell reads both files; its parent is runc, outside the namespace.
read -r up user nice system idle ncpu < <(x sh -c \
        'read u _ </proc/uptime; set -- $(grep "^cpu " /proc/stat); echo ${u%.*} $2 $3 $4 $5 $(grep -c "^cpu[0-9]" /proc/stat)')
elapsed=$(( SECONDS - started ))
diag "uptime $up s, cpu user $user nice $nice system $system idle $idle, $ncpu cpus, ${elapsed}s since start"
ok "exec'd shell: /proc/uptime is the container's age ($up s >= $AGE)" \
        test "${up:-0}" -ge "$AGE" -a "${up:-0}" -le $(( elapsed + 2 ))
expect_eq "half a CPU shows one cpu line" "${ncpu:-}" "1"
hz=$(getconf CLK_TCK)
# idle = age x visible CPUs - used; what was used is user + system.
total=$(( ${user:-0} + ${nice:-0} + ${system:-0} + ${idle:-0} ))
expect_near "exec'd shell: user+system+idle is age x CPUs (ticks)" "$total" $(( ${up:-0} * ${ncpu:-1} * hz )) $(( 2 * hz ))
ok "exec'd shell: idle is about half of it (idle $idle of $total)" \
        awk -v i="${idle:-0}" -v t="$total" 'BEGIN { exit !(t > 0 && i >= 0.2 * t && i <= 0.8 * t) }'

# top's first frame is the average since the start of the counters (the
# container's start here), its second the last interval only: that one is
# the rate a user watches, so check it.
# (top glues "ni,100.0 id": take the number right before " id".)
id=$(x top -b -n 2 -d 1 | grep '^%Cpu' | sed -n 2p | sed -E 's/.*[ ,]([0-9.]+) id,.*/\1/')
ok "exec'd top: second frame idle between 20% and 80% (${id:-none})" \
        awk -v v="${id:-x}" 'BEGIN { exit !(v ~ /^[0-9.]+$/ && v >= 20 && v <= 80) }'

# Every way into the container sees the same age: init's own child too.
init_up=$(x cat /proc/uptime | awk '{print int($1)}')
ok "a second exec agrees ($init_up s)" test "${init_up:-0}" -ge "${up:-1}"

finish
