package dev.spillway.operators.merge;

import dev.spillway.event.AsofJoinDone;
import dev.spillway.event.AsofStateCompacted;
import dev.spillway.event.EventSink;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.DataType;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.operators.OperatorContext;
import dev.spillway.operators.sort.KeyEncoder;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A streaming AsOf join: each left row gets at most one right row — of the same {@code by} group,
 * chosen on the {@code on} column by an {@link AsofStrategy}, within an optional tolerance — or
 * nulls in the right columns. Both inputs must be sorted ascending on {@code on} (checked while
 * joining, {@link UnsortedInputException}); rows leave in left order. Null (and NaN) {@code on}
 * values, and null {@code by} values, never match.
 *
 * <p>The join walks both inputs by {@code on}: before a left row with value {@code t}, every right
 * row with {@code on <= t} ({@code < t} for FORWARD) has been seen. State:
 * <ul>
 *   <li>BACKWARD and NEAREST keep, per group, the latest right row seen (a hash map); a
 *       BACKWARD left row is answered at once;</li>
 *   <li>FORWARD and NEAREST left rows without an answer yet wait, per group, for the next right
 *       row of their group; a waiting row is settled early once the right input has moved past
 *       its tolerance (or, for NEAREST, past the distance of its backward candidate), and at the
 *       end of the right input.</li>
 * </ul>
 * Left rows leave in order as soon as they and every row before them are settled. Referenced
 * right rows stay in the right morsels that hold them; once more than {@link #COMPACT_AT}
 * morsels are held, the rows still referenced are copied into one compact morsel (so the state is
 * one right row per group plus the waiting rows' candidates). The compact state is allocated on
 * the join's budget, as are the answers of the left rows in hand ({@link AsofLeftChunk}, native);
 * retained input morsels (right morsels still referenced, left morsels with waiting rows) stay
 * charged to the budget that produced them, and the join fails with an
 * out-of-memory error naming itself once they exceed a quarter of the memory cap: waiting rows
 * are not spilled.
 */
public final class AsofJoin implements Source {
    /** Right morsels held before their referenced rows are compacted. */
    static final int COMPACT_AT = 8;
    /** The join may keep input morsels alive up to this fraction (1/n) of the memory cap. */
    static final int MAX_SHARE_OF_CAP = 4;
    private static final long NONE = AsofRightRows.NONE;
    private static final byte SETTLED = AsofLeftChunk.SETTLED;
    private static final byte WAITING = AsofLeftChunk.WAITING;
    private static final byte HAS_FORWARD = AsofLeftChunk.HAS_FORWARD;

    private final String name = "asof-join";
    private final AsofStrategy strategy;
    private final SortedCursor left;
    private final SortedCursor right;
    private final int leftOn;
    private final int rightOn;
    private final int[] leftBy;
    private final int[] rightBy;
    private final RowGather out;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final EventSink events;
    private final Object lock = new Object();

    private final AsofRightRows rows;
    private final AsofValues values;
    private final AsofWaiting waiting;
    private final Map<Object, Long> latest = new HashMap<>();
    private final ArrayDeque<AsofLeftChunk> queue = new ArrayDeque<>();
    private long heldBytes;
    private long sequence;
    private long rowsOut;
    private long compactions;
    private boolean leftDone;
    private boolean done;
    private boolean failed;
    private boolean closed;

    /**
     * An AsOf join.
     *
     * @param leftInput    the left input in order (its own operators included)
     * @param leftOn       the left {@code on} column
     * @param leftBy       the left {@code by} columns (may be empty)
     * @param rightOn      the right {@code on} column, of the left one's type
     * @param rightBy      the right {@code by} columns, pairwise of the left ones' types
     * @param rightColumns the right columns of the output, in order (positions in right morsels)
     * @param output       the output schema: every left column, then {@code rightColumns}
     * @param tolerance    largest distance allowed, or null: a Long for integer and date columns
     *                     (days for dates), a Double for float64
     * @param ctx          the join's context: its {@link OperatorContext#budget() budget} (its state) is its own
     *                     and closed with the join; output morsels, which may outlive the join, are charged to
     *                     the output budget; it never spills
     */
    public AsofJoin(OrderedInput leftInput, Schema leftSchema, int leftOn, int[] leftBy, OrderedInput rightInput,
            Schema rightSchema, int rightOn, int[] rightBy, int[] rightColumns, Schema output, AsofStrategy strategy,
            Number tolerance, String leftSorted, String rightSorted, OperatorContext ctx) {
        this.strategy = strategy;
        this.leftOn = leftOn;
        this.rightOn = rightOn;
        this.leftBy = leftBy.clone();
        this.rightBy = rightBy.clone();
        this.pool = ctx.pool();
        this.budget = ctx.budget();
        this.events = ctx.events();
        DataType t = leftSchema.field(leftOn).type();
        if (t != DataType.INT64 && t != DataType.INT32 && t != DataType.DATE32 && t != DataType.FLOAT64 && t != DataType.TIMESTAMP) {
            throw new IllegalArgumentException("asof join 'on' column must be int64, int32, date32, float64 or timestamp, got "
                    + t.displayName());
        }
        this.rows = new AsofRightRows(rightSchema, ctx.pool(), budget);
        this.values = new AsofValues(leftOn, rightOn, t == DataType.FLOAT64, tolerance, rows);
        KeyEncoder encoder = SortedCursor.encoderFor(leftSchema, new int[] {leftOn});
        this.left = new SortedCursor(name, "left", leftInput, leftSchema, new int[] {leftOn}, encoder, leftSorted,
                ctx.pool(), budget);
        this.right = new SortedCursor(name, "right", rightInput, rightSchema, new int[] {rightOn}, encoder, rightSorted,
                ctx.pool(), budget);
        this.waiting = new AsofWaiting(strategy, values, rows, right);
        int[] noKeys = new int[leftSchema.size()];
        Arrays.fill(noKeys, -1);
        this.out = new RowGather(output, leftSchema.size(), noKeys, rightColumns, ctx.outputRows(), ctx.pool(), ctx.outputBudget());
    }

    @Override
    public String name() {
        return name + " (" + strategy + ")";
    }

    /** The strategy. */
    public AsofStrategy strategy() {
        return strategy;
    }

    @Override
    public Morsel next(TaskContext ctx) {
        synchronized (lock) {
            if (failed || closed || done || ctx.isCancelled()) {
                return null;
            }
            try {
                return produce(ctx);
            } catch (RuntimeException e) {
                failed = true;
                throw e;
            }
        }
    }

    @Override
    public boolean isExhausted() {
        synchronized (lock) {
            return done || failed || closed;
        }
    }

    private Morsel produce(TaskContext ctx) {
        while (!out.full()) {
            emitSettled();
            if (out.full()) {
                break;
            }
            if (leftDone && queue.isEmpty()) {
                Morsel m = build();
                if (m == null) {
                    done = true;
                    events.accept(new AsofJoinDone(name, strategy.toString(), rowsOut, compactions, latest.size()));
                }
                return m;
            }
            if (!step(ctx)) {
                return build();
            }
        }
        return build();
    }

    private Morsel build() {
        Morsel m = out.build(sequence);
        if (m != null) {
            sequence++;
            rowsOut += m.rowCount();
        }
        return m;
    }

    /** One left or right row; false when an input has nothing now. */
    private boolean step(TaskContext ctx) {
        if (leftDone) {
            // Only waiting rows remain: read on through the right input to settle them.
            SortedCursor.Status rs = right.load(ctx);
            if (rs == SortedCursor.Status.NOT_READY) {
                return false;
            }
            if (rs == SortedCursor.Status.END || waiting.count() == 0) {
                waiting.settleAllAtEnd(queue);
                return true;
            }
            consumeRight();
            return true;
        }
        SortedCursor.Status ls = left.load(ctx);
        if (ls == SortedCursor.Status.NOT_READY) {
            return false;
        }
        if (ls == SortedCursor.Status.END) {
            leftDone = true;
            return true;
        }
        AsofLeftChunk chunk = chunkOf(left.morsel());
        int row = left.pos();
        if (!left.nullKey() && !AsofValues.isNaN(left.morsel().column(leftOn), row)) {
            SortedCursor.Status rs = right.load(ctx);
            if (rs == SortedCursor.Status.NOT_READY) {
                return false;
            }
            if (rs == SortedCursor.Status.ROW && (right.nullKey() || rightComesFirst())) {
                consumeRight();
                return true;
            }
        }
        addLeft(chunk, row);
        left.advance();
        return true;
    }

    /** Whether the current right row is seen before the current left row. */
    private boolean rightComesFirst() {
        int c = right.compare(left);
        return strategy == AsofStrategy.FORWARD ? c < 0 : c <= 0;
    }

    private AsofLeftChunk chunkOf(Morsel m) {
        AsofLeftChunk last = queue.peekLast();
        if (last != null && last.source == m) {
            return last;
        }
        AsofLeftChunk c = new AsofLeftChunk(m, pool, budget);
        queue.add(c);
        return c;
    }

    // ------------------------------------------------------------------ right rows

    private void consumeRight() {
        Morsel m = right.morsel();
        int row = right.pos();
        if (!right.nullKey() && !AsofValues.isNaN(m.column(rightOn), row)) {
            Object g = AsofValues.group(m, rightBy, row);
            if (g != null) {
                long ref = NONE;
                if (strategy != AsofStrategy.FORWARD) {
                    ref = refOf(m, row);
                    latest.put(g, ref);
                }
                if (strategy != AsofStrategy.BACKWARD && waiting.waitsFor(g)) {
                    waiting.resolve(g, ref == NONE ? refOf(m, row) : ref, m, row);
                }
            }
        }
        right.advance();
    }

    // ------------------------------------------------------------------ left rows

    private void addLeft(AsofLeftChunk c, int row) {
        c.added = row + 1;
        Morsel m = c.view;
        c.setMatch(row, NONE);
        c.setBack(row, NONE);
        if (left.nullKey() || AsofValues.isNaN(m.column(leftOn), row)) {
            c.setState(row, SETTLED);
            return;
        }
        Object g = AsofValues.group(m, leftBy, row);
        if (g == null) {
            c.setState(row, SETTLED);
            return;
        }
        Long b = latest.get(g);
        switch (strategy) {
            case BACKWARD -> {
                c.setState(row, SETTLED);
                if (b != null && values.withinTolerance(c, row, stored(b), rowOf(b))) {
                    c.setMatch(row, b);
                }
            }
            case FORWARD -> waiting.add(c, row, g);
            case NEAREST -> {
                if (b != null) {
                    c.setBack(row, b);
                    if (values.distanceIsZero(c, row, b)) {
                        waiting.settle(c, row, b);
                        return;
                    }
                }
                waiting.add(c, row, g);
            }
        }
    }

    // ------------------------------------------------------------------ output

    private void emitSettled() {
        while (!out.full() && !queue.isEmpty()) {
            AsofLeftChunk c = queue.peekFirst();
            while (c.emitted < c.added && !out.full()) {
                int r = c.emitted;
                if (c.state(r) != SETTLED && !waiting.trySettle(c, r)) {
                    holdQueue();
                    return;
                }
                long ref = c.match(r);
                if (ref == NONE) {
                    out.add(c.view, r, null, 0);
                } else {
                    out.add(c.view, r, stored(ref), rowOf(ref));
                }
                c.emitted++;
            }
            if (c.emitted < c.view.rowCount()) {
                // Full output, or rows of this morsel still to come from the left input.
                return;
            }
            queue.pollFirst();
            c.close();
            release(c.held);
        }
    }

    /** Left morsels the cursor has left behind but that still wait: count what they hold (the rows and their answers). */
    private void holdQueue() {
        for (AsofLeftChunk c : queue) {
            if (c.held == 0 && c.source != left.morsel()) {
                long bytes = c.view.byteSize() + c.answerBytes();
                hold(bytes, "left rows waiting for a right row of their group");
                c.held = bytes;
            }
        }
    }

    // ------------------------------------------------------------------ right rows

    private long refOf(Morsel m, int row) {
        if (!rows.holds(m)) {
            if (rows.morsels() >= COMPACT_AT) {
                compact();
            }
            rows.keep(m, bytes -> hold(bytes, "right rows referenced by groups or waiting rows"));
        }
        return rows.ref(row);
    }

    private Morsel stored(long ref) {
        return rows.stored(ref);
    }

    private static int rowOf(long ref) {
        return AsofRightRows.rowOf(ref);
    }

    /** Copies every right row still referenced into one morsel and drops the rest. */
    private void compact() {
        Map<Long, Integer> newRow = new HashMap<>();
        List<Long> refs = new ArrayList<>();
        for (Long r : latest.values()) {
            collect(r, newRow, refs);
        }
        for (AsofLeftChunk c : queue) {
            for (int i = c.emitted; i < c.added; i++) {
                collect(c.match(i), newRow, refs);
                collect(c.back(i), newRow, refs);
            }
        }
        release(rows.compact(refs));
        latest.replaceAll((g, r) -> (long) newRow.get(r));
        for (AsofLeftChunk c : queue) {
            for (int i = c.emitted; i < c.added; i++) {
                c.setMatch(i, remap(c.match(i), newRow));
                c.setBack(i, remap(c.back(i), newRow));
            }
        }
        compactions++;
        events.accept(new AsofStateCompacted(name, refs.size(), latest.size(), waiting.count()));
    }

    private static void collect(long ref, Map<Long, Integer> newRow, List<Long> refs) {
        if (ref != NONE && !newRow.containsKey(ref)) {
            newRow.put(ref, refs.size());
            refs.add(ref);
        }
    }

    private static long remap(long ref, Map<Long, Integer> newRow) {
        return ref == NONE ? NONE : newRow.get(ref);
    }

    /**
     * Counts input morsels the join keeps alive (with the answers of waiting left rows, which are
     * charged to the join's own budget). The morsels' memory stays charged to the budget that
     * produced them; the join fails, naming itself, once it holds more than
     * {@code 1/}{@value #MAX_SHARE_OF_CAP} of the memory cap, before the inputs run out of memory
     * somewhere less telling.
     */
    private void hold(long bytes, String what) {
        long limit = budget.effectiveCap() / MAX_SHARE_OF_CAP;
        if (heldBytes + bytes > limit) {
            throw new IllegalStateException(name + " (" + strategy + "): out of memory: holding " + (heldBytes + bytes)
                    + " bytes of " + what + " (" + waiting.count() + " left rows waiting, " + latest.size()
                    + " groups) exceeds 1/" + MAX_SHARE_OF_CAP + " of the " + budget.effectiveCap()
                    + "-byte memory cap; waiting rows are not spilled. Add a tolerance, use the BACKWARD strategy, or"
                    + " raise the memory limit");
        }
        heldBytes += bytes;
    }

    private void release(long bytes) {
        heldBytes -= bytes;
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                for (AsofLeftChunk c : queue) {
                    c.close();
                    release(c.held);
                }
                queue.clear();
                release(rows.dropAll());
                out.close();
                left.close();
                right.close();
            } finally {
                budget.close();
            }
        }
    }
}
