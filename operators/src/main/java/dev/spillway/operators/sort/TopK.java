package dev.spillway.operators.sort;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The first {@code k} rows of a sort without sorting everything: each worker keeps a bounded
 * sorted buffer — its best {@code k} rows so far plus the morsels that arrived since — and when
 * the arrivals reach {@code max(k, min(blockRows, 4096))} rows it sorts the buffer and keeps the
 * best {@code k} again (the first cut may take part of a morsel, the rest of which is then
 * filtered). Once it holds {@code k} rows, the key of its k-th row is a threshold: arriving
 * rows whose encoded key is larger are dropped before they are buffered (on a 50M-row top-100,
 * nearly all of them), so the buffer is rarely sorted. At the end the workers' best rows are sorted once more and cut to {@code k}.
 * Memory is {@code O(k + blockRows)} rows per worker, all native: the buffered morsels, the sorts'
 * working memory ({@link RunSorter}) and a scratch buffer for the keys of the morsel being
 * filtered; the operator never spills.
 *
 * <p>Ties are broken by input position (the spec is made stable), so the result equals the
 * first {@code k} rows of a stable sort, whichever worker saw which row.
 */
public final class TopK implements AutoCloseable {
    /**
     * Rows buffered before a cut when {@code k} is smaller: the first cut yields the threshold, and
     * a small one lets the rest of the first morsel be filtered instead of sorted. Later cuts are
     * rare, since nearly every row fails the threshold.
     */
    static final int FIRST_CUT_ROWS = 4096;
    /** A worker's bounded buffer. */
    public static final class Local implements AutoCloseable {
        private List<Morsel> best = new ArrayList<>();
        private List<Morsel> pending = new ArrayList<>();
        private long pendingRows;
        /** The encoded key of the k-th best row so far (null until k rows were kept). */
        private long[] threshold;
        /** Native: the keys of the morsel being filtered, then the rows it keeps (int32). */
        private final ScratchBuffer scratch;
        /** Rows of one gather call. */
        private final int[] batch = new int[RunSorter.GATHER_BATCH];

        private Local(BlockPool pool, MemoryBudget budget) {
            this.scratch = new ScratchBuffer(pool, budget);
        }

        @Override
        public void close() {
            best.forEach(Morsel::close);
            best.clear();
            pending.forEach(Morsel::close);
            pending.clear();
            scratch.close();
        }
    }

    private final SortSpec spec;
    private final KeyEncoder enc;
    /** The same keys without the position slot: what the threshold test encodes of each arriving row. */
    private final KeyEncoder keyEnc;
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
        this.keyEnc = new KeyEncoder(this.spec.withStable(false));
        this.k = k;
        this.pool = pool;
        this.budget = budget;
        this.outputBudget = outputBudget;
        this.blockRows = Math.max(1, blockRows);
        this.reduceRows = Math.max(k, Math.min(this.blockRows, FIRST_CUT_ROWS));
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
        return new Local(pool, budget);
    }

    /** Adds a morsel (taking ownership) to a worker's buffer, cutting the buffer back to {@code k} rows when full. */
    public void consume(Local local, Morsel m) {
        int n = m.rowCount();
        if (k == 0 || n == 0) {
            m.close();
            return;
        }
        if (local.threshold != null) {
            add(local, keepCandidates(local, m, 0));
            return;
        }
        // Until a threshold exists every row is buffered. Take only the rows that complete the
        // first cut, so that the rest of the morsel is tested against the threshold the cut makes
        // (the first cut sorts reduceRows rows rather than a whole morsel).
        int head = (int) Math.min(n, reduceRows - local.pendingRows);
        if (head == n) {
            add(local, RunSorter.withPositions(spec, m, pool, budget));
            return;
        }
        Morsel rest;
        try (m) {
            add(local, RunSorter.withPositions(spec, m.slice(0, head), pool, budget));
            rest = m.slice(head, n - head);
        }
        add(local, local.threshold == null ? RunSorter.withPositions(spec, rest, head, pool, budget)
                : keepCandidates(local, rest, head));
    }

    private void add(Local local, Morsel rows) {
        if (rows == null) {
            return;
        }
        local.pending.add(rows);
        local.pendingRows += rows.rowCount();
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
        long kept = 0;
        for (Morsel b : local.best) {
            kept += b.rowCount();
        }
        if (kept == k) {
            // The k-th best key: a later row whose key is larger cannot make the top k.
            Morsel last = local.best.get(local.best.size() - 1);
            int w = enc.width();
            MemorySegment words = local.scratch.ensure(enc.bytesFor(last.rowCount()));
            enc.encode(last, words, 0);
            if (local.threshold == null) {
                local.threshold = new long[w];
            }
            MemorySegment.copy(words, KeyEncoder.WORD, enc.bytesFor(last.rowCount() - 1), local.threshold, 0, w);
        }
    }

    /**
     * The rows of {@code m} (closed here) that may still make the top k, with their position
     * column: those whose key (without the position) is not decidedly larger than the threshold's
     * (ties, also on a string prefix, are kept); null when none is. Only the key words are encoded
     * for the test, and the position column is made for the survivors only. {@code m}'s rows are
     * rows {@code first ..} of the input morsel under its sequence number.
     */
    private Morsel keepCandidates(Local local, Morsel m, int first) {
        int n = m.rowCount();
        int w = keyEnc.width();
        int decisive = keyEnc.conclusiveWidth();
        long keyBytes = keyEnc.bytesFor(n);
        MemorySegment scratch;
        try {
            scratch = local.scratch.ensure(keyBytes + SortKernel.indexBytes(n));
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        // The kept rows follow the keys, as int32.
        MemorySegment sel = scratch.asSlice(keyBytes, SortKernel.indexBytes(n));
        long[] t = local.threshold;
        int kept = 0;
        int screened = keyEnc.screenFirstKey(m, t, sel);
        if (screened >= 0) {
            // Rows whose first key ties the threshold's are settled by their encoded key.
            for (int i = 0; i < screened; i++) {
                int r = sel.getAtIndex(SortKernel.INDEX, i);
                if (r < 0) {
                    r = ~r;
                    if (decisive > keyEnc.firstKeyWidth()) {
                        try (Morsel row = m.slice(r, 1)) {
                            keyEnc.encode(row, scratch, 0);
                        }
                        if (compare(scratch, 0, t, decisive) > 0) {
                            continue;
                        }
                    }
                }
                sel.setAtIndex(SortKernel.INDEX, kept++, r);
            }
        } else {
            keyEnc.encode(m, scratch, 0);
            MemorySegment keys = scratch.asSlice(0, keyBytes);
            for (int r = 0; r < n; r++) {
                if (compare(keys, (long) r * w, t, decisive) <= 0) {
                    sel.setAtIndex(SortKernel.INDEX, kept++, r);
                }
            }
        }
        if (kept == n) {
            return RunSorter.withPositions(spec, m, first, pool, budget);
        }
        try (m) {
            if (kept == 0) {
                return null;
            }
            int[] batch = local.batch;
            ColumnVector[] one = new ColumnVector[1];
            List<ColumnVector> cols = new ArrayList<>(m.columnCount() + 1);
            try {
                for (int c = 0; c < m.columnCount(); c++) {
                    one[0] = m.column(c);
                    try (ColumnBuilder b = ColumnBuilder.create(one[0], pool, budget, kept)) {
                        for (int done = 0; done < kept; done += batch.length) {
                            int count = Math.min(batch.length, kept - done);
                            MemorySegment.copy(sel, SortKernel.INDEX, SortKernel.indexBytes(done), batch, 0, count);
                            b.appendGather(one, null, batch, count);
                        }
                        cols.add(b.build());
                    }
                }
                try (Int64Builder pos = (Int64Builder) ColumnBuilder.create(DataType.INT64, pool, budget, kept)) {
                    long base = m.sequence() << 32;
                    for (int i = 0; i < kept; i++) {
                        pos.append(base | (first + sel.getAtIndex(SortKernel.INDEX, i)));
                    }
                    cols.add(pos.build());
                }
            } catch (RuntimeException e) {
                cols.forEach(ColumnVector::close);
                throw e;
            }
            return new Morsel(spec.internalSchema(), cols, kept, m.sequence());
        }
    }

    /** Compares the first {@code decisive} words of the key at word {@code at} of {@code keys} with {@code t}'s. */
    private static int compare(MemorySegment keys, long at, long[] t, int decisive) {
        for (int i = 0; i < decisive; i++) {
            int c = Long.compareUnsigned(keys.getAtIndex(KeyEncoder.WORD, at + i), t[i]);
            if (c != 0) {
                return c;
            }
        }
        return 0;
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
