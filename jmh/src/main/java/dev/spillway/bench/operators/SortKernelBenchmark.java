package dev.spillway.bench.operators;

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
import org.openjdk.jmh.annotations.Warmup;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The in-memory sort kernels on normalized keys, as a run sort uses them: sorting an index array
 * by rows of {@code width} unsigned longs.
 *
 * <ul>
 *   <li>{@code baselineBoxed}: {@code Arrays.sort} of boxed {@code Integer} indexes with a
 *       comparator over the key slots (what a straightforward Java implementation does);</li>
 *   <li>{@code mergeSort}: {@link SortKernel#mergeSort} on a primitive {@code int[]} with the same
 *       comparison (the kernel used when string keys may need a tie-break);</li>
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

    /** Encodes random keys the way {@link KeyEncoder} does. */
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

    /** Primitive merge sort with the same comparison. */
    @Benchmark
    public int[] mergeSort() {
        int[] idx = SortKernel.identity(rows);
        SortKernel.mergeSort(idx, rows, this::compare);
        return idx;
    }

    /** LSD radix sort on the key bytes. */
    @Benchmark
    public int[] radixSort() {
        return SortKernel.radixSort(SortKernel.identity(rows), rows, encoded, width);
    }
}
