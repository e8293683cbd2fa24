package dev.spillway.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * 64-bit hashing of keys, column at a time, and radix partitioning on the hash's top bits.
 *
 * <p>Fixed-width values go through a full-avalanche 64-bit finalizer (every input bit affects
 * every output bit with probability about 1/2), so the top 8 bits — the partition — are as well
 * mixed as the bottom ones, which the hash tables use. Strings are read 8 bytes at a time with
 * unaligned loads and finalized the same way. Guarantees: equal values hash equal; int32, date32
 * and int64 of equal value hash equal (so keys can be widened); {@code -0.0} hashes as {@code 0.0}
 * and all NaNs alike; nulls hash to {@link #NULL_HASH}. Hashes are stable within a process run
 * only (strings are read in native byte order); they are never persisted.
 */
public final class Hashing {
    /** Hash of a null key. */
    public static final long NULL_HASH = 0x2545F4914F6CDD1DL;
    /** Number of radix partitions. */
    public static final int PARTITIONS = 256;
    /** Hash bits used to choose one of {@link #PARTITIONS} partitions. */
    public static final int PARTITION_BITS = 8;

    private static final long SEED = 0x9E3779B97F4A7C15L;
    private static final long P1 = 0x87C37B91114253D5L;
    private static final long P2 = 0x4CF5AD432745937FL;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final long CANONICAL_NAN = Double.doubleToLongBits(Double.NaN);

    private Hashing() {
    }

    /** Full-avalanche finalizer (the 64-bit mix of MurmurHash3). */
    static long mix(long z) {
        z ^= z >>> 33;
        z *= 0xFF51AFD7ED558CCDL;
        z ^= z >>> 33;
        z *= 0xC4CEB9FE1A85EC53L;
        z ^= z >>> 33;
        return z;
    }

    /** Hash of an integer (int32, date32 and int64 values hash alike). */
    public static long hashLong(long v) {
        return mix(v + SEED);
    }

    /** Hash of a double; {@code -0.0} as {@code 0.0}, every NaN alike. */
    public static long hashDouble(double v) {
        long bits = v == 0.0 ? 0L : Double.isNaN(v) ? CANONICAL_NAN : Double.doubleToRawLongBits(v);
        return mix(bits ^ P2);
    }

    /** Hash of a boolean. */
    public static long hashBoolean(boolean v) {
        return hashLong(v ? 1 : 0);
    }

    /** Hash of {@code length} bytes at {@code offset} of {@code seg}. */
    public static long hashBytes(MemorySegment seg, long offset, long length) {
        long h = SEED ^ (length * P1);
        long i = 0;
        long whole = length & ~7L;
        for (; i < whole; i += 8) {
            h = Long.rotateLeft(h ^ (seg.get(LONG, offset + i) * P2), 31) * P1;
        }
        long rem = length - i;
        if (rem > 0) {
            long w;
            if (rem >= 4) {
                // Two overlapping int loads cover 4..7 bytes without a byte loop.
                long lo = Integer.toUnsignedLong(seg.get(INT, offset + i));
                long hi = Integer.toUnsignedLong(seg.get(INT, offset + length - 4));
                w = lo | (hi << 32);
            } else {
                w = Byte.toUnsignedLong(seg.get(ValueLayout.JAVA_BYTE, offset + i));
                w |= Byte.toUnsignedLong(seg.get(ValueLayout.JAVA_BYTE, offset + i + (rem >> 1))) << 8;
                w |= Byte.toUnsignedLong(seg.get(ValueLayout.JAVA_BYTE, offset + length - 1)) << 16;
            }
            h = Long.rotateLeft(h ^ ((w + rem) * P2), 31) * P1;
        }
        return mix(h);
    }

    /** Combines the hash of a further key column into {@code previous}; order matters. */
    public static long combine(long previous, long next) {
        return mix(previous * P1 + next);
    }

    /**
     * Writes the hash of each row of {@code column} into {@code hashesOut} (one long per row), or
     * combines it into the hashes already there when {@code combine} is true (multi-column keys).
     */
    public static void hashColumn(ColumnVector column, MemorySegment hashesOut, boolean combine) {
        int n = column.length();
        if (hashesOut.byteSize() < 8L * n) {
            throw new IllegalArgumentException("hash output holds " + hashesOut.byteSize() / 8 + " longs, column has "
                    + n + " rows");
        }
        boolean nulls = column.hasNulls();
        if (!nulls && column instanceof Int64Vector v) {
            hashInt64NoNulls(v.valuesSeg, v.offset, n, hashesOut, combine);
            return;
        }
        switch (column) {
            case Int64Vector v -> {
                for (int i = 0; i < n; i++) {
                    long h = nulls && v.isNull(i) ? NULL_HASH : hashLong(v.get(i));
                    store(hashesOut, i, h, combine);
                }
            }
            case Int32Vector v -> {
                for (int i = 0; i < n; i++) {
                    long h = nulls && v.isNull(i) ? NULL_HASH : hashLong(v.get(i));
                    store(hashesOut, i, h, combine);
                }
            }
            case Float64Vector v -> {
                for (int i = 0; i < n; i++) {
                    long h = nulls && v.isNull(i) ? NULL_HASH : hashDouble(v.get(i));
                    store(hashesOut, i, h, combine);
                }
            }
            case BooleanVector v -> {
                for (int i = 0; i < n; i++) {
                    long h = nulls && v.isNull(i) ? NULL_HASH : hashBoolean(v.get(i));
                    store(hashesOut, i, h, combine);
                }
            }
            case Utf8Vector v -> {
                MemorySegment data = v.dataSegment();
                for (int i = 0; i < n; i++) {
                    long h = nulls && v.isNull(i) ? NULL_HASH : hashBytes(data, v.dataOffset(i), v.byteLength(i));
                    store(hashesOut, i, h, combine);
                }
            }
        }
    }

    /** Rows hashed per heap round trip in {@link #hashInt64NoNulls}. */
    private static final int CHUNK = 1024;

    /**
     * The common case (int64 keys without nulls). C2 does not vectorise a loop from one native
     * segment into another, but it does vectorise the same mix over heap arrays, so the keys go
     * through two 8 KiB heap arrays a chunk at a time (bulk copies both ways); that is about 2.5x
     * faster than the direct segment loop on this machine ({@code HashInt64Benchmark}).
     */
    private static void hashInt64NoNulls(MemorySegment values, long offset, int n, MemorySegment out, boolean combine) {
        long[] keys = new long[Math.min(CHUNK, n)];
        long[] hashes = new long[keys.length];
        for (int base = 0; base < n; base += CHUNK) {
            int len = Math.min(CHUNK, n - base);
            MemorySegment.copy(values, LONG, (offset + base) * 8, keys, 0, len);
            if (combine) {
                MemorySegment.copy(out, LONG, 8L * base, hashes, 0, len);
                for (int i = 0; i < len; i++) {
                    hashes[i] = combine(hashes[i], hashLong(keys[i]));
                }
            } else {
                for (int i = 0; i < len; i++) {
                    hashes[i] = hashLong(keys[i]);
                }
            }
            MemorySegment.copy(hashes, 0, out, LONG, 8L * base, len);
        }
    }

    private static void store(MemorySegment out, long i, long h, boolean combine) {
        out.setAtIndex(LONG, i, combine ? combine(out.getAtIndex(LONG, i), h) : h);
    }

    /** The radix partition of a hash: its top 8 bits, 0 to 255. */
    public static int partition(long hash) {
        return (int) (hash >>> (64 - PARTITION_BITS));
    }

    /**
     * Further hash bits for recursive re-partitioning: skips the top {@code shift} bits and takes
     * the next {@code bits}.
     */
    public static int partition(long hash, int shift, int bits) {
        if (bits <= 0 || bits > 31 || shift < 0 || shift + bits > 64) {
            throw new IllegalArgumentException("invalid partition bits: shift " + shift + ", bits " + bits);
        }
        return (int) ((hash << shift) >>> (64 - bits));
    }
}
