package dev.spillway.memory;

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
    void gatherValues(ColumnVector[] sources, int[] which, int[] rows, int count) {
        if (which == null) {
            ColumnVector v = sources[0];
            MemorySegment src = v.valuesSeg;
            long off = v.offset;
            for (int k = 0; k < count; k++) {
                valuesSeg.setAtIndex(INT, (long) length + k, src.getAtIndex(INT, off + rows[k]));
            }
            return;
        }
        for (int k = 0; k < count; k++) {
            int w = which[k];
            int value = 0;
            if (w >= 0) {
                ColumnVector v = sources[w];
                value = v.valuesSeg.getAtIndex(INT, (long) v.offset + rows[k]);
            }
            valuesSeg.setAtIndex(INT, (long) length + k, value);
        }
    }

    @Override
    ColumnVector buildVector(NativeBuffer validityOrNull) {
        return new Int32Vector(type, length, 0, nullCount, validityOrNull, values);
    }
}
