#!/usr/bin/env bash
# CSV parse throughput: Spillway's scanCsv against DuckDB's read_csv (JDBC driver), in one JVM,
# on the same generated file of mixed columns (int64, float64, utf8, date).
#
#   perf-scripts/csv-bench.sh [size-in-MB (default 1024)] [runs (default 3)]
#
# Writes the data once to perf-scripts/data/ and reuses it. Both engines use 2 threads.
set -euo pipefail
source "$(dirname "$0")/common.sh"
SIZE_MB="${1:-1024}"
RUNS="${2:-3}"
JAR="$(ensure_benchmarks_jar)"
LIB="$ROOT/perf-scripts/lib"
DUCKDB="$LIB/duckdb_jdbc-2.0.0.1.jar"
if [ ! -f "$DUCKDB" ]; then
    (cd "$ROOT" && ./mvnw -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
        -Dartifact=org.duckdb:duckdb_jdbc:2.0.0.1 -DoutputDirectory="$LIB") >&2
fi
mkdir -p "$ROOT/perf-scripts/data"
exec "$JAVA25" --enable-native-access=ALL-UNNAMED -Xmx4g -cp "$JAR:$DUCKDB" \
    "$ROOT/perf-scripts/CsvCompare.java" "$ROOT/perf-scripts/data/mixed-${SIZE_MB}mb.csv" "$SIZE_MB" "$RUNS"
