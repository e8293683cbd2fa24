package dev.spillway.operators.join;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * A chained hash table over build rows held in morsels, all in native memory: per row its hash,
 * its (morsel, row) reference and the next row of its bucket; per bucket the first row. Rows whose
 * keys cannot match (null keys) are not inserted but keep their row number, so match flags and
 * unmatched-row output cover them. About 28 bytes per row plus the rows themselves.
 */
final class JoinHashTable implements AutoCloseable {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    private final List<Morsel> morsels;
    private final int rows;
    private final long mask;
    private final NativeBuffer hashes;
    private final NativeBuffer refs;
    private final NativeBuffer next;
    private final NativeBuffer buckets;
    private final MemorySegment hashSeg;
    private final MemorySegment refSeg;
    private final MemorySegment nextSeg;
    private final MemorySegment bucketSeg;

    /** Indexes {@code morsels} (not owned; they must outlive the table). */
    JoinHashTable(List<Morsel> morsels, JoinKeys keys, BlockPool pool, MemoryBudget budget) {
        this.morsels = List.copyOf(morsels);
        long n = 0;
        for (Morsel m : morsels) {
            n += m.rowCount();
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("a join hash table cannot hold " + n + " rows");
        }
        this.rows = (int) n;
        long capacity = Math.max(16, Long.highestOneBit(Math.max(1, 2L * rows - 1)) << 1);
        this.mask = capacity - 1;
        NativeBuffer h = null;
        NativeBuffer r = null;
        NativeBuffer x = null;
        NativeBuffer b = null;
        try {
            h = pool.allocate(budget, Math.max(8, 8L * rows));
            r = pool.allocate(budget, Math.max(8, 8L * rows));
            x = pool.allocate(budget, Math.max(4, 4L * rows));
            b = pool.allocate(budget, 4 * capacity);
        } catch (RuntimeException e) {
            for (NativeBuffer nb : new NativeBuffer[] {h, r, x, b}) {
                if (nb != null) {
                    nb.close();
                }
            }
            throw e;
        }
        hashes = h;
        refs = r;
        next = x;
        buckets = b;
        hashSeg = h.segment();
        refSeg = r.segment();
        nextSeg = x.segment();
        bucketSeg = b.segment().asSlice(0, 4 * capacity);
        bucketSeg.fill((byte) 0xFF);
        int base = 0;
        for (int mi = 0; mi < this.morsels.size(); mi++) {
            Morsel m = this.morsels.get(mi);
            int count = m.rowCount();
            keys.hash(m, keys.buildKeys(), hashSeg.asSlice(8L * base, 8L * count));
            for (int row = 0; row < count; row++) {
                int i = base + row;
                refSeg.setAtIndex(LONG, i, ((long) mi << 32) | row);
                if (!keys.matchable(m, keys.buildKeys(), row)) {
                    nextSeg.setAtIndex(INT, i, -1);
                    continue;
                }
                long bucket = hashSeg.getAtIndex(LONG, i) & mask;
                nextSeg.setAtIndex(INT, i, bucketSeg.getAtIndex(INT, bucket));
                bucketSeg.setAtIndex(INT, bucket, i);
            }
            base += count;
        }
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
        return nextSeg.getAtIndex(INT, i);
    }

    long hash(int i) {
        return hashSeg.getAtIndex(LONG, i);
    }

    Morsel morsel(int i) {
        return morsels.get((int) (refSeg.getAtIndex(LONG, i) >>> 32));
    }

    int row(int i) {
        return (int) refSeg.getAtIndex(LONG, i);
    }

    /** Native bytes of the table itself (not the rows). */
    long byteSize() {
        return hashes.capacity() + refs.capacity() + next.capacity() + buckets.capacity();
    }

    /** Bytes a table of {@code rows} rows needs, for memory planning. */
    static long estimate(long rows) {
        return 28 * rows + 64;
    }

    /** Partition of a hash (the table's rows all share it). */
    static int partitionOf(long hash) {
        return Hashing.partition(hash);
    }

    @Override
    public void close() {
        hashes.close();
        refs.close();
        next.close();
        buckets.close();
    }
}
