package dev.spillway.memory;

import dev.spillway.types.DataType;

import java.lang.foreign.MemorySegment;

/** Builds an {@link Int32Vector} (int32 or date32). */
public final class Int32Builder extends ColumnBuilder {
    Int32Builder(DataType type, BlockPool pool, MemoryBudget budget, int initialCapacity) {
        super(type, pool, budget, initialCapacity);
    }

    /** Appends a value. */
    public void append(int value) {
        ensureOpen();
        reserveRow();
        valuesSeg.setAtIndex(INT, length++, value);
    }

    /**
     * Appends {@code n} values from {@code src[from ..]} in one copy, all valid; mark nulls
     * afterwards with {@link #setNull}.
     */
    public void appendAll(int[] src, int from, int n) {
        int at = beginBulk(n);
        MemorySegment.copy(src, from, valuesSeg, INT, (long) at * 4, n);
        endBulk(n);
    }

    @Override
    public void appendFrom(ColumnVector src, int row) {
        checkSource(src);
        if (src.isNull(row)) {
            appendNull();
        } else {
            append(((Int32Vector) src).get(row));
        }
    }

    @Override
    ColumnVector buildVector(NativeBuffer validityOrNull) {
        return new Int32Vector(type, length, 0, nullCount, validityOrNull, values);
    }
}
