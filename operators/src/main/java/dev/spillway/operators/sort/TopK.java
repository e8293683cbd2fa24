package dev.spillway.operators.sort;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;

import java.util.ArrayList;
import java.util.List;

/**
 * The first {@code k} rows of a sort without sorting everything: each worker keeps a bounded
 * sorted buffer — its best {@code k} rows so far plus the morsels that arrived since — and when
 * the arrivals reach {@code max(k, blockRows)} rows it sorts the buffer and keeps the best
 * {@code k} again. At the end the workers' best rows are sorted once more and cut to {@code k}.
 * Memory is {@code O(k + blockRows)} rows per worker; the operator never spills.
 *
 * <p>Ties are broken by input position (the spec is made stable), so the result equals the
 * first {@code k} rows of a stable sort, whichever worker saw which row.
 */
public final class TopK implements AutoCloseable {
    /** A worker's bounded buffer. */
    public static final class Local implements AutoCloseable {
        private List<Morsel> best = new ArrayList<>();
        private List<Morsel> pending = new ArrayList<>();
        private long pendingRows;

        @Override
        public void close() {
            best.forEach(Morsel::close);
            best.clear();
            pending.forEach(Morsel::close);
            pending.clear();
        }
    }

    private final SortSpec spec;
    private final KeyEncoder enc;
    private final long k;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final MemoryBudget outputBudget;
    private final int blockRows;
    private final long reduceRows;
    private final List<Morsel> gathered = new ArrayList<>();
    private List<Morsel> result = List.of();
    private int nextResult;
    private boolean closed;

    /**
     * Creates the operator.
     *
     * @param spec      the sort keys (made stable here)
     * @param k         rows to keep
     * @param budget       budget of the workers' buffers (closed by this operator)
     * @param outputBudget budget the result morsels are charged to (they outlive the operator)
     * @param blockRows    most rows per output morsel
     */
    public TopK(SortSpec spec, long k, BlockPool pool, MemoryBudget budget, MemoryBudget outputBudget, int blockRows) {
        if (k < 0) {
            throw new IllegalArgumentException("top-k needs k >= 0, got " + k);
        }
        this.spec = spec.withStable(true);
        this.enc = new KeyEncoder(this.spec);
        this.k = k;
        this.pool = pool;
        this.budget = budget;
        this.outputBudget = outputBudget;
        this.blockRows = Math.max(1, blockRows);
        this.reduceRows = Math.max(k, this.blockRows);
    }

    /** The spec (stable). */
    public SortSpec spec() {
        return spec;
    }

    /** Rows kept. */
    public long k() {
        return k;
    }

    /** A worker's buffer. */
    public Local newLocal() {
        return new Local();
    }

    /** Adds a morsel (taking ownership) to a worker's buffer, cutting the buffer back to {@code k} rows when full. */
    public void consume(Local local, Morsel m) {
        if (k == 0 || m.rowCount() == 0) {
            m.close();
            return;
        }
        local.pending.add(RunSorter.withPositions(spec, m, pool, budget));
        local.pendingRows += m.rowCount();
        if (local.pendingRows >= reduceRows) {
            reduce(local);
        }
    }

    private void reduce(Local local) {
        List<Morsel> batch = new ArrayList<>(local.best);
        batch.addAll(local.pending);
        local.best = new ArrayList<>();
        local.pending = new ArrayList<>();
        local.pendingRows = 0;
        local.best = RunSorter.sort(enc, batch, k, blockRows, pool, budget);
    }

    /** Cuts a worker's buffer to its best {@code k} rows and hands them to the final merge. */
    public void combine(Local local) {
        try (local) {
            if (!local.pending.isEmpty()) {
                reduce(local);
            }
            synchronized (gathered) {
                gathered.addAll(local.best);
                local.best = new ArrayList<>();
            }
        }
    }

    /** Sorts the workers' best rows and keeps the first {@code k}. */
    public void finishInput() {
        List<Morsel> all;
        synchronized (gathered) {
            all = new ArrayList<>(gathered);
            gathered.clear();
        }
        result = RunSorter.sort(enc, all, k, blockRows, pool, outputBudget);
    }

    /** The next morsel of the result (without the position column), or null at the end. */
    public Morsel next(long sequence) {
        if (nextResult >= result.size()) {
            return null;
        }
        Morsel m = result.get(nextResult);
        result.set(nextResult++, null);
        try (m) {
            int[] cols = new int[spec.inputSchema().size()];
            for (int c = 0; c < cols.length; c++) {
                cols[c] = c;
            }
            try (Morsel selected = m.select(cols)) {
                return selected.withSequence(sequence);
            }
        }
    }

    /** Frees everything. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Morsel m : result) {
            if (m != null) {
                m.close();
            }
        }
        synchronized (gathered) {
            gathered.forEach(Morsel::close);
            gathered.clear();
        }
        budget.close();
    }
}
