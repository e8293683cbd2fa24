package dev.spillway.event;

/**
 * A group-by took its whole input.
 *
 * @param component         the reporting operator as in the log line, e.g. {@code equi-join}
 * @param rows              input rows
 * @param partialRows       partially aggregated rows
 * @param partitionsSpilled partitions on disk
 * @param partitions        partitions in all
 * @param onDiskBytes       bytes on disk
 * @param inMemoryBytes     bytes in memory
 */
public record AggregationInputComplete(
        String component, long rows, long partialRows, int partitionsSpilled, int partitions, long onDiskBytes,
        long inMemoryBytes) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": input complete rows=" + rows + " partial-rows=" + partialRows
                + " partitions-spilled=" + partitionsSpilled + "/" + partitions + " on-disk=" + onDiskBytes + " in-memory="
                + inMemoryBytes;
    }
}
