package dev.spillway.operators.csv;

import java.math.BigInteger;

/**
 * The double nearest to {@code w * 10^q} for a decimal significand {@code w} of up to 19 digits,
 * without allocating: Clinger's exact fast path when both {@code w} and the power of ten are exact
 * doubles, else the Eisel-Lemire algorithm (D. Lemire, "Number Parsing at a Gigabyte per Second",
 * 2021, as in the fast_float library): one 64x128-bit multiplication by a truncated power of five
 * decides the correctly rounded result in all but rare cases, which it reports as undecided (NaN)
 * for the caller's exact fallback. Subnormal results are left to the fallback as well.
 *
 * <p>The 128-bit powers of five for {@code 10^-342 .. 10^308} are computed once with
 * {@link BigInteger} when the class loads, exactly as fast_float's generator does (truncated for
 * positive powers; the reciprocal plus one for negative ones).
 */
final class DecimalToDouble {
    /** Smallest decimal exponent with a table entry; below it any 19-digit significand rounds to zero. */
    static final int MIN_EXP10 = -342;
    /** Largest decimal exponent with a table entry; above it every nonzero significand overflows. */
    static final int MAX_EXP10 = 308;
    private static final double[] EXACT_POW10 = new double[23];
    /** For each q in [MIN_EXP10, MAX_EXP10]: the high then the low 64 bits of 5^q normalised to 128 bits. */
    private static final long[] POW5 = new long[2 * (MAX_EXP10 - MIN_EXP10 + 1)];

    static {
        double p = 1;
        for (int i = 0; i < EXACT_POW10.length; i++) {
            EXACT_POW10[i] = p;
            p *= 10;
        }
        BigInteger five = BigInteger.valueOf(5);
        for (int q = MIN_EXP10; q <= MAX_EXP10; q++) {
            BigInteger c;
            if (q < 0) {
                BigInteger power5 = five.pow(-q);
                int z = power5.bitLength();
                int b = q >= -27 ? z + 127 : 2 * z + 128;
                c = BigInteger.ONE.shiftLeft(b).divide(power5).add(BigInteger.ONE);
            } else {
                c = five.pow(q);
            }
            int bits = c.bitLength();
            c = bits < 128 ? c.shiftLeft(128 - bits) : c.shiftRight(bits - 128);
            int i = 2 * (q - MIN_EXP10);
            POW5[i] = c.shiftRight(64).longValue();
            POW5[i + 1] = c.longValue();
        }
    }

    private DecimalToDouble() {
    }

    /**
     * The non-negative double nearest to {@code w * 10^q} (ties to even), or NaN when this method
     * cannot decide it cheaply (then parse the text exactly).
     *
     * @param w the significand, read as an unsigned 64-bit integer
     */
    static double toDouble(long w, int q) {
        if (w == 0) {
            return 0.0;
        }
        if (q >= -22 && q <= 22 && w > 0 && w <= 1L << 53) {
            // Clinger: both operands are exact doubles, so one correctly rounded operation suffices.
            double d = w;
            return q < 0 ? d / EXACT_POW10[-q] : d * EXACT_POW10[q];
        }
        if (q < MIN_EXP10) {
            return 0.0;
        }
        if (q > MAX_EXP10) {
            return Double.POSITIVE_INFINITY;
        }
        int lz = Long.numberOfLeadingZeros(w);
        long x = w << lz;
        int i = 2 * (q - MIN_EXP10);
        long hi = Math.unsignedMultiplyHigh(x, POW5[i]);
        long lo = x * POW5[i];
        if ((hi & 0x1FF) == 0x1FF) {
            // The nine bits below the 55 kept are all ones: the low word of the power may carry into them.
            long carry = Math.unsignedMultiplyHigh(x, POW5[i + 1]);
            long sum = lo + carry;
            if (Long.compareUnsigned(carry, sum) > 0) {
                hi++;
            }
            lo = sum;
        }
        if (lo == -1L && (q < -27 || q > 55)) {
            return Double.NaN;
        }
        int upper = (int) (hi >>> 63);
        int shift = upper + 9;
        long mantissa = hi >>> shift;
        int power2 = (((152_170 + 65_536) * q) >> 16) + 63 + upper - lz + 1023;
        if (power2 <= 0) {
            return Double.NaN;
        }
        if (Long.compareUnsigned(lo, 1) <= 0 && q >= -4 && q <= 23 && (mantissa & 3) == 1
                && (mantissa << shift) == hi) {
            // Exactly half-way between two doubles: round to even, that is down here.
            mantissa &= ~1L;
        }
        mantissa += mantissa & 1;
        mantissa >>>= 1;
        if (mantissa >= 2L << 52) {
            mantissa = 1L << 52;
            power2++;
        }
        mantissa &= ~(1L << 52);
        if (power2 >= 0x7FF) {
            return Double.POSITIVE_INFINITY;
        }
        return Double.longBitsToDouble(((long) power2 << 52) | mantissa);
    }
}
