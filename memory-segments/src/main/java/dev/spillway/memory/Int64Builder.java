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
    void gatherValues(ColumnVector[] sources, int[] which, int[] rows, int count) {
        if (which == null) {
            ColumnVector v = sources[0];
            MemorySegment src = v.valuesSeg;
            long off = v.offset;
            for (int k = 0; k < count; k++) {
                valuesSeg.setAtIndex(LONG, (long) length + k, src.getAtIndex(LONG, off + rows[k]));
            }
            return;
        }
        for (int k = 0; k < count; k++) {
            int w = which[k];
            long value = 0;
            if (w >= 0) {
                ColumnVector v = sources[w];
                value = v.valuesSeg.getAtIndex(LONG, (long) v.offset + rows[k]);
            }
            valuesSeg.setAtIndex(LONG, (long) length + k, value);
        }
    }

    @Override
    ColumnVector buildVector(NativeBuffer validityOrNull) {
        return new Int64Vector(length, 0, nullCount, validityOrNull, values);
    }
}
