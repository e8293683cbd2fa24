package dev.spillway.plan;

import dev.spillway.Expr;
import dev.spillway.expr.BinaryOp;
import dev.spillway.options.JoinType;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The optimizer's rules for merge and AsOf joins.
 *
 * <p>Predicate pushdown: a filter's conjuncts that read only left columns move into the left
 * input when that cannot change the result — for INNER, LEFT, SEMI and ANTI merge joins (every
 * output row carries its left row's values) and for every AsOf join (a left row's match depends
 * only on its own {@code on} and {@code by} values). For an INNER merge join, conjuncts over right
 * columns that keep their names move into the right input. Everything else stays above the join;
 * in particular an AsOf join never gets a filter on right columns below it, which would change
 * which right row is the latest. Filters keep row order, so the inputs stay sorted.
 *
 * <p>Projection pushdown keeps, besides what the parent reads, the key, {@code on} and {@code by}
 * columns, and a left column whose name a right column clashes with (so the right one keeps its
 * {@code _right} name).
 */
final class SortedJoins {
    private SortedJoins() {
    }

    static LogicalPlan pushFilter(Expr predicate, MergeJoinNode m) {
        boolean leftOk = m.how() == JoinType.INNER || m.how() == JoinType.LEFT || m.how() == JoinType.SEMI
                || m.how() == JoinType.ANTI;
        boolean rightOk = m.how() == JoinType.INNER;
        List<String> out = m.schema().names();
        int leftWidth = m.left().schema().size();
        Set<String> leftCols = new LinkedHashSet<>(out.subList(0, leftWidth));
        Set<String> rightCols = new LinkedHashSet<>();
        List<String> rightNonKeys = new ArrayList<>(m.right().schema().names());
        rightNonKeys.removeAll(m.rightOn());
        for (int i = leftWidth; i < out.size(); i++) {
            if (out.get(i).equals(rightNonKeys.get(i - leftWidth))) {
                rightCols.add(out.get(i));
            }
        }
        List<Expr> toLeft = new ArrayList<>();
        List<Expr> toRight = new ArrayList<>();
        List<Expr> above = new ArrayList<>();
        for (Expr c : conjuncts(predicate)) {
            Set<String> cols = c.columns();
            if (leftOk && !cols.isEmpty() && leftCols.containsAll(cols)) {
                toLeft.add(c);
            } else if (rightOk && !cols.isEmpty() && rightCols.containsAll(cols)) {
                toRight.add(c);
            } else {
                above.add(c);
            }
        }
        LogicalPlan join = new MergeJoinNode(filtered(m.left(), toLeft), filtered(m.right(), toRight), m.leftOn(),
                m.rightOn(), m.how());
        return above.isEmpty() ? join : new FilterNode(join, and(above));
    }

    static LogicalPlan pushFilter(Expr predicate, AsofJoinNode a) {
        int leftWidth = a.left().schema().size();
        Set<String> leftCols = new LinkedHashSet<>(a.schema().names().subList(0, leftWidth));
        List<Expr> toLeft = new ArrayList<>();
        List<Expr> above = new ArrayList<>();
        for (Expr c : conjuncts(predicate)) {
            Set<String> cols = c.columns();
            (!cols.isEmpty() && leftCols.containsAll(cols) ? toLeft : above).add(c);
        }
        LogicalPlan join = new AsofJoinNode(filtered(a.left(), toLeft), Optimizer.pushDownPredicates(a.right()), a.leftOn(),
                a.rightOn(), a.leftBy(), a.rightBy(), a.strategy(), a.tolerance());
        return above.isEmpty() ? join : new FilterNode(join, and(above));
    }

    private static LogicalPlan filtered(LogicalPlan input, List<Expr> conjuncts) {
        return Optimizer.pushDownPredicates(conjuncts.isEmpty() ? input : new FilterNode(input, and(conjuncts)));
    }

    private static List<Expr> conjuncts(Expr e) {
        List<Expr> out = new ArrayList<>();
        if (e instanceof Expr.Binary b && b.op() == BinaryOp.AND) {
            out.addAll(conjuncts(b.left()));
            out.addAll(conjuncts(b.right()));
        } else {
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

    static LogicalPlan pushProjections(MergeJoinNode m, Set<String> required) {
        List<Set<String>> need = Optimizer.joinInputNeeds(m.asHashJoin(), required);
        return new MergeJoinNode(Optimizer.pushDownProjections(m.left(), need.get(0)),
                Optimizer.pushDownProjections(m.right(), need.get(1)), m.leftOn(), m.rightOn(), m.how());
    }

    static LogicalPlan pushProjections(AsofJoinNode a, Set<String> required) {
        Set<String> leftNeed = null;
        Set<String> rightNeed = null;
        if (required != null) {
            leftNeed = new LinkedHashSet<>(a.leftBy());
            leftNeed.add(a.leftOn());
            rightNeed = new LinkedHashSet<>(a.rightBy());
            rightNeed.add(a.rightOn());
            List<String> out = a.schema().names();
            int leftWidth = a.left().schema().size();
            for (int i = 0; i < out.size(); i++) {
                if (!required.contains(out.get(i))) {
                    continue;
                }
                if (i < leftWidth) {
                    leftNeed.add(out.get(i));
                } else {
                    String source = a.rightSourceName(i);
                    rightNeed.add(source);
                    if (a.left().schema().indexOf(source) >= 0) {
                        leftNeed.add(source);
                    }
                }
            }
        }
        return new AsofJoinNode(Optimizer.pushDownProjections(a.left(), leftNeed),
                Optimizer.pushDownProjections(a.right(), rightNeed), a.leftOn(), a.rightOn(), a.leftBy(), a.rightBy(),
                a.strategy(), a.tolerance());
    }
}
