package dev.spillway.event;

/**
 * An as-of join compacted its right-side state.
 *
 * @param component   the reporting operator as in the log line, e.g. {@code equi-join}
 * @param rows        rows kept
 * @param groups      groups kept
 * @param waitingRows left rows waiting
 */
public record AsofStateCompacted(String component, long rows, int groups, long waitingRows) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": compacted state rows=" + rows + " groups=" + groups + " waiting=" + waitingRows;
    }
}
