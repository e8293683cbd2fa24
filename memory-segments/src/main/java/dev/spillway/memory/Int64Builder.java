package dev.spillway.memory;

import java.lang.foreign.MemorySegment;

/** Builds a {@link Int64Vector}. */
public final class Int64Builder extends ColumnBuilder {
    Int64Builder(BlockPool pool, MemoryBudget budget, int initialCapacity) {
        super(DataType.INT64, pool, budget, initialCapacity);
    }

    /** Appends a value. */
    public void append(long value) {
        ensureOpen();
        reserveRow();
        valuesSeg.setAtIndex(LONG, length++, value);
    }

    /**
     * Appends {@code n} values from {@code src[from ..]} in one copy, all valid; mark nulls
     * afterwards with {@link #setNull}.
     */
    public void appendAll(long[] src, int from, int n) {
        int at = beginBulk(n);
        MemorySegment.copy(src, from, valuesSeg, LONG, (long) at * 8, n);
        endBulk(n);
    }

    @Override
    public void appendFrom(ColumnVector src, int row) {
        checkSource(src);
        if (src.isNull(row)) {
            appendNull();
        } else {
            append(((Int64Vector) src).get(row));
        }
    }

    @Override
    ColumnVector buildVector(NativeBuffer validityOrNull) {
        return new Int64Vector(length, 0, nullCount, validityOrNull, values);
    }
}
