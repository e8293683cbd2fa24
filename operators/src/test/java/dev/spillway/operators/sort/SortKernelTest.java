package dev.spillway.operators.sort;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Both sort kernels, on native keys and permutations, against {@code Arrays.sort} (stable on
 * boxed indexes), and the float encoding's order.
 */
class SortKernelTest {
    @Test
    void radixAndMergeSortMatchAStableReferenceSort() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        for (int round = 0; round < 40; round++) {
            int n = rnd.nextInt(5000);
            int width = 1 + rnd.nextInt(4);
            long[] keys = new long[n * width];
            int distinct = 1 + rnd.nextInt(50);
            for (int i = 0; i < keys.length; i++) {
                // Few distinct values (ties), both halves of the unsigned range, some constant words.
                keys[i] = i % width == 0 && round % 3 == 0 ? 1 : (rnd.nextInt(distinct) - distinct / 2) * 0x0101_0101_0101_01L;
            }
            Integer[] boxed = new Integer[n];
            for (int i = 0; i < n; i++) {
                boxed[i] = i;
            }
            Comparator<Integer> cmp = (a, b) -> Arrays.compareUnsigned(keys, a * width, a * width + width, keys, b * width,
                    b * width + width);
            Arrays.sort(boxed, cmp);
            int[] expected = Arrays.stream(boxed).mapToInt(Integer::intValue).toArray();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment nativeKeys = arena.allocate(Math.max(8, 8L * keys.length));
                MemorySegment.copy(keys, 0, nativeKeys, KeyEncoder.WORD, 0, keys.length);
                MemorySegment idx = arena.allocate(SortKernel.indexBytes(n) + 4);
                MemorySegment scratch = arena.allocate(SortKernel.indexBytes(n) + 4);
                SortKernel.identity(idx, n);
                MemorySegment radix = SortKernel.radixSort(idx, scratch, n, nativeKeys, width);
                assertArrayEquals(expected, Arrays.copyOf(radix.toArray(SortKernel.INDEX), n), "radix, seed " + seed);
                SortKernel.identity(idx, n);
                SortKernel.mergeSort(idx, scratch, n, (a, b) -> cmp.compare(a, b));
                assertArrayEquals(expected, Arrays.copyOf(idx.toArray(SortKernel.INDEX), n), "merge sort, seed " + seed);
            }
        }
    }

    @Test
    void doubleEncodingFollowsDoubleCompare() {
        double[] values = {Double.NEGATIVE_INFINITY, -1e300, -1.5, -Double.MIN_VALUE, -0.0, 0.0, Double.MIN_VALUE, 2.0,
            Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NaN};
        for (int i = 0; i + 1 < values.length; i++) {
            assertTrue(Long.compareUnsigned(KeyEncoder.encodeDouble(values[i]), KeyEncoder.encodeDouble(values[i + 1])) < 0,
                    values[i] + " before " + values[i + 1]);
        }
        assertTrue(KeyEncoder.encodeDouble(Double.longBitsToDouble(0x7ff0_0000_0000_0001L)) == KeyEncoder.encodeDouble(Double.NaN),
                "every NaN encodes alike");
    }
}
