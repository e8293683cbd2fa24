package dev.spillway.memory;


import dev.spillway.errors.MemoryLimitExceededException;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ColumnVectorTest {
    /** The precision and scale that the tests over every {@link DataType} use for DECIMAL128. */
    static final DecimalType TEST_DECIMAL = DecimalType.of(38, 6);

    /** A random value of {@code type} as the Java object {@link ColumnVector#getObject} returns, or null. */
    static Object randomValue(DataType type, Random rnd, double nullRate) {
        if (rnd.nextDouble() < nullRate) {
            return null;
        }
        return switch (type) {
            case INT32 -> rnd.nextInt();
            case INT64 -> rnd.nextLong();
            case FLOAT64 -> switch (rnd.nextInt(10)) {
                case 0 -> Double.NaN;
                case 1 -> -0.0;
                default -> rnd.nextGaussian() * 1e6;
            };
            case BOOLEAN -> rnd.nextBoolean();
            case DATE32 -> LocalDate.ofEpochDay(rnd.nextInt(40_000) - 10_000);
            case DECIMAL128 -> dev.spillway.memory.testing.RandomData.decimal(TEST_DECIMAL, rnd);
            case TIMESTAMP -> Timestamps.toLocal(dev.spillway.memory.testing.RandomData.timestampMicros(rnd));
            case UTF8 -> {
                int len = rnd.nextInt(5) == 0 ? rnd.nextInt(200) : rnd.nextInt(12);
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < len; i++) {
                    sb.append(rnd.nextInt(20) == 0 ? 'é' : (char) ('a' + rnd.nextInt(26)));
                }
                yield sb.toString();
            }
        };
    }

    static ColumnVector build(BlockPool pool, MemoryBudget budget, DataType type, List<Object> values) {
        try (ColumnBuilder b = ColumnBuilder.create(type, TEST_DECIMAL, pool, budget, 4)) {
            for (Object v : values) {
                b.appendObject(v);
            }
            return b.build();
        }
    }

    static void assertColumn(List<Object> expected, ColumnVector v) {
        assertEquals(expected.size(), v.length());
        int nulls = 0;
        for (int i = 0; i < expected.size(); i++) {
            Object e = expected.get(i);
            nulls += e == null ? 1 : 0;
            assertEquals(e == null, v.isNull(i), "null flag at row " + i);
            assertEquals(e, v.getObject(i), "row " + i);
        }
        assertEquals(nulls, v.nullCount());
    }

    @ParameterizedTest
    @EnumSource(DataType.class)
    void randomRoundTripAgainstJavaLists(DataType type) {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        try {
            assertNoLeaks(mem -> randomRounds(type, rnd, mem.pool(), mem.budget()));
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed, e);
        }
    }

    private static void randomRounds(DataType type, Random rnd, BlockPool pool, MemoryBudget budget) {
            for (int round = 0; round < 20; round++) {
                int n = rnd.nextInt(3) == 0 ? rnd.nextInt(5) : rnd.nextInt(5000);
                double nullRate = rnd.nextInt(3) == 0 ? 0 : rnd.nextDouble();
                List<Object> expected = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    expected.add(randomValue(type, rnd, nullRate));
                }
                try (ColumnVector v = build(pool, budget, type, expected)) {
                    assertEquals(type, v.type());
                    assertColumn(expected, v);
                    int from = n == 0 ? 0 : rnd.nextInt(n);
                    int count = rnd.nextInt(n - from + 1);
                    try (ColumnVector s = v.slice(from, count)) {
                        assertColumn(expected.subList(from, from + count), s);
                        try (ColumnVector back = exportImport(pool, budget, s)) {
                            assertColumn(expected.subList(from, from + count), back);
                        }
                    }
                }
            }
    }

    /**
     * A gather from several vectors (slices among them, so offsets matter) with null entries, in
     * two batches after a few single appends, equals the same rows appended one by one.
     */
    @ParameterizedTest
    @EnumSource(DataType.class)
    void gatherEqualsRowByRowAppends(DataType type) {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        try {
            assertNoLeaks(mem -> {
                for (int round = 0; round < 10; round++) {
                    int sourcesCount = 1 + rnd.nextInt(4);
                    List<List<Object>> values = new ArrayList<>();
                    ColumnVector[] sources = new ColumnVector[sourcesCount];
                    try {
                        for (int s = 0; s < sourcesCount; s++) {
                            double nullRate = rnd.nextBoolean() ? 0 : 0.2;
                            List<Object> vals = new ArrayList<>();
                            int n = 1 + rnd.nextInt(300);
                            for (int i = 0; i < n + 7; i++) {
                                vals.add(randomValue(type, rnd, nullRate));
                            }
                            try (ColumnVector whole = build(mem.pool(), mem.budget(), type, vals)) {
                                sources[s] = whole.slice(7, n);
                            }
                            values.add(vals.subList(7, 7 + n));
                        }
                        boolean single = sourcesCount == 1 && rnd.nextBoolean();
                        List<Object> expected = new ArrayList<>();
                        try (ColumnBuilder gathered = ColumnBuilder.create(type, TEST_DECIMAL, mem.pool(), mem.budget(), 4)) {
                            int prefix = rnd.nextInt(3);
                            for (int i = 0; i < prefix; i++) {
                                gathered.appendFrom(sources[0], 0);
                                expected.add(values.get(0).get(0));
                            }
                            for (int batch = 0; batch < 2; batch++) {
                                int count = rnd.nextInt(2000);
                                int[] which = single ? null : new int[count];
                                int[] rows = new int[count];
                                for (int k = 0; k < count; k++) {
                                    int w = single ? 0 : rnd.nextInt(10) == 0 ? -1 : rnd.nextInt(sourcesCount);
                                    if (which != null) {
                                        which[k] = w;
                                    }
                                    rows[k] = w < 0 ? 0 : rnd.nextInt(values.get(w).size());
                                    expected.add(w < 0 ? null : values.get(w).get(rows[k]));
                                }
                                gathered.appendGather(sources, which, rows, count);
                            }
                            try (ColumnVector v = gathered.build()) {
                                assertColumn(expected, v);
                            }
                        }
                    } finally {
                        for (ColumnVector v : sources) {
                            if (v != null) {
                                v.close();
                            }
                        }
                    }
                }
            });
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed, e);
        }
    }

    /** Exports every normalized buffer (through copyBuffer) and rebuilds a vector with fromBuffers. */
    static ColumnVector exportImport(BlockPool pool, MemoryBudget budget, ColumnVector v) {
        NativeBuffer[] bufs = new NativeBuffer[3];
        for (int i = 0; i < v.bufferCount(); i++) {
            long size = v.bufferByteSize(i);
            if (i == 0 && size == 0) {
                continue;
            }
            bufs[i] = pool.allocate(budget, Math.max(1, size));
            v.copyBuffer(i, bufs[i].segment());
            MemorySegment view = v.bufferView(i);
            if (view != null) {
                assertEquals(size, view.byteSize());
                assertEquals(-1, view.mismatch(bufs[i].segment().asSlice(0, size)), "view equals copy of buffer " + i);
            }
        }
        return ColumnVector.fromBuffers(v.field("v"), v.length(), v.nullCount(), bufs[0], bufs[1], bufs[2]);
    }

    @Test
    void slicesAtUnalignedOffsetsNormalizeBitmaps() {
        assertNoLeaks(mem -> {
            List<Object> values = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                values.add(i % 3 == 0 ? null : i % 2 == 0);
            }
            try (ColumnVector v = build(mem.pool(), mem.budget(), DataType.BOOLEAN, values);
                 ColumnVector s = v.slice(5, 50)) {
                assertNull(s.bufferView(0), "unaligned validity needs a copy");
                assertNull(s.bufferView(1), "unaligned booleans need a copy");
                try (ColumnVector back = exportImport(mem.pool(), mem.budget(), s)) {
                    assertColumn(values.subList(5, 55), back);
                }
            }
        });
    }

    @Test
    void longStringsOutgrowABlock() {
        assertNoLeaks(mem -> {
            String big = "x".repeat(700_000);
            List<Object> values = List.of(big, "a", big + "y", "", big);
            try (ColumnVector v = build(mem.pool(), mem.budget(), DataType.UTF8, new ArrayList<>(values))) {
                assertColumn(new ArrayList<>(values), v);
                assertTrue(v.byteSize() > (2L << 20), "data buffer exceeds one block");
                Utf8Vector u = (Utf8Vector) v;
                assertEquals(700_001, u.byteLength(2));
                try (ColumnVector s = v.slice(1, 3); ColumnVector back = exportImport(mem.pool(), mem.budget(), s)) {
                    assertColumn(new ArrayList<>(values.subList(1, 4)), back);
                    assertNotNull(s.bufferView(2));
                    assertNull(s.bufferView(1), "offsets of a slice that does not start at 0 are rebased by copy");
                }
            }
        });
    }

    @Test
    void bulkAppendsWithNullsMarkedAfterwardsMatchRowByRowAppends() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        assertNoLeaks(mem -> {
            for (int round = 0; round < 20; round++) {
                List<Object> longs = new ArrayList<>();
                List<Object> doubles = new ArrayList<>();
                List<Object> ints = new ArrayList<>();
                try (Int64Builder lb = (Int64Builder) ColumnBuilder.create(DataType.INT64, mem.pool(), mem.budget(), 4);
                     Float64Builder db = (Float64Builder) ColumnBuilder.create(DataType.FLOAT64, mem.pool(), mem.budget(), 4);
                     Int32Builder ib = (Int32Builder) ColumnBuilder.create(DataType.INT32, mem.pool(), mem.budget(), 4)) {
                    // Runs of single appends, nulls and bulk appends at odd offsets, so bulk runs start
                    // mid-byte of the validity bitmap, before and after it exists.
                    for (int run = 0; run < 6; run++) {
                        int n = rnd.nextInt(40);
                        int from = rnd.nextInt(5);
                        long[] lv = new long[from + n];
                        double[] dv = new double[from + n];
                        int[] iv = new int[from + n];
                        for (int k = 0; k < from + n; k++) {
                            lv[k] = rnd.nextLong();
                            dv[k] = rnd.nextDouble();
                            iv[k] = rnd.nextInt();
                        }
                        int at = lb.length();
                        lb.appendAll(lv, from, n);
                        db.appendAll(dv, from, n);
                        ib.appendAll(iv, from, n);
                        for (int k = 0; k < n; k++) {
                            boolean isNull = rnd.nextInt(4) == 0;
                            if (isNull) {
                                lb.setNull(at + k);
                                db.setNull(at + k);
                                ib.setNull(at + k);
                            }
                            longs.add(isNull ? null : lv[from + k]);
                            doubles.add(isNull ? null : dv[from + k]);
                            ints.add(isNull ? null : iv[from + k]);
                        }
                        if (rnd.nextBoolean()) {
                            lb.appendNull();
                            db.appendNull();
                            ib.appendNull();
                            longs.add(null);
                            doubles.add(null);
                            ints.add(null);
                        }
                    }
                    assertThrows(IndexOutOfBoundsException.class, () -> lb.setNull(lb.length()));
                    try (ColumnVector l = lb.build(); ColumnVector d = db.build(); ColumnVector i = ib.build()) {
                        String where = "seed " + seed + " round " + round;
                        assertEquals(longs.stream().filter(x -> x == null).count(), l.nullCount(), where);
                        assertColumn(longs, l);
                        assertColumn(doubles, d);
                        assertColumn(ints, i);
                    }
                }
            }
        });
    }

    @Test
    void emptyColumns() {
        assertNoLeaks(mem -> {
            for (DataType t : DataType.values()) {
                try (ColumnVector v = build(mem.pool(), mem.budget(), t, List.of())) {
                    assertEquals(0, v.length());
                    assertEquals(0, v.nullCount());
                    try (ColumnVector back = exportImport(mem.pool(), mem.budget(), v)) {
                        assertEquals(0, back.length());
                    }
                }
            }
        });
    }

    @Test
    void builderGrowthBeyondTheCapFailsAndLeaksNothing() {
        assertNoLeaks(256 * 1024, mem -> {
            try (Int64Builder b = (Int64Builder) ColumnBuilder.create(DataType.INT64, mem.pool(), mem.budget(), 16)) {
                MemoryLimitExceededException e = assertThrows(MemoryLimitExceededException.class, () -> {
                    for (long i = 0; i < 1_000_000; i++) {
                        b.append(i);
                    }
                });
                assertTrue(e.getMessage().contains("test"), e.getMessage());
                assertTrue(b.length() > 0);
            }
        });
    }

    @Test
    void typedAccessAndFormatting() {
        assertNoLeaks(mem -> {
            try (Int32Builder d = (Int32Builder) ColumnBuilder.create(DataType.DATE32, mem.pool(), mem.budget(), 2)) {
                d.append((int) LocalDate.of(2024, 2, 29).toEpochDay());
                d.appendNull();
                try (ColumnVector v = d.build()) {
                    assertEquals(DataType.DATE32, v.type());
                    assertEquals("2024-02-29", v.format(0));
                    assertEquals("null", v.format(1));
                    assertTrue(v.toString().startsWith("date32["), v.toString());
                }
            }
        });
    }

    @Test
    void appendFromCopiesRowsAndRejectsOtherTypes() {
        assertNoLeaks(mem -> {
            List<Object> values = new ArrayList<>(List.of("a", "bb", "ccc"));
            values.add(1, null);
            try (ColumnVector src = build(mem.pool(), mem.budget(), DataType.UTF8, values);
                 ColumnBuilder b = ColumnBuilder.create(DataType.UTF8, mem.pool(), mem.budget(), 1);
                 ColumnBuilder wrong = ColumnBuilder.create(DataType.INT64, mem.pool(), mem.budget(), 1)) {
                for (int i = src.length() - 1; i >= 0; i--) {
                    b.appendFrom(src, i);
                }
                try (ColumnVector reversed = b.build()) {
                    assertColumn(new ArrayList<>(java.util.Arrays.asList("ccc", "bb", null, "a")), reversed);
                }
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> wrong.appendFrom(src, 0));
                assertTrue(e.getMessage().contains("utf8"), e.getMessage());
            }
        });
    }

    @Test
    void fromBuffersRejectsShortBuffersAndFreesThem() {
        assertNoLeaks(mem -> {
            NativeBuffer values = mem.pool().allocate(mem.budget(), 16);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ColumnVector.fromBuffers(DataType.INT64, 10_000, 0, null, values, null));
            assertTrue(e.getMessage().contains("80000"), e.getMessage());
            assertEquals(0, values.refCount());
        });
    }

    @Test
    void closeIsIdempotentAndSlicesOutliveTheirParent() {
        assertNoLeaks(mem -> {
            ColumnVector v = build(mem.pool(), mem.budget(), DataType.INT64, List.of(1L, 2L, 3L));
            ColumnVector s = v.slice(1, 2);
            v.close();
            v.close();
            assertEquals(3L, ((Int64Vector) s).get(1));
            assertFalse(s.hasNulls());
            s.close();
        });
    }
}
