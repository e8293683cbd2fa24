package dev.spillway.operators.sort;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;

import java.util.ArrayList;
import java.util.List;

/**
 * A k-way merge of sorted runs through a loser tree (tournament tree): after the first
 * tournament, each output row costs {@code log2(k)} comparisons, replaying only the path from the
 * winner's leaf to the root, each a comparison of the cursors' native keys ({@link RunCursor}).
 * Rows are recorded as (cursor, row) references and gathered column by column into output
 * morsels of at most {@code blockRows} rows, a batch of at most {@value RunSorter#GATHER_BATCH}
 * references at a time (the merger's only heap arrays besides the tree, whatever the block
 * size); the references are gathered before any cursor moves to its next block, which frees the
 * previous one. Ties between cursors go to the lower cursor index. Not thread-safe.
 */
final class Merger implements AutoCloseable {
    private final KeyEncoder enc;
    private final RunCursor[] cursors;
    private final Schema outSchema;
    private final int blockRows;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final int k;
    /** Internal nodes 1..k-1 hold the loser of their match; {@code tree[0]} holds the overall winner. */
    private final int[] tree;
    private final int[] which;
    private final int[] rows;
    private final ColumnVector[] sources;
    private int pending;
    private List<ColumnBuilder> builders;
    private int built;
    private boolean closed;
    private boolean failed;

    /**
     * Merges {@code cursors} (owned from now on, already positioned on their first block) into
     * morsels of the first {@code outSchema.size()} columns.
     */
    Merger(KeyEncoder enc, List<RunCursor> cursors, Schema outSchema, int blockRows, BlockPool pool, MemoryBudget budget) {
        this.enc = enc;
        this.cursors = cursors.toArray(new RunCursor[0]);
        this.outSchema = outSchema;
        this.blockRows = blockRows;
        this.pool = pool;
        this.budget = budget;
        this.k = Math.max(1, this.cursors.length);
        this.tree = new int[k];
        this.which = new int[Math.min(blockRows, RunSorter.GATHER_BATCH)];
        this.rows = new int[which.length];
        this.sources = new ColumnVector[this.cursors.length];
        if (this.cursors.length > 0) {
            int[] winner = new int[2 * k];
            for (int i = 0; i < k; i++) {
                winner[k + i] = i;
            }
            for (int n = k - 1; n >= 1; n--) {
                int a = winner[2 * n];
                int b = winner[2 * n + 1];
                boolean aWins = beats(a, b);
                winner[n] = aWins ? a : b;
                tree[n] = aWins ? b : a;
            }
            tree[0] = winner[1];
        }
    }

    /** Whether cursor {@code a}'s current row comes before cursor {@code b}'s. */
    private boolean beats(int a, int b) {
        RunCursor x = cursors[a];
        RunCursor y = cursors[b];
        if (x.exhausted) {
            return false;
        }
        if (y.exhausted) {
            return true;
        }
        long w = enc.width();
        int c = enc.compare(x.keys, x.row * w, x.block, x.row, y.keys, y.row * w, y.block, y.row);
        return c < 0 || c == 0 && a < b;
    }

    private void replay(int s) {
        int winner = s;
        for (int t = (s + k) >>> 1; t > 0; t >>>= 1) {
            if (beats(tree[t], winner)) {
                int loser = winner;
                winner = tree[t];
                tree[t] = loser;
            }
        }
        tree[0] = winner;
    }

    /** The next output morsel (sequence {@code sequence}), or null when every run is merged. */
    Morsel next(long sequence) {
        if (failed) {
            throw new IllegalStateException("the merge failed earlier");
        }
        if (closed || cursors.length == 0) {
            return null;
        }
        try {
            return merge(sequence);
        } catch (RuntimeException e) {
            // A half-done step (a block not loaded, references not gathered) cannot be resumed.
            failed = true;
            throw e;
        }
    }

    private Morsel merge(long sequence) {
        while (true) {
            int w = tree[0];
            RunCursor c = cursors[w];
            if (c.exhausted) {
                flush();
                return built > 0 ? build(sequence) : null;
            }
            which[pending] = w;
            rows[pending] = c.row;
            pending++;
            c.row++;
            if (c.row == c.rows) {
                flush();
                c.advance();
            } else if (pending == which.length) {
                flush();
            }
            replay(w);
            if (built + pending >= blockRows) {
                flush();
                return build(sequence);
            }
        }
    }

    /** Gathers the pending row references into the builders. */
    private void flush() {
        if (pending == 0) {
            return;
        }
        if (builders == null) {
            builders = new ArrayList<>(outSchema.size());
            for (int col = 0; col < outSchema.size(); col++) {
                builders.add(ColumnBuilder.create(outSchema.field(col), pool, budget, blockRows));
            }
        }
        for (int col = 0; col < outSchema.size(); col++) {
            for (int i = 0; i < cursors.length; i++) {
                sources[i] = cursors[i].block == null ? null : cursors[i].block.column(col);
            }
            builders.get(col).appendGather(sources, which, rows, pending);
        }
        built += pending;
        pending = 0;
    }

    private Morsel build(long sequence) {
        List<ColumnBuilder> b = builders;
        builders = null;
        int n = built;
        built = 0;
        List<ColumnVector> cols = new ArrayList<>(b.size());
        try {
            for (ColumnBuilder x : b) {
                cols.add(x.build());
            }
        } catch (RuntimeException e) {
            cols.forEach(ColumnVector::close);
            b.forEach(ColumnBuilder::close);
            throw e;
        }
        return new Morsel(outSchema, cols, n, sequence);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (builders != null) {
            builders.forEach(ColumnBuilder::close);
            builders = null;
        }
        for (RunCursor c : cursors) {
            c.close();
        }
    }
}
