#!/usr/bin/env bash
# The reference out-of-core sort (N rows of id int64, x float64, y int64; sorted by x descending
# then y; result written to CSV) and its top-K, Spillway against DuckDB (JDBC, threads=2,
# memory_limit = our cap), each run in a fresh process under /usr/bin/time -v for wall time and
# peak RSS, at no cap and at a cap.
#
#   perf-scripts/sort-bench.sh [rows (default 50000000)] [cap (default 512m)] [k (default 100)]
#
# A quick smoke run: perf-scripts/sort-bench.sh 200000 64m 100
set -euo pipefail
source "$(dirname "$0")/common.sh"
N="${1:-50000000}"
CAP="${2:-512m}"
K="${3:-100}"
JAR="$(ensure_benchmarks_jar)"
ensure_duckdb
DIR="$ROOT/perf-scripts/data/sort-$N"
RUN=("$JAVA25" --enable-native-access=ALL-UNNAMED -Xmx2g -cp "$JAR:$DUCKDB" "$ROOT/perf-scripts/SortCompare.java")
if [ ! -f "$DIR/rows.csv" ]; then
    echo "generating $DIR ..."
    "${RUN[@]}" generate "$DIR" "$N"
fi
cap_bytes=$("$JAVA25" -cp "$JAR" "$ROOT/perf-scripts/Size.java" "$CAP")
printf '%-6s %-9s %-6s %10s %12s %12s\n' query engine cap wall-s peak-rss-MB rows
for k in 0 "$K"; do
    for cap in 0 "$cap_bytes"; do
        for engine in spillway duckdb; do
            out="$DIR/out-$engine.csv"
            timed_run "$DIR" "$out" "${RUN[@]}" "$engine" "$DIR" "$cap" "$out" "$k"
            printf '%-6s %-9s %-6s %10s %12d %12s\n' "$([ "$k" = 0 ] && echo sort || echo "top$k")" "$engine" \
                "$([ "$cap" = 0 ] && echo none || echo "$CAP")" "$WALL" "$RSS_MB" "$ROWS"
        done
    done
done
