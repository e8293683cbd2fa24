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
cap_comparison "$DIR" "$CAP" "${RUN[@]}"
