package dev.spillway.bench.operators;

import dev.spillway.DataFrame;
import dev.spillway.LazyFrame;
import dev.spillway.Spillway;
import dev.spillway.memory.Hashing;
import dev.spillway.options.JoinType;
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
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.spillway.Expr.col;

/**
 * Hash flooding: a group-by and a join probe over {@value #ROWS} rows of {@value #DISTINCT}
 * distinct int64 keys, either random or crafted so that under the hash seed an attacker knows
 * ({@link #ATTACKER_SEED}, the fixed constant the hashes used before they were seeded per
 * process) every key lands in partition 0 and in one bucket chain. With the process's random seed
 * both kinds of keys must take the same time.
 *
 * <p>To see what the attack did before seeding, fix the seed to the attacker's:
 * {@code java -jar jmh/target/benchmarks.jar HashFlood -jvmArgsAppend -Dspillway.hash.seed=0x9E3779B97F4A7C15}.
 * Scores are milliseconds per query (one worker thread).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx1g"})
@State(Scope.Benchmark)
public class HashFloodBenchmark {
    static final int ROWS = 1_000_000;
    static final int DISTINCT = 8192;
    /** The seed the crafted keys collide under. */
    static final long ATTACKER_SEED = 0x9E3779B97F4A7C15L;

    /** Key kinds. */
    public enum Keys {
        RANDOM, CRAFTED
    }

    @Param({"RANDOM", "CRAFTED"})
    private Keys keys;

    private Path temp;
    private Spillway sw;
    private LazyFrame groupBy;
    private LazyFrame join;

    /** Builds the inputs. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        temp = Files.createTempDirectory("flood-bench");
        sw = Spillway.builder().threads(1).memoryLimit(1L << 30).tempDir(temp).build();
        long[] distinct = new long[DISTINCT];
        Random rnd = new Random(42);
        for (int i = 0; i < DISTINCT; i++) {
            // Crafted: hash (i + 1) << 24 under the attacker's seed, i.e. top 8 bits (the
            // partition) and low 24 bits (the bucket) zero.
            distinct[i] = keys == Keys.RANDOM ? rnd.nextLong() : Hashing.unmix((long) (i + 1) << 24) - ATTACKER_SEED;
        }
        long[] k = new long[ROWS];
        long[] v = new long[ROWS];
        for (int i = 0; i < ROWS; i++) {
            k[i] = distinct[rnd.nextInt(DISTINCT)];
            v[i] = i;
        }
        Map<String, Object> probe = new LinkedHashMap<>();
        probe.put("k", k);
        probe.put("v", v);
        long[] payload = new long[DISTINCT];
        for (int i = 0; i < DISTINCT; i++) {
            payload[i] = i;
        }
        Map<String, Object> build = new LinkedHashMap<>();
        build.put("k", distinct.clone());
        build.put("p", payload);
        groupBy = sw.fromColumns(probe).groupBy("k").agg(col("v").sum().alias("s"));
        join = sw.fromColumns(probe).join(sw.fromColumns(build), "k", JoinType.INNER);
    }

    /** Group-by on the keys, result collected. */
    @Benchmark
    public long groupBy() {
        try (DataFrame df = groupBy.collect()) {
            return df.rowCount();
        }
    }

    /** Join of the rows with one build row per key, result collected. */
    @Benchmark
    public long join() {
        try (DataFrame df = join.collect()) {
            return df.rowCount();
        }
    }

    /** Frees the engine. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        sw.close();
        Files.deleteIfExists(temp);
    }
}
