package dev.spillway.plan;

import dev.spillway.errors.PlanException;

import dev.spillway.Expr;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.operators.OperatorContext;
import dev.spillway.options.JoinType;
import dev.spillway.operators.join.NestedLoopJoin;
import dev.spillway.operators.join.PairLayout;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A cross join ({@code predicate == null}) or a join on an arbitrary predicate
 * ({@code joinWhere}), run as a block nested-loop join. Columns of a pair (left row, right row):
 * every left column, then every right column, a right name already taken getting {@code _right}
 * (the equi-join's rule); the predicate refers to them by these names. The result has these
 * columns (the left ones nullable for RIGHT and FULL), or for SEMI and ANTI the left columns only.
 *
 * @param left      the left input (the preserved side of LEFT, FULL, SEMI and ANTI)
 * @param right     the right input (the preserved side of RIGHT and FULL)
 * @param how       any join type; a cross join is INNER
 * @param predicate a boolean expression over the pair columns, or null for a cross join
 */
public record NestedLoopJoinNode(LogicalPlan left, LogicalPlan right, JoinType how, Expr predicate) implements LogicalPlan {
    /** Checks the type and type-checks the predicate. */
    public NestedLoopJoinNode {
        if (how == null) {
            throw new PlanException("joinWhere needs a join type (INNER, LEFT, RIGHT, FULL, SEMI or ANTI), not null");
        }
        if (predicate == null && how != JoinType.INNER) {
            throw new PlanException("a cross join is INNER; a " + how + " join needs a predicate");
        }
        if (predicate != null) {
            DataType t = ExprCompiler.typeOf(predicate, pairSchema(left.schema(), right.schema()));
            if (t != DataType.BOOLEAN) {
                throw new PlanException("join predicate " + predicate + " is " + t.displayName() + ", not boolean");
            }
        }
    }

    /** The columns of a (left row, right row) pair: left columns, then right ones, clashes suffixed {@code _right}. */
    static Schema pairSchema(Schema left, Schema right) {
        List<Field> fields = new ArrayList<>(left.fields());
        Set<String> names = new HashSet<>(left.names());
        for (Field f : right) {
            String name = names.contains(f.name()) ? f.name() + "_right" : f.name();
            names.add(name);
            fields.add(f.nullableAs(name));
        }
        return new Schema(fields);
    }

    /** The pair columns. */
    public Schema pairSchema() {
        return pairSchema(left.schema(), right.schema());
    }

    /** Whether this is a cross join. */
    public boolean isCross() {
        return predicate == null;
    }

    @Override
    public Schema schema() {
        if (how.leftColumnsOnly()) {
            return left.schema();
        }
        Schema pairs = pairSchema();
        if (!how.keepsUnmatchedRight()) {
            return pairs;
        }
        // Right rows without a match come with null left columns.
        List<Field> fields = new ArrayList<>();
        for (Field f : pairs) {
            fields.add(f.nullableAs(f.name()));
        }
        return new Schema(fields);
    }

    @Override
    public List<LogicalPlan> inputs() {
        return List.of(left, right);
    }

    @Override
    public LogicalPlan withInputs(List<LogicalPlan> inputs) {
        return new NestedLoopJoinNode(inputs.get(0), inputs.get(1), how, predicate);
    }

    /**
     * Whether the left input is the materialized one: for INNER joins the clearly (20%) smaller by
     * estimate; every other type materializes the right input (for RIGHT and FULL with a matched
     * flag per right row).
     */
    public boolean buildsLeft() {
        if (how != JoinType.INNER) {
            return false;
        }
        long l = SizeEstimate.bytes(left);
        long r = SizeEstimate.bytes(right);
        return l >= 0 && r >= 0 && l < r - r / 5;
    }

    @Override
    public String label() {
        return (isCross() ? "CROSS_JOIN" : "JOIN_WHERE " + how + " on=" + predicate);
    }

    /** The {@code explain()} line of the physical plan. */
    String explainLabel() {
        return "STREAMING_NESTED_LOOP_JOIN " + how + (isCross() ? " cross" : " on=" + predicate) + " build="
                + (buildsLeft() ? "left" : "right") + switch (how) {
                    case INNER -> " (smaller by estimate)";
                    case RIGHT -> " (preserved right, matched flags)";
                    case FULL -> " (preserved both, matched flags)";
                    case LEFT, SEMI, ANTI -> " (preserved left)";
                }
                + " [spillable]";
    }

    /**
     * The operator, materializing the left input when {@code buildsLeft}: only the pair columns the
     * predicate reads are gathered to evaluate it, and the result columns are taken from either side.
     */
    NestedLoopJoin newOperator(boolean buildsLeft, OperatorContext ctx) {
        Schema pairs = pairSchema();
        int leftWidth = left.schema().size();
        Set<String> used = predicate == null ? Set.of() : predicate.columns();
        List<Field> predicateFields = new ArrayList<>();
        List<Integer> predicatePositions = new ArrayList<>();
        for (int c = 0; c < pairs.size(); c++) {
            if (used.contains(pairs.field(c).name())) {
                predicateFields.add(pairs.field(c));
                predicatePositions.add(c);
            }
        }
        Schema predicateSchema = new Schema(predicateFields);
        PairLayout predicateLayout = layout(predicateSchema, predicatePositions, leftWidth, buildsLeft);
        List<Integer> outputPositions = new ArrayList<>();
        for (int c = 0; c < schema().size(); c++) {
            outputPositions.add(c);
        }
        PairLayout outputLayout = layout(schema(), outputPositions, leftWidth, buildsLeft);
        return new NestedLoopJoin((buildsLeft ? left : right).schema(), how,
                predicate == null ? null : ExprCompiler.compile(predicate, predicateSchema), predicateLayout, outputLayout, ctx);
    }

    private static PairLayout layout(Schema schema, List<Integer> pairPositions, int leftWidth, boolean buildsLeft) {
        boolean[] fromBuild = new boolean[pairPositions.size()];
        int[] column = new int[pairPositions.size()];
        for (int k = 0; k < column.length; k++) {
            int p = pairPositions.get(k);
            boolean isLeft = p < leftWidth;
            fromBuild[k] = isLeft == buildsLeft;
            column[k] = isLeft ? p : p - leftWidth;
        }
        return new PairLayout(schema, fromBuild, column);
    }
}
