#!/usr/bin/env bash
# A quick pass over the JMH benchmarks (one fork, short warm-up and measurement: rough figures in
# minutes; use the jar directly for careful runs), optionally with allocation figures (-prof gc)
# or an async-profiler flame graph per benchmark (--profile).
#
#   perf-scripts/jmh.sh [--gc] [--profile] [benchmark regex ...]
#   e.g. perf-scripts/jmh.sh --gc Pipeline
#        perf-scripts/jmh.sh --profile HashJoinProbe
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
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) PATTERNS+=("$1"); shift ;;
    esac
done
JAR="$(ensure_benchmarks_jar)"
"$JAVA25" --enable-native-access=ALL-UNNAMED -jar "$JAR" "${ARGS[@]}" "${PATTERNS[@]}"
