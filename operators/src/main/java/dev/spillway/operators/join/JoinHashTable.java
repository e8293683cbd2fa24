package dev.spillway.operators.join;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * A chained hash table over build rows held in morsels, all in native memory. Each row has one
 * 32-byte entry holding everything a probe needs before it touches the row itself: the hash, a
 * single integer key as a long (when the join has one integer key and no nulls), the (morsel,
 * row) reference and the next entry of its bucket; so following a chain costs one cache miss per
 * entry, not one per field. Buckets hold the first entry (4 bytes each, at most half full). Rows
 * whose keys cannot match (null keys) are not inserted but keep their entry, so match flags and
 * unmatched-row output cover them. About 40 bytes per row plus the rows themselves.
 */
final class JoinHashTable implements AutoCloseable {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final long ENTRY = 32;
    private static final long HASH = 0;
    private static final long KEY = 8;
    private static final long REF = 16;
    private static final long NEXT = 24;

    private final List<Morsel> morsels;
    private final int rows;
    private final long mask;
    private final boolean integerKeys;
    private final NativeBuffer entries;
    private final NativeBuffer buckets;
    private final MemorySegment entrySeg;
    private final MemorySegment bucketSeg;

    /** Indexes {@code morsels} (not owned; they must outlive the table). */
    JoinHashTable(List<Morsel> morsels, JoinKeys keys, BlockPool pool, MemoryBudget budget) {
        this.morsels = List.copyOf(morsels);
        long n = 0;
        int widest = 1;
        for (Morsel m : morsels) {
            n += m.rowCount();
            widest = Math.max(widest, m.rowCount());
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("a join hash table cannot hold " + n + " rows");
        }
        this.rows = (int) n;
        long capacity = Math.max(16, Long.highestOneBit(Math.max(1, 2L * rows - 1)) << 1);
        this.mask = capacity - 1;
        this.integerKeys = integerKeyWithoutNulls(this.morsels, keys);
        NativeBuffer e = pool.allocate(budget, Math.max(ENTRY, ENTRY * rows));
        NativeBuffer b;
        try {
            b = pool.allocate(budget, 4 * capacity);
        } catch (RuntimeException ex) {
            e.close();
            throw ex;
        }
        entries = e;
        buckets = b;
        entrySeg = e.segment();
        bucketSeg = b.segment().asSlice(0, 4 * capacity);
        bucketSeg.fill((byte) 0xFF);
        try {
            index(keys, pool, budget, widest);
        } catch (RuntimeException | Error ex) {
            close();
            throw ex;
        }
    }

    /** Fills the entries and chains them into the buckets, hashing one morsel at a time into native scratch. */
    private void index(JoinKeys keys, BlockPool pool, MemoryBudget budget, int widest) {
        try (NativeBuffer scratch = pool.allocate(budget, 8L * widest)) {
            MemorySegment hashes = scratch.segment();
            int base = 0;
            for (int mi = 0; mi < morsels.size(); mi++) {
                base = index(mi, keys, hashes, base);
            }
        }
    }

    /** Indexes the rows of morsel {@code mi}, the first of which is row {@code base}; returns the next base. */
    private int index(int mi, JoinKeys keys, MemorySegment hashes, int base) {
        Morsel m = morsels.get(mi);
        int count = m.rowCount();
        keys.hash(m, keys.buildKeys(), hashes);
        ColumnVector key = integerKeys ? m.column(keys.buildKeys()[0]) : null;
        for (int row = 0; row < count; row++) {
            int i = base + row;
            long at = ENTRY * i;
            long h = hashes.getAtIndex(LONG, row);
            entrySeg.set(LONG, at + HASH, h);
            entrySeg.set(LONG, at + REF, ((long) mi << 32) | row);
            if (key != null) {
                entrySeg.set(LONG, at + KEY, key instanceof Int64Vector v ? v.get(row) : ((Int32Vector) key).get(row));
            }
            if (!keys.matchable(m, keys.buildKeys(), row)) {
                entrySeg.set(INT, at + NEXT, -1);
                continue;
            }
            long bucket = h & mask;
            entrySeg.set(INT, at + NEXT, bucketSeg.getAtIndex(INT, bucket));
            bucketSeg.setAtIndex(INT, bucket, i);
        }
        return base + count;
    }

    private static boolean integerKeyWithoutNulls(List<Morsel> morsels, JoinKeys keys) {
        if (keys.buildKeys().length != 1) {
            return false;
        }
        for (Morsel m : morsels) {
            ColumnVector c = m.column(keys.buildKeys()[0]);
            if (!hasIntegerKey(c) || c.hasNulls()) {
                return false;
            }
        }
        return true;
    }

    /** Whether a key column holds integers (int64, int32, date32) that compare as longs. */
    static boolean hasIntegerKey(ColumnVector c) {
        return c instanceof Int64Vector || c instanceof Int32Vector;
    }

    /** Whether {@link #keyValue(int)} is available. */
    boolean hasKeyValues() {
        return integerKeys;
    }

    /** The single integer key of row {@code i} (only when {@link #hasKeyValues()}). */
    long keyValue(int i) {
        return entrySeg.get(LONG, ENTRY * i + KEY);
    }

    int rows() {
        return rows;
    }

    /** First row of the bucket of {@code hash}, or -1. */
    int first(long hash) {
        return bucketSeg.getAtIndex(INT, hash & mask);
    }

    /** Next row in the same bucket, or -1. */
    int next(int i) {
        return entrySeg.get(INT, ENTRY * i + NEXT);
    }

    long hash(int i) {
        return entrySeg.get(LONG, ENTRY * i + HASH);
    }

    /** The morsels the rows live in. */
    List<Morsel> morsels() {
        return morsels;
    }

    /** Index of row {@code i}'s morsel in {@link #morsels()}. */
    int morselIndex(int i) {
        return (int) (entrySeg.get(LONG, ENTRY * i + REF) >>> 32);
    }

    Morsel morsel(int i) {
        return morsels.get(morselIndex(i));
    }

    int row(int i) {
        return (int) entrySeg.get(LONG, ENTRY * i + REF);
    }

    /** Native bytes of the table itself (not the rows). */
    long byteSize() {
        return entries.capacity() + buckets.capacity();
    }

    /** Bytes a table of {@code rows} rows needs at most, for memory planning. */
    static long estimate(long rows) {
        return 48 * rows + 128;
    }

    /** Partition of a hash (the table's rows all share it). */
    static int partitionOf(long hash) {
        return Hashing.partition(hash);
    }

    @Override
    public void close() {
        entries.close();
        buckets.close();
    }
}
