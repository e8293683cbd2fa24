package dev.spillway.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.SecureRandom;

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
 *
 * <p><b>Seeded against hash flooding.</b> Every hash starts from a {@link #seed() seed} drawn from
 * {@link SecureRandom} when the class loads, so keys crafted offline to share one partition and
 * one bucket chain (which would turn a join or group-by over untrusted data quadratic) collide
 * only under the seed of the process that crafted them. The system property
 * {@value #SEED_PROPERTY} (decimal or {@code 0x} hex) fixes the seed, to reproduce a run.
 */
public final class Hashing {
    /** Hash of a null key. */
    public static final long NULL_HASH = 0x2545F4914F6CDD1DL;
    /** Number of radix partitions. */
    public static final int PARTITIONS = 256;
    /** Hash bits used to choose one of {@link #PARTITIONS} partitions. */
    public static final int PARTITION_BITS = 8;

    /** System property that fixes the {@link #seed() seed} (decimal or {@code 0x} hex). */
    public static final String SEED_PROPERTY = "spillway.hash.seed";
    private static final long SEED = initialSeed();
    private static final long P1 = 0x87C37B91114253D5L;
    private static final long P2 = 0x4CF5AD432745937FL;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final long CANONICAL_NAN = Double.doubleToLongBits(Double.NaN);

    private Hashing() {
    }

    /** The seed of this process's hashes. */
    public static long seed() {
        return SEED;
    }

    private static long initialSeed() {
        String fixed = System.getProperty(SEED_PROPERTY);
        if (fixed == null || fixed.isBlank()) {
            return new SecureRandom().nextLong();
        }
        String v = fixed.strip();
        try {
            return v.startsWith("0x") || v.startsWith("0X") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property " + SEED_PROPERTY + " must be a 64-bit integer (decimal or 0x hex), got '"
                    + fixed + "'", e);
        }
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

    /**
     * The inverse of the finalizer: {@code unmix(mix(z)) == z}. With it an integer key of any
     * wanted hash can be made for a known seed ({@code unmix(hash) - seed}): tests and benchmarks
     * use it to craft keys that all collide under a fixed seed.
     */
    public static long unmix(long z) {
        z ^= z >>> 33;
        z *= inverse(0xC4CEB9FE1A85EC53L);
        z ^= z >>> 33;
        z *= inverse(0xFF51AFD7ED558CCDL);
        z ^= z >>> 33;
        return z;
    }

    /** The multiplicative inverse of an odd number modulo 2^64 (Newton's iteration). */
    private static long inverse(long odd) {
        long x = odd;
        for (int i = 0; i < 6; i++) {
            x *= 2 - odd * x;
        }
        return x;
    }

    /** Hash of an integer (int32, date32 and int64 values hash alike). */
    public static long hashLong(long v) {
        return mix(v + SEED);
    }

    /** Hash of a double; {@code -0.0} as {@code 0.0}, every NaN alike. */
    public static long hashDouble(double v) {
        long bits = v == 0.0 ? 0L : Double.isNaN(v) ? CANONICAL_NAN : Double.doubleToRawLongBits(v);
        return mix((bits ^ P2) + SEED);
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
     * Rows go through a heap chunk (per thread, reused) and are copied out in bulk.
     */
    public static void hashColumn(ColumnVector column, MemorySegment hashesOut, boolean combine) {
        int n = column.length();
        if (hashesOut.byteSize() < 8L * n) {
            throw new IllegalArgumentException("hash output holds " + hashesOut.byteSize() / 8 + " longs, column has "
                    + n + " rows");
        }
        long[][] chunks = CHUNKS.get();
        long[] chunk = chunks[0];
        long[] scratch = chunks[1];
        for (int base = 0; base < n; base += CHUNK) {
            int len = Math.min(CHUNK, n - base);
            if (combine) {
                MemorySegment.copy(hashesOut, LONG, 8L * base, chunk, 0, len);
            }
            hashRange(column, base, len, chunk, 0, combine, scratch);
            MemorySegment.copy(chunk, 0, hashesOut, LONG, 8L * base, len);
        }
    }

    /**
     * The same into a heap array of at least {@code column.length()} longs. Callers that keep
     * hashes on the heap use this rather than wrapping the array in a heap segment: segment
     * accesses then stay monomorphic (native memory) on the hot paths, which the JIT compiles
     * much better than accesses that have also seen heap segments.
     */
    public static void hashColumn(ColumnVector column, long[] hashesOut, boolean combine) {
        int n = column.length();
        if (hashesOut.length < n) {
            throw new IllegalArgumentException("hash output holds " + hashesOut.length + " longs, column has " + n + " rows");
        }
        long[] scratch = CHUNKS.get()[1];
        for (int base = 0; base < n; base += CHUNK) {
            hashRange(column, base, Math.min(CHUNK, n - base), hashesOut, base, combine, scratch);
        }
    }

    /** Rows hashed per heap chunk. */
    private static final int CHUNK = 1024;
    /**
     * Each thread's two heap chunks of {@link #CHUNK} longs (hashes, then key values), so that
     * hashing a column allocates nothing; a call uses them only until it returns.
     */
    private static final ThreadLocal<long[][]> CHUNKS = ThreadLocal.withInitial(() -> new long[2][CHUNK]);

    /**
     * Hashes rows {@code [from, from + len)} into {@code out[o .. o + len)}; {@code scratch} holds at
     * least {@code len} longs. Int64 keys without nulls are copied to the heap in bulk first: C2
     * vectorises the mix over heap arrays, not over a native segment ({@code HashInt64Benchmark}).
     */
    private static void hashRange(ColumnVector column, int from, int len, long[] out, int o, boolean combine, long[] scratch) {
        boolean nulls = column.hasNulls();
        if (!nulls && column instanceof Int64Vector v) {
            MemorySegment.copy(v.valuesSeg, LONG, 8L * (v.offset + from), scratch, 0, len);
            if (combine) {
                for (int i = 0; i < len; i++) {
                    out[o + i] = combine(out[o + i], hashLong(scratch[i]));
                }
            } else {
                for (int i = 0; i < len; i++) {
                    out[o + i] = hashLong(scratch[i]);
                }
            }
            return;
        }
        switch (column) {
            case Int64Vector v -> {
                for (int i = 0; i < len; i++) {
                    int r = from + i;
                    long h = nulls && v.isNull(r) ? NULL_HASH : hashLong(v.get(r));
                    out[o + i] = combine ? combine(out[o + i], h) : h;
                }
            }
            case Int32Vector v -> {
                for (int i = 0; i < len; i++) {
                    int r = from + i;
                    long h = nulls && v.isNull(r) ? NULL_HASH : hashLong(v.get(r));
                    out[o + i] = combine ? combine(out[o + i], h) : h;
                }
            }
            case Float64Vector v -> {
                for (int i = 0; i < len; i++) {
                    int r = from + i;
                    long h = nulls && v.isNull(r) ? NULL_HASH : hashDouble(v.get(r));
                    out[o + i] = combine ? combine(out[o + i], h) : h;
                }
            }
            case BooleanVector v -> {
                for (int i = 0; i < len; i++) {
                    int r = from + i;
                    long h = nulls && v.isNull(r) ? NULL_HASH : hashBoolean(v.get(r));
                    out[o + i] = combine ? combine(out[o + i], h) : h;
                }
            }
            case Decimal128Vector v -> {
                for (int i = 0; i < len; i++) {
                    int r = from + i;
                    long h = nulls && v.isNull(r) ? NULL_HASH : combine(hashLong(v.low(r)), hashLong(v.high(r)));
                    out[o + i] = combine ? combine(out[o + i], h) : h;
                }
            }
            case Utf8Vector v -> {
                MemorySegment data = v.dataSegment();
                for (int i = 0; i < len; i++) {
                    int r = from + i;
                    long h = nulls && v.isNull(r) ? NULL_HASH : hashBytes(data, v.dataOffset(r), v.byteLength(r));
                    out[o + i] = combine ? combine(out[o + i], h) : h;
                }
            }
        }
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

    /**
     * Groups row numbers {@code 0 .. n-1} by partition (a counting sort into {@code perm}, native
     * int32s): the partition of row r is {@link #partition(long, int, int) partition(hashes[r], shift, bits)}.
     * With {@code keep} non-null, only rows of partitions p with {@code keep[p]} are placed. Each
     * pass is a plain counted loop, with the choice of passes made outside it.
     *
     * @return partition boundaries: the rows of partition p are {@code perm[bounds[p] .. bounds[p+1])}
     */
    public static int[] groupByPartition(MemorySegment hashes, int n, int shift, int bits, boolean[] keep, MemorySegment perm) {
        partition(0, shift, bits); // rejects invalid bits once, not per row
        int fanout = 1 << bits;
        int drop = 64 - bits;
        int[] bounds = new int[fanout + 1];
        for (int r = 0; r < n; r++) {
            bounds[(int) ((hashes.getAtIndex(LONG, r) << shift) >>> drop) + 1]++;
        }
        if (keep != null) {
            for (int p = 0; p < fanout; p++) {
                bounds[p + 1] = keep[p] ? bounds[p + 1] : 0;
            }
        }
        for (int p = 0; p < fanout; p++) {
            bounds[p + 1] += bounds[p];
        }
        int[] fill = bounds.clone();
        if (keep == null) {
            for (int r = 0; r < n; r++) {
                perm.setAtIndex(INT, fill[(int) ((hashes.getAtIndex(LONG, r) << shift) >>> drop)]++, r);
            }
        } else {
            for (int r = 0; r < n; r++) {
                int p = (int) ((hashes.getAtIndex(LONG, r) << shift) >>> drop);
                if (keep[p]) {
                    perm.setAtIndex(INT, fill[p]++, r);
                }
            }
        }
        return bounds;
    }
}
