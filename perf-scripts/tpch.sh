#!/usr/bin/env bash
# TPC-H on Spillway and DuckDB: the 22 queries over the same Parquet files (written once per scale
# factor by `spillway tpch-gen` into perf-scripts/data/tpch-sfN and reused), each query and engine
# in a fresh process under /usr/bin/time -v, 2 threads each, and the same memory limit with --cap
# (DuckDB: memory_limit). With --runs N the query runs N times in its process. Prints per query
# the seconds of each engine (the fastest run, measured inside the process; Spillway's first run
# beside it, which carries the JVM's class loading and JIT compilation), Spillway / DuckDB, each
# engine's peak RSS and the result rows (which must agree), then the geometric means. Exact results
# are checked by the tpch module's TpchCheckTest (and the SQL texts by the sql module's TpchSqlTest).
# --sql runs Spillway's queries from their official SQL text through the SQL front end instead of
# the lazy API; --both runs the two Spillway versions side by side (lazy, SQL, their ratio) and
# DuckDB is not run.
#
#   perf-scripts/tpch.sh [--scale 1] [--cap 1g] [--queries 1,3,18] [--runs 3] [--timeout 900] [--sql | --both]
set -euo pipefail
source "$(dirname "$0")/common.sh"
SCALE=1
CAP=
QUERIES=$(seq -s, 1 22)
TIMEOUT=900
RUNS=1
MODE=lazy
while [ $# -gt 0 ]; do
    case "$1" in
        --scale) SCALE="$2"; shift 2 ;;
        --cap) CAP="$2"; shift 2 ;;
        --queries) QUERIES="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --runs) RUNS="$2"; shift 2 ;;
        --sql) MODE=sql; shift ;;
        --both) MODE=both; shift ;;
        *) echo "unknown option $1; usage: tpch.sh [--scale 1] [--cap 1g] [--queries 1,3,18] [--runs 3] [--timeout 900] [--sql | --both]" >&2; exit 2 ;;
    esac
done
JAR="$(ensure_benchmarks_jar)"
ensure_duckdb
DIR="$ROOT/perf-scripts/data/tpch-sf$SCALE"
missing=0
for t in region nation supplier customer part partsupp orders lineitem; do
    [ -f "$DIR/$t.parquet" ] || missing=1
done
if [ "$missing" = 1 ]; then
    echo "generating TPC-H scale $SCALE into $DIR ..." >&2
    "$JAVA25" --enable-native-access=ALL-UNNAMED -jar "$(ensure_cli_jar)" tpch-gen --scale "$SCALE" --out "$DIR" >&2
fi
CLASSES="$ROOT/perf-scripts/out/classes"
mkdir -p "$CLASSES"
"${JAVA25%/java}/javac" -nowarn -d "$CLASSES" -cp "$JAR" "$ROOT/perf-scripts/TpchBench.java"
cap_bytes=0
[ -n "$CAP" ] && cap_bytes=$("$JAVA25" -cp "$JAR" "$ROOT/perf-scripts/Size.java" "$CAP")
RUN=("$JAVA25" --enable-native-access=ALL-UNNAMED -Xmx1g -cp "$CLASSES:$JAR:$DUCKDB" TpchBench)

case "$MODE" in
    lazy) A=spillway; B=duckdb ;;
    sql) A=spillway-sql; B=duckdb ;;
    both) A=spillway; B=spillway-sql ;;
esac
echo "TPC-H scale $SCALE, cap ${CAP:-none}, 2 threads, best of $RUNS run(s) per process, $A vs $B, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-5s %12s %12s %8s %12s %14s %14s %8s\n' query "$A-s" "$B-s" ratio "$A-first" "$A-rss" "$B-rss" rows
log_a=0 log_b=0 log_ratio=0 n=0 fail=0
for q in ${QUERIES//,/ }; do
    declare -A secs=() first=() rss=() rows=()
    for engine in "$A" "$B"; do
        log=$(mktemp)
        if timeout "$TIMEOUT" /usr/bin/time -v "${RUN[@]}" "$engine" "$q" "$DIR" "$cap_bytes" "$RUNS" > "$log.out" 2> "$log"; then
            secs[$engine]=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$log.out")
            first[$engine]=$(sed -n 's/.*first=\([0-9.]*\).*/\1/p' "$log.out")
            rows[$engine]=$(sed -n 's/.*rows=\([0-9]*\).*/\1/p' "$log.out")
        else
            secs[$engine]=FAIL
            first[$engine]=-
            rows[$engine]=-
            fail=1
            tail -n 3 "$log.out" "$log" >&2
        fi
        rss[$engine]=$(( $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log" | tail -1) / 1024 ))
        rm -f "$log" "$log.out"
        rm -rf "$DIR/spill" "$DIR/duck-spill"
    done
    ratio=-
    if [ "${secs[$A]}" != FAIL ] && [ "${secs[$B]}" != FAIL ]; then
        ratio=$(awk -v a="${secs[$A]}" -v b="${secs[$B]}" 'BEGIN { printf "%.2f", a / b }')
        read -r log_a log_b log_ratio <<< "$(awk -v a="${secs[$A]}" -v b="${secs[$B]}" \
            -v x="$log_a" -v y="$log_b" -v z="$log_ratio" 'BEGIN { printf "%.9f %.9f %.9f", x + log(a), y + log(b), z + log(a / b) }')"
        n=$((n + 1))
        if [ "${rows[$A]}" != "${rows[$B]}" ]; then
            echo "Q$q: $A returned ${rows[$A]} rows, $B ${rows[$B]}" >&2
            fail=1
        fi
    fi
    printf 'Q%-4s %12s %12s %8s %12s %11s MB %11s MB %8s\n' "$q" "${secs[$A]}" "${secs[$B]}" "$ratio" \
        "${first[$A]}" "${rss[$A]}" "${rss[$B]}" "${rows[$A]}"
    unset secs first rss rows
done
if [ "$n" -gt 0 ]; then
    awk -v x="$log_a" -v y="$log_b" -v z="$log_ratio" -v n="$n" \
        'BEGIN { printf "geomean %10.3f %12.3f %8.2f   (over %d queries both ran)\n", exp(x / n), exp(y / n), exp(z / n), n }'
fi
exit "$fail"
