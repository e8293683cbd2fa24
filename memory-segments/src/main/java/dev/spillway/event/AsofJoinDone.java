package dev.spillway.event;

/**
 * An as-of join emitted its last row.
 *
 * @param component   the reporting operator as in the log line, e.g. {@code equi-join}
 * @param strategy    the join strategy
 * @param rows        rows emitted
 * @param compactions state compactions
 * @param groups      groups in its state
 */
public record AsofJoinDone(String component, String strategy, long rows, long compactions, int groups) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": done strategy=" + strategy + " rows=" + rows + " compactions=" + compactions
                + " groups=" + groups;
    }
}
