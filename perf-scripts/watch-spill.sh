#!/usr/bin/env bash
# Runs a command and records, every INTERVAL seconds, the size of the spill directory and the read
# and write throughput of the disk under it (from /proc/diskstats) into a CSV, then draws it as a
# PNG (SpillChart.java, no dependencies).
#
#   perf-scripts/watch-spill.sh [-i seconds (0.5)] [-d spill-dir ($SPILLWAY_TEMP_DIR or /tmp)] [-o out-prefix] -- command...
#   e.g. perf-scripts/watch-spill.sh -d /var/tmp/spill -- ./spillway demo --temp-dir /var/tmp/spill
#
# Writes out-prefix.csv (time_s,temp_dir_bytes,read_mb_s,write_mb_s) and out-prefix.png
# (default perf-scripts/out/watch-spill). The disk figures count the whole device, not only the
# command's I/O.
set -euo pipefail
source "$(dirname "$0")/common.sh"
INTERVAL=0.5
DIR="${SPILLWAY_TEMP_DIR:-/tmp}"
OUT="$ROOT/perf-scripts/out/watch-spill"
while [ $# -gt 0 ]; do
    case "$1" in
        -i) INTERVAL="$2"; shift 2 ;;
        -d) DIR="$2"; shift 2 ;;
        -o) OUT="$2"; shift 2 ;;
        --) shift; break ;;
        *) echo "watch-spill.sh: unknown option '$1'; usage: watch-spill.sh [-i s] [-d dir] [-o prefix] -- command..." >&2; exit 2 ;;
    esac
done
[ $# -gt 0 ] || { echo "watch-spill.sh: no command given after --" >&2; exit 2; }
mkdir -p "$DIR" "$(dirname "$OUT")"
# The block device under DIR: its /proc/diskstats name (a partition maps to itself; fine for throughput).
SRC="$(df --output=source "$DIR" | tail -1)"
DEV="$(basename "$(readlink -f "$SRC")")"
if ! grep -q " $DEV " /proc/diskstats; then
    echo "watch-spill.sh: $DIR is on $SRC, which /proc/diskstats does not list; disk columns will be 0" >&2
fi
sectors() { awk -v d="$DEV" '$3 == d { print $6, $10; found=1 } END { if (!found) print 0, 0 }' /proc/diskstats; }
CSV="$OUT.csv"
echo "time_s,temp_dir_bytes,read_mb_s,write_mb_s" > "$CSV"
"$@" &
PID=$!
START=$(date +%s.%N)
read -r R0 W0 < <(sectors)
T0=$START
while kill -0 "$PID" 2>/dev/null; do
    sleep "$INTERVAL"
    NOW=$(date +%s.%N)
    read -r R1 W1 < <(sectors)
    BYTES=$(du -sb "$DIR" 2>/dev/null | cut -f1 || echo 0)
    awk -v t="$NOW" -v s="$START" -v t0="$T0" -v r0="$R0" -v r1="$R1" -v w0="$W0" -v w1="$W1" -v b="${BYTES:-0}" \
        'BEGIN { dt = t - t0; if (dt <= 0) dt = 1e-9;
                 printf "%.3f,%d,%.2f,%.2f\n", t - s, b, (r1 - r0) * 512 / 1e6 / dt, (w1 - w0) * 512 / 1e6 / dt }' >> "$CSV"
    R0=$R1; W0=$W1; T0=$NOW
done
STATUS=0
wait "$PID" || STATUS=$?
"$JAVA25" "$ROOT/perf-scripts/SpillChart.java" "$CSV" "$OUT.png"
echo "watch-spill.sh: $(($(wc -l < "$CSV") - 1)) samples in $CSV, chart $OUT.png (command exit status $STATUS)" >&2
exit "$STATUS"
