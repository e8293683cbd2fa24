package dev.spillway.plan;

import dev.spillway.errors.PlanException;

import dev.spillway.SortKey;
import dev.spillway.types.Schema;
import dev.spillway.operators.sort.SortSpec;

import java.util.List;

/**
 * The input's rows ordered by {@code keys} (the first key most significant). With {@code stable},
 * rows with equal keys keep their input order; otherwise their order is unspecified.
 *
 * @param input  the input
 * @param keys   the sort keys, at least one
 * @param stable whether ties keep input order
 */
public record SortNode(LogicalPlan input, List<SortKey> keys, boolean stable) implements LogicalPlan {
    /** Checks the keys name existing columns. */
    public SortNode {
        keys = List.copyOf(keys);
        spec(input.schema(), keys, stable);
    }

    /** The operator's view of the keys over {@code schema}; unknown columns fail naming the existing ones. */
    static SortSpec spec(Schema schema, List<SortKey> keys, boolean stable) {
        if (keys.isEmpty()) {
            throw new PlanException("a sort needs at least one key");
        }
        int n = keys.size();
        int[] cols = new int[n];
        boolean[] desc = new boolean[n];
        boolean[] nullsFirst = new boolean[n];
        for (int k = 0; k < n; k++) {
            SortKey key = keys.get(k);
            cols[k] = schema.indexOf(key.column());
            if (cols[k] < 0) {
                throw new PlanException("sort key column '" + key.column() + "' not found; columns are " + schema.names());
            }
            desc[k] = key.descending();
            nullsFirst[k] = key.nullsAreFirst();
        }
        return new SortSpec(schema, cols, desc, nullsFirst, stable);
    }

    /** The operator's view of the keys. */
    public SortSpec spec() {
        return spec(input.schema(), keys, stable);
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
        return new SortNode(inputs.get(0), keys, stable);
    }

    @Override
    public String label() {
        return "SORT by=" + keys + (stable ? " stable" : "");
    }
}
