#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The table of virtual files drives everything: a row linked into a test
# build of the daemon is listed, mounted with its mode and served per
# reader; --disable-file takes rows out of the tree; --list-files is what
# the mount holds, and README and lxcfs(8) describe every file it lists.
source "$(dirname "$0")/lib.sh"
require_root
cg_v1_has memory || skip_all "no v1 memory hierarchy"

T=$(mktemp -d /tmp/lxcfs-table.XXXXXX)
chmod 755 "$T"   # non-root readers below
at_exit "rm -rf $T"
CG=lxcfs-table-$$
cg_v1_create "$CG" memory

# ---------------------------------------------------- the test-only row
ok "the test build lists its extra row with mode 0440" \
        grep -qxP 'test/whoami\t0440\t.*' <("$LXCFS_TEST_ROWS_BIN" --list-files)
ok "the daemon itself has no test row" bash -c "! '$LXCFS_BIN' --list-files | grep -q ^test/"
DAEMON=$LXCFS_BIN
LXCFS_BIN=$LXCFS_TEST_ROWS_BIN
M=$T/rows
# Without the host's cpu directory (cpu-dir.sh tests it): the mount then
# holds the rows' files and nothing else.
ok "test build serves" lxcfs_start "$M" --disable-file sys/devices/system/cpu
expect_eq "the row's file is in the tree" "$(ls "$M/test")" "whoami"
expect_eq "with the row's mode" "$(stat -c %a "$M/test/whoami")" "440"
out=$(in_cgroups "$CG" memory sh -c 'echo $$; exec cat '"$M/test/whoami")
expect_eq "rendered for the reader, from its cgroup" "$(sed -n 2,3p <<<"$out")" \
        "pid $(head -1 <<<"$out")
memory /$CG"
expect_eq "another reader gets its own view" "$(sed -n 2p "$M/test/whoami")" \
        "memory $(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)"
expect_eq "modes come from the rows" "$(stat -c %a "$M/proc/slabinfo") $(stat -c %a "$M/proc/meminfo")" "400 444"
ok "a non-root reader is refused the root-only file" \
        bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups cat '$M/proc/slabinfo' 2>/dev/null"
ok "a non-root reader reads the others" \
        bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups cat '$M/proc/meminfo' >/dev/null"
# slabinfo and pressure for a reader in a real v1 memory cgroup: this
# kernel leaves memory.kmem.slabinfo empty and v1 has no pressure files,
# so the reader gets the host's (whole, in the kernel's format).
expect_eq "slabinfo in a v1 cgroup: the host's header" \
        "$(in_cgroups "$CG" memory head -1 "$M/proc/slabinfo")" "$(head -1 /proc/slabinfo)"
ok "slabinfo in a v1 cgroup: the host's caches" \
        bash -c "[[ \$(grep -c . '$M/proc/slabinfo') -gt 10 ]]"
if [[ -r /proc/pressure/cpu ]]; then
        for k in cpu memory io; do
                ok "pressure/$k in a v1 cgroup: the host's lines" \
                        in_cgroups "$CG" memory grep -Eq '^some avg10=[0-9.]+ avg60=' "$M/proc/pressure/$k"
        done
        ok "a PSI trigger (write) is refused" \
                bash -c "! printf 'some 150000 1000000' > '$M/proc/pressure/cpu' 2>/dev/null"
fi
expect_eq "the mount holds what --list-files prints" \
        "$(cd "$M" && find . -type f | sed 's|^\./||' | sort)" \
        "$("$LXCFS_TEST_ROWS_BIN" --list-files | cut -f1 | sort)"
lxcfs_stop
LXCFS_BIN=$DAEMON

# -------------------------------------------------------- --disable-file
M=$T/off
ok "daemon serves with two files disabled" \
        lxcfs_start "$M" --disable-file proc/slabinfo --disable-file /proc/pressure/io
ok "slabinfo is gone" test ! -e "$M/proc/slabinfo"
ok "pressure/io is gone" test ! -e "$M/proc/pressure/io"
expect_eq "pressure keeps cpu and memory" "$(ls "$M/proc/pressure" | tr '\n' ' ')" "cpu memory "
lxcfs_stop
ok "an unknown file is refused with exit 2" \
        bash -c "'$LXCFS_BIN' --disable-file proc/nope /nonexistent 2>/dev/null; [[ \$? == 2 ]]"

# ---------------------------------------------------------------- docs
for f in $("$LXCFS_BIN" --list-files | cut -f1); do
        ok "README describes $f" grep -qF "$f" "$SOURCE_DIR/README.md"
        ok "lxcfs(8) describes $f" grep -qF "$f" "$SOURCE_DIR/man/lxcfs.8.in"
done
finish
