package dev.spillway.operators.merge;

import dev.spillway.options.AsofStrategy;

import dev.spillway.event.AsofJoinDone;
import dev.spillway.event.AsofStateCompacted;
import dev.spillway.event.EventSink;
import dev.spillway.event.RunSpilled;
import dev.spillway.memory.BlockPool;
import dev.spillway.types.DataType;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.errors.MemoryLimitExceededException;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.Spillable;
import dev.spillway.operators.KeyTable;
import dev.spillway.operators.OperatorContext;
import dev.spillway.operators.sort.KeyEncoder;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;
import dev.spillway.spill.StreamStore;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

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
 *   <li>the {@code by} groups are ids of a native {@link KeyTable} (keys equal as their boxed
 *       values are, {@code -0.0} as {@code 0.0}; each morsel's {@code by} columns are hashed once);
 *       per group it keeps int64 words: the latest right row seen (BACKWARD and NEAREST; a
 *       BACKWARD left row is answered at once) and the first and last of its waiting left rows
 *       (FORWARD and NEAREST);</li>
 *   <li>FORWARD and NEAREST left rows without an answer yet wait, per group, for the next right
 *       row of their group, in a list linked through their chunks' native answers
 *       ({@link AsofWaiting}); a waiting row is settled early once the right input has moved past
 *       its tolerance (or, for NEAREST, past the distance of its backward candidate), and at the
 *       end of the right input.</li>
 * </ul>
 * Left rows leave in order as soon as they and every row before them are settled. Referenced
 * right rows stay in the right morsels that hold them; once more than {@link #COMPACT_AT}
 * morsels are held, the rows still referenced are copied into one compact morsel (so the state is
 * one right row per group plus the waiting rows' candidates), the refs remapped through a native
 * index ({@link AsofRightRows}). All of this state — the key table and its words, the compact
 * morsel, the answers and links of the left rows in hand ({@link AsofLeftChunk}) — is native
 * memory from the block pool charged to the join's budget; the heap holds a fixed number of
 * objects per join and one per left morsel in hand, never one per row or per group. A growth the
 * budget refuses leaves the state as it was and fails the join with an out-of-memory error naming
 * itself. Retained input morsels (right morsels still referenced, left morsels with waiting rows)
 * stay charged to the budget that produced them, and count towards a quarter of the memory cap.
 *
 * <p><b>Spilling waiting rows.</b> A left morsel that waits behind the cursor can be spilled: its
 * rows are written to a stream of the join's {@link StreamStore} and read back when its turn to
 * be emitted comes (the oldest chunk in the queue is read back, emitted and freed, so the rows
 * leave in the same order with the same answers). Settling a waiting row needs only its answers
 * and its {@code on} value, so a spilled chunk keeps those in memory ({@link AsofLeftChunk#on}):
 * about 37 bytes a waiting row (the {@code on} values are copied out of the buffers the chunk
 * shared with other morsels), beside the rows' other columns on disk. The join spills its
 * newest waiting chunks first (they are read back last) when the retained morsels would pass
 * their quarter of the cap, when the memory manager asks (the join is a {@link Spillable}; from
 * another worker it only asks the join to spill at its next step, as it never waits for the
 * join's lock), and, with a forced-spill fraction, that share of the chunks as soon as they
 * wait. The oldest chunk (being emitted) and the chunk under the left cursor never spill. The
 * join fails, naming itself, when what stays in memory still exceeds the quarter.
 */
public final class AsofJoin implements Source, Spillable {
    /** Right morsels held before their referenced rows are compacted. */
    static final int COMPACT_AT = 8;
    /** The join may keep input morsels alive up to this fraction (1/n) of the memory cap. */
    static final int MAX_SHARE_OF_CAP = 4;
    private static final long NONE = AsofRightRows.NONE;
    private static final byte SETTLED = AsofLeftChunk.SETTLED;
    /** Word of a group in {@link #groups}: the latest right row (BACKWARD, NEAREST). */
    private static final int LATEST = 0;
    /** Words of a group in {@link #groups}: the first and last of its waiting left rows (FORWARD, NEAREST). */
    private static final int WAIT_HEAD = 1;
    private static final int WAIT_TAIL = 2;

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
    private final ReentrantLock lock = new ReentrantLock();
    /** Where spilled waiting chunks go, one stream each. */
    private final StreamStore store;
    private final double forceSpill;
    /** Bytes of waiting chunks' rows that {@link #spill} could write out now (held chunks' views, approximately). */
    private volatile long spillableBytes;
    /** Set by a {@link #spill} call that found the join busy: the join spills at its next step. */
    private volatile boolean spillRequested;
    private long chunksSpilled;

    private final AsofRightRows rows;
    private final AsofValues values;
    private final AsofWaiting waiting;
    /** The {@code by} groups seen, with their words {@link #LATEST}, {@link #WAIT_HEAD} and {@link #WAIT_TAIL}. */
    private final KeyTable groups;
    private final KeyTable.Rows leftKeys;
    private final KeyTable.Rows rightKeys;
    /** Groups with a latest right row (the group count the join reports). */
    private int latestGroups;
    private final AsofLeftQueue queue = new AsofLeftQueue();
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
     *                     the output budget; waiting left rows spill into a store on its spill directory
     *                     (FORWARD, NEAREST; not without a directory), with its forced-spill fraction
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
        this.values = new AsofValues(rightOn, t == DataType.FLOAT64, tolerance, rows);
        KeyEncoder encoder = SortedCursor.encoderFor(leftSchema, new int[] {leftOn});
        this.left = new SortedCursor(name, "left", leftInput, leftSchema, new int[] {leftOn}, encoder, leftSorted,
                ctx.pool(), budget);
        this.right = new SortedCursor(name, "right", rightInput, rightSchema, new int[] {rightOn}, encoder, rightSorted,
                ctx.pool(), budget);
        DataType[] byTypes = new DataType[leftBy.length];
        for (int k = 0; k < leftBy.length; k++) {
            byTypes[k] = leftSchema.field(leftBy[k]).type();
        }
        this.groups = new KeyTable(byTypes, strategy == AsofStrategy.BACKWARD ? 1 : 3, NONE, ctx.pool(), budget);
        this.leftKeys = groups.rows(leftBy);
        this.rightKeys = groups.rows(rightBy);
        this.waiting = new AsofWaiting(strategy, values, rows, right, queue, groups, WAIT_HEAD, WAIT_TAIL);
        int[] noKeys = new int[leftSchema.size()];
        Arrays.fill(noKeys, -1);
        this.out = new RowGather(output, leftSchema.size(), noKeys, rightColumns, ctx.outputRows(), ctx.pool(), ctx.outputBudget());
        this.forceSpill = ctx.forceSpill();
        // BACKWARD rows never wait; without a spill directory (bare operator use) waiting rows stay in memory.
        this.store = strategy == AsofStrategy.BACKWARD || ctx.spills() == null ? null : ctx.store(name, leftSchema).streams();
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
        lock.lock();
        try {
            if (failed || closed || done || ctx.isCancelled()) {
                return null;
            }
            try {
                if (spillRequested) {
                    spillRequested = false;
                    spillWaiting(Long.MAX_VALUE, "memory pressure", true);
                }
                return produce(ctx);
            } catch (RuntimeException e) {
                failed = true;
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isExhausted() {
        lock.lock();
        try {
            return done || failed || closed;
        } finally {
            lock.unlock();
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
                    events.accept(new AsofJoinDone(name, strategy.toString(), rowsOut, compactions, latestGroups));
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
                waiting.settleAllAtEnd();
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
        AsofLeftChunk c = new AsofLeftChunk(m, leftOn, queue.nextSeq(), strategy != AsofStrategy.BACKWARD, pool, budget);
        queue.add(c);
        return c;
    }

    // ------------------------------------------------------------------ right rows

    private void consumeRight() {
        Morsel m = right.morsel();
        int row = right.pos();
        if (!right.nullKey() && !AsofValues.isNaN(m.column(rightOn), row)) {
            hashKeys(rightKeys, m);
            if (!rightKeys.hasNull(row)) {
                if (strategy == AsofStrategy.FORWARD) {
                    int g = groups.find(rightKeys, row);
                    if (g >= 0 && waiting.waitsFor(g)) {
                        waiting.resolve(g, refOf(m, row), m, row);
                    }
                } else {
                    int g = group(rightKeys, row);
                    long ref = refOf(m, row);
                    if (groups.word(g, LATEST) == NONE) {
                        latestGroups++;
                    }
                    groups.setWord(g, LATEST, ref);
                    if (strategy == AsofStrategy.NEAREST && waiting.waitsFor(g)) {
                        waiting.resolve(g, ref, m, row);
                    }
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
        // Settled until it waits: the answers buffer is not zeroed.
        c.setState(row, SETTLED);
        if (left.nullKey() || AsofValues.isNaN(m.column(leftOn), row)) {
            return;
        }
        hashKeys(leftKeys, c.source);
        if (leftKeys.hasNull(row)) {
            return;
        }
        switch (strategy) {
            case BACKWARD -> {
                int g = groups.find(leftKeys, row);
                long b = g < 0 ? NONE : groups.word(g, LATEST);
                if (b != NONE && values.withinTolerance(c, row, stored(b), rowOf(b))) {
                    c.setMatch(row, b);
                }
            }
            case FORWARD -> waiting.add(c, row, group(leftKeys, row));
            case NEAREST -> {
                int g = group(leftKeys, row);
                long b = groups.word(g, LATEST);
                if (b != NONE) {
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

    // ------------------------------------------------------------------ groups

    /** Hashes the key columns of {@code m} once (nothing when {@code keys} hashed it last). */
    private void hashKeys(KeyTable.Rows keys, Morsel m) {
        try {
            keys.hash(m);
        } catch (MemoryLimitExceededException e) {
            throw outOfMemory("hashing the 'by' columns of a " + m.rowCount() + "-row morsel", e);
        }
    }

    /** The group of a hashed row without a null key, added when new. */
    private int group(KeyTable.Rows keys, int row) {
        try {
            return groups.findOrInsert(keys, row);
        } catch (MemoryLimitExceededException e) {
            throw outOfMemory("growing the per-group state past " + groups.size() + " groups (" + groups.byteSize()
                    + " bytes)", e);
        }
    }

    // ------------------------------------------------------------------ output

    private void emitSettled() {
        while (!out.full() && !queue.isEmpty()) {
            AsofLeftChunk c = queue.peekFirst();
            if (c.spilled()) {
                readBack(c);
            }
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
            spillableBytes -= c.spillable;
            c.close();
            release(c.held);
        }
    }

    /** Left morsels the cursor has left behind but that still wait: count what they hold (the rows and their answers). */
    private void holdQueue() {
        for (int q = 0; q < queue.size(); q++) {
            AsofLeftChunk c = queue.at(q);
            if (c.held == 0 && c.source != left.morsel()) {
                long bytes = c.view.byteSize() + c.answerBytes();
                hold(bytes, "left rows waiting for a right row of their group");
                c.held = bytes;
                if (store != null) {
                    c.spillable = c.view.byteSize();
                    spillableBytes += c.spillable;
                    if (q > 0 && forced(c.seq)) {
                        spillChunk(c, "forced spill", true);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ spilling waiting rows

    /** Whether the forced-spill fraction f selects chunk k: {@code floor((k+1)f) > floor(kf)}. */
    private boolean forced(long k) {
        return forceSpill > 0 && Math.floor((k + 1) * forceSpill) > Math.floor(k * forceSpill);
    }

    /**
     * Spills waiting chunks, newest first, until {@code wanted} bytes were let go; never the
     * oldest (it is being emitted) nor the one under the left cursor. Returns the bytes let go.
     * The caller holds the lock.
     */
    private long spillWaiting(long wanted, String why, boolean compact) {
        if (store == null || closed) {
            return 0;
        }
        long freed = 0;
        for (int q = queue.size() - 1; q > 0 && freed < wanted; q--) {
            AsofLeftChunk c = queue.at(q);
            if (c.held > 0 && !c.spilled() && c.source != left.morsel()) {
                freed += spillChunk(c, why, compact);
            }
        }
        return freed;
    }

    /**
     * Writes the rows of a held chunk to a new stream of the store and lets go of them; returns the
     * bytes let go. With {@code compact} the {@code on} values are copied out of the shared buffers
     * (an allocation: not from inside the memory manager's reclamation).
     */
    private long spillChunk(AsofLeftChunk c, String why, boolean compact) {
        long before = c.held;
        int stream = store.newStream(true);
        Morsel rows = c.view;
        c.view = null;
        c.stream = stream;
        spillableBytes -= c.spillable;
        c.spillable = 0;
        store.add(stream, rows);
        // The on column and the answers stay: they settle the rows.
        if (compact) {
            c.compactOn(pool, budget);
        }
        c.held = c.on.byteSize() + c.answerBytes();
        release(before - c.held);
        chunksSpilled++;
        events.accept(new RunSpilled(name, c.on.length(), store.file(stream),
                "left rows waiting for a right row of their group: " + why));
        return before - c.held;
    }

    /** Reads the rows of a spilled chunk back (it is the oldest, to be emitted now). */
    private void readBack(AsofLeftChunk c) {
        Morsel m = store.poll(c.stream, budget);
        if (m == null || m.rowCount() != c.on.length() || store.size(c.stream) != 0) {
            if (m != null) {
                m.close();
            }
            throw new IllegalStateException(name + ": spilled left chunk " + c.seq + " did not read back as one block of "
                    + c.on.length() + " rows");
        }
        store.release(c.stream);
        c.stream = -1;
        c.view = m;
    }

    @Override
    public long spillableBytes() {
        return done || closed || failed ? 0 : Math.max(0, spillableBytes);
    }

    /**
     * Spills waiting chunks, newest first. From the worker running the join (inside its own
     * reservation) it spills at once; from another worker it answers 0 at once and the join
     * spills at its next step (the memory manager's rule: never wait for another worker).
     */
    @Override
    public long spill(long bytesWanted) {
        if (!lock.tryLock()) {
            spillRequested = spillableBytes > 0;
            return 0;
        }
        try {
            if (closed || done || failed) {
                return 0;
            }
            return spillWaiting(bytesWanted, "memory pressure, " + bytesWanted + " bytes wanted", false);
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ right rows

    private long refOf(Morsel m, int row) {
        if (!rows.holds(m)) {
            if (rows.morsels() >= COMPACT_AT) {
                try {
                    compact();
                } catch (MemoryLimitExceededException e) {
                    // The refs are remapped before the copy: the join cannot go on, and fails.
                    throw outOfMemory("compacting the right rows still referenced", e);
                }
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

    /**
     * Copies every right row still referenced (by a group's latest row, or as a left row's match or
     * backward candidate) into one morsel, drops the rest, and remaps the refs in place through the
     * compaction's native index.
     */
    private void compact() {
        rows.startCompaction();
        int n = groups.size();
        if (strategy != AsofStrategy.FORWARD) {
            for (int g = 0; g < n; g++) {
                long r = groups.word(g, LATEST);
                if (r != NONE) {
                    groups.setWord(g, LATEST, rows.retain(r));
                }
            }
        }
        for (int q = 0; q < queue.size(); q++) {
            AsofLeftChunk c = queue.at(q);
            for (int i = c.emitted; i < c.added; i++) {
                c.setMatch(i, rows.retain(c.match(i)));
                c.setBack(i, rows.retain(c.back(i)));
            }
        }
        int kept = rows.retainedRows();
        release(rows.finishCompaction());
        compactions++;
        events.accept(new AsofStateCompacted(name, kept, latestGroups, waiting.count()));
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
            spillWaiting(heldBytes + bytes - limit, "retained morsels over 1/" + MAX_SHARE_OF_CAP + " of the memory cap", true);
        }
        if (heldBytes + bytes > limit) {
            throw new IllegalStateException(name + " (" + strategy + "): out of memory: holding " + (heldBytes + bytes)
                    + " bytes of " + what + " (" + waiting.count() + " left rows waiting, " + latestGroups
                    + " groups, waiting morsels spilled: " + chunksSpilled + ") exceeds 1/" + MAX_SHARE_OF_CAP + " of the "
                    + budget.effectiveCap() + "-byte memory cap; what settles a waiting row (its on value and answers)"
                    + " stays in memory. Add a tolerance, use the BACKWARD strategy, or raise the memory limit");
        }
        heldBytes += bytes;
    }

    /**
     * The join's out-of-memory error for a native allocation of its own state that the budget
     * refused (the state is left as it was).
     */
    private IllegalStateException outOfMemory(String what, MemoryLimitExceededException cause) {
        return new IllegalStateException(name + " (" + strategy + "): out of memory: " + what + " was refused ("
                + waiting.count() + " left rows waiting, " + latestGroups + " groups): " + cause.getMessage()
                + ". Add a tolerance, use the BACKWARD strategy, or raise the memory limit",
                cause);
    }

    private void release(long bytes) {
        heldBytes -= bytes;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            spillableBytes = 0;
            try {
                for (int q = 0; q < queue.size(); q++) {
                    AsofLeftChunk c = queue.at(q);
                    c.close();
                    release(c.held);
                }
                queue.clear();
                release(rows.dropAll());
                groups.close();
                out.close();
                left.close();
                right.close();
                if (store != null) {
                    store.close();
                }
            } finally {
                budget.close();
            }
        } finally {
            lock.unlock();
        }
    }
}
