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
    long valuesBytes(int rows) {
        return 4L * rows;
    }

    @Override
    int rowsFitting(long bytes) {
        return (int) Math.min(Integer.MAX_VALUE - 8, bytes / 4);
    }

    @Override
    void writeNullValue(int row) {
        valuesSeg.setAtIndex(INT, row, 0);
    }

    @Override
    ColumnVector buildVector(NativeBuffer validityOrNull) {
        return new Int32Vector(type, length, 0, nullCount, validityOrNull, values);
    }
}
