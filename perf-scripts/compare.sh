#!/usr/bin/env bash
# Side-by-side suite: the same queries on Spillway, DuckDB (JDBC, threads=2, memory_limit = our
# cap) and Polars (nodejs-polars, streaming engine), each query in a fresh process under
# /usr/bin/time -v, at no cap and at a cap. A failure, OOM or timeout of any engine is recorded as
# its result. Records wall time, peak RSS (and, sampled every 100 ms, the peaks of its anonymous
# and file-backed parts) and a result checksum per engine; the JVM runs with -Xmx256m (Spillway's
# operator state is native, under the cap). Checksums checksums must agree (a disagreement fails the script). Writes perf-scripts/RESULTS.md
# and perf-scripts/results.png. Data and queries: see Compare.java.
#
#   perf-scripts/compare.sh [--scale full|small] [--cap 1g] [--timeout 900] [--resume]
#     --resume: keep the rows of an interrupted run (perf-scripts/out/compare-SCALE.tsv) and run
#               only the missing ones
#     full:  build 20M, probe 100M, customers 5M, orders 50M (about 30 minutes here)
#     small: build 2M, probe 10M, customers 500k, orders 5M
#     tiny:  build 20k, probe 100k, customers 5k, orders 50k (a smoke test)
set -euo pipefail
source "$(dirname "$0")/common.sh"
SCALE=full
CAP=1g
TIMEOUT=900
RESUME=0
while [ $# -gt 0 ]; do
    case "$1" in
        --scale) SCALE="$2"; shift 2 ;;
        --cap) CAP="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --resume) RESUME=1; shift ;;
        *) echo "unknown option $1; usage: compare.sh [--scale full|small] [--cap 1g] [--timeout 900] [--resume]" >&2; exit 2 ;;
    esac
done
case "$SCALE" in
    full) B=20000000; P=100000000; C=5000000; O=50000000 ;;
    small) B=2000000; P=10000000; C=500000; O=5000000 ;;
    tiny) B=20000; P=100000; C=5000; O=50000 ;;
    *) echo "--scale must be full, small or tiny, got $SCALE" >&2; exit 2 ;;
esac
JAR="$(ensure_benchmarks_jar)"
LIB="$ROOT/perf-scripts/lib"
ensure_duckdb
NODE_LIB="$LIB/node"
if [ ! -d "$NODE_LIB/node_modules/nodejs-polars" ]; then
    mkdir -p "$NODE_LIB"
    (cd "$NODE_LIB" && npm install --no-audit --no-fund --loglevel=error nodejs-polars@0.26.1 \
        nodejs-polars-linux-x64-gnu@0.26.1) >&2
fi
DIR="$ROOT/perf-scripts/data/compare-$SCALE"
# Compiled once, so that no run pays for compiling a source file at start-up.
CLASSES="$ROOT/perf-scripts/out/classes"
mkdir -p "$CLASSES"
"${JAVA25%/java}/javac" -nowarn -d "$CLASSES" -cp "$JAR" "$ROOT/perf-scripts/Compare.java" "$ROOT/perf-scripts/Results.java"
JAVA_RUN=("$JAVA25" --enable-native-access=ALL-UNNAMED -Xmx256m -cp "$CLASSES:$JAR:$DUCKDB" Compare)
if [ ! -f "$DIR/orders.csv" ]; then
    echo "generating $DIR ..." >&2
    "${JAVA_RUN[@]}" generate "$DIR" "$B" "$P" "$C" "$O"
fi
cap_bytes=$("$JAVA25" -cp "$JAR" "$ROOT/perf-scripts/Size.java" "$CAP")
TSV="$ROOT/perf-scripts/out/compare-$SCALE.tsv"
mkdir -p "$ROOT/perf-scripts/out"
if [ "$RESUME" = 0 ] || [ ! -f "$TSV" ]; then
    printf 'query\tcap\tengine\tstatus\twall_s\trss_mb\tanon_mb\tfile_mb\tchecksum\n' > "$TSV"
fi
fail=0
for cap in 0 "$cap_bytes"; do
    caplabel=$([ "$cap" = 0 ] && echo none || echo "$CAP")
    for query in demo country customer sort topk; do
        sums=()
        for engine in spillway duckdb polars; do
            done_row=$(awk -F'\t' -v q="$query" -v c="$caplabel" -v e="$engine" '$1==q && $2==c && $3==e' "$TSV")
            if [ -n "$done_row" ]; then
                sum=$(echo "$done_row" | cut -f9)
                [ "$sum" = "-" ] || sums+=("$sum")
                continue
            fi
            out="$DIR/out-$engine-$query.csv"
            log=$(mktemp)
            rm -f "$out"
            if [ "$engine" = polars ]; then
                if [ "$cap" != 0 ]; then
                    # Polars has no memory limit setting: its capped row repeats the uncapped run.
                    line=$(awk -F'\t' -v q="$query" '$1==q && $2=="none" && $3=="polars"' "$TSV" | cut -f4-9)
                    printf '%s\t%s\tpolars\t%s\n' "$query" "$caplabel" "$line" >> "$TSV"
                    continue
                fi
                cmd=(env NODE_PATH="$NODE_LIB/node_modules" POLARS_MAX_THREADS=2 node "$ROOT/perf-scripts/compare-polars.js" "$query" "$DIR" "$out")
            else
                cmd=("${JAVA_RUN[@]}" "$engine" "$query" "$DIR" "$cap" "$out")
            fi
            status=ok
            /usr/bin/time -v timeout "$TIMEOUT" "${cmd[@]}" > "$log.out" 2> "$log" &
            runpid=$!
            rss_peaks "$runpid" > "$log.rss" &
            watcher=$!
            if ! wait "$runpid"; then
                if grep -q "non-zero status 124" "$log"; then
                    status=timeout
                elif grep -q "terminated by signal 9" "$log"; then
                    status=killed
                elif grep -qi "out of memory\|OutOfMemory\|memory limit exceeded" "$log" "$log.out"; then
                    status=oom
                else
                    status=failed
                fi
            fi
            wait "$watcher" || true
            read -r anon file < "$log.rss" || { anon=0; file=0; }
            wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")
            rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")
            rss=$(( ${rss_kb:-0} / 1024 ))
            sum="-"
            if [ "$status" = ok ] && [ -f "$out" ]; then
                sum=$("$JAVA25" -cp "$CLASSES:$JAR" Compare checksum "$query" "$out")
                sums+=("$sum")
            fi
            secs=$(echo "$wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$query" "$caplabel" "$engine" "$status" "$secs" "$rss" "$anon" "$file" "$sum" >> "$TSV"
            printf '%-9s %-5s %-9s %-8s %8ss %6s MB (anon %s, file %s)  %s\n' "$query" "$caplabel" "$engine" "$status" "$secs" "$rss" "$anon" "$file" "$sum" >&2
            [ "$status" = ok ] || { echo "--- $engine $query stderr:" >&2; grep -v '^\s' "$log" | head -5 >&2; }
            rm -f "$log" "$log.out" "$log.rss" "$out"
            rm -rf "$DIR/spill" "$DIR/duck-spill"
        done
        for s in "${sums[@]:1}"; do
            if [ "$s" != "${sums[0]}" ]; then
                echo "CHECKSUM MISMATCH for $query at cap $caplabel: ${sums[*]}" >&2
                fail=1
            fi
        done
    done
done
"$JAVA25" -cp "$CLASSES" Results "$TSV" "$SCALE" "$B" "$P" "$C" "$O" "$CAP" \
    "$ROOT/perf-scripts/RESULTS.md" "$ROOT/perf-scripts/results.png"
if [ "$fail" != 0 ]; then
    echo "checksums disagree: see above" >&2
    exit 1
fi
