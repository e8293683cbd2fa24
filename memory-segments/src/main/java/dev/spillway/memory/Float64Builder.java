package dev.spillway.memory;

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
            long bits = 0;
            if (w >= 0) {
                ColumnVector v = sources[w];
                bits = v.valuesSeg.getAtIndex(LONG, (long) v.offset + rows[k]);
            }
            valuesSeg.setAtIndex(LONG, (long) length + k, bits);
        }
    }

    @Override
    ColumnVector buildVector(NativeBuffer validityOrNull) {
        return new Float64Vector(length, 0, nullCount, validityOrNull, values);
    }
}
