package dev.spillway.plan;

import dev.spillway.errors.PlanException;

import dev.spillway.Expr;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * Computes one output column per expression ({@code select}, and {@code withColumns},
 * {@code rename} and {@code drop} expressed as selects).
 *
 * @param input  the input
 * @param exprs  the output columns, named by {@link Expr#outputName()}
 * @param schema the output schema: always derived from the other two (a given one is ignored), and
 *               kept, so that deep plans do not type their expressions again at every level
 */
public record ProjectNode(LogicalPlan input, List<Expr> exprs, Schema schema) implements LogicalPlan {
    /** A projection of {@code exprs} over {@code input}. */
    public ProjectNode(LogicalPlan input, List<Expr> exprs) {
        this(input, exprs, null);
    }

    /** Type-checks the expressions, rejects duplicate output names and derives the schema. */
    public ProjectNode {
        exprs = List.copyOf(exprs);
        if (exprs.isEmpty()) {
            throw new PlanException("select needs at least one column");
        }
        List<Field> fields = new ArrayList<>();
        Schema in = input.schema();
        for (Expr e : exprs) {
            fields.add(ExprCompiler.fieldOf(e, in, e.outputName()));
        }
        try {
            schema = new Schema(fields);
        } catch (IllegalArgumentException dup) {
            throw new PlanException(dup.getMessage() + "; use alias() to give the columns distinct names", dup);
        }
    }

    /** Whether every expression is a plain column reference (possibly renamed). */
    public boolean isColumnSelection() {
        for (Expr e : exprs) {
            Expr inner = e instanceof Expr.Alias a ? a.input() : e;
            if (!(inner instanceof Expr.Column)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public List<LogicalPlan> inputs() {
        return List.of(input);
    }

    @Override
    public LogicalPlan withInputs(List<LogicalPlan> inputs) {
        return new ProjectNode(inputs.get(0), exprs);
    }

    @Override
    public String label() {
        StringJoiner j = new StringJoiner(", ", "SELECT [", "]");
        for (Expr e : exprs) {
            j.add(e.toString());
        }
        return j.toString();
    }
}
