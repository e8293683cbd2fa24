package dev.spillway.operators.groupby;

import dev.spillway.event.PartitionMerging;
import dev.spillway.event.PartitionSplit;
import dev.spillway.memory.Morsel;
import dev.spillway.operators.FinalizeQueue;
import dev.spillway.spill.PartitionedStore;
import dev.spillway.spill.Repartition;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The partition-merge phase of a {@link HashAggregation} for one partition of its store (or of a
 * split partition's child store), as a {@link FinalizeQueue} unit: driven by one puller at a time,
 * several partitions in parallel.
 *
 * <pre>
 *            +--> SPLIT: too large for its share; re-partitioned on the next 4 hash bits, the
 *            |           sub-partitions queued first --> DONE
 *   PENDING -+--> merge, release --> EMITTING --all groups out--> DONE
 *            +--> n_unique: merge, fold into the second level --> DONE
 *   any --close--> DONE
 * </pre>
 *
 * <p>While PENDING the partition is untouched in the store (evictable, not pinned), so the memory
 * of partitions that other pullers merge can still be had by spilling it. The merge takes the
 * partition's in-memory morsels and streams its spilled blocks one at a time into one table of
 * its groups, then releases the partition (its file is deleted once no partition has blocks in
 * it); the groups then go out in morsels of at most {@code outputRows} rows.
 *
 * <p>A partition whose merge table could outgrow its share of the memory ({@link HashAggregation#mergeShare}:
 * every partial row counted as a distinct group) is split first, like a join's spilled pair, down
 * to {@value #MAX_LEVEL} levels. A split in which one sub-partition keeps almost all rows is not
 * split again: its rows share few keys, so its groups are few whatever its size.
 */
final class PartitionMerge implements FinalizeQueue.Unit {
    /** Hash bits each split of a partition uses. */
    static final int SUB_BITS = 4;
    /** Deepest split (8 + 5 * 4 = 28 hash bits). */
    static final int MAX_LEVEL = 5;

    /** Where a partition's merge stands. */
    enum State {
        /** Queued or claimed but not merged: the partition is still in the store, evictable. */
        PENDING,
        /** Merged into {@link #table}; its groups are being emitted. */
        EMITTING,
        /** Everything emitted (or folded, or split), or closed; the table is freed and the partition released. */
        DONE
    }

    private final HashAggregation agg;
    private final PartitionedStore store;
    /** The split that made {@link #store}, or null for the aggregation's own store. */
    private final Split owner;
    private final int partition;
    private final String label;
    private final int level;
    /** Non-null with n_unique: the merged partition is folded into the second level, not emitted. */
    private final DistinctFold fold;
    private State state = State.PENDING;
    private AggTable table;
    private int emitted;
    private boolean closed;

    /** The merge of partition {@code partition} of {@code agg}'s own store. */
    PartitionMerge(HashAggregation agg, int partition, DistinctFold fold) {
        this(agg, agg.store, null, partition, Integer.toString(partition), 0, fold);
    }

    private PartitionMerge(HashAggregation agg, PartitionedStore store, Split owner, int partition, String label, int level,
            DistinctFold fold) {
        this.agg = agg;
        this.store = store;
        this.owner = owner;
        this.partition = partition;
        this.label = label;
        this.level = level;
        this.fold = fold;
    }

    @Override
    public Morsel next(long sequence, FinalizeQueue queue) {
        if (state == State.PENDING) {
            if (fold == null && level < MAX_LEVEL && store.hasHasher()) {
                long rows = store.rows(partition);
                long estimate = rows * AggTable.bytesPerGroup(agg.layout);
                long share = agg.mergeShare();
                if (rows > 1 && estimate > share) {
                    split(queue, rows, estimate, share);
                    close();
                    return null;
                }
            }
            AggTable merged = merge();
            if (fold != null) {
                state = State.DONE;
                fold.partitionMerged(merged, queue);
                return null;
            }
            table = merged;
            state = State.EMITTING;
        }
        if (state == State.EMITTING && emitted < table.groups()) {
            int to = Math.min(table.groups(), emitted + agg.outputRows);
            Morsel out = table.results(emitted, to, agg.pool, agg.outputBudget, sequence);
            emitted = to;
            return out;
        }
        close();
        return null;
    }

    /**
     * Merges the partition — its in-memory morsels and its spilled blocks — into one table of its
     * groups (the caller owns it) and releases the partition.
     */
    private AggTable merge() {
        List<Morsel> inMemory = store.take(partition);
        try {
            long rows = 0;
            for (Morsel m : inMemory) {
                rows += m.rowCount();
            }
            agg.events.accept(new PartitionMerging(HashAggregation.COMPONENT, label, rows, store.diskBytes(partition)));
            AggTable merged = new AggTable(agg.layout, true, Integer.MAX_VALUE, agg.pool, agg.budget);
            try {
                while (!inMemory.isEmpty()) {
                    try (Morsel m = inMemory.removeLast()) {
                        merged.addPartials(m);
                    }
                }
                Iterator<Morsel> spilled = store.readSpilled(partition, agg.budget);
                while (spilled.hasNext()) {
                    try (Morsel m = spilled.next()) {
                        merged.addPartials(m);
                    }
                }
            } catch (RuntimeException | Error e) {
                merged.close();
                throw e;
            }
            store.release(partition);
            return merged;
        } finally {
            inMemory.forEach(Morsel::close);
        }
    }

    /** Re-partitions the partition into a child store and queues its non-empty sub-partitions ahead of the others. */
    private void split(FinalizeQueue queue, long rows, long estimate, long share) {
        agg.events.accept(new PartitionSplit(HashAggregation.COMPONENT, label, level + 1, rows, estimate, share, 1 << SUB_BITS));
        Repartition r = store.repartition(partition, SUB_BITS);
        List<Integer> withRows = new ArrayList<>();
        for (int s = 0; s < r.rows().length; s++) {
            if (r.rows()[s] > 0) {
                withRows.add(s);
            } else {
                r.store().release(s);
            }
        }
        if (withRows.isEmpty()) {
            r.store().close();
            return;
        }
        Split child = new Split(r.store(), withRows.size());
        for (int i = withRows.size() - 1; i >= 0; i--) {
            int s = withRows.get(i);
            // One key dominating: its sub-partition has few groups however many rows, so it is not split again.
            int subLevel = r.skewed() && s == r.largest() ? MAX_LEVEL : level + 1;
            queue.addFirst(new PartitionMerge(agg, r.store(), child, s, label + "." + s, subLevel, null));
        }
    }

    /** Frees the table and releases the partition (its memory and its blocks); the last unit of a split closes its store. Idempotent. */
    @Override
    public void close() {
        state = State.DONE;
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (table != null) {
                table.close();
                table = null;
            }
        } finally {
            try {
                store.release(partition);
            } finally {
                if (owner != null) {
                    owner.unitClosed();
                }
            }
        }
    }

    /** A split partition's child store, closed when the last of its sub-partition units closes. */
    private static final class Split {
        private final PartitionedStore store;
        private final AtomicInteger open;

        Split(PartitionedStore store, int units) {
            this.store = store;
            this.open = new AtomicInteger(units);
        }

        void unitClosed() {
            if (open.decrementAndGet() == 0) {
                store.close();
            }
        }
    }
}
