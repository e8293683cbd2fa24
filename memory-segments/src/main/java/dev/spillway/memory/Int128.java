package dev.spillway.memory;

import java.math.BigInteger;

/**
 * Signed 128-bit two's-complement integers as (high, low) longs: the unscaled values of
 * {@link DataType#DECIMAL128} columns, stored little-endian as low word then high word.
 */
public final class Int128 {
    private static final BigInteger MASK64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private Int128() {
    }

    /** The high word of a long widened to 128 bits (its sign extension). */
    public static long highOf(long value) {
        return value >> 63;
    }

    /** Whether (high, low) is a sign-extended long. */
    public static boolean fitsLong(long high, long low) {
        return high == (low >> 63);
    }

    /** Signed comparison of two 128-bit values. */
    public static int compare(long aHigh, long aLow, long bHigh, long bLow) {
        return aHigh != bHigh ? Long.compare(aHigh, bHigh) : Long.compareUnsigned(aLow, bLow);
    }

    /** The value as a BigInteger. */
    public static BigInteger toBigInteger(long high, long low) {
        if (fitsLong(high, low)) {
            return BigInteger.valueOf(low);
        }
        return BigInteger.valueOf(high).shiftLeft(64).or(BigInteger.valueOf(low).and(MASK64));
    }

    /** The high word of a BigInteger that fits 128 bits. */
    public static long high(BigInteger v) {
        return v.shiftRight(64).longValue();
    }

    /** The low word of a BigInteger. */
    public static long low(BigInteger v) {
        return v.longValue();
    }

    /** Whether a BigInteger fits a signed 128-bit integer. */
    public static boolean fits(BigInteger v) {
        return v.bitLength() <= 127;
    }
}
