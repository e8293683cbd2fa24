package dev.spillway.event;

/**
 * A group-by merges a partition's in-memory groups with its spilled ones.
 *
 * @param component    the reporting operator as in the log line, e.g. {@code equi-join}
 * @param partition    the partition label (a split partition's sub-partition is {@code parent.sub})
 * @param inMemoryRows groups in memory
 * @param spilledBytes bytes of its spill file (0 when none)
 */
public record PartitionMerging(String component, String partition, long inMemoryRows, long spilledBytes) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": merging partition=" + partition + " in-memory-rows=" + inMemoryRows
                + " spilled-bytes=" + spilledBytes;
    }
}
