package dev.spillway.memory;

import dev.spillway.types.DataType;

/** A column of float64 values. */
public final class Float64Vector extends ColumnVector {
    Float64Vector(int length, int offset, int nullCount, NativeBuffer validity, NativeBuffer values) {
        super(DataType.FLOAT64, length, offset, nullCount, validity, values, null);
    }

    /** The value of {@code row} (unspecified for null rows). */
    public double get(int row) {
        return valuesSeg.getAtIndex(DOUBLE, (long) offset + row);
    }

    @Override
    ColumnVector view(int newOffset, int newLength, int newNullCount, NativeBuffer retainedValidity) {
        return new Float64Vector(newLength, newOffset, newNullCount, retainedValidity, values);
    }

    @Override
    public String format(int row) {
        return isNull(row) ? "null" : Double.toString(get(row));
    }

    @Override
    public Object getObject(int row) {
        return isNull(row) ? null : (Object) get(row);
    }
}
