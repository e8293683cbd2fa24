package dev.spillway.operators.merge;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * The right rows an {@link AsofJoin} still references, as views of the right morsels that hold
 * them, addressed by refs {@code index << 32 | row} ({@link #NONE}: no row). {@link #compact}
 * copies the rows still referenced into one morsel on the join's budget and drops the views.
 * The bytes of the views are the join's to count (they stay charged to the budget that made
 * them): {@link #keep} reports them, {@link #compact} and {@link #dropAll} return what they let go.
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
     * Copies rows {@code refs} into one morsel, where the k-th becomes row k (ref k), and drops
     * every view.
     *
     * @return the bytes of the dropped views, which the join no longer holds
     */
    long compact(List<Long> refs) {
        int n = refs.size();
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
                            long ref = refs.get(done + k);
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
    }

    /**
     * Drops every morsel.
     *
     * @return the bytes of the dropped views, which the join no longer holds
     */
    long dropAll() {
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
