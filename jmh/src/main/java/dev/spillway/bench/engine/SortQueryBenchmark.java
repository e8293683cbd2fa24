package dev.spillway.bench.engine;

import dev.spillway.DataFrame;
import dev.spillway.LazyFrame;
import dev.spillway.SortKey;
import dev.spillway.Spillway;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * A whole sort query end to end, in memory (no spill): an in-memory frame of {@value #ROWS} rows
 * sorted on two worker threads and collected, and its top 100; against a boxed
 * {@code Arrays.sort} of the same keys on one thread.
 *
 * <p>{@code keys}: {@code i64} one int64 key (the radix kernel), {@code f64_str} a float64
 * descending then a string key whose values share a 9-byte prefix (the merge-sort kernel, with
 * string comparisons on prefix ties). Scores are milliseconds per query. Run:
 * {@code java -jar jmh/target/benchmarks.jar SortQuery -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
@State(Scope.Benchmark)
public class SortQueryBenchmark {
    static final int ROWS = 2_000_000;

    /** Which keys. */
    @Param({"i64", "f64_str"})
    public String keys;

    private Path temp;
    private Spillway sw;
    private LazyFrame sorted;
    private LazyFrame top;
    private long[] k;
    private double[] d;
    private String[] s;

    /** Builds the frame and the queries. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        temp = Files.createTempDirectory("sort-bench");
        sw = Spillway.builder().threads(2).memoryLimit(2L << 30).tempDir(temp).build();
        SplittableRandom rnd = new SplittableRandom(42);
        long[] id = new long[ROWS];
        k = new long[ROWS];
        d = new double[ROWS];
        s = new String[ROWS];
        for (int i = 0; i < ROWS; i++) {
            id[i] = i;
            k[i] = rnd.nextLong(1_000_000_000L);
            d[i] = rnd.nextInt(1000) / 4.0;
            s[i] = "customer-" + rnd.nextInt(20_000);
        }
        Map<String, Object> cols = new LinkedHashMap<>();
        cols.put("id", id);
        cols.put("k", k);
        cols.put("d", d);
        cols.put("s", s);
        LazyFrame frame = sw.fromColumns(cols);
        SortKey[] by = keys.equals("i64") ? new SortKey[] {SortKey.asc("k")} : new SortKey[] {SortKey.desc("d"), SortKey.asc("s")};
        sorted = frame.sort(by);
        top = frame.topK(100, by);
    }

    /** Spillway: sort every row and collect the result. */
    @Benchmark
    public long sort() {
        try (DataFrame df = sorted.collect()) {
            return df.rowCount();
        }
    }

    /** Spillway: the first 100 rows of the sort order. */
    @Benchmark
    public long topK() {
        try (DataFrame df = top.collect()) {
            return df.rowCount();
        }
    }

    /** Plain Java: boxed row indexes sorted with a comparator over the heap arrays, one thread. */
    @Benchmark
    public Integer[] baselineBoxed() {
        Integer[] idx = new Integer[ROWS];
        for (int i = 0; i < ROWS; i++) {
            idx[i] = i;
        }
        Comparator<Integer> cmp = keys.equals("i64") ? Comparator.comparingLong(i -> k[i])
                : Comparator.<Integer>comparingDouble(i -> d[i]).reversed().thenComparing(i -> s[i]);
        Arrays.sort(idx, cmp);
        return idx;
    }

    /** Frees the engine. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        sw.close();
        Files.deleteIfExists(temp);
    }
}
