package dev.spillway.operators.groupby;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.spill.PartitionedStore;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.LongAdder;

/**
 * The pre-aggregation phase of a {@link HashAggregation}: each worker aggregates its morsels in a
 * small fixed-size {@link AggTable} of its own; when that table is full, and when the worker's
 * input ends, its groups are flushed as partial-state rows into a shared {@link PartitionedStore}
 * on the hash that picks their partition ({@link #partitionHash}). The store seals them into
 * column-wise chunks and spills whole partitions when the memory manager asks.
 *
 * <p>Thread-safe as the store is: every worker drives its own table; the counters are adders.
 */
final class PreAggregation {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    /**
     * Most groups flushed in one partial morsel: bounds the transient copy while giving each of the
     * store's 256 partitions about a hundred rows per append, so the per-append work (its lock,
     * its batch set-up) is spread over many rows (at 4096, a sixteen-row append cost twice the old
     * direct copy).
     */
    private static final int FLUSH_ROWS = 32768;

    private final AggLayout layout;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final PartitionedStore store;
    private final boolean byExtendedKey;
    private final int localGroups;
    private final LongAdder inputRows = new LongAdder();
    private final LongAdder partialRows = new LongAdder();

    /**
     * @param store         where partial rows go (schema {@link AggLayout#partialSchema()})
     * @param byExtendedKey whether partitions are chosen on the extended key (n_unique) rather
     *                      than on the group keys
     */
    PreAggregation(AggLayout layout, BlockPool pool, MemoryBudget budget, PartitionedStore store, boolean byExtendedKey) {
        this.layout = layout;
        this.pool = pool;
        this.budget = budget;
        this.store = store;
        this.byExtendedKey = byExtendedKey;
        // Small caps get small tables: a table per worker must fit beside the store's open chunks. A power
        // of two, so that the table's native buffers fill the pool's size classes they are served from.
        this.localGroups = Integer.highestOneBit(
                (int) Math.max(256, Math.min(16_384, budget.effectiveCap() / 64 / AggTable.bytesPerGroup(layout))));
    }

    /** A worker's table; the worker owns it and hands it to {@link #combine}. */
    AggTable newLocal() {
        return new AggTable(layout, true, localGroups, pool, budget);
    }

    /** Aggregates an input morsel (laid out as {@link AggLayout#inputSchema()}, taking ownership) into {@code t}. */
    void consume(AggTable t, Morsel m) {
        try (m) {
            inputRows.add(m.rowCount());
            long base = m.sequence() << 32;
            for (int pass = AggTable.MAIN; pass < layout.distinctInputs.length; pass++) {
                int from = 0;
                while (from < m.rowCount()) {
                    from = t.addInput(m, from, base, pass);
                    if (from < m.rowCount()) {
                        flush(t);
                    }
                }
            }
        }
    }

    /** Merges partial rows (laid out as {@link AggLayout#partialSchema()}, taking ownership) into {@code t}. */
    void consumePartials(AggTable t, Morsel m) {
        try (m) {
            int from = 0;
            while (from < m.rowCount()) {
                from = t.addPartials(m, from);
                if (from < m.rowCount()) {
                    flush(t);
                }
            }
        }
    }

    /** Flushes and frees a worker's table after its input ended. */
    void combine(AggTable t) {
        try (t) {
            flush(t);
        }
    }

    /** Moves every group of {@code t} into the store as a partial row, then clears {@code t}. */
    private void flush(AggTable t) {
        int n = t.groups();
        if (n == 0) {
            return;
        }
        partialRows.add(n);
        for (int from = 0; from < n; from += FLUSH_ROWS) {
            int to = Math.min(n, from + FLUSH_ROWS);
            try (Morsel partials = t.partials(from, to, pool, budget);
                 NativeBuffer hb = pool.allocate(budget, 8L * (to - from))) {
                MemorySegment hashes = hb.segment();
                for (int g = from; g < to; g++) {
                    hashes.setAtIndex(LONG, g - from, partitionHash(t, g));
                }
                store.append(partials, hashes);
            }
        }
        t.clear();
    }

    /**
     * The hash that picks a group's partition: its group keys' — so that all of a group meets in
     * one partition — except with n_unique, where the (keys, value) pairs of one group spread over
     * all partitions (the distinct counts of different partitions then simply add up in the second
     * level), so that few groups with many distinct values do not crowd one partition.
     */
    private long partitionHash(AggTable t, int g) {
        return byExtendedKey ? t.hash(g) : t.partitionHash(g);
    }

    /** Input rows consumed so far. */
    long inputRows() {
        return inputRows.sum();
    }

    /** Partial rows flushed into the store so far. */
    long partialRows() {
        return partialRows.sum();
    }
}
