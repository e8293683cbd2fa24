package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Decimal128Vector;
import dev.spillway.memory.Float64Vector;
import dev.spillway.memory.Int128;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Vector;

import java.lang.foreign.MemorySegment;

import static dev.spillway.operators.groupby.function.GroupColumn.BYTE;
import static dev.spillway.operators.groupby.function.GroupColumn.DOUBLE;
import static dev.spillway.operators.groupby.function.GroupColumn.INT;
import static dev.spillway.operators.groupby.function.GroupColumn.LONG;

/**
 * Checks and loops the function classes share: each fetches the state segments into locals once
 * per batch and runs one plain counted loop over the rows, reading their group ids from the
 * batch's native int32 array.
 */
final class Inputs {
    private Inputs() {
    }

    /**
     * {@code input} when it is int32, int64, float64 or decimal.
     *
     * @throws IllegalArgumentException naming {@code function} and the accepted types otherwise
     */
    static DataType numeric(String function, DataType input) {
        if (input == null || !(input.isNumeric() || input == DataType.DECIMAL128)) {
            throw new IllegalArgumentException(function + "() needs an int32, int64, float64 or decimal input, not "
                    + (input == null ? "none" : input.displayName()));
        }
        return input;
    }

    /** Adds one to the counter of the group of each row {@code [from, to)}. */
    static void countRows(GroupColumn count, MemorySegment groups, int from, int to) {
        MemorySegment v = count.values();
        for (int r = from; r < to; r++) {
            long g = groups.getAtIndex(INT, r);
            v.setAtIndex(LONG, g, v.getAtIndex(LONG, g) + 1);
        }
    }

    /** Adds one to the counter of the group of each non-null row {@code [from, to)} of {@code c}. */
    static void countValues(GroupColumn count, ColumnVector c, MemorySegment groups, int from, int to) {
        MemorySegment v = count.values();
        for (int r = from; r < to; r++) {
            long g = groups.getAtIndex(INT, r);
            v.setAtIndex(LONG, g, v.getAtIndex(LONG, g) + (c.isNull(r) ? 0 : 1));
        }
    }

    /** Adds partial counters (never null) of rows {@code [from, to)} to their groups' counters. */
    static void addCounts(GroupColumn count, ColumnVector partial, MemorySegment groups, int from, int to) {
        MemorySegment v = count.values();
        if (partial instanceof Int64Vector x) {
            for (int r = from; r < to; r++) {
                long g = groups.getAtIndex(INT, r);
                v.setAtIndex(LONG, g, v.getAtIndex(LONG, g) + x.get(r));
            }
        } else {
            for (int r = from; r < to; r++) {
                long g = groups.getAtIndex(INT, r);
                v.setAtIndex(LONG, g, v.getAtIndex(LONG, g) + GroupColumn.asLong(partial, r));
            }
        }
    }

    /**
     * Adds the non-null values of rows {@code [from, to)} of numeric {@code c} to their groups'
     * sums (float64 as doubles, integers as longs, decimals as 128-bit integers), marking those
     * groups not null.
     *
     * @throws ArithmeticException when a decimal sum leaves the 128-bit range
     */
    static void addValues(GroupColumn sum, ColumnVector c, MemorySegment groups, int from, int to) {
        MemorySegment v = sum.values();
        MemorySegment set = sum.notNull();
        // One small loop per type, and rows without nulls in a loop without a branch: C2 keeps
        // deoptimising and recompiling one combined loop (its profiled loop predicates fail over
        // and over), which cost the group-by about a third of its CPU in the JIT.
        switch (c) {
            case Int64Vector x -> {
                if (c.hasNulls()) {
                    addLongsSkippingNulls(v, set, x, groups, from, to);
                } else {
                    addLongs(v, set, x, groups, from, to);
                }
            }
            case Float64Vector x -> {
                if (c.hasNulls()) {
                    addDoublesSkippingNulls(v, set, x, groups, from, to);
                } else {
                    addDoubles(v, set, x, groups, from, to);
                }
            }
            case Decimal128Vector x -> DecimalStates.add(sum, x, groups, from, to);
            case Int32Vector x -> {
                for (int r = from; r < to; r++) {
                    if (!x.isNull(r)) {
                        long g = groups.getAtIndex(INT, r);
                        v.setAtIndex(LONG, g, v.getAtIndex(LONG, g) + x.get(r));
                        set.set(BYTE, g, (byte) 1);
                    }
                }
            }
            default -> throw new IllegalStateException("not a numeric column: " + c.type().displayName());
        }
    }

    private static void addLongs(MemorySegment v, MemorySegment set, Int64Vector x, MemorySegment groups, int from, int to) {
        for (int r = from; r < to; r++) {
            long g = groups.getAtIndex(INT, r);
            v.setAtIndex(LONG, g, v.getAtIndex(LONG, g) + x.get(r));
            set.set(BYTE, g, (byte) 1);
        }
    }

    private static void addLongsSkippingNulls(MemorySegment v, MemorySegment set, Int64Vector x, MemorySegment groups, int from, int to) {
        for (int r = from; r < to; r++) {
            if (!x.isNull(r)) {
                long g = groups.getAtIndex(INT, r);
                v.setAtIndex(LONG, g, v.getAtIndex(LONG, g) + x.get(r));
                set.set(BYTE, g, (byte) 1);
            }
        }
    }

    private static void addDoubles(MemorySegment v, MemorySegment set, Float64Vector x, MemorySegment groups, int from, int to) {
        int n = to - from;
        for (int i = 0; i < n; i++) {
            int r = from + i;
            long g = groups.getAtIndex(INT, r);
            v.setAtIndex(DOUBLE, g, v.getAtIndex(DOUBLE, g) + x.get(r));
            set.set(BYTE, g, (byte) 1);
        }
    }

    private static void addDoublesSkippingNulls(MemorySegment v, MemorySegment set, Float64Vector x, MemorySegment groups, int from, int to) {
        for (int r = from; r < to; r++) {
            if (!x.isNull(r)) {
                long g = groups.getAtIndex(INT, r);
                v.setAtIndex(DOUBLE, g, v.getAtIndex(DOUBLE, g) + x.get(r));
                set.set(BYTE, g, (byte) 1);
            }
        }
    }

    /**
     * Keeps in each group the smallest ({@code sign < 0}) or largest ({@code sign > 0}) of its value
     * and the non-null values of rows {@code [from, to)} of {@code c} (a column of the state's
     * type), in {@link GroupColumn#compare} order.
     */
    static void keepExtreme(GroupColumn st, ColumnVector c, MemorySegment groups, int from, int to, int sign) {
        boolean nulls = c.hasNulls();
        switch (c) {
            case Int64Vector x -> {
                MemorySegment v = st.values();
                MemorySegment set = st.notNull();
                for (int r = from; r < to; r++) {
                    if (!(nulls && x.isNull(r))) {
                        long g = groups.getAtIndex(INT, r);
                        long y = x.get(r);
                        if (set.get(BYTE, g) == 0 || Long.compare(y, v.getAtIndex(LONG, g)) * sign > 0) {
                            v.setAtIndex(LONG, g, y);
                            set.set(BYTE, g, (byte) 1);
                        }
                    }
                }
            }
            case Float64Vector x -> {
                MemorySegment v = st.values();
                MemorySegment set = st.notNull();
                for (int r = from; r < to; r++) {
                    if (!(nulls && x.isNull(r))) {
                        long g = groups.getAtIndex(INT, r);
                        double y = x.get(r);
                        if (set.get(BYTE, g) == 0 || Double.compare(y, v.getAtIndex(DOUBLE, g)) * sign > 0) {
                            v.setAtIndex(DOUBLE, g, y);
                            set.set(BYTE, g, (byte) 1);
                        }
                    }
                }
            }
            case Decimal128Vector x -> {
                MemorySegment lo = st.values();
                MemorySegment hi = st.highs();
                MemorySegment set = st.notNull();
                for (int r = from; r < to; r++) {
                    if (!(nulls && x.isNull(r))) {
                        long g = groups.getAtIndex(INT, r);
                        long yh = x.high(r);
                        long yl = x.low(r);
                        if (set.get(BYTE, g) == 0 || Int128.compare(yh, yl, hi.getAtIndex(LONG, g), lo.getAtIndex(LONG, g)) * sign > 0) {
                            lo.setAtIndex(LONG, g, yl);
                            hi.setAtIndex(LONG, g, yh);
                            set.set(BYTE, g, (byte) 1);
                        }
                    }
                }
            }
            default -> {
                // Strings append to the log, which may move: the column's accessors are read per row.
                for (int r = from; r < to; r++) {
                    if (!(nulls && c.isNull(r))) {
                        int g = groups.getAtIndex(INT, r);
                        if (!st.hasValue(g) || st.compare(c, r, g) * sign > 0) {
                            st.store(g, c, r);
                        }
                    }
                }
            }
        }
    }

    /**
     * Keeps in each group the value of its first ({@code sign < 0}) or last ({@code sign > 0}) row
     * in input order: row {@code r} of {@code values}, at input position {@code ordinalBase + r},
     * or — when {@code ordinals} is not null (partial rows) — at position {@code ordinals[r]}, a
     * null position meaning the partial row saw no row. A null value is kept like any other.
     */
    static void keepPositional(GroupColumn value, GroupColumn position, ColumnVector values, ColumnVector ordinals,
            long ordinalBase, MemorySegment groups, int from, int to, int sign) {
        MemorySegment seen = position.notNull();
        MemorySegment at = position.values();
        for (int r = from; r < to; r++) {
            if (ordinals != null && ordinals.isNull(r)) {
                continue;
            }
            long o = ordinals == null ? ordinalBase + r : GroupColumn.asLong(ordinals, r);
            int g = groups.getAtIndex(INT, r);
            if (seen.get(BYTE, g) == 0 || Long.compare(o, at.getAtIndex(LONG, g)) * sign > 0) {
                seen.set(BYTE, g, (byte) 1);
                at.setAtIndex(LONG, g, o);
                value.store(g, values, r);
            }
        }
    }

    /** Appends groups {@code from .. to} of a state column to {@code out}: the finish of a function whose result is its state. */
    static void appendValues(GroupColumn st, int from, int to, ColumnBuilder out) {
        st.appendTo(out, from, to);
    }
}
