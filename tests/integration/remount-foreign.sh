#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# "Stale" means a dead connection, not "another device". A second lxcfs that
# runs inside its own mount namespace (as one inside a container does: its
# mount is invisible to lxcfs-remount's namespace) with its files bound
# there, and a third one on another mountpoint of the host bound into a
# runc container, are left untouched by a heal of the main instance: same
# mount and device before and after, still serving. A hung one (stopped
# with SIGSTOP) is not waited for: its entries are left alone with a warning
# and exit status 3.
source "$(dirname "$0")/remount-lib.sh"
remount_setup

MNT2=$T/inner
MNT3=$T/other
mkdir -p "$MNT2" "$MNT3"
sanitizer_watch "$MNT2.log"
sanitizer_watch "$MNT3.log"

# The second daemon in a private copy of the host's mount namespace; its
# files are bound over /proc in a namespace made inside that one (as in a
# container running its own lxcfs: the daemon never reads through its own
# binds). The holder sleeps there.
unshare -m --propagation private bash -c '
        "$1" --pidfile "$2.pid" "$2" 2>>"$2.log" &
        for (( i = 0; i < 200; i++ )); do grep -qs . "$2/proc/uptime" && break; sleep 0.05; done
        exec unshare -m --propagation private sh -c "
                mount --bind $2/proc/meminfo /proc/meminfo &&
                mount --bind $2/proc/uptime /proc/uptime && exec sleep 600"' _ "$LXCFS_BIN" "$MNT2" \
        </dev/null >/dev/null 2>&1 &
HOLDER=$!
at_exit "kill -KILL $HOLDER; [[ -s '$MNT2.pid' ]] && kill -KILL \$(cat '$MNT2.pid')"
for (( i = 0; i < 100; i++ )); do
        [[ $(cat "/proc/$HOLDER/comm" 2>/dev/null) == sleep ]] && break
        sleep 0.05
done
INNER=$(cat "$MNT2.pid" 2>/dev/null)
[[ -n $INNER ]] || { echo "Bail out! the inner lxcfs did not start"; exit 1; }

# The third daemon on another mountpoint of the host, bound into a container
# next to the main instance's files.
"$LXCFS_BIN" --pidfile "$MNT3.pid" "$MNT3" 2>>"$MNT3.log" &
OTHER=$!
at_exit "kill -TERM $OTHER; umount -l '$MNT3'"
for (( i = 0; i < 200; i++ )); do grep -qs . "$MNT3/proc/uptime" && break; sleep 0.05; done
runc_create mixed --lxcfs "$MNT" --mem $((88 << 20)) --cpuset 0 --bind "$MNT3/proc/swaps:/run/other-swaps" ||
        { echo "Bail out! runc container"; exit 1; }
MIXED=$(runc_pid mixed)

# The holder's namespace is a copy of the host's: it also holds copies of
# every other fuse.lxcfs mount of the host (ours, healed like any other).
# Only the inner instance's device matters here.
INNER_DEV=$(awk -v m="$MNT2" '$5 == m { print $3 }' "/proc/$HOLDER/mountinfo")
inner_lines() { awk -v d="$INNER_DEV" '$3 == d && / - fuse\.lxcfs / { print $1, $3, $5 }' "/proc/$HOLDER/mountinfo"; }
other_line() { awk '$5 == "/run/other-swaps" { print $1, $3 }' "/proc/$MIXED/mountinfo"; }

ok "the inner lxcfs is not mounted in our namespace" bash -c "! grep -q ' $MNT2 ' /proc/self/mountinfo"
ok "the holder reads the inner lxcfs" timeout 10 nsenter -t "$HOLDER" -m grep -q MemTotal /proc/meminfo
expect_eq "the holder has the inner mount and two binds of it" "$(inner_lines | wc -l)" 3
ok "the container has the other instance's entry" test -n "$(other_line)"

before_inner=$(inner_lines)
before_other=$(other_line)

lxcfs_crash
lxcfs_start "$MNT" || { echo "Bail out! lxcfs restart"; exit 1; }
run_remount -v
expect_eq "lxcfs-remount exits 0" "$RC" 0
ok "the container's own entries were healed" check_container mixed 90112 0
expect_eq "the inner lxcfs's entries: same mounts and device" "$(inner_lines)" "$before_inner"
ok "the inner lxcfs still serves the holder" timeout 10 nsenter -t "$HOLDER" -m grep -q MemTotal /proc/meminfo
ok "the inner lxcfs's uptime still serves the holder" timeout 10 nsenter -t "$HOLDER" -m grep -q . /proc/uptime
expect_eq "the other instance's entry: same mount and device" "$(other_line)" "$before_other"
ok "the other instance's entry still serves" runc_exec mixed grep -q . /run/other-swaps
ok "no warning about the live instances" bash -c "! grep -q 'Could not' '$T/out'"

# A hung server: stop the inner daemon, crash the main one again.
lxcfs_crash
lxcfs_start "$MNT" || { echo "Bail out! lxcfs restart"; exit 1; }
kill -STOP "$INNER"
start=$(date +%s)
run_remount --timeout 1
end=$(date +%s)
kill -CONT "$INNER"
ok "a hung lxcfs does not hang the heal ($(( end - start )) s)" test $(( end - start )) -le 10
ok "its entries are named in a warning" grep -q "did not answer" "$T/out"
expect_eq "entries left alone: lxcfs-remount exits 3" "$RC" 3
expect_eq "its entries: same mounts and device" "$(inner_lines)" "$before_inner"
ok "the container's entries were healed anyway" check_container mixed 90112 0
ok "the inner lxcfs serves again once continued" timeout 10 nsenter -t "$HOLDER" -m grep -q MemTotal /proc/meminfo

finish
