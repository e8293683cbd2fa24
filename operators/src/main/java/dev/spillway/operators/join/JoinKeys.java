package dev.spillway.operators.join;

import dev.spillway.memory.BooleanVector;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.Decimal128Vector;
import dev.spillway.memory.Float64Vector;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Utf8Vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The key columns of both sides and how they compare: hashing, null handling and equality.
 * Keys never match when any key column is null, unless {@code nullsEqual}. Float keys compare as
 * their hashes do: {@code -0.0} equals {@code 0.0}, NaN equals NaN. Decimal keys of both sides
 * have one scale (the planner casts them), so their unscaled values compare.
 *
 * @param probeKeys  key column positions in probe (left) morsels
 * @param buildKeys  key column positions in build (right) morsels
 * @param nullsEqual whether null keys match each other
 */
record JoinKeys(int[] probeKeys, int[] buildKeys, boolean nullsEqual) {
    /** Writes the combined key hash of every row of {@code m} into {@code out}. */
    void hash(Morsel m, int[] keys, MemorySegment out) {
        for (int k = 0; k < keys.length; k++) {
            Hashing.hashColumn(m.column(keys[k]), out, k > 0);
        }
    }

    /** Whether the row's keys can match anything (no null key, or nulls are equal). */
    boolean matchable(Morsel m, int[] keys, int row) {
        if (nullsEqual) {
            return true;
        }
        for (int k : keys) {
            if (m.column(k).isNull(row)) {
                return false;
            }
        }
        return true;
    }

    /** Whether probe row {@code pr} of {@code p} and build row {@code br} of {@code b} have equal keys. */
    boolean equal(Morsel p, int pr, Morsel b, int br) {
        for (int k = 0; k < probeKeys.length; k++) {
            if (!equal(p.column(probeKeys[k]), pr, b.column(buildKeys[k]), br)) {
                return false;
            }
        }
        return true;
    }

    private boolean equal(ColumnVector x, int i, ColumnVector y, int j) {
        boolean xn = x.isNull(i);
        boolean yn = y.isNull(j);
        if (xn || yn) {
            return nullsEqual && xn && yn;
        }
        return switch (x) {
            case Int64Vector a -> a.get(i) == ((Int64Vector) y).get(j);
            case Int32Vector a -> a.get(i) == ((Int32Vector) y).get(j);
            case Float64Vector a -> {
                double p = a.get(i);
                double q = ((Float64Vector) y).get(j);
                yield p == q || (Double.isNaN(p) && Double.isNaN(q));
            }
            case BooleanVector a -> a.get(i) == ((BooleanVector) y).get(j);
            case Utf8Vector a -> {
                Utf8Vector b = (Utf8Vector) y;
                yield b.equalsBytes(j, a.dataSegment(), a.dataOffset(i), a.byteLength(i));
            }
            case Decimal128Vector a -> a.valueEquals(i, (Decimal128Vector) y, j);
        };
    }

    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
}
