package dev.spillway.operators.eval;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A SQL {@code LIKE} pattern compiled once and matched against UTF-8 bytes in place.
 *
 * <p>{@code %} matches any run of characters (none included), {@code _} exactly one character
 * (code point, one to four bytes); every other character matches itself, case-sensitively. There
 * is no escape character. Patterns without {@code _} whose {@code %} sit only at the ends take a
 * fast path: equality, prefix, suffix or substring search of the literal bytes. Other patterns are
 * split at {@code %} into segments matched left to right, each at its earliest position: a segment
 * spans a fixed number of characters, so the earliest match also ends earliest and leaves the most
 * room to the segments after it.
 *
 * <p>Neither {@code %} (0x25) nor {@code _} (0x5F) can occur inside a multi-byte UTF-8 sequence,
 * so the pattern's bytes are matched directly.
 */
final class LikePattern {
    private static final byte ANY_CHAR = '_';

    /** How a pattern is matched. */
    enum Kind {
        /** {@code %} alone (or only {@code %}): every string matches. */
        ANY,
        /** No wildcard: the whole string equals the literal. */
        EXACT,
        /** {@code literal%}. */
        PREFIX,
        /** {@code %literal}. */
        SUFFIX,
        /** {@code %literal%}. */
        CONTAINS,
        /** Anything else: segments between {@code %}, with {@code _}. */
        GENERAL
    }

    private final String pattern;
    private final Kind kind;
    /** The literal of the fast paths. */
    private final byte[] literal;
    private final MemorySegment literalSeg;
    /** GENERAL: the part before the first {@code %}, matched at the start (may be empty). */
    private final byte[] head;
    /** GENERAL: the non-empty parts between {@code %}s. */
    private final byte[][] middle;
    /** GENERAL: the part after the last {@code %}, matched at the end (may be empty); null without {@code %}. */
    private final byte[] tail;
    /** GENERAL: the middle parts as segments, for the substring search of those without {@code _}. */
    private final MemorySegment[] middleSegs;
    private final boolean[] middleHasAnyChar;
    private final boolean tailHasAnyChar;

    private LikePattern(String pattern, Kind kind, byte[] literal, byte[] head, byte[][] middle, byte[] tail) {
        this.pattern = pattern;
        this.kind = kind;
        this.literal = literal;
        this.literalSeg = MemorySegment.ofArray(literal);
        this.head = head;
        this.middle = middle;
        this.tail = tail;
        int n = middle == null ? 0 : middle.length;
        this.middleSegs = new MemorySegment[n];
        this.middleHasAnyChar = new boolean[n];
        for (int i = 0; i < n; i++) {
            middleSegs[i] = MemorySegment.ofArray(middle[i]);
            middleHasAnyChar[i] = hasAnyChar(middle[i]);
        }
        this.tailHasAnyChar = tail != null && hasAnyChar(tail);
    }

    /** Compiles {@code pattern}. */
    static LikePattern compile(String pattern) {
        String[] parts = pattern.split("%", -1);
        byte[] empty = new byte[0];
        if (parts.length == 1) {
            byte[] b = utf8(pattern);
            return pattern.indexOf(ANY_CHAR) < 0
                    ? new LikePattern(pattern, Kind.EXACT, b, null, null, null)
                    : new LikePattern(pattern, Kind.GENERAL, empty, b, new byte[0][], null);
        }
        byte[] head = utf8(parts[0]);
        byte[] tail = utf8(parts[parts.length - 1]);
        List<byte[]> middle = new ArrayList<>();
        for (int i = 1; i < parts.length - 1; i++) {
            if (!parts[i].isEmpty()) {
                middle.add(utf8(parts[i]));
            }
        }
        if (pattern.indexOf(ANY_CHAR) < 0) {
            if (middle.isEmpty() && tail.length == 0) {
                return new LikePattern(pattern, head.length == 0 ? Kind.ANY : Kind.PREFIX, head, null, null, null);
            }
            if (middle.isEmpty() && head.length == 0) {
                return new LikePattern(pattern, Kind.SUFFIX, tail, null, null, null);
            }
            if (middle.size() == 1 && head.length == 0 && tail.length == 0) {
                return new LikePattern(pattern, Kind.CONTAINS, middle.get(0), null, null, null);
            }
        }
        return new LikePattern(pattern, Kind.GENERAL, empty, head, middle.toArray(new byte[0][]), tail);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The matching strategy chosen for the pattern. */
    Kind kind() {
        return kind;
    }

    /** Whether the {@code len} UTF-8 bytes at {@code off} of {@code d} match. */
    boolean matches(MemorySegment d, long off, int len) {
        int pl = literal.length;
        return switch (kind) {
            case ANY -> true;
            case EXACT -> len == pl && MemorySegment.mismatch(d, off, off + pl, literalSeg, 0, pl) < 0;
            case PREFIX -> len >= pl && MemorySegment.mismatch(d, off, off + pl, literalSeg, 0, pl) < 0;
            case SUFFIX -> len >= pl && MemorySegment.mismatch(d, off + len - pl, off + len, literalSeg, 0, pl) < 0;
            case CONTAINS -> StringMatch.indexOf(d, off, len, literalSeg, pl) >= 0;
            case GENERAL -> matchesGeneral(d, off, off + len);
        };
    }

    private boolean matchesGeneral(MemorySegment d, long start, long end) {
        long pos = matchAt(d, start, end, head);
        if (pos < 0) {
            return false;
        }
        if (tail == null) {
            return pos == end;
        }
        for (int i = 0; i < middle.length; i++) {
            pos = middleHasAnyChar[i] ? find(d, pos, end, middle[i]) : search(d, pos, end, middleSegs[i]);
            if (pos < 0) {
                return false;
            }
        }
        if (tail.length == 0) {
            return true;
        }
        if (!tailHasAnyChar) {
            long s = end - tail.length;
            return s >= pos && matchAt(d, s, end, tail) == end;
        }
        for (long s = pos; s < end; s++) {
            if (isCharStart(d, s) && matchAt(d, s, end, tail) == end) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasAnyChar(byte[] seg) {
        for (byte b : seg) {
            if (b == ANY_CHAR) {
                return true;
            }
        }
        return false;
    }

    /** The end of the earliest occurrence of the literal {@code seg} at or after {@code from}, or -1. */
    private static long search(MemorySegment d, long from, long end, MemorySegment seg) {
        int sl = (int) seg.byteSize();
        long k = StringMatch.indexOf(d, from, (int) (end - from), seg, sl);
        return k < 0 ? -1 : from + k + sl;
    }

    /** The end of the earliest match of {@code seg} (which has {@code _}) at or after {@code from}, or -1. */
    private static long find(MemorySegment d, long from, long end, byte[] seg) {
        for (long s = from; s < end; s++) {
            if (isCharStart(d, s)) {
                long e = matchAt(d, s, end, seg);
                if (e >= 0) {
                    return e;
                }
            }
        }
        return -1;
    }

    /** The end of {@code seg} matched exactly at {@code pos}, or -1. */
    private static long matchAt(MemorySegment d, long pos, long end, byte[] seg) {
        for (byte b : seg) {
            if (pos >= end) {
                return -1;
            }
            if (b == ANY_CHAR) {
                pos++;
                while (pos < end && !isCharStart(d, pos)) {
                    pos++;
                }
            } else if (d.get(ValueLayout.JAVA_BYTE, pos) == b) {
                pos++;
            } else {
                return -1;
            }
        }
        return pos;
    }

    private static boolean isCharStart(MemorySegment d, long pos) {
        // Continuation bytes of UTF-8 are 10xxxxxx.
        return (d.get(ValueLayout.JAVA_BYTE, pos) & 0xC0) != 0x80;
    }

    @Override
    public String toString() {
        return pattern;
    }
}
