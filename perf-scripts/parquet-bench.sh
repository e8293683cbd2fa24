#!/usr/bin/env bash
# Parquet scan speed: sum(amount) over one Parquet file (about 2 GB at the default 250M rows (8.4 bytes a row);
# id int64, amount float64 with 2% nulls, k int32, s string; zstd; written once by DuckDB and kept
# in perf-scripts/data), Spillway against DuckDB (JDBC), both with 2 threads, each in a fresh
# process under /usr/bin/time -v. Then the two Java Parquet readers alone on the same file and
# column, one thread each: Hardwood (what Spillway uses) and parquet-java (parquet-hadoop 1.18.1
# with the Hadoop client jars, fetched once into perf-scripts/lib/parquet-java; skip with
# NO_PARQUET_JAVA=1). Wall times include JVM start and compiling the launcher source (a few
# seconds); each program also prints its own in-process seconds and the sum, which must agree.
#
#   perf-scripts/parquet-bench.sh [rows (default 250000000)]
#
# A quick smoke run: perf-scripts/parquet-bench.sh 200000
set -euo pipefail
source "$(dirname "$0")/common.sh"
N="${1:-250000000}"
JAR="$(ensure_benchmarks_jar)"
ensure_duckdb
DIR="$ROOT/perf-scripts/data/parquet-$N"
FILE="$DIR/data.parquet"
RUN=("$JAVA25" --enable-native-access=ALL-UNNAMED -Xmx2g -cp "$JAR:$DUCKDB" "$ROOT/perf-scripts/ParquetCompare.java")
if [ ! -f "$FILE" ]; then
    echo "generating $FILE ..."
    "${RUN[@]}" generate "$FILE" "$N"
fi
echo "file: $FILE ($(( $(stat -c %s "$FILE") / 1048576 )) MiB, $N rows)"

declare -A SECS
seconds() { # h:mm:ss or m:ss.cc -> seconds
    echo "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'
}
printf '%-13s %10s %12s %12s\n' reader wall-s peak-rss-MB rows
row() {
    SECS[$1]=$(seconds "$WALL")
    printf '%-13s %10s %12d %12s\n' "$1" "${SECS[$1]}" "$RSS_MB" "$ROWS"
}
for engine in spillway duckdb hardwood; do
    timed_run "$DIR" "$DIR/none" "${RUN[@]}" "$engine" "$FILE"
    row "$engine"
done
if [ "${NO_PARQUET_JAVA:-0}" != 1 ]; then
    LIB="$ROOT/perf-scripts/lib/parquet-java"
    if [ ! -d "$LIB" ]; then
        echo "fetching parquet-java and the Hadoop client jars into $LIB (once) ..." >&2
        (cd "$ROOT" && ./mvnw -q -B -f perf-scripts/parquet-java/pom.xml \
            org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies -DoutputDirectory="$LIB") >&2
    fi
    timed_run "$DIR" "$DIR/none" "$JAVA25" -Xmx2g -cp "$LIB/*" "$ROOT/perf-scripts/ParquetJavaRead.java" "$FILE" amount
    row parquet-java
fi
awk -v s="${SECS[spillway]}" -v d="${SECS[duckdb]}" 'BEGIN { printf "spillway / duckdb wall time: %.2f\n", s / d }'
if [ -n "${SECS[parquet-java]:-}" ]; then
    awk -v h="${SECS[hardwood]}" -v p="${SECS[parquet-java]}" \
        'BEGIN { printf "hardwood / parquet-java wall time (one column, one thread): %.2f\n", h / p }'
fi
