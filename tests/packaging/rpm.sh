#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# packaging/build rpm: the package builds from the working tree, holds what
# it must (rpm -qpl) and its scriptlets enable+start on install, restart on
# upgrade, stop on removal (rpm -qp --scripts). Nothing is installed: this
# host runs dpkg. Root only (the build may apt-get its dependencies).
set -uo pipefail
: "${SOURCE_DIR:?}" "${PKG_OUT:?}"
N=0 FAILED=0
ok()   { N=$((N + 1)); echo "ok $N - $1"; }
nok()  { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }
diag() { [[ -n $* ]] && sed 's/^/# /' <<<"$*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }

[[ $EUID == 0 ]] || { echo "1..0 # SKIP needs root"; exit 77; }
command -v rpmbuild >/dev/null || { echo "1..0 # SKIP rpmbuild is not installed (apt-get install rpm)"; exit 77; }

OUT=$PKG_OUT/rpm
rm -rf "$OUT"
mkdir -p "$PKG_OUT"
if ! built=$(LXCFS_PKG_NO_APT=1 DEB_BUILD_OPTIONS=nocheck "$SOURCE_DIR/packaging/build" rpm "$OUT" 2>"$PKG_OUT/rpm-build.err"); then
        nok "packaging/build rpm"
        diag "$(tail -n 30 "$PKG_OUT/rpm-build.err")"
        echo "1..$N"; exit 1
fi
RPM=$(grep -E '/lxcfs-[0-9][^/]*\.x86_64\.rpm$|/lxcfs-[0-9][^/]*\.[a-z0-9_]+\.rpm$' <<<"$built" | grep -v -e debuginfo -e debugsource | head -n1)
check "packaging/build rpm made $(basename "${RPM:-nothing}")" test -f "$RPM"

files=$(rpm -qpl "$RPM" 2>&1)
diag "$files"
missing=()
for f in /usr/bin/lxcfs /usr/bin/lxcfs-remount \
         'systemd/system/lxcfs.service' '/man8/lxcfs.8' '/man8/lxcfs-remount.8' /var/lib/lxcfs \
         /usr/share/lxcfs/lxc.mount.hook /usr/share/lxcfs/lxc.reboot.hook \
         /usr/share/lxc/config/common.conf.d/00-lxcfs.conf /usr/libexec/lxcfs-oci-hook \
         /usr/share/containers/oci/hooks.d/lxcfs.json; do
        grep -qE -- "${f//./\\.}(\\.gz)?\$" <<<"$files" || missing+=("$f")
done
if (( ${#missing[@]} == 0 )); then ok "rpm -qpl: daemon, helper, unit, both manuals, /var/lib/lxcfs"
else nok "rpm -qpl lists everything"; diag "missing: ${missing[*]}"; fi

scripts=$(rpm -qp --scripts "$RPM" 2>&1)
diag "$scripts"
section() {   # the body of one scriptlet
        awk -v h="$1" '/^[a-z]+ scriptlet/ { on = ($0 ~ "^" h " scriptlet") ; next } on' <<<"$scripts"
}
post=$(section postinstall) preun=$(section preuninstall) postun=$(section postuninstall)
check "%post: enables and starts on first install" \
        grep -qE '\$1 -eq 1 .*' <<<"$post"
check "%post: systemctl enable --now lxcfs.service" grep -q 'systemctl enable --now lxcfs.service' <<<"$post"
check "%preun: stops and disables on removal only (\$1 -eq 0)" \
        eval 'grep -q "\$1 -eq 0" <<<"$preun" && grep -qE "disable --now lxcfs.service|stop lxcfs.service" <<<"$preun"'
check "%postun: restarts on upgrade (\$1 -ge 1)" \
        eval 'grep -q "\$1 -ge 1" <<<"$postun" && grep -qE "try-restart lxcfs.service|restart lxcfs.service|mark-restart" <<<"$postun"'
check "%postun: detaches a dead mount on removal" grep -q 'umount -l /var/lib/lxcfs' <<<"$postun"

info=$(rpm -qp --provides --obsoletes "$RPM" 2>&1)
check "Provides and Obsoletes lxcfs" eval 'grep -q "^lxcfs = " <<<"$info" && grep -q "^lxcfs < " <<<"$info"'

echo "1..$N"
(( FAILED == 0 ))
