package dev.spillway.event;

/**
 * A nested-loop join emitted its last row.
 *
 * @param component      the reporting operator as in the log line, e.g. {@code equi-join}
 * @param joinType       the join type
 * @param probeRows      probe rows
 * @param buildRows      build rows
 * @param pairs          pairs tested
 * @param rowsOut        rows emitted
 * @param spilledBlocks  blocks on disk
 * @param readBackBlocks blocks read back
 * @param readBackBytes  bytes read back
 */
public record NestedLoopFinished(
        String component, String joinType, long probeRows, long buildRows, long pairs, long rowsOut,
        long spilledBlocks, long readBackBlocks, long readBackBytes) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": finished type=" + joinType + " probe-rows=" + probeRows + " build-rows=" + buildRows
                + " pairs=" + pairs + " rows-out=" + rowsOut + " spilled-blocks=" + spilledBlocks + " read-back-blocks="
                + readBackBlocks + " read-back-bytes=" + readBackBytes;
    }
}
