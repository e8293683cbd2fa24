package dev.spillway.event;

/**
 * A query finished successfully.
 *
 * @param query         the query name
 * @param millis        wall time in ms
 * @param peakBytes     peak memory
 * @param spilledBytes  bytes written to spill files (compressed)
 * @param readBackBytes bytes read back
 */
public record QueryFinished(
        String query, long millis, long peakBytes, long spilledBytes, long readBackBytes) implements SpillwayEvent {
    /** Always {@code engine}. */
    @Override
    public String component() {
        return "engine";
    }

    @Override
    public String line() {
        return "[spillway] engine: query-finished name=" + query + " ms=" + millis + " peak=" + peakBytes + " spilled="
                + spilledBytes + " read-back=" + readBackBytes;
    }
}
