package dev.spillway.event;

/**
 * A spilled partition pair of a hash join was read back to be joined in memory.
 *
 * @param component  the reporting operator as in the log line, e.g. {@code equi-join}
 * @param partition  the partition label ({@code 17}, or {@code 17.3} for a sub-partition)
 * @param buildBytes bytes of the build side's spill file (0 when none)
 * @param probeBytes bytes of the probe side's spill file (0 when none)
 * @param buildRows  build rows in the partition
 */
public record PartitionReloaded(
        String component, String partition, long buildBytes, long probeBytes, long buildRows) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": reloading partition=" + partition + " build-bytes=" + buildBytes + " probe-bytes="
                + probeBytes + " build-rows=" + buildRows;
    }
}
