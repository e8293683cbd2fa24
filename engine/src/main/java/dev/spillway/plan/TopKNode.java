package dev.spillway.plan;

import dev.spillway.errors.PlanException;

import dev.spillway.SortKey;
import dev.spillway.types.Schema;
import dev.spillway.operators.sort.SortSpec;

import java.util.List;

/**
 * The first {@code k} rows of the input in the order of {@code keys}; ties are kept in input
 * order, so this equals {@code sort(keys, stable).head(k)}. Memory is O(k): it never spills.
 *
 * @param input the input
 * @param keys  the sort keys, at least one
 * @param k     rows to keep (>= 0)
 */
public record TopKNode(LogicalPlan input, List<SortKey> keys, long k) implements LogicalPlan {
    /** Checks the keys and k. */
    public TopKNode {
        keys = List.copyOf(keys);
        if (k < 0) {
            throw new PlanException("top-k needs k >= 0, got " + k);
        }
        SortNode.spec(input.schema(), keys, true);
    }

    /** The operator's view of the keys (stable). */
    public SortSpec spec() {
        return SortNode.spec(input.schema(), keys, true);
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
        return new TopKNode(inputs.get(0), keys, k);
    }

    @Override
    public String label() {
        return "TOP_K k=" + k + " by=" + keys;
    }
}
