package dev.spillway.plan;

import dev.spillway.errors.PlanException;

import dev.spillway.types.DataType;
import dev.spillway.types.Schema;
import dev.spillway.options.JoinType;

import java.util.ArrayList;
import java.util.List;

/**
 * An equi-join of two inputs sorted ascending on their join keys, executed as a streaming merge:
 * the same rows and columns as the {@link JoinNode} hash join (every left column, then the right
 * non-key columns; null keys never match), in key order. Keys are listed in the order of the
 * inputs' sort (the planner reorders the pairs to match it). A float64 key may only be the last
 * key: {@code -0.0} and {@code 0.0} are equal join keys but sort apart, so only as the last key
 * are equal keys guaranteed adjacent.
 *
 * @param left    the left input, sorted ascending on {@code leftOn}
 * @param right   the right input, sorted ascending on {@code rightOn}
 * @param leftOn  left key columns, in sort order
 * @param rightOn right key columns, pairwise equal to the left ones
 * @param how     the join type
 */
public record MergeJoinNode(LogicalPlan left, LogicalPlan right, List<String> leftOn, List<String> rightOn, JoinType how)
        implements LogicalPlan {
    /** Validates the keys (as the hash join does) and that both inputs are known sorted on them. */
    public MergeJoinNode {
        leftOn = List.copyOf(leftOn);
        rightOn = List.copyOf(rightOn);
        asHashJoin(left, right, leftOn, rightOn, how);
        for (int k = 0; k < leftOn.size() - 1; k++) {
            if (left.schema().field(left.schema().require(leftOn.get(k))).type() == DataType.FLOAT64) {
                throw new PlanException("a merge join can use a float64 key only as its last key (in sort order): '"
                        + leftOn.get(k) + "' is float64 and comes before " + leftOn.subList(k + 1, leftOn.size())
                        + "; -0.0 and 0.0 are equal keys but sort apart, so equal keys would not be adjacent. Sort with"
                        + " the float64 key last, or use JoinStrategy.HASH");
            }
        }
        if (!leftOn.equals(Sortedness.ascendingOn(left, leftOn))) {
            throw notSorted("left", left, leftOn);
        }
        if (!rightOn.equals(Sortedness.ascendingOn(right, rightOn))) {
            throw notSorted("right", right, rightOn);
        }
    }

    private static JoinNode asHashJoin(LogicalPlan left, LogicalPlan right, List<String> leftOn, List<String> rightOn,
            JoinType how) {
        return new JoinNode(left, right, leftOn, rightOn, how, false);
    }

    private static PlanException notSorted(String side, LogicalPlan input, List<String> keys) {
        return new PlanException("a merge join needs its " + side + " input sorted ascending on " + keys
                + ", but it is known sorted by " + (Sortedness.of(input).isEmpty() ? "nothing"
                        : Sortedness.of(input).toString()) + "; sort it with sort(...) or declare its order with setSorted(...)");
    }

    /**
     * A merge join for these keys when both inputs are known sorted on them (in the same order,
     * which may differ from the order given), else null.
     */
    public static MergeJoinNode ifSorted(LogicalPlan left, LogicalPlan right, List<String> leftOn, List<String> rightOn,
            JoinType how) {
        List<String> order = Sortedness.ascendingOn(left, leftOn);
        if (order == null) {
            return null;
        }
        List<String> rightOrder = new ArrayList<>();
        for (String l : order) {
            rightOrder.add(rightOn.get(leftOn.indexOf(l)));
        }
        if (!rightOrder.equals(Sortedness.ascendingOn(right, rightOrder)) || floatBeforeLast(left, order)) {
            return null;
        }
        return new MergeJoinNode(left, right, order, rightOrder, how);
    }

    private static boolean floatBeforeLast(LogicalPlan left, List<String> order) {
        for (int k = 0; k < order.size() - 1; k++) {
            if (left.schema().field(left.schema().require(order.get(k))).type() == DataType.FLOAT64) {
                return true;
            }
        }
        return false;
    }

    /** Like {@link #ifSorted}, but fails naming the unsorted input. */
    public static MergeJoinNode require(LogicalPlan left, LogicalPlan right, List<String> leftOn, List<String> rightOn,
            JoinType how) {
        MergeJoinNode m = ifSorted(left, right, leftOn, rightOn, how);
        if (m != null) {
            return m;
        }
        asHashJoin(left, right, leftOn, rightOn, how);
        List<String> order = Sortedness.ascendingOn(left, leftOn);
        if (order == null) {
            throw notSorted("left", left, leftOn);
        }
        List<String> rightOrder = new ArrayList<>();
        for (String l : order) {
            rightOrder.add(rightOn.get(leftOn.indexOf(l)));
        }
        // Sorted on both sides: the constructor names what else is wrong (a float64 key before the last).
        return new MergeJoinNode(left, right, order, rightOrder, how);
    }

    /** Whether the output follows the left input's order (INNER, LEFT, SEMI, ANTI). */
    public boolean keepsLeftOrder() {
        return !how.keepsUnmatchedRight();
    }

    /** Positions of the keys in the left schema. */
    public int[] leftKeyIndexes() {
        return leftOn.stream().mapToInt(left.schema()::require).toArray();
    }

    /** Positions of the keys in the right schema. */
    public int[] rightKeyIndexes() {
        return rightOn.stream().mapToInt(right.schema()::require).toArray();
    }

    /** The same join as a hash join (for its schema and for projection pushdown). */
    public JoinNode asHashJoin() {
        return asHashJoin(left, right, leftOn, rightOn, how);
    }

    @Override
    public Schema schema() {
        return asHashJoin().schema();
    }

    @Override
    public List<LogicalPlan> inputs() {
        return List.of(left, right);
    }

    @Override
    public LogicalPlan withInputs(List<LogicalPlan> inputs) {
        return new MergeJoinNode(inputs.get(0), inputs.get(1), leftOn, rightOn, how);
    }

    @Override
    public String label() {
        return "MERGE_JOIN " + how + " left_on=" + leftOn + " right_on=" + rightOn;
    }
}
