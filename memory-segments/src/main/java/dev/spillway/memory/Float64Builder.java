package dev.spillway.memory;

import dev.spillway.types.DataType;

import java.lang.foreign.MemorySegment;

/** Builds a {@link Float64Vector}. */
public final class Float64Builder extends ColumnBuilder {
    Float64Builder(BlockPool pool, MemoryBudget budget, int initialCapacity) {
        super(DataType.FLOAT64, pool, budget, initialCapacity);
    }

    /** Appends a value. */
    public void append(double value) {
        ensureOpen();
        reserveRow();
        valuesSeg.setAtIndex(DOUBLE, length++, value);
    }

    /**
     * Appends {@code n} values from {@code src[from ..]} in one copy, all valid; mark nulls
     * afterwards with {@link #setNull}.
     */
    public void appendAll(double[] src, int from, int n) {
        int at = beginBulk(n);
        MemorySegment.copy(src, from, valuesSeg, DOUBLE, (long) at * 8, n);
        endBulk(n);
    }

    @Override
    public void appendFrom(ColumnVector src, int row) {
        checkSource(src);
        if (src.isNull(row)) {
            appendNull();
        } else {
            append(((Float64Vector) src).get(row));
        }
    }

    @Override
    ColumnVector buildVector(NativeBuffer validityOrNull) {
        return new Float64Vector(length, 0, nullCount, validityOrNull, values);
    }
}
