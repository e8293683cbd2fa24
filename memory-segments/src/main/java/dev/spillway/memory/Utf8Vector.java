package dev.spillway.memory;

import dev.spillway.types.DataType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/** A column of UTF-8 strings: int32 offsets plus data bytes. */
public final class Utf8Vector extends ColumnVector {
    Utf8Vector(int length, int offset, int nullCount, NativeBuffer validity, NativeBuffer offsets, NativeBuffer data) {
        super(DataType.UTF8, length, offset, nullCount, validity, offsets, data);
    }

    /** Offset of {@code row}'s first byte in {@link #dataSegment()}. */
    public long dataOffset(int row) {
        return valuesSeg.getAtIndex(INT, (long) offset + row);
    }

    /** Length in bytes of {@code row}'s string (0 for nulls). */
    public int byteLength(int row) {
        long at = (long) offset + row;
        return valuesSeg.getAtIndex(INT, at + 1) - valuesSeg.getAtIndex(INT, at);
    }

    /** The data buffer the offsets point into (shared by views; read only). */
    public MemorySegment dataSegment() {
        return dataSeg;
    }

    /** The UTF-8 bytes of {@code row}. */
    public byte[] getBytes(int row) {
        long start = dataOffset(row);
        int len = byteLength(row);
        byte[] out = new byte[len];
        MemorySegment.copy(dataSeg, ValueLayout.JAVA_BYTE, start, out, 0, len);
        return out;
    }

    /** The string of {@code row}, or null for a null row. */
    public String getString(int row) {
        return isNull(row) ? null : new String(getBytes(row), StandardCharsets.UTF_8);
    }

    /** Whether {@code row} equals the given UTF-8 bytes. */
    public boolean equalsBytes(int row, MemorySegment other, long otherOffset, int otherLength) {
        int len = byteLength(row);
        if (len != otherLength) {
            return false;
        }
        long start = dataOffset(row);
        return MemorySegment.mismatch(dataSeg, start, start + len, other, otherOffset, otherOffset + len) < 0;
    }

    @Override
    ColumnVector view(int newOffset, int newLength, int newNullCount, NativeBuffer retainedValidity) {
        return new Utf8Vector(newLength, newOffset, newNullCount, retainedValidity, values, data);
    }

    @Override
    public String format(int row) {
        return isNull(row) ? "null" : getString(row);
    }

    @Override
    public Object getObject(int row) {
        return getString(row);
    }
}
