#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A namespace that hides a stale entry under a tmpfs and plants a symlink (or
# a decoy file) at its path must not get a mount through it: lxcfs-remount
# refuses, warns, exits 1, and mounts nothing anywhere in that namespace.
source "$(dirname "$0")/remount-lib.sh"
remount_setup

S=$T/sym
mkdir -p "$S/link" "$S/decoy"
touch "$S/link/meminfo" "$S/decoy/meminfo"
echo secret >"$T/victim"

# The namespace binds two lxcfs files, then (after the crash below) covers
# their directories with a tmpfs holding a symlink and a plain file.
mkfifo "$T/go" "$T/ready"
unshare -m --propagation private bash -c '
        mount --bind "$1/proc/meminfo" "$2/link/meminfo" &&
        mount --bind "$1/proc/meminfo" "$2/decoy/meminfo" || exit 1
        echo ready >"${3%/go}/ready"
        read -r _ <"$3"
        mount -t tmpfs tmpfs "$2/link" && ln -s "$4" "$2/link/meminfo" &&
        mount -t tmpfs tmpfs "$2/decoy" && echo decoy >"$2/decoy/meminfo" &&
        exec sleep 600' _ "$MNT" "$S" "$T/go" "$T/victim" &
NSPID=$!
at_exit "kill -KILL $NSPID"
exec 3<>"$T/ready" 4<>"$T/go"   # opened read-write: never blocks on open
read -r -t 10 _ <&3 || { echo "Bail out! the namespace did not bind"; exit 1; }

lxcfs_crash
lxcfs_start "$MNT" || { echo "Bail out! lxcfs restart"; exit 1; }
echo go >&4
for (( i = 0; i < 50; i++ )); do
        [[ $(cat "/proc/$NSPID/comm") == sleep ]] && break
        sleep 0.1
done
ours() { grep -e "$S/" -e "$T/victim" "/proc/$NSPID/mountinfo"; }
before=$(ours)

run_remount
expect_eq "lxcfs-remount exits 1 (entries left stale)" "$RC" 1
ok "the symlink is refused with a warning" grep -q "$S/link/meminfo.*symlink" "$T/out"
ok "the decoy file is refused with a warning" grep -q "$S/decoy/meminfo.*no longer leads to the mount" "$T/out"
ok "summary counts 2 failed" grep -q "; 2 failed$" "$T/out"
expect_eq "no mount was added or removed under the test's paths" "$(ours)" "$before"
ok "nothing is mounted on the symlink's target" bash -c "! awk '{print \$5}' /proc/$NSPID/mountinfo | grep -qx '$T/victim'"
expect_eq "the victim file is untouched" "$(nsenter -t "$NSPID" -m cat "$T/victim")" secret

finish
