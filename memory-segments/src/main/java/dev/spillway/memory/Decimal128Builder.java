package dev.spillway.memory;

import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Builds a {@link Decimal128Vector} of one {@link DecimalType}. The append methods take unscaled
 * values at this builder's scale; they do not check the precision (the callers that compute
 * values check it where they can overflow), except {@link #append(BigDecimal)}.
 */
public final class Decimal128Builder extends ColumnBuilder {
    private final DecimalType decimal;

    Decimal128Builder(DecimalType decimal, BlockPool pool, MemoryBudget budget, int initialCapacity) {
        super(DataType.DECIMAL128, pool, budget, initialCapacity);
        this.decimal = java.util.Objects.requireNonNull(decimal, "decimal type");
    }

    /** The precision and scale being built. */
    @Override
    public DecimalType decimalType() {
        return decimal;
    }

    /** Appends an unscaled value that fits a long. */
    public void appendUnscaled(long unscaled) {
        append128(Int128.highOf(unscaled), unscaled);
    }

    /** Appends a 128-bit unscaled value given as its high and low words. */
    public void append128(long high, long low) {
        ensureOpen();
        reserveRow();
        long at = 2L * length++;
        valuesSeg.setAtIndex(LONG, at, low);
        valuesSeg.setAtIndex(LONG, at + 1, high);
    }

    /** Appends an unscaled value; it must fit 128 bits. */
    public void appendUnscaled(BigInteger unscaled) {
        if (!Int128.fits(unscaled)) {
            throw new IllegalArgumentException("unscaled value " + unscaled + " does not fit 128 bits");
        }
        append128(Int128.high(unscaled), Int128.low(unscaled));
    }

    /**
     * Appends a value, rescaled exactly to this builder's scale.
     *
     * @throws IllegalArgumentException when it has more fractional digits than the scale or does
     *         not fit the precision
     */
    public void append(BigDecimal value) {
        appendUnscaled(decimal.unscaledOf(value));
    }

    @Override
    public void appendFrom(ColumnVector src, int row) {
        checkSource(src);
        if (src.isNull(row)) {
            appendNull();
        } else {
            Decimal128Vector d = (Decimal128Vector) src;
            append128(d.high(row), d.low(row));
        }
    }

    @Override
    void gatherValues(ColumnVector[] sources, int[] which, int[] rows, int count) {
        for (int k = 0; k < count; k++) {
            int w = which == null ? 0 : which[k];
            long at = 2L * (length + k);
            if (w < 0) {
                valuesSeg.setAtIndex(LONG, at, 0);
                valuesSeg.setAtIndex(LONG, at + 1, 0);
            } else {
                ColumnVector v = sources[w];
                long from = 2L * (v.offset + rows[k]);
                valuesSeg.setAtIndex(LONG, at, v.valuesSeg.getAtIndex(LONG, from));
                valuesSeg.setAtIndex(LONG, at + 1, v.valuesSeg.getAtIndex(LONG, from + 1));
            }
        }
    }

    @Override
    ColumnVector buildVector(NativeBuffer validityOrNull) {
        return new Decimal128Vector(decimal, length, 0, nullCount, validityOrNull, values);
    }
}
