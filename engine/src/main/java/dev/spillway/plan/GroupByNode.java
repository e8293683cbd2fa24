package dev.spillway.plan;

import dev.spillway.operators.groupby.function.AggregateFunction;
import dev.spillway.errors.PlanException;

import dev.spillway.Expr;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.operators.groupby.AggLayout;
import dev.spillway.operators.groupby.AggSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * A hash aggregation: one row per distinct combination of the key values (null keys form their own
 * group; float keys group {@code -0.0} with {@code 0.0} and all NaNs together), with the group keys
 * then one column per aggregate. Without keys it is a global aggregation: exactly one row, even
 * over no input. Rows come out in no particular order.
 *
 * @param input the input
 * @param keys  the group key expressions (named by {@link Expr#outputName()})
 * @param aggs   the aggregates, each an {@link Expr.Agg} possibly under an alias
 * @param schema the output schema, derived from the others and kept
 */
public record GroupByNode(LogicalPlan input, List<Expr> keys, List<Expr> aggs, Schema schema) implements LogicalPlan {
    /** A group-by of {@code input} by {@code keys} computing {@code aggs}. */
    public GroupByNode(LogicalPlan input, List<Expr> keys, List<Expr> aggs) {
        this(input, keys, aggs, null);
    }

    /** Type-checks keys and aggregates, rejects duplicate output names and derives the schema (a given one is ignored). */
    public GroupByNode {
        keys = List.copyOf(keys);
        aggs = List.copyOf(aggs);
        for (Expr k : keys) {
            if (k.isAggregate()) {
                throw new PlanException("group key " + k + " is an aggregate; keys are plain expressions");
            }
        }
        if (keys.isEmpty() && aggs.isEmpty()) {
            throw new PlanException("a group-by needs at least one key or aggregate");
        }
        for (Expr a : aggs) {
            if (!a.isAggregate()) {
                throw new PlanException(a + " is not an aggregate; use e.g. col(\"x\").sum(), .count(), .first() or Expr.rowCount()");
            }
        }
        try {
            schema = new Schema(fields(input, keys, aggs));
        } catch (IllegalArgumentException dup) {
            throw new PlanException(dup.getMessage() + "; use alias() to give the columns distinct names", dup);
        }
    }

    private static List<Field> fields(LogicalPlan input, List<Expr> keys, List<Expr> aggs) {
        List<Field> fields = new ArrayList<>();
        for (Expr k : keys) {
            fields.add(ExprCompiler.fieldOf(k, input.schema(), k.outputName()));
        }
        for (AggSpec s : specs(input, aggs)) {
            fields.add(s.resultField());
        }
        return fields;
    }

    /** The aggregate under an optional alias. */
    public static Expr.Agg unwrap(Expr e) {
        Expr x = e;
        while (x instanceof Expr.Alias a) {
            x = a.input();
        }
        return (Expr.Agg) x;
    }

    private static List<AggSpec> specs(LogicalPlan input, List<Expr> aggs) {
        List<AggSpec> out = new ArrayList<>();
        for (Expr e : aggs) {
            Expr.Agg a = unwrap(e);
            Field in = a.input() == null ? null : ExprCompiler.fieldOf(a.input(), input.schema(), e.outputName());
            try {
                out.add(AggSpec.of(AggregateFunction.of(a.function()), in, e.outputName(), e.toString()));
            } catch (IllegalArgumentException bad) {
                throw new PlanException(bad.getMessage() + " in " + e, bad);
            }
        }
        return out;
    }

    /** The operator's layout: key fields and aggregate specs. */
    public AggLayout layout() {
        List<Field> keyFields = new ArrayList<>();
        for (Expr k : keys) {
            keyFields.add(ExprCompiler.fieldOf(k, input.schema(), k.outputName()));
        }
        return new AggLayout(keyFields, specs(input, aggs));
    }

    /** The expressions the operator's input is made of: the keys, then each aggregate's input. */
    public List<Expr> inputExprs() {
        List<Expr> out = new ArrayList<>(keys);
        for (Expr e : aggs) {
            Expr.Agg a = unwrap(e);
            if (a.input() != null) {
                out.add(a.input());
            }
        }
        return out;
    }

    @Override
    public List<LogicalPlan> inputs() {
        return List.of(input);
    }

    @Override
    public LogicalPlan withInputs(List<LogicalPlan> inputs) {
        return new GroupByNode(inputs.get(0), keys, aggs);
    }

    /** {@code keys=[..] aggs=[..]} as in plans. */
    public String describe() {
        StringJoiner k = new StringJoiner(", ", "keys=[", "]");
        for (Expr e : keys) {
            k.add(e.toString());
        }
        StringJoiner a = new StringJoiner(", ", "aggs=[", "]");
        for (Expr e : aggs) {
            a.add(e.toString());
        }
        return k + " " + a;
    }

    @Override
    public String label() {
        return "GROUP_BY " + describe();
    }
}
