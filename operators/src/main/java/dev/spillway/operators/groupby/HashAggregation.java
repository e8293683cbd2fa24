package dev.spillway.operators.groupby;

import dev.spillway.event.AggregationInputComplete;
import dev.spillway.event.EventSink;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.Closeables;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Spillable;
import dev.spillway.operators.FinalizeQueue;
import dev.spillway.operators.OperatorContext;
import dev.spillway.spill.PartitionedStore;
import dev.spillway.spill.RowHasher;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One partitioned, spillable hash aggregation (group-by), shared by its sink and its source: it
 * owns the store of partial rows and the finalize queue, and hands each phase to its own class.
 *
 * <pre>
 *   CONSUMING --finishInput--> MERGING --queue done--> (ended)      any --close--> CLOSED
 * </pre>
 *
 * <p><b>CONSUMING</b> ({@link PreAggregation}): workers pre-aggregate into small tables of their
 * own and flush partial rows into a {@link PartitionedStore} of 256 partitions; the store spills
 * the largest partitions when the memory manager asks. {@link #finishInput} seals the store's
 * chunks, spills the forced-spill share of its partitions and queues one {@link PartitionMerge}
 * per partition with rows on a {@link FinalizeQueue}.
 *
 * <p><b>MERGING</b>: every puller of the source claims partitions from the queue — at most one
 * started partition per worker — merges a partition's in-memory and spilled partial rows into one
 * table and streams its groups out in morsels of at most {@code outputRows} rows, so the workers
 * merge in parallel. Partitions not yet started stay in the store, evictable, while others merge.
 * Each started partition's groups must fit in memory at once (about 1/256 of all groups with
 * well-spread keys, times the workers merging); re-partitioning an oversized partition is not
 * implemented.
 *
 * <p><b>n_unique</b> is exact: its input extends the key of the partial rows, so every distinct
 * (keys, value) pair survives pre-aggregation and spilling as its own row (see
 * {@link AggTable#addInput}); partitions are chosen on that extended key. A merged partition is
 * folded back to the group keys and fed to a second-level aggregation on the group keys alone
 * ({@link DistinctFold}), whose partitions join the same queue once every first-level partition
 * was folded. <b>first/last</b> keep the input position ({@code sequence << 32 | row}) of the row
 * they hold, so merges pick the row that comes first or last in input order.
 *
 * <p>A global aggregation (no keys) over no rows still yields its one row: then no partition has
 * rows and the one unit queued is that row's.
 */
public final class HashAggregation implements Spillable, AutoCloseable {
    /** Most result rows per output morsel. */
    static final int OUTPUT_ROWS = 16_384;
    /** The component name in its events. */
    static final String COMPONENT = "group-by";

    /** Phases of the aggregation. */
    enum State {
        /** Consuming input into the store; partitions may spill. */
        CONSUMING,
        /** Partitions merge and emit through the queue; those not started may still spill. */
        MERGING,
        /** Closed: memory freed, files deleted. */
        CLOSED
    }

    final AggLayout layout;
    final BlockPool pool;
    final MemoryBudget budget;
    final MemoryBudget outputBudget;
    final EventSink events;
    final int outputRows;
    final PartitionedStore store;
    final PreAggregation pre;
    private final FinalizeQueue queue;
    private volatile long mergeShareLimit;
    /** With n_unique: the second level, on the group keys alone. */
    private final HashAggregation outer;
    private volatile State state = State.CONSUMING;

    /**
     * Creates the aggregation.
     *
     * @param ctx     the aggregation's context: its {@link OperatorContext#budget() budget} (tables, partial rows) is
     *                its own and the aggregation closes it; result morsels are charged to the output budget;
     *                events are {@code group-by} events; at most {@value #OUTPUT_ROWS} rows per result morsel; its
     *                forced-spill fraction is the store's (a share of the partitions, at {@link #finishInput})
     * @param workers the workers that pull the result: at most this many partitions merge at once
     * @throws IllegalArgumentException when {@code workers < 1}
     */
    public HashAggregation(AggLayout layout, OperatorContext ctx, int workers) {
        this(layout, ctx, new FinalizeQueue(workers, new AtomicLong()));
    }

    private HashAggregation(AggLayout layout, OperatorContext ctx, FinalizeQueue queue) {
        this.layout = layout;
        this.pool = ctx.pool();
        this.budget = ctx.budget();
        this.outputBudget = ctx.outputBudget();
        this.events = ctx.events();
        this.outputRows = Math.max(1, Math.min(OUTPUT_ROWS, ctx.outputRows()));
        this.queue = queue;
        PartitionedStore s = null;
        try {
            s = ctx.store(COMPONENT, layout.partialSchema()).partitioned(Hashing.PARTITION_BITS, 0, splitHasher(layout));
            this.outer = layout.hasDistinct()
                    ? new HashAggregation(layout.merged(), ctx.withBudget(outputBudget.child(budget.name() + "-merge")), queue)
                    : null;
        } catch (RuntimeException | Error e) {
            if (s != null) {
                s.close();
            }
            budget.close();
            throw e;
        }
        this.store = s;
        this.pre = new PreAggregation(layout, pool, budget, store, outer != null);
    }

    /**
     * What a partition too large to merge within its share is split by: a hash of the partial
     * rows' group keys (a function of the keys alone, so a group stays in one sub-partition). None
     * with n_unique, whose partitions fold into a second level instead, or without keys.
     */
    private static RowHasher splitHasher(AggLayout layout) {
        int keys = layout.keyCount();
        if (layout.hasDistinct() || keys == 0) {
            return null;
        }
        return (m, out) -> {
            for (int k = 0; k < keys; k++) {
                Hashing.hashColumn(m.column(k), out, k > 0);
            }
        };
    }

    /**
     * The memory one merging partition may use: the memory there is (what is free plus what the
     * store could spill) over the partitions merging at once, halved for the partial morsels read
     * beside the table.
     */
    long mergeShare() {
        long share = FinalizeQueue.memoryShare(budget, store.spillableBytes(), 2, queue.maxStarted());
        return mergeShareLimit > 0 ? Math.min(share, mergeShareLimit) : share;
    }

    /** Caps {@link #mergeShare} (tests: splitting without a large input). */
    void limitMergeShare(long bytes) {
        this.mergeShareLimit = bytes;
    }

    /** The layout (input, partial and output schemas). */
    public AggLayout layout() {
        return layout;
    }

    /** How many partitions are spilled now. */
    public int spilledPartitions() {
        int n = 0;
        for (int p = 0; p < store.unitCount(); p++) {
            n += store.spilled(p) ? 1 : 0;
        }
        return n;
    }

    // ================================================================== consuming

    /** A worker's pre-aggregation table; the worker owns it and hands it to {@link #combine}. */
    public AutoCloseable newLocal() {
        return pre.newLocal();
    }

    /** Aggregates an input morsel (laid out as {@link AggLayout#inputSchema()}, taking ownership) into {@code local}. */
    public void consume(AutoCloseable local, Morsel m) {
        pre.consume((AggTable) local, m);
    }

    /** Flushes and frees a worker's table after its input ended. */
    public void combine(AutoCloseable local) {
        pre.combine((AggTable) local);
    }

    /**
     * Ends the input (once every worker {@link #combine combined}): seals the store, spills its
     * forced share of partitions, reports the input and queues the partitions for merging.
     *
     * @throws IllegalStateException when the input already ended or the aggregation was closed
     */
    public void finishInput() {
        finishInput(queue);
    }

    /** {@link #finishInput()}, for the first level or — from the last folded partition — the second. */
    void finishInput(FinalizeQueue into) {
        if (state != State.CONSUMING) {
            throw new IllegalStateException(COMPONENT + ": the input already ended (" + state + ")");
        }
        store.finishInput();
        long onDisk = 0;
        List<Integer> withRows = new ArrayList<>();
        for (int p = 0; p < store.unitCount(); p++) {
            onDisk += store.diskBytes(p);
            if (store.rows(p) > 0) {
                withRows.add(p);
            }
        }
        events.accept(new AggregationInputComplete(COMPONENT, pre.inputRows(), pre.partialRows(), spilledPartitions(),
                store.unitCount(), onDisk, store.bytesInMemory()));
        DistinctFold fold = outer == null ? null : new DistinctFold(this, outer, withRows.size());
        for (int p : withRows) {
            into.add(new PartitionMerge(this, p, fold));
        }
        if (withRows.isEmpty()) {
            if (outer != null) {
                outer.finishInput(into);
            } else if (layout.keyCount() == 0) {
                into.add(new EmptyGroup());
            }
        }
        // Last: a puller that sees MERGING finds the units queued.
        state = State.MERGING;
    }

    // ================================================================== emitting

    /**
     * One result morsel from some partition, or null when none can be had now: either every
     * group was emitted ({@link #isDone()}) or the partitions left are in other pullers' hands.
     * Thread-safe; call after {@link #finishInput}.
     */
    public Morsel next() {
        if (state == State.CONSUMING) {
            throw new IllegalStateException(COMPONENT + ": finish the input before pulling groups");
        }
        return queue.next();
    }

    /** Whether every group was emitted; stable once true. */
    public boolean isDone() {
        return state != State.CONSUMING && queue.isDone();
    }

    /** The one row of a global aggregation over no rows. */
    private final class EmptyGroup implements FinalizeQueue.Unit {
        private boolean emitted;

        @Override
        public Morsel next(long sequence, FinalizeQueue q) {
            if (emitted) {
                return null;
            }
            emitted = true;
            try (AggTable t = new AggTable(layout, false, Integer.MAX_VALUE, pool, budget)) {
                t.addEmptyGroup();
                return t.results(0, 1, pool, outputBudget, sequence);
            }
        }

        @Override
        public void close() {
            emitted = true;
        }
    }

    // ================================================================== spilling

    @Override
    public String name() {
        return COMPONENT;
    }

    @Override
    public long spillableBytes() {
        return store.spillableBytes() + (outer == null ? 0 : outer.spillableBytes());
    }

    /** Spills the largest partitions not yet started (the second level's first) until {@code bytesWanted} were freed. */
    @Override
    public long spill(long bytesWanted) {
        long fromOuter = outer == null ? 0 : outer.spill(bytesWanted);
        return fromOuter >= bytesWanted ? fromOuter : fromOuter + store.spill(bytesWanted - fromOuter);
    }

    // ================================================================== lifecycle

    /** Frees all memory and deletes the spill files; call once no puller runs. Idempotent. */
    @Override
    public synchronized void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        List<AutoCloseable> owned = new ArrayList<>();
        owned.add(queue);
        if (outer != null) {
            owned.add(outer);
        }
        owned.add(store);
        owned.add(budget);
        Closeables.closeAll(owned);
    }
}
