package dev.spillway.operators.csv;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import java.util.Locale;

/**
 * UTF-8 well-formedness (RFC 3629, the Unicode standard's table 3-7): no overlong forms, no
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated or stray continuation bytes.
 *
 * <p>The fast path reads eight bytes at a time and skips them when none has its high bit set, so
 * ASCII text costs one load, one mask and one compare per word; only a word holding a non-ASCII
 * byte goes byte by byte through the sequence check. Invalid input is replaced following the
 * standard's "maximal subpart" practice: each maximal prefix of a well-formed sequence that
 * cannot be completed (or each lone bad byte) becomes one U+FFFD.
 */
final class Utf8Validation {
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final long HIGH_BITS = 0x8080808080808080L;
    /** U+FFFD REPLACEMENT CHARACTER in UTF-8. */
    static final byte[] REPLACEMENT = {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD};

    private Utf8Validation() {
    }

    /** The offset of the first ill-formed sequence in {@code [from, to)}, or -1 when all is well-formed. */
    static long firstInvalid(MemorySegment seg, long from, long to) {
        long p = from;
        while (p < to) {
            if (to - p >= Long.BYTES && (seg.get(WORD, p) & HIGH_BITS) == 0) {
                p += Long.BYTES;
                continue;
            }
            byte b = seg.get(ValueLayout.JAVA_BYTE, p);
            if (b >= 0) {
                p++;
                continue;
            }
            int n = sequence(seg, p, to);
            if (n < 0) {
                return p;
            }
            p += n;
        }
        return -1;
    }

    /**
     * The length of the well-formed sequence starting with the non-ASCII byte at {@code p}, or
     * minus the length of its maximal subpart (at least 1) when it is ill-formed.
     */
    static int sequence(MemorySegment seg, long p, long to) {
        int lead = Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, p));
        int need;
        int lo = 0x80;
        int hi = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            need = 1;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            need = 2;
            if (lead == 0xE0) {
                lo = 0xA0; // below: overlong
            } else if (lead == 0xED) {
                hi = 0x9F; // above: surrogates
            }
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            need = 3;
            if (lead == 0xF0) {
                lo = 0x90; // below: overlong
            } else if (lead == 0xF4) {
                hi = 0x8F; // above: beyond U+10FFFF
            }
        } else {
            return -1; // a stray continuation byte, an overlong 2-byte lead (C0, C1) or F5..FF
        }
        for (int i = 1; i <= need; i++) {
            if (p + i >= to) {
                return -i; // truncated
            }
            int c = Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, p + i));
            int min = i == 1 ? lo : 0x80;
            int max = i == 1 ? hi : 0xBF;
            if (c < min || c > max) {
                return -i;
            }
        }
        return need + 1;
    }

    /**
     * Copies {@code [from, to)} to {@code out} with every maximal ill-formed subpart replaced by
     * U+FFFD; {@code out} must hold {@code 3 * (to - from)} bytes.
     *
     * @return the bytes written
     */
    static int replaceInvalid(MemorySegment seg, long from, long to, byte[] out) {
        int n = 0;
        long p = from;
        while (p < to) {
            byte b = seg.get(ValueLayout.JAVA_BYTE, p);
            if (b >= 0) {
                out[n++] = b;
                p++;
                continue;
            }
            int len = sequence(seg, p, to);
            if (len > 0) {
                MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, p, out, n, len);
                n += len;
                p += len;
            } else {
                System.arraycopy(REPLACEMENT, 0, out, n, REPLACEMENT.length);
                n += REPLACEMENT.length;
                p += -len;
            }
        }
        return n;
    }

    /** What is wrong with the ill-formed sequence at {@code p}, for an error message. */
    static String describe(MemorySegment seg, long p, long to) {
        int len = -sequence(seg, p, to);
        int lead = Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, p));
        if (lead >= 0x80 && lead <= 0xBF) {
            return "a continuation byte without a lead byte";
        }
        if (lead == 0xC0 || lead == 0xC1) {
            return "an overlong encoding (0xC0 and 0xC1 never occur in UTF-8)";
        }
        if (lead >= 0xF5) {
            return String.format(Locale.ROOT, "0x%02X never occurs in UTF-8", lead);
        }
        if (p + len >= to) {
            return "a sequence truncated at the end of the field";
        }
        int c = Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, p + len));
        if (len == 1 && lead == 0xE0 && c >= 0x80 && c < 0xA0 || len == 1 && lead == 0xF0 && c >= 0x80 && c < 0x90) {
            return "an overlong encoding";
        }
        if (len == 1 && lead == 0xED && c >= 0xA0 && c <= 0xBF) {
            return "a UTF-16 surrogate (U+D800..U+DFFF)";
        }
        if (len == 1 && lead == 0xF4 && c >= 0x90 && c <= 0xBF) {
            return "a code point above U+10FFFF";
        }
        return String.format(Locale.ROOT, "0x%02X cannot follow 0x%02X here", c, lead);
    }

    /** Up to {@code max} bytes from {@code p} in hex, space-separated ({@code "C3 28"}). */
    static String hex(MemorySegment seg, long p, long to, int max) {
        int n = (int) Math.min(max, to - p);
        byte[] b = new byte[n];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, p, b, 0, n);
        return HexFormat.ofDelimiter(" ").withUpperCase().formatHex(b);
    }
}
