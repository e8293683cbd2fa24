package dev.spillway.plan;

import dev.spillway.memory.Schema;

import java.util.List;

/**
 * A node of the logical plan: what to compute, not how. Immutable; the {@link Optimizer} rewrites
 * trees of these and the {@link PhysicalPlanner} turns the result into pipelines.
 */
public sealed interface LogicalPlan
        permits CsvScanNode, FormatScanNode, RangeNode, InMemoryNode, FilterNode, ProjectNode, SliceNode, UnionNode, JoinNode,
        GroupByNode, SortNode, TopKNode, TailNode, NestedLoopJoinNode, CacheNode, AssumeSortedNode, MergeJoinNode,
        AsofJoinNode {
    /** The schema of the rows this node produces. */
    Schema schema();

    /** The inputs, in order. */
    List<LogicalPlan> inputs();

    /** A copy of this node over other inputs (same count). */
    LogicalPlan withInputs(List<LogicalPlan> inputs);

    /** A one-line description for {@code explain()}. */
    String label();

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
