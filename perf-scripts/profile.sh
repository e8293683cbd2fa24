#!/usr/bin/env bash
# A CPU flame graph of the demo (or of any ./spillway command) with async-profiler, fetched from
# Maven Central (tools.profiler:async-profiler) into perf-scripts/lib on first use. CPU mode uses
# perf events (-e cpu) and falls back to itimer when the kernel does not allow them.
#
#   perf-scripts/profile.sh [spillway arguments (default: demo)]
#   e.g. perf-scripts/profile.sh demo --build-rows 2000000 --probe-rows 10000000 --memory-limit 256m
#
# Writes perf-scripts/out/flamegraph-<event>.html (open it in a browser).
set -euo pipefail
source "$(dirname "$0")/common.sh"
ensure_async_profiler
JAR="$(ensure_cli_jar)"
OUTDIR="$ROOT/perf-scripts/out"
mkdir -p "$OUTDIR"
# Probe: does the cpu engine (perf_events) start here? If not, use itimer.
EVENT=cpu
probe=$("$JAVA25" -agentpath:"$AP_SO"=start,event=cpu,file=/dev/null -version 2>&1 || true)
if echo "$probe" | grep -qi "perf_event\|error\|failed"; then
    echo "profile.sh: perf events unavailable ($(echo "$probe" | grep -i "perf_event\|error\|failed" | head -1)); using itimer" >&2
    EVENT=itimer
fi
OUT="$OUTDIR/flamegraph-$EVENT.html"
[ $# -gt 0 ] || set -- demo
"$JAVA25" --enable-native-access=ALL-UNNAMED -agentpath:"$AP_SO"=start,event=$EVENT,interval=1ms,file="$OUT" \
    -jar "$JAR" "$@"
echo "profile.sh: flame graph ($EVENT) in $OUT" >&2
