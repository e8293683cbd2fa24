package dev.spillway.memory;

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
    ColumnVector buildVector(NativeBuffer validityOrNull) {
        return new Int32Vector(type, length, 0, nullCount, validityOrNull, values);
    }
}
