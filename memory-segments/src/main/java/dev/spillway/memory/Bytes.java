package dev.spillway.memory;

import java.util.Locale;

/** Human-readable byte sizes for messages and logs, and parsing of sizes such as {@code "1g"}. */
public final class Bytes {
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

    private Bytes() {
    }

    /** Formats {@code bytes} with a binary unit, e.g. {@code 1.5 MiB}. */
    public static String format(long bytes) {
        if (bytes < 1024 && bytes > -1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = 0;
        while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
    }

    /**
     * Parses a size: a plain number of bytes, or a number with a suffix {@code k}, {@code m},
     * {@code g}, {@code t} (binary multiples, optional trailing {@code b} or {@code ib}, any case),
     * e.g. {@code "512m"}, {@code "1g"}, {@code "1.5GiB"}.
     *
     * @throws IllegalArgumentException naming the text and the accepted forms
     */
    public static long parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (s.endsWith("ib")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("b")) {
            s = s.substring(0, s.length() - 1);
        }
        long multiplier = 1;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'k' -> multiplier = 1L << 10;
                case 'm' -> multiplier = 1L << 20;
                case 'g' -> multiplier = 1L << 30;
                case 't' -> multiplier = 1L << 40;
                default -> multiplier = 1;
            }
            if (multiplier != 1) {
                s = s.substring(0, s.length() - 1).trim();
            }
        }
        try {
            double value = Double.parseDouble(s);
            if (value < 0 || Double.isNaN(value) || Double.isInfinite(value) || s.isEmpty()) {
                throw new NumberFormatException();
            }
            double bytes = value * multiplier;
            if (bytes > Long.MAX_VALUE) {
                throw new NumberFormatException();
            }
            return (long) bytes;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid size '" + text
                    + "': expected a non-negative number of bytes, optionally with a suffix k, m, g or t"
                    + " (for example 512m, 1g, 1.5GiB)", e);
        }
    }
}
