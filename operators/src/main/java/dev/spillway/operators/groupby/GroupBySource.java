package dev.spillway.operators.groupby;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

/**
 * The groups of a {@link HashAggregation} as the source of the pipeline that consumes them, a
 * thin view of its finalize queue: every worker that pulls claims a partition to merge or takes
 * the next morsel of one already merged, so partitions merge in parallel. A pull returns null
 * with {@link #isExhausted()} false while the partitions left are in other pullers' hands, and
 * {@link #isExhausted()} turns true once every group was emitted (or the query was cancelled).
 */
public final class GroupBySource implements Source {
    private final HashAggregation agg;
    private volatile boolean cancelled;

    /** Emits the groups of {@code agg}, which must have consumed its whole input first. */
    public GroupBySource(HashAggregation agg) {
        this.agg = agg;
    }

    @Override
    public String name() {
        return "group-by output";
    }

    @Override
    public Morsel next(TaskContext ctx) {
        if (ctx.isCancelled()) {
            cancelled = true;
            return null;
        }
        return agg.next();
    }

    @Override
    public boolean isExhausted() {
        return cancelled || agg.isDone();
    }

    @Override
    public void close() {
        agg.close();
    }
}
