package dev.spillway.plan;

import dev.spillway.errors.PlanException;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;

import java.util.List;

/**
 * The int64 values {@code [start, end)} in one column.
 *
 * @param column the column name
 * @param start  first value
 * @param end    one past the last value
 */
public record RangeNode(String column, long start, long end) implements LogicalPlan {
    /** Validates the bounds. */
    public RangeNode {
        if (end < start) {
            throw new PlanException("range end " + end + " is below its start " + start);
        }
    }

    @Override
    public Schema schema() {
        return Schema.of(new Field(column, DataType.INT64, false));
    }

    @Override
    public List<LogicalPlan> inputs() {
        return List.of();
    }

    @Override
    public LogicalPlan withInputs(List<LogicalPlan> inputs) {
        return this;
    }

    @Override
    public String label() {
        return "RANGE " + column + " [" + start + ", " + end + ")";
    }
}
