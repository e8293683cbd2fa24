package dev.spillway.memory;

import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * A column of {@link DataType#DECIMAL128} values: per row 16 bytes, the little-endian
 * two's-complement unscaled integer (low word first), scaled by {@link #decimalType()}.
 */
public final class Decimal128Vector extends ColumnVector {
    private final DecimalType decimal;

    Decimal128Vector(DecimalType decimal, int length, int offset, int nullCount, NativeBuffer validity, NativeBuffer values) {
        super(DataType.DECIMAL128, length, offset, nullCount, validity, values, null);
        this.decimal = java.util.Objects.requireNonNull(decimal, "decimal type");
    }

    /** The precision and scale. */
    @Override
    public DecimalType decimalType() {
        return decimal;
    }

    /** The low 64 bits of the unscaled value of {@code row} (unspecified for null rows). */
    public long low(int row) {
        return valuesSeg.getAtIndex(LONG, 2L * (offset + row));
    }

    /** The high 64 bits of the unscaled value of {@code row} (unspecified for null rows). */
    public long high(int row) {
        return valuesSeg.getAtIndex(LONG, 2L * (offset + row) + 1);
    }

    /** The unscaled value of {@code row} (unspecified for null rows). */
    public BigInteger unscaled(int row) {
        return Int128.toBigInteger(high(row), low(row));
    }

    /** The value of {@code row}, or null. */
    public BigDecimal getBigDecimal(int row) {
        return isNull(row) ? null : new BigDecimal(unscaled(row), decimal.scale());
    }

    /** Whether the values of {@code row} here and {@code otherRow} of {@code other} are equal (nulls not considered). */
    public boolean valueEquals(int row, Decimal128Vector other, int otherRow) {
        return low(row) == other.low(otherRow) && high(row) == other.high(otherRow);
    }

    /**
     * Compares the values of {@code row} here and {@code otherRow} of {@code other} as signed
     * integers (nulls not considered); meaningful between vectors of the same scale.
     */
    public int compareValues(int row, Decimal128Vector other, int otherRow) {
        return Int128.compare(high(row), low(row), other.high(otherRow), other.low(otherRow));
    }

    @Override
    ColumnVector view(int newOffset, int newLength, int newNullCount, NativeBuffer retainedValidity) {
        return new Decimal128Vector(decimal, newLength, newOffset, newNullCount, retainedValidity, values);
    }

    @Override
    public String format(int row) {
        return isNull(row) ? "null" : getBigDecimal(row).toPlainString();
    }

    @Override
    public Object getObject(int row) {
        return getBigDecimal(row);
    }

    @Override
    public String toString() {
        return decimal.displayName() + super.toString().substring(type.displayName().length());
    }
}
