package dev.spillway.event;

/**
 * A group-by partition whose merge could need more than its share of the memory was split on
 * further hash bits before merging; its sub-partitions merge one by one.
 *
 * @param component      the reporting operator as in the log line, e.g. {@code group-by}
 * @param partition      the partition label (a sub-partition's is {@code parent.sub})
 * @param level          the split level of the new sub-partitions
 * @param rows           partial-state rows in the partition
 * @param estimatedBytes memory its merge table could need (every row a distinct group)
 * @param shareBytes     the memory share of one merging partition
 * @param fanout         sub-partitions it is split into
 */
public record PartitionSplit(String component, String partition, int level, long rows, long estimatedBytes, long shareBytes,
        int fanout) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": splitting partition=" + partition + " level=" + level + " rows=" + rows
                + " estimated-bytes=" + estimatedBytes + " share-bytes=" + shareBytes + " fanout=" + fanout;
    }
}
