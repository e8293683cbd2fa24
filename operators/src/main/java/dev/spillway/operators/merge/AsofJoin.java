package dev.spillway.operators.merge;

import dev.spillway.event.AsofJoinDone;
import dev.spillway.event.AsofStateCompacted;
import dev.spillway.event.EventSink;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Float64Vector;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Vector;
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
 * the join's budget; retained input morsels (right morsels still referenced, left morsels with
 * waiting rows) stay charged to the budget that produced them, and the join fails with an
 * out-of-memory error naming itself once they exceed a quarter of the memory cap: waiting rows
 * are not spilled.
 */
public final class AsofJoin implements Source {
    /** Right morsels held before their referenced rows are compacted. */
    static final int COMPACT_AT = 8;
    /** The join may keep input morsels alive up to this fraction (1/n) of the memory cap. */
    static final int MAX_SHARE_OF_CAP = 4;
    private static final long NONE = -1;
    private static final byte SETTLED = 0;
    private static final byte WAITING = 1;
    private static final byte HAS_FORWARD = 2;

    private final String name = "asof-join";
    private final AsofStrategy strategy;
    private final SortedCursor left;
    private final SortedCursor right;
    private final int leftOn;
    private final int rightOn;
    private final int[] leftBy;
    private final int[] rightBy;
    private final boolean floatOn;
    private final long tolLong;
    private final double tolDouble;
    private final boolean hasTolerance;
    private final RowGather out;
    private final Schema rightSchema;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final EventSink events;
    private final Object lock = new Object();

    /** Right morsels referenced by refs ({@code index << 32 | row}). */
    private final List<Morsel> store = new ArrayList<>();
    private final List<Long> storeHeld = new ArrayList<>();
    private Morsel storedRight;
    private int storedRightIndex = -1;
    private final Map<Object, Long> latest = new HashMap<>();
    private final Map<Object, ArrayDeque<Waiting>> waiting = new HashMap<>();
    private final ArrayDeque<LeftChunk> queue = new ArrayDeque<>();
    private long heldBytes;
    private long waitingRows;
    private long sequence;
    private long rowsOut;
    private long compactions;
    private boolean leftDone;
    private boolean done;
    private boolean failed;
    private boolean closed;

    /** Left rows of one left morsel, in order, with their answers. */
    private static final class LeftChunk {
        final Morsel view;
        final long[] match;
        final long[] back;
        final byte[] state;
        final Morsel source;
        long held;
        int added;
        int emitted;

        LeftChunk(Morsel source) {
            this.source = source;
            this.view = source.slice(0, source.rowCount());
            int n = source.rowCount();
            this.match = new long[n];
            this.back = new long[n];
            this.state = new byte[n];
        }
    }

    /** A left row waiting for a right row of its group. */
    private record Waiting(LeftChunk chunk, int row) {
    }

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
        this.rightSchema = rightSchema;
        this.pool = ctx.pool();
        this.budget = ctx.budget();
        this.events = ctx.events();
        DataType t = leftSchema.field(leftOn).type();
        if (t != DataType.INT64 && t != DataType.INT32 && t != DataType.DATE32 && t != DataType.FLOAT64) {
            throw new IllegalArgumentException("asof join 'on' column must be int64, int32, date32 or float64, got "
                    + t.displayName());
        }
        this.floatOn = t == DataType.FLOAT64;
        this.hasTolerance = tolerance != null;
        this.tolLong = tolerance == null ? 0 : tolerance.longValue();
        this.tolDouble = tolerance == null ? 0 : tolerance.doubleValue();
        KeyEncoder encoder = SortedCursor.encoderFor(leftSchema, new int[] {leftOn});
        this.left = new SortedCursor(name, "left", leftInput, leftSchema, new int[] {leftOn}, encoder, leftSorted);
        this.right = new SortedCursor(name, "right", rightInput, rightSchema, new int[] {rightOn}, encoder, rightSorted);
        int[] noKeys = new int[leftSchema.size()];
        Arrays.fill(noKeys, -1);
        this.out = new RowGather(output, leftSchema.size(), noKeys, rightColumns, ctx.outputRows(), pool, ctx.outputBudget());
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
            if (rs == SortedCursor.Status.END || waitingRows == 0) {
                settleAllAtEnd();
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
        LeftChunk chunk = chunkOf(left.morsel());
        int row = left.pos();
        if (!left.nullKey() && !isNaN(left.morsel().column(leftOn), row)) {
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

    private LeftChunk chunkOf(Morsel m) {
        LeftChunk last = queue.peekLast();
        if (last != null && last.source == m) {
            return last;
        }
        LeftChunk c = new LeftChunk(m);
        queue.add(c);
        return c;
    }

    private static boolean isNaN(ColumnVector v, int row) {
        return v instanceof Float64Vector f && Double.isNaN(f.get(row));
    }

    // ------------------------------------------------------------------ right rows

    private void consumeRight() {
        Morsel m = right.morsel();
        int row = right.pos();
        if (!right.nullKey() && !isNaN(m.column(rightOn), row)) {
            Object g = group(m, rightBy, row);
            if (g != null) {
                long ref = NONE;
                if (strategy != AsofStrategy.FORWARD) {
                    ref = refOf(m, row);
                    latest.put(g, ref);
                }
                ArrayDeque<Waiting> w = strategy == AsofStrategy.BACKWARD ? null : waiting.get(g);
                if (w != null) {
                    if (ref == NONE) {
                        ref = refOf(m, row);
                    }
                    resolve(w, ref, m, row);
                    if (w.isEmpty()) {
                        waiting.remove(g);
                    }
                }
            }
        }
        right.advance();
    }

    /** A right row of the group arrived: it answers or improves every waiting row of the group. */
    private void resolve(ArrayDeque<Waiting> w, long ref, Morsel m, int row) {
        int n = w.size();
        for (int i = 0; i < n; i++) {
            Waiting p = w.poll();
            LeftChunk c = p.chunk();
            byte st = c.state[p.row()];
            if (st == SETTLED) {
                continue;
            }
            if (strategy == AsofStrategy.FORWARD) {
                settle(c, p.row(), withinTolerance(c, p.row(), m, row) ? ref : NONE);
            } else if (st == WAITING || sameOn(c.match[p.row()], m, row)) {
                c.match[p.row()] = ref;
                c.state[p.row()] = HAS_FORWARD;
                w.add(p);
            } else {
                settleNearest(c, p.row());
            }
        }
    }

    private boolean sameOn(long ref, Morsel m, int row) {
        ColumnVector a = stored(ref).column(rightOn);
        ColumnVector b = m.column(rightOn);
        return floatOn ? ((Float64Vector) a).get(rowOf(ref)) == ((Float64Vector) b).get(row)
                : onLong(a, rowOf(ref)) == onLong(b, row);
    }

    // ------------------------------------------------------------------ left rows

    private void addLeft(LeftChunk c, int row) {
        c.added = row + 1;
        Morsel m = c.view;
        c.match[row] = NONE;
        c.back[row] = NONE;
        if (left.nullKey() || isNaN(m.column(leftOn), row)) {
            c.state[row] = SETTLED;
            return;
        }
        Object g = group(m, leftBy, row);
        if (g == null) {
            c.state[row] = SETTLED;
            return;
        }
        Long b = latest.get(g);
        switch (strategy) {
            case BACKWARD -> {
                c.state[row] = SETTLED;
                if (b != null && withinTolerance(c, row, stored(b), rowOf(b))) {
                    c.match[row] = b;
                }
            }
            case FORWARD -> wait(c, row, g);
            case NEAREST -> {
                if (b != null) {
                    c.back[row] = b;
                    if (distanceIsZero(c, row, b)) {
                        settle(c, row, b);
                        return;
                    }
                }
                wait(c, row, g);
            }
        }
    }

    private void wait(LeftChunk c, int row, Object g) {
        c.state[row] = WAITING;
        waiting.computeIfAbsent(g, x -> new ArrayDeque<>()).add(new Waiting(c, row));
        waitingRows++;
    }

    private void settle(LeftChunk c, int row, long ref) {
        if (c.state[row] != SETTLED) {
            waitingRows--;
        }
        c.state[row] = SETTLED;
        c.match[row] = ref;
    }

    /** Picks the nearer of the backward and forward candidates (the forward one on a tie). */
    private void settleNearest(LeftChunk c, int row) {
        long b = c.back[row];
        long f = c.state[row] == HAS_FORWARD ? c.match[row] : NONE;
        boolean bOk = b != NONE && withinTolerance(c, row, stored(b), rowOf(b));
        boolean fOk = f != NONE && withinTolerance(c, row, stored(f), rowOf(f));
        long pick = NONE;
        if (bOk && fOk) {
            pick = compareDistance(c, row, f, b) <= 0 ? f : b;
        } else if (fOk) {
            pick = f;
        } else if (bOk) {
            pick = b;
        }
        settle(c, row, pick);
    }

    /**
     * Settles a waiting row at the head of the queue when no later right row can change its
     * answer: the right input ended, or it moved past the tolerance, or (NEAREST) past the
     * backward candidate's distance, or past the forward candidate's value.
     */
    private boolean trySettle(LeftChunk c, int row) {
        SortedCursor.Status rs = right.peek();
        if (rs == SortedCursor.Status.NOT_READY) {
            return false;
        }
        boolean rightEnded = rs == SortedCursor.Status.END;
        if (strategy == AsofStrategy.FORWARD) {
            if (rightEnded || (hasTolerance && !right.nullKey() && !withinTolerance(c, row, right.morsel(), right.pos()))) {
                settle(c, row, NONE);
                return true;
            }
            return false;
        }
        if (rightEnded) {
            settleNearest(c, row);
            return true;
        }
        if (right.nullKey()) {
            return false;
        }
        Morsel rm = right.morsel();
        int rr = right.pos();
        long f = c.state[row] == HAS_FORWARD ? c.match[row] : NONE;
        if (f != NONE) {
            if (!sameOn(f, rm, rr)) {
                settleNearest(c, row);
                return true;
            }
            return false;
        }
        // No forward candidate yet: a later right row would be at least as far as the current one.
        boolean pastTolerance = hasTolerance && !withinTolerance(c, row, rm, rr);
        long b = c.back[row];
        boolean pastBackward = b != NONE && distanceGreater(c, row, rm, rr, b);
        if (pastTolerance || pastBackward) {
            settleNearest(c, row);
            return true;
        }
        return false;
    }

    // ------------------------------------------------------------------ output

    private void emitSettled() {
        while (!out.full() && !queue.isEmpty()) {
            LeftChunk c = queue.peekFirst();
            while (c.emitted < c.added && !out.full()) {
                int r = c.emitted;
                if (c.state[r] != SETTLED && !trySettle(c, r)) {
                    holdQueue();
                    return;
                }
                long ref = c.match[r];
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
            c.view.close();
            release(c.held);
        }
    }

    /** Left morsels the cursor has left behind but that still wait: reserve what they hold. */
    private void holdQueue() {
        for (LeftChunk c : queue) {
            if (c.held == 0 && c.source != left.morsel()) {
                long bytes = c.view.byteSize();
                hold(bytes, "left rows waiting for a right row of their group");
                c.held = bytes;
            }
        }
    }

    // ------------------------------------------------------------------ right row store

    private long refOf(Morsel m, int row) {
        if (m != storedRight) {
            if (store.size() >= COMPACT_AT) {
                compact();
            }
            storedRight = m;
            storedRightIndex = store.size();
            Morsel view = m.slice(0, m.rowCount());
            long bytes = view.byteSize();
            try {
                hold(bytes, "right rows referenced by groups or waiting rows");
            } catch (RuntimeException e) {
                view.close();
                storedRight = null;
                throw e;
            }
            store.add(view);
            storeHeld.add(bytes);
        }
        return (long) storedRightIndex << 32 | row;
    }

    private Morsel stored(long ref) {
        return store.get((int) (ref >>> 32));
    }

    private static int rowOf(long ref) {
        return (int) ref;
    }

    /** Copies every right row still referenced into one morsel and drops the rest. */
    private void compact() {
        Map<Long, Integer> newRow = new HashMap<>();
        List<Long> refs = new ArrayList<>();
        for (Long r : latest.values()) {
            collect(r, newRow, refs);
        }
        for (LeftChunk c : queue) {
            for (int i = c.emitted; i < c.added; i++) {
                collect(c.match[i], newRow, refs);
                collect(c.back[i], newRow, refs);
            }
        }
        int n = refs.size();
        ColumnVector[] sources = new ColumnVector[store.size()];
        int[] which = new int[n];
        int[] rows = new int[n];
        for (int k = 0; k < n; k++) {
            which[k] = (int) (refs.get(k) >>> 32);
            rows[k] = rowOf(refs.get(k));
        }
        List<ColumnVector> cols = new ArrayList<>();
        try {
            for (int col = 0; col < rightSchema.size(); col++) {
                for (int s = 0; s < store.size(); s++) {
                    sources[s] = store.get(s).column(col);
                }
                try (ColumnBuilder b = ColumnBuilder.create(rightSchema.field(col).type(), pool, budget, Math.max(1, n))) {
                    b.appendGather(sources, which, rows, n);
                    cols.add(b.build());
                }
            }
        } catch (RuntimeException e) {
            cols.forEach(ColumnVector::close);
            throw e;
        }
        Morsel compacted = new Morsel(rightSchema, cols, n, 0);
        // The compact morsel's buffers are charged to the budget already; stop holding the old ones.
        store.forEach(Morsel::close);
        store.clear();
        for (long b : storeHeld) {
            release(b);
        }
        storeHeld.clear();
        store.add(compacted);
        storeHeld.add(0L);
        latest.replaceAll((g, r) -> (long) newRow.get(r));
        for (LeftChunk c : queue) {
            for (int i = c.emitted; i < c.added; i++) {
                c.match[i] = remap(c.match[i], newRow);
                c.back[i] = remap(c.back[i], newRow);
            }
        }
        storedRight = null;
        compactions++;
        events.accept(new AsofStateCompacted(name, n, latest.size(), waitingRows));
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
     * Counts input morsels the join keeps alive. Their memory stays charged to the budget that
     * produced them; the join fails, naming itself, once it holds more than
     * {@code 1/}{@value #MAX_SHARE_OF_CAP} of the memory cap, before the inputs run out of memory
     * somewhere less telling.
     */
    private void hold(long bytes, String what) {
        long limit = budget.effectiveCap() / MAX_SHARE_OF_CAP;
        if (heldBytes + bytes > limit) {
            throw new IllegalStateException(name + " (" + strategy + "): out of memory: holding " + (heldBytes + bytes)
                    + " bytes of " + what + " (" + waitingRows + " left rows waiting, " + latest.size()
                    + " groups) exceeds 1/" + MAX_SHARE_OF_CAP + " of the " + budget.effectiveCap()
                    + "-byte memory cap; waiting rows are not spilled. Add a tolerance, use the BACKWARD strategy, or"
                    + " raise the memory limit");
        }
        heldBytes += bytes;
    }

    private void release(long bytes) {
        heldBytes -= bytes;
    }

    // ------------------------------------------------------------------ values and distances

    private Object group(Morsel m, int[] by, int row) {
        if (by.length == 0) {
            return Boolean.TRUE;
        }
        if (by.length == 1) {
            return norm(m.column(by[0]).getObject(row));
        }
        Object[] key = new Object[by.length];
        for (int k = 0; k < by.length; k++) {
            key[k] = norm(m.column(by[k]).getObject(row));
            if (key[k] == null) {
                return null;
            }
        }
        return Arrays.asList(key);
    }

    private static Object norm(Object v) {
        return v instanceof Double d && d == 0.0 ? (Object) 0.0 : v;
    }

    private static long onLong(ColumnVector v, int row) {
        return v instanceof Int64Vector l ? l.get(row) : ((Int32Vector) v).get(row);
    }

    /** |left on - right on| within the tolerance (always true without one). */
    private boolean withinTolerance(LeftChunk c, int row, Morsel rm, int rr) {
        if (!hasTolerance) {
            return true;
        }
        ColumnVector lv = c.view.column(leftOn);
        ColumnVector rv = rm.column(rightOn);
        if (floatOn) {
            return Math.abs(((Float64Vector) lv).get(row) - ((Float64Vector) rv).get(rr)) <= tolDouble;
        }
        long a = onLong(lv, row);
        long b = onLong(rv, rr);
        long d = a >= b ? a - b : b - a;
        return Long.compareUnsigned(d, tolLong) <= 0;
    }

    private boolean distanceIsZero(LeftChunk c, int row, long ref) {
        ColumnVector lv = c.view.column(leftOn);
        ColumnVector rv = stored(ref).column(rightOn);
        return floatOn ? ((Float64Vector) lv).get(row) == ((Float64Vector) rv).get(rowOf(ref))
                : onLong(lv, row) == onLong(rv, rowOf(ref));
    }

    /** Compares the distances of two refs from the left row. */
    private int compareDistance(LeftChunk c, int row, long x, long y) {
        return compareDistance(c, row, stored(x), rowOf(x), stored(y), rowOf(y));
    }

    private boolean distanceGreater(LeftChunk c, int row, Morsel rm, int rr, long than) {
        return compareDistance(c, row, rm, rr, stored(than), rowOf(than)) > 0;
    }

    private int compareDistance(LeftChunk c, int row, Morsel xm, int xr, Morsel ym, int yr) {
        ColumnVector lv = c.view.column(leftOn);
        if (floatOn) {
            double t = ((Float64Vector) lv).get(row);
            return Double.compare(Math.abs(((Float64Vector) xm.column(rightOn)).get(xr) - t),
                    Math.abs(((Float64Vector) ym.column(rightOn)).get(yr) - t));
        }
        long t = onLong(lv, row);
        long x = onLong(xm.column(rightOn), xr);
        long y = onLong(ym.column(rightOn), yr);
        return Long.compareUnsigned(x >= t ? x - t : t - x, y >= t ? y - t : t - y);
    }

    private void settleAllAtEnd() {
        for (LeftChunk c : queue) {
            for (int i = c.emitted; i < c.added; i++) {
                if (c.state[i] != SETTLED) {
                    if (strategy == AsofStrategy.NEAREST) {
                        settleNearest(c, i);
                    } else {
                        settle(c, i, NONE);
                    }
                }
            }
        }
        waiting.clear();
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                for (LeftChunk c : queue) {
                    c.view.close();
                    release(c.held);
                }
                queue.clear();
                store.forEach(Morsel::close);
                store.clear();
                for (long b : storeHeld) {
                    release(b);
                }
                storeHeld.clear();
                out.close();
                left.close();
                right.close();
            } finally {
                budget.close();
            }
        }
    }
}
