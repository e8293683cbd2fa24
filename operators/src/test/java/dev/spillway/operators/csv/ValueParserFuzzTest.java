package dev.spillway.operators.csv;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link ValueParser#parseDouble} against {@link Double#parseDouble} (the oracle) on random and
 * edge-case decimal text: the allocation-free conversion must give the same bits everywhere,
 * including ties, the largest and smallest normal numbers, subnormals and overflow.
 */
class ValueParserFuzzTest {
    private static final int CASES = 200_000;

    private static double parse(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return ValueParser.parseDouble(MemorySegment.ofArray(b), 0, b.length);
    }

    private static void check(String text) {
        double expected = Double.parseDouble(text);
        double actual = parse(text);
        assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual),
                () -> "'" + text + "': expected " + expected + ", got " + actual);
    }

    @Test
    void edgeCases() {
        for (String t : new String[] {"0", "-0", "0.0", "-0.0", "+0", "00000", "0e999", "1", "-1", "+1", ".5", "5.", "-.5",
            "1e5", "1E5", "1e+5", "1e-5", "1.5E-7", "1e23", "8.589973e9", "9007199254740992", "9007199254740993",
            "9007199254740995", "18446744073709551615", "9999999999999999999", "1e308", "1.7976931348623157e308",
            "1.7976931348623158e308", "1.7976931348623159e308", "1e309", "1e400", "1e100000000", "4.9e-324", "2.4e-324",
            "2.5e-324", "1e-400", "1e-100000000", "2.2250738585072014e-308", "2.2250738585072011e-308",
            "2.2250738585072012e-308", "0.1", "0.2", "0.3", "0.30000000000000004", "123456789012345678901234",
            "1.00000000000000000000001", "0.000000000000000000000000000000000000001", "3.14159265358979323846",
            "12.345000000000001", "0.007500000000000001", "7.2057594037927933e16", "5e-20", "5e20", "1.2345678901234567e-300"}) {
            check(t);
        }
    }

    @Test
    void notNumbers() {
        for (String t : new String[] {"", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "1d", "1f", "0x10", "--1", "1-", "1 2",
            "abc", "1,5"}) {
            assertEquals(Double.NaN, parse(t), t);
        }
        assertEquals(Double.NaN, parse("NaN"));
        assertEquals(Double.POSITIVE_INFINITY, parse("inf"));
        assertEquals(Double.NEGATIVE_INFINITY, parse("-Infinity"));
        assertEquals(1.5, parse(" 1.5 "));
    }

    @Test
    void randomText() {
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        try {
            for (int i = 0; i < CASES; i++) {
                check(randomText(rnd));
            }
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed, e);
        }
    }

    private static String randomText(SplittableRandom rnd) {
        return switch (rnd.nextInt(6)) {
            case 0 -> Double.toString(randomDouble(rnd));
            case 1 -> String.format(Locale.ROOT, "%." + rnd.nextInt(20) + "e", randomDouble(rnd));
            case 2 -> String.format(Locale.ROOT, "%." + rnd.nextInt(12) + "f", rnd.nextDouble(-1e6, 1e6));
            case 3 -> randomDigits(rnd);
            case 4 -> nearHalfway(rnd);
            default -> Double.toString(rnd.nextInt(1_000_000) * Math.pow(10, rnd.nextInt(-8, 4)));
        };
    }

    /** Any finite double, with every exponent about equally likely. */
    private static double randomDouble(SplittableRandom rnd) {
        double d;
        do {
            d = Double.longBitsToDouble(rnd.nextLong());
        } while (Double.isNaN(d) || Double.isInfinite(d));
        return d;
    }

    /** Up to 22 digits with a decimal point somewhere and an exponent anywhere in range. */
    private static String randomDigits(SplittableRandom rnd) {
        StringBuilder sb = new StringBuilder();
        if (rnd.nextBoolean()) {
            sb.append('-');
        }
        int digits = 1 + rnd.nextInt(22);
        int dot = rnd.nextInt(digits + 1);
        for (int i = 0; i < digits; i++) {
            if (i == dot) {
                sb.append('.');
            }
            sb.append((char) ('0' + rnd.nextInt(10)));
        }
        if (rnd.nextBoolean()) {
            sb.append('e').append(rnd.nextInt(-360, 330));
        }
        return sb.toString();
    }

    /** A decimal within a few units of the 19th digit of the midpoint between two adjacent doubles. */
    private static String nearHalfway(SplittableRandom rnd) {
        double d = Math.abs(randomDouble(rnd));
        if (d == Double.MAX_VALUE) {
            d = Math.nextDown(d);
        }
        BigDecimal mid = new BigDecimal(d).add(new BigDecimal(Math.nextUp(d))).divide(BigDecimal.TWO);
        int digits = 15 + rnd.nextInt(5);
        BigDecimal rounded = mid.round(new MathContext(digits, RoundingMode.HALF_EVEN));
        BigDecimal ulp = rounded.ulp().multiply(BigDecimal.valueOf(rnd.nextInt(-2, 3)));
        return rounded.add(ulp).toString();
    }
}
