package dev.spillway.plan;

import dev.spillway.errors.PlanException;

import dev.spillway.types.Schema;

import java.util.List;

/**
 * The last {@code n} rows of the input, in input order.
 *
 * @param input the input
 * @param n     rows to keep (>= 0)
 */
public record TailNode(LogicalPlan input, long n) implements LogicalPlan {
    /** Validates n. */
    public TailNode {
        if (n < 0) {
            throw new PlanException("tail needs n >= 0, got " + n);
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
        return new TailNode(inputs.get(0), n);
    }

    @Override
    public String label() {
        return "TAIL n=" + n;
    }
}
