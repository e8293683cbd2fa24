package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Field;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck.TestMemory;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each function's update, merge and finish against a plain {@code java.util} oracle: rows are
 * split between two state tables, the first table's states go through partial rows (as a flush
 * or a spill would write them) and merge into the second, whose groups are then finished in two
 * ranges. The last group gets no row (it finishes from its starting state, as the empty group of
 * a global aggregation does); inputs have nulls.
 */
class AggregateFunctionTest {
    private static final int GROUPS = 13;
    private static final List<DataType> NUMERIC = List.of(DataType.INT32, DataType.INT64, DataType.FLOAT64);
    private static final List<DataType> ANY = List.of(DataType.INT32, DataType.INT64, DataType.FLOAT64, DataType.UTF8,
            DataType.BOOLEAN, DataType.DATE32);

    @Test
    void sumAddsTheNonNullValuesAsInt64OrFloat64() {
        for (DataType t : NUMERIC) {
            check(Sum.INSTANCE, t, vals -> {
                List<Object> nn = nonNull(vals);
                return nn.isEmpty() ? null : sum(t, nn);
            });
            assertEquals(t == DataType.FLOAT64 ? DataType.FLOAT64 : DataType.INT64, Sum.INSTANCE.resultType(t));
        }
    }

    @Test
    void countCountsTheNonNullValues() {
        for (DataType t : ANY) {
            check(Count.INSTANCE, t, vals -> (long) nonNull(vals).size());
        }
    }

    @Test
    void lenCountsEveryRowWithoutAnInput() {
        assertFalse(Len.INSTANCE.hasInput());
        check(Len.INSTANCE, null, vals -> (long) vals.size());
    }

    @Test
    void minKeepsTheSmallestNonNullValue() {
        for (DataType t : ANY) {
            check(Extreme.MIN, t, vals -> nonNull(vals).stream().min(order(t)).orElse(null));
        }
    }

    @Test
    void maxKeepsTheLargestNonNullValue() {
        for (DataType t : ANY) {
            check(Extreme.MAX, t, vals -> nonNull(vals).stream().max(order(t)).orElse(null));
        }
    }

    @Test
    void meanDividesTheSumByTheNonNullCount() {
        for (DataType t : NUMERIC) {
            check(Mean.INSTANCE, t, vals -> {
                List<Object> nn = nonNull(vals);
                return nn.isEmpty() ? null : sum(t, nn).doubleValue() / nn.size();
            });
            assertEquals(DataType.FLOAT64, Mean.INSTANCE.resultType(t));
        }
    }

    // ------------------------------------------------------------------ decimals

    /** Decimal inputs: one whose values fit a long, one whose values and sums need both words of 128 bits. */
    private static final List<DecimalType> DECIMALS = List.of(DecimalType.of(12, 2), DecimalType.of(33, 5));

    @Test
    void decimalSumIsExactAtThirtyEightDigitsOfTheInputScale() {
        for (DecimalType d : DECIMALS) {
            check(Sum.INSTANCE, DataType.DECIMAL128, d, vals -> {
                List<Object> nn = nonNull(vals);
                return nn.isEmpty() ? null : nn.stream().map(BigDecimal.class::cast).reduce(BigDecimal.ZERO, BigDecimal::add);
            });
            assertEquals(DataType.DECIMAL128, Sum.INSTANCE.resultType(DataType.DECIMAL128));
            assertEquals(DecimalType.of(38, d.scale()), Sum.INSTANCE.resultDecimal(d));
        }
    }

    @Test
    void decimalMeanRoundsHalfAwayFromZeroToAtLeastSixDecimals() {
        for (DecimalType d : List.of(DecimalType.of(12, 2), DecimalType.of(33, 5), DecimalType.of(20, 9))) {
            int scale = Math.max(6, d.scale());
            check(Mean.INSTANCE, DataType.DECIMAL128, d, vals -> {
                List<Object> nn = nonNull(vals);
                return nn.isEmpty() ? null : nn.stream().map(BigDecimal.class::cast).reduce(BigDecimal.ZERO, BigDecimal::add)
                        .divide(BigDecimal.valueOf(nn.size()), scale, RoundingMode.HALF_UP);
            });
            assertEquals(DecimalType.of(38, scale), Mean.INSTANCE.resultDecimal(d));
        }
    }

    @Test
    void decimalMinMaxFirstLastKeepTheInputType() {
        for (DecimalType d : DECIMALS) {
            check(Extreme.MIN, DataType.DECIMAL128, d, vals -> nonNull(vals).stream().map(BigDecimal.class::cast)
                    .min(Comparator.naturalOrder()).orElse(null));
            check(Extreme.MAX, DataType.DECIMAL128, d, vals -> nonNull(vals).stream().map(BigDecimal.class::cast)
                    .max(Comparator.naturalOrder()).orElse(null));
            check(Positional.FIRST, DataType.DECIMAL128, d, vals -> vals.isEmpty() ? null : vals.getFirst());
            check(Positional.LAST, DataType.DECIMAL128, d, vals -> vals.isEmpty() ? null : vals.getLast());
            check(Count.INSTANCE, DataType.DECIMAL128, d, vals -> (long) nonNull(vals).size());
            for (AggregateFunction f : List.of(Extreme.MIN, Extreme.MAX, Positional.FIRST, Positional.LAST)) {
                assertEquals(d, f.resultDecimal(d));
            }
            assertEquals(null, Count.INSTANCE.resultDecimal(d));
        }
    }

    @Test
    void decimalSumBeyondThirtyEightDigitsFailsAndNeverWraps() {
        DecimalType d = DecimalType.of(38, 0);
        BigDecimal nines = new BigDecimal(DecimalType.pow10(38).subtract(java.math.BigInteger.ONE));
        BigDecimal six = new BigDecimal(DecimalType.pow10(37).multiply(java.math.BigInteger.valueOf(6)));
        // Two 38-digit values: the sum fits 128 bits (about 1.7e38) but not 38 digits, and fails when finished.
        ArithmeticException e = assertThrows(ArithmeticException.class,
                () -> runDecimal(Sum.INSTANCE, d, List.of(six, six)));
        assertTrue(e.getMessage().contains("the sum 120000000000000000000000000000000000000 does not fit decimal(38,0)"), e.getMessage());
        e = assertThrows(ArithmeticException.class, () -> runDecimal(Sum.INSTANCE, d, List.of(six.negate(), six.negate())));
        assertTrue(e.getMessage().contains("the sum -120000000000000000000000000000000000000 does not fit"), e.getMessage());
        // A value back below 38 digits before the end is exact.
        assertEquals(six, runDecimal(Sum.INSTANCE, d, List.of(six, six, six.negate())));
        // Leaving the 128-bit range fails at once, with the values.
        e = assertThrows(ArithmeticException.class, () -> runDecimal(Sum.INSTANCE, d, List.of(six, six, six)));
        assertTrue(e.getMessage().contains("leaves the 128-bit range"), e.getMessage());
        e = assertThrows(ArithmeticException.class, () -> runDecimal(Sum.INSTANCE, d, List.of(nines.negate(), nines.negate())));
        assertTrue(e.getMessage().contains("= -199999999999999999999999999999999999998 leaves"), e.getMessage());
        // The mean of 38-digit integers has 38 integer digits: more than decimal(38,6) holds.
        e = assertThrows(ArithmeticException.class, () -> runDecimal(Mean.INSTANCE, d, List.of(nines)));
        assertTrue(e.getMessage().contains("does not fit decimal(38,6)"), e.getMessage());
    }

    /** The one-group result of {@code fn} over decimal {@code values}, all fed to one table (no split). */
    private static Object runDecimal(AggregateFunction fn, DecimalType d, List<Object> values) {
        Object[] out = new Object[1];
        assertNoLeaks(mem -> {
            List<Integer> groups = values.stream().map(v -> 0).toList();
            out[0] = runTwoTables(mem, fn, DataType.DECIMAL128, d, values, groups, values.size(),
                    (f, state, column, gid, from, to) -> f.update(state, column, gid, from, to, 0)).getFirst();
        });
        return out[0];
    }

    /** A decimal value with about 15% nulls, of every length up to the precision, at the type's scale. */
    private static Object decimalValue(DecimalType d, Random rnd) {
        return rnd.nextInt(100) < 15 ? null : RandomData.decimal(d, rnd);
    }

    @Test
    void firstTakesTheEarliestRowNullIncluded() {
        for (DataType t : ANY) {
            check(Positional.FIRST, t, vals -> vals.isEmpty() ? null : vals.getFirst());
        }
    }

    @Test
    void lastTakesTheLatestRowNullIncluded() {
        for (DataType t : ANY) {
            check(Positional.LAST, t, vals -> vals.isEmpty() ? null : vals.getLast());
        }
    }

    @Test
    void nUniqueCountsFoldedDistinctValuesAndAddsUpMergedCounts() {
        for (DataType t : ANY) {
            assertNoLeaks(mem -> {
                Random rnd = new Random(t.ordinal() * 31L + 7);
                // The distinct (group, value) pairs of a partition, each once, with null rows of other distinct inputs.
                List<Set<Object>> oracle = new ArrayList<>();
                for (int g = 0; g < GROUPS; g++) {
                    oracle.add(new HashSet<>());
                }
                List<Object> values = new ArrayList<>();
                List<Integer> groups = new ArrayList<>();
                Set<List<Object>> seen = new HashSet<>();
                for (int i = 0; i < 600; i++) {
                    int g = rnd.nextInt(GROUPS - 1);
                    Object v = value(t, rnd);
                    if (v == null || seen.add(List.of(g, v))) {
                        values.add(v);
                        groups.add(g);
                        if (v != null) {
                            oracle.get(g).add(v);
                        }
                    }
                }
                int split = rnd.nextInt(values.size());
                List<Object> results = runTwoTables(mem, NUnique.INSTANCE, t, null, values, groups, split,
                        (fn, state, column, gid, from, to) -> ((DistinctFunction) fn).fold(state, column, gid, from, to));
                for (int g = 0; g < GROUPS; g++) {
                    assertEquals((long) oracle.get(g).size(), results.get(g), "n_unique of " + t + " group " + g);
                }
            });
        }
    }

    @Test
    void numericFunctionsRejectOtherInputsNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sum.INSTANCE.resultType(DataType.UTF8));
        assertEquals("sum() needs an int32, int64, float64 or decimal input, not utf8", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Mean.INSTANCE.resultType(DataType.BOOLEAN));
        assertEquals("mean() needs an int32, int64, float64 or decimal input, not boolean", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Sum.INSTANCE.resultType(null));
        assertEquals("sum() needs an int32, int64, float64 or decimal input, not none", e.getMessage());
        assertEquals(DataType.UTF8, Extreme.MIN.resultType(DataType.UTF8));
        assertEquals(List.of("sum", "count", "len", "min", "max", "mean", "first", "last", "n_unique"),
                List.of(Sum.INSTANCE, Count.INSTANCE, Len.INSTANCE, Extreme.MIN, Extreme.MAX, Mean.INSTANCE, Positional.FIRST,
                        Positional.LAST, NUnique.INSTANCE).stream().map(AggregateFunction::name).toList());
    }

    // ------------------------------------------------------------------ harness

    /** Feeds one input column to the function; the distinct function folds instead of updating. */
    @FunctionalInterface
    private interface Feed {
        void feed(AggregateFunction fn, GroupColumn[] state, ColumnVector column, MemorySegment groups, int from, int to);
    }

    /** Random rows with nulls over groups {@code 0 .. GROUPS - 2}, checked per group against {@code oracle}. */
    private static void check(AggregateFunction fn, DataType type, Function<List<Object>, Object> oracle) {
        check(fn, type, null, oracle);
    }

    /** {@link #check(AggregateFunction, DataType, Function)} with the input's precision and scale (decimal inputs). */
    private static void check(AggregateFunction fn, DataType type, DecimalType decimal, Function<List<Object>, Object> oracle) {
        assertNoLeaks(mem -> {
            Random rnd = new Random(fn.name().hashCode() * 31L + (type == null ? 0 : type.ordinal())
                    + (decimal == null ? 0 : decimal.hashCode()));
            for (int round = 0; round < 3; round++) {
                int n = round == 0 ? 1 : 200 + rnd.nextInt(400);
                List<Object> values = new ArrayList<>();
                List<Integer> groups = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    values.add(type == null ? null : decimal != null ? decimalValue(decimal, rnd) : value(type, rnd));
                    groups.add(rnd.nextInt(GROUPS - 1));
                }
                int split = rnd.nextInt(n + 1);
                List<Object> results = runTwoTables(mem, fn, type, decimal, values, groups, split,
                        (f, state, column, gid, from, to) -> f.update(state, column, gid, from, to, 0));
                for (int g = 0; g < GROUPS; g++) {
                    List<Object> of = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        if (groups.get(i) == g) {
                            of.add(values.get(i));
                        }
                    }
                    assertEquals(oracle.apply(of), results.get(g), fn.name() + " of " + type + " group " + g + " rows " + of);
                }
            }
        });
    }

    /**
     * Rows {@code [0, split)} go to table A, the rest to table B; A's states become partial rows
     * merged into B, and B's groups are finished in two ranges.
     */
    private static List<Object> runTwoTables(TestMemory mem, AggregateFunction fn, DataType type, DecimalType decimal,
            List<Object> values, List<Integer> groups, int split, Feed feed) {
        DataType columnType = type == null ? DataType.INT64 : type;
        Schema schema = new Schema(List.of(Field.of("in", columnType, decimal)));
        List<List<Object>> rows = values.stream().map(v -> Arrays.asList(v)).toList();
        int[] ids = groups.stream().mapToInt(Integer::intValue).toArray();
        int[] identity = new int[GROUPS];
        Arrays.setAll(identity, g -> g);
        List<StateType> types = fn.stateTypes(type, decimal);
        try (ByteLog logA = new ByteLog(mem.pool(), mem.budget());
             ByteLog logB = new ByteLog(mem.pool(), mem.budget());
             Morsel in = RandomData.morsel(schema, rows, 0, mem.pool(), mem.budget());
             NativeBuffer gid = groupIds(mem, ids);
             NativeBuffer identityIds = groupIds(mem, identity);
             States a = new States(mem, types, logA);
             States b = new States(mem, types, logB)) {
            ColumnVector column = type == null ? null : in.column(0);
            feed.feed(fn, a.columns, column, gid.segment(), 0, split);
            feed.feed(fn, b.columns, column, gid.segment(), split, values.size());
            try (Morsel partials = partialRows(mem, types, a.columns)) {
                // The state columns sit after a leading column, as after keys in a partial row.
                fn.merge(b.columns, partials, 1, identityIds.segment(), 0, GROUPS);
            }
            DataType resultType = fn.resultType(type);
            Field resultField = Field.of("out", resultType, resultType == DataType.DECIMAL128 ? fn.resultDecimal(decimal) : null);
            try (ColumnBuilder out = ColumnBuilder.create(resultField, mem.pool(), mem.budget(), GROUPS)) {
                fn.finish(b.columns, 0, 5, out);
                fn.finish(b.columns, 5, GROUPS, out);
                try (ColumnVector result = out.build()) {
                    assertEquals(GROUPS, result.length());
                    List<Object> objects = new ArrayList<>();
                    for (int g = 0; g < GROUPS; g++) {
                        objects.add(result.getObject(g));
                    }
                    return objects;
                }
            }
        }
    }

    /** Group ids as a batch passes them: native int32s. */
    private static NativeBuffer groupIds(TestMemory mem, int[] ids) {
        NativeBuffer b = mem.pool().allocate(mem.budget(), 4L * Math.max(1, ids.length));
        MemorySegment.copy(ids, 0, b.segment(), GroupColumn.INT, 0, ids.length);
        return b;
    }

    /** The state columns of one table, {@link #GROUPS} groups started. */
    private static final class States implements AutoCloseable {
        final GroupColumn[] columns;

        States(TestMemory mem, List<StateType> types, ByteLog log) {
            columns = new GroupColumn[types.size()];
            for (int i = 0; i < columns.length; i++) {
                columns[i] = new GroupColumn(types.get(i), log, mem.pool(), mem.budget());
                columns[i].install(columns[i].grow(GROUPS, 0));
                for (int g = 0; g < GROUPS; g++) {
                    columns[i].start(g);
                }
            }
        }

        @Override
        public void close() {
            for (GroupColumn c : columns) {
                c.close();
            }
        }
    }

    private static Morsel partialRows(TestMemory mem, List<StateType> types, GroupColumn[] state) {
        List<Field> fields = new ArrayList<>(List.of(Field.of("key", DataType.INT64)));
        List<ColumnVector> vectors = new ArrayList<>();
        try {
            try (ColumnBuilder key = ColumnBuilder.create(DataType.INT64, mem.pool(), mem.budget(), GROUPS)) {
                for (int g = 0; g < GROUPS; g++) {
                    key.appendObject((long) g);
                }
                vectors.add(key.build());
            }
            for (int i = 0; i < state.length; i++) {
                Field f = Field.of("state" + i, types.get(i).type(), types.get(i).decimal());
                fields.add(f);
                try (ColumnBuilder b = ColumnBuilder.create(f, mem.pool(), mem.budget(), GROUPS)) {
                    for (int g = 0; g < GROUPS; g++) {
                        state[i].appendTo(b, g);
                    }
                    vectors.add(b.build());
                }
            }
        } catch (RuntimeException e) {
            vectors.forEach(ColumnVector::close);
            throw e;
        }
        return new Morsel(new Schema(fields), vectors, GROUPS, 0);
    }

    // ------------------------------------------------------------------ values and orders

    /** A value with about 15% nulls; float64 values are exact quarters (sums do not depend on order) plus NaN and -0.0. */
    private static Object value(DataType type, Random rnd) {
        if (rnd.nextInt(100) < 15) {
            return null;
        }
        return switch (type) {
            case FLOAT64 -> switch (rnd.nextInt(20)) {
                case 0 -> Double.NaN;
                case 1 -> -0.0;
                default -> (rnd.nextInt(4001) - 2000) / 4.0;
            };
            case INT64 -> rnd.nextInt(10) == 0 ? rnd.nextLong() : (long) rnd.nextInt(1000) - 500;
            default -> RandomData.value(type, rnd, 0);
        };
    }

    private static List<Object> nonNull(List<Object> values) {
        return values.stream().filter(v -> v != null).toList();
    }

    /** The sum of non-null numeric {@code values} of type {@code t}: a Double for float64, a wrapping Long otherwise. */
    private static Number sum(DataType t, List<Object> values) {
        if (t == DataType.FLOAT64) {
            double s = 0;
            for (Object v : values) {
                s += (Double) v;
            }
            return s;
        }
        long s = 0;
        for (Object v : values) {
            s += ((Number) v).longValue();
        }
        return s;
    }

    /** The order min and max follow: float64 by {@link Double#compare}, strings by unsigned UTF-8 bytes. */
    private static Comparator<Object> order(DataType t) {
        return switch (t) {
            case INT32 -> (x, y) -> Integer.compare((Integer) x, (Integer) y);
            case INT64 -> (x, y) -> Long.compare((Long) x, (Long) y);
            case FLOAT64 -> (x, y) -> Double.compare((Double) x, (Double) y);
            case BOOLEAN -> (x, y) -> Boolean.compare((Boolean) x, (Boolean) y);
            case DATE32 -> (x, y) -> ((LocalDate) x).compareTo((LocalDate) y);
            case UTF8 -> (x, y) -> Arrays.compareUnsigned(((String) x).getBytes(StandardCharsets.UTF_8),
                    ((String) y).getBytes(StandardCharsets.UTF_8));
            case DECIMAL128 -> (x, y) -> ((java.math.BigDecimal) x).compareTo((java.math.BigDecimal) y);
            case TIMESTAMP -> (x, y) -> ((java.time.LocalDateTime) x).compareTo((java.time.LocalDateTime) y);
        };
    }

    @Test
    void stateTypesDescribeThePartialRow() {
        assertEquals(List.of(StateType.nullable(DataType.INT64), StateType.counter()), Mean.INSTANCE.stateTypes(DataType.INT32, null));
        assertEquals(List.of(StateType.nullable(DataType.FLOAT64), StateType.counter()),
                Mean.INSTANCE.stateTypes(DataType.FLOAT64, null));
        assertEquals(List.of(StateType.nullable(DataType.UTF8), StateType.nullable(DataType.INT64)),
                Positional.FIRST.stateTypes(DataType.UTF8, null));
        DecimalType d = DecimalType.of(15, 2);
        assertEquals(List.of(StateType.nullable(DataType.DECIMAL128, DecimalType.of(38, 2)), StateType.counter()),
                Mean.INSTANCE.stateTypes(DataType.DECIMAL128, d));
        assertEquals(List.of(StateType.nullable(DataType.DECIMAL128, DecimalType.of(38, 2))), Sum.INSTANCE.stateTypes(DataType.DECIMAL128, d));
        assertEquals(List.of(StateType.nullable(DataType.DECIMAL128, d)), Extreme.MAX.stateTypes(DataType.DECIMAL128, d));
        assertThrows(IllegalArgumentException.class, () -> StateType.nullable(DataType.DECIMAL128));
        assertThrows(IllegalArgumentException.class, () -> StateType.nullable(DataType.INT64, d));
        assertTrue(StateType.nullable(DataType.INT64).startsNull());
        assertFalse(StateType.counter().startsNull());
    }
}
