package dev.spillway.event;

/**
 * A nested-loop join took its whole build input.
 *
 * @param component     the reporting operator as in the log line, e.g. {@code equi-join}
 * @param joinType      the join type
 * @param rows          build rows
 * @param blocks        build blocks
 * @param bytes         build bytes
 * @param spilledBlocks blocks on disk
 * @param predicate     the join predicate, or null for a cross join
 */
public record NestedLoopBuildComplete(
        String component, String joinType, long rows, long blocks, long bytes, long spilledBlocks, String predicate) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": build complete type=" + joinType + " rows=" + rows + " blocks=" + blocks + " bytes="
                + bytes + " spilled-blocks=" + spilledBlocks + (predicate == null ? " cross" : " predicate=" + predicate);
    }
}
