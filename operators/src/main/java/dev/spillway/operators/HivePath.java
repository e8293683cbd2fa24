package dev.spillway.operators;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Hive-style partition directory names, {@code column=value}, as Hive, Spark, DuckDB and Polars
 * write and read them.
 *
 * <p>Escaping: characters that are unsafe in a path or ambiguous in a {@code k=v} segment
 * ({@code / \ = % : * ? " < > | # ' [ ] { } ^ ~}, the ASCII control characters and DEL) become
 * {@code %XX} (upper-case hex of the UTF-8 byte); so does a leading {@code .} (hidden files).
 * Other characters, non-ASCII included, are kept. A null value, and the empty string (which
 * cannot be a directory name), become {@link #NULL_VALUE}, as in Hive and Spark.
 */
public final class HivePath {
    /** The directory value of a null (or empty) partition value. */
    public static final String NULL_VALUE = "__HIVE_DEFAULT_PARTITION__";

    private static final String UNSAFE = "/\\=%:*?\"<>|#'[]{}^~";

    private HivePath() {
    }

    /** The directory segment {@code column=value} of a partition value (null allowed). */
    public static String segment(String column, Object value) {
        return escape(column) + "=" + escape(value == null ? null : value.toString());
    }

    /** Escapes a partition value (or a column name) for a directory segment; null and "" give {@link #NULL_VALUE}. */
    public static String escape(String value) {
        if (value == null || value.isEmpty()) {
            return NULL_VALUE;
        }
        StringBuilder out = null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean unsafe = c < 0x20 || c == 0x7F || UNSAFE.indexOf(c) >= 0 || (i == 0 && c == '.');
            if (unsafe && out == null) {
                out = new StringBuilder(value.length() + 8).append(value, 0, i);
            }
            if (unsafe) {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? value : out.toString();
    }

    /**
     * Undoes {@link #escape}: {@code %XX} sequences are decoded as UTF-8 bytes; {@link #NULL_VALUE}
     * gives null. A {@code %} not followed by two hex digits is kept as it is.
     */
    public static String unescape(String segmentValue) {
        if (NULL_VALUE.equals(segmentValue)) {
            return null;
        }
        if (segmentValue.indexOf('%') < 0) {
            return segmentValue;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(segmentValue.length());
        byte[] raw = segmentValue.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < raw.length; i++) {
            int hi = i + 2 < raw.length && raw[i] == '%' ? Character.digit(raw[i + 1], 16) : -1;
            int lo = hi >= 0 ? Character.digit(raw[i + 2], 16) : -1;
            if (lo >= 0) {
                bytes.write(hi << 4 | lo);
                i += 2;
            } else {
                bytes.write(raw[i]);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
