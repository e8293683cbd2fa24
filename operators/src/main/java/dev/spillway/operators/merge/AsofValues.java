package dev.spillway.operators.merge;

import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.Float64Vector;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.Morsel;

/**
 * The {@code on} values and distances of an {@link AsofJoin}: integer, date and float64
 * {@code on} columns, the tolerance, and the right rows its refs point to. Stateless but for the
 * columns and the tolerance.
 */
final class AsofValues {
    private final int rightOn;
    private final boolean floatOn;
    private final boolean hasTolerance;
    private final long tolLong;
    private final double tolDouble;
    private final AsofRightRows rows;

    /** Left rows' {@code on} values are read from their chunks' {@link AsofLeftChunk#on} views. */
    AsofValues(int rightOn, boolean floatOn, Number tolerance, AsofRightRows rows) {
        this.rightOn = rightOn;
        this.floatOn = floatOn;
        this.hasTolerance = tolerance != null;
        this.tolLong = tolerance == null ? 0 : tolerance.longValue();
        this.tolDouble = tolerance == null ? 0 : tolerance.doubleValue();
        this.rows = rows;
    }

    /** Whether a tolerance was given. */
    boolean hasTolerance() {
        return hasTolerance;
    }

    static boolean isNaN(ColumnVector v, int row) {
        return v instanceof Float64Vector f && Double.isNaN(f.get(row));
    }

    /** Whether right row {@code ref} and row {@code row} of {@code m} have the same {@code on} value. */
    boolean sameOn(long ref, Morsel m, int row) {
        ColumnVector a = rows.stored(ref).column(rightOn);
        ColumnVector b = m.column(rightOn);
        return floatOn ? ((Float64Vector) a).get(AsofRightRows.rowOf(ref)) == ((Float64Vector) b).get(row)
                : onLong(a, AsofRightRows.rowOf(ref)) == onLong(b, row);
    }

    private static long onLong(ColumnVector v, int row) {
        return v instanceof Int64Vector l ? l.get(row) : ((Int32Vector) v).get(row);
    }

    /** |left on - right on| within the tolerance (always true without one). */
    boolean withinTolerance(AsofLeftChunk c, int row, Morsel rm, int rr) {
        if (!hasTolerance) {
            return true;
        }
        ColumnVector lv = c.on;
        ColumnVector rv = rm.column(rightOn);
        if (floatOn) {
            return Math.abs(((Float64Vector) lv).get(row) - ((Float64Vector) rv).get(rr)) <= tolDouble;
        }
        long a = onLong(lv, row);
        long b = onLong(rv, rr);
        long d = a >= b ? a - b : b - a;
        return Long.compareUnsigned(d, tolLong) <= 0;
    }

    boolean distanceIsZero(AsofLeftChunk c, int row, long ref) {
        ColumnVector lv = c.on;
        ColumnVector rv = rows.stored(ref).column(rightOn);
        return floatOn ? ((Float64Vector) lv).get(row) == ((Float64Vector) rv).get(AsofRightRows.rowOf(ref))
                : onLong(lv, row) == onLong(rv, AsofRightRows.rowOf(ref));
    }

    /** Compares the distances of two refs from the left row. */
    int compareDistance(AsofLeftChunk c, int row, long x, long y) {
        return compareDistance(c, row, rows.stored(x), AsofRightRows.rowOf(x), rows.stored(y), AsofRightRows.rowOf(y));
    }

    boolean distanceGreater(AsofLeftChunk c, int row, Morsel rm, int rr, long than) {
        return compareDistance(c, row, rm, rr, rows.stored(than), AsofRightRows.rowOf(than)) > 0;
    }

    int compareDistance(AsofLeftChunk c, int row, Morsel xm, int xr, Morsel ym, int yr) {
        ColumnVector lv = c.on;
        if (floatOn) {
            double t = ((Float64Vector) lv).get(row);
            return Double.compare(Math.abs(((Float64Vector) xm.column(rightOn)).get(xr) - t),
                    Math.abs(((Float64Vector) ym.column(rightOn)).get(yr) - t));
        }
        long t = onLong(lv, row);
        long x = onLong(xm.column(rightOn), xr);
        long y = onLong(ym.column(rightOn), yr);
        return Long.compareUnsigned(x >= t ? x - t : t - x, y >= t ? y - t : t - y);
    }
}
