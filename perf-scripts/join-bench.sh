#!/usr/bin/env bash
# The reference out-of-core join (build: key + 64-character payload; probe: key = i*7919 mod B,
# float64 amount; inner join; result written to CSV), Spillway against DuckDB (JDBC, threads=2,
# memory_limit = our cap), each run in a fresh process under /usr/bin/time -v for wall time and
# peak RSS, at no cap and at a cap.
#
#   perf-scripts/join-bench.sh [build-rows (default 20000000)] [probe-rows (default 100000000)] [cap (default 1g)]
set -euo pipefail
source "$(dirname "$0")/common.sh"
B="${1:-20000000}"
P="${2:-100000000}"
CAP="${3:-1g}"
JAR="$(ensure_benchmarks_jar)"
ensure_duckdb
DIR="$ROOT/perf-scripts/data/join-$B-$P"
RUN=("$JAVA25" --enable-native-access=ALL-UNNAMED -Xmx2g -cp "$JAR:$DUCKDB" "$ROOT/perf-scripts/JoinCompare.java")
if [ ! -f "$DIR/probe.csv" ]; then
    echo "generating $DIR ..."
    "${RUN[@]}" generate "$DIR" "$B" "$P"
fi
cap_bytes=$("$JAVA25" -cp "$JAR" "$ROOT/perf-scripts/Size.java" "$CAP")
printf '%-9s %-6s %10s %12s %12s\n' engine cap wall-s peak-rss-MB rows
for cap in 0 "$cap_bytes"; do
    for engine in spillway duckdb; do
        out="$DIR/out-$engine.csv"
        timed_run "$DIR" "$out" "${RUN[@]}" "$engine" "$DIR" "$cap" "$out"
        printf '%-9s %-6s %10s %12d %12s\n' "$engine" "$([ "$cap" = 0 ] && echo none || echo "$CAP")" "$WALL" "$RSS_MB" "$ROWS"
    done
done
