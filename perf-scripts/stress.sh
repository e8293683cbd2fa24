#!/usr/bin/env bash
# Repetition stress: small queries of every operator kind (global aggregate, group-by, join, sort,
# top-k, concat, cache read twice, sinkAll, merge join) repeated on one long-lived engine per worker
# count, each result compared exactly with a java.util oracle and the engine's memory checked back
# at its baseline after each query (dev.spillway.bench.stress.RepetitionStress). Exits 1 on any
# wrong result, exception or leak. CI runs a short version (RepetitionStressTest).
#
#   perf-scripts/stress.sh [--rounds N (100000)] [--threads 1,2,4] [--clients C (1)] [--noise H (0)]
#                          [--queries global,join,...] [--dir DIR]
#
# --clients runs C caller threads on the same engine at once; --noise keeps H threads spinning
# beside it (a loaded host preempts the engine's threads at arbitrary points, which widens race
# windows). The issue's two loops, 100,000 times each on 1, 2 and 4 workers:
#   perf-scripts/stress.sh --rounds 100000 --queries global,join
# Then the demo under a small cap, repeatedly: perf-scripts/stress.sh --demo 200
# Concurrent queries on one instance: 4 caller threads x 5 mixed queries (join, group-by, sort,
# join + group-by) under one 32 MiB cap, every result checked against an oracle and the engine
# empty afterwards, N times on fresh engines (ConcurrentQueriesTest):
#   perf-scripts/stress.sh --concurrent 20
# Spillway.close() from another thread during a running query, at N points (CloseDuringQueryTest):
#   perf-scripts/stress.sh --close 100
#
# The seeded stress grid (dev.spillway.StressGrid, beside the engine's differential tests; CI runs
# a few seeds per setting in StressGridTest):
#
#   perf-scripts/stress.sh --grid [--seeds N (200)] [--first-seed S (1)] [--caps 4m,8m,16m,64m]
#                          [--threads 1,2,4] [--kinds join,groupby,sort,join-groupby,mux,asof]
#                          [--faults none,spill-write,dir-removed,close,cancel] [--fault-cap 16m]
#
# Each setting (cap x threads x kind without a fault; fault x threads x kind at the fault cap)
# runs seeds S..S+N-1: random input from the seed (nulls, skewed and duplicate keys), the query
# on a long-lived engine per setting (a new one per seed for close), its result compared exactly
# with a java.util oracle, and the engine checked at rest afterwards (budget at zero, no pool
# buffer outstanding, nothing under the spill root). Faults: spill-write (the spill root becomes
# a file after a seeded number of spill blocks), dir-removed (the query's spill directory is
# deleted then), close (Spillway.close() after a seeded delay), cancel (the caller interrupted
# after a seeded delay); a faulted seed passes with the exact result or the fault's own exception,
# and an engine still open must then run the query again correctly. Prints one line per setting
# with passed/total and a summary; each failure is printed with the command that repeats it and
# appended to perf-scripts/out/stress-grid-failures.txt. Exits 1 on any failure.
set -euo pipefail
source "$(dirname "$0")/common.sh"
if [ "${1:-}" = "--concurrent" ]; then
    runs="${2:-20}"
    cd "$ROOT"
    # Runs through the build (offline once dependencies are cached); it prints one line per run
    # and "concurrent queries: P of N runs passed", and fails when a run failed (any of the 20
    # queries failed, a result differed, or something was left behind).
    ./mvnw -B -q -o -pl engine -am test -Dtest=ConcurrentQueriesTest -Dsurefire.failIfNoSpecifiedTests=false \
        -Dspillway.concurrent.runs="$runs" -DtrimStackTrace=false
    grep -h '^concurrent queries' engine/target/surefire-reports/dev.spillway.ConcurrentQueriesTest-output.txt
    exit
fi
JAR="$(ensure_benchmarks_jar)"
if [ "${1:-}" = "--grid" ]; then
    shift
    mkdir -p "$ROOT/perf-scripts/out"
    failures="$ROOT/perf-scripts/out/stress-grid-failures.txt"
    rm -f "$failures"
    exec "$JAVA25" --enable-native-access=ALL-UNNAMED -cp "$JAR" dev.spillway.StressGrid --failures "$failures" "$@"
fi
if [ "${1:-}" = "--close" ]; then
    rounds="${2:-100}"
    cd "$ROOT"
    # Spillway.close() from another thread at N points of a running join, sort or cached query:
    # no leak report, budget at zero, pool closed, no spill directory left, every time.
    ./mvnw -B -q -o -pl engine -am test -Dtest='CloseDuringQueryTest#closeDuringAQueryReleasesEverythingAndClosesThePool' \
        -Dsurefire.failIfNoSpecifiedTests=false -Dspillway.close.rounds="$rounds" -DtrimStackTrace=false
    echo "close during a query: $rounds rounds passed"
    exit
fi
if [ "${1:-}" = "--demo" ]; then
    runs="${2:-200}"
    failed=0
    keep="$ROOT/perf-scripts/out"
    CLI="$(ensure_cli_jar)"
    for i in $(seq 1 "$runs"); do
        # The demo exits 1 when its checksum is wrong, 2 or more when the query fails.
        if ! out=$("$JAVA25" --enable-native-access=ALL-UNNAMED -jar "$CLI" demo \
                --build-rows 2000000 --probe-rows 10000000 --memory-limit 64m --verbose 2>&1) \
                || ! grep -q '^  result         OK$' <<< "$out"; then
            failed=$((failed + 1))
            mkdir -p "$keep"
            printf '%s\n' "$out" > "$keep/demo-run-$i.txt"
            echo "run $i FAILED (output in perf-scripts/out/demo-run-$i.txt):"
            grep -v '^\[spillway\]' <<< "$out" | tail -20
        fi
        echo "demo run $i of $runs: $failed failed so far"
    done
    echo "demo: $((runs - failed)) of $runs passed"
    [ "$failed" -eq 0 ]
    exit
fi
exec "$JAVA25" --enable-native-access=ALL-UNNAMED -cp "$JAR" dev.spillway.bench.stress.RepetitionStress "$@"
