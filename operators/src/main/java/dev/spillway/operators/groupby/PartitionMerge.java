package dev.spillway.operators.groupby;

import dev.spillway.event.PartitionMerging;
import dev.spillway.memory.Morsel;
import dev.spillway.operators.FinalizeQueue;
import dev.spillway.spill.PartitionedStore;

import java.util.Iterator;
import java.util.List;

/**
 * The partition-merge phase of a {@link HashAggregation} for one partition of its store, as a
 * {@link FinalizeQueue} unit: driven by one puller at a time, several partitions in parallel.
 *
 * <pre>
 *   PENDING --first next: take, read spilled, merge, release--> EMITTING --all groups out--> DONE
 *   PENDING --first next, n_unique: merge, fold into the second level--> DONE
 *   any --close--> DONE
 * </pre>
 *
 * <p>While PENDING the partition is untouched in the store (evictable, not pinned), so the memory
 * of partitions that other pullers merge can still be had by spilling it. The merge takes the
 * partition's in-memory morsels and streams its spilled blocks one at a time into one table of
 * its groups, then releases the partition (its file is deleted once no partition has blocks in
 * it); the groups then go out in morsels of at most {@code outputRows} rows.
 */
final class PartitionMerge implements FinalizeQueue.Unit {
    /** Where a partition's merge stands. */
    enum State {
        /** Queued or claimed but not merged: the partition is still in the store, evictable. */
        PENDING,
        /** Merged into {@link #table}; its groups are being emitted. */
        EMITTING,
        /** Everything emitted (or folded), or closed; the table is freed and the partition released. */
        DONE
    }

    private final HashAggregation agg;
    private final int partition;
    /** Non-null with n_unique: the merged partition is folded into the second level, not emitted. */
    private final DistinctFold fold;
    private State state = State.PENDING;
    private AggTable table;
    private int emitted;

    PartitionMerge(HashAggregation agg, int partition, DistinctFold fold) {
        this.agg = agg;
        this.partition = partition;
        this.fold = fold;
    }

    @Override
    public Morsel next(long sequence, FinalizeQueue queue) {
        if (state == State.PENDING) {
            AggTable merged = merge(agg, partition);
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
     * Merges partition {@code partition} of {@code agg}'s store — its in-memory morsels and its
     * spilled blocks — into one table of its groups (the caller owns it) and releases the partition.
     */
    static AggTable merge(HashAggregation agg, int partition) {
        PartitionedStore store = agg.store;
        List<Morsel> inMemory = store.take(partition);
        try {
            long rows = 0;
            for (Morsel m : inMemory) {
                rows += m.rowCount();
            }
            agg.events.accept(new PartitionMerging(HashAggregation.COMPONENT, partition, rows, store.diskBytes(partition)));
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

    /** Frees the table and releases the partition (its memory and its blocks). Idempotent. */
    @Override
    public void close() {
        state = State.DONE;
        try {
            if (table != null) {
                table.close();
                table = null;
            }
        } finally {
            agg.store.release(partition);
        }
    }
}
