package dev.spillway.memory;

import dev.spillway.types.DataType;

import java.lang.foreign.MemorySegment;

/** Builds a {@link Int64Vector} (int64 or timestamp). */
public final class Int64Builder extends ColumnBuilder {
    private final String timeZone;

    Int64Builder(DataType type, String timeZone, BlockPool pool, MemoryBudget budget, int initialCapacity) {
        super(type, pool, budget, initialCapacity);
        this.timeZone = type == DataType.TIMESTAMP ? timeZone : null;
        if (timeZone != null) {
            Timestamps.zone(timeZone, "a timestamp builder");
        }
    }

    @Override
    public String timeZone() {
        return timeZone;
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
        return new Int64Vector(type, timeZone, length, 0, nullCount, validityOrNull, values);
    }
}
