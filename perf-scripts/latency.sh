#!/usr/bin/env bash
# Small-query latency on one warm engine beside DuckDB's JDBC driver in the same JVM
# (SmallQueryLatencyBenchmark, JMH sample mode: p50/p90/p99 per engine and query). Time it on a
# quiet machine only.
#
#   perf-scripts/latency.sh [extra JMH options, e.g. -p query=join]
set -euo pipefail
source "$(dirname "$0")/common.sh"
JAR="$(ensure_benchmarks_jar)"
ensure_duckdb
"$JAVA25" --enable-native-access=ALL-UNNAMED -cp "$JAR:$DUCKDB" org.openjdk.jmh.Main SmallQueryLatency \
    -rf json -rff "$ROOT/perf-scripts/out/latency.json" "$@"
