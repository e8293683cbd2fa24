package dev.spillway.operators.merge;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.types.Schema;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * The right rows an {@link AsofJoin} still references, as views of the right morsels that hold
 * them, addressed by refs {@code index << 32 | row} ({@link #NONE}: no row). A compaction
 * ({@link #startCompaction}, {@link #retain} for each ref still in use, {@link #finishCompaction})
 * copies the rows still referenced into one morsel on the join's budget and drops the views; the
 * new position of each held row is kept in a native int32 array (one entry per held row, -1 until
 * retained), so refs are remapped without a map on the heap. The bytes of the views are the
 * join's to count (they stay charged to the budget that made them): {@link #keep} reports them,
 * {@link #finishCompaction} and {@link #dropAll} return what they let go.
 */
final class AsofRightRows {
    /** The ref of no row. */
    static final long NONE = -1;
    /** Rows copied per gather call of a compaction (bounds its heap scratch). */
    private static final int GATHER_BATCH = 1024;

    private final Schema schema;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final List<Morsel> store = new ArrayList<>();
    private final List<Long> storeHeld = new ArrayList<>();
    private Morsel storedRight;
    private int storedRightIndex = -1;
    private final int[] which = new int[GATHER_BATCH];
    private final int[] rows = new int[GATHER_BATCH];
    /** During a compaction: the first held row of each held morsel, in the order of {@link #newIndex}. */
    private long[] firstRow = new long[0];
    /** During a compaction: per held row, its row in the compact morsel, or -1. */
    private NativeBuffer newIndex;
    /** During a compaction: per row of the compact morsel, the ref it is copied from. */
    private NativeBuffer retained;
    private int retainedCount;

    AsofRightRows(Schema schema, BlockPool pool, MemoryBudget budget) {
        this.schema = schema;
        this.pool = pool;
        this.budget = budget;
    }

    /** Whether {@code m} is the morsel {@link #ref} makes refs into. */
    boolean holds(Morsel m) {
        return m == storedRight;
    }

    /** Morsels held. */
    int morsels() {
        return store.size();
    }

    /**
     * Keeps a view of {@code m}; later {@link #ref refs} point into it. {@code hold} is given its
     * bytes first and may refuse them by throwing (then nothing is kept).
     */
    void keep(Morsel m, LongConsumer hold) {
        Morsel view = m.slice(0, m.rowCount());
        long bytes = view.byteSize();
        try {
            hold.accept(bytes);
        } catch (RuntimeException e) {
            view.close();
            storedRight = null;
            throw e;
        }
        storedRight = m;
        storedRightIndex = store.size();
        store.add(view);
        storeHeld.add(bytes);
    }

    /** The ref of row {@code row} of the morsel last {@link #keep kept}. */
    long ref(int row) {
        return (long) storedRightIndex << 32 | row;
    }

    /** The morsel holding right row {@code ref}. */
    Morsel stored(long ref) {
        return store.get((int) (ref >>> 32));
    }

    /** The row of {@code ref} in its {@link #stored} morsel. */
    static int rowOf(long ref) {
        return (int) ref;
    }

    /**
     * Starts a compaction: allocates the remapping arrays (12 bytes per held row) on the join's
     * budget.
     *
     * @throws dev.spillway.errors.MemoryLimitExceededException when the budget refuses (nothing is then held)
     */
    void startCompaction() {
        if (newIndex != null) {
            throw new IllegalStateException("a compaction is under way");
        }
        firstRow = new long[store.size()];
        long total = 0;
        for (int s = 0; s < store.size(); s++) {
            firstRow[s] = total;
            total += store.get(s).rowCount();
        }
        NativeBuffer index = pool.allocate(budget, Math.max(1, Integer.BYTES * total));
        try {
            retained = pool.allocate(budget, Math.max(1, Long.BYTES * total));
        } catch (RuntimeException | Error e) {
            index.close();
            throw e;
        }
        index.segment().fill((byte) -1);
        newIndex = index;
        retainedCount = 0;
    }

    /**
     * The ref right row {@code ref} will have after the compaction under way ({@link #NONE} stays
     * {@link #NONE}); the row is copied.
     */
    long retain(long ref) {
        if (ref == NONE) {
            return NONE;
        }
        MemorySegment index = newIndex.segment();
        long at = firstRow[(int) (ref >>> 32)] + rowOf(ref);
        int k = index.getAtIndex(ValueLayout.JAVA_INT, at);
        if (k < 0) {
            k = retainedCount++;
            index.setAtIndex(ValueLayout.JAVA_INT, at, k);
            retained.segment().setAtIndex(ValueLayout.JAVA_LONG, k, ref);
        }
        return k;
    }

    /** Rows retained by the compaction under way. */
    int retainedRows() {
        return retainedCount;
    }

    /**
     * Copies the rows {@link #retain retained} into one morsel, where the k-th becomes row k (ref
     * k), drops every view and frees the remapping arrays.
     *
     * @return the bytes of the dropped views, which the join no longer holds
     */
    long finishCompaction() {
        try {
            int n = retainedCount;
            MemorySegment refs = retained.segment();
            ColumnVector[] sources = new ColumnVector[store.size()];
            List<ColumnVector> cols = new ArrayList<>();
            try {
                for (int col = 0; col < schema.size(); col++) {
                    for (int s = 0; s < store.size(); s++) {
                        sources[s] = store.get(s).column(col);
                    }
                    try (ColumnBuilder b = ColumnBuilder.create(schema.field(col), pool, budget, Math.max(1, n))) {
                        for (int done = 0; done < n; done += GATHER_BATCH) {
                            int count = Math.min(GATHER_BATCH, n - done);
                            for (int k = 0; k < count; k++) {
                                long ref = refs.getAtIndex(ValueLayout.JAVA_LONG, done + k);
                                which[k] = (int) (ref >>> 32);
                                rows[k] = rowOf(ref);
                            }
                            b.appendGather(sources, which, rows, count);
                        }
                        cols.add(b.build());
                    }
                }
            } catch (RuntimeException e) {
                cols.forEach(ColumnVector::close);
                throw e;
            }
            Morsel compacted = new Morsel(schema, cols, n, 0);
            // The compact morsel's buffers are charged to the budget already; stop holding the old ones.
            long released = dropAll();
            store.add(compacted);
            storeHeld.add(0L);
            return released;
        } finally {
            endCompaction();
        }
    }

    /** Frees the remapping arrays of a compaction, if one is under way. */
    private void endCompaction() {
        NativeBuffer index = newIndex;
        NativeBuffer refs = retained;
        newIndex = null;
        retained = null;
        retainedCount = 0;
        try {
            if (index != null) {
                index.close();
            }
        } finally {
            if (refs != null) {
                refs.close();
            }
        }
    }

    /**
     * Drops every morsel (and the remapping arrays of a compaction under way).
     *
     * @return the bytes of the dropped views, which the join no longer holds
     */
    long dropAll() {
        endCompaction();
        store.forEach(Morsel::close);
        store.clear();
        long released = 0;
        for (long b : storeHeld) {
            released += b;
        }
        storeHeld.clear();
        storedRight = null;
        return released;
    }
}
