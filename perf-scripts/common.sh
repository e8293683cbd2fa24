# Shared helpers for perf-scripts: locate JDK 25 and build the benchmark jar.
# Sourced, not run. Sets JAVA25 and ROOT.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

find_jdk25() {
    local candidates=()
    [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
    [ -n "${JAVA25_HOME:-}" ] && candidates+=("$JAVA25_HOME")
    for d in /usr/lib/jvm/* /opt/java/* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
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
    echo "no JDK 25 or newer found (looked at JAVA_HOME, JAVA25_HOME, /usr/lib/jvm, /opt/java, SDKMAN, ~/.jdks)" >&2
    return 1
}

JAVA25="$(find_jdk25)" || exit 1

# Builds jmh/target/benchmarks.jar (engine + dependencies + benchmarks) unless it is newer than the sources.
ensure_benchmarks_jar() {
    local jar="$ROOT/jmh/target/benchmarks.jar"
    if [ ! -f "$jar" ] || [ -n "$(find "$ROOT" -name '*.java' -path '*/src/main/*' -newer "$jar" -print -quit)" ]; then
        (cd "$ROOT" && ./mvnw -q -B package -DskipTests) >&2
    fi
    echo "$jar"
}
