package dev.spillway.operators.join;

import dev.spillway.options.JoinType;

import dev.spillway.event.EventSink;
import dev.spillway.event.NestedLoopBuildComplete;
import dev.spillway.event.NestedLoopFinished;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.BooleanVector;
import dev.spillway.memory.ChunkBuilder;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.types.Schema;
import dev.spillway.operators.OperatorContext;
import dev.spillway.operators.eval.EvalContext;
import dev.spillway.operators.eval.PhysicalExpr;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;

/**
 * A block nested-loop join: the build input is materialized into a {@link BlockStore} (which
 * spills blocks under memory pressure); each probe morsel is then joined against every block by
 * a {@link Cursor}, which walks the pairs (probe row, build row) in chunks, evaluates the
 * predicate vectorized over a chunk (the columns it reads are gathered into a pair morsel) and
 * gathers the matching pairs into bounded output morsels. A cross join has no predicate: every
 * pair matches. Nothing is ever as large as the product: a cursor produces at most
 * {@code outputRows} rows per step, and only when pulled.
 *
 * <p>Types: INNER (matching pairs), LEFT (also the probe rows without a match, build columns
 * null), SEMI and ANTI (probe rows with / without a match, once each), RIGHT (also the build rows
 * without a match, probe columns null) and FULL (both). For every type but INNER the probe side
 * is the left input and the build side the right one. A cursor keeps one matched flag per probe
 * row (native, charged to the join) across all blocks, for LEFT, FULL, SEMI and ANTI. For RIGHT
 * and FULL the join keeps one matched bit per build row in a bitmap allocated at
 * {@link #finishBuild} (native, charged to the join, never spilled): bit {@code starts[b] + j}
 * belongs to row {@code j} of block {@code b}, so it follows its row whether the block is
 * resident or read back, in whatever order cursors visit blocks. Cursors of several workers set
 * bits with an atomic OR; the bits are read by {@link UnmatchedRows} once every cursor has
 * closed (the caller orders that, see {@link NestedLoopProbeSource}). A null predicate value
 * never matches. A cursor's pair arrays come from a free list of the join and go back to it when
 * it closes.
 *
 * <p>Lifecycle: {@link #newBuildBuffer} / {@link #finishBuild} while building (concurrently from
 * several workers), then {@link #startProbe} concurrently, then for RIGHT and FULL, after every
 * cursor closed, {@link #startUnmatched} for each block concurrently, then {@link #close}.
 */
public final class NestedLoopJoin implements AutoCloseable {
    /** Most pairs a predicate is evaluated over at once. */
    static final int PAIR_CHUNK = 4096;
    /** Most pairs one step examines, so that a long stretch without matches still yields (for cancellation). */
    static final long PAIRS_PER_STEP = 1L << 20;
    /** Atomic access to the words of the build rows' matched bitmap. */
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();

    /** Phases of the join. */
    enum State {
        /** Materializing the build input into blocks; blocks may spill. */
        BUILDING,
        /** Streaming probe morsels against the blocks. */
        PROBING,
        /** Every probe morsel done: emitting the build rows nothing matched (RIGHT, FULL). */
        EMITTING_UNMATCHED,
        /** Closed: everything released. */
        CLOSED
    }

    private final JoinType type;
    private final PhysicalExpr predicate;
    private final PairLayout predicateLayout;
    private final PairLayout outputLayout;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final MemoryBudget outputBudget;
    private final EvalContext eval;
    private final EventSink events;
    private final BlockStore store;
    private final int outputRows;
    private final int blockRows;
    private final long blockBytes;
    private final LongAdder probeRows = new LongAdder();
    private final LongAdder pairs = new LongAdder();
    private final LongAdder rowsOut = new LongAdder();
    /** Pair arrays of closed cursors, for the next ones. */
    private final ConcurrentLinkedQueue<int[][]> pairArrays = new ConcurrentLinkedQueue<>();
    /** One bit per build row, set once a pair with it matched (RIGHT, FULL; from {@link #finishBuild}). */
    private NativeBuffer buildMatchedBuffer;
    private MemorySegment buildMatched;
    /** First row number of each block in the bitmap, then the total ({@link BlockStore#blockStarts}). */
    private long[] blockStarts;
    private final LongAdder unmatchedBuildRows = new LongAdder();
    private volatile State state = State.BUILDING;

    /**
     * A join of probe morsels against the build input.
     *
     * @param buildSchema     the build input's schema
     * @param type            any join type; for every type but INNER the build input is the right one
     * @param predicate       boolean expression over {@code predicateLayout}'s schema, or null for a
     *                        cross join (every pair matches; INNER only)
     * @param predicateLayout the columns the predicate reads (ignored without a predicate)
     * @param outputLayout    the result columns; for SEMI and ANTI probe columns only
     * @param ctx             the join's context: its {@link OperatorContext#budget() budget} holds build blocks,
     *                        read-back blocks and predicate scratch; result morsels are charged to the output
     *                        budget; evicted build blocks go to its spill directory; at most
     *                        {@link OperatorContext#outputRows()} rows per result morsel
     */
    public NestedLoopJoin(Schema buildSchema, JoinType type, PhysicalExpr predicate, PairLayout predicateLayout,
            PairLayout outputLayout, OperatorContext ctx) {
        if (predicate == null && type != JoinType.INNER) {
            throw new IllegalArgumentException("a cross join (no predicate) is INNER, not " + type);
        }
        if (type.leftColumnsOnly() && outputLayout.readsBuild()) {
            throw new IllegalArgumentException(type + " joins output probe columns only");
        }
        this.type = type;
        this.predicate = predicate;
        this.predicateLayout = predicateLayout;
        this.outputLayout = outputLayout;
        this.pool = ctx.pool();
        this.budget = ctx.budget();
        this.outputBudget = ctx.outputBudget();
        this.eval = new EvalContext(pool, budget);
        this.events = ctx.events();
        int outputRows = ctx.outputRows();
        this.outputRows = Math.max(1, outputRows);
        this.blockRows = Math.max(1, outputRows);
        long cap = budget.effectiveCap();
        // Blocks are the unit of eviction and of read-back: small enough that a few per worker fit
        // in a small budget, large enough that a block's pass over a probe morsel amortises the read.
        this.blockBytes = Math.max(16L << 10, Math.min(4L << 20, cap / 64));
        this.store = new BlockStore(buildSchema, ctx, "nested-loop-build");
    }

    /**
     * Evicts this share (0 to 1) of the build blocks when the build ends, whatever the memory
     * (the store's forced-spill rule: block k when {@code floor((k+1)f) > floor(kf)}).
     */
    public void forceSpill(double fraction) {
        store.forceSpill(fraction);
    }

    /** The join type. */
    public JoinType type() {
        return type;
    }

    /** Whether build rows without a match are emitted at the end, through {@link #startUnmatched} (RIGHT, FULL). */
    public boolean emitsUnmatchedBuild() {
        return type.keepsUnmatchedRight();
    }

    /** Number of build blocks (final once the build has finished). */
    public int blockCount() {
        return store.blockCount();
    }

    /** Build rows emitted without a match so far (RIGHT, FULL). */
    public long unmatchedBuildRows() {
        return unmatchedBuildRows.sum();
    }

    /** The result schema. */
    public Schema outputSchema() {
        return outputLayout.schema();
    }

    /** The spillable store of build blocks, to register with the memory manager. */
    public BlockStore store() {
        return store;
    }

    /** Pairs (probe row, build row) examined so far. */
    public long pairsExamined() {
        return pairs.sum();
    }

    /** Result rows produced so far. */
    public long rowsProduced() {
        return rowsOut.sum();
    }

    // ================================================================== build

    /** A worker's unsealed build rows; sealed into a block when full and at {@link #flush}. */
    public final class BuildBuffer implements AutoCloseable {
        private ChunkBuilder open;

        private BuildBuffer() {
        }

        /** Copies the rows of {@code m} (closed here) into blocks. */
        public void add(Morsel m) {
            try (m) {
                int n = m.rowCount();
                int from = 0;
                while (from < n) {
                    if (open == null) {
                        open = new ChunkBuilder(store.schema(), pool, budget, Math.min(blockRows, n - from));
                    }
                    int take = Math.min(n - from, blockRows - open.rows());
                    open.appendRange(m, from, from + take);
                    from += take;
                    if (open.rows() >= blockRows || open.byteSize() >= blockBytes) {
                        flush();
                    }
                }
            }
        }

        /** Seals the open rows into a block. */
        public void flush() {
            if (open != null) {
                ChunkBuilder c = open;
                open = null;
                store.add(c.seal());
            }
        }

        @Override
        public void close() {
            if (open != null) {
                open.close();
                open = null;
            }
        }
    }

    /** A buffer for one worker of the build pipeline. */
    public BuildBuffer newBuildBuffer() {
        return new BuildBuffer();
    }

    /**
     * Ends the build: applies forced spilling, allocates the build rows' matched bitmap (RIGHT,
     * FULL) and switches to probing.
     */
    public void finishBuild() {
        store.finishInput();
        if (type.keepsUnmatchedRight()) {
            long[] starts = store.blockStarts();
            long words = Math.max(1, (starts[starts.length - 1] + 63) >>> 6);
            NativeBuffer b = pool.allocateZeroed(budget, words * Long.BYTES);
            synchronized (this) {
                if (state == State.CLOSED) {
                    b.close();
                    throw new IllegalStateException("nested-loop join is closed");
                }
                buildMatchedBuffer = b;
                buildMatched = b.segment();
                blockStarts = starts;
            }
        }
        state = State.PROBING;
        events.accept(new NestedLoopBuildComplete(BlockStore.COMPONENT, type.toString(), store.rowCount(), store.blockCount(),
                store.byteSize(), store.spilledBlocks(), predicate == null ? null : predicate.toString()));
    }

    // ================================================================== probe

    /**
     * A piece of the result produced in steps of at most {@code outputRows} rows: the result of one
     * probe morsel ({@link Cursor}) or the unmatched rows of one build block ({@link UnmatchedRows}).
     * Used by one thread at a time.
     */
    public sealed interface Step extends AutoCloseable permits Cursor, UnmatchedRows {
        /** Whether every row of this piece has been produced. */
        boolean done();

        /** The next rows (possibly none), at most {@code outputRows}; the caller owns the morsel. */
        Morsel next(long sequence);

        /** Releases what the step holds. Idempotent. */
        @Override
        void close();
    }

    /** Starts joining one probe morsel (taking ownership) against every build block. */
    public Cursor startProbe(Morsel m) {
        if (state != State.PROBING) {
            m.close();
            throw new IllegalStateException("nested-loop join is " + state + ", not probing");
        }
        probeRows.add(m.rowCount());
        try {
            return new Cursor(m);
        } catch (RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    /**
     * The result of one probe morsel against all build blocks, produced in steps of at most
     * {@code outputRows} rows. Holds the probe morsel and at most one build block at a time.
     * Used by one thread at a time.
     */
    public final class Cursor implements Step {
        private final Morsel probe;
        private final int n;
        /** One byte per probe row, nonzero once it matched; null for INNER and RIGHT. */
        private final NativeBuffer matchedBuffer;
        private final MemorySegment matched;
        private final int blocks;
        private final int[][] arrays;
        private final int[] pi;
        private final int[] bj;
        private final int[] selProbe;
        private final int[] selBuild;
        private final int[] emitProbe;
        private final int[] emitBuild;
        /** Matches of the last evaluated chunk not yet emitted: {@code sel*[pendingFrom .. pendingTo)}. */
        private int pendingFrom;
        private int pendingTo;
        private BlockStore.Handle current;
        private int block;
        private int i;
        private int j;
        private int tailRow;
        private boolean pairsDone;
        private boolean done;
        private boolean closed;

        private Cursor(Morsel probe) {
            this.probe = probe;
            this.n = probe.rowCount();
            this.matchedBuffer = type == JoinType.INNER || type == JoinType.RIGHT ? null : pool.allocateZeroed(budget, Math.max(1, n));
            this.matched = matchedBuffer == null ? null : matchedBuffer.segment();
            int[][] a = pairArrays.poll();
            this.arrays = a != null ? a : new int[6][PAIR_CHUNK];
            this.pi = arrays[0];
            this.bj = arrays[1];
            this.selProbe = arrays[2];
            this.selBuild = arrays[3];
            this.emitProbe = arrays[4];
            this.emitBuild = arrays[5];
            this.blocks = store.blockCount();
            this.pairsDone = n == 0;
            this.done = n == 0;
        }

        /** Whether every result row of this probe morsel has been produced. */
        @Override
        public boolean done() {
            return done;
        }

        /**
         * The next result rows (possibly none, after a long stretch of pairs without a match),
         * at most {@code outputRows}; the caller owns the morsel.
         */
        @Override
        public Morsel next(long sequence) {
            ChunkBuilder out = new ChunkBuilder(outputLayout.schema(), pool, outputBudget, Math.min(outputRows, PAIR_CHUNK));
            try {
                long examined = 0;
                while (!done && out.rows() < outputRows && examined < PAIRS_PER_STEP) {
                    if (pendingFrom < pendingTo) {
                        emitPending(out);
                        continue;
                    }
                    if (pairsDone) {
                        emitTail(out);
                        continue;
                    }
                    if (current == null) {
                        if (block == blocks) {
                            pairsDone = true;
                            continue;
                        }
                        current = store.acquire(block);
                        i = 0;
                        j = 0;
                    }
                    int k = fillPairs(current.morsel().rowCount(), PAIR_CHUNK);
                    if (k == 0) {
                        current.close();
                        current = null;
                        block++;
                        continue;
                    }
                    examined += k;
                    pairs.add(k);
                    match(current.morsel(), block, k);
                }
                rowsOut.add(out.rows());
                Morsel result = out.seal(sequence);
                out = null;
                return result;
            } finally {
                if (out != null) {
                    out.close();
                }
            }
        }

        /** Fills up to {@code want} pairs from position (i, j), probe-row major; SEMI and ANTI skip rows already matched. */
        private int fillPairs(int blockRowCount, int want) {
            int k = 0;
            boolean skipMatched = type.leftColumnsOnly();
            while (k < want && i < n) {
                if (skipMatched && matched.get(ValueLayout.JAVA_BYTE, i) != 0) {
                    i++;
                    j = 0;
                    continue;
                }
                int take = Math.min(want - k, blockRowCount - j);
                for (int t = 0; t < take; t++) {
                    pi[k + t] = i;
                    bj[k + t] = j + t;
                }
                k += take;
                j += take;
                if (j == blockRowCount) {
                    i++;
                    j = 0;
                }
            }
            return k;
        }

        /** Evaluates the predicate over {@code k} pairs; records the matches, and keeps them pending when they are emitted. */
        private void match(Morsel build, int b, int k) {
            int m;
            if (predicate == null) {
                System.arraycopy(pi, 0, selProbe, 0, k);
                System.arraycopy(bj, 0, selBuild, 0, k);
                m = k;
            } else {
                m = 0;
                try (Morsel pairMorsel = gather(predicateLayout, build, k);
                        ColumnVector mv = predicate.evaluate(pairMorsel, eval)) {
                    BooleanVector mask = (BooleanVector) mv;
                    for (int t = 0; t < k; t++) {
                        if (!mask.isNull(t) && mask.get(t)) {
                            selProbe[m] = pi[t];
                            selBuild[m] = bj[t];
                            m++;
                        }
                    }
                }
            }
            if (matched != null) {
                for (int t = 0; t < m; t++) {
                    matched.set(ValueLayout.JAVA_BYTE, selProbe[t], (byte) 1);
                }
            }
            if (buildMatched != null) {
                markBuildRows(blockStarts[b], m);
            }
            pendingFrom = 0;
            pendingTo = type.emitsPairs() ? m : 0;
        }

        /**
         * Sets the bits of the matched build rows {@code selBuild[0 .. m)} of the block starting at
         * row {@code start}. A plain read first skips bits already set, so that the atomic OR
         * (other workers' cursors set bits of the same words) is paid once per row at most.
         */
        private void markBuildRows(long start, int m) {
            MemorySegment bits = buildMatched;
            for (int t = 0; t < m; t++) {
                long row = start + selBuild[t];
                long offset = (row >>> 6) * Long.BYTES;
                long bit = 1L << (row & 63);
                if ((bits.get(ValueLayout.JAVA_LONG, offset) & bit) == 0) {
                    WORD.getAndBitwiseOr(bits, offset, bit);
                }
            }
        }

        /** Gathers as many pending matches as {@code out} has room for (the current block stays held until then). */
        private void emitPending(ChunkBuilder out) {
            int e = Math.min(pendingTo - pendingFrom, outputRows - out.rows());
            int[] rowsP = selProbe;
            int[] rowsB = selBuild;
            if (pendingFrom > 0) {
                System.arraycopy(selProbe, pendingFrom, emitProbe, 0, e);
                System.arraycopy(selBuild, pendingFrom, emitBuild, 0, e);
                rowsP = emitProbe;
                rowsB = emitBuild;
            }
            Morsel build = current.morsel();
            for (int c = 0; c < outputLayout.size(); c++) {
                boolean b = outputLayout.fromBuild(c);
                ColumnVector src = (b ? build : probe).column(outputLayout.column(c));
                out.column(c).appendGather(new ColumnVector[] {src}, null, b ? rowsB : rowsP, e);
            }
            for (int t = 0; t < e; t++) {
                out.rowAppended();
            }
            pendingFrom += e;
        }

        /** The layout's columns for {@code k} pairs, gathered from the probe morsel and the block. */
        private Morsel gather(PairLayout layout, Morsel build, int k) {
            List<ColumnVector> cols = new ArrayList<>(layout.size());
            // Pairs are filled probe-row major: when the chunk stays on one probe row, its build rows
            // are one contiguous run of the block, which is used in place instead of gathered.
            boolean oneProbeRow = pi[0] == pi[k - 1];
            try {
                for (int c = 0; c < layout.size(); c++) {
                    boolean b = layout.fromBuild(c);
                    ColumnVector src = (b ? build : probe).column(layout.column(c));
                    if (b && oneProbeRow) {
                        cols.add(src.slice(bj[0], k));
                        continue;
                    }
                    try (ColumnBuilder cb = ColumnBuilder.create(src, pool, budget, k)) {
                        cb.appendGather(new ColumnVector[] {src}, null, b ? bj : pi, k);
                        cols.add(cb.build());
                    }
                }
            } catch (RuntimeException e) {
                cols.forEach(ColumnVector::close);
                throw e;
            }
            return new Morsel(layout.schema(), cols, k, 0);
        }

        /**
         * After the last block: LEFT and FULL emit unmatched rows with null build columns, SEMI
         * matched rows, ANTI unmatched rows.
         */
        private void emitTail(ChunkBuilder out) {
            if (type == JoinType.INNER || type == JoinType.RIGHT) {
                done = true;
                return;
            }
            boolean wantMatched = type == JoinType.SEMI;
            int m = 0;
            while (tailRow < n && out.rows() + m < outputRows && m < PAIR_CHUNK) {
                if ((matched.get(ValueLayout.JAVA_BYTE, tailRow) != 0) == wantMatched) {
                    selProbe[m++] = tailRow;
                }
                tailRow++;
            }
            if (m > 0) {
                for (int c = 0; c < outputLayout.size(); c++) {
                    ColumnBuilder cb = out.column(c);
                    if (outputLayout.fromBuild(c)) {
                        for (int t = 0; t < m; t++) {
                            cb.appendNull();
                        }
                    } else {
                        cb.appendGather(new ColumnVector[] {probe.column(outputLayout.column(c))}, null, selProbe, m);
                    }
                }
                for (int t = 0; t < m; t++) {
                    out.rowAppended();
                }
            }
            done = tailRow == n;
        }

        /** Releases the probe morsel, the block in use and the match flags; gives the pair arrays back. Idempotent. */
        @Override
        public void close() {
            done = true;
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (current != null) {
                    current.close();
                    current = null;
                }
                probe.close();
            } finally {
                if (matchedBuffer != null) {
                    matchedBuffer.close();
                }
                pairArrays.offer(arrays);
            }
        }
    }

    // ================================================================== unmatched build rows

    /**
     * Starts emitting the rows of build block {@code block} that no probe row matched (RIGHT,
     * FULL), probe columns null. Call only after every {@link Cursor} has closed, with a
     * happens-before edge from their closing (their bits are then all set); blocks may be handed to
     * several threads, one block to one step.
     *
     * @throws IllegalStateException for a join that keeps no unmatched build rows, or one not probing
     * @throws IndexOutOfBoundsException for a block that does not exist
     */
    public UnmatchedRows startUnmatched(int block) {
        if (!type.keepsUnmatchedRight()) {
            throw new IllegalStateException("a " + type + " nested-loop join emits no unmatched build rows");
        }
        State s = state;
        if (s != State.PROBING && s != State.EMITTING_UNMATCHED) {
            throw new IllegalStateException("nested-loop join is " + s + ", not done probing");
        }
        if (block < 0 || block >= blockStarts.length - 1) {
            throw new IndexOutOfBoundsException("build block " + block + " of " + (blockStarts.length - 1));
        }
        state = State.EMITTING_UNMATCHED;
        return new UnmatchedRows(block);
    }

    /** The unmatched rows of one build block, holding that block (pinned or read back) while in use. */
    public final class UnmatchedRows implements Step {
        private final int block;
        private final int rows;
        private final long start;
        private final int[] selected = new int[PAIR_CHUNK];
        private BlockStore.Handle handle;
        private int row;
        private boolean done;
        private boolean closed;

        private UnmatchedRows(int block) {
            this.block = block;
            this.start = blockStarts[block];
            this.rows = (int) (blockStarts[block + 1] - start);
            this.done = rows == 0;
        }

        @Override
        public boolean done() {
            return done;
        }

        @Override
        public Morsel next(long sequence) {
            ChunkBuilder out = new ChunkBuilder(outputLayout.schema(), pool, outputBudget, Math.min(outputRows, PAIR_CHUNK));
            try {
                MemorySegment bits = buildMatched;
                while (!done && out.rows() < outputRows) {
                    int m = 0;
                    int room = Math.min(PAIR_CHUNK, outputRows - out.rows());
                    while (row < rows && m < room) {
                        long r = start + row;
                        // Plain reads: every cursor closed before this step started (see startUnmatched).
                        if ((bits.get(ValueLayout.JAVA_LONG, (r >>> 6) * Long.BYTES) & (1L << (r & 63))) == 0) {
                            selected[m++] = row;
                        }
                        row++;
                    }
                    if (m > 0) {
                        if (handle == null) {
                            handle = store.acquire(block);
                        }
                        Morsel build = handle.morsel();
                        for (int c = 0; c < outputLayout.size(); c++) {
                            ColumnBuilder cb = out.column(c);
                            if (outputLayout.fromBuild(c)) {
                                cb.appendGather(new ColumnVector[] {build.column(outputLayout.column(c))}, null, selected, m);
                            } else {
                                for (int t = 0; t < m; t++) {
                                    cb.appendNull();
                                }
                            }
                        }
                        for (int t = 0; t < m; t++) {
                            out.rowAppended();
                        }
                    }
                    done = row == rows;
                }
                if (done) {
                    releaseBlock();
                }
                rowsOut.add(out.rows());
                unmatchedBuildRows.add(out.rows());
                Morsel result = out.seal(sequence);
                out = null;
                return result;
            } finally {
                if (out != null) {
                    out.close();
                }
            }
        }

        private void releaseBlock() {
            if (handle != null) {
                handle.close();
                handle = null;
            }
        }

        /** Releases the block if held. Idempotent. */
        @Override
        public void close() {
            done = true;
            if (closed) {
                return;
            }
            closed = true;
            releaseBlock();
        }
    }

    /**
     * Frees the build blocks, deletes their spill files and closes this join's budget; logs a
     * summary. Idempotent. Cursors and build buffers are their owners' to close (the budget stays
     * open while they still hold memory, so that a late close is still accounted).
     */
    @Override
    public synchronized void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        events.accept(new NestedLoopFinished(BlockStore.COMPONENT, type.toString(), probeRows.sum(), store.rowCount(), pairs.sum(),
                rowsOut.sum(), store.spilledBlocks(), store.readBackBlocks(), store.readBackBytes()));
        try {
            store.close();
        } finally {
            if (buildMatchedBuffer != null) {
                buildMatchedBuffer.close();
                buildMatchedBuffer = null;
                buildMatched = null;
            }
        }
        if (budget.reserved() == 0) {
            budget.close();
        }
    }
}
