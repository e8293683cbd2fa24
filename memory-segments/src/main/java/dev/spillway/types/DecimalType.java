package dev.spillway.types;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * The precision and scale of a {@link DataType#DECIMAL128} column: values are
 * {@code unscaled × 10^-scale} with at most {@code precision} decimal digits in the unscaled
 * integer, as SQL {@code DECIMAL(precision, scale)}.
 *
 * <p>{@link DataType} stays an enum of storage kinds so that existing {@code switch}es over it keep
 * compiling; the two numbers travel beside it wherever the type of a column is described
 * ({@link Field#decimal()}, {@code Decimal128Vector}, {@code Decimal128Builder}, the result type of
 * an expression).
 *
 * @param precision total digits, 1 to {@value #MAX_PRECISION}
 * @param scale     digits after the decimal point, 0 to {@code precision}
 */
public record DecimalType(int precision, int scale) {
    /** The largest precision: 38 digits fit a signed 128-bit integer. */
    public static final int MAX_PRECISION = 38;
    /** The largest precision whose values fit a signed 64-bit integer. */
    public static final int MAX_LONG_PRECISION = 18;

    private static final BigInteger[] POW10 = new BigInteger[MAX_PRECISION + 2];
    private static final long[] LONG_POW10 = new long[MAX_LONG_PRECISION + 1];

    static {
        for (int i = 0; i < POW10.length; i++) {
            POW10[i] = BigInteger.TEN.pow(i);
        }
        long p = 1;
        for (int i = 0; i < LONG_POW10.length; i++) {
            LONG_POW10[i] = p;
            p *= 10;
        }
    }

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException when precision or scale is out of range
     */
    public DecimalType {
        if (precision < 1 || precision > MAX_PRECISION || scale < 0 || scale > precision) {
            throw new IllegalArgumentException("invalid decimal(" + precision + "," + scale + "): the precision must be 1 to "
                    + MAX_PRECISION + " and the scale 0 to the precision");
        }
    }

    /** {@code decimal(precision, scale)}. */
    public static DecimalType of(int precision, int scale) {
        return new DecimalType(precision, scale);
    }

    /** Whether every value fits a signed 64-bit unscaled integer (precision at most 18). */
    public boolean fitsLong() {
        return precision <= MAX_LONG_PRECISION;
    }

    /** The name used in schemas and messages, e.g. {@code decimal(15,2)}. */
    public String displayName() {
        return "decimal(" + precision + "," + scale + ")";
    }

    /** {@code 10^n} for {@code 0 <= n <= 39}. */
    public static BigInteger pow10(int n) {
        return POW10[n];
    }

    /** {@code 10^n} as a long for {@code 0 <= n <= 18}. */
    public static long longPow10(int n) {
        return LONG_POW10[n];
    }

    /** Whether an unscaled value has at most {@code precision} digits. */
    public boolean holds(BigInteger unscaled) {
        return unscaled.abs().compareTo(POW10[precision]) < 0;
    }

    /** Whether an unscaled long has at most {@code precision} digits (precision at most 18). */
    public boolean holds(long unscaled) {
        return unscaled > -LONG_POW10[precision] && unscaled < LONG_POW10[precision];
    }

    /**
     * The unscaled integer of {@code value} at this scale.
     *
     * @throws IllegalArgumentException when the value has more fractional digits than the scale or
     *         more digits than the precision
     */
    public BigInteger unscaledOf(BigDecimal value) {
        BigDecimal v;
        try {
            v = value.setScale(scale);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(value.toPlainString() + " has more than " + scale
                    + " digits after the decimal point and does not fit " + displayName(), e);
        }
        BigInteger u = v.unscaledValue();
        if (!holds(u)) {
            throw new IllegalArgumentException(value.toPlainString() + " does not fit " + displayName() + ": at most "
                    + (precision - scale) + " digits before the decimal point");
        }
        return u;
    }

    @Override
    public String toString() {
        return displayName();
    }
}
