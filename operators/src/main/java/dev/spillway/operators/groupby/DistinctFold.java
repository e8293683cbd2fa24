package dev.spillway.operators.groupby;

import dev.spillway.memory.Morsel;
import dev.spillway.operators.FinalizeQueue;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The n_unique fold of a {@link HashAggregation}: each merged partition of the extended key
 * (group keys plus the n_unique inputs) is folded back to the group keys — counting its distinct
 * values, see {@link AggTable#addFolded} — and handed as partial rows to the second-level
 * aggregation on the group keys alone, where the counts of the partitions add up. When the last
 * first-level partition was folded, the second level's input ends and its partitions join the
 * same queue.
 *
 * <pre>
 *   FOLDING (partitions left) --last partition folded: second level finishInput--> DONE
 * </pre>
 *
 * <p>Partitions fold in parallel, on whichever puller merged them: each fold pre-aggregates into
 * a table of its own and flushes into the second level's store, which is thread-safe. The count of
 * partitions left is what orders the second level's {@code finishInput} after every flush; the
 * puller that folds the last one queues the second level's units while its own unit still counts
 * as outstanding, so the queue never looks done in between.
 */
final class DistinctFold {
    private final HashAggregation first;
    private final HashAggregation second;
    private final AtomicInteger partitionsLeft;

    /**
     * @param first      the aggregation on the extended key
     * @param second     the aggregation on the group keys, still consuming
     * @param partitions how many first-level partitions will be folded
     */
    DistinctFold(HashAggregation first, HashAggregation second, int partitions) {
        this.first = first;
        this.second = second;
        this.partitionsLeft = new AtomicInteger(partitions);
    }

    /**
     * Folds a merged first-level partition (closing it) into the second level; the last one ends
     * the second level's input and queues its partitions on {@code queue}.
     */
    void partitionMerged(AggTable merged, FinalizeQueue queue) {
        try (AggTable folded = fold(merged); AggTable local = second.pre.newLocal()) {
            for (int from = 0; from < folded.groups(); from += HashAggregation.OUTPUT_ROWS) {
                Morsel partials = folded.partials(from, Math.min(folded.groups(), from + HashAggregation.OUTPUT_ROWS),
                        first.pool, second.budget);
                second.pre.consumePartials(local, partials);
            }
            second.pre.combine(local);
        }
        if (partitionsLeft.decrementAndGet() == 0) {
            second.finishInput(queue);
        }
    }

    /** Folds a merged table of the extended key back to the group keys, closing it. */
    private AggTable fold(AggTable merged) {
        try (merged) {
            AggTable folded = new AggTable(first.layout, false, Integer.MAX_VALUE, first.pool, first.budget);
            try {
                for (int from = 0; from < merged.groups(); from += HashAggregation.OUTPUT_ROWS) {
                    try (Morsel m = merged.partials(from, Math.min(merged.groups(), from + HashAggregation.OUTPUT_ROWS),
                            first.pool, first.budget)) {
                        folded.addFolded(m);
                    }
                }
                return folded;
            } catch (RuntimeException | Error e) {
                folded.close();
                throw e;
            }
        }
    }
}
