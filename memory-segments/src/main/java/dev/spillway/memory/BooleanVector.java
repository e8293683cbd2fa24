package dev.spillway.memory;

import dev.spillway.types.DataType;

/** A column of bit-packed booleans. */
public final class BooleanVector extends ColumnVector {
    BooleanVector(int length, int offset, int nullCount, NativeBuffer validity, NativeBuffer values) {
        super(DataType.BOOLEAN, length, offset, nullCount, validity, values, null);
    }

    /** The value of {@code row} (unspecified for null rows). */
    public boolean get(int row) {
        return Bitmaps.get(valuesSeg, (long) offset + row);
    }

    @Override
    ColumnVector view(int newOffset, int newLength, int newNullCount, NativeBuffer retainedValidity) {
        return new BooleanVector(newLength, newOffset, newNullCount, retainedValidity, values);
    }

    @Override
    public String format(int row) {
        return isNull(row) ? "null" : Boolean.toString(get(row));
    }

    @Override
    public Object getObject(int row) {
        return isNull(row) ? null : (Object) get(row);
    }
}
