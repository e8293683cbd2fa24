package dev.spillway.operators.groupby;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

/**
 * The groups of a {@link HashAggregation} as the source of the pipeline that consumes them: one
 * partition is merged at a time and each pull returns one bounded morsel of its groups. Pulls are
 * serialised (on a private lock, never on the aggregation, whose spilling must not wait for it).
 */
public final class GroupBySource implements Source {
    private final HashAggregation agg;
    private final Object lock = new Object();
    private long sequence;
    private boolean done;

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
        synchronized (lock) {
            if (done || ctx.isCancelled()) {
                return null;
            }
            Morsel m = agg.next(sequence);
            if (m == null) {
                done = true;
            } else {
                sequence++;
            }
            return m;
        }
    }

    @Override
    public void close() {
        agg.close();
    }
}
