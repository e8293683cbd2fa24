package dev.spillway.operators;

import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.operators.eval.EvalContext;
import dev.spillway.operators.eval.PhysicalExpr;
import dev.spillway.scheduler.Operator;
import dev.spillway.scheduler.TaskContext;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/** Computes one output column per expression; column references pass through zero-copy. */
public final class ProjectOperator implements Operator {
    private final List<PhysicalExpr> exprs;
    private final Schema output;
    private final EvalContext eval;

    /**
     * Creates the operator.
     *
     * @throws IllegalArgumentException when the expressions do not match the output schema's types
     */
    public ProjectOperator(List<PhysicalExpr> exprs, Schema output, EvalContext eval) {
        if (exprs.size() != output.size()) {
            throw new IllegalArgumentException(exprs.size() + " expressions for " + output.size() + " output columns");
        }
        for (int i = 0; i < exprs.size(); i++) {
            if (exprs.get(i).type() != output.field(i).type()) {
                throw new IllegalArgumentException("expression " + exprs.get(i) + " is " + exprs.get(i).type().displayName()
                        + " but output column " + output.field(i) + " is declared otherwise");
            }
        }
        this.exprs = List.copyOf(exprs);
        this.output = output;
        this.eval = eval;
    }

    /** The output schema. */
    public Schema output() {
        return output;
    }

    @Override
    public String name() {
        StringJoiner j = new StringJoiner(", ", "select [", "]");
        for (int i = 0; i < exprs.size(); i++) {
            j.add(exprs.get(i) + " as " + output.field(i).name());
        }
        return j.toString();
    }

    @Override
    public Morsel process(Morsel input, TaskContext ctx) {
        return apply(input);
    }

    /** Projects {@code input}, which this method closes; the caller owns the result. */
    public Morsel apply(Morsel input) {
        try (input) {
            List<ColumnVector> cols = new ArrayList<>(exprs.size());
            try {
                for (PhysicalExpr e : exprs) {
                    cols.add(e.evaluate(input, eval));
                }
            } catch (RuntimeException e) {
                cols.forEach(ColumnVector::close);
                throw e;
            }
            return new Morsel(output, cols, input.rowCount(), input.sequence());
        }
    }
}
