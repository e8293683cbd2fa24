package dev.spillway.operators.csv;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Parses CSV values straight from bytes, without a String per field on the common paths. */
final class ValueParser {
    /** Returned by {@link #parseLong} for text that is not an int64 (and for Long.MIN_VALUE itself). */
    static final long BAD_LONG = Long.MIN_VALUE;
    /** Returned by {@link #parseDate} for text that is not a valid date. */
    static final int BAD_DATE = Integer.MIN_VALUE;
    private static final byte[] MIN_LONG = Long.toString(Long.MIN_VALUE).getBytes(StandardCharsets.US_ASCII);

    private ValueParser() {
    }

    private static int at(MemorySegment s, long p) {
        return s.get(ValueLayout.JAVA_BYTE, p);
    }

    /** An optionally signed decimal integer in {@code [s, e)}, or {@link #BAD_LONG}. */
    static long parseLong(MemorySegment seg, long s, long e) {
        if (s >= e) {
            return BAD_LONG;
        }
        boolean neg = false;
        long p = s;
        int c = at(seg, p);
        if (c == '-' || c == '+') {
            neg = c == '-';
            p++;
            if (p == e) {
                return BAD_LONG;
            }
        }
        long v = 0;
        for (; p < e; p++) {
            int d = at(seg, p) - '0';
            if (d < 0 || d > 9) {
                return BAD_LONG;
            }
            // Accumulate negatively so that Long.MIN_VALUE's magnitude fits.
            if (v < (Long.MIN_VALUE + d) / 10) {
                return BAD_LONG;
            }
            v = v * 10 - d;
        }
        if (neg) {
            return v;
        }
        return v == Long.MIN_VALUE ? BAD_LONG : -v;
    }

    static boolean isMinLong(MemorySegment seg, long s, long e) {
        return e - s == MIN_LONG.length && MemorySegment.mismatch(seg, s, e, MemorySegment.ofArray(MIN_LONG), 0,
                MIN_LONG.length) < 0;
    }

    /**
     * A decimal number (optionally signed, with an optional fraction and exponent), {@code inf},
     * {@code -inf} or {@code nan}; NaN when it is none of these. Plain decimals of at most 19
     * significant digits are converted straight from the bytes ({@link DecimalToDouble}), without
     * allocating; anything else, and the rare conversion that one cannot decide, goes through
     * {@link Double#parseDouble}.
     */
    static double parseDouble(MemorySegment seg, long s, long e) {
        long p = s;
        boolean neg = false;
        if (p < e && (at(seg, p) == '-' || at(seg, p) == '+')) {
            neg = at(seg, p) == '-';
            p++;
        }
        long significand = 0;
        int digits = 0;
        int exp10 = 0;
        boolean anyDigit = false;
        boolean fraction = false;
        for (; p < e; p++) {
            int c = at(seg, p);
            if (c == '.' && !fraction) {
                fraction = true;
                continue;
            }
            int d = c - '0';
            if (d < 0 || d > 9) {
                break;
            }
            anyDigit = true;
            if (fraction) {
                exp10--;
            }
            if (significand == 0 && d == 0) {
                continue;
            }
            if (++digits > 19) {
                return slowDouble(seg, s, e);
            }
            // Up to 19 digits fit an unsigned long.
            significand = significand * 10 + d;
        }
        if (anyDigit && p < e && (at(seg, p) | 0x20) == 'e') {
            p++;
            boolean negExp = false;
            if (p < e && (at(seg, p) == '-' || at(seg, p) == '+')) {
                negExp = at(seg, p) == '-';
                p++;
            }
            long exp = 0;
            boolean expDigit = false;
            for (; p < e; p++) {
                int d = at(seg, p) - '0';
                if (d < 0 || d > 9) {
                    break;
                }
                expDigit = true;
                // Beyond this the value is 0 or infinite anyway; stop before the int overflows.
                exp = Math.min(exp * 10 + d, 100_000);
            }
            if (!expDigit) {
                return slowDouble(seg, s, e);
            }
            exp10 += (int) (negExp ? -exp : exp);
        }
        if (!anyDigit || p != e) {
            return slowDouble(seg, s, e);
        }
        double v = DecimalToDouble.toDouble(significand, exp10);
        if (Double.isNaN(v)) {
            return slowDouble(seg, s, e);
        }
        return neg ? -v : v;
    }

    private static double slowDouble(MemorySegment seg, long s, long e) {
        return slowDouble(new String(bytes(seg, s, e), StandardCharsets.UTF_8));
    }

    private static byte[] bytes(MemorySegment seg, long s, long e) {
        byte[] b = new byte[(int) (e - s)];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, s, b, 0, b.length);
        return b;
    }

    private static double slowDouble(String t) {
        String l = t.strip().toLowerCase(Locale.ROOT);
        switch (l) {
            case "inf", "+inf", "infinity", "+infinity" -> {
                return Double.POSITIVE_INFINITY;
            }
            case "-inf", "-infinity" -> {
                return Double.NEGATIVE_INFINITY;
            }
            case "nan", "+nan", "-nan" -> {
                return Double.NaN;
            }
            default -> {
                // Java also accepts hex floats and type suffixes; CSV numbers are plain decimals.
                if (l.isEmpty() || l.endsWith("d") || l.endsWith("f") || l.contains("x") || !Character.isDigit(l.charAt(l.length() - 1))
                        && l.charAt(l.length() - 1) != '.') {
                    return Double.NaN;
                }
                try {
                    return Double.parseDouble(l);
                } catch (NumberFormatException e) {
                    return Double.NaN;
                }
            }
        }
    }

    static boolean isNaNText(String t) {
        String l = t.strip().toLowerCase(Locale.ROOT);
        return l.equals("nan") || l.equals("+nan") || l.equals("-nan");
    }

    static boolean isDouble(String t) {
        byte[] b = t.getBytes(StandardCharsets.UTF_8);
        return !Double.isNaN(parseDouble(MemorySegment.ofArray(b), 0, b.length)) || isNaNText(t);
    }

    /** An ISO date {@code yyyy-MM-dd} as days since 1970-01-01, or {@link #BAD_DATE}. */
    static int parseDate(MemorySegment seg, long s, long e) {
        if (e - s != 10 || at(seg, s + 4) != '-' || at(seg, s + 7) != '-') {
            return BAD_DATE;
        }
        int y = digits(seg, s, 4);
        int m = digits(seg, s + 5, 2);
        int d = digits(seg, s + 8, 2);
        if (y < 0 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) {
            return BAD_DATE;
        }
        return (int) daysFromCivil(y, m, d);
    }

    private static int digits(MemorySegment seg, long p, int n) {
        int v = 0;
        for (int i = 0; i < n; i++) {
            int c = at(seg, p + i) - '0';
            if (c < 0 || c > 9) {
                return -1;
            }
            v = v * 10 + c;
        }
        return v;
    }

    private static int daysInMonth(int y, int m) {
        return switch (m) {
            case 2 -> (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }

    /** Days since 1970-01-01 of a valid proleptic Gregorian date (H. Hinnant's days-from-civil method). */
    static long daysFromCivil(long y, int m, int d) {
        long yy = y - (m <= 2 ? 1 : 0);
        long era = Math.floorDiv(yy, 400);
        long yoe = yy - era * 400;
        long doy = (153L * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146_097 + doe - 719_468;
    }

    /** 1 for true, 0 for false (any case), -1 otherwise. */
    static int parseBoolean(MemorySegment seg, long s, long e) {
        long n = e - s;
        if (n == 4 && lower(seg, s, "true")) {
            return 1;
        }
        if (n == 5 && lower(seg, s, "false")) {
            return 0;
        }
        return -1;
    }

    private static boolean lower(MemorySegment seg, long s, String word) {
        for (int i = 0; i < word.length(); i++) {
            if ((at(seg, s + i) | 0x20) != word.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
