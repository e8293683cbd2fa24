package dev.spillway.plan;

import dev.spillway.errors.PlanException;

import dev.spillway.Expr;
import dev.spillway.types.DataType;
import dev.spillway.types.Schema;

import java.util.List;

/**
 * Keeps the rows where {@code predicate} is true (null counts as false).
 *
 * @param input     the input
 * @param predicate a boolean expression over the input's columns
 */
public record FilterNode(LogicalPlan input, Expr predicate) implements LogicalPlan {
    /** Type-checks the predicate. */
    public FilterNode {
        DataType t = ExprCompiler.typeOf(predicate, input.schema());
        if (t != DataType.BOOLEAN) {
            throw new PlanException("filter predicate " + predicate + " is " + t.displayName() + ", not boolean");
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
        return new FilterNode(inputs.get(0), predicate);
    }

    @Override
    public String label() {
        return "FILTER " + predicate;
    }
}
