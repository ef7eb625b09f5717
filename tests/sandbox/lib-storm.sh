# SPDX-License-Identifier: LGPL-2.1-or-later
# Readers that loop open/read/close on lxcfs files from their own mount
# namespace inside the systemd sandbox (lib.sh), as containers do, and
# their reports (tests/tools/read-storm). Source after lib.sh.
#
#   storm_start NAME BIN MNT   a transient unit: a private mount namespace
#                              with MNT's meminfo and stat bound over
#                              /proc/meminfo and /proc/stat, MNT itself
#                              detached, then read-storm on both
#   storm_stop                 stop them all (each writes its report)
#   storm_totals               "READS FAILED WRONG MAX_STALL_MS" over all
#   storm_reports              every report, one per line, with its name
STORM_DIR=/run/lxcfs-storm
STORM_UNITS=()

# shellcheck disable=SC2016
STORM_SH='set -e
name=$1 mnt=$2 bin=$3 dir=$4
mount --bind "$mnt/proc/meminfo" /proc/meminfo
mount --bind "$mnt/proc/stat" /proc/stat
umount -l "$mnt"
export READ_STORM_REPORT=$dir/$name.report READ_STORM_STALLS=$dir/$name.stalls
exec "$bin" /proc/meminfo=MemTotal: "/proc/stat=cpu "'

storm_start() {   # storm_start NAME BIN MNT
        local name=$1 unit=lxcfs-storm-$1.service
        mkdir -p "$SANDBOX_ROOT$STORM_DIR"
        [[ -f $SANDBOX_ROOT$STORM_DIR/storm.sh ]] || echo "$STORM_SH" >"$SANDBOX_ROOT$STORM_DIR/storm.sh"
        STORM_UNITS+=("$unit")
        sbx systemd-run --quiet --unit="$unit" -p KillMode=mixed \
                unshare -m --propagation private sh "$STORM_DIR/storm.sh" \
                "$name" "$3" "$2" "$STORM_DIR"
}

storm_stop() {
        (( ${#STORM_UNITS[@]} )) && sbx systemctl stop "${STORM_UNITS[@]}" 2>/dev/null
        STORM_UNITS=()
}

storm_reports() {
        local f
        for f in "$SANDBOX_ROOT$STORM_DIR"/*.report; do
                [[ -f $f ]] && echo "$(basename "$f" .report): $(cat "$f")"
        done
}

storm_totals() {
        storm_reports | awk '{
                for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                reads += v["reads"]; failed += v["failed"]; wrong += v["wrong"]
                if (v["max_stall_ms"] + 0 > stall) stall = v["max_stall_ms"] + 0
                n++ }
                END { printf "%d %d %d %.1f %d\n", reads, failed, wrong, stall, n }'
}
