package dev.spillway.event;

/**
 * A spilled partition pair too large to reload was split again into sub-partitions.
 *
 * @param component  the reporting operator as in the log line, e.g. {@code equi-join}
 * @param partition  the partition label
 * @param level      the re-partitioning level of the new sub-partitions
 * @param buildBytes bytes of the build side's spill file
 * @param probeBytes bytes of the probe side's spill file (0 when none)
 * @param buildRows  build rows in the partition
 * @param fanout     sub-partitions it is split into
 */
public record PartitionRepartitioned(
        String component, String partition, int level, long buildBytes, long probeBytes, long buildRows, int fanout) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": repartitioning partition=" + partition + " level=" + level + " build-bytes="
                + buildBytes + " probe-bytes=" + probeBytes + " build-rows=" + buildRows + " fanout=" + fanout;
    }
}
