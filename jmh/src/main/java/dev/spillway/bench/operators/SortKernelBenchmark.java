package dev.spillway.bench.operators;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.operators.sort.KeyEncoder;
import dev.spillway.operators.sort.SortKernel;
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
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The in-memory sort kernels on normalized keys, as a run sort uses them: sorting a permutation
 * of row indexes by rows of {@code width} unsigned longs, keys and permutation in native memory.
 * Like a run sort, each invocation takes the permutation and its scratch from a {@link BlockPool}
 * (a dedicated arena above the pool's block size) and frees them at its end.
 *
 * <ul>
 *   <li>{@code baselineBoxed}: {@code Arrays.sort} of boxed {@code Integer} indexes with a
 *       comparator over the key slots of a heap {@code long[]} (what a straightforward Java
 *       implementation does);</li>
 *   <li>{@code mergeSort}: {@link SortKernel#mergeSort} with the same comparison on the native
 *       keys (the kernel used when string keys may need a tie-break);</li>
 *   <li>{@code radixSort}: {@link SortKernel#radixSort}, LSD radix with constant bytes skipped
 *       (the kernel used otherwise).</li>
 * </ul>
 * {@code keys}: {@code f64desc_i64} is a float64 descending then an int64 key (4 slots, flags
 * constant: no nulls), {@code i32} one int32 key (1 slot) with 1,000 distinct values.
 * Scores are milliseconds per sort. Run: {@code java -jar jmh/target/benchmarks.jar SortKernel}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class SortKernelBenchmark {
    /** Rows per run. */
    @Param({"131072", "1048576"})
    public int rows;

    /** Which keys. */
    @Param({"f64desc_i64", "i32"})
    public String keys;

    private long[] encoded;
    private int width;
    private BlockPool pool;
    private MemoryBudget budget;
    private NativeBuffer nativeKeys;
    private MemorySegment keySegment;

    /** Encodes random keys the way {@link KeyEncoder} does, on the heap and in native memory. */
    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(42);
        width = keys.equals("i32") ? 1 : 4;
        encoded = new long[rows * width];
        for (int r = 0; r < rows; r++) {
            if (width == 1) {
                encoded[r] = 1L << 32 | (rnd.nextInt(1000) ^ 0x8000_0000) & 0xFFFF_FFFFL;
            } else {
                encoded[r * 4] = 1;
                encoded[r * 4 + 1] = ~KeyEncoder.encodeDouble(rnd.nextInt(1_000_000) / 100.0);
                encoded[r * 4 + 2] = 1;
                encoded[r * 4 + 3] = rnd.nextLong(1_000_000_000L) ^ Long.MIN_VALUE;
            }
        }
        pool = new BlockPool();
        budget = MemoryBudget.root("bench", MemoryBudget.UNLIMITED);
        nativeKeys = pool.allocate(budget, 8L * encoded.length);
        keySegment = nativeKeys.segment();
        MemorySegment.copy(encoded, 0, keySegment, KeyEncoder.WORD, 0, encoded.length);
    }

    /** Frees the native keys and the pool. */
    @TearDown(Level.Trial)
    public void tearDown() {
        nativeKeys.close();
        budget.close();
        pool.close();
    }

    private int compare(int a, int b) {
        int oa = a * width;
        int ob = b * width;
        for (int i = 0; i < width; i++) {
            long x = encoded[oa + i];
            long y = encoded[ob + i];
            if (x != y) {
                return Long.compareUnsigned(x, y);
            }
        }
        return 0;
    }

    /** Boxed indexes and {@code Arrays.sort} (TimSort) with a comparator. */
    @Benchmark
    public Integer[] baselineBoxed() {
        Integer[] idx = new Integer[rows];
        for (int i = 0; i < rows; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, this::compare);
        return idx;
    }

    private int compareNative(int a, int b) {
        long oa = (long) a * width;
        long ob = (long) b * width;
        for (int i = 0; i < width; i++) {
            long x = keySegment.getAtIndex(KeyEncoder.WORD, oa + i);
            long y = keySegment.getAtIndex(KeyEncoder.WORD, ob + i);
            if (x != y) {
                return Long.compareUnsigned(x, y);
            }
        }
        return 0;
    }

    /** Native merge sort with the same comparison on the native keys. */
    @Benchmark
    public void mergeSort(Blackhole bh) {
        long idxBytes = SortKernel.indexBytes(rows);
        try (NativeBuffer work = pool.allocate(budget, 2 * idxBytes)) {
            MemorySegment idx = work.segment().asSlice(0, idxBytes);
            SortKernel.identity(idx, rows);
            SortKernel.mergeSort(idx, work.segment().asSlice(idxBytes, idxBytes), rows, this::compareNative);
            bh.consume(idx.getAtIndex(SortKernel.INDEX, rows - 1));
        }
    }

    /** LSD radix sort on the key bytes. */
    @Benchmark
    public void radixSort(Blackhole bh) {
        long idxBytes = SortKernel.indexBytes(rows);
        try (NativeBuffer work = pool.allocate(budget, 2 * idxBytes)) {
            MemorySegment idx = work.segment().asSlice(0, idxBytes);
            SortKernel.identity(idx, rows);
            MemorySegment sorted = SortKernel.radixSort(idx, work.segment().asSlice(idxBytes, idxBytes), rows, keySegment, width);
            bh.consume(sorted.getAtIndex(SortKernel.INDEX, rows - 1));
        }
    }
}
