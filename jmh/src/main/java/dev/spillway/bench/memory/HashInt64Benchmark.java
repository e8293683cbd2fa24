package dev.spillway.bench.memory;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Hashes per second over a 128k-row int64 column: {@link Hashing#hashColumn} from native memory
 * into a native hash column, against a baseline that applies the same finalizer to an on-heap
 * {@code long[]} into a {@code long[]} (what plain Java arrays would give).
 *
 * <p>Scores are in hashes per microsecond (one operation = one row).
 * Run: {@code java -jar jmh/target/benchmarks.jar HashInt64}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class HashInt64Benchmark {
    private static final int ROWS = Morsel.DEFAULT_ROWS;

    private BlockPool pool;
    private MemoryBudget budget;
    private ColumnVector column;
    private NativeBuffer hashes;
    private long[] heapKeys;
    private long[] heapHashes;

    /** Builds the column and its heap copy. */
    @Setup(Level.Trial)
    public void setUp() {
        pool = new BlockPool();
        budget = MemoryBudget.root("bench", 1L << 30);
        SplittableRandom rnd = new SplittableRandom(42);
        heapKeys = new long[ROWS];
        heapHashes = new long[ROWS];
        try (Int64Builder b = (Int64Builder) ColumnBuilder.create(DataType.INT64, pool, budget, ROWS)) {
            for (int i = 0; i < ROWS; i++) {
                long k = rnd.nextLong();
                heapKeys[i] = k;
                b.append(k);
            }
            column = b.build();
        }
        hashes = pool.allocate(budget, 8L * ROWS);
    }

    /** Frees everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
        column.close();
        hashes.close();
        pool.close();
        budget.close();
    }

    /** Spillway: native column to native hash column. */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public NativeBuffer hashColumn() {
        Hashing.hashColumn(column, hashes.segment(), false);
        return hashes;
    }

    /** Baseline: the same finalizer over heap arrays. */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public long[] heapArrayBaseline() {
        long[] k = heapKeys;
        long[] h = heapHashes;
        for (int i = 0; i < k.length; i++) {
            h[i] = Hashing.hashLong(k[i]);
        }
        return h;
    }
}
