#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The manuals built by meson: mandoc's linter and groff (through man) find
# nothing to complain about, and each page covers what it must (every
# option of --help, the sections the package promises). Prints TAP.
#   manpages.sh MANDIR    (the build tree's man/ directory)
set -uo pipefail
MANDIR=${1:?usage: manpages.sh MANDIR}
N=0 FAILED=0
ok()   { N=$((N + 1)); echo "ok $N - $1"; }
nok()  { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }
diag() { [[ -n $* ]] && sed 's/^/# /' <<<"$*"; }

command -v mandoc >/dev/null || { echo "1..0 # SKIP mandoc is not installed"; exit 77; }
command -v man >/dev/null || { echo "1..0 # SKIP man (man-db) is not installed"; exit 77; }

# The options a --help text lists: -x and --long-name tokens.
help_options() { grep -oE '(^|[ ,])--?[a-zA-Z][a-zA-Z-]*' | sed 's/^[ ,]*//' | sort -u; }

# Text of a page as man renders it, hyphens plain.
rendered() { MANWIDTH=200 LC_ALL=C.UTF-8 man -l "$1" 2>/dev/null | sed 's/\xe2\x80\x90/-/g'; }

check_page() {   # check_page PAGE BINARY SECTION...
        local name=$1 page=$MANDIR/$1 bin=$2 out text opt opts missing=() s
        shift 2
        [[ -f $page ]] || { nok "$name is built"; return; }
        out=$(mandoc -T lint -W style "$page" 2>&1)
        if [[ -z $out ]]; then ok "$name: mandoc -T lint -W style is silent"; else nok "$name: mandoc -T lint"; diag "$out"; fi
        out=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>&1 >/dev/null)
        if [[ -z $out ]]; then ok "$name: man --warnings is silent"; else nok "$name: man --warnings"; diag "$out"; fi
        text=$(rendered "$page")
        if [[ -x $bin ]]; then
                opts=$("$bin" --help | help_options)
                for opt in $opts; do
                        grep -qE -- "(^|[ ,])$opt([ ,=]|$)" <<<"$text" || missing+=("$opt")
                done
                if (( ${#missing[@]} == 0 )); then ok "$name: documents all $(wc -w <<<"$opts") options of $(basename "$bin") --help"
                else nok "$name: documents every option of --help"; diag "missing: ${missing[*]}"; fi
        else
                echo "ok $((N += 1)) - $1: options # SKIP $bin not built"
        fi
        missing=()
        for s in "$@"; do grep -q "^$s" <<<"$text" || missing+=("$s"); done
        if (( ${#missing[@]} == 0 )); then ok "$name: has sections $*"; else nok "$name: sections"; diag "missing: ${missing[*]}"; fi
}

BUILD=$(dirname "$MANDIR")
check_page lxcfs.8 "$BUILD/src/daemon/lxcfs" NAME SYNOPSIS OPTIONS FILES SERVICE EXAMPLES "EXIT STATUS" TROUBLESHOOTING
check_page lxcfs-remount.8 "$BUILD/src/daemon/lxcfs-remount" NAME SYNOPSIS OPTIONS OUTPUT "EXIT STATUS" EXAMPLES

# What the troubleshooting section must map, and the examples it must give.
text=$(rendered "$MANDIR/lxcfs.8")
missing=()
for s in "Transport endpoint is not connected" "fuse: mountpoint is not empty" "not a directory" \
         "mkdir /var/lib/lxcfs: file exists" "/var/lib/lxcfs/proc/meminfo:/proc/meminfo:ro" \
         "type: File" "hostPath" "proc/swaps" "sys/devices/system/cpu/online"; do
        grep -qF -- "$s" <<<"$text" || missing+=("$s")
done
if (( ${#missing[@]} == 0 )); then ok "lxcfs.8: troubleshooting entries and runtime examples"
else nok "lxcfs.8: troubleshooting entries and runtime examples"; diag "missing: ${missing[*]}"; fi

echo "1..$N"
(( FAILED == 0 ))
