package dev.spillway.memory;

import dev.spillway.types.DataType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/** Builds a {@link Utf8Vector}: int32 offsets plus a data buffer, both growing in the budget. */
public final class Utf8Builder extends ColumnBuilder {
    private static final int BYTES_PER_ROW_GUESS = 16;

    private NativeBuffer data;
    private MemorySegment dataSeg;
    private long dataLength;

    Utf8Builder(BlockPool pool, MemoryBudget budget, int initialCapacity) {
        super(DataType.UTF8, pool, budget, initialCapacity);
        try {
            data = pool.allocate(budget, Math.max(1, (long) Math.max(1, initialCapacity) * BYTES_PER_ROW_GUESS));
        } catch (RuntimeException | Error e) {
            values.close();
            throw e;
        }
        dataSeg = data.segment();
        valuesSeg.set(INT, 0, 0);
    }

    /** Appends a string (null appends a null). */
    public void append(String value) {
        if (value == null) {
            appendNull();
            return;
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        append(MemorySegment.ofArray(bytes), 0, bytes.length);
    }

    /** Appends UTF-8 bytes. */
    public void append(byte[] utf8) {
        append(MemorySegment.ofArray(utf8), 0, utf8.length);
    }

    /** Appends {@code len} UTF-8 bytes read from {@code src} at {@code off}. */
    public void append(MemorySegment src, long off, int len) {
        ensureOpen();
        reserveRow();
        ensureData(dataLength + len);
        MemorySegment.copy(src, off, dataSeg, dataLength, len);
        dataLength += len;
        valuesSeg.setAtIndex(INT, ++length, (int) dataLength);
    }

    @Override
    public void appendFrom(ColumnVector src, int row) {
        checkSource(src);
        if (src.isNull(row)) {
            appendNull();
        } else {
            Utf8Vector u = (Utf8Vector) src;
            append(u.dataSegment(), u.dataOffset(row), u.byteLength(row));
        }
    }

    @Override
    public long byteSize() {
        return super.byteSize() + data.capacity();
    }

    /** Bytes of string data appended so far. */
    public long dataLength() {
        return dataLength;
    }

    private void ensureData(long needed) {
        if (needed > Integer.MAX_VALUE) {
            throw new IllegalStateException("a utf8 column cannot hold more than 2 GiB of string data (int32 offsets);"
                    + " this one would need " + needed + " bytes");
        }
        if (needed <= dataSeg.byteSize()) {
            return;
        }
        long newSize = Math.min(Integer.MAX_VALUE, Math.max(needed, 2 * dataSeg.byteSize()));
        NativeBuffer bigger = pool.allocate(budget, newSize);
        MemorySegment.copy(dataSeg, 0, bigger.segment(), 0, dataLength);
        data.close();
        data = bigger;
        dataSeg = bigger.segment();
    }

    @Override
    long valuesBytes(int rows) {
        return 4L * (rows + 1);
    }

    @Override
    int rowsFitting(long bytes) {
        return (int) Math.min(Integer.MAX_VALUE - 8, bytes / 4 - 1);
    }

    @Override
    void writeNullValue(int row) {
        valuesSeg.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, row + 1, (int) dataLength);
    }

    @Override
    void gatherValues(ColumnVector[] sources, int[] which, int[] rows, int count) {
        long total = 0;
        for (int k = 0; k < count; k++) {
            int w = which == null ? 0 : which[k];
            if (w >= 0) {
                ColumnVector v = sources[w];
                long at = (long) v.offset + rows[k];
                total += v.valuesSeg.getAtIndex(INT, at + 1) - v.valuesSeg.getAtIndex(INT, at);
            }
        }
        ensureData(dataLength + total);
        long end = dataLength;
        for (int k = 0; k < count; k++) {
            int w = which == null ? 0 : which[k];
            if (w >= 0) {
                ColumnVector v = sources[w];
                long at = (long) v.offset + rows[k];
                int start = v.valuesSeg.getAtIndex(INT, at);
                int len = v.valuesSeg.getAtIndex(INT, at + 1) - start;
                MemorySegment.copy(v.dataSeg, start, dataSeg, end, len);
                end += len;
            }
            valuesSeg.setAtIndex(INT, (long) length + k + 1, (int) end);
        }
        dataLength = end;
    }

    @Override
    ColumnVector buildVector(NativeBuffer validityOrNull) {
        return new Utf8Vector(length, 0, nullCount, validityOrNull, values, data);
    }

    @Override
    void truncateExtra() {
        dataLength = valuesSeg.getAtIndex(INT, length);
    }

    @Override
    void closeExtra() {
        data.close();
    }
}
