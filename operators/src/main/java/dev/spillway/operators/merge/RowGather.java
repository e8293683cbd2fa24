package dev.spillway.operators.merge;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects the rows of a join's next output morsel as references — a left row and a right row,
 * either of which may be absent (nulls) — and builds the morsel with one batched gather per
 * column ({@link ColumnBuilder#appendGather}).
 *
 * <p>Output columns: every left column, then the given right columns. A row without a left row
 * (an unmatched right row of a right or full join) takes its left key columns from the right key
 * columns, as the hash join does. Referenced morsels are retained through zero-copy views until
 * the output is built, so callers may close theirs at once. The row references are heap arrays of
 * the output morsel's capacity, allocated once.
 *
 * <p>Not thread-safe.
 */
final class RowGather implements AutoCloseable {
    private final Schema out;
    private final int leftWidth;
    /** For each left column: the right key column it equals, or -1. */
    private final int[] leftKeyFromRight;
    private final int[] rightColumns;
    private final int capacity;
    private final BlockPool pool;
    private final MemoryBudget budget;

    private final List<Morsel> leftViews = new ArrayList<>();
    private final Map<Morsel, Integer> leftIndex = new IdentityHashMap<>();
    private final List<Morsel> rightViews = new ArrayList<>();
    private final Map<Morsel, Integer> rightIndex = new IdentityHashMap<>();
    private final int[] lwhich;
    private final int[] lrows;
    private final int[] rwhich;
    private final int[] rrows;
    /** One column's gather, rebuilt for each column of {@link #build}. */
    private final int[] which;
    private final int[] rows;
    private int count;

    /**
     * @param out              the output schema
     * @param leftWidth        left columns (the first ones of {@code out})
     * @param leftKeyFromRight per left column, the right column holding the same key, or -1
     * @param rightColumns     the right columns that follow, as positions in right morsels
     * @param capacity         rows per output morsel
     */
    RowGather(Schema out, int leftWidth, int[] leftKeyFromRight, int[] rightColumns, int capacity, BlockPool pool,
            MemoryBudget budget) {
        this.out = out;
        this.leftWidth = leftWidth;
        this.leftKeyFromRight = leftKeyFromRight.clone();
        this.rightColumns = rightColumns.clone();
        this.capacity = capacity;
        this.pool = pool;
        this.budget = budget;
        this.lwhich = new int[capacity];
        this.lrows = new int[capacity];
        this.rwhich = new int[capacity];
        this.rrows = new int[capacity];
        this.which = new int[capacity];
        this.rows = new int[capacity];
    }

    /** Rows collected so far. */
    int count() {
        return count;
    }

    /** Whether the next output morsel is complete. */
    boolean full() {
        return count == capacity;
    }

    /**
     * Adds one output row: row {@code lr} of {@code left} (or no left row when {@code left} is
     * null) and row {@code rr} of {@code right} (or nulls when {@code right} is null).
     */
    void add(Morsel left, int lr, Morsel right, int rr) {
        lwhich[count] = left == null ? -1 : source(left, leftViews, leftIndex);
        lrows[count] = lr;
        rwhich[count] = right == null ? -1 : source(right, rightViews, rightIndex);
        rrows[count] = rr;
        count++;
    }

    /** Adds rows {@code [from, to)} of {@code left}, each without a right row. */
    void addLeftOnly(Morsel left, int from, int to) {
        int w = source(left, leftViews, leftIndex);
        for (int r = from; r < to; r++) {
            lwhich[count] = w;
            lrows[count] = r;
            rwhich[count] = -1;
            rrows[count] = 0;
            count++;
        }
    }

    /** Room left in the current output morsel. */
    int room() {
        return capacity - count;
    }

    private static int source(Morsel m, List<Morsel> views, Map<Morsel, Integer> index) {
        Integer i = index.get(m);
        if (i == null) {
            i = views.size();
            views.add(m.slice(0, m.rowCount()));
            index.put(m, i);
        }
        return i;
    }

    /** Builds the collected rows as morsel {@code sequence} (null when none) and starts over. */
    Morsel build(long sequence) {
        if (count == 0) {
            return null;
        }
        List<ColumnVector> cols = new ArrayList<>(out.size());
        try {
            for (int c = 0; c < out.size(); c++) {
                ColumnVector[] sources;
                if (c < leftWidth) {
                    int rk = leftKeyFromRight[c];
                    sources = new ColumnVector[leftViews.size() + (rk >= 0 ? rightViews.size() : 0)];
                    for (int s = 0; s < leftViews.size(); s++) {
                        sources[s] = leftViews.get(s).column(c);
                    }
                    for (int k = 0; k < count; k++) {
                        if (lwhich[k] >= 0) {
                            which[k] = lwhich[k];
                            rows[k] = lrows[k];
                        } else if (rk >= 0 && rwhich[k] >= 0) {
                            which[k] = leftViews.size() + rwhich[k];
                            rows[k] = rrows[k];
                        } else {
                            which[k] = -1;
                            rows[k] = 0;
                        }
                    }
                    if (rk >= 0) {
                        for (int s = 0; s < rightViews.size(); s++) {
                            sources[leftViews.size() + s] = rightViews.get(s).column(rk);
                        }
                    }
                } else {
                    int rc = rightColumns[c - leftWidth];
                    sources = new ColumnVector[rightViews.size()];
                    for (int s = 0; s < rightViews.size(); s++) {
                        sources[s] = rightViews.get(s).column(rc);
                    }
                    for (int k = 0; k < count; k++) {
                        which[k] = rwhich[k];
                        rows[k] = rwhich[k] >= 0 ? rrows[k] : 0;
                    }
                }
                try (ColumnBuilder b = ColumnBuilder.create(out.field(c), pool, budget, count)) {
                    b.appendGather(sources, which, rows, count);
                    cols.add(b.build());
                }
            }
        } catch (RuntimeException e) {
            cols.forEach(ColumnVector::close);
            throw e;
        }
        int n = count;
        reset();
        return new Morsel(out, cols, n, sequence);
    }

    private void reset() {
        leftViews.forEach(Morsel::close);
        rightViews.forEach(Morsel::close);
        leftViews.clear();
        rightViews.clear();
        leftIndex.clear();
        rightIndex.clear();
        count = 0;
    }

    @Override
    public void close() {
        reset();
    }
}
