package dev.spillway.memory;

import dev.spillway.types.Field;

import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Schema;

import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Decimal128VectorTest {

    @Test
    void typeValidationAndDisplay() {
        assertEquals("decimal(15,2)", DecimalType.of(15, 2).displayName());
        assertEquals("price: decimal(15,2)", Field.decimal("price", 15, 2).toString());
        assertEquals("Schema[a: decimal(38,10), b: int64]",
                Schema.of(Field.decimal("a", 38, 10), Field.of("b", DataType.INT64)).toString());
        for (int[] bad : new int[][] {{0, 0}, {39, 0}, {5, 6}, {5, -1}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DecimalType.of(bad[0], bad[1]));
            assertTrue(e.getMessage().contains("decimal(" + bad[0] + "," + bad[1] + ")"), e.getMessage());
        }
        IllegalArgumentException noScale = assertThrows(IllegalArgumentException.class, () -> Field.of("x", DataType.DECIMAL128));
        assertTrue(noScale.getMessage().contains("'x' needs a precision and scale"), noScale.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Field.of("y", DataType.INT64, DecimalType.of(3, 1)));
        assertEquals(Field.decimal("a", 10, 2), Field.decimal("b", 10, 2).withName("a"));
        assertTrue(!Field.decimal("a", 10, 2).sameType(Field.decimal("a", 10, 3)));
    }

    @Test
    void randomValuesRoundTripThroughBuildersViewsAndExport() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        try {
            assertNoLeaks(mem -> {
                for (int round = 0; round < 30; round++) {
                    DecimalType type = DecimalType.of(1 + rnd.nextInt(38), 0);
                    type = DecimalType.of(type.precision(), rnd.nextInt(type.precision() + 1));
                    int n = rnd.nextInt(300);
                    List<BigDecimal> expected = new ArrayList<>();
                    try (Decimal128Builder b = ColumnBuilder.create(type, mem.pool(), mem.budget(), 1)) {
                        for (int i = 0; i < n; i++) {
                            BigDecimal v = rnd.nextInt(8) == 0 ? null : RandomData.decimal(type, rnd);
                            expected.add(v);
                            b.appendObject(v);
                        }
                        try (ColumnVector v = b.build()) {
                            assertEquals(DataType.DECIMAL128, v.type());
                            assertEquals(type, v.decimalType());
                            Decimal128Vector d = (Decimal128Vector) v;
                            for (int i = 0; i < n; i++) {
                                BigDecimal e = expected.get(i);
                                assertEquals(e, d.getObject(i), "row " + i + " of " + type);
                                assertEquals(e == null ? "null" : e.toPlainString(), d.format(i));
                                if (e != null) {
                                    assertEquals(e.unscaledValue(), Int128.toBigInteger(d.high(i), d.low(i)));
                                }
                            }
                            if (n > 2) {
                                int from = rnd.nextInt(n - 1);
                                try (ColumnVector s = v.slice(from, n - from);
                                     ColumnVector copy = ColumnVector.fromBuffers(s.field("c"), s.length(), s.nullCount(),
                                             exported(s, 0, mem), exported(s, 1, mem), null)) {
                                    for (int i = 0; i < s.length(); i++) {
                                        assertEquals(expected.get(from + i), s.getObject(i));
                                        assertEquals(expected.get(from + i), copy.getObject(i));
                                    }
                                }
                            }
                        }
                    }
                }
            });
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed, e);
        }
    }

    private static NativeBuffer exported(ColumnVector v, int i, dev.spillway.memory.testing.LeakCheck.TestMemory mem) {
        long size = v.bufferByteSize(i);
        if (size == 0) {
            return null;
        }
        NativeBuffer b = mem.pool().allocate(mem.budget(), size);
        v.copyBuffer(i, b.segment());
        return b;
    }

    @Test
    void appendRejectsValuesThatDoNotFitAndOtherDecimalTypes() {
        assertNoLeaks(mem -> {
            try (Decimal128Builder b = ColumnBuilder.create(DecimalType.of(5, 2), mem.pool(), mem.budget(), 1);
                 Decimal128Builder other = ColumnBuilder.create(DecimalType.of(5, 3), mem.pool(), mem.budget(), 1)) {
                b.append(new BigDecimal("999.99"));
                b.append(new BigDecimal("-1.5"));
                b.appendObject(7L);
                IllegalArgumentException big = assertThrows(IllegalArgumentException.class, () -> b.append(new BigDecimal("1000.00")));
                assertTrue(big.getMessage().contains("1000.00 does not fit decimal(5,2)"), big.getMessage());
                IllegalArgumentException frac = assertThrows(IllegalArgumentException.class, () -> b.append(new BigDecimal("1.234")));
                assertTrue(frac.getMessage().contains("more than 2 digits after the decimal point"), frac.getMessage());
                other.append(BigDecimal.ONE);
                try (ColumnVector o = other.build()) {
                    IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class, () -> b.appendFrom(o, 0));
                    assertTrue(mismatch.getMessage().contains("decimal(5,3) value to a decimal(5,2) builder"), mismatch.getMessage());
                }
                try (ColumnVector v = b.build()) {
                    assertEquals(List.of(new BigDecimal("999.99"), new BigDecimal("-1.50"), new BigDecimal("7.00")),
                            List.of(v.getObject(0), v.getObject(1), v.getObject(2)));
                }
            }
            assertThrows(IllegalArgumentException.class, () -> ColumnBuilder.create(DataType.DECIMAL128, mem.pool(), mem.budget(), 1));
        });
    }

    @Test
    void equalValuesHashEqualAndInt128ComparesLikeBigInteger() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        DecimalType type = DecimalType.of(38, 0);
        assertNoLeaks(mem -> {
            List<BigDecimal> vals = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                vals.add(RandomData.decimal(type, rnd));
            }
            try (Decimal128Builder b = ColumnBuilder.create(type, mem.pool(), mem.budget(), 1)) {
                for (BigDecimal v : vals) {
                    b.append(v);
                }
                for (BigDecimal v : vals) {
                    b.append(v);
                }
                try (ColumnVector v = b.build()) {
                    long[] h = new long[v.length()];
                    Hashing.hashColumn(v, h, false);
                    Decimal128Vector d = (Decimal128Vector) v;
                    for (int i = 0; i < vals.size(); i++) {
                        assertEquals(h[i], h[i + vals.size()], "seed " + seed);
                        int j = rnd.nextInt(vals.size());
                        assertEquals(Integer.signum(vals.get(i).compareTo(vals.get(j))),
                                Integer.signum(Int128.compare(d.high(i), d.low(i), d.high(j), d.low(j))), "seed " + seed);
                    }
                }
            }
        });
        BigInteger max = DecimalType.pow10(38).subtract(BigInteger.ONE);
        assertEquals(max, Int128.toBigInteger(Int128.high(max), Int128.low(max)));
        assertEquals(max.negate(), Int128.toBigInteger(Int128.high(max.negate()), Int128.low(max.negate())));
    }
}
