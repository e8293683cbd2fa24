package dev.spillway.bench.operators;

import dev.spillway.DataFrame;
import dev.spillway.LazyFrame;
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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.spillway.Expr.col;

/**
 * Hash aggregation: {@value #ROWS} rows (int64 key, float64 value) grouped by key with a sum and
 * a count, for a few groups (1,000: the pre-aggregation tables absorb everything) and for many
 * (1,000,000: every partial row reaches the partitions). Spillway runs the whole group-by on one
 * worker thread (so the score compares with the baseline's one thread); the baseline is an
 * open-addressing table over plain Java arrays.
 *
 * <p>Scores are milliseconds per aggregation. Run: {@code java -jar jmh/target/benchmarks.jar HashAggregation}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
@State(Scope.Benchmark)
public class HashAggregationBenchmark {
    static final int ROWS = 4_000_000;

    @Param({"1000", "1000000"})
    private int groups;

    private Path temp;
    private Spillway sw;
    private LazyFrame query;
    private long[] keys;
    private double[] values;

    /** Builds the input frame. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        temp = Files.createTempDirectory("agg-bench");
        sw = Spillway.builder().threads(1).memoryLimit(4L << 30).tempDir(temp).build();
        keys = new long[ROWS];
        values = new double[ROWS];
        for (int i = 0; i < ROWS; i++) {
            keys[i] = (i * 2654435761L) % groups;
            values[i] = (i % 1000) * 0.5;
        }
        Map<String, Object> cols = new LinkedHashMap<>();
        cols.put("k", keys);
        cols.put("v", values);
        query = sw.fromColumns(cols).groupBy("k").agg(col("v").sum().alias("s"), col("v").count().alias("n"));
    }

    /** Spillway's group-by, result collected. */
    @Benchmark
    public long spillway() {
        try (DataFrame df = query.collect()) {
            return df.rowCount();
        }
    }

    /** Plain Java: linear probing over long/double/long arrays. */
    @Benchmark
    public int heapArrays() {
        int cap = Integer.highestOneBit(groups * 2 - 1) << 1;
        long[] k = new long[cap];
        boolean[] used = new boolean[cap];
        double[] sum = new double[cap];
        long[] count = new long[cap];
        int size = 0;
        for (int i = 0; i < ROWS; i++) {
            long key = keys[i];
            int slot = (int) ((key * 0x9E3779B97F4A7C15L) >>> 40) & (cap - 1);
            while (used[slot] && k[slot] != key) {
                slot = (slot + 1) & (cap - 1);
            }
            if (!used[slot]) {
                used[slot] = true;
                k[slot] = key;
                size++;
            }
            sum[slot] += values[i];
            count[slot]++;
        }
        return size;
    }

    /** Frees the engine. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        sw.close();
        Files.deleteIfExists(temp);
    }
}
