package dev.spillway.plan;

import dev.spillway.Expr;
import dev.spillway.types.DataType;
import dev.spillway.types.Schema;
import dev.spillway.expr.BinaryOp;
import dev.spillway.options.JoinType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Optimizer rules for {@link NestedLoopJoinNode}s (called from {@link Optimizer}):
 * <ul>
 *   <li><b>Predicate pushdown</b>: a filter right above an INNER nested-loop (or cross) join folds
 *       into its predicate; then the conjuncts that read one input only move into that input.
 *       For the other types a conjunct of the join predicate moves only into an input whose rows
 *       are not preserved (left-only ones into the left input of RIGHT; right-only ones into the
 *       right input of LEFT, SEMI and ANTI), and a conjunct of a filter above only into an input
 *       whose columns are never null-padded (left-only ones into the left input of LEFT, SEMI and
 *       ANTI; right-only ones into the right input of RIGHT); FULL moves nothing. The rest stays
 *       where it was.</li>
 *   <li><b>Hash join for equalities</b>: an INNER join whose predicate has a conjunct
 *       {@code leftColumn == rightColumn} (same int32, int64, date32 or utf8 type) becomes an
 *       equi-join on all such pairs, with the other conjuncts as a filter above it. Other types stay
 *       nested-loop joins: a filter after an outer hash join cannot tell a pair it rejects from a
 *       row that had no match (a left or right row whose every pair fails the filter must come
 *       back once, null-padded, which the filter cannot do).</li>
 *   <li><b>Projection pushdown</b>: each input keeps the columns the predicate or the parent reads.</li>
 * </ul>
 */
final class NestedLoopJoinRules {
    /** Key types whose {@code ==} has the hash join's semantics (float64 differs on NaN and -0.0). */
    private static final Set<DataType> HASHABLE = Set.of(DataType.INT32, DataType.INT64, DataType.DATE32, DataType.UTF8);

    private NestedLoopJoinRules() {
    }

    // ------------------------------------------------------------------ predicate pushdown

    /** Pushes {@code above} (a filter over {@code j}, or null) and the join's own predicate towards the inputs. */
    static LogicalPlan pushDown(NestedLoopJoinNode j, Expr above) {
        Schema pairs = j.pairSchema();
        int leftWidth = j.left().schema().size();
        Set<String> leftNames = new LinkedHashSet<>(pairs.names().subList(0, leftWidth));
        Set<String> rightNames = new LinkedHashSet<>(pairs.names().subList(leftWidth, pairs.size()));
        List<Expr> toLeft = new ArrayList<>();
        List<Expr> toRight = new ArrayList<>();
        List<Expr> join = new ArrayList<>();
        List<Expr> stay = new ArrayList<>();
        JoinType how = j.how();
        boolean inner = how == JoinType.INNER;
        // A filter above may move into an input whose columns are never null-padded in the result;
        // a join conjunct into an input whose unmatched rows are not kept.
        boolean aboveToLeft = !how.keepsUnmatchedRight();
        boolean aboveToRight = inner || how == JoinType.RIGHT;
        boolean joinToLeft = inner || how == JoinType.RIGHT;
        boolean joinToRight = !how.keepsUnmatchedRight();
        for (Expr c : conjuncts(above)) {
            Set<String> cols = c.columns();
            if (aboveToLeft && !cols.isEmpty() && leftNames.containsAll(cols)) {
                toLeft.add(c);
            } else if (aboveToRight && !cols.isEmpty() && rightNames.containsAll(cols)) {
                toRight.add(c);
            } else if (inner) {
                join.add(c);
            } else {
                stay.add(c);
            }
        }
        for (Expr c : conjuncts(j.predicate())) {
            Set<String> cols = c.columns();
            if (joinToLeft && !cols.isEmpty() && leftNames.containsAll(cols)) {
                toLeft.add(c);
            } else if (joinToRight && !cols.isEmpty() && rightNames.containsAll(cols)) {
                toRight.add(c);
            } else {
                join.add(c);
            }
        }
        Map<String, Expr> rightSources = new HashMap<>();
        List<String> rightOriginal = j.right().schema().names();
        int k = 0;
        for (String pairName : rightNames) {
            rightSources.put(pairName, Expr.col(rightOriginal.get(k++)));
        }
        List<Expr> renamed = new ArrayList<>();
        for (Expr c : toRight) {
            renamed.add(substitute(c, rightSources));
        }
        LogicalPlan left = Optimizer.pushDownPredicates(toLeft.isEmpty() ? j.left() : new FilterNode(j.left(), and(toLeft)));
        LogicalPlan right = Optimizer.pushDownPredicates(renamed.isEmpty() ? j.right() : new FilterNode(j.right(), and(renamed)));
        // With every conjunct moved into an input, LEFT/RIGHT/SEMI/ANTI keep a true predicate (any
        // remaining row of the other input matches); an INNER join becomes a cross join.
        Expr predicate = !join.isEmpty() ? and(join) : inner ? null : Expr.lit(true);
        LogicalPlan node = new NestedLoopJoinNode(left, right, j.how(), predicate);
        return stay.isEmpty() ? node : new FilterNode(node, and(stay));
    }

    // ------------------------------------------------------------------ equalities to hash joins

    /** Turns INNER nested-loop joins with an equality between the inputs into equi-joins, everywhere in the tree. */
    static LogicalPlan useHashJoins(LogicalPlan plan) {
        List<LogicalPlan> inputs = new ArrayList<>();
        for (LogicalPlan in : plan.inputs()) {
            inputs.add(useHashJoins(in));
        }
        LogicalPlan p = plan.inputs().isEmpty() ? plan : plan.withInputs(inputs);
        if (!(p instanceof NestedLoopJoinNode j) || j.how() != JoinType.INNER || j.isCross()) {
            return p;
        }
        Schema pairs = j.pairSchema();
        Schema leftSchema = j.left().schema();
        Schema rightSchema = j.right().schema();
        int leftWidth = leftSchema.size();
        List<String> leftOn = new ArrayList<>();
        List<String> rightOn = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        for (Expr c : conjuncts(j.predicate())) {
            int l = -1;
            int r = -1;
            if (c instanceof Expr.Binary b && b.op() == BinaryOp.EQ && b.left() instanceof Expr.Column x
                    && b.right() instanceof Expr.Column y) {
                int ix = pairs.indexOf(x.name());
                int iy = pairs.indexOf(y.name());
                l = ix < leftWidth ? ix : iy;
                r = ix < leftWidth ? iy : ix;
                if (l >= leftWidth || r < leftWidth || !pairs.field(l).sameType(pairs.field(r))
                        || !HASHABLE.contains(pairs.field(l).type())) {
                    l = -1;
                }
            }
            if (l < 0) {
                rest.add(c);
            } else {
                leftOn.add(leftSchema.field(l).name());
                rightOn.add(rightSchema.field(r - leftWidth).name());
            }
        }
        if (leftOn.isEmpty()) {
            return p;
        }
        // The equi-join drops its right key columns; join on copies of them so that every right
        // column stays, under the same names as the nested-loop join's.
        List<Expr> rightWithKeys = new ArrayList<>();
        for (String n : rightSchema.names()) {
            rightWithKeys.add(Expr.col(n));
        }
        Set<String> taken = new LinkedHashSet<>(rightSchema.names());
        taken.addAll(leftSchema.names());
        List<String> keyCopies = new ArrayList<>();
        for (String key : rightOn) {
            String copy = "__join_key_" + key;
            while (taken.contains(copy)) {
                copy = "_" + copy;
            }
            taken.add(copy);
            keyCopies.add(copy);
            rightWithKeys.add(Expr.col(key).alias(copy));
        }
        JoinNode hash = new JoinNode(j.left(), new ProjectNode(j.right(), rightWithKeys), leftOn, keyCopies, JoinType.INNER,
                false);
        if (!hash.schema().equals(j.schema())) {
            return p;
        }
        return rest.isEmpty() ? hash : new FilterNode(hash, and(rest));
    }

    // ------------------------------------------------------------------ projection pushdown

    /** Prunes the inputs' columns to those the predicate and {@code required} (null: all) read. */
    static LogicalPlan pruneColumns(NestedLoopJoinNode j, Set<String> required) {
        if (required == null) {
            return new NestedLoopJoinNode(Optimizer.pushDownProjections(j.left(), null),
                    Optimizer.pushDownProjections(j.right(), null), j.how(), j.predicate());
        }
        Set<String> need = new LinkedHashSet<>(required);
        if (j.predicate() != null) {
            need.addAll(j.predicate().columns());
        }
        Schema pairs = j.pairSchema();
        List<String> leftNames = j.left().schema().names();
        List<String> rightNames = j.right().schema().names();
        Set<String> leftNeed = new LinkedHashSet<>();
        Set<String> rightNeed = new LinkedHashSet<>();
        for (int c = 0; c < pairs.size(); c++) {
            if (!need.contains(pairs.field(c).name())) {
                continue;
            }
            if (c < leftNames.size()) {
                leftNeed.add(leftNames.get(c));
            } else {
                String source = rightNames.get(c - leftNames.size());
                rightNeed.add(source);
                if (leftNames.contains(source)) {
                    // Keep the clashing left column so that the right one keeps its _right name.
                    leftNeed.add(source);
                }
            }
        }
        return new NestedLoopJoinNode(Optimizer.pushDownProjections(j.left(), leftNeed),
                Optimizer.pushDownProjections(j.right(), rightNeed), j.how(), j.predicate());
    }

    // ------------------------------------------------------------------ helpers

    private static List<Expr> conjuncts(Expr e) {
        List<Expr> out = new ArrayList<>();
        if (e instanceof Expr.Binary b && b.op() == BinaryOp.AND) {
            out.addAll(conjuncts(b.left()));
            out.addAll(conjuncts(b.right()));
        } else if (e != null && !(e instanceof Expr.Literal l && Boolean.TRUE.equals(l.value()))) {
            out.add(e);
        }
        return out;
    }

    private static Expr and(List<Expr> conjuncts) {
        Expr e = conjuncts.get(0);
        for (int i = 1; i < conjuncts.size(); i++) {
            e = new Expr.Binary(BinaryOp.AND, e, conjuncts.get(i));
        }
        return e;
    }

    private static Expr substitute(Expr e, Map<String, Expr> defs) {
        if (e instanceof Expr.Column c) {
            Expr def = defs.get(c.name());
            return def == null ? e : def;
        }
        List<Expr> children = new ArrayList<>();
        for (Expr child : e.children()) {
            children.add(substitute(child, defs));
        }
        return e.children().isEmpty() ? e : e.withChildren(children);
    }
}
