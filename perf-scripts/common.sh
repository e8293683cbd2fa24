# Shared helpers for perf-scripts: locate JDK 25 and build the benchmark jar.
# Sourced, not run. Sets JAVA25 and ROOT.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Prints the java launcher of a JDK 25 or newer: JAVA_HOME, JAVA25_HOME, java on the PATH, then
# /usr/lib/jvm, /opt, SDKMAN and ~/.jdks (directories named like 25 first).
find_jdk25() {
    local candidates=()
    [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
    [ -n "${JAVA25_HOME:-}" ] && candidates+=("$JAVA25_HOME")
    local on_path
    on_path="$(command -v java 2>/dev/null || true)"
    [ -n "$on_path" ] && candidates+=("$(dirname "$(dirname "$(readlink -f "$on_path")")")")
    for d in /usr/lib/jvm/*25* /opt/*jdk*25* /opt/java/*25* "$HOME"/.sdkman/candidates/java/25* "$HOME"/.jdks/*25* \
             /usr/lib/jvm/* /opt/java/* /opt/*jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
        [ -d "$d" ] && candidates+=("$d")
    done
    for d in "${candidates[@]}"; do
        if [ -x "$d/bin/java" ]; then
            local v
            v=$("$d/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
            if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then
                echo "$d/bin/java"
                return 0
            fi
        fi
    done
    echo "no JDK 25 or newer found (looked at JAVA_HOME, JAVA25_HOME, java on the PATH, /usr/lib/jvm, /opt, SDKMAN, ~/.jdks);" \
         "install one (e.g. apt-get install openjdk-25-jdk) or set JAVA_HOME" >&2
    return 1
}

JAVA25="$(find_jdk25)" || exit 1

# Builds the project (./mvnw package -DskipTests: every module's jar, the CLI jar and the benchmarks
# jar) unless JAR is newer than every main source and the engine's test sources (the stress grid in
# the benchmarks jar), and prints JAR.
ensure_built() {
    local jar="$1"
    if [ ! -f "$jar" ] || [ -n "$(find "$ROOT" -name '*.java' \( -path '*/src/main/*' -o -path "$ROOT/engine/src/test/*" \) \
            -newer "$jar" -print -quit)" ]; then
        echo "building Spillway (./mvnw -B -q package -DskipTests), once after each source change ..." >&2
        (cd "$ROOT" && ./mvnw -q -B package -DskipTests) >&2
    fi
    echo "$jar"
}

# The project's version, from the root pom (the first <version> at two spaces of indentation).
spillway_version() {
    sed -n 's:^  <version>\(.*\)</version>$:\1:p' "$ROOT/pom.xml" | head -1
}

# Prints jmh/target/benchmarks.jar (engine, sql, tpch + dependencies + benchmarks, and the engine's
# test classes for the stress grid), built if needed.
ensure_benchmarks_jar() {
    ensure_built "$ROOT/jmh/target/benchmarks.jar"
}

# Prints the runnable CLI jar, cli/target/spillway-cli-<version>.jar (dev.spillway.cli.Main with
# every dependency), built if needed.
ensure_cli_jar() {
    ensure_built "$ROOT/cli/target/spillway-cli-$(spillway_version).jar"
}

# Fetches async-profiler (tools.profiler:async-profiler from Maven Central) into perf-scripts/lib
# on first use and sets AP_SO to its agent library.
ensure_async_profiler() {
    local version=4.6
    local lib="$ROOT/perf-scripts/lib"
    local jar="$lib/async-profiler-$version.jar"
    AP_SO="$lib/async-profiler-$version/libasyncProfiler.so"
    if [ ! -f "$jar" ]; then
        (cd "$ROOT" && ./mvnw -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
            -Dartifact=tools.profiler:async-profiler:$version -DoutputDirectory="$lib") >&2
    fi
    if [ ! -f "$AP_SO" ]; then
        mkdir -p "$lib/async-profiler-$version"
        (cd "$lib/async-profiler-$version" && "$(dirname "$JAVA25")/jar" xf "$jar" linux-x64/libasyncProfiler.so \
            && mv linux-x64/libasyncProfiler.so . && rmdir linux-x64)
    fi
}

# Fetches DuckDB's JDBC driver (org.duckdb:duckdb_jdbc from Maven Central) into perf-scripts/lib
# on first use and sets DUCKDB to the jar.
ensure_duckdb() {
    local lib="$ROOT/perf-scripts/lib"
    DUCKDB="$lib/duckdb_jdbc-2.0.0.1.jar"
    if [ ! -f "$DUCKDB" ]; then
        (cd "$ROOT" && ./mvnw -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
            -Dartifact=org.duckdb:duckdb_jdbc:2.0.0.1 -DoutputDirectory="$lib") >&2
    fi
}

# Samples the resident memory of PID's process tree every 100 ms until PID exits, then prints
# the peaks in MiB of the largest anonymous and file-backed figures of any process in the tree
# (RssAnon; RssFile + RssShmem) as "ANON FILE". Run it in the background beside the command.
# The tree is looked up once a second and the samples are read with shell builtins only, so the
# sampler takes next to no CPU from the engines it measures (on two cores a ps + awk every 100 ms
# slowed every engine down measurably).
#   rss_peaks PID > file &
rss_peaks() {
    local root="$1" anon=0 file=0 tick=0 pids=() p key value rest a f
    while kill -0 "$root" 2>/dev/null; do
        if [ $((tick % 10)) = 0 ]; then
            pids=("$root")
            local i=0
            while [ "$i" -lt "${#pids[@]}" ]; do
                for p in $(cat "/proc/${pids[$i]}/task/"*/children 2>/dev/null); do
                    pids+=("$p")
                done
                i=$((i + 1))
            done
        fi
        tick=$((tick + 1))
        for p in "${pids[@]}"; do
            a=0
            f=0
            # A process may exit between the lookup and this read: it then reads as empty.
            { while read -r key value rest; do
                case "$key" in
                    RssAnon:) a=$value ;;
                    RssFile: | RssShmem:) f=$((f + value)) ;;
                esac
            done < "/proc/$p/status"; } 2>/dev/null || true
            [ "$a" -gt "$anon" ] && anon=$a
            [ "$f" -gt "$file" ] && file=$f
        done
        sleep 0.1
    done
    echo "$(( anon / 1024 )) $(( file / 1024 ))"
}

# Runs one engine in a fresh process under /usr/bin/time -v and sets WALL (h:mm:ss), RSS_MB and
# ROWS (the "rows=N" the program printed, which also goes to stderr). Then deletes OUT and the
# spill directories under DIR, so every run starts from the same state.
#   timed_run DIR OUT command...
timed_run() {
    local dir="$1" out="$2" log
    shift 2
    log=$(mktemp)
    /usr/bin/time -v "$@" > "$log.out" 2> "$log"
    WALL=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")
    RSS_MB=$(( $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log") / 1024 ))
    ROWS=$(sed -n 's/.*rows=\([0-9]*\).*/\1/p' "$log.out")
    cat "$log.out" >&2
    rm -f "$log" "$log.out" "$out"
    rm -rf "$dir/spill" "$dir/duck-spill"
}

# Runs Spillway and DuckDB at no cap and at CAP (e.g. 512m), each in a fresh process through
# timed_run, as "command... ENGINE DIR CAP_BYTES OUT", and prints one table row per run.
#   cap_comparison DIR CAP command...
cap_comparison() {
    local dir="$1" cap_label="$2" cap_bytes cap engine out
    shift 2
    cap_bytes=$("$JAVA25" -cp "$(ensure_benchmarks_jar)" "$ROOT/perf-scripts/Size.java" "$cap_label")
    printf '%-9s %-6s %10s %12s %12s\n' engine cap wall-s peak-rss-MB rows
    for cap in 0 "$cap_bytes"; do
        for engine in spillway duckdb; do
            out="$dir/out-$engine.csv"
            timed_run "$dir" "$out" "$@" "$engine" "$dir" "$cap" "$out"
            printf '%-9s %-6s %10s %12d %12s\n' "$engine" "$([ "$cap" = 0 ] && echo none || echo "$cap_label")" \
                "$WALL" "$RSS_MB" "$ROWS"
        done
    done
}
