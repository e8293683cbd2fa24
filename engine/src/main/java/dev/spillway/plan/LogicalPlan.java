package dev.spillway.plan;

import dev.spillway.types.Schema;

import java.util.List;

/**
 * A node of the logical plan: what to compute, not how. Immutable; the {@link Optimizer} rewrites
 * trees of these and the {@link PhysicalPlanner} turns the result into pipelines.
 */
public sealed interface LogicalPlan
        permits CsvScanNode, FormatScanNode, RangeNode, InMemoryNode, FilterNode, ProjectNode, SliceNode, UnionNode, JoinNode,
        GroupByNode, SortNode, TopKNode, TailNode, NestedLoopJoinNode, CacheNode, AssumeSortedNode, MergeJoinNode,
        AsofJoinNode, ExternalScanNode {
    /** The schema of the rows this node produces. */
    Schema schema();

    /** The inputs, in order. */
    List<LogicalPlan> inputs();

    /** A copy of this node over other inputs (same count). */
    LogicalPlan withInputs(List<LogicalPlan> inputs);

    /** A one-line description for {@code explain()}. */
    String label();

    /**
     * The number of rows {@code root} produces when the plan alone fixes it, else -1: a global
     * aggregate gives exactly one row, and row-preserving nodes above it (projections, a sort, a
     * declared order, a cache) keep that. The collector checks it, so that a lost morsel fails the
     * query instead of returning an empty or partial result.
     */
    static long fixedRowCount(LogicalPlan root) {
        return switch (root) {
            case GroupByNode g -> g.keys().isEmpty() ? 1 : -1;
            case ProjectNode p -> fixedRowCount(p.input());
            case SortNode s -> fixedRowCount(s.input());
            case AssumeSortedNode a -> fixedRowCount(a.input());
            case CacheNode c -> fixedRowCount(c.input());
            default -> -1;
        };
    }

    /**
     * Whether running {@code root} consumes an input that cannot be read a second time (an
     * {@link ExternalScanNode}, such as an imported Arrow stream): such a query is never run again
     * after a memory refusal, which would fail on the spent input instead of reporting the refusal.
     */
    static boolean readsOnce(LogicalPlan root) {
        if (root instanceof ExternalScanNode) {
            return true;
        }
        for (LogicalPlan in : root.inputs()) {
            if (readsOnce(in)) {
                return true;
            }
        }
        return false;
    }

    /** Prints the tree under this node, one node per line, indented two spaces per level. */
    static String format(LogicalPlan root) {
        StringBuilder sb = new StringBuilder();
        format(root, 0, sb);
        return sb.toString();
    }

    private static void format(LogicalPlan node, int depth, StringBuilder sb) {
        sb.append("  ".repeat(depth)).append(node.label()).append('\n');
        for (LogicalPlan in : node.inputs()) {
            format(in, depth + 1, sb);
        }
    }
}
