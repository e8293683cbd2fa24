package dev.spillway.event;

/**
 * A sort took its whole input.
 *
 * @param component   the reporting operator as in the log line, e.g. {@code equi-join}
 * @param rows        input rows
 * @param runs        runs made
 * @param runsSpilled runs written to disk
 * @param fanIn       most runs merged at once
 */
public record SortInputComplete(String component, long rows, long runs, long runsSpilled, int fanIn) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": input complete rows=" + rows + " runs=" + runs + " runs-spilled=" + runsSpilled
                + " fan-in=" + fanIn;
    }
}
