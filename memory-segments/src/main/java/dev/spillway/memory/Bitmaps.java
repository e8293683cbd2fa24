package dev.spillway.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** LSB-first bitmap helpers shared by validity bitmaps and boolean values. */
final class Bitmaps {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private Bitmaps() {
    }

    static boolean get(MemorySegment bits, long index) {
        return (bits.get(ValueLayout.JAVA_BYTE, index >>> 3) & (1 << (index & 7))) != 0;
    }

    static void set(MemorySegment bits, long index, boolean value) {
        long at = index >>> 3;
        byte b = bits.get(ValueLayout.JAVA_BYTE, at);
        int mask = 1 << (index & 7);
        bits.set(ValueLayout.JAVA_BYTE, at, (byte) (value ? (b | mask) : (b & ~mask)));
    }

    /** Sets bits [from, from + count) to 1. */
    static void setRange(MemorySegment bits, long from, long count) {
        long end = from + count;
        long i = from;
        for (; i < end && (i & 7) != 0; i++) {
            set(bits, i, true);
        }
        long fullEnd = end & ~7L;
        if (i < fullEnd) {
            bits.asSlice(i >>> 3, (fullEnd - i) >>> 3).fill((byte) 0xFF);
            i = fullEnd;
        }
        for (; i < end; i++) {
            set(bits, i, true);
        }
    }

    static long bytesFor(long bits) {
        return (bits + 7) >>> 3;
    }

    /** Number of set bits in [from, from + count). */
    static int countSet(MemorySegment bits, long from, long count) {
        long end = from + count;
        long i = from;
        int n = 0;
        while (i < end && (i & 63) != 0) {
            n += get(bits, i) ? 1 : 0;
            i++;
        }
        long wordsEnd = end & ~63L;
        for (; i < wordsEnd; i += 64) {
            n += Long.bitCount(bits.get(LONG, i >>> 3));
        }
        for (; i < end; i++) {
            n += get(bits, i) ? 1 : 0;
        }
        return n;
    }

    /**
     * Copies {@code count} bits starting at bit {@code from} of {@code src} to bit 0 of
     * {@code dst}; bits past {@code count} in the last byte are cleared.
     */
    static void copyNormalized(MemorySegment src, long from, long count, MemorySegment dst) {
        long bytes = bytesFor(count);
        if (bytes == 0) {
            return;
        }
        int shift = (int) (from & 7);
        long srcByte = from >>> 3;
        if (shift == 0) {
            MemorySegment.copy(src, srcByte, dst, 0, bytes);
        } else {
            long srcBytes = src.byteSize();
            for (long i = 0; i < bytes; i++) {
                int lo = Byte.toUnsignedInt(src.get(ValueLayout.JAVA_BYTE, srcByte + i));
                int hi = srcByte + i + 1 < srcBytes ? Byte.toUnsignedInt(src.get(ValueLayout.JAVA_BYTE, srcByte + i + 1)) : 0;
                dst.set(ValueLayout.JAVA_BYTE, i, (byte) ((lo >>> shift) | (hi << (8 - shift))));
            }
        }
        int tail = (int) (count & 7);
        if (tail != 0) {
            byte last = dst.get(ValueLayout.JAVA_BYTE, bytes - 1);
            dst.set(ValueLayout.JAVA_BYTE, bytes - 1, (byte) (last & ((1 << tail) - 1)));
        }
    }
}
