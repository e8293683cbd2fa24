package dev.spillway.operators.merge;

import dev.spillway.event.EventSink;
import dev.spillway.event.MergeJoinDone;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.Spillable;
import dev.spillway.operators.OperatorContext;
import dev.spillway.options.JoinType;
import dev.spillway.operators.sort.KeyEncoder;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.concurrent.locks.ReentrantLock;

/**
 * A streaming merge join of two inputs sorted ascending on their join keys, as the source of the
 * pipeline that consumes its result.
 *
 * <p>Both inputs are read in order by one puller at a time (this source's lock, see the package
 * documentation). The join walks them side by side: a left key smaller than the right one is
 * unmatched, a larger right key is unmatched, and for equal keys the right rows of that key (the
 * <i>run</i>) are buffered in a {@link RunBuffer} and joined with each block of left rows of the
 * key. Memory is bounded by the largest right run; a run that does not fit spills and is re-read
 * for every block of matching left rows. SEMI and ANTI joins buffer nothing. Null keys never
 * match, wherever the inputs' sort put them.
 *
 * <p>Output columns are the hash join's: every left column, then the right non-key columns; an
 * unmatched right row (RIGHT, FULL) takes its left key columns from its right keys. Rows leave in
 * key order, numbered densely from 0: for INNER, LEFT, SEMI and ANTI joins in the left input's
 * order (so the result is sorted like the left input), except that the pairs of one key come
 * chunk by chunk of the buffered run (each chunk against the key's block of left rows, so that a
 * spilled run is read once per block). Each input's order is checked while merging
 * ({@link UnsortedInputException}).
 */
public final class MergeJoin implements Source, Spillable {
    /** What the join does next. */
    private enum State {
        /** Comparing the current left and right rows. */
        ADVANCE,
        /** Buffering the right rows equal to the current key. */
        COLLECT_RUN,
        /** Joining the left rows of the current key with the buffered run. */
        JOIN_RUN,
        /** The left input ended: emitting the unmatched rest of the right input (RIGHT, FULL). */
        DRAIN_RIGHT,
        /** Everything was emitted. */
        DONE
    }

    private final String name;
    private final JoinType how;
    private final SortedCursor left;
    private final SortedCursor right;
    private final RowGather out;
    private final RunBuffer run;
    private final MemoryBudget budget;
    private final EventSink events;
    private final int morselRows;
    private final ReentrantLock lock = new ReentrantLock();
    /** Bytes of the run being collected in memory, for the memory manager (read without the lock). */
    private volatile long runBytes;
    private boolean inRunAdd;
    /** Another worker needed memory while this join was busy: spill the run at the next step. */
    private volatile boolean spillRequested;

    private State state = State.ADVANCE;
    private SortedCursor.KeyRef runKey;
    private long runs;
    private long sequence;
    private long rowsOut;
    private boolean failed;
    private boolean closed;
    // Iteration over the current left block [blockFrom, blockTo) x the run's chunks.
    private boolean inBlock;
    private int blockFrom;
    private int blockTo;
    private int li;
    private int chunk;
    private int ri;
    private Morsel chunkMorsel;

    /**
     * A merge join.
     *
     * @param leftInput   the left input in order (its own operators included)
     * @param leftSchema  its schema
     * @param leftKeys    the left key positions
     * @param rightInput  the right input in order
     * @param rightSchema its schema
     * @param rightKeys   the right key positions, pairwise of the left keys' types
     * @param how         the join type
     * @param output      the output schema: left columns, then right non-key columns
     * @param leftSorted  why the left input is believed sorted (for errors), e.g. "declared with setSorted"
     * @param rightSorted the same for the right input
     * @param ctx         the join's context: its {@link OperatorContext#budget() budget} (buffered runs) is its own
     *                    and closed with the join; output morsels, which may outlive the join, are charged to
     *                    the output budget; runs spill to its spill directory
     */
    public MergeJoin(OrderedInput leftInput, Schema leftSchema, int[] leftKeys, OrderedInput rightInput, Schema rightSchema,
            int[] rightKeys, JoinType how, Schema output, String leftSorted, String rightSorted, OperatorContext ctx) {
        this.name = "merge-join";
        this.how = how;
        this.budget = ctx.budget();
        this.events = ctx.events();
        this.morselRows = ctx.outputRows();
        KeyEncoder encoder = SortedCursor.encoderFor(leftSchema, leftKeys);
        this.left = new SortedCursor(name, "left", leftInput, leftSchema, leftKeys, encoder, leftSorted, ctx.pool(), budget);
        this.right = new SortedCursor(name, "right", rightInput, rightSchema, rightKeys, encoder, rightSorted, ctx.pool(),
                budget);
        int[] leftKeyFromRight = new int[leftSchema.size()];
        java.util.Arrays.fill(leftKeyFromRight, -1);
        for (int k = 0; k < leftKeys.length; k++) {
            leftKeyFromRight[leftKeys[k]] = rightKeys[k];
        }
        int[] rightCols = how.leftColumnsOnly() ? new int[0] : nonKeys(rightSchema.size(), rightKeys);
        if (output.size() != leftSchema.size() + rightCols.length) {
            throw new IllegalArgumentException("merge join output has " + output.size() + " columns, expected "
                    + (leftSchema.size() + rightCols.length));
        }
        this.out = new RowGather(output, leftSchema.size(), leftKeyFromRight, rightCols, morselRows, ctx.pool(), ctx.outputBudget());
        this.run = new RunBuffer(name, rightSchema, morselRows, ctx);
    }

    private static int[] nonKeys(int width, int[] keys) {
        return java.util.stream.IntStream.range(0, width).filter(c -> java.util.Arrays.stream(keys).noneMatch(k -> k == c))
                .toArray();
    }

    /**
     * Sends this share of the runs to disk from their start even without memory pressure, to
     * exercise the spilled path (the store's forced-spill rule: run k when
     * {@code floor((k+1)f) > floor(kf)}; 1.0 sends every run).
     */
    public void forceSpill(double fraction) {
        run.forceSpill(fraction);
    }

    /** The join type. */
    public JoinType type() {
        return how;
    }

    /** Runs that spilled so far. */
    public long spilledRuns() {
        return run.spilledRuns();
    }

    @Override
    public String name() {
        return name + " (" + how + ")";
    }

    @Override
    public Morsel next(TaskContext ctx) {
        lock.lock();
        try {
            if (failed || closed || ctx.isCancelled()) {
                return null;
            }
            return produce(ctx);
        } catch (RuntimeException e) {
            // The query fails with this error; later pulls must not report a second one.
            failed = true;
            throw e;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isExhausted() {
        lock.lock();
        try {
            return state == State.DONE && out.count() == 0 || failed || closed;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long spillableBytes() {
        return runBytes;
    }

    /**
     * Moves the run being collected to disk. Answers 0 at once when another worker holds the
     * join (the memory manager's rule: never wait for another worker); the worker that runs the
     * join may call it from inside its own reservation (the lock is re-entrant).
     */
    @Override
    public long spill(long bytesWanted) {
        if (!lock.tryLock()) {
            // The worker running the join spills at its next step; the requester waits for the release.
            spillRequested = runBytes > 0;
            return 0;
        }
        try {
            if (closed || inRunAdd) {
                // Asked from inside the run's own reservation: it spills by itself when that fails.
                return 0;
            }
            return spillRun("memory pressure, " + bytesWanted + " bytes wanted");
        } finally {
            lock.unlock();
        }
    }

    private long spillRun(String why) {
        spillRequested = false;
        long freed = state == State.COLLECT_RUN ? run.spillNow(why) : state == State.JOIN_RUN ? run.spillCollected(why) : 0;
        if (freed > 0) {
            runBytes = 0;
        }
        return freed;
    }

    private Morsel produce(TaskContext ctx) {
        while (!out.full() && state != State.DONE) {
            if (!step(ctx)) {
                // An input has nothing now: hand out what is ready, or nothing until later.
                return emit();
            }
        }
        Morsel m = emit();
        if (state == State.DONE && m == null) {
            finishLog();
        }
        return m;
    }

    private Morsel emit() {
        Morsel m = out.build(sequence);
        if (m != null) {
            sequence++;
            rowsOut += m.rowCount();
        }
        return m;
    }

    private boolean logged;

    private void finishLog() {
        if (!logged) {
            logged = true;
            events.accept(new MergeJoinDone(name, how.toString(), rowsOut, runs, run.spilledRuns(), run.spilledBytes()));
        }
    }

    /** Does one bounded piece of work; false when an input has nothing now. */
    private boolean step(TaskContext ctx) {
        if (spillRequested) {
            spillRun("memory pressure from another worker");
        }
        return switch (state) {
            case ADVANCE -> advance(ctx);
            case COLLECT_RUN -> collect(ctx);
            case JOIN_RUN -> joinRun(ctx);
            case DRAIN_RIGHT -> drainRight(ctx);
            case DONE -> true;
        };
    }

    private boolean advance(TaskContext ctx) {
        SortedCursor.Status ls = left.load(ctx);
        if (ls == SortedCursor.Status.NOT_READY) {
            return false;
        }
        if (ls == SortedCursor.Status.END) {
            state = how.keepsUnmatchedRight() ? State.DRAIN_RIGHT : State.DONE;
            return true;
        }
        if (left.nullKey()) {
            leftUnmatched();
            return true;
        }
        SortedCursor.Status rs = right.load(ctx);
        if (rs == SortedCursor.Status.NOT_READY) {
            return false;
        }
        if (rs == SortedCursor.Status.END) {
            leftUnmatched();
            return true;
        }
        if (right.nullKey()) {
            rightUnmatched();
            return true;
        }
        int c = left.compare(right);
        if (c < 0) {
            leftUnmatched();
        } else if (c > 0) {
            rightUnmatched();
        } else if (how == JoinType.SEMI) {
            out.add(left.morsel(), left.pos(), null, 0);
            left.advance();
        } else if (how == JoinType.ANTI) {
            left.advance();
        } else {
            runKey = right.keyRef();
            runs++;
            state = State.COLLECT_RUN;
        }
        return true;
    }

    private void leftUnmatched() {
        if (how.keepsUnmatchedLeft() || how == JoinType.ANTI) {
            out.add(left.morsel(), left.pos(), null, 0);
        }
        left.advance();
    }

    private void rightUnmatched() {
        if (how.keepsUnmatchedRight()) {
            out.add(null, 0, right.morsel(), right.pos());
        }
        right.advance();
    }

    private boolean collect(TaskContext ctx) {
        SortedCursor.Status rs = right.load(ctx);
        if (rs == SortedCursor.Status.NOT_READY) {
            return false;
        }
        if (rs == SortedCursor.Status.ROW && !right.nullKey() && right.compare(right.pos(), runKey) == 0) {
            int end = right.endOfRun(runKey);
            inRunAdd = true;
            try {
                run.add(right.morsel(), right.pos(), end);
            } finally {
                inRunAdd = false;
            }
            runBytes = run.state() == RunBuffer.State.IN_MEMORY ? run.memoryBytes() : 0;
            right.skipTo(end);
            return true;
        }
        run.finish();
        runBytes = run.state() == RunBuffer.State.IN_MEMORY ? run.memoryBytes() : 0;
        state = State.JOIN_RUN;
        return true;
    }

    private boolean joinRun(TaskContext ctx) {
        if (!inBlock) {
            SortedCursor.Status ls = left.load(ctx);
            if (ls == SortedCursor.Status.NOT_READY) {
                return false;
            }
            if (ls == SortedCursor.Status.END || left.nullKey() || left.compare(left.pos(), runKey) != 0) {
                endRun();
                return true;
            }
            inBlock = true;
            blockFrom = left.pos();
            blockTo = left.endOfRun(runKey);
            li = blockFrom;
            chunk = 0;
            ri = 0;
        }
        // Chunk-major: each chunk of the run is fetched (for a spilled run: read) once per block.
        Morsel lm = left.morsel();
        int chunks = run.chunkCount();
        while (chunk < chunks) {
            if (chunkMorsel == null) {
                chunkMorsel = run.chunk(chunk);
            }
            int rows = chunkMorsel.rowCount();
            while (li < blockTo) {
                while (ri < rows) {
                    if (out.full()) {
                        return true;
                    }
                    out.add(lm, li, chunkMorsel, ri++);
                }
                ri = 0;
                li++;
            }
            li = blockFrom;
            chunkMorsel.close();
            chunkMorsel = null;
            chunk++;
        }
        left.skipTo(blockTo);
        inBlock = false;
        return true;
    }

    private void endRun() {
        run.clear();
        runBytes = 0;
        runKey.close();
        runKey = null;
        state = State.ADVANCE;
    }

    private boolean drainRight(TaskContext ctx) {
        SortedCursor.Status rs = right.load(ctx);
        if (rs == SortedCursor.Status.NOT_READY) {
            return false;
        }
        if (rs == SortedCursor.Status.END) {
            state = State.DONE;
            return true;
        }
        int n = Math.min(out.room(), right.morsel().rowCount() - right.pos());
        for (int k = 0; k < n; k++) {
            out.add(null, 0, right.morsel(), right.pos());
            right.advance();
        }
        return true;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (chunkMorsel != null) {
                    chunkMorsel.close();
                    chunkMorsel = null;
                }
                if (runKey != null) {
                    runKey.close();
                    runKey = null;
                }
                out.close();
                run.close();
                left.close();
                right.close();
            } finally {
                budget.close();
            }
        } finally {
            lock.unlock();
        }
    }
}
