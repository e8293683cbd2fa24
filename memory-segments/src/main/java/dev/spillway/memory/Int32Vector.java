package dev.spillway.memory;

import dev.spillway.types.DataType;

import java.time.LocalDate;

/** A column of int32 values; also the storage of {@link DataType#DATE32} (days since the epoch). */
public final class Int32Vector extends ColumnVector {
    Int32Vector(DataType type, int length, int offset, int nullCount, NativeBuffer validity, NativeBuffer values) {
        super(type, length, offset, nullCount, validity, values, null);
    }

    /** The value of {@code row} (unspecified for null rows). */
    public int get(int row) {
        return valuesSeg.getAtIndex(INT, (long) offset + row);
    }

    @Override
    ColumnVector view(int newOffset, int newLength, int newNullCount, NativeBuffer retainedValidity) {
        return new Int32Vector(type, newLength, newOffset, newNullCount, retainedValidity, values);
    }

    @Override
    public String format(int row) {
        if (isNull(row)) {
            return "null";
        }
        return type == DataType.DATE32 ? LocalDate.ofEpochDay(get(row)).toString() : Integer.toString(get(row));
    }

    @Override
    public Object getObject(int row) {
        if (isNull(row)) {
            return null;
        }
        return type == DataType.DATE32 ? LocalDate.ofEpochDay(get(row)) : (Object) get(row);
    }
}
