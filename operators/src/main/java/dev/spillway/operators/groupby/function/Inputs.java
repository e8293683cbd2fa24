package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Float64Vector;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Vector;

/** Checks and loops the function classes share. */
final class Inputs {
    private Inputs() {
    }

    /**
     * {@code input} when it is int32, int64 or float64.
     *
     * @throws IllegalArgumentException naming {@code function} and the accepted types otherwise
     */
    static DataType numeric(String function, DataType input) {
        if (input == null || !input.isNumeric()) {
            throw new IllegalArgumentException(function + "() needs an int32, int64 or float64 input, not "
                    + (input == null ? "none" : input.displayName()));
        }
        return input;
    }

    /** Adds one to the counter of the group of each row {@code [from, to)}. */
    static void countRows(GroupColumn count, int[] groups, int from, int to) {
        long[] v = count.longs();
        for (int r = from; r < to; r++) {
            v[groups[r]]++;
        }
    }

    /** Adds one to the counter of the group of each non-null row {@code [from, to)} of {@code c}. */
    static void countValues(GroupColumn count, ColumnVector c, int[] groups, int from, int to) {
        long[] v = count.longs();
        for (int r = from; r < to; r++) {
            v[groups[r]] += c.isNull(r) ? 0 : 1;
        }
    }

    /** Adds partial counters (never null) of rows {@code [from, to)} to their groups' counters. */
    static void addCounts(GroupColumn count, ColumnVector partial, int[] groups, int from, int to) {
        long[] v = count.longs();
        if (partial instanceof Int64Vector x) {
            for (int r = from; r < to; r++) {
                v[groups[r]] += x.get(r);
            }
        } else {
            for (int r = from; r < to; r++) {
                v[groups[r]] += GroupColumn.asLong(partial, r);
            }
        }
    }

    /**
     * Adds the non-null values of rows {@code [from, to)} of numeric {@code c} to their groups'
     * sums (float64 into doubles, integers into longs), marking those groups not null.
     */
    static void addValues(GroupColumn sum, ColumnVector c, int[] groups, int from, int to) {
        boolean nulls = c.hasNulls();
        boolean[] set = sum.notNull();
        switch (c) {
            case Int64Vector x -> {
                long[] v = sum.longs();
                for (int r = from; r < to; r++) {
                    if (!(nulls && x.isNull(r))) {
                        int g = groups[r];
                        v[g] += x.get(r);
                        set[g] = true;
                    }
                }
            }
            case Float64Vector x -> {
                double[] d = sum.doubles();
                for (int r = from; r < to; r++) {
                    if (!(nulls && x.isNull(r))) {
                        int g = groups[r];
                        d[g] += x.get(r);
                        set[g] = true;
                    }
                }
            }
            case Int32Vector x -> {
                long[] v = sum.longs();
                for (int r = from; r < to; r++) {
                    if (!(nulls && x.isNull(r))) {
                        int g = groups[r];
                        v[g] += x.get(r);
                        set[g] = true;
                    }
                }
            }
            default -> throw new IllegalStateException("not a numeric column: " + c.type().displayName());
        }
    }

    /**
     * Keeps in each group the smallest ({@code sign < 0}) or largest ({@code sign > 0}) of its value
     * and the non-null values of rows {@code [from, to)} of {@code c} (a column of the state's
     * type), in {@link GroupColumn#compare} order.
     */
    static void keepExtreme(GroupColumn st, ColumnVector c, int[] groups, int from, int to, int sign) {
        boolean nulls = c.hasNulls();
        boolean[] set = st.notNull();
        switch (c) {
            case Int64Vector x -> {
                long[] v = st.longs();
                for (int r = from; r < to; r++) {
                    if (!(nulls && x.isNull(r))) {
                        int g = groups[r];
                        long y = x.get(r);
                        if (!set[g] || Long.compare(y, v[g]) * sign > 0) {
                            v[g] = y;
                            set[g] = true;
                        }
                    }
                }
            }
            case Float64Vector x -> {
                double[] d = st.doubles();
                for (int r = from; r < to; r++) {
                    if (!(nulls && x.isNull(r))) {
                        int g = groups[r];
                        double y = x.get(r);
                        if (!set[g] || Double.compare(y, d[g]) * sign > 0) {
                            d[g] = y;
                            set[g] = true;
                        }
                    }
                }
            }
            default -> {
                for (int r = from; r < to; r++) {
                    if (!(nulls && c.isNull(r))) {
                        int g = groups[r];
                        if (!set[g] || st.compare(c, r, g) * sign > 0) {
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
            long ordinalBase, int[] groups, int from, int to, int sign) {
        boolean[] seen = position.notNull();
        long[] at = position.longs();
        for (int r = from; r < to; r++) {
            if (ordinals != null && ordinals.isNull(r)) {
                continue;
            }
            long o = ordinals == null ? ordinalBase + r : GroupColumn.asLong(ordinals, r);
            int g = groups[r];
            if (!seen[g] || Long.compare(o, at[g]) * sign > 0) {
                seen[g] = true;
                at[g] = o;
                value.store(g, values, r);
            }
        }
    }

    /** Appends groups {@code from .. to} of a state column to {@code out}: the finish of a function whose result is its state. */
    static void appendValues(GroupColumn st, int from, int to, ColumnBuilder out) {
        for (int g = from; g < to; g++) {
            st.appendTo(out, g);
        }
    }
}
