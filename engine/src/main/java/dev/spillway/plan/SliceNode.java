package dev.spillway.plan;

import dev.spillway.errors.PlanException;

import dev.spillway.types.Schema;

import java.util.List;

/**
 * Rows {@code [offset, offset + length)} of the input, in input order.
 *
 * @param input  the input
 * @param offset rows to skip (>= 0)
 * @param length rows to keep (>= 0)
 */
public record SliceNode(LogicalPlan input, long offset, long length) implements LogicalPlan {
    /** Validates the bounds. */
    public SliceNode {
        if (offset < 0 || length < 0) {
            throw new PlanException("slice offset and length must be >= 0, got offset " + offset + " and length " + length);
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
        return new SliceNode(inputs.get(0), offset, length);
    }

    @Override
    public String label() {
        return "SLICE offset=" + offset + " length=" + length;
    }
}
