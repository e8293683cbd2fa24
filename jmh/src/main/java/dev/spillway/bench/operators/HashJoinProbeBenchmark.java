package dev.spillway.bench.operators;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.Utf8Builder;
import dev.spillway.operators.OperatorContext;
import dev.spillway.operators.join.HashJoin;
import dev.spillway.operators.join.ProbeCursor;
import dev.spillway.options.JoinType;
import dev.spillway.spill.SpillConfig;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillManager;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The in-memory equi-join probe of the reference query, one thread: a build side of
 * {@code buildRows} rows (int64 key, 64-byte string payload) hashed once; each operation probes
 * one 128k-row morsel (key = i * 7919 mod buildRows, float64 amount, so every row matches once)
 * and materialises the result morsels (key, amount, payload). The baseline does the same with
 * plain Java arrays: an open-addressing long-to-int table and the payloads in one byte array,
 * copying matched payloads into an output byte array.
 *
 * <p>Scores are microseconds per probe morsel. Run: {@code java -jar jmh/target/benchmarks.jar HashJoinProbe}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx4g"})
@State(Scope.Benchmark)
public class HashJoinProbeBenchmark {
    private static final int PROBE_ROWS = Morsel.DEFAULT_ROWS;
    private static final int PAYLOAD = 64;

    @Param({"1000000", "4000000"})
    private int buildRows;

    private BlockPool pool;
    private MemoryBudget budget;
    private Path root;
    private SpillManager manager;
    private SpillDirectory dir;
    private HashJoin join;
    private Schema probeSchema;
    private long[] probeKeys;
    private double[] probeAmounts;
    private long sequence;
    // Baseline
    private long[] tableKeys;
    private int[] tableRows;
    private byte[] payloads;
    private byte[] outPayloads;
    private long[] outKeys;
    private double[] outAmounts;

    /** Builds both sides' tables. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        pool = new BlockPool();
        budget = MemoryBudget.root("bench", 16L << 30);
        root = Files.createTempDirectory("join-bench");
        manager = new SpillManager(SpillConfig.defaults().withRoot(root), pool);
        dir = manager.createQueryDirectory("bench", budget);
        Schema buildSchema = Schema.of(Field.of("key", DataType.INT64), Field.of("payload", DataType.UTF8));
        probeSchema = Schema.of(Field.of("key", DataType.INT64), Field.of("amount", DataType.FLOAT64));
        join = new HashJoin(probeSchema, buildSchema, new int[] {0}, new int[] {0}, JoinType.INNER, false,
                OperatorContext.of(pool, budget, dir).child("join").withOutputRows(Morsel.DEFAULT_ROWS));
        payloads = new byte[buildRows * PAYLOAD];
        for (int from = 0; from < buildRows; from += Morsel.DEFAULT_ROWS) {
            int n = Math.min(Morsel.DEFAULT_ROWS, buildRows - from);
            Int64Builder k = (Int64Builder) ColumnBuilder.create(DataType.INT64, pool, budget, n);
            Utf8Builder p = (Utf8Builder) ColumnBuilder.create(DataType.UTF8, pool, budget, n);
            for (int i = from; i < from + n; i++) {
                k.append(i);
                byte[] s = payload(i);
                System.arraycopy(s, 0, payloads, i * PAYLOAD, PAYLOAD);
                p.append(s);
            }
            List<ColumnVector> cols = new ArrayList<>(List.of(k.build(), p.build()));
            join.addBuild(new Morsel(buildSchema, cols, n, from));
        }
        join.finishBuild();
        probeKeys = new long[PROBE_ROWS];
        probeAmounts = new double[PROBE_ROWS];
        for (int i = 0; i < PROBE_ROWS; i++) {
            probeKeys[i] = (i * 7919L) % buildRows;
            probeAmounts[i] = i * 0.25;
        }
        int cap = Integer.highestOneBit(buildRows) << 2;
        tableKeys = new long[cap];
        tableRows = new int[cap];
        java.util.Arrays.fill(tableRows, -1);
        for (int i = 0; i < buildRows; i++) {
            int slot = slot(i, cap);
            while (tableRows[slot] >= 0) {
                slot = (slot + 1) & (cap - 1);
            }
            tableKeys[slot] = i;
            tableRows[slot] = i;
        }
        outPayloads = new byte[PROBE_ROWS * PAYLOAD];
        outKeys = new long[PROBE_ROWS];
        outAmounts = new double[PROBE_ROWS];
    }

    private static byte[] payload(int i) {
        String s = String.format("%-64s", "payload-" + i).replace(' ', 'x');
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static int slot(long key, int cap) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & (cap - 1);
    }

    /** Spillway: probes one morsel, producing and closing its result morsels; returns the result rows. */
    @Benchmark
    public long spillway() {
        Int64Builder k = (Int64Builder) ColumnBuilder.create(DataType.INT64, pool, budget, PROBE_ROWS);
        Float64Builder a = (Float64Builder) ColumnBuilder.create(DataType.FLOAT64, pool, budget, PROBE_ROWS);
        for (int i = 0; i < PROBE_ROWS; i++) {
            k.append(probeKeys[i]);
            a.append(probeAmounts[i]);
        }
        Morsel m = new Morsel(probeSchema, new ArrayList<>(List.of(k.build(), a.build())), PROBE_ROWS, sequence++);
        long rows = 0;
        try (ProbeCursor c = join.startProbe(m)) {
            while (!c.done()) {
                try (Morsel out = c.next(sequence)) {
                    rows += out.rowCount();
                }
            }
        }
        return rows;
    }

    /** Plain Java arrays: linear probing, payloads copied into an output array. */
    @Benchmark
    public long heapArrays() {
        int cap = tableRows.length;
        int n = 0;
        for (int i = 0; i < PROBE_ROWS; i++) {
            long key = probeKeys[i];
            int slot = slot(key, cap);
            while (tableRows[slot] >= 0) {
                if (tableKeys[slot] == key) {
                    int row = tableRows[slot];
                    outKeys[n] = key;
                    outAmounts[n] = probeAmounts[i];
                    System.arraycopy(payloads, row * PAYLOAD, outPayloads, n * PAYLOAD, PAYLOAD);
                    n++;
                }
                slot = (slot + 1) & (cap - 1);
            }
        }
        return n;
    }

    /** Frees everything. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        join.close();
        dir.close();
        manager.close();
        budget.close();
        pool.close();
        Files.deleteIfExists(root);
    }
}
