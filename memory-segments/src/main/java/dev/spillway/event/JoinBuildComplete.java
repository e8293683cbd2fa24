package dev.spillway.event;

/**
 * A hash join took its whole build input.
 *
 * @param component         the reporting operator as in the log line, e.g. {@code equi-join}
 * @param rows              build rows
 * @param estimatedSize     estimated bytes of the build side
 * @param partitionsSpilled partitions on disk
 * @param partitions        partitions in all
 * @param onDiskBytes       bytes of the build side on disk
 * @param inMemoryBytes     bytes of the build side in memory
 */
public record JoinBuildComplete(
        String component, long rows, long estimatedSize, int partitionsSpilled, int partitions, long onDiskBytes,
        long inMemoryBytes) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": build complete rows=" + rows + " estimated-size=" + estimatedSize
                + " partitions-spilled=" + partitionsSpilled + "/" + partitions + " on-disk=" + onDiskBytes + " in-memory="
                + inMemoryBytes;
    }
}
