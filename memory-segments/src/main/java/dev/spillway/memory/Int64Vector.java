package dev.spillway.memory;

/** A column of int64 values. */
public final class Int64Vector extends ColumnVector {
    Int64Vector(int length, int offset, int nullCount, NativeBuffer validity, NativeBuffer values) {
        super(DataType.INT64, length, offset, nullCount, validity, values, null);
    }

    /** The value of {@code row} (unspecified for null rows). */
    public long get(int row) {
        return valuesSeg.getAtIndex(LONG, (long) offset + row);
    }

    @Override
    ColumnVector view(int newOffset, int newLength, int newNullCount, NativeBuffer retainedValidity) {
        return new Int64Vector(newLength, newOffset, newNullCount, retainedValidity, values);
    }

    @Override
    public String format(int row) {
        return isNull(row) ? "null" : Long.toString(get(row));
    }

    @Override
    public Object getObject(int row) {
        return isNull(row) ? null : (Object) get(row);
    }
}
