#!/usr/bin/env bash
# The reference out-of-core group-by (N rows of customer_id uniform in [0, C) and a float64
# amount; group by customer_id with sum and count; result written to CSV), Spillway against
# DuckDB (JDBC, threads=2, memory_limit = our cap), each run in a fresh process under
# /usr/bin/time -v for wall time and peak RSS, at no cap and at a cap.
#
#   perf-scripts/groupby-bench.sh [rows (default 50000000)] [customers (default 5000000)] [cap (default 512m)]
#
# A quick smoke run: perf-scripts/groupby-bench.sh 200000 20000 64m
set -euo pipefail
source "$(dirname "$0")/common.sh"
N="${1:-50000000}"
C="${2:-5000000}"
CAP="${3:-512m}"
JAR="$(ensure_benchmarks_jar)"
ensure_duckdb
DIR="$ROOT/perf-scripts/data/groupby-$N-$C"
RUN=("$JAVA25" --enable-native-access=ALL-UNNAMED -Xmx2g -cp "$JAR:$DUCKDB" "$ROOT/perf-scripts/GroupByCompare.java")
if [ ! -f "$DIR/orders.csv" ]; then
    echo "generating $DIR ..."
    "${RUN[@]}" generate "$DIR" "$N" "$C"
fi
cap_comparison "$DIR" "$CAP" "${RUN[@]}"
