#!/usr/bin/env bash
# A quick pass over the JMH benchmarks (one fork, short warm-up and measurement: rough figures in
# minutes; use the jar directly for careful runs), optionally with allocation figures (-prof gc),
# an async-profiler flame graph per benchmark (--profile) or its heap allocations by stack, in
# bytes (--alloc: collapsed stacks, one line per stack, for grep and sort).
#
#   perf-scripts/jmh.sh [--gc] [--profile] [--alloc] [benchmark regex ...]
#   e.g. perf-scripts/jmh.sh --gc Pipeline
#        perf-scripts/jmh.sh --profile HashJoinProbe
#        perf-scripts/jmh.sh --gc --alloc AllocationPerRow
set -euo pipefail
source "$(dirname "$0")/common.sh"
ARGS=(-f 1 -wi 2 -i 3 -w 1s -r 1s)
PATTERNS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --gc) ARGS+=(-prof gc); shift ;;
        --profile)
            ensure_async_profiler
            mkdir -p "$ROOT/perf-scripts/out/jmh-async"
            ARGS+=(-prof "async:libPath=$AP_SO;output=flamegraph;event=itimer;dir=$ROOT/perf-scripts/out/jmh-async")
            shift ;;
        --alloc)
            ensure_async_profiler
            mkdir -p "$ROOT/perf-scripts/out/jmh-alloc"
            ARGS+=(-prof "async:libPath=$AP_SO;output=collapsed;event=alloc;rawCommand=total;dir=$ROOT/perf-scripts/out/jmh-alloc")
            shift ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) PATTERNS+=("$1"); shift ;;
    esac
done
JAR="$(ensure_benchmarks_jar)"
"$JAVA25" --enable-native-access=ALL-UNNAMED -jar "$JAR" "${ARGS[@]}" "${PATTERNS[@]}"
