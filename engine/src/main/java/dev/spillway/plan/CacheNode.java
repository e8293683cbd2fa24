package dev.spillway.plan;

import dev.spillway.types.Schema;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A subplan whose result several parts of one query read ({@code LazyFrame.cache()}): it is
 * computed once per query and fanned out to every place the same {@code id} occurs, through a
 * streaming multiplexer whose per-consumer backlogs spill.
 *
 * <p>Nodes are values, and the optimizer rebuilds the tree, so the occurrences of one cache are
 * recognised by {@code id}, not by object identity; all occurrences of an id carry the same input
 * (the optimizer keeps them in step).
 *
 * @param id    identifies the cache within any plan
 * @param input the subplan computed once
 */
public record CacheNode(long id, LogicalPlan input) implements LogicalPlan {
    private static final AtomicLong IDS = new AtomicLong();

    /**
     * A new cache over {@code input}. Ids increase: a cache nested in another's input always has
     * the smaller id, which the optimizer relies on to prune outer caches first.
     */
    public static CacheNode of(LogicalPlan input) {
        return new CacheNode(IDS.incrementAndGet(), input);
    }

    @Override
    public Schema schema() {
        return input.schema();
    }

    @Override
    public List<LogicalPlan> inputs() {
        return List.of(input);
    }

    @Override
    public LogicalPlan withInputs(List<LogicalPlan> inputs) {
        return new CacheNode(id, inputs.get(0));
    }

    @Override
    public String label() {
        return "CACHE id=" + id;
    }
}
