package dev.spillway.event;

/**
 * A sort merged a group of runs into one spilled run (an intermediate pass, when there are more runs than the fan-in).
 *
 * @param component   the reporting operator as in the log line, e.g. {@code equi-join}
 * @param pass        the merge generation
 * @param runs        runs merged
 * @param fanIn       most runs merged at once
 * @param openReaders spill readers open
 * @param rows        rows merged
 * @param intoRun     the id of the run written
 */
public record SortMergePass(
        String component, int pass, int runs, int fanIn, long openReaders, long rows, long intoRun) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": merge pass=" + pass + " runs=" + runs + " fan-in=" + fanIn + " open-readers="
                + openReaders + " rows=" + rows + " into-run=" + intoRun;
    }
}
