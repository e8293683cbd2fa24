package dev.spillway.memory;

import dev.spillway.types.DataType;

/** Builds a bit-packed {@link BooleanVector}. */
public final class BooleanBuilder extends ColumnBuilder {
    BooleanBuilder(BlockPool pool, MemoryBudget budget, int initialCapacity) {
        super(DataType.BOOLEAN, pool, budget, initialCapacity);
    }

    /** Appends a value. */
    public void append(boolean value) {
        ensureOpen();
        reserveRow();
        Bitmaps.set(valuesSeg, length++, value);
    }

    @Override
    public void appendFrom(ColumnVector src, int row) {
        checkSource(src);
        if (src.isNull(row)) {
            appendNull();
        } else {
            append(((BooleanVector) src).get(row));
        }
    }

    @Override
    long valuesBytes(int rows) {
        return Bitmaps.bytesFor(rows);
    }

    @Override
    int rowsFitting(long bytes) {
        return (int) Math.min(Integer.MAX_VALUE - 8, bytes * 8);
    }

    @Override
    void writeNullValue(int row) {
        Bitmaps.set(valuesSeg, row, false);
    }

    @Override
    void gatherValues(ColumnVector[] sources, int[] which, int[] rows, int count) {
        for (int k = 0; k < count; k++) {
            int w = which == null ? 0 : which[k];
            boolean value = false;
            if (w >= 0) {
                ColumnVector v = sources[w];
                value = Bitmaps.get(v.valuesSeg, (long) v.offset + rows[k]);
            }
            Bitmaps.set(valuesSeg, (long) length + k, value);
        }
    }

    @Override
    ColumnVector buildVector(NativeBuffer validityOrNull) {
        return new BooleanVector(length, 0, nullCount, validityOrNull, values);
    }
}
