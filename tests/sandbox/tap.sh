# SPDX-License-Identifier: LGPL-2.1-or-later
# TAP output and polling for the tests that drive the systemd sandbox
# (tests/sandbox/test-*.sh, tests/packaging/deb.sh). Sourced by lib.sh.

TAP_N=0
TAP_FAILED=0

ok()   { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }
nok()  { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $1"; }
skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP $2"; }
diag() { [[ -n $* ]] && sed 's/^/# /' <<<"$*"; }
check() {   # check DESCRIPTION COMMAND...
        local desc=$1; shift
        if "$@"; then ok "$desc"; else nok "$desc"; fi
}
check_eq() {   # check_eq DESCRIPTION GOT WANT
        if [[ $2 == "$3" ]]; then ok "$1"; else nok "$1"; diag "got:  '$2'"; diag "want: '$3'"; fi
}
tap_finish() { echo "1..$TAP_N"; (( TAP_FAILED == 0 )); }

wait_for() {   # wait_for SECONDS COMMAND...: poll until COMMAND succeeds
        local deadline=$(( SECONDS + $1 )); shift
        until "$@"; do
                (( SECONDS < deadline )) || return 1
                sleep 0.05
        done
}
