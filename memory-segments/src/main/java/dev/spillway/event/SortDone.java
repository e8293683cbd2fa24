package dev.spillway.event;

/**
 * A sort emitted its last row.
 *
 * @param component the reporting operator as in the log line, e.g. {@code equi-join}
 * @param rows      rows emitted
 */
public record SortDone(String component, long rows) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": done rows=" + rows;
    }
}
