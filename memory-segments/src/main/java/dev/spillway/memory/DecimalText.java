package dev.spillway.memory;

import dev.spillway.types.DecimalType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;

/**
 * Parses decimal text into the unscaled value of a {@link DecimalType}: an optional sign, digits
 * with an optional decimal point, and an optional exponent ({@code -12.5}, {@code .5},
 * {@code 1e3}). More fractional digits than the scale are rounded half away from zero (as DuckDB
 * does); a value with more integer digits than {@code precision - scale} is an overflow. Plain
 * text of up to 18 digits takes a path without allocation.
 */
public final class DecimalText {
    /** The text is a number that fits; the result holds it. */
    public static final int OK = 0;
    /** The text is not a number. */
    public static final int NOT_A_NUMBER = 1;
    /** The text is a number that does not fit the precision. */
    public static final int OVERFLOW = 2;

    private static final long LIMIT = (Long.MAX_VALUE - 9) / 10;

    private DecimalText() {
    }

    /**
     * Parses bytes {@code [s, e)} of {@code seg} as a value of {@code type}, writing the unscaled
     * value's high and low words into {@code out[0]} and {@code out[1]} when the result is
     * {@link #OK}.
     *
     * @return {@link #OK}, {@link #NOT_A_NUMBER} or {@link #OVERFLOW}
     */
    public static int parse(MemorySegment seg, long s, long e, DecimalType type, long[] out) {
        long p = s;
        boolean neg = false;
        if (p < e) {
            byte b = seg.get(ValueLayout.JAVA_BYTE, p);
            if (b == '-' || b == '+') {
                neg = b == '-';
                p++;
            }
        }
        long acc = 0;
        int frac = 0;
        boolean dot = false;
        boolean any = false;
        for (; p < e; p++) {
            byte b = seg.get(ValueLayout.JAVA_BYTE, p);
            if (b >= '0' && b <= '9') {
                if (acc > LIMIT || (dot && frac == type.scale())) {
                    return slow(seg, s, e, type, out);
                }
                acc = acc * 10 + (b - '0');
                frac += dot ? 1 : 0;
                any = true;
            } else if (b == '.' && !dot) {
                dot = true;
            } else {
                return slow(seg, s, e, type, out);
            }
        }
        if (!any) {
            return NOT_A_NUMBER;
        }
        int shift = type.scale() - frac;
        if (shift > DecimalType.MAX_LONG_PRECISION) {
            return slow(seg, s, e, type, out);
        }
        long pow = DecimalType.longPow10(shift);
        long hi = Math.multiplyHigh(acc, pow);
        long unscaled = acc * pow;
        if (hi != 0 || unscaled < 0) {
            return slow(seg, s, e, type, out);
        }
        if (type.fitsLong() && !type.holds(unscaled)) {
            return OVERFLOW;
        }
        unscaled = neg ? -unscaled : unscaled;
        out[0] = Int128.highOf(unscaled);
        out[1] = unscaled;
        return OK;
    }

    /** Parses a string like {@link #parse(MemorySegment, long, long, DecimalType, long[])}. */
    public static int parse(String text, DecimalType type, long[] out) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return parse(MemorySegment.ofArray(bytes), 0, bytes.length, type, out);
    }

    private static int slow(MemorySegment seg, long s, long e, DecimalType type, long[] out) {
        byte[] bytes = new byte[(int) (e - s)];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, s, bytes, 0, bytes.length);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            // BigDecimal also accepts non-ASCII digits and surrounding nothing else; keep to ASCII.
            if (!(c >= '0' && c <= '9') && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E') {
                return NOT_A_NUMBER;
            }
        }
        BigDecimal v;
        try {
            v = new BigDecimal(text);
        } catch (NumberFormatException ex) {
            return NOT_A_NUMBER;
        }
        BigInteger u = rescale(v, type);
        if (u == null || !type.holds(u)) {
            return OVERFLOW;
        }
        out[0] = Int128.high(u);
        out[1] = Int128.low(u);
        return OK;
    }

    /**
     * The unscaled value of {@code v} at {@code type}'s scale, rounded half away from zero, or null
     * when it has more integer digits than the precision allows (the bound on the work for huge
     * exponents).
     */
    public static BigInteger rescale(BigDecimal v, DecimalType type) {
        if (v.signum() == 0) {
            return BigInteger.ZERO;
        }
        long integerDigits = (long) v.precision() - v.scale();
        if (integerDigits > type.precision() - type.scale()) {
            return null;
        }
        if (integerDigits < -type.scale() - 1) {
            return BigInteger.ZERO;
        }
        return v.setScale(type.scale(), RoundingMode.HALF_UP).unscaledValue();
    }
}
