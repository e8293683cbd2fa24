package dev.spillway.event;

/**
 * A merge join emitted its last row.
 *
 * @param component    the reporting operator as in the log line, e.g. {@code equi-join}
 * @param joinType     the join type
 * @param rows         rows emitted
 * @param runs         key runs joined
 * @param runsSpilled  runs written to disk
 * @param spilledBytes bytes written to disk
 */
public record MergeJoinDone(
        String component, String joinType, long rows, long runs, long runsSpilled, long spilledBytes) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": done type=" + joinType + " rows=" + rows + " runs=" + runs + " runs-spilled="
                + runsSpilled + " spilled-bytes=" + spilledBytes;
    }
}
