package dev.spillway.memory;

import dev.spillway.types.DataType;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HashingTest {
    private static final int KEYS = 1_000_000;

    private static void assertUniform(int[] counts, int total, String what) {
        double expected = (double) total / counts.length;
        for (int p = 0; p < counts.length; p++) {
            double dev = Math.abs(counts[p] - expected) / expected;
            assertTrue(dev <= 0.10, what + ": partition " + p + " has " + counts[p] + " keys, expected " + expected
                    + " ±10%");
        }
    }

    @Test
    void sequentialInt64KeysSpreadEvenlyOver256Partitions() {
        assertNoLeaks(mem -> {
            int[] counts = new int[Hashing.PARTITIONS];
            int[] next = new int[Hashing.PARTITIONS];
            try (Int64Builder b = (Int64Builder) ColumnBuilder.create(DataType.INT64, mem.pool(), mem.budget(), KEYS)) {
                for (long i = 0; i < KEYS; i++) {
                    b.append(i);
                }
                try (ColumnVector v = b.build(); NativeBuffer hashes = mem.pool().allocate(mem.budget(), 8L * KEYS)) {
                    Hashing.hashColumn(v, hashes.segment(), false);
                    for (int i = 0; i < KEYS; i++) {
                        long h = hashes.segment().getAtIndex(ValueLayout.JAVA_LONG, i);
                        assertEquals(Hashing.hashLong(i), h);
                        counts[Hashing.partition(h)]++;
                        next[Hashing.partition(h, 8, 8)]++;
                    }
                }
            }
            assertUniform(counts, KEYS, "top 8 bits");
            assertUniform(next, KEYS, "next 8 bits");
        });
    }

    @Test
    void stringKeysSpreadEvenly() {
        int[] counts = new int[Hashing.PARTITIONS];
        for (int i = 0; i < KEYS; i++) {
            byte[] b = ("key-" + i).getBytes(StandardCharsets.UTF_8);
            counts[Hashing.partition(Hashing.hashBytes(MemorySegment.ofArray(b), 0, b.length))]++;
        }
        assertUniform(counts, KEYS, "utf8 keys");
    }

    @Test
    void equalValuesHashEqual() {
        assertEquals(Hashing.hashDouble(0.0), Hashing.hashDouble(-0.0));
        assertEquals(Hashing.hashDouble(Double.NaN), Hashing.hashDouble(Double.longBitsToDouble(0x7FF8000000000123L)));
        assertNotEquals(Hashing.hashDouble(1.0), Hashing.hashDouble(2.0));
        assertNotEquals(Hashing.hashBoolean(true), Hashing.hashBoolean(false));
        // Bytes at different offsets of different segments hash alike.
        byte[] a = "xxhello world, a longer key".getBytes(StandardCharsets.UTF_8);
        byte[] b = "hello world, a longer key".getBytes(StandardCharsets.UTF_8);
        assertEquals(Hashing.hashBytes(MemorySegment.ofArray(a), 2, b.length),
                Hashing.hashBytes(MemorySegment.ofArray(b), 0, b.length));
        assertNotEquals(Hashing.combine(1, 2), Hashing.combine(2, 1));
    }

    @Test
    void shortStringsOfEveryLengthAreDistinct() {
        Random rnd = new Random(7);
        Set<Long> seen = new HashSet<>();
        int n = 0;
        for (int len = 0; len <= 24; len++) {
            for (int k = 0; k < 2000; k++) {
                byte[] s = new byte[len];
                rnd.nextBytes(s);
                seen.add(Hashing.hashBytes(MemorySegment.ofArray(s), 0, len));
                n++;
            }
        }
        // Length 0 has one value; random byte strings of length >= 1 collide rarely (a few 1-byte duplicates).
        assertTrue(seen.size() > n - 2000 - 2000, "distinct hashes: " + seen.size() + " of " + n);
        byte[] zeros = new byte[3];
        assertNotEquals(Hashing.hashBytes(MemorySegment.ofArray(zeros), 0, 2), Hashing.hashBytes(MemorySegment.ofArray(zeros), 0, 3),
                "length is part of the hash");
    }

    @Test
    void multiColumnKeysCombineAndNullsUseTheNullHash() {
        assertNoLeaks(mem -> {
            try (Int32Builder a = (Int32Builder) ColumnBuilder.create(DataType.INT32, mem.pool(), mem.budget(), 3);
                 Utf8Builder s = (Utf8Builder) ColumnBuilder.create(DataType.UTF8, mem.pool(), mem.budget(), 3)) {
                a.append(7);
                a.appendNull();
                a.append(7);
                s.append("x");
                s.append("x");
                s.appendNull();
                try (ColumnVector va = a.build(); ColumnVector vs = s.build();
                     NativeBuffer out = mem.pool().allocate(mem.budget(), 24)) {
                    MemorySegment h = out.segment();
                    Hashing.hashColumn(va, h, false);
                    assertEquals(Hashing.hashLong(7), h.getAtIndex(ValueLayout.JAVA_LONG, 0));
                    assertEquals(Hashing.NULL_HASH, h.getAtIndex(ValueLayout.JAVA_LONG, 1));
                    Hashing.hashColumn(vs, h, true);
                    byte[] x = {'x'};
                    assertEquals(Hashing.combine(Hashing.hashLong(7), Hashing.hashBytes(MemorySegment.ofArray(x), 0, 1)),
                            h.getAtIndex(ValueLayout.JAVA_LONG, 0));
                    assertEquals(Hashing.combine(Hashing.hashLong(7), Hashing.NULL_HASH), h.getAtIndex(ValueLayout.JAVA_LONG, 2));
                    assertThrows(IllegalArgumentException.class,
                            () -> Hashing.hashColumn(va, h.asSlice(0, 8), false));
                }
            }
        });
    }

    @Test
    void groupByPartitionPlacesEachKeptRowOnceInRowOrderWithinItsPartition() {
        Random random = new Random(7);
        int n = 5000;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment hashes = arena.allocate(8L * n);
            MemorySegment perm = arena.allocate(4L * n);
            for (int r = 0; r < n; r++) {
                hashes.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, r, random.nextLong());
            }
            for (int shift : new int[] {0, 8}) {
                for (boolean[] keep : new boolean[][] {null, keepEveryThird(1 << 4)}) {
                    int[] bounds = Hashing.groupByPartition(hashes, n, shift, 4, keep, perm);
                    java.util.List<java.util.List<Integer>> expected = new java.util.ArrayList<>();
                    for (int p = 0; p < 16; p++) {
                        expected.add(new java.util.ArrayList<>());
                    }
                    for (int r = 0; r < n; r++) {
                        int p = Hashing.partition(hashes.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, r), shift, 4);
                        if (keep == null || keep[p]) {
                            expected.get(p).add(r);
                        }
                    }
                    assertEquals(0, bounds[0]);
                    for (int p = 0; p < 16; p++) {
                        java.util.List<Integer> got = new java.util.ArrayList<>();
                        for (int k = bounds[p]; k < bounds[p + 1]; k++) {
                            got.add(perm.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, k));
                        }
                        assertEquals(expected.get(p), got, "partition " + p + " shift " + shift + " keep " + (keep != null));
                    }
                }
            }
        }
    }

    private static boolean[] keepEveryThird(int fanout) {
        boolean[] keep = new boolean[fanout];
        for (int p = 0; p < fanout; p += 3) {
            keep[p] = true;
        }
        return keep;
    }

    @Test
    void unmixInvertsTheFinalizer() {
        Random rnd = new Random(11);
        for (int i = 0; i < 10_000; i++) {
            long z = rnd.nextLong();
            assertEquals(z, Hashing.unmix(Hashing.mix(z)));
            assertEquals(z, Hashing.mix(Hashing.unmix(z)));
        }
    }

    @Test
    void keysCraftedToCollideUnderAnotherSeedSpreadUnderThisProcesssSeed() {
        long foreign = Hashing.seed() ^ 0x5DEECE66DL;
        int n = KEYS;
        int[] partitions = new int[Hashing.PARTITIONS];
        Set<Long> buckets = new HashSet<>();
        for (int i = 0; i < n; i++) {
            // Partition 0 and the same low 24 bits (one bucket chain) under the foreign seed.
            long key = Hashing.unmix((long) (i + 1) << 24) - foreign;
            long underForeign = Hashing.mix(key + foreign);
            assertEquals(0, Hashing.partition(underForeign), "crafted key " + key);
            assertEquals(0, underForeign & 0xFF_FFFF, "crafted key " + key);
            long h = Hashing.hashLong(key);
            partitions[Hashing.partition(h)]++;
            buckets.add(h & 0xFF_FFFF);
        }
        assertUniform(partitions, n, "crafted keys under this process's seed");
        assertTrue(buckets.size() > n * 9 / 10, "crafted keys share buckets: " + buckets.size() + " distinct of " + n);
    }

    @Test
    void eachProcessDrawsItsOwnSeedUnlessThePropertyFixesIt() throws Exception {
        long a = childSeed(null);
        long b = childSeed(null);
        assertNotEquals(a, b, "two processes drew the same hash seed");
        assertEquals(0x9E3779B97F4A7C15L, childSeed("0x9E3779B97F4A7C15"));
        assertEquals(-42L, childSeed("-42"));
    }

    /** The hash seed of a child JVM, with {@code -Dspillway.hash.seed=fixed} unless null. */
    private static long childSeed(String fixed) throws Exception {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
                ProcessHandle.current().info().command().orElseThrow()));
        if (fixed != null) {
            cmd.add("-D" + Hashing.SEED_PROPERTY + "=" + fixed);
        }
        cmd.addAll(java.util.List.of("-cp", System.getProperty("java.class.path"), HashSeedMain.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), out);
        return Long.parseLong(out.lines().reduce((x, y) -> y).orElseThrow());
    }
}
