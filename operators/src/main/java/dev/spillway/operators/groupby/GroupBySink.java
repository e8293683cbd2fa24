package dev.spillway.operators.groupby;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.TaskContext;

/**
 * The pipeline breaker in front of a {@link HashAggregation}: each worker pre-aggregates into its
 * own small table, flushed into the shared partitions when full and when the input ends.
 */
public final class GroupBySink implements Sink<AutoCloseable> {
    private final HashAggregation agg;

    /** Feeds {@code agg}. */
    public GroupBySink(HashAggregation agg) {
        this.agg = agg;
    }

    @Override
    public String name() {
        return "group-by pre-aggregation";
    }

    @Override
    public AutoCloseable createLocal(TaskContext ctx) {
        return agg.newLocal();
    }

    @Override
    public void consume(AutoCloseable local, Morsel morsel, TaskContext ctx) {
        agg.consume(local, morsel);
    }

    @Override
    public void combine(AutoCloseable local, TaskContext ctx) {
        agg.combine(local);
    }

    @Override
    public void finish(TaskContext ctx) {
        agg.finishInput();
    }

    @Override
    public void close() {
        agg.close();
    }
}
