package dev.spillway.plan;

import dev.spillway.errors.PlanException;

import dev.spillway.SortKey;
import dev.spillway.types.Schema;

import java.util.List;

/**
 * The user's declaration that the input already arrives sorted by {@code keys}
 * ({@code LazyFrame.setSorted}); rows pass through unchanged. Merge and AsOf joins rely on it and
 * check it while merging: a false declaration fails the query with an error naming the column and
 * the two values out of order.
 *
 * @param input the input
 * @param keys  the declared order, most significant first
 */
public record AssumeSortedNode(LogicalPlan input, List<SortKey> keys) implements LogicalPlan {
    /** Checks the keys name existing columns. */
    public AssumeSortedNode {
        keys = List.copyOf(keys);
        if (keys.isEmpty()) {
            throw new PlanException("setSorted needs at least one column");
        }
        for (SortKey k : keys) {
            if (input.schema().indexOf(k.column()) < 0) {
                throw new PlanException("setSorted column '" + k.column() + "' not found; columns are "
                        + input.schema().names());
            }
        }
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
        return new AssumeSortedNode(inputs.get(0), keys);
    }

    @Override
    public String label() {
        return "ASSUME_SORTED by=" + keys;
    }
}
